"""Live progress of an eval run: done/total, pass rate so far, Lean calls, tokens, ETA."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from prover.eval.results import ProblemOutcome, ProblemResult, RunCounts


class Tally:
    """Running totals over the final results seen so far (including earlier sessions)."""

    def __init__(self, counts: RunCounts) -> None:
        self.total = counts.total
        self.done = counts.done
        self.proved = counts.proved
        self.statement_errors = counts.statement_errors
        self.lean_calls = counts.lean_calls
        self.tokens = counts.tokens

    def add(self, result: ProblemResult) -> None:
        self.done += 1
        self.proved += result.outcome is ProblemOutcome.PROVED
        self.statement_errors += result.outcome is ProblemOutcome.STATEMENT_ERROR
        self.lean_calls += result.spent.lean_calls
        self.tokens += result.tokens

    @property
    def pass_rate(self) -> float | None:
        judged = self.done - self.statement_errors
        return self.proved / judged if judged else None

    def line(self) -> str:
        rate = "—" if self.pass_rate is None else f"{100 * self.pass_rate:.1f}%"
        return (
            f"proved {self.proved} · pass {rate} · stmt errors {self.statement_errors} · "
            f"Lean calls {self.lean_calls} · tokens {self.tokens}"
        )


class LiveProgress:
    """A rich progress bar fed with each final result as it arrives."""

    def __init__(self, counts: RunCounts, console: Console, label: str) -> None:
        self.tally = Tally(counts)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[stats]}"),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task(
            label, total=counts.total, completed=counts.done, stats=self.tally.line()
        )
        self.started = time.monotonic()

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, result: ProblemResult) -> None:
        self.tally.add(result)
        self._progress.update(self._task, completed=self.tally.done, stats=self.tally.line())
