"""Premise retrieval speed and memory: encoder throughput, index build, query latency.

    python bench/retrieval.py                      # 10k and 200k premises, 2 threads
    python bench/retrieval.py --sizes 10000 --skip-encode

Encoding uses the real all-MiniLM-L6-v2 on Lean-like strings. Index figures use synthetic
clustered unit vectors of the model's dimension (384), so no corpus has to be encoded:
for each size it builds the exact index (flat) and HNSW with the workbench's parameters,
then times single queries (p50/p99), batched queries, a query under the accessibility
filter (half the premises visible), and recall@10 against exact search. `default` marks
the kind `--kind auto` picks for that size.
"""

from __future__ import annotations

import argparse
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


def clustered(count: int, seed: int, clusters: int = 256) -> np.ndarray:
    """Unit vectors around random centres: closer to real embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIMENSION)).astype(np.float32)
    points = centres[rng.integers(0, clusters, count)]
    points = points + 0.8 * rng.standard_normal((count, DIMENSION)).astype(np.float32)
    faiss.normalize_L2(points)
    return points


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
        f"  encode {count} Lean-like strings (batch 32): {encode_s:.1f} s = "
        f"{count / encode_s:.0f} strings/s; one query: p50 {percentiles(query_s)[0]:.1f} ms; "
        f"same corpus again through the cache: {cached_s * 1e3:.0f} ms"
    )


def measure(
    kind: IndexKind, data: np.ndarray, probes: np.ndarray, visible: np.ndarray
) -> dict[str, object]:
    started = time.perf_counter()
    index = build_faiss(data, kind, IndexParams())
    build_s = time.perf_counter() - started
    single = [timed(lambda q=q: index.search(q[None, :], K)) for q in probes]
    filtered = [timed(lambda q=q: search(index, q[None, :], K, visible)) for q in probes]
    return {
        "build_s": build_s,
        "memory_mb": faiss.serialize_index(index).nbytes / 1e6,
        "single": percentiles(single),
        "batch_ms": timed(lambda: index.search(probes, K)) / len(probes) * 1e3,
        "filtered_p50": percentiles(filtered)[0],
        "found": [set(ids.tolist()) for ids, _ in search(index, probes, K, None)],
    }


def bench_size(count: int, queries: int) -> None:
    data = clustered(count, seed=1)
    probes = clustered(queries, seed=2)
    default, reason = resolve_kind(IndexKind.AUTO, count)
    visible = np.zeros(count, dtype=bool)
    visible[::2] = True
    print(f"\n{count:,} premises x {DIMENSION}-d ({reason})")
    print(
        f"  {'kind':16} {'build s':>8} {'memory MB':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'batch ms/q':>10} {'filtered p50':>12} {'recall@10':>9}"
    )
    exact: list[set[int]] = []
    for kind in (IndexKind.FLAT, IndexKind.HNSW):
        row = measure(kind, data, probes, visible)
        found = row["found"]
        assert isinstance(found, list)
        exact = exact or found
        recall = np.mean([len(f & e) / K for f, e in zip(found, exact, strict=True)])
        p50, p99 = row["single"]  # type: ignore[misc]
        label = f"{kind.value}{' (default)' if kind is default else ''}"
        print(
            f"  {label:16} {row['build_s']:8.1f} {row['memory_mb']:10.0f} {p50:8.2f} "
            f"{p99:8.2f} {row['batch_ms']:10.3f} {row['filtered_p50']:12.2f} {recall:9.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encode", type=int, default=512, help="strings to encode")
    parser.add_argument("--skip-encode", action="store_true")
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.threads)
    print(f"threads: {args.threads} (FAISS OpenMP and torch), FAISS {faiss.__version__}")
    if not args.skip_encode:
        import torch

        torch.set_num_threads(args.threads)
        bench_encoder(args.encode)
    for count in args.sizes:
        bench_size(count, args.queries)


if __name__ == "__main__":
    main()
