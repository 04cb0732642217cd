"""FAISS indexes over normalised vectors, scored by inner product (= cosine similarity).

Kinds:

* `flat` — exact search (`IndexFlatIP`). Single-query latency grows with the corpus
  (measured here, 2 cores: about 3 ms at 20k premises, 70 ms at 200k).
* `hnsw` — approximate graph search (`IndexHNSWFlat`, M=32, efConstruction=160,
  efSearch=256): about 2 ms at 200k premises with recall@10 about 0.97 against exact
  search (`bench/retrieval.py`), for a one-off build of a few minutes.
* `ivfpq` — inverted lists with product quantisation: a fraction of the memory, lower
  recall; for corpora too large to keep as float32.
* `auto` (the default) — `flat` up to `EXACT_MAX_PREMISES` premises, `hnsw` above.

Search can be restricted to a boolean mask of rows (the accessibility filter). `flat`
filters exactly inside FAISS; HNSW scores visible sets of up to `EXACT_MAX_PREMISES` rows
exactly (on its flat storage), searches larger ones with the filter inside the graph walk,
and falls back to exact scoring when that walk comes back with fewer than k rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from retrieval.errors import IndexLoadError, RetrievalError

EXACT_MAX_PREMISES = 20_000
_ADD_CHUNK = 10_000  # rows per `add` call, between progress reports
_IVF_POINTS_PER_LIST = 39  # FAISS's minimum training points per centroid


class IndexKind(StrEnum):
    AUTO = "auto"
    FLAT = "flat"
    HNSW = "hnsw"
    IVFPQ = "ivfpq"


@dataclass(frozen=True)
class IndexParams:
    # Measured at 200k premises (bench/retrieval.py): efConstruction 40 reaches recall@10
    # 0.90 at efSearch 128 and 0.95 only at 512; 160 reaches 0.96 at 128 and 0.97 at 256.
    hnsw_m: int = 32
    hnsw_ef_construction: int = 160
    hnsw_ef_search: int = 256
    ivf_nlist: int | None = None  # None: 4·√n lists
    ivf_nprobe: int = 16
    pq_m: int | None = None  # None: one sub-quantiser per 8 dimensions
    pq_bits: int = 8

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexParams:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def resolve_kind(kind: IndexKind, count: int) -> tuple[IndexKind, str]:
    """The concrete kind for `count` premises, and why (shown by `leanwb index info`)."""
    if kind is not IndexKind.AUTO:
        return kind, "chosen explicitly"
    if count <= EXACT_MAX_PREMISES:
        return IndexKind.FLAT, f"auto: {count:,} premises ≤ {EXACT_MAX_PREMISES:,}, exact search"
    return IndexKind.HNSW, f"auto: {count:,} premises > {EXACT_MAX_PREMISES:,}, HNSW"


def build_faiss(
    vectors: np.ndarray,
    kind: IndexKind,
    params: IndexParams,
    on_progress: Callable[[int], None] | None = None,
) -> faiss.Index:
    """Build an index of `kind` (not AUTO) over `vectors` (float32, rows L2-normalised)."""
    count, dimension = vectors.shape
    if kind is IndexKind.FLAT:
        index: faiss.Index = faiss.IndexFlatIP(dimension)
    elif kind is IndexKind.HNSW:
        index = faiss.IndexHNSWFlat(dimension, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.hnsw_ef_construction
    elif kind is IndexKind.IVFPQ:
        index = _trained_ivfpq(vectors, params)
    else:
        raise ValueError(f"resolve {kind} to a concrete kind first")
    for start in range(0, count, _ADD_CHUNK):
        chunk = np.ascontiguousarray(vectors[start : start + _ADD_CHUNK])
        index.add(chunk)
        if on_progress is not None:
            on_progress(len(chunk))
    if kind is IndexKind.IVFPQ:
        index.make_direct_map()  # so rows can be reconstructed for exact masked scoring
    configure(index, params)
    return index


def _trained_ivfpq(vectors: np.ndarray, params: IndexParams) -> faiss.Index:
    count, dimension = vectors.shape
    nlist = params.ivf_nlist or max(1, int(4 * math.sqrt(count)))
    if count < nlist * _IVF_POINTS_PER_LIST:
        raise RetrievalError(
            f"An IVF-PQ index with {nlist} lists needs at least "
            f"{nlist * _IVF_POINTS_PER_LIST:,} premises to train, not {count:,}; "
            "use --kind flat or --kind hnsw."
        )
    pq_m = params.pq_m or _default_pq_m(dimension)
    if dimension % pq_m:
        raise RetrievalError(f"pq_m={pq_m} does not divide the dimension {dimension}.")
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFPQ(
        quantizer, dimension, nlist, pq_m, params.pq_bits, faiss.METRIC_INNER_PRODUCT
    )
    index.train(np.ascontiguousarray(vectors))
    return index


def _default_pq_m(dimension: int) -> int:
    for sub_dims in (8, 4, 2, 1):
        if dimension % sub_dims == 0:
            return dimension // sub_dims
    return dimension


def configure(index: faiss.Index, params: IndexParams) -> None:
    """Apply the search-time settings (they are not all kept in FAISS's file)."""
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = params.hnsw_ef_search
    elif isinstance(index, faiss.IndexIVF):
        index.nprobe = params.ivf_nprobe


def write_faiss(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def read_faiss(path: Path, params: IndexParams) -> faiss.Index:
    """Memory-map the file: loading is instant and pages are shared between processes."""
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError as exc:
        raise IndexLoadError(f"{path} is not a readable FAISS index ({_first_line(exc)}).") from exc
    configure(index, params)
    return index


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def search(
    index: faiss.Index,
    queries: np.ndarray,
    k: int,
    mask: np.ndarray | None,
    exact_up_to: int = EXACT_MAX_PREMISES,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per query row, (row ids, scores) best first; only rows where `mask` is True.

    An approximate index scores masks with at most `exact_up_to` visible rows exactly.
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    k = min(k, index.ntotal if mask is None else int(mask.sum()))
    if k <= 0:
        return [_empty() for _ in queries]
    if mask is None:
        scores, ids = index.search(queries, k)
        return [_valid(ids[i], scores[i]) for i in range(len(queries))]
    bitmap = np.packbits(mask, bitorder="little")  # must outlive the searches below
    selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
    exact = _flat_vectors(index)
    if exact is index or int(mask.sum()) <= exact_up_to:
        return _exact_masked(index, exact, queries, k, mask, selector)
    scores, ids = index.search(queries, k, params=_filtered_params(index, selector))
    results = [_valid(ids[i], scores[i]) for i in range(len(queries))]
    short = [i for i, (row_ids, _) in enumerate(results) if len(row_ids) < k]
    if short:  # the graph walk found too few visible rows: score them exactly
        exact_results = _exact_masked(index, exact, queries[short], k, mask, selector)
        for i, result in zip(short, exact_results, strict=True):
            results[i] = result
    return results


def _flat_vectors(index: faiss.Index) -> faiss.IndexFlat | None:
    """An exact index over the same rows: the index itself, or HNSW's flat storage."""
    if isinstance(index, faiss.IndexFlat):
        return index
    if isinstance(index, faiss.IndexHNSW):
        return faiss.downcast_index(index.storage)
    return None


def _filtered_params(index: faiss.Index, selector: faiss.IDSelector) -> faiss.SearchParameters:
    if isinstance(index, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW()
        params.efSearch = index.hnsw.efSearch
    elif isinstance(index, faiss.IndexIVF):
        params = faiss.SearchParametersIVF()
        params.nprobe = index.nprobe
    else:
        params = faiss.SearchParameters()
    params.sel = selector
    return params


def _exact_masked(
    index: faiss.Index,
    exact: faiss.IndexFlat | None,
    queries: np.ndarray,
    k: int,
    mask: np.ndarray,
    selector: faiss.IDSelector,
) -> list[tuple[np.ndarray, np.ndarray]]:
    if exact is not None:
        params = faiss.SearchParameters()
        params.sel = selector
        scores, ids = exact.search(queries, k, params=params)
        return [_valid(ids[i], scores[i]) for i in range(len(queries))]
    rows = np.flatnonzero(mask)  # no flat copy (IVF-PQ): score reconstructed vectors
    all_scores = queries @ index.reconstruct_batch(rows.astype(np.int64)).T
    results = []
    for row_scores in all_scores:
        top = np.argpartition(-row_scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        top = top[np.argsort(-row_scores[top], kind="stable")]
        results.append((rows[top], row_scores[top]))
    return results


def _valid(ids: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ids >= 0
    return ids[keep], scores[keep]


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
