"""The provenance store: schema, migrations, runs and attempts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from prover.budget import Spent
from prover.graph import migrations
from prover.graph.store import ABANDONED, DONE, RUNNING, Store, StoreError
from prover.protocols import NodeKind
from prover.types import Message, Position, Severity, Theorem, Verdict, VerdictKind

THEOREM = Theorem(
    "add_zero", "import Mathlib", "theorem add_zero (n : ℕ) : n + 0 = n", source="demo"
)


def test_creates_parent_folders_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "leanwb.sqlite"
    with Store(path):
        pass
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    expected = {"runs", "theorems", "attempts", "nodes", "edges", "edge_parents", "premises"}
    assert expected | {"events", "id_blocks"} <= tables


def test_run_rows_record_command_config_and_environment(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        run_id = store.begin_run("leanwb prove x", {"strategy": "bfs", "path": tmp_path}, "prove")
        run = store.run(run_id)
        assert run.command == "leanwb prove x"
        assert run.config == {"strategy": "bfs", "path": str(tmp_path)}
        assert run.kind == "prove" and run.host and run.ended_at is None
        assert run.package_version is not None
        store.end_run(run_id)
        assert store.run(run_id).ended_at is not None
        with pytest.raises(StoreError, match="no run 99"):
            store.end_run(99)
        with pytest.raises(StoreError, match="no run 99"):
            store.begin_attempt(99, THEOREM, "bfs")


def test_attempt_lifecycle_and_verdict(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        run_id = store.begin_run("eval", {}, "eval")
        recorder = store.begin_attempt(run_id, THEOREM, "bfs")
        recorder.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
        (row,) = store.attempts_for_run(run_id)
        assert (row.status, row.verdict, row.theorem_name) == (RUNNING, None, "add_zero")
        message = Message(Severity.INFO, Position(1, 0), None, "'add_zero' depends on axioms")
        verdict = Verdict(
            VerdictKind.PROVED,
            detail="checked",
            axioms=("propext",),
            proof="by simp",
            messages=(message,),
        )
        spent = Spent(lean_calls=4, lean_s=1.5, generator_calls=2, tokens_in=10, tokens_out=3)
        store.finish_attempt(recorder.attempt_id, verdict, spent)
        row = store.attempt(recorder.attempt_id)
        assert row.status == DONE and row.verdict is VerdictKind.PROVED
        assert (row.proof, row.axioms, row.detail) == ("by simp", ("propext",), "checked")
        assert row.spent == spent
        assert row.theorem == THEOREM
        assert recorder.closed  # finishing wrote what the recorder held and closed it
        assert store.run(run_id).proved == 1
        with pytest.raises(StoreError, match="no attempt 42"):
            store.finish_attempt(42, verdict, spent)
        with pytest.raises(StoreError, match="no attempt 42"):
            store.attempt(42)


def test_theorems_are_shared_between_runs(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        for _ in range(2):
            store.begin_attempt(store.begin_run("prove", {}), THEOREM, "bfs")
        changed = Theorem(THEOREM.name, THEOREM.header, "theorem add_zero (n : ℕ) : 0 + n = n")
        store.begin_attempt(store.begin_run("prove", {}), changed, "bfs")
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM theorems").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 3


def test_abandon_running_marks_only_that_runs_unfinished_attempts(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        run_a, run_b = store.begin_run("a", {}), store.begin_run("b", {})
        finished = store.begin_attempt(run_a, THEOREM, "bfs")
        store.finish_attempt(finished.attempt_id, Verdict(VerdictKind.FAILED, "budget"), Spent())
        store.begin_attempt(run_a, THEOREM, "mps")
        store.begin_attempt(run_b, THEOREM, "bfs")
        assert store.abandon_running(run_a) == 1
        assert [(a.strategy, a.status) for a in store.attempts_for_run(run_a)] == [
            ("bfs", DONE),
            ("mps", ABANDONED),
        ]
        assert [a.status for a in store.attempts_for_run(run_b)] == [RUNNING]


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store(path) as store:
        run_id = store.begin_run("prove", {"k": 1})
        recorder = store.begin_attempt(run_id, THEOREM, "bfs")
        recorder.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
        recorder.event("note", "hello")
    with Store(path) as store:
        assert [r.config for r in store.runs()] == [{"k": 1}]
        assert store.attempts_for_run(run_id)[0].status == RUNNING


def test_a_step_added_to_the_migrations_upgrades_an_old_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    with Store(path) as store:
        store.begin_run("prove", {})

    def add_label(conn: Connection) -> None:
        conn.execute(text("ALTER TABLE runs ADD COLUMN label TEXT DEFAULT 'old'"))

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", migrations.SCHEMA_VERSION + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, migrations.SCHEMA_VERSION, add_label)
    with Store(path) as store:
        assert len(store.runs()) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
        assert conn.execute("SELECT label FROM runs").fetchone()[0] == "old"


def test_a_missing_migration_step_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    Store(path).close()
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", migrations.SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="no migration to schema version"):
        Store(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="newer than this leanwb"):
        Store(path)


def test_foreign_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    with pytest.raises(StoreError, match="no leanwb schema version"):
        Store(other)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(StoreError, match="not a usable leanwb database"):
        Store(garbage)
