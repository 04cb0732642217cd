"""Local workers: `spawn`ed processes, each a `ProblemSolver` fed from a shared queue.

Workers commit every final result to the database themselves, then report it on
a result queue so the parent can show progress. A worker whose parent has died
(the run was killed) stops before its next problem, so a resumed run never races
with leftovers of the old one; even if it did, `commit_result` keeps one result.

Ctrl-C reaches the whole foreground process group, but only the parent acts on it:
workers start with SIGINT ignored, and the parent stops them with SIGTERM, which a
worker turns into an orderly exit that kills its REPLs (a worker already closing
ignores it). A problem cut short keeps no final result, so `--resume` redoes it.

A failing problem gets its own result and the run goes on, but the job's
`stop_after_failures` results in a row that are infrastructure failures (the model
server or the workbench failing, not the prover:
`prover.eval.results.INFRASTRUCTURE_REASONS`) stop the run with `EvalError`; a
resume redoes them.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from prover.errors import EvalError
from prover.eval.datasets import Problem
from prover.eval.results import ProblemResult
from prover.eval.solver import EvalJob, ProblemSolver

POLL_S = 0.5
JOIN_S = 10.0

ResultCallback = Callable[[ProblemResult], None]


class FailureStreak:
    """Counts infrastructure failures in a row; the `limit`-th raises `EvalError`."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.count = 0

    def see(self, result: ProblemResult) -> None:
        if not result.infrastructure_failure:
            self.count = 0
            return
        self.count += 1
        if self.limit is not None and self.count >= self.limit:
            raise EvalError(
                f"stopped after {self.count} infrastructure failures in a row, the last "
                f"{result.key}: {result.reason}: {result.detail[:300]}; fix the cause "
                "(is the model server up?) and resume"
            )


@dataclass(frozen=True)
class WorkerMessage:
    kind: str  # "result" | "duplicate" | "error"
    worker: str
    result: ProblemResult | None = None
    text: str = ""


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`, so the REPLs are killed


def worker_main(
    job: EvalJob, name: str, tasks: Any, results: Any, parent_pid: int
) -> None:  # pragma: no cover - runs in a spawned process; exercised by the runner tests
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        solver = ProblemSolver(job, name)
    except Exception as exc:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        results.put(WorkerMessage("error", name, text=f"{type(exc).__name__}: {exc}"))
        return
    try:
        while os.getppid() == parent_pid:
            try:
                problem: Problem | None = tasks.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if problem is None:
                return
            result = solver.solve(problem)
            if result is None:
                results.put(WorkerMessage("duplicate", name, text=problem.key))
            else:
                results.put(WorkerMessage("result", name, result=result))
    except Exception as exc:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the parent stops us: close first
        results.put(WorkerMessage("error", name, text=f"{type(exc).__name__}: {exc}"))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a half-closed store would complain
        solver.close()


def run_local(
    job: EvalJob,
    problems: Sequence[Problem],
    workers: int,
    on_result: ResultCallback,
) -> int:
    """Prove `problems` with `workers` processes; returns how many got a final result here."""
    context = multiprocessing.get_context("spawn")
    tasks = context.Queue()
    results = context.Queue()
    for problem in problems:
        tasks.put(problem)
    count = min(workers, len(problems))
    for _ in range(count):
        tasks.put(None)
    processes: list[BaseProcess] = [
        context.Process(
            target=worker_main,
            args=(job, f"w{i}", tasks, results, os.getpid()),
            name=f"leanwb-eval-w{i}",
            daemon=True,
        )
        for i in range(count)
    ]
    with _sigint_ignored():
        for process in processes:
            process.start()
    finished = 0
    remaining = len(problems)
    graceful = False
    streak = FailureStreak(job.stop_after_failures)
    try:
        while remaining:
            try:
                message: WorkerMessage = results.get(timeout=POLL_S)
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    break  # every worker is gone; what is left stays pending for --resume
                continue
            if message.kind == "error":
                raise EvalError(f"worker {message.worker} failed: {message.text}")
            remaining -= 1
            if message.result is not None:
                finished += 1
                on_result(message.result)
                streak.see(message.result)
        graceful = True
    finally:
        _stop(processes, graceful)
        tasks.cancel_join_thread()
        results.cancel_join_thread()
    return finished


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Processes started inside inherit SIGINT ignored from their first instruction on
    (an interpreter keeps an ignored SIGINT ignored), so Ctrl-C interrupts the parent only."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and only it receives Ctrl-C
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop(processes: Sequence[BaseProcess], graceful: bool) -> None:
    """Let workers finish after their sentinel; on an error or Ctrl-C stop them at once."""
    for process in processes:
        if graceful:
            process.join(timeout=JOIN_S)
        if process.is_alive():
            process.terminate()
            process.join(timeout=JOIN_S)
