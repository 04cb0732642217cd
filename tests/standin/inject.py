"""Failure injection (test-only): tactics that hang, crash, flood, stall, hog memory or are
killed on purpose, and a header import that never finishes."""

from __future__ import annotations

import os
import signal
import sys
import time

from standin.goals import Goal
from standin.runner import Runner, on_goals
from standin.tactic_syntax import Tactic

# Memory taken by `standin_alloc`, kept alive until the process exits.
_HOARD: list[bytearray] = []


@on_goals("standin_hang")
def _hang(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    while True:
        time.sleep(3600)


@on_goals("standin_crash")
def _crash(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    sys.stdout.flush()
    os._exit(134)


@on_goals("standin_sigkill")
def _sigkill(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    # Indistinguishable, for the workbench, from a kill by the system or a person.
    os.kill(os.getpid(), signal.SIGKILL)
    return goals


HANGING_IMPORT = "StandinHang"


def on_import(module: str) -> None:
    """`import StandinHang` never finishes: a header import that hangs."""
    if module == HANGING_IMPORT:
        while True:
            time.sleep(3600)


@on_goals("standin_spam")
def _spam(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    runner.ctx.log("info", "x" * int(float(tac.arg)), tac.start, tac.end)
    return goals


@on_goals("standin_slow")
def _slow(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    time.sleep(float(tac.arg))
    return goals


@on_goals("standin_alloc")
def _alloc(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    # Filled with a non-zero byte so the pages are really committed (resident).
    try:
        _HOARD.append(bytearray(b"\x01") * (int(float(tac.arg)) * 1024 * 1024))
    except MemoryError:
        # Lean cannot recover from a failed allocation: it reports and dies.
        sys.stderr.write("INTERNAL PANIC: out of memory\n")
        sys.stderr.flush()
        os._exit(134)
    return goals
