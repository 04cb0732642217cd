"""What the routes and tools call: a `Workbench` (its pool and store), the check cache, the
checker in front of the pool, and the prove jobs."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from typing import Any

from prover.api import Workbench
from prover.errors import StoreError
from prover.graph.check_cache import CheckCache
from prover.graph.export import graph_data, render_attempt_html
from prover.graph.queries import Graph, load_graph
from prover.lean.doctor import check_pin
from prover.serve.checker import Checker
from prover.serve.jobs import Jobs
from prover.serve.operations import CLAIM_KIND, ProveRequest, check_claim, definitive, prove


class NotFound(LookupError):
    """No row with the id asked for; the message says which."""


@dataclass(frozen=True)
class ServeOptions:
    pool_size: int = 2
    max_timeout_s: float = 60.0
    queue_limit: int = 256
    cache: bool = True
    prove_workers: int = 1
    max_waiting_jobs: int = 100


class Service:
    def __init__(self, workbench: Workbench, options: ServeOptions) -> None:
        """Owns `workbench` (closed with the service), whose pool must not have started:
        its size becomes `options.pool_size`."""
        settings = workbench.settings
        workbench.settings = replace(
            settings, lean=replace(settings.lean, pool_size=options.pool_size)
        )
        self.workbench = workbench
        self.options = options
        self.cache = (
            CheckCache(workbench.store.engine, check_pin(workbench.settings))
            if options.cache
            else None
        )
        self.checker = Checker(
            workbench.lean,
            self.cache,
            max_timeout_s=options.max_timeout_s,
            queue_limit=options.queue_limit,
        )
        self.jobs = Jobs(
            self.prove, workers=options.prove_workers, max_waiting=options.max_waiting_jobs
        )

    def prove(self, request: ProveRequest) -> dict[str, Any]:
        """A recorded attempt on the server's pool (blocking): `leanwb prove --json`'s answer."""
        return prove(self.workbench, request, command="leanwb serve: prove")

    async def check_claim(
        self,
        header: str,
        statement: str,
        proof: str,
        *,
        allow_native_decide: bool,
        timeout: float,
        use_cache: bool,
    ) -> tuple[dict[str, Any], bool]:
        """The `leanwb check --json` answer for the three texts, and whether it was cached."""
        checker, cache = self.checker, self.cache
        key = None
        if cache is not None:
            body = json.dumps([statement, proof])
            key = cache.key(CLAIM_KIND, header, body, {"allow_native_decide": allow_native_decide})
            found = await checker.cached([key]) if use_cache else {}
            if key in found:
                return found[key], True
        with checker.admit(1):
            answer = await checker.on_lean(
                functools.partial(
                    check_claim,
                    self.workbench,
                    header,
                    statement,
                    proof,
                    allow_native_decide=allow_native_decide,
                    timeout=timeout,
                )
            )
        if cache is not None and key is not None and definitive(answer):
            cache.put_many({key: answer})
        return answer, False

    def graph_json(self, attempt_id: int) -> dict[str, Any]:
        """What `leanwb graph show ATTEMPT --json` prints."""
        return graph_data(self._graph(attempt_id))

    def graph_html(self, attempt_id: int) -> str:
        """The offline page `leanwb graph export ATTEMPT` writes."""
        return render_attempt_html(self._graph(attempt_id))

    def _graph(self, attempt_id: int) -> Graph:
        try:
            return load_graph(self.workbench.store, attempt_id)
        except StoreError as exc:
            raise NotFound(str(exc)) from None

    def close(self) -> None:
        self.jobs.close()
        try:
            self.checker.close()
            self.jobs.wait()
        finally:
            if self.cache is not None:
                self.cache.close()
            self.workbench.close()
