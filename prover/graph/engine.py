"""The SQLite engine every part of the store shares: WAL, real transactions, foreign keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.pool import NullPool

BUSY_TIMEOUT_MS = 30_000
# Execution option marking a connection whose transactions write: they start with
# BEGIN IMMEDIATE, so two writers queue on the lock instead of failing to upgrade it.
WRITE_OPTION = "leanwb_write"


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def open_engine(path: Path) -> Engine:
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
        json_serializer=json_dumps,
        # A connection per checkout: each recorder holds one for its attempt, and a
        # fixed-size pool would make the sixteenth concurrent attempt wait.
        poolclass=NullPool,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module (it would not BEGIN before DDL)
        # and give it to SQLAlchemy, which emits BEGIN in `_begin` below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(
            "PRAGMA synchronous=NORMAL"
        )  # WAL + NORMAL: a killed process loses nothing committed
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, with transactions that take the write lock up front."""
    return engine.execution_options(**{WRITE_OPTION: True})
