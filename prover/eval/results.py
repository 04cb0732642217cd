"""The problems of an eval run and their final results, in the run's database.

`eval_problems` holds one row per (run, problem), written when the run starts. A
row is `pending` until a worker claims it, `claimed` while that worker proves it, and
`final` once the worker commits its result. Claim and commit are single guarded
UPDATEs (`... WHERE status = 'pending'`; `... WHERE claimed_by = <me>`), so however
many workers of however many processes (two `--resume` of one run at once) race on
a problem, one of them proves it and exactly one final result lands.

A claim names its owner (`host:pid:process start time`). Resume redoes the rows
still pending, after releasing the claims of owners that are gone (a killed run):
an owner on this host is checked for life; one on another host cannot be and is
released (SQLite must be on a disk local to every worker, so there should be none).

The table lives beside the provenance tables (same SQLite file, same engine) and
links each result to the attempt whose graph explains it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psutil
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    or_,
    select,
    update,
)

from prover.budget import Spent
from prover.eval.datasets import Problem
from prover.graph.clip import clip
from prover.graph.engine import writer
from prover.graph.models import Attempt, Run
from prover.graph.store import storable_spent

metadata = MetaData()

eval_problems = Table(
    "eval_problems",
    metadata,
    Column("run_id", Integer, ForeignKey(Run.__table__.c.id), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("split", String(32), nullable=False),
    Column("category", String(64), nullable=False),
    Column("problem", JSON, nullable=False),
    Column("status", String(8), nullable=False, default="pending"),
    Column("outcome", String(16)),
    Column("reason", Text),
    Column("detail", Text),
    Column("attempt_id", Integer, ForeignKey(Attempt.__table__.c.id)),
    Column("lean_calls", Integer),
    Column("lean_s", Float),
    Column("generator_calls", Integer),
    Column("tokens_in", Integer),
    Column("tokens_out", Integer),
    Column("expansions", Integer),
    Column("wall_s", Float),
    Column("worker", String(64)),
    Column("finished_at", Float),
    Column("samples", JSON),  # the sample strategy's account (`SampleReport.as_dict`)
    Column("claimed_by", String(128)),
    Column("claimed_at", Float),
)

PENDING = "pending"
CLAIMED = "claimed"
FINAL = "final"

INTERNAL_ERROR = "internal_error"
# Failures of what the prover stands on, not of the prover: reported apart, left out of
# the pass rate, redone by a resume, and a run stops after too many in a row.
INFRASTRUCTURE_REASONS = frozenset({"generator_error", INTERNAL_ERROR})


class ProblemOutcome(StrEnum):
    PROVED = "proved"
    FAILED = "failed"  # the prover did not prove it within budget (or was refused by the gate)
    STATEMENT_ERROR = "statement_error"  # no longer elaborates: not the prover's fault


@dataclass(frozen=True)
class ProblemResult:
    """The final result of one problem, as committed and as reported."""

    key: str
    split: str
    category: str
    outcome: ProblemOutcome
    reason: str | None
    detail: str
    attempt_id: int | None
    spent: Spent
    worker: str
    position: int = 0
    finished_at: float = 0.0
    samples: dict[str, Any] | None = None  # whole-proof samples: n, correct, per mode

    @property
    def tokens(self) -> int:
        return self.spent.tokens_in + self.spent.tokens_out

    @property
    def infrastructure_failure(self) -> bool:
        return self.outcome is ProblemOutcome.FAILED and self.reason in INFRASTRUCTURE_REASONS


def ensure_schema(engine: Engine) -> None:
    """Create the table if missing (after the provenance schema, which it references),
    and add the columns a table made by an older leanwb lacks."""
    with writer(engine).begin() as conn:
        eval_problems.create(conn, checkfirst=True)
        present = {c["name"] for c in inspect(conn).get_columns(eval_problems.name)}
        for column in eval_problems.columns:
            if column.name not in present:
                kind = column.type.compile(conn.dialect)
                conn.exec_driver_sql(
                    f"ALTER TABLE {eval_problems.name} ADD COLUMN {column.name} {kind}"
                )


def claim_owner() -> str:
    """This process as a claim's owner: host, pid and start time (pids are reused)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{psutil.Process(pid).create_time():.3f}"


def owner_alive(owner: str) -> bool:
    """Whether the process that made a claim still runs (False for another host's)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return False
    _, pid, started = parts
    try:
        process = psutil.Process(int(pid))
        alive = process.status() != psutil.STATUS_ZOMBIE
        return alive and f"{process.create_time():.3f}" == started
    except (ValueError, psutil.Error):
        return False


def claim_problem(engine: Engine, run_id: int, key: str, owner: str) -> bool:
    """Take the pending problem `key` for `owner`; False if another has it or it is done."""
    statement = (
        update(eval_problems)
        .where(
            eval_problems.c.run_id == run_id,
            eval_problems.c.key == key,
            eval_problems.c.status == PENDING,
        )
        .values(status=CLAIMED, claimed_by=owner, claimed_at=time.time())
    )
    with writer(engine).begin() as conn:
        return conn.execute(statement).rowcount == 1


def release_claim(engine: Engine, run_id: int, key: str, owner: str) -> None:
    """Give a claimed problem back (its attempt was cut short), for another worker or resume."""
    _release(engine, run_id, [key], owner)


def _release(engine: Engine, run_id: int, keys: Iterable[str], owner: str | None) -> int:
    c = eval_problems.c
    statement = (
        update(eval_problems)
        .where(c.run_id == run_id, c.key.in_(list(keys)), c.status == CLAIMED)
        .values(status=PENDING, claimed_by=None, claimed_at=None)
    )
    if owner is not None:
        statement = statement.where(c.claimed_by == owner)
    with writer(engine).begin() as conn:
        return int(conn.execute(statement).rowcount)


def _claims(engine: Engine, run_id: int) -> list[tuple[str, bool]]:
    """(key, whether its owner is alive) of each claimed problem of the run."""
    query = select(eval_problems.c.key, eval_problems.c.claimed_by).where(
        eval_problems.c.run_id == run_id, eval_problems.c.status == CLAIMED
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [(row.key, owner_alive(row.claimed_by or "")) for row in rows]


def release_stale_claims(engine: Engine, run_id: int) -> int:
    """Make the problems claimed by owners that are gone pending again; returns how many."""
    stale = [key for key, alive in _claims(engine, run_id) if not alive]
    return _release(engine, run_id, stale, None) if stale else 0


def stranded(engine: Engine, run_id: int) -> int:
    """Problems of the run that nobody is proving and that have no final result: pending,
    or claimed by a worker that is gone. (Problems a live worker of another process holds,
    e.g. another resume of the same run, are not stranded: it commits them.)"""
    query = select(func.count()).where(
        eval_problems.c.run_id == run_id, eval_problems.c.status == PENDING
    )
    with engine.connect() as conn:
        pending = int(conn.execute(query).scalar_one())
    return pending + sum(not alive for _, alive in _claims(engine, run_id))


def reopen_results(engine: Engine, run_id: int, reasons: Iterable[str]) -> int:
    """Make the final results whose reason code is one of `reasons` pending again (their
    failures were the infrastructure's, not the prover's); returns how many."""
    c = eval_problems.c
    statement = (
        update(eval_problems)
        .where(c.run_id == run_id, c.status == FINAL, c.reason.in_(list(reasons)))
        .values(status=PENDING, claimed_by=None, claimed_at=None)
    )
    with writer(engine).begin() as conn:
        return int(conn.execute(statement).rowcount)


def register_problems(engine: Engine, run_id: int, problems: Sequence[Problem]) -> None:
    rows = [
        {
            "run_id": run_id,
            "key": p.key,
            "position": i,
            "split": p.split,
            "category": p.category,
            "problem": p.as_dict(),
            "status": PENDING,
        }
        for i, p in enumerate(problems)
    ]
    with writer(engine).begin() as conn:
        conn.execute(eval_problems.insert(), rows)


def record_config(engine: Engine, run_id: int, config: dict[str, Any]) -> None:
    """Replace the run's recorded configuration (a resumed run that changed its workers)."""
    with writer(engine).begin() as conn:
        conn.execute(update(Run).where(Run.id == run_id).values(config=config))


def pending_problems(engine: Engine, run_id: int) -> list[Problem]:
    query = (
        select(eval_problems.c.problem)
        .where(eval_problems.c.run_id == run_id, eval_problems.c.status == PENDING)
        .order_by(eval_problems.c.position)
    )
    with engine.connect() as conn:
        return [Problem.from_dict(row.problem) for row in conn.execute(query)]


def commit_result(
    engine: Engine, run_id: int, result: ProblemResult, owner: str | None = None
) -> bool:
    """Record `result` as the problem's final result, if it is pending or claimed by
    `owner`; False if another worker has it or a final result was already recorded."""
    spent = storable_spent(result.spent)
    c = eval_problems.c
    mine = c.status == PENDING
    if owner is not None:
        mine = or_(mine, (c.status == CLAIMED) & (c.claimed_by == owner))
    statement = (
        update(eval_problems)
        .where(c.run_id == run_id, c.key == result.key, mine)
        .values(
            status=FINAL,
            outcome=result.outcome.value,
            reason=result.reason,
            detail=clip(result.detail),
            attempt_id=result.attempt_id,
            lean_calls=spent.lean_calls,
            lean_s=spent.lean_s,
            generator_calls=spent.generator_calls,
            tokens_in=spent.tokens_in,
            tokens_out=spent.tokens_out,
            expansions=spent.expansions,
            wall_s=spent.wall_s,
            worker=result.worker,
            samples=result.samples,
            finished_at=time.time(),
            claimed_by=None,
            claimed_at=None,
        )
    )
    with writer(engine).begin() as conn:
        return conn.execute(statement).rowcount == 1


def _result(row: Any) -> ProblemResult:
    return ProblemResult(
        key=row.key,
        split=row.split,
        category=row.category,
        outcome=ProblemOutcome(row.outcome),
        reason=row.reason,
        detail=row.detail or "",
        attempt_id=row.attempt_id,
        spent=Spent(
            lean_calls=row.lean_calls or 0,
            lean_s=row.lean_s or 0.0,
            generator_calls=row.generator_calls or 0,
            tokens_in=row.tokens_in or 0,
            tokens_out=row.tokens_out or 0,
            expansions=row.expansions or 0,
            wall_s=row.wall_s or 0.0,
        ),
        worker=row.worker or "",
        position=row.position,
        finished_at=row.finished_at or 0.0,
        samples=row.samples,
    )


def final_results(engine: Engine, run_id: int) -> list[ProblemResult]:
    query = (
        select(eval_problems)
        .where(eval_problems.c.run_id == run_id, eval_problems.c.status == FINAL)
        .order_by(eval_problems.c.position)
    )
    with engine.connect() as conn:
        return [_result(row) for row in conn.execute(query)]


@dataclass(frozen=True)
class RunCounts:
    total: int
    done: int
    proved: int
    statement_errors: int
    lean_calls: int
    tokens: int
    infrastructure_failures: int = 0  # left out of the pass rate, as in the summary


def run_counts(engine: Engine, run_id: int) -> RunCounts:
    """Totals for a progress line, in one cheap query."""
    c = eval_problems.c
    final = c.status == FINAL
    query = select(
        func.count(),
        func.count().filter(final),
        func.count().filter(c.outcome == ProblemOutcome.PROVED.value),
        func.count().filter(c.outcome == ProblemOutcome.STATEMENT_ERROR.value),
        func.coalesce(func.sum(c.lean_calls), 0),
        func.coalesce(func.sum(c.tokens_in + c.tokens_out), 0),
        func.count().filter(
            c.outcome == ProblemOutcome.FAILED.value,
            c.reason.in_(sorted(INFRASTRUCTURE_REASONS)),
        ),
    ).where(c.run_id == run_id)
    with engine.connect() as conn:
        row = conn.execute(query).one()
    return RunCounts(*(int(v) for v in row))


def eval_run_ids(engine: Engine) -> list[int]:
    """The ids of the eval runs; none in a database that never held one."""
    query = select(eval_problems.c.run_id).distinct().order_by(eval_problems.c.run_id)
    with engine.connect() as conn:
        if not inspect(conn).has_table(eval_problems.name):
            return []
        return [int(r) for r in conn.execute(query).scalars()]
