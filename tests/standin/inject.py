"""Failure-injection tactics (test-only): hang, crash, flood, stall, or hog memory on purpose."""

from __future__ import annotations

import os
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
