"""Premise retrieval speed and memory: encoder throughput, index build, query latency.

    python bench/retrieval.py                         # 10k and 200k premises, 2 threads
    python bench/retrieval.py --sizes 10000 --skip-encode
    python bench/retrieval.py --calibrate --sizes     # compare synthetic with real vectors

Encoding uses the real all-MiniLM-L6-v2 on Lean-like strings. The index figures use
synthetic unit vectors (384-d) so no 200k corpus has to be encoded: Gaussian clusters of
about 13 points under a power-law spectrum plus a shared offset, whose statistics match
real MiniLM embeddings of the 1,718 miniF2F/ProofNet statements in ../shared/datasets
(`--calibrate` prints both): mean pairwise cosine 0.15 (real 0.14), nearest-neighbour
cosine 0.70 (0.72), 10th neighbour 0.56 (0.55), 135 principal directions for 90% of the
variance (117). Uniform noise on the sphere would be far harder than real text, clusters
of duplicates far easier.

For each size: build the exact index (flat) and HNSW with the workbench's parameters; time
single queries (p50/p99), batched queries, single queries under the accessibility filter
(half the premises visible); recall@10 against exact search; serialized index size; then
HNSW's recall and latency for other efSearch values. `default` marks the kind
`--kind auto` picks for that size.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

# `python bench/retrieval.py` puts bench/ first on sys.path, where `retrieval` would be this
# script rather than the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from retrieval.index import (  # noqa: E402
    IndexKind,
    IndexParams,
    build_faiss,
    resolve_kind,
    search,
)

DIMENSION = 384
K = 10
DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def synthetic(count: int, seed: int) -> np.ndarray:
    """`count` unit vectors shaped like MiniLM embeddings of Lean text (see the docstring)."""
    rng = np.random.default_rng(seed)
    spectrum = np.arange(1, DIMENSION + 1, dtype=np.float32) ** -0.5
    spectrum /= np.sqrt(np.mean(spectrum**2))
    rotation = np.linalg.qr(rng.standard_normal((DIMENSION, DIMENSION)))[0].astype(np.float32)
    centres = rng.standard_normal((max(1, count // 13), DIMENSION)).astype(np.float32)
    points = centres[rng.integers(0, len(centres), count)]
    points += 0.95 * rng.standard_normal((count, DIMENSION)).astype(np.float32)
    points = (points * spectrum) @ rotation
    offset = rng.standard_normal(DIMENSION).astype(np.float32)
    points += 0.55 * np.sqrt(DIMENSION) * offset / np.linalg.norm(offset)
    points = np.ascontiguousarray(points, dtype=np.float32)
    faiss.normalize_L2(points)
    return points


def describe(vectors: np.ndarray) -> str:
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -2.0)
    neighbours = -np.sort(-similarity, axis=1)
    others = similarity[~np.eye(len(vectors), dtype=bool)]
    centred = vectors - vectors.mean(axis=0)
    variance = np.linalg.svd(centred, compute_uv=False) ** 2
    directions = int(np.searchsorted(np.cumsum(variance) / variance.sum(), 0.9)) + 1
    return (
        f"mean cosine {others.mean():.3f} (sd {others.std():.3f}), "
        f"nearest {neighbours[:, 0].mean():.3f}, 10th {neighbours[:, 9].mean():.3f}, "
        f"{directions} directions for 90% of the variance"
    )


def calibrate() -> None:
    from retrieval.encoder import load_encoder

    texts = []
    for name in ("minif2f.jsonl", "proofnet.jsonl"):
        path = DATASETS / name
        if not path.is_file():
            print(f"calibration needs {path}, which is absent")
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts += [
                t for t in (record.get("formal_statement"), record.get("informal_statement")) if t
            ]
    real = load_encoder().encode(texts, batch_size=64).vectors
    print(f"real MiniLM, {len(texts)} statements: {describe(real)}")
    print(f"synthetic, {len(texts)} vectors:      {describe(synthetic(len(texts), seed=1))}")


def lean_like_strings(count: int) -> list[str]:
    words = ["add", "mul", "comm", "assoc", "le", "lt", "pow", "sub", "neg", "abs", "sq", "pos"]
    rng = np.random.default_rng(0)
    texts = []
    for i in range(count):
        a, b, c = (words[j] for j in rng.integers(0, len(words), 3))
        texts.append(
            f"{a}_{b}_{c}_{i}\ntheorem {a}_{b}_{c}_{i} [LinearOrderedField α] (x y : α) "
            f"(h : 0 < x) : x ^ {i % 7 + 2} + y ≤ {a} x y * {b} y x\nThe {a} of {b} is {c}."
        )
    return texts


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    ms = np.array(samples_s) * 1e3
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench_encoder(count: int) -> None:
    from retrieval.cache import EmbeddingCache
    from retrieval.encoder import load_encoder

    load_s = timed(load_encoder)
    encoder = load_encoder()
    texts = lean_like_strings(count)
    encoder.encode(texts[:32])  # warm-up
    encode_s = timed(lambda: encoder.encode(texts, batch_size=32))
    query_s = [timed(lambda t=t: encoder.encode([t])) for t in texts[:50]]
    with tempfile.TemporaryDirectory() as scratch:
        cache = EmbeddingCache(Path(scratch))
        cache.embed(encoder, texts)
        cached_s = timed(lambda: cache.embed(encoder, texts))
    print(f"Encoder {encoder.info.model} ({encoder.info.dimension}-d), loaded in {load_s:.1f} s")
    print(
        f"  {count} Lean-like strings, batch 32: {encode_s:.1f} s = {count / encode_s:.0f}/s; "
        f"one query string: p50 {percentiles(query_s)[0]:.1f} ms; "
        f"the same texts again through the embedding cache: {cached_s * 1e3:.0f} ms"
    )


def measure(
    kind: IndexKind, data: np.ndarray, probes: np.ndarray, visible: np.ndarray
) -> tuple[faiss.Index, dict[str, float]]:
    started = time.perf_counter()
    index = build_faiss(data, kind, IndexParams())
    build_s = time.perf_counter() - started
    single = percentiles([timed(lambda q=q: index.search(q[None, :], K)) for q in probes])
    filtered = [timed(lambda q=q: search(index, q[None, :], K, visible)) for q in probes]
    return index, {
        "build_s": build_s,
        "memory_mb": faiss.serialize_index(index).nbytes / 1e6,
        "p50": single[0],
        "p99": single[1],
        "batch_ms": timed(lambda: index.search(probes, K)) / len(probes) * 1e3,
        "filtered_p50": percentiles(filtered)[0],
    }


def recall_at_k(index: faiss.Index, probes: np.ndarray, exact: np.ndarray) -> float:
    _, found = index.search(probes, K)
    return float(np.mean([len(set(f) & set(e)) / K for f, e in zip(found, exact, strict=True)]))


def bench_size(count: int, queries: int) -> None:
    everything = synthetic(count + queries, seed=count)
    data, probes = everything[:count], everything[count:]
    default, reason = resolve_kind(IndexKind.AUTO, count)
    visible = np.zeros(count, dtype=bool)
    visible[::2] = True
    print(f"\n{count:,} premises x {DIMENSION}-d ({reason}); {queries} queries, k={K}")
    print(
        f"  {'kind':16} {'build s':>8} {'memory MB':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'batch ms/q':>10} {'filtered p50':>12} {'recall@10':>9}"
    )
    flat, flat_row = measure(IndexKind.FLAT, data, probes, visible)
    _, exact = flat.search(probes, K)
    hnsw, hnsw_row = measure(IndexKind.HNSW, data, probes, visible)
    for kind, index, row in ((IndexKind.FLAT, flat, flat_row), (IndexKind.HNSW, hnsw, hnsw_row)):
        label = f"{kind.value}{' (default)' if kind is default else ''}"
        print(
            f"  {label:16} {row['build_s']:8.1f} {row['memory_mb']:10.0f} {row['p50']:8.2f} "
            f"{row['p99']:8.2f} {row['batch_ms']:10.3f} {row['filtered_p50']:12.2f} "
            f"{recall_at_k(index, probes, exact):9.3f}"
        )
    chosen = hnsw.hnsw.efSearch
    sweep = []
    for ef in (64, 128, 256, 512):
        hnsw.hnsw.efSearch = ef
        p50 = percentiles([timed(lambda q=q: hnsw.search(q[None, :], K)) for q in probes])[0]
        mark = "*" if ef == chosen else ""
        sweep.append(f"ef {ef}{mark}: {recall_at_k(hnsw, probes, exact):.3f} @ {p50:.2f} ms")
    print("  HNSW efSearch sweep (recall@10 @ p50):", "; ".join(sweep))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 200_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encode", type=int, default=512, help="strings to encode")
    parser.add_argument("--skip-encode", action="store_true")
    parser.add_argument("--calibrate", action="store_true", help="real vs synthetic statistics")
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.threads)
    print(f"threads: {args.threads} (FAISS OpenMP and torch), FAISS {faiss.__version__}")
    if not args.skip_encode or args.calibrate:
        import torch

        torch.set_num_threads(args.threads)
    if args.calibrate:
        calibrate()
    if not args.skip_encode:
        bench_encoder(args.encode)
    for count in args.sizes:
        bench_size(count, args.queries)


if __name__ == "__main__":
    main()
