"""Checked answers kept in the store (`check_cache`), so a text checked once costs no Lean
call again.

A key is the SHA-256 of what decides the answer: the Lean pin (toolchain, Mathlib
revision and the REPL command, so the stand-in's answers are never served for Lean's),
the kind of check, the header, the body and the options that change the verdict. Only
definitive answers are stored: Lean's reply or the gate's verdict, never a timeout, a
crash or another failure that a second try could change (callers decide what is
definitive).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, insert, select

from prover.graph.engine import writer
from prover.graph.models import CheckCacheRow


class CheckCache:
    def __init__(self, engine: Engine, pin: str) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self.pin = pin

    def key(self, kind: str, header: str, body: str, options: Mapping[str, Any]) -> str:
        material = json.dumps([self.pin, kind, header, body, dict(options)], sort_keys=True)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        query = select(CheckCacheRow.key, CheckCacheRow.answer).where(CheckCacheRow.key.in_(wanted))
        with self._engine.connect() as conn:
            return {key: answer for key, answer in conn.execute(query)}

    def put_many(self, answers: Mapping[str, Mapping[str, Any]]) -> None:
        if not answers:
            return
        now = time.time()
        rows = [{"key": k, "answer": dict(v), "created_at": now} for k, v in answers.items()]
        with self._writer.begin() as conn:
            conn.execute(insert(CheckCacheRow).prefix_with("OR REPLACE"), rows)
