"""Proof checks kept in the store (`check_cache`), so identical text is checked once.

Keys come from `prover.proof_key` (Lean pin, header, statement, normalised body); the
answer is what the check decided (a verdict as a dict). Callers store only definitive
answers: Lean's verdict or the gate's, never a timeout or a crash that a second try
could change. Reads hit memory first; a key not seen in this process is looked up once
in the database, so a rerun, or another strategy with the same database, pays nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, insert, select

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
        self.hits = 0
        self.misses = 0

    def lookup(self, key: str) -> Mapping[str, Any] | None:
        with self._lock:
            found = self._memory.get(key)
        if found is None:
            query = select(CheckCacheRow.answer).where(CheckCacheRow.key == key)
            with self._engine.connect() as conn:
                found = conn.execute(query).scalar_one_or_none()
            if found is not None:
                with self._lock:
                    self._memory[key] = found
        with self._lock:
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
        return found

    def store(self, key: str, answer: Mapping[str, Any]) -> None:
        row = {"key": key, "answer": dict(answer), "created_at": time.time()}
        with self._lock:
            self._memory[key] = row["answer"]
        with self._writer.begin() as conn:
            conn.execute(insert(CheckCacheRow).prefix_with("OR REPLACE"), [row])
