"""`Store`: the provenance database of runs, attempts and their graphs.

Writes of graph contents go through the `SqlRecorder` that `begin_attempt` returns;
the store itself writes only run and attempt rows, and answers read queries.
"""

from __future__ import annotations

import math
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import distinct, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from prover.budget import Spent
from prover.config import PACKAGE_ROOT
from prover.errors import StoreError
from prover.graph.clip import clip
from prover.graph.engine import open_engine, writer
from prover.graph.migrations import SchemaError, migrate
from prover.graph.models import Attempt, Run, TheoremRow
from prover.graph.recorder import SqlRecorder, recorded_messages
from prover.types import Theorem, Verdict, VerdictKind

RUNNING = "running"
DONE = "done"
ABANDONED = "abandoned"


SQLITE_MAX_INT = 2**63 - 1
MAX_SECONDS = 1e12  # far beyond any run, and exact in a float


def storable_spent(spent: Spent) -> Spent:
    """`spent` with every count an integer SQLite can hold and every time finite and
    non-negative: a count reported from outside may be absurd, and must not make the
    attempt's record fail."""

    def fit(value: float | int) -> float | int:
        if isinstance(value, int):
            return min(max(value, 0), SQLITE_MAX_INT)
        return min(max(value, 0.0), MAX_SECONDS) if math.isfinite(value) else 0.0

    return Spent(**{name: fit(value) for name, value in asdict(spent).items()})


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    command: str
    config: dict[str, Any]
    package_version: str | None
    git_revision: str | None
    host: str
    started_at: float
    ended_at: float | None
    attempts: int
    proved: int
    theorem: str | None = None  # the theorem's name when every attempt is on one theorem
    theorems: int = 0  # distinct theorems attempted
    verdict: str | None = None  # the verdict of a run's only attempt


@dataclass(frozen=True)
class AttemptRow:
    id: int
    run_id: int
    theorem: Theorem
    strategy: str
    status: str  # running / done / abandoned
    verdict: VerdictKind | None
    reason: str | None
    detail: str | None
    proof: str | None
    axioms: tuple[str, ...]
    spent: Spent
    started_at: float
    ended_at: float | None

    @property
    def theorem_name(self) -> str:
        return self.theorem.name


def package_version() -> str | None:
    try:
        return metadata.version("lean-workbench")
    except metadata.PackageNotFoundError:
        return None


def git_revision(root: Path = PACKAGE_ROOT) -> str | None:
    """The commit the workbench runs from, when it runs from a git checkout."""
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


class Store:
    """Opens (creating and migrating as needed) the SQLite database at `path`, in WAL mode."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = open_engine(self.path)
        try:
            migrate(self.engine)
        except (SchemaError, DBAPIError) as exc:
            self.engine.dispose()
            detail = exc.orig if isinstance(exc, DBAPIError) else exc
            raise StoreError(f"{self.path} is not a usable leanwb database: {detail}") from exc
        self._writer = writer(self.engine)
        self._recorders: dict[int, SqlRecorder] = {}

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for recorder in list(self._recorders.values()):
            recorder.close()
        self._recorders.clear()
        self.engine.dispose()

    # ---- writes -------------------------------------------------------------------

    def begin_run(self, command: str, config: Mapping[str, Any], kind: str = "prove") -> int:
        row = {
            "kind": kind,
            "command": command,
            "config": dict(config),
            "package_version": package_version(),
            "git_revision": git_revision(),
            "host": socket.gethostname(),
            "started_at": time.time(),
        }
        with self._writer.begin() as conn:
            return int(conn.execute(insert(Run).returning(Run.id), row).scalar_one())

    def end_run(self, run_id: int) -> None:
        with self._writer.begin() as conn:
            done = conn.execute(update(Run).where(Run.id == run_id).values(ended_at=time.time()))
        if done.rowcount == 0:
            raise StoreError(f"there is no run {run_id}")

    def begin_attempt(self, run_id: int, theorem: Theorem, strategy: str) -> SqlRecorder:
        with self._writer.begin() as conn:
            if conn.scalar(select(Run.id).where(Run.id == run_id)) is None:
                raise StoreError(f"there is no run {run_id}")
            theorem_id = conn.scalar(
                select(TheoremRow.id).where(
                    TheoremRow.name == theorem.name,
                    TheoremRow.statement_hash == theorem.statement_hash,
                )
            )
            if theorem_id is None:
                theorem_id = conn.execute(
                    insert(TheoremRow).returning(TheoremRow.id),
                    {
                        "name": theorem.name,
                        "source": theorem.source,
                        "header": theorem.header,
                        "statement": theorem.statement,
                        "statement_hash": theorem.statement_hash,
                        "informal_statement": theorem.informal_statement,
                        "informal_proof": theorem.informal_proof,
                    },
                ).scalar_one()
            attempt_id = conn.execute(
                insert(Attempt).returning(Attempt.id),
                {
                    "run_id": run_id,
                    "theorem_id": theorem_id,
                    "strategy": strategy,
                    "status": RUNNING,
                    "axioms": [],
                    "messages": [],
                    "started_at": time.time(),
                },
            ).scalar_one()
        recorder = SqlRecorder(self.engine, run_id, int(attempt_id))
        self._recorders[recorder.attempt_id] = recorder
        return recorder

    def finish_attempt(self, attempt_id: int, verdict: Verdict, spent: Spent) -> None:
        """Write what the attempt's recorder holds, then its verdict, proof and cost."""
        recorder = self._recorders.pop(attempt_id, None)
        if recorder is not None:
            recorder.close()
        values = {
            "status": DONE,
            "verdict": verdict.kind.value,
            "reason": verdict.reason,
            "detail": clip(verdict.detail),
            "proof": verdict.proof,
            "axioms": list(verdict.axioms),
            "messages": recorded_messages(verdict.messages),
            "ended_at": time.time(),
            **storable_spent(spent).as_dict(),
        }
        with self._writer.begin() as conn:
            done = conn.execute(update(Attempt).where(Attempt.id == attempt_id).values(**values))
        if done.rowcount == 0:
            raise StoreError(f"there is no attempt {attempt_id}")

    def abandon_running(self, run_id: int) -> int:
        """Mark the run's attempts still `running` (their process died) as abandoned."""
        with self._writer.begin() as conn:
            done = conn.execute(
                update(Attempt)
                .where(Attempt.run_id == run_id, Attempt.status == RUNNING)
                .values(status=ABANDONED, ended_at=time.time())
            )
        return int(done.rowcount)

    # ---- reads --------------------------------------------------------------------

    def runs(self) -> list[RunRow]:
        return self._run_rows(None)

    def run(self, run_id: int) -> RunRow:
        rows = self._run_rows(run_id)
        if not rows:
            raise StoreError(f"there is no run {run_id} in {self.path}")
        return rows[0]

    def attempts_for_run(self, run_id: int) -> list[AttemptRow]:
        return self._attempt_rows(Attempt.run_id == run_id)

    def attempt(self, attempt_id: int) -> AttemptRow:
        rows = self._attempt_rows(Attempt.id == attempt_id)
        if not rows:
            raise StoreError(f"there is no attempt {attempt_id} in {self.path}")
        return rows[0]

    def _run_rows(self, run_id: int | None) -> list[RunRow]:
        counts = (
            select(
                Attempt.run_id,
                func.count().label("attempts"),
                func.count().filter(Attempt.verdict == VerdictKind.PROVED.value).label("proved"),
                func.count(distinct(Attempt.theorem_id)).label("theorems"),
                func.min(TheoremRow.name).label("theorem"),
                func.min(Attempt.verdict).label("verdict"),
            )
            .join(TheoremRow, TheoremRow.id == Attempt.theorem_id)
            .group_by(Attempt.run_id)
            .subquery()
        )
        query = (
            select(
                Run,
                counts.c.attempts,
                counts.c.proved,
                counts.c.theorems,
                counts.c.theorem,
                counts.c.verdict,
            )
            .outerjoin(counts, counts.c.run_id == Run.id)
            .order_by(Run.id)
        )
        if run_id is not None:
            query = query.where(Run.id == run_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            RunRow(
                id=row.id,
                kind=row.kind,
                command=row.command,
                config=row.config,
                package_version=row.package_version,
                git_revision=row.git_revision,
                host=row.host,
                started_at=row.started_at,
                ended_at=row.ended_at,
                attempts=row.attempts or 0,
                proved=row.proved or 0,
                theorem=row.theorem if row.theorems == 1 else None,
                theorems=row.theorems or 0,
                verdict=row.verdict if row.attempts == 1 else None,
            )
            for row in rows
        ]

    def _attempt_rows(self, where: Any) -> list[AttemptRow]:
        query = (
            select(
                Attempt,
                TheoremRow.name,
                TheoremRow.header,
                TheoremRow.statement,
                TheoremRow.informal_statement,
                TheoremRow.informal_proof,
                TheoremRow.source,
            )
            .join(TheoremRow, TheoremRow.id == Attempt.theorem_id)
            .where(where)
            .order_by(Attempt.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_attempt_row(row) for row in rows]


def _attempt_row(row: Any) -> AttemptRow:
    return AttemptRow(
        id=row.id,
        run_id=row.run_id,
        theorem=Theorem(
            name=row.name,
            header=row.header,
            statement=row.statement,
            informal_statement=row.informal_statement,
            informal_proof=row.informal_proof,
            source=row.source,
        ),
        strategy=row.strategy,
        status=row.status,
        verdict=VerdictKind(row.verdict) if row.verdict else None,
        reason=row.reason,
        detail=row.detail,
        proof=row.proof,
        axioms=tuple(row.axioms or ()),
        spent=Spent(
            lean_calls=row.lean_calls,
            lean_s=row.lean_s,
            generator_calls=row.generator_calls,
            tokens_in=row.tokens_in,
            tokens_out=row.tokens_out,
            expansions=row.expansions,
            wall_s=row.wall_s,
        ),
        started_at=row.started_at,
        ended_at=row.ended_at,
    )
