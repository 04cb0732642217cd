"""Checked answers kept in the store (`check_cache`), so a text checked once costs no Lean
call again: the one cache of `leanwb serve` and of the strategies (through
`ProofContext.checks`, the `prover.protocols.CheckAnswers` this class is).

A key is the SHA-256 of what decides the answer: the Lean pin (toolchain, Mathlib
revision and the REPL command, so the stand-in's answers are never served for Lean's),
the kind of check, the header, the body and the options that change the verdict (the
server's `key`); a strategy's proof checks are keyed by `prover.proof_key` with this
cache's `pin` (identical proofs up to comments and blank space share a key). Only
definitive answers are stored: Lean's reply or the gate's verdict, never a timeout, a
crash or another failure that a second try could change (callers decide what is
definitive).

Answers are also kept in memory (the most recent `memory_entries`), and written to the
database by a background thread in batches: a commit costs milliseconds on a slow disk,
which a request should not wait for. `close` writes what is still queued. The keys in the
database are read once at start, so a miss costs no query; answers another process stores
in the same database meanwhile are not seen (they are checked again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from prover.graph.engine import writer
from prover.graph.models import CheckCacheRow

log = logging.getLogger(__name__)
Answer = dict[str, Any]
_STOP = object()
WRITE_BATCH = 512


class CheckCache:
    def __init__(self, engine: Engine, pin: str, *, memory_entries: int = 100_000) -> None:
        self.pin = pin
        self._engine = engine
        self._writer = writer(engine)
        self._memory: OrderedDict[str, Answer] = OrderedDict()
        self._memory_entries = memory_entries
        self._lock = threading.Lock()
        self._reader: Connection | None = None
        self._reader_lock = threading.Lock()
        with engine.connect() as conn:  # a miss then costs no query (64 bytes a key in memory)
            self._on_disk: set[str] = set(conn.execute(select(CheckCacheRow.key)).scalars())
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._write_loop, name="check-cache", daemon=True)
        self._thread.start()

    def key(self, kind: str, header: str, body: str, options: Mapping[str, Any]) -> str:
        material = json.dumps([self.pin, kind, header, body, dict(options)], sort_keys=True)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def lookup(self, key: str) -> Answer | None:
        """The answer for `key`: from memory, else from the database (blocking I/O) when it
        holds the key, else None (no query)."""
        found = self.remembered([key]).get(key)
        if found is None and self.on_disk([key]):
            found = self.stored([key]).get(key)
        return found

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the stored answers of `keys` not yet in memory, in one query."""
        wanted = self.on_disk(keys)
        held = self.remembered(wanted)
        self.stored(key for key in wanted if key not in held)

    def store(self, key: str, answer: Mapping[str, Any]) -> None:
        self.put_many({key: dict(answer)})

    def remembered(self, keys: Iterable[str]) -> dict[str, Answer]:
        """The answers held in memory (no I/O: callers may run it on the event loop)."""
        found: dict[str, Answer] = {}
        with self._lock:
            for key in keys:
                answer = self._memory.get(key)
                if answer is not None:
                    self._memory.move_to_end(key)
                    found[key] = answer
        return found

    def on_disk(self, keys: Iterable[str]) -> list[str]:
        """Which of `keys` the database held at start or got since (no I/O)."""
        with self._lock:
            return [key for key in dict.fromkeys(keys) if key in self._on_disk]

    def stored(self, keys: Iterable[str]) -> dict[str, Answer]:
        """The answers in the database (blocking I/O), remembered from now on."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        found = self._read(wanted)
        self._remember(found)
        return found

    def put_many(self, answers: Mapping[str, Answer]) -> None:
        if answers:
            self._remember(answers)
            self._queue.put(dict(answers))

    def close(self) -> None:
        """Write what is queued, then stop the writer and the reader connection."""
        self._queue.put(_STOP)
        self._thread.join()
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def _remember(self, answers: Mapping[str, Answer]) -> None:
        with self._lock:
            self._on_disk.update(answers)  # stored, or queued to be
            for key, answer in answers.items():
                self._memory[key] = answer
                self._memory.move_to_end(key)
            while len(self._memory) > self._memory_entries:
                self._memory.popitem(last=False)

    def _read(self, keys: list[str]) -> dict[str, Answer]:
        query = select(CheckCacheRow.key, CheckCacheRow.answer).where(CheckCacheRow.key.in_(keys))
        with self._reader_lock:
            if self._reader is None:
                self._reader = self._engine.connect()
            rows = self._reader.execute(query).all()
            self._reader.rollback()  # end the read transaction: later commits become visible
        return {key: answer for key, answer in rows}

    def _write_loop(self) -> None:
        """Write queued answers in batches, on one connection, until `close` says stop."""
        statement = insert(CheckCacheRow).prefix_with("OR REPLACE")
        with self._writer.connect() as conn:
            stopping = False
            while not stopping:
                batch, stopping = self._next_batch()
                if not batch:
                    continue
                now = time.time()
                rows = [{"key": k, "answer": v, "created_at": now} for k, v in batch.items()]
                try:
                    with conn.begin():
                        conn.execute(statement, rows)
                except SQLAlchemyError as exc:  # the answers stay in memory; a later run rechecks
                    log.warning("could not store %d checked answers: %s", len(rows), exc)

    def _next_batch(self) -> tuple[dict[str, Answer], bool]:
        """What is queued (waiting for the first item), up to WRITE_BATCH; and whether to stop."""
        batch: dict[str, Answer] = {}
        item = self._queue.get()
        while item is not _STOP:
            assert isinstance(item, dict)
            batch.update(item)
            if len(batch) >= WRITE_BATCH:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True
