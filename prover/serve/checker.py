"""The pool as the service uses it: bounded admission, capped timeouts, the host-code rule
and the cache in front of Lean.

Checks run on a thread per pool process (the pool's calls block); the event loop only
waits for them. `admit` counts the checks admitted and not yet answered, and refuses a
request whose checks would take that count past `queue_limit`: the caller answers 429
instead of queueing without bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from prover.graph.check_cache import CheckCache
from prover.lean.pool import LeanServer
from prover.serve.kimina import SplitSnippet, snippet_answer, split_snippet
from prover.types import CallStatus, CheckResult
from prover.verify_host import HostCodeError, ensure_no_host_code
from prover.verify_snippet import (
    Declarations,
    audit_command,
    host_code_verdict,
    judge_snippet,
    needs_audit,
    read_declarations,
)

T = TypeVar("T")
SNIPPET_KIND = "kimina-snippet"


class PoolFull(RuntimeError):
    """More checks are waiting than the server takes; retry after `retry_after_s`."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"the pool is full; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class SnippetCheck:
    id: str
    code: str


def snippet_key(cache: CheckCache, split: SplitSnippet, options: dict[str, Any]) -> str:
    """The cache key of a snippet's answer: its header, body and header line count (the
    answer's positions count the header's lines, and a header of one blank line and no
    header join to the same text) and the gate's options."""
    return cache.key(
        SNIPPET_KIND, split.header, split.body, {**options, "header_lines": split.header_lines}
    )


def read_snippet(split: SplitSnippet) -> Declarations:
    """What the snippet declares, or HostCodeError when its header or its body
    could run code on the host. Each part is read as Lean receives it: the pool sends the
    header and the body as separate commands."""
    ensure_no_host_code(split.header)
    return read_declarations(ensure_no_host_code(split.body, split.header_lines + 1))


class Checker:
    def __init__(
        self,
        lean: LeanServer,
        cache: CheckCache | None,
        *,
        max_timeout_s: float,
        queue_limit: int,
    ) -> None:
        self.lean = lean
        self.cache = cache
        self.max_timeout_s = max_timeout_s
        self.queue_limit = queue_limit
        self._lean_threads = ThreadPoolExecutor(
            max_workers=lean.settings.pool_size, thread_name_prefix="lean"
        )
        self._store_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="store")
        self._lock = threading.Lock()
        self._admitted = 0

    def timeout(self, asked: float | None) -> float:
        """The request's timeout, capped by the server's (0 or none: the server's)."""
        return self.max_timeout_s if not asked else min(asked, self.max_timeout_s)

    @contextmanager
    def admit(self, checks: int) -> Iterator[None]:
        """Hold `checks` places in the queue while the block runs, or raise PoolFull."""
        with self._lock:
            if checks and self._admitted + checks > self.queue_limit:
                raise PoolFull(max(1, round(self.max_timeout_s / 10)))
            self._admitted += checks
        try:
            yield
        finally:
            with self._lock:
                self._admitted -= checks

    async def on_lean(self, call: Callable[..., T], *args: Any) -> T:
        """Run a blocking pool call on one of the pool's threads."""
        return await asyncio.get_running_loop().run_in_executor(self._lean_threads, call, *args)

    async def on_store(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._store_threads, call, *args)

    async def cached(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cache's answers for `keys`: from memory, else (on a store thread) from disk."""
        if self.cache is None:
            return {}
        wanted = list(keys)
        found = self.cache.remembered(wanted)
        unseen = self.cache.on_disk(k for k in wanted if k not in found)
        if unseen:
            found.update(await self.on_store(self.cache.stored, unseen))
        return found

    def _check_snippet(
        self, split: SplitSnippet, declared: Declarations, timeout: float
    ) -> tuple[CheckResult, CheckResult | None]:
        """Lean's answer to the snippet and, when the gate needs it, to the `#print axioms`
        of its theorems in the environment it left (a second request)."""
        if not declared.theorems:
            return self.lean.check(split.header, split.body, timeout), None
        return self.lean.check_then(
            split.header,
            split.body,
            lambda result: audit_command(declared.theorems) if needs_audit(result) else None,
            timeout,
        )

    async def check_snippets(
        self,
        snippets: Sequence[SnippetCheck],
        timeout: float,
        *,
        use_cache: bool,
        allow_native_decide: bool = False,
    ) -> list[dict[str, Any]]:
        """One Kimina answer per snippet (with `id`, `cached` and the gate's verdict `gate`),
        in their order."""
        answers: dict[int, dict[str, Any]] = {}
        splits = {index: split_snippet(snippet.code) for index, snippet in enumerate(snippets)}
        cache = self.cache
        options = {"allow_native_decide": allow_native_decide}
        keys = (
            {i: snippet_key(cache, split, options) for i, split in splits.items()} if cache else {}
        )
        found = await self.cached(keys.values()) if use_cache else {}
        cached = {i for i, key in keys.items() if key in found}
        for index in cached:
            answers[index] = found[keys[index]]
        # Only what the cache did not answer is read: an answer is cached only after the
        # same text passed the host-code rule, and its key's pin holds the gate's digest.
        declared: dict[int, Declarations] = {}
        for index in [i for i in splits if i not in cached]:
            try:
                declared[index] = read_snippet(splits[index])
            except HostCodeError as exc:
                answers[index] = {
                    "time": 0.0,
                    "error": f"refused by the soundness gate: {exc}",
                    "gate": host_code_verdict(str(exc)).as_json(),
                }
        todo = list(declared)
        with self.admit(len(todo)):
            calls = [(splits[i], declared[i], timeout) for i in todo]
            results = await asyncio.gather(*(self.on_lean(self._check_snippet, *c) for c in calls))
        fresh: dict[str, dict[str, Any]] = {}
        for index, (result, audit) in zip(todo, results, strict=True):
            verdict = judge_snippet(
                result, declared[index], audit, allow_native_decide=allow_native_decide
            )
            answers[index] = {
                **snippet_answer(splits[index], result, timeout),
                "gate": verdict.as_json(),
            }
            answered = result.status is CallStatus.OK and (
                audit is None or audit.status is CallStatus.OK
            )
            if index in keys and answered:  # Lean answered: definitive
                fresh[keys[index]] = answers[index]
        if cache is not None:
            cache.put_many(fresh)
        return [
            {"id": snippet.id, **answers[i], "cached": i in cached}
            for i, snippet in enumerate(snippets)
        ]

    def close(self) -> None:
        """Stop taking work, close the pool (its REPL processes are killed) and the threads."""
        self.lean.close()
        self._lean_threads.shutdown(wait=True, cancel_futures=True)
        self._store_threads.shutdown(wait=True)
