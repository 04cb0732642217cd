"""Build an index directory from a corpus: encode (through the cache), index, write.

The directory is assembled beside its destination and swapped in at the end, so an
interrupted build leaves any previous index untouched; a directory that is not an
index is never overwritten.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import faiss

from retrieval.cache import EmbeddingCache
from retrieval.corpus import Corpus, premise_text, write_corpus
from retrieval.encoder import Encoder
from retrieval.errors import RetrievalError
from retrieval.index import IndexKind, IndexParams, build_faiss, resolve_kind, write_faiss
from retrieval.manifest import MANIFEST_FILE, Manifest
from retrieval.store import CORPUS_FILE, INDEX_FILE

ProgressCallback = Callable[[str, int, int], None]  # (phase, items just done, phase total)


def build_index(
    corpus: Corpus,
    out_dir: Path,
    encoder: Encoder,
    *,
    cache: EmbeddingCache,
    kind: IndexKind = IndexKind.AUTO,
    params: IndexParams | None = None,
    batch_size: int = 32,
    corpus_source: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Manifest:
    """Write the index of `corpus` to `out_dir` and return its manifest.

    Phases reported to `on_progress`: "encode" (texts) then "index" (vectors added).
    """
    _check_destination(out_dir)
    params = params or IndexParams()
    started = time.perf_counter()
    texts = [premise_text(p, encoder.info.text_format) for p in corpus.premises]
    total = len(texts)

    def report(phase: str) -> Callable[[int], None] | None:
        if on_progress is None:
            return None
        return lambda done: on_progress(phase, done, total)

    embedded = cache.embed(encoder, texts, batch_size=batch_size, on_progress=report("encode"))
    encode_seconds = time.perf_counter() - started
    concrete, reason = resolve_kind(kind, total)
    index = build_faiss(embedded.vectors, concrete, params, on_progress=report("index"))

    staging = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    staging.mkdir(parents=True, exist_ok=False)
    try:
        write_faiss(index, staging / INDEX_FILE)
        write_corpus(corpus, staging / CORPUS_FILE)
        info = encoder.info
        manifest = Manifest(
            model=info.model,
            model_source=info.source,
            backend=info.backend.value,
            model_fingerprint=info.fingerprint,
            dimension=info.dimension,
            normalized=info.normalized,
            text_format=info.text_format.value,
            max_length=info.max_length,
            kind=concrete.value,
            kind_reason=reason,
            premise_count=total,
            module_count=len(corpus.modules),
            corpus_hash=corpus.fingerprint,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
            encode_seconds=round(encode_seconds, 3),
            encoded_texts=embedded.encoded,
            faiss_version=faiss.__version__,
            corpus_source=corpus_source,
            params=params.as_dict(),
        )
        manifest.write(staging)
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _check_destination(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise RetrievalError(f"{out_dir} exists and is not a directory.")
    if out_dir.is_dir() and not (out_dir / MANIFEST_FILE).is_file() and any(out_dir.iterdir()):
        raise RetrievalError(
            f"{out_dir} is a non-empty directory that is not a premise index; "
            "refusing to overwrite it (choose another -o)."
        )


def _swap_in(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    previous = out_dir.parent / f".{out_dir.name}.previous-{os.getpid()}"
    os.replace(out_dir, previous)
    os.replace(staging, out_dir)
    shutil.rmtree(previous, ignore_errors=True)
