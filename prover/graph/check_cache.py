"""Proof checks kept in the store (`check_cache`), so identical text is checked once.

Keys come from `prover.proof_key` (Lean pin, header, statement, normalised body); the
answer is what the check decided (a verdict as a dict). Callers store only definitive
answers: Lean's verdict or the gate's, never a timeout or a crash that a second try
could change. The keys in the database are read once at start, so a miss costs no
query; a hit not yet in memory costs one query on a connection kept open; a rerun, or
another strategy with the same database, pays no Lean call. (Answers another process
stores meanwhile are not seen: their texts are checked again.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from prover.graph.engine import writer
from prover.graph.models import CheckCacheRow


class StoredCheckCache:
    """A `prover.protocols.CheckCache` on the store's engine; thread-safe."""

    def __init__(self, engine: Engine, pin: str) -> None:
        self.pin = pin  # the Lean (toolchain, Mathlib, REPL command) the answers hold for
        self._engine = engine
        self._writer = writer(engine)
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        with engine.connect() as conn:
            self._on_disk = set(conn.execute(select(CheckCacheRow.key)).scalars())
        self._reader: Connection | None = None

    def lookup(self, key: str) -> Mapping[str, Any] | None:
        with self._lock:
            found = self._memory.get(key)
            if found is not None or key not in self._on_disk:
                return found
            if self._reader is None:
                self._reader = self._engine.connect()
            query = select(CheckCacheRow.answer).where(CheckCacheRow.key == key)
            found = self._reader.execute(query).scalar_one_or_none()
            self._reader.rollback()  # end the read transaction
            if found is not None:
                self._memory[key] = found
            return found

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def store(self, key: str, answer: Mapping[str, Any]) -> None:
        row = {"key": key, "answer": dict(answer), "created_at": time.time()}
        with self._lock:
            self._memory[key] = row["answer"]
            self._on_disk.add(key)
        with self._writer.begin() as conn:
            conn.execute(insert(CheckCacheRow).prefix_with("OR REPLACE"), [row])
