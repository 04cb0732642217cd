"""Eval throughput on the stand-in REPL: problems per minute with 1 and 2 workers.

    python bench/eval.py [--problems 24] [--lean-latency 0.2] [--budget-s 2] [--repl-cmd CMD]

The same problem set (a third provable, a third false, a third whose statement does
not elaborate) is evaluated twice with the `auto` strategy, each time into a fresh
database, with 1 and with 2 local worker processes. The stand-in answers in
microseconds where Lean takes much longer, so the portfolio's first closer is the
stand-in's `standin_slow S` tactic (the portfolio writes `by <closer>` around each):
every problem whose statement elaborates spends `--lean-latency` seconds inside its
REPL, as it would waiting on Lean.

Printed per worker count: the wall time of the whole run as a user sees it (workers
and their REPLs started included), the seconds until the first result (that start-up),
problems per minute over the whole run and after the first result (steady state), and
the least wall time the simulated latency allows (the elaborating problems' latency
spread over the workers). A run faster than that did not simulate the latency: the
script says so and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from prover.budget import Limits
from prover.config import load_settings
from prover.eval.batch import DatasetChoice, RunPlan, execute, start_run
from prover.eval.datasets import load_jsonl
from prover.eval.results import run_counts
from prover.graph.store import Store
from prover.session import SessionOptions
from prover.strategies.automation import CLOSERS

REPO = Path(__file__).resolve().parent.parent
STANDIN = shlex.join([sys.executable, str(REPO / "tests" / "standin" / "repl.py")])


BROKEN = 2  # every third problem's statement does not elaborate: it never reaches a closer


def problem_rows(count: int) -> list[dict[str, str]]:
    rows = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            statement = f"theorem ok{i} (x : ℕ) (h : x = {i}) : x + 2 = {i + 2} := by\n"
        elif kind == 1:
            statement = f"theorem no{i} (x : ℕ) : x + {i + 1} = x := by\n"
        else:  # BROKEN
            statement = f"theorem bad{i} : undefined_constant_{i} = 0 := by\n"
        rows.append({"name": f"p{i}", "split": "test", "header": "", "formal_statement": statement})
    return rows


@dataclass(frozen=True)
class Figures:
    wall_s: float
    first_s: float
    done: int
    proved: int

    @property
    def per_minute(self) -> float:
        return 60 * self.done / self.wall_s

    @property
    def steady_per_minute(self) -> float:
        return 60 * (self.done - 1) / (self.wall_s - self.first_s)


def measure(path: Path, workers: int, plan: RunPlan, repl_cmd: str) -> Figures:
    """The figures of one fresh run."""
    with tempfile.TemporaryDirectory(prefix="leanwb-bench-eval-") as tmp:
        settings = load_settings(repl_cmd=repl_cmd, db=Path(tmp) / "bench.sqlite")
        choice = DatasetChoice("bench", load_jsonl(path), None, False, None)
        with Store(settings.db_path) as store:
            job, problems = start_run(store, settings, choice, plan, "bench/eval.py", workers)
            arrivals: list[float] = []
            started = time.perf_counter()
            execute(job, problems, workers, lambda result: arrivals.append(time.perf_counter()))
            elapsed = time.perf_counter() - started
            counts = run_counts(store.engine, job.run_id)
    return Figures(elapsed, arrivals[0] - started, counts.done, counts.proved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=24)
    parser.add_argument("--lean-latency", type=float, default=0.2, help="REPL seconds/problem")
    parser.add_argument("--budget-s", type=float, default=2.0, help="wall budget per problem")
    parser.add_argument("--repl-cmd", default=STANDIN)
    args = parser.parse_args()
    closers = [f"standin_slow {args.lean_latency:g}", *CLOSERS]
    plan = RunPlan(
        strategy="auto",
        session=SessionOptions(limits=Limits(wall_s=args.budget_s)),
        strategy_options={"closers": closers},
    )
    with tempfile.TemporaryDirectory(prefix="leanwb-bench-set-") as tmp:
        path = Path(tmp) / "problems.jsonl"
        path.write_text(
            "".join(json.dumps(row) + "\n" for row in problem_rows(args.problems)),
            encoding="utf-8",
        )
        figures = {n: measure(path, n, plan, args.repl_cmd) for n in (1, 2)}
    elaborating = sum(i % 3 != BROKEN for i in range(args.problems))
    floors = {n: math.ceil(elaborating / n) * args.lean_latency for n in figures}
    print(
        f"{args.problems} problems, strategy auto, {args.budget_s:g} s budget and "
        f"{args.lean_latency:g} s of REPL latency per problem that elaborates "
        f"({elaborating}), stand-in REPL"
    )
    print(
        f"{'workers':>8} {'wall s':>7} {'floor s':>8} {'first s':>8} {'done':>5} {'proved':>7} "
        f"{'problems/min':>13} {'after first/min':>16}"
    )
    for workers, f in figures.items():
        print(
            f"{workers:>8} {f.wall_s:>7.2f} {floors[workers]:>8.2f} {f.first_s:>8.2f} "
            f"{f.done:>5} {f.proved:>7} {f.per_minute:>13.1f} {f.steady_per_minute:>16.1f}"
        )
    one, two = figures[1], figures[2]
    print(
        f"speed-up with 2 workers: {one.wall_s / two.wall_s:.2f}x whole run, "
        f"{two.steady_per_minute / one.steady_per_minute:.2f}x after the first result"
    )
    short = [n for n, f in figures.items() if f.wall_s < floors[n]]
    if short:
        sys.exit(
            f"runs with {', '.join(map(str, short))} worker(s) took less than the simulated "
            "latency allows: the latency was not spent"
        )


if __name__ == "__main__":
    main()
