"""A small versioned migrator for the provenance database.

The schema version lives in SQLite's `PRAGMA user_version`. A fresh database is
created from the models and stamped with `SCHEMA_VERSION`; an older one is brought
up to date by running, in order, each step of `MIGRATIONS` above its version, all
in one transaction. When the models change: bump `SCHEMA_VERSION` and add the step
that turns the previous schema into the new one under that number.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, insert, inspect, text

from prover.graph.engine import writer
from prover.graph.models import Base, CheckCacheRow, IdBlock

SCHEMA_VERSION = 2


def _add_check_cache(conn: Connection) -> None:
    CheckCacheRow.__table__.create(conn)


# MIGRATIONS[n] turns a version n-1 database into a version n one.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _add_check_cache}


class SchemaError(RuntimeError):
    """The file is not a provenance database this version of leanwb can use."""


def schema_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def migrate(engine: Engine) -> int:
    """Create or upgrade the schema; returns the version the database is now at."""
    goal = SCHEMA_VERSION
    # Take the write lock up front: processes opening a new file at once then wait their turn.
    with writer(engine).begin() as conn:
        version = schema_version(conn)
        tables = set(inspect(conn).get_table_names())
        if version == 0:
            if tables:
                named = ", ".join(sorted(tables)[:3])
                raise SchemaError(f"it holds tables ({named}…) but no leanwb schema version")
            Base.metadata.create_all(conn)
            conn.execute(insert(IdBlock), [{"name": t, "next_id": 1} for t in ("nodes", "edges")])
            _stamp(conn, goal)
            return goal
        if version > goal:
            raise SchemaError(
                f"its schema version {version} is newer than this leanwb's {goal}; upgrade leanwb"
            )
        for step in range(version + 1, goal + 1):
            if step not in MIGRATIONS:
                raise SchemaError(f"no migration to schema version {step}")
            MIGRATIONS[step](conn)
            _stamp(conn, step)
        return goal


def _stamp(conn: Connection, version: int) -> None:
    conn.execute(text(f"PRAGMA user_version = {int(version)}"))
