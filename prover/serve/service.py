"""What the routes call: the pool, the store and its cache, assembled from the settings."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from prover.config import Settings
from prover.eval.batch import lean_pin
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.serve.cache import CheckCache
from prover.serve.checker import Checker


class NotFound(LookupError):
    """No row with the id asked for; the message says which."""


@dataclass(frozen=True)
class ServeOptions:
    pool_size: int = 2
    max_timeout_s: float = 60.0
    queue_limit: int = 256
    cache: bool = True


def cache_pin(settings: Settings) -> str:
    """The Lean pin plus the exact REPL command: answers from one never serve the other."""
    return f"{lean_pin(settings)} | {shlex.join(settings.lean.repl_cmd)}"


class Service:
    def __init__(self, settings: Settings, options: ServeOptions) -> None:
        lean_settings = replace(settings.lean, pool_size=options.pool_size)
        self.settings = replace(settings, lean=lean_settings)
        self.options = options
        self.cache = (
            CheckCache(self.store.engine, cache_pin(self.settings)) if options.cache else None
        )
        self.checker = Checker(
            LeanServer(lean_settings),
            self.cache,
            max_timeout_s=options.max_timeout_s,
            queue_limit=options.queue_limit,
        )

    @cached_property
    def store(self) -> Store:
        return Store(Path(self.settings.db_path))

    def close(self) -> None:
        try:
            self.checker.close()
        finally:
            if self.cache is not None:
                self.cache.close()
            self.store.close()
