"""The eval results table: one final result per problem, even with racing writers."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from prover.budget import Spent
from prover.eval.datasets import Problem
from prover.eval.results import (
    ProblemOutcome,
    ProblemResult,
    commit_result,
    ensure_schema,
    final_results,
    pending_problems,
    register_problems,
    run_counts,
)
from prover.graph.store import Store
from prover.types import Theorem, Verdict, VerdictKind


def problems(count: int) -> list[Problem]:
    return [
        Problem(
            key=f"p{i}",
            split="test",
            category="algebra" if i % 2 else "induction",
            theorem=Theorem(f"p{i}", "", f"theorem p{i} : {i} = {i}"),
        )
        for i in range(count)
    ]


def new_run(db: Path, count: int) -> int:
    with Store(db) as store:
        ensure_schema(store.engine)
        run_id = store.begin_run("test", {"limits": {}}, kind="eval")
        register_problems(store.engine, run_id, problems(count))
    return run_id


def result(problem: Problem, attempt_id: int, worker: str, proved: bool) -> ProblemResult:
    return ProblemResult(
        key=problem.key,
        split=problem.split,
        category=problem.category,
        outcome=ProblemOutcome.PROVED if proved else ProblemOutcome.FAILED,
        reason=None if proved else "search_exhausted",
        detail="",
        attempt_id=attempt_id,
        spent=Spent(lean_calls=3, lean_s=0.5, tokens_in=7, tokens_out=5, wall_s=1.0),
        worker=worker,
    )


def race(db: Path, run_id: int, worker: str, count: int, wins: multiprocessing.Queue) -> None:
    """What a worker does per problem: attempt, finish, commit; every worker tries all."""
    won = 0
    with Store(db) as store:
        for problem in problems(count):
            recorder = store.begin_attempt(run_id, problem.theorem, "bfs")
            verdict = Verdict(VerdictKind.PROVED, proof="rfl")
            store.finish_attempt(recorder.attempt_id, verdict, Spent(lean_calls=1))
            won += commit_result(
                store.engine, run_id, result(problem, recorder.attempt_id, worker, True)
            )
    wins.put(won)


def test_commit_is_once_per_problem(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    run_id = new_run(db, 3)
    with Store(db) as store:
        first, second = problems(3)[:2]
        attempt = store.begin_attempt(run_id, first.theorem, "bfs").attempt_id
        assert commit_result(store.engine, run_id, result(first, attempt, "w0", True))
        assert not commit_result(store.engine, run_id, result(first, attempt, "w1", False))
        assert commit_result(store.engine, run_id, result(second, attempt, "w0", False))
        finals = final_results(store.engine, run_id)
        assert [(r.key, r.outcome, r.worker) for r in finals] == [
            ("p0", ProblemOutcome.PROVED, "w0"),
            ("p1", ProblemOutcome.FAILED, "w0"),
        ]
        assert finals[1].reason == "search_exhausted" and finals[1].tokens == 12
        assert [p.key for p in pending_problems(store.engine, run_id)] == ["p2"]
        counts = run_counts(store.engine, run_id)
        assert (counts.total, counts.done, counts.proved, counts.lean_calls) == (3, 2, 1, 6)
        assert counts.tokens == 24


def test_four_racing_writers_leave_exactly_one_result_each(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    count = 25
    run_id = new_run(db, count)
    context = multiprocessing.get_context("fork")  # cheap to start; each opens its own Store
    wins = context.Queue()
    workers = [
        context.Process(target=race, args=(db, run_id, f"w{i}", count, wins)) for i in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sum(wins.get(timeout=5) for _ in workers) == count
    with Store(db) as store:
        finals = final_results(store.engine, run_id)
        attempts = store.attempts_for_run(run_id)
    assert sorted(r.key for r in finals) == sorted(p.key for p in problems(count))
    assert len(attempts) == 4 * count  # every attempt was recorded; only one per problem counts
    assert all(a.status == "done" for a in attempts)
