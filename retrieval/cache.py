"""A disk cache of embeddings, so an unchanged corpus is never encoded twice.

Texts are cached in chunks of `chunk_size`, each keyed by the model fingerprint and the
exact texts of the chunk. Rebuilding an unchanged corpus encodes nothing; an interrupted
build resumes at the first chunk it had not finished; a corpus that changed re-encodes
only the chunks whose texts changed (an insertion shifts the chunks after it).

Default location: `$LEANWB_CACHE_DIR`, else `<user cache dir>/leanwb/embeddings`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from retrieval.encoder import Encoder
from retrieval.errors import RetrievalError

DEFAULT_CHUNK_SIZE = 1024


def default_cache_dir() -> Path:
    explicit = os.environ.get("LEANWB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_cache_dir("leanwb")) / "embeddings"


@dataclass(frozen=True)
class CachedEmbedding:
    vectors: np.ndarray
    encoded: int  # texts the encoder ran on
    reused: int  # texts read back from the cache


class EmbeddingCache:
    def __init__(self, root: Path, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RetrievalError(
                f"Cannot create the embedding cache at {root} ({exc.strerror}); "
                "pass another with --cache-dir or LEANWB_CACHE_DIR."
            ) from exc
        self.root = root
        self.chunk_size = chunk_size

    def embed(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
    ) -> CachedEmbedding:
        info = encoder.info
        vectors = np.empty((len(texts), info.dimension), dtype=np.float32)
        encoded = reused = 0
        for start in range(0, len(texts), self.chunk_size):
            chunk = texts[start : start + self.chunk_size]
            path = self._path(info.fingerprint, chunk)
            stored = _read(path, (len(chunk), info.dimension))
            if stored is None:
                embedded = encoder.encode(chunk, batch_size=batch_size, on_progress=on_progress)
                stored = embedded.vectors
                self._write(path, stored)
                encoded += len(chunk)
            else:
                reused += len(chunk)
                if on_progress is not None:
                    on_progress(len(chunk))
            vectors[start : start + len(chunk)] = stored
        return CachedEmbedding(vectors, encoded, reused)

    def _path(self, fingerprint: str, texts: Sequence[str]) -> Path:
        digest = hashlib.sha256(fingerprint.encode())
        for text in texts:
            data = text.encode()
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        return self.root / fingerprint[:16] / f"{digest.hexdigest()[:40]}.npy"

    def _write(self, path: Path, vectors: np.ndarray) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.stem}.{os.getpid()}.partial.npy")
        try:
            np.save(partial, vectors)
            os.replace(partial, path)
        except OSError as exc:
            raise RetrievalError(
                f"Cannot write the embedding cache at {self.root} ({exc.strerror}); "
                "pass another with --cache-dir or LEANWB_CACHE_DIR."
            ) from exc


def _read(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The cached chunk, or None when absent or unreadable (it is then recomputed)."""
    if not path.is_file():
        return None
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if vectors.shape != shape or vectors.dtype != np.float32:
        return None
    return vectors
