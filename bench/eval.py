"""Eval throughput on the stand-in REPL: problems per minute with 1 and 2 workers.

    python bench/eval.py [--problems 24] [--strategy bfs] [--budget-s 2] [--repl-cmd CMD]

The same problem set (a third provable in a few steps, a third false so each runs
its whole budget, a third whose statement does not elaborate) is evaluated twice,
each time into a fresh database, with 1 and with 2 local worker processes. The
wall time includes starting the workers and their REPLs, as a user sees it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

from prover.budget import Limits
from prover.config import load_settings
from prover.eval.batch import DatasetChoice, RunPlan, execute, start_run
from prover.eval.datasets import load_jsonl
from prover.eval.results import run_counts
from prover.graph.store import Store
from prover.session import SessionOptions

REPO = Path(__file__).resolve().parent.parent
STANDIN = shlex.join([sys.executable, str(REPO / "tests" / "standin" / "repl.py")])


def problem_rows(count: int) -> list[dict[str, str]]:
    rows = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            statement = f"theorem ok{i} (x : ℕ) (h : x = {i}) : x + 2 = {i + 2} := by\n"
        elif kind == 1:
            statement = f"theorem no{i} (x : ℕ) : x + {i + 1} = x := by\n"
        else:
            statement = f"theorem bad{i} : undefined_constant_{i} = 0 := by\n"
        rows.append({"name": f"p{i}", "split": "test", "header": "", "formal_statement": statement})
    return rows


def measure(path: Path, workers: int, plan: RunPlan, repl_cmd: str) -> tuple[float, int, int]:
    """(wall seconds, problems finished, problems proved) for one fresh run."""
    with tempfile.TemporaryDirectory(prefix="leanwb-bench-eval-") as tmp:
        settings = load_settings(repl_cmd=repl_cmd, db=Path(tmp) / "bench.sqlite")
        choice = DatasetChoice("bench", load_jsonl(path), None, False, None)
        with Store(settings.db_path) as store:
            job, problems = start_run(store, settings, choice, plan, "bench/eval.py", workers)
            started = time.perf_counter()
            execute(job, problems, workers, lambda result: None)
            elapsed = time.perf_counter() - started
            counts = run_counts(store.engine, job.run_id)
    return elapsed, counts.done, counts.proved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=24)
    parser.add_argument("--strategy", default="bfs")
    parser.add_argument("--budget-s", type=float, default=2.0, help="wall budget per problem")
    parser.add_argument("--repl-cmd", default=STANDIN)
    args = parser.parse_args()
    plan = RunPlan(
        strategy=args.strategy,
        session=SessionOptions(limits=Limits(wall_s=args.budget_s)),
    )
    with tempfile.TemporaryDirectory(prefix="leanwb-bench-set-") as tmp:
        path = Path(tmp) / "problems.jsonl"
        path.write_text(
            "".join(json.dumps(row) + "\n" for row in problem_rows(args.problems)),
            encoding="utf-8",
        )
        figures = {n: measure(path, n, plan, args.repl_cmd) for n in (1, 2)}
    print(
        f"{args.problems} problems, strategy {args.strategy}, {args.budget_s:g} s per problem, "
        "stand-in REPL"
    )
    print(f"{'workers':>8} {'wall s':>8} {'done':>5} {'proved':>7} {'problems/min':>13}")
    for workers, (elapsed, done, proved) in figures.items():
        print(f"{workers:>8} {elapsed:>8.2f} {done:>5} {proved:>7} {60 * done / elapsed:>13.1f}")
    one, two = figures[1][0], figures[2][0]
    print(f"speed-up with 2 workers: {one / two:.2f}x")


if __name__ == "__main__":
    main()
