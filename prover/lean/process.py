"""One Lean REPL subprocess: one request at a time, under a deadline, with a clean death.

The process starts on first use in its own session (`lake env` spawns a child, so
every kill targets the whole process group), with binary pipes and, when a memory
cap is set, `RLIMIT_AS` applied in the child. A daemon thread drains stderr into a
bounded tail that crash reports quote.

Anything that leaves the process in an unknown state (a timeout, an undecodable or
oversized reply, its death, or a resident-memory total over the recycle threshold
after a reply) kills the group at once; the next request starts a fresh
incarnation with a new `incarnation` id, and every env and proof-state id of the
old one is gone. A request is never retried: its caller sees the failure once.

A death is reported as out of memory (MEMORY) only when the workbench's own memory
cap caused it: the process reports a failed allocation on stderr, as Lean does when
`RLIMIT_AS` bites. A SIGKILL the workbench did not send is a CRASH that says so (the
system's OOM killer or a person may have sent it: nothing here can tell which).
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import select
import shlex
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import psutil

from prover.config import ConfigError
from prover.lean.protocol import (
    REPLY_TERMINATOR,
    InvalidRequest,
    MalformedReply,
    Reply,
    decode_reply,
    encode_request,
    refusal,
)
from prover.types import CallStatus

STDERR_TAIL_BYTES = 8192
READ_CHUNK = 1 << 16
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
EXIT_WAIT_S = 2.0  # how long a process that closed stdout gets to exit before it is killed
# Exit statuses of a SIGKILL: -9 from Popen, 137 when a parent such as `lake env` relays it.
SIGKILL_STATUSES = frozenset({-signal.SIGKILL, 128 + signal.SIGKILL})
# An upper bound on how fast a process tree's resident memory can grow: every new resident
# page must be written (zeroed or copied), and 1 TiB/s is beyond the memory bandwidth of
# any current machine. A reading `headroom` bytes under the recycle threshold therefore
# stays conclusive for `headroom / MAX_RSS_GROWTH_PER_S` seconds, and a reply within
# that time needs no new reading: none could be over the threshold.
MAX_RSS_GROWTH_PER_S = 1 << 40
OUT_OF_MEMORY = re.compile(
    r"out of memory|MemoryError|std::bad_alloc|cannot allocate memory", re.IGNORECASE
)


class LeanUnavailableError(ConfigError):
    """The REPL command cannot be started at all (missing or not executable)."""


class _StderrTail:
    """Drains a pipe on a daemon thread, keeping only its last `limit` bytes."""

    def __init__(self, pipe: IO[bytes], limit: int = STDERR_TAIL_BYTES) -> None:
        self._pipe = pipe
        self._limit = limit
        self._tail = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, name="repl-stderr", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        fd = self._pipe.fileno()
        try:
            while chunk := os.read(fd, 4096):
                with self._lock:
                    self._tail += chunk
                    del self._tail[: -self._limit]
        except OSError:
            pass
        finally:
            self._pipe.close()

    def text(self, wait_s: float = 0.0) -> str:
        """The tail so far; `wait_s` lets a dying process finish writing first."""
        if wait_s:
            self._thread.join(wait_s)
        with self._lock:
            return self._tail.decode("utf-8", errors="replace").strip()


class _TreeMemory:
    """Resident memory of one process tree, cheap enough to read after any reply.

    The members are listed once (listing scans all of /proc): by the first reply,
    `lake env` has spawned the REPL, and the REPL spawns nothing. On Linux each
    member's /proc/<pid>/statm stays open and is re-read with pread (about 2 us,
    against 20 us for psutil's `memory_info`, which stays the fallback elsewhere).
    """

    def __init__(self, root_pid: int) -> None:
        root = psutil.Process(root_pid)
        self._members = [root, *root.children(recursive=True)]
        self._statm: list[int] = []
        try:
            for member in self._members:
                self._statm.append(os.open(f"/proc/{member.pid}/statm", os.O_RDONLY))
        except OSError:
            self.close()

    def resident(self) -> int | None:
        """Total resident bytes, or None if a member has exited."""
        try:
            if self._statm:
                return sum(int(os.pread(fd, 128, 0).split()[1]) for fd in self._statm) * PAGE_SIZE
            return sum(member.memory_info().rss for member in self._members)
        except (OSError, IndexError, ValueError, psutil.Error):
            return None

    def close(self) -> None:
        for fd in self._statm:
            os.close(fd)
        self._statm = []


def _address_space_cap(limit_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return apply


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pid, signal.SIGKILL)


class ReplProcess:
    """One REPL subprocess, started lazily. Not thread-safe: the pool serialises use."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        memory_mb: int | None = None,
        rss_limit_mb: float | None = None,
        max_output_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.argv = tuple(argv)
        self.cwd = cwd
        self.memory_mb = memory_mb
        self.rss_limit_bytes = None if rss_limit_mb is None else int(rss_limit_mb * 1024 * 1024)
        self.max_output_bytes = max_output_bytes
        # "<pid>-<random hex>", new for every start; None while no process is running.
        self.incarnation: str | None = None
        self.starts = 0
        self.requests_served = 0  # by the current incarnation
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin_fd = -1
        self._stdout_fd = -1
        self._readable = select.poll()
        self._writable = select.poll()
        self._stderr: _StderrTail | None = None
        self._tree: _TreeMemory | None = None
        self._memory_due = 0.0  # monotonic time from which a reply needs a new RSS reading
        self._interrupted = False

    @property
    def running(self) -> bool:
        return self._proc is not None

    def ensure_started(self) -> bool:
        """Start a fresh incarnation unless one is running; True if it started one."""
        if self._proc is not None:
            return False
        preexec = None if self.memory_mb is None else _address_space_cap(self.memory_mb << 20)
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=preexec,
                bufsize=0,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise LeanUnavailableError(
                f"cannot start the Lean REPL `{shlex.join(self.argv)}` "
                f"({exc.strerror if isinstance(exc, OSError) else exc}); "
                "run `leanwb setup` to build it, or `leanwb doctor` to see what is missing"
            ) from None
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        self._proc = proc
        self._stdin_fd = proc.stdin.fileno()
        self._stdout_fd = proc.stdout.fileno()
        os.set_blocking(self._stdin_fd, False)
        self._readable = select.poll()
        self._readable.register(self._stdout_fd, select.POLLIN)
        self._writable = select.poll()
        self._writable.register(self._stdin_fd, select.POLLOUT)
        self._stderr = _StderrTail(proc.stderr)
        self._tree = None
        self._memory_due = 0.0
        self._interrupted = False
        self.incarnation = f"{proc.pid}-{uuid.uuid4().hex[:12]}"
        self.starts += 1
        self.requests_served = 0
        return True

    def request(self, request: Mapping[str, Any], timeout: float) -> Reply:
        """Send one request and wait at most `timeout` seconds for its reply.

        An invalid request is refused (PROTOCOL_ERROR, `sent=False`) without
        starting or touching the process.
        """
        try:
            data = encode_request(request)
        except InvalidRequest as exc:
            return refusal(exc)
        return self.send(data, timeout)

    def send(self, data: bytes, timeout: float) -> Reply:
        """`request` for bytes already encoded by `prover.lean.protocol` (valid by construction)."""
        self.ensure_started()
        started = time.monotonic()
        outcome = self._exchange(data, started + timeout, timeout)
        finished = time.monotonic()
        if isinstance(outcome, Reply):
            return outcome._replace(elapsed_s=finished - started)
        self.requests_served += 1
        if self.rss_limit_bytes is not None and finished >= self._memory_due:
            self._check_memory(finished, self.rss_limit_bytes)
        return Reply(CallStatus.OK, outcome, None, finished - started)

    def _check_memory(self, now: float, limit: int) -> None:
        """Recycle the process if its tree is over `limit`; else note how long that reading
        stays conclusive (see `MAX_RSS_GROWTH_PER_S`)."""
        resident = self.rss_bytes()
        if resident > limit:
            self.stop()  # recycled before the next request, which gets a fresh process
        elif resident:  # 0: no reading (the tree changed), so read again after the next reply
            self._memory_due = now + (limit - resident) / MAX_RSS_GROWTH_PER_S

    def _exchange(self, data: bytes, deadline: float, timeout: float) -> dict[str, Any] | Reply:
        """The reply's payload, or the failure (elapsed time not yet set)."""
        try:
            if not self._write(data, deadline):
                return self._kill(CallStatus.TIMEOUT, f"no reply within {timeout:g} s")
        except BrokenPipeError:
            return self._died()
        buffer = bytearray()
        while True:
            wait_ms = (deadline - time.monotonic()) * 1000
            if wait_ms <= 0 or not self._readable.poll(wait_ms):
                return self._kill(CallStatus.TIMEOUT, f"no reply within {timeout:g} s")
            chunk = os.read(self._stdout_fd, READ_CHUNK)
            if not chunk:
                return self._died()
            scan_from = max(0, len(buffer) - 1)
            buffer += chunk
            end = buffer.find(REPLY_TERMINATOR, scan_from)
            size = end + 1 if end >= 0 else len(buffer)  # the reply's bytes, so far
            if size > self.max_output_bytes:
                return self._kill(
                    CallStatus.OUTPUT_LIMIT, f"the reply exceeded {self.max_output_bytes} bytes"
                )
            if end >= 0:
                return self._complete(buffer, end)

    def _write(self, data: bytes, deadline: float) -> bool:
        """Write all of `data`; False if the REPL stopped reading until the deadline."""
        try:
            written = os.write(self._stdin_fd, data)
        except BlockingIOError:
            written = 0
        view = memoryview(data)[written:]  # empty unless the pipe was full
        while view:
            try:
                view = view[os.write(self._stdin_fd, view) :]
            except BlockingIOError:
                wait_ms = (deadline - time.monotonic()) * 1000
                if wait_ms <= 0 or not self._writable.poll(wait_ms):
                    return False
        return True

    def _complete(self, buffer: bytearray, end: int) -> dict[str, Any] | Reply:
        if buffer[0] == 0x0A:
            return self._kill(CallStatus.PROTOCOL_ERROR, "the REPL wrote an empty reply")
        if end + len(REPLY_TERMINATOR) < len(buffer):
            return self._kill(
                CallStatus.PROTOCOL_ERROR, "the REPL wrote more than one reply to one request"
            )
        try:
            return decode_reply(buffer)  # exactly one reply and its blank line: no copy needed
        except MalformedReply as exc:
            return self._kill(CallStatus.PROTOCOL_ERROR, str(exc))

    def _kill(self, status: CallStatus, error: str) -> Reply:
        """Kill the incarnation we can no longer trust and report why."""
        self.stop()
        return Reply(status, error=f"{error}; the REPL process was killed and will restart")

    def _died(self) -> Reply:
        """The REPL closed stdout: collect its exit status and stderr, and classify the death."""
        proc, tail = self._proc, self._stderr
        assert proc is not None and tail is not None
        if self._interrupted:
            self.stop()
            return Reply(CallStatus.CRASH, error="the REPL process was killed: its pool was closed")
        first_request = self.requests_served == 0
        try:
            code = proc.wait(EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            code = None
        self.stop()
        stderr = tail.text(wait_s=1.0)
        memory = bool(OUT_OF_MEMORY.search(stderr))
        what = "still running with stdout closed" if code is None else f"exited with code {code}"
        if code in SIGKILL_STATUSES:
            what = (
                "was killed by SIGKILL from outside the workbench (not by its memory cap; "
                "the system's out-of-memory killer or another process may have sent it)"
            )
        error = f"the REPL process {what}"
        if memory:
            cap = f" at the {self.memory_mb} MiB cap" if self.memory_mb is not None else ""
            error += f" (out of memory{cap})"
        if first_request and not memory:
            error += " before answering its first request; check the setup with `leanwb doctor`"
        if stderr:
            error += f"; stderr: {stderr[-2000:]}"
        return Reply(CallStatus.MEMORY if memory else CallStatus.CRASH, error=error)

    def rss_bytes(self) -> int:
        """Resident memory of the whole process tree (the REPL and any children)."""
        if self._proc is None:
            return 0
        if self._tree is None:
            try:
                self._tree = _TreeMemory(self._proc.pid)
            except psutil.Error:
                return 0
        total = self._tree.resident()
        if total is None:  # a member exited: list the tree afresh next time
            self._tree.close()
            self._tree = None
            return 0
        return total

    def interrupt(self) -> None:
        """Kill the process group from another thread; the thread using it sees the death."""
        proc = self._proc
        if proc is not None:
            self._interrupted = True
            _kill_group(proc.pid)

    def stop(self) -> None:
        """Kill the process group now; the next request starts a fresh incarnation."""
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        self.incarnation = None
        if self._tree is not None:
            self._tree.close()
            self._tree = None
        _kill_group(proc.pid)
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
