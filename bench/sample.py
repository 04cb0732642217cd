"""Whole-proof checks through the `sample` strategy against the raw bridge. Prints figures.

    python bench/sample.py [--samples N] [--lean-ms MS]

A batch of N samples (N/2 distinct proofs, each written twice, a quarter of them wrong)
from an instant in-process model, on the stand-in REPL with a pool of 1 and of 2
processes:

1. raw bridge: the soundness gate (`prover.verify.verify`) on each distinct proof, one
   thread per process, nothing recorded, no cache;
2. sample, cache cold: `SampleStrategy.attempt` with `all_samples`, recording every
   sample in a fresh database (dedup inside the batch, answers stored);
3. sample, cache warm: the same batch again as a rerun would (a new cache object on the
   same database): every answer comes from the cache;
4. the check path alone (`prover.strategies.checked.gate` on each sample, no graph
   recorded), cache cold and warm: what the cache itself saves.

The stand-in answers a check in well under a millisecond, so its wall times show the
workbench's own cost; `--lean-ms` adds that many milliseconds to every check (a sleep in
the Lean wrapper) to show what a repeated batch costs when checks take real Lean's time.
The cache's target: a repeated batch costs less than 5% of the first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prover.config import LeanSettings
from prover.generate.llm import Completion, Prompt
from prover.generate.registry import make_generator
from prover.graph.check_cache import CheckCache
from prover.graph.store import Store
from prover.lean import LeanServer
from prover.protocols import Lean
from prover.strategies.attempt import statement_node
from prover.strategies.base import ProofContext
from prover.strategies.checked import MeteredLean, gate
from prover.strategies.sample import SampleStrategy
from prover.types import CheckResult, ProofState, StartResult, TacticResult, Theorem, Usage
from prover.verify import verify

REPO = Path(__file__).resolve().parent.parent
STANDIN = (sys.executable, str(REPO / "tests" / "standin" / "repl.py"))
STATEMENT = "theorem t (x : ℕ) (h : x = 3) : x + 2 = 5"
THEOREM = Theorem(name="t", header="import Mathlib", statement=STATEMENT)


def bodies(distinct: int) -> list[str]:
    """`distinct` different proofs; every fourth one is wrong."""
    return [
        f"by\n  have h{i} : {i} = {i} := rfl\n  {'simp' if i % 4 == 3 else 'omega'}"
        for i in range(distinct)
    ]


class ScriptedModel:
    """An instant language model that writes the given proofs, in turn."""

    name = "bench:scripted"
    model = "bench"
    settings: tuple[tuple[str, Any], ...] = ()

    def __init__(self, proofs: Sequence[str]) -> None:
        self.replies = [f"```lean4\n{STATEMENT} := {p}\n```" for p in proofs]
        self.usage = Usage()
        self.served = 0

    def complete(self, prompt: Prompt, *, n: int = 1, **_: Any) -> list[Completion]:
        picked = [self.replies[(self.served + i) % len(self.replies)] for i in range(n)]
        self.served += n
        self.usage.calls += 1
        return [Completion(text, None, 0, 1) for text in picked]

    def complete_batch(self, prompts: Sequence[Prompt], **options: Any) -> list[list[Completion]]:
        return [self.complete(p, **options) for p in prompts]


class SlowLean:
    """The pool with `delay_s` added to every check, standing in for Lean's own time."""

    def __init__(self, server: LeanServer, delay_s: float) -> None:
        self.server = server
        self.delay_s = delay_s

    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        time.sleep(self.delay_s)
        return self.server.check(header, body, timeout)

    def start(self, theorem: Theorem, timeout: float | None = None) -> StartResult:
        return self.server.start(theorem, timeout)

    def run_tactic(
        self, state: ProofState, tactic: str, timeout: float | None = None
    ) -> TacticResult:
        return self.server.run_tactic(state, tactic, timeout)


def raw_bridge(lean: Lean, proofs: Sequence[str], threads: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        verdicts = list(pool.map(lambda p: verify(THEOREM, p, lean), proofs))
    assert sum(v.proved for v in verdicts) == len(proofs) - len(proofs) // 4
    return time.perf_counter() - started


def sampled(lean: Lean, store: Store, samples: list[str], workers: int) -> tuple[float, int]:
    """Wall seconds and Lean calls of one sample attempt over `samples`, recorded."""
    cache = CheckCache(store.engine, "bench")
    run_id = store.begin_run("bench/sample.py", {})
    recorder = store.begin_attempt(run_id, THEOREM, "sample")
    ctx = ProofContext(
        lean=lean, generator=make_generator("heuristic"), recorder=recorder, checks=cache
    )
    strategy = SampleStrategy(
        model=ScriptedModel(samples),
        samples=len(samples),
        batch=16,
        all_samples=True,
        workers=workers,
    )
    started = time.perf_counter()
    claim = strategy.attempt(THEOREM, ctx, statement_node(THEOREM, recorder))
    recorder.flush()
    elapsed = time.perf_counter() - started
    cache.close()
    assert claim.proof is not None
    return elapsed, ctx.budget.spent.lean_calls


def gated(lean: Lean, store: Store, samples: list[str], threads: int) -> float:
    """Wall seconds of the gate behind a new cache on `store` for every sample."""
    cache = CheckCache(store.engine, "bench-gate")
    recorder = store.begin_attempt(store.begin_run("bench/sample.py", {}), THEOREM, "gate")
    ctx = ProofContext(
        lean=lean, generator=make_generator("heuristic"), recorder=recorder, checks=cache
    )
    metered = MeteredLean(ctx)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda p: gate(THEOREM, p, ctx, metered), samples))
    elapsed = time.perf_counter() - started
    cache.close()
    return elapsed


def measure(pool_size: int, n: int, delay_s: float) -> None:
    distinct = bodies(n // 2)
    samples = [p for p in distinct for _ in range(2)]
    settings = LeanSettings(repl_cmd=STANDIN, project_dir=REPO, pool_size=pool_size)
    with LeanServer(settings) as server, tempfile.TemporaryDirectory() as folder:
        lean: Lean = SlowLean(server, delay_s) if delay_s else server
        verify(THEOREM, "by omega", server)  # the header, once per process
        raw_s = raw_bridge(lean, distinct, pool_size)
        with Store(Path(folder) / "bench.sqlite") as store:
            cold_s, cold_calls = sampled(lean, store, samples, pool_size)
            warm_s, warm_calls = sampled(lean, store, samples, pool_size)
        with Store(Path(folder) / "gate.sqlite") as store:
            gate_cold_s = gated(lean, store, distinct, pool_size)
            gate_warm_s = gated(lean, store, distinct, pool_size)
    print(
        f"| {pool_size} | {len(distinct) / raw_s:,.0f} | {len(samples) / cold_s:,.0f} "
        f"({cold_calls} Lean calls) | {len(samples) / warm_s:,.0f} ({warm_calls} Lean calls) "
        f"| {100 * warm_s / cold_s:.1f}% | {1000 * gate_cold_s:.0f} ms / "
        f"{1000 * gate_warm_s:.1f} ms = {100 * gate_warm_s / gate_cold_s:.1f}% |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--lean-ms", type=float, default=0.0)
    args = parser.parse_args()
    print(
        f"{args.samples} samples, {args.samples // 2} distinct proofs, "
        f"{args.lean_ms:g} ms added per check"
    )
    print(
        "| processes | raw bridge checks/s | sample, cache cold: samples/s | "
        "sample, cache warm: samples/s | warm / cold wall | check path alone: cold / warm |"
    )
    print("|---|---|---|---|---|---|")
    for pool_size in (1, 2):
        measure(pool_size, args.samples, args.lean_ms / 1000.0)


if __name__ == "__main__":
    main()
