"""Bridge overhead and throughput against the stand-in REPL. Prints figures only.

    python bench/bridge.py [--requests N]

1. Per-request latency of `LeanServer.run_tactic` / `LeanServer.check` against a
   raw pipe to a second stand-in process: the same requests, interleaved one by one
   (alternating which goes first), medians and their ratio. Both stand-ins run on
   one CPU and this client on another (where there are two): left to the scheduler,
   one stand-in may share the client's CPU (a direct hand-over) while the other is
   woken across CPUs, a difference larger than the overhead measured, which made
   the ratio swing between runs (0.74x to 1.38x for the same code).
2. Requests per second of `check` with a pool of 1 and of 2 (one thread per process).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prover.config import LeanSettings
from prover.lean import LeanServer
from prover.types import CallStatus, TacticStatus, Theorem

REPO = Path(__file__).resolve().parent.parent
STANDIN = (sys.executable, str(REPO / "tests" / "standin" / "repl.py"))
HEADER = "import Mathlib"
THEOREM = Theorem(
    name="t",
    header=HEADER,
    statement="theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q",
)
TACTIC = "constructor"
BODY = "example (a b : ℕ) : a + b = b + a := by omega"


class RawPipe:
    """The least a client must do: encode, write, read lines to the blank one, parse."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            STANDIN, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
        )

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request, ensure_ascii=False).encode() + b"\n\n")
        self.proc.stdin.flush()
        lines = []
        while (line := self.proc.stdout.readline()) not in (b"\n", b""):
            lines.append(line)
        return json.loads(b"".join(lines))

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@contextmanager
def placed(cpu: int) -> Iterator[None]:
    """Run this thread, and the processes it starts meanwhile, on `cpu` alone."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


def settings(pool_size: int) -> LeanSettings:
    return LeanSettings(repl_cmd=STANDIN, project_dir=REPO, pool_size=pool_size)


def interleaved(
    n: int, bridge: Callable[[], object], raw: Callable[[], object]
) -> tuple[list[float], list[float]]:
    bridge_s: list[float] = []
    raw_s: list[float] = []
    for i in range(n):
        order = (
            ((bridge, bridge_s), (raw, raw_s)) if i % 2 == 0 else ((raw, raw_s), (bridge, bridge_s))
        )
        for call, times in order:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return bridge_s, raw_s


def report(label: str, bridge_s: list[float], raw_s: list[float]) -> None:
    b, r = statistics.median(bridge_s), statistics.median(raw_s)
    print(
        f"{label:<11} bridge {b * 1e6:8.1f} us   raw pipe {r * 1e6:8.1f} us   "
        f"ratio {b / r:5.2f}x   (medians of {len(bridge_s)}; "
        f"means {statistics.fmean(bridge_s) * 1e6:.1f} / {statistics.fmean(raw_s) * 1e6:.1f} us)"
    )


def overhead(n: int) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    client, standins = cpus[0], cpus[-1]
    print(f"client on CPU {client}, both stand-ins on CPU {standins}")
    with placed(client), LeanServer(settings(1)) as server:
        with placed(standins):
            raw = RawPipe()
            started = server.start(THEOREM)
        state = started.state
        assert state is not None, started.check
        raw.call({"cmd": HEADER})
        raw_state = raw.call({"cmd": f"{THEOREM.statement} := by sorry", "env": 0})["sorries"][0][
            "proofState"
        ]
        step = {"tactic": TACTIC, "proofState": raw_state}
        command = {"cmd": BODY, "env": 0}
        for _ in range(20):  # warm both sides
            server.run_tactic(state, TACTIC)
            raw.call(step)
        assert server.run_tactic(state, TACTIC).status is TacticStatus.OPEN_GOALS
        report(
            "run_tactic",
            *interleaved(n, lambda: server.run_tactic(state, TACTIC), lambda: raw.call(step)),
        )
        assert server.check(HEADER, BODY).status is CallStatus.OK
        report(
            "check", *interleaved(n, lambda: server.check(HEADER, BODY), lambda: raw.call(command))
        )
    raw.close()


def throughput(pool_size: int, n: int) -> None:
    with LeanServer(settings(pool_size)) as server:
        barrier = threading.Barrier(pool_size + 1)

        def work() -> None:
            server.check(HEADER, BODY)  # start and import outside the timed part
            barrier.wait()
            for _ in range(n):
                server.check(HEADER, BODY)

        threads = [threading.Thread(target=work) for _ in range(pool_size)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        print(
            f"pool of {pool_size}: {pool_size * n / elapsed:8.0f} checks/s "
            f"({pool_size} thread(s) x {n} checks, {server.stats.requests} requests sent)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    overhead(args.requests)
    for pool_size in (1, 2):
        throughput(pool_size, args.requests)


if __name__ == "__main__":
    main()
