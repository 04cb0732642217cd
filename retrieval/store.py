"""An index directory on disk and in memory: manifest, FAISS index, premises, accessibility.

Layout of `DIR/`:

    manifest.json   model id and fingerprint, dimension, normalisation, index kind and
                    parameters, corpus hash, build time (`retrieval.manifest.Manifest`)
    index.faiss     the FAISS index; row i is premise i
    corpus.jsonl    the premises in row order and the module import graph
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from retrieval.access import Accessibility
from retrieval.corpus import Corpus, CorpusPremise, TextFormat, load_corpus, premise_text
from retrieval.encoder import Embeddings
from retrieval.errors import CorpusError, IndexLoadError, ModelMismatchError
from retrieval.index import IndexParams, read_faiss, search
from retrieval.lexical import BM25
from retrieval.manifest import Manifest

INDEX_FILE = "index.faiss"
CORPUS_FILE = "corpus.jsonl"


@dataclass(frozen=True)
class Hit:
    row: int
    score: float


class PremiseIndex:
    def __init__(self, directory: Path, manifest: Manifest, index: faiss.Index, corpus: Corpus):
        self.directory = directory
        self.manifest = manifest
        self.faiss = index
        self.corpus = corpus
        self.access = Accessibility(corpus)

    @classmethod
    def load(cls, directory: Path, *, ef_search: int | None = None) -> PremiseIndex:
        manifest = Manifest.read(directory)
        for name in (INDEX_FILE, CORPUS_FILE):
            if not (directory / name).is_file():
                raise IndexLoadError(f"Index directory {directory} lacks {name}; rebuild it.")
        params = IndexParams.from_dict(manifest.params)
        if ef_search is not None:
            params = IndexParams.from_dict({**params.as_dict(), "hnsw_ef_search": ef_search})
        index = read_faiss(directory / INDEX_FILE, params)
        try:
            corpus = load_corpus(directory / CORPUS_FILE)
        except CorpusError as exc:
            raise IndexLoadError(f"Index directory {directory} is damaged: {exc}") from exc
        if not index.ntotal == len(corpus) == manifest.premise_count:
            raise IndexLoadError(
                f"Index directory {directory} is inconsistent: {index.ntotal} vectors, "
                f"{len(corpus)} premises, manifest says {manifest.premise_count}; rebuild it."
            )
        return cls(directory, manifest, index, corpus)

    @property
    def premises(self) -> tuple[CorpusPremise, ...]:
        return self.corpus.premises

    @cached_property
    def lexical(self) -> BM25:
        """BM25 over the premises' plain text, built on first use (seconds at 200k)."""
        return BM25([premise_text(p, TextFormat.PLAIN) for p in self.premises])

    def check_model(self, fingerprint: str, model: str) -> None:
        if fingerprint != self.manifest.model_fingerprint:
            raise ModelMismatchError(
                f"The query vectors come from {model} (fingerprint {fingerprint[:12]}) but the "
                f"index {self.directory} was built with {self.manifest.model} (fingerprint "
                f"{self.manifest.model_fingerprint[:12]}), other weights or settings; load the "
                "model the index was built with, or rebuild the index."
            )

    def dense(
        self, queries: Embeddings, k: int, masks: Sequence[np.ndarray | None]
    ) -> list[list[Hit]]:
        """The `k` nearest premises of each query row (inner product), within its mask."""
        self.check_model(queries.fingerprint, queries.model)
        if queries.vectors.ndim != 2 or queries.vectors.shape[1] != self.manifest.dimension:
            raise ModelMismatchError(
                f"Query vectors have shape {queries.vectors.shape}, the index {self.directory} "
                f"holds {self.manifest.dimension}-dimensional vectors."
            )
        results: list[list[Hit]] = [[] for _ in masks]
        groups: dict[int, list[int]] = {}
        for row, mask in enumerate(masks):  # rows sharing a mask are searched as one batch
            groups.setdefault(id(mask), []).append(row)
        for rows in groups.values():
            found = search(self.faiss, queries.vectors[rows], k, masks[rows[0]])
            for row, (ids, scores) in zip(rows, found, strict=True):
                results[row] = [Hit(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
        return results

    def lexical_hits(self, query: str, k: int, mask: np.ndarray | None) -> list[Hit]:
        ids, scores = self.lexical.top(query, k, mask)
        return [Hit(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
