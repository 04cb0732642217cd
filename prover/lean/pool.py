"""`LeanServer`: a thread-safe pool of REPL processes keyed by header text.

Each process serves one header (the exact text of the imports, `open`s and options
before a theorem). It elaborates the header once per incarnation, as a command
without `env` (under `header_timeout_s`), and then sends every body with that
header's `env`. Consequences for callers:

* positions in a `check` reply are relative to the **body** (line 1 = its first
  line), never to the header;
* a header that fails to elaborate yields a `CheckResult` carrying the header's
  own errors (positions relative to the header, `env` None) and the body is not
  run; that verdict is cached, so the header is never sent again;
* `timeout` (default `request_timeout_s`) bounds the body's request only; a
  header import has its own bound, `header_timeout_s` (the config file's `[lean]`
  table, or `--header-timeout`), and a timeout there says it was the header's. A
  header import still running after `WAIT_NOTICE_S` is announced through
  `on_wait` (when set), naming the bound it waits on;
* `CheckResult.session` names the process incarnation that answered, so a state
  built from one of its sorries (`ProofState(split_goals(sorry.goal),
  id=sorry.proof_state, session=check.session)`) can be run with `run_tactic`.

Concurrent callers each get a free process: one already serving their header if
any is idle, else a new one while fewer than `pool_size` exist, else the least
recently used idle process of another header is restarted for theirs, else they
wait. A proof state lives in one process incarnation (`ProofState.session`);
`run_tactic` waits for that process and answers STALE_STATE if it has restarted
since. States handed out by `start` and `run_tactic` pin their incarnation while
they exist (states callers build themselves route fine but pin nothing):
a pinned process is evicted for another header only when no unpinned one is idle,
and is not recycled for its request count. Memory is never deferred: a process
whose resident tree passes `RSS_RECYCLE_FRACTION` of `memory_mb` after a reply is
restarted before its next request, pinned or not (the tree is read again once it
could have grown that far: see `prover.lean.process.MAX_RSS_GROWTH_PER_S`).
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from prover.config import LeanSettings
from prover.lean.process import ReplProcess
from prover.lean.protocol import (
    InvalidRequest,
    Reply,
    check_result,
    encode_command,
    encode_tactic,
    ensure_encodable,
    refusal,
    split_goals,
    tactic_result,
)
from prover.types import (
    CallStatus,
    CheckResult,
    ProofState,
    StartResult,
    TacticResult,
    TacticStatus,
    Theorem,
)

# Recycle below the hard cap so a growing process is replaced between requests,
# not killed by RLIMIT_AS in the middle of one.
RSS_RECYCLE_FRACTION = 0.8
WAIT_NOTICE_S = 1.0  # a header import that takes longer is announced through `on_wait`
HEADER_BOUND_HELP = "set it with --header-timeout, or header_timeout_s in the config's [lean]"


@dataclass(frozen=True)
class BridgeStats:
    """Counters since the server was created (a snapshot; see `LeanServer.stats`)."""

    requests: int = 0  # requests written to a REPL (refused ones excluded)
    header_imports: int = 0
    restarts: int = 0  # process starts beyond each slot's first (crash, timeout, recycle, eviction)
    timeouts: int = 0
    crashes: int = 0
    memory_kills: int = 0
    output_limits: int = 0
    protocol_errors: int = 0  # refused requests and unreadable replies
    evictions: int = 0


_FAILURE_COUNTERS = {
    CallStatus.TIMEOUT: "timeouts",
    CallStatus.CRASH: "crashes",
    CallStatus.MEMORY: "memory_kills",
    CallStatus.OUTPUT_LIMIT: "output_limits",
    CallStatus.PROTOCOL_ERROR: "protocol_errors",
}


def _unpin(
    refs: dict[int, tuple[weakref.ref[ProofState], str]],
    unpinned: deque[str],
    ref: weakref.ref[ProofState],
) -> None:
    """Weak-reference callback: runs wherever the state is collected, even under the lock,
    so it only does atomic container operations."""
    unpinned.append(refs.pop(id(ref))[1])


class _Slot:
    """One pooled process and what the pool knows about its current incarnation."""

    def __init__(self, process: ReplProcess, header: str) -> None:
        self.process = process
        self.header = header
        self.header_env: int | None = None
        self.header_session: str | None = None  # the incarnation `header_env` belongs to
        self.session: str | None = None  # the incarnation registered in `LeanServer._sessions`
        self.busy = True
        self.reset = False  # reassigned or worn out: restart before the next request
        self.last_used = time.monotonic()
        # Answered requests not yet in the stats: added by the release, under its lock.
        self.unrecorded_requests = 0


class LeanServer:
    """The pool; implements `prover.protocols.Lean`. Use as a context manager or `close()` it."""

    def __init__(
        self, settings: LeanSettings, on_wait: Callable[[str], None] | None = None
    ) -> None:
        self.settings = settings
        self.on_wait = on_wait  # told, in words, when a header import keeps a caller waiting
        self._cwd = settings.project_dir if settings.project_dir.is_dir() else None
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # signalled when a slot becomes free
        self._waiters = 0
        self._slots: list[_Slot] = []
        self._sessions: dict[str, _Slot] = {}
        self._pins: dict[str, int] = {}
        # Weak references to pinned states, by id, with their sessions; a collected state's
        # session lands in `_unpinned`, which is drained under the lock.
        self._pin_refs: dict[int, tuple[weakref.ref[ProofState], str]] = {}
        self._unpinned: deque[str] = deque()
        self._unpin = functools.partial(_unpin, self._pin_refs, self._unpinned)
        self._header_failures: dict[str, CheckResult] = {}
        self._counts = dict.fromkeys(BridgeStats.__dataclass_fields__, 0)
        self._closed = False

    # ------------------------------------------------------------------ public API

    @property
    def stats(self) -> BridgeStats:
        with self._lock:
            return BridgeStats(**self._counts)

    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        """Elaborate `body` on the cached environment of `header` (positions relative to body)."""
        try:
            ensure_encodable(header, "header")
            ensure_encodable(body, "body")
        except InvalidRequest as exc:
            return self._refused_check(exc)
        failure = self._header_failures.get(header)
        if failure is not None:
            return failure
        slot = self._acquire_for(header)
        try:
            return self._check_on(slot, header, body, timeout)
        finally:
            self._release(slot)

    def check_then(
        self,
        header: str,
        body: str,
        then: Callable[[CheckResult], str | None],
        timeout: float | None = None,
    ) -> tuple[CheckResult, CheckResult | None]:
        """`check(header, body)`, then the command `then(result)` (if any) run on the
        environment the body left, in the same process, before another caller can use it:
        both answers (the second None when no command was sent). A second request, counted
        as one in the stats."""
        try:
            ensure_encodable(header, "header")
            ensure_encodable(body, "body")
        except InvalidRequest as exc:
            return self._refused_check(exc), None
        failure = self._header_failures.get(header)
        if failure is not None:
            return failure, None
        slot = self._acquire_for(header)
        try:
            result = self._check_on(slot, header, body, timeout)
            command = then(result) if result.env is not None else None
            if command is None:
                return result, None
            reply = self._send(slot, timeout, encode_command, command, result.env)
            return result, check_result(reply, result.session)
        finally:
            self._release(slot)

    def start(self, theorem: Theorem, timeout: float | None = None) -> StartResult:
        """Open `theorem` in tactic mode by elaborating `<statement> := by sorry`.

        `state` is None unless the statement elaborated with no error message and
        the sorry came back with a proof state.
        """
        check = self.check(theorem.header, f"{theorem.statement} := by sorry", timeout)
        if check.status is not CallStatus.OK or check.errors or check.session is None:
            return StartResult(None, check)
        holes = [s for s in check.sorries if s.proof_state is not None]
        if not holes:
            return StartResult(None, check)
        # The appended `sorry` is the last one; any other came from the statement itself.
        last = max(holes, key=lambda s: (s.pos.line, s.pos.column) if s.pos else (0, 0))
        assert last.proof_state is not None
        state = ProofState(split_goals(last.goal), id=last.proof_state, session=check.session)
        with self._lock:
            self._pin(state)
        return StartResult(state, check)

    def run_tactic(
        self, state: ProofState, tactic: str, timeout: float | None = None
    ) -> TacticResult:
        """Run `tactic` on `state` in the process incarnation that owns it."""
        slot = self._sessions.get(state.session)  # re-validated once the slot is leased
        if slot is None:
            return self._stale(state)
        self._acquire_slot(slot)
        new_state = None
        try:
            if slot.process.incarnation != state.session or slot.reset:
                return self._stale(state)
            reply = self._send(slot, timeout, encode_tactic, tactic, state.id)
            result = tactic_result(reply, state.session)
            new_state = result.state
        finally:
            self._release(slot, pin=new_state)
        return result

    def close(self) -> None:
        """Kill every REPL process; later calls raise RuntimeError."""
        with self._lock:
            self._closed = True
            busy = [s for s in self._slots if s.busy]
            idle = [s for s in self._slots if not s.busy]
            self._slots.clear()
            self._sessions.clear()
            self._cond.notify_all()
        for slot in busy:
            slot.process.interrupt()  # its holder sees the death and stops it on release
        for slot in idle:
            slot.process.stop()

    def __enter__(self) -> LeanServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -------------------------------------------------------------- header and body

    def _check_on(self, slot: _Slot, header: str, body: str, timeout: float | None) -> CheckResult:
        header_env = self._header_env(slot, header)
        if isinstance(header_env, CheckResult):
            return header_env
        env, header_s = header_env
        session = slot.process.incarnation
        reply = self._send(slot, timeout, encode_command, body, env)
        result = check_result(reply, session)
        return replace(result, elapsed_s=result.elapsed_s + header_s) if header_s else result

    def _header_env(self, slot: _Slot, header: str) -> tuple[int, float] | CheckResult:
        """The header's env in the slot's live incarnation, importing it if needed.

        Returns (env, seconds spent importing now) or the failed header's result.
        """
        process = slot.process
        self._prepare(slot)
        if slot.header_session == process.incarnation and slot.header_env is not None:
            return slot.header_env, 0.0
        session = process.incarnation
        bound = self.settings.header_timeout_s
        notice = self._notice_later(
            f"waiting for the REPL to import the header (up to {bound:g} s: "
            f"header_timeout_s; {HEADER_BOUND_HELP})"
        )
        try:
            reply = self._send(slot, bound, encode_command, header)
        finally:
            if notice is not None:
                notice.cancel()
        if reply.status is CallStatus.TIMEOUT:
            reply = reply._replace(
                error=f"the header import did not finish within header_timeout_s = {bound:g} s "
                f"({HEADER_BOUND_HELP}); {reply.error}"
            )
        with self._lock:
            self._bump(header_imports=1)
        result = check_result(reply, session)
        if result.status is CallStatus.OK and not result.errors and result.env is not None:
            slot.header_env, slot.header_session = result.env, session
            return result.env, result.elapsed_s
        if result.status is not CallStatus.OK:
            return result  # transient (timeout, crash...): not cached, retried by the next call
        failure = replace(
            result,
            env=None,
            error=f"the header failed to elaborate ({len(result.errors)} error(s)); "
            "message positions are relative to the header",
        )
        with self._lock:
            self._header_failures[header] = replace(failure, elapsed_s=0.0)  # costs nothing again
        return failure

    def _notice_later(self, text: str) -> threading.Timer | None:
        """`on_wait(text)` after `WAIT_NOTICE_S`, unless cancelled first."""
        if self.on_wait is None:
            return None
        timer = threading.Timer(WAIT_NOTICE_S, self.on_wait, (text,))
        timer.daemon = True
        timer.start()
        return timer

    def _prepare(self, slot: _Slot) -> None:
        """Make sure the slot's process runs: restarted if reassigned or worn out (`reset`, set
        when it was leased), and a fresh incarnation registered so its proof states can be
        routed back to it."""
        process = slot.process
        if slot.reset:
            process.stop()
            slot.reset = False
        if not process.ensure_started():
            return
        with self._lock:
            if slot.session is not None:
                self._sessions.pop(slot.session, None)
                self._pins.pop(slot.session, None)
            slot.session = process.incarnation
            assert slot.session is not None
            self._sessions[slot.session] = slot
            slot.header_session = None
            if process.starts > 1:
                self._bump(restarts=1)

    def _send(
        self, slot: _Slot, timeout: float | None, encode: Callable[..., bytes], *fields: Any
    ) -> Reply:
        """Encode one request of the pool's own forms and send it on the leased `slot`."""
        try:
            data = encode(*fields)
        except InvalidRequest as exc:
            reply = refusal(exc)
        else:
            reply = slot.process.send(
                data, self.settings.request_timeout_s if timeout is None else timeout
            )
        if reply.status is CallStatus.OK:
            slot.unrecorded_requests += 1
            return reply
        with self._lock:  # failures are rare: counted at once
            if reply.sent:
                self._counts["requests"] += 1
            self._counts[_FAILURE_COUNTERS[reply.status]] += 1
        return reply

    def _bump(self, **counts: int) -> None:
        """Add to the counters; the caller holds the lock."""
        for name, n in counts.items():
            self._counts[name] += n

    def _refused_check(self, exc: InvalidRequest) -> CheckResult:
        with self._lock:
            self._bump(protocol_errors=1)
        return CheckResult(CallStatus.PROTOCOL_ERROR, error=f"request refused: {exc}")

    @staticmethod
    def _stale(state: ProofState) -> TacticResult:
        return TacticResult(
            TacticStatus.STALE_STATE,
            error=f"proof state {state.id} belonged to a REPL process that has since restarted "
            "or been closed",
        )

    # ------------------------------------------------------------------ pins

    def _pin(self, state: ProofState) -> None:
        """Pin `state`'s incarnation until `state` is garbage-collected; the caller holds the
        lock."""
        self._pins[state.session] = self._pins.get(state.session, 0) + 1
        ref = weakref.ref(state, self._unpin)
        self._pin_refs[id(ref)] = (ref, state.session)

    def _drain_unpinned(self) -> None:
        while self._unpinned:
            session = self._unpinned.popleft()
            left = self._pins.get(session, 0) - 1
            if left > 0:
                self._pins[session] = left
            else:
                self._pins.pop(session, None)

    def _pinned(self, slot: _Slot) -> bool:
        return slot.session is not None and self._pins.get(slot.session, 0) > 0

    # ------------------------------------------------------------------ leasing

    def _acquire_for(self, header: str) -> _Slot:
        """Lease a process for `header` (see the module docstring for the order)."""
        with self._lock:
            while True:
                if self._closed:
                    raise RuntimeError("this LeanServer is closed")
                idle = [s for s in self._slots if not s.busy]
                same = [s for s in idle if s.header == header]
                if same:
                    slot = same[0] if len(same) == 1 else max(same, key=lambda s: s.last_used)
                    slot.busy = True
                    if self._worn_out(slot):
                        slot.reset = True
                    return slot
                if len(self._slots) < self.settings.pool_size:
                    slot = _Slot(self._new_process(), header)
                    self._slots.append(slot)
                    return slot
                if idle:
                    self._drain_unpinned()
                    slot = min(idle, key=lambda s: (self._pinned(s), s.last_used))
                    slot.busy, slot.header, slot.reset = True, header, True
                    self._bump(evictions=1)
                    return slot
                self._wait()

    def _worn_out(self, slot: _Slot) -> bool:
        """Whether `slot` has served its share of requests and no state pins it; the caller
        holds the lock."""
        limit = self.settings.max_requests_per_process
        process = slot.process
        if limit is None or not process.running or process.requests_served < limit:
            return False
        self._drain_unpinned()
        return not self._pinned(slot)

    def _acquire_slot(self, slot: _Slot) -> None:
        with self._lock:
            while True:
                if self._closed:
                    raise RuntimeError("this LeanServer is closed")
                if not slot.busy:
                    slot.busy = True
                    return
                self._wait()

    def _wait(self) -> None:
        """Wait for a slot to be released; the caller holds the lock."""
        self._waiters += 1
        try:
            self._cond.wait()
        finally:
            self._waiters -= 1

    def _release(self, slot: _Slot, pin: ProofState | None = None) -> None:
        """Return `slot` to the pool, recording its answered requests and pinning `pin`."""
        with self._lock:
            slot.busy = False
            slot.last_used = time.monotonic()
            self._counts["requests"] += slot.unrecorded_requests
            slot.unrecorded_requests = 0
            if pin is not None:
                self._pin(pin)
            self._drain_unpinned()  # keeps the queue short when only tactics run
            closed = self._closed
            if self._waiters:
                self._cond.notify_all()
        if closed:
            slot.process.stop()

    def _new_process(self) -> ReplProcess:
        memory_mb = self.settings.memory_mb
        return ReplProcess(
            self.settings.repl_cmd,
            cwd=self._cwd,
            memory_mb=memory_mb,
            rss_limit_mb=None if memory_mb is None else memory_mb * RSS_RECYCLE_FRACTION,
            max_output_bytes=self.settings.max_output_bytes,
        )
