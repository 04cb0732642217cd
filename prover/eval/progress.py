"""Live progress of an eval run: done/total, pass rate so far, Lean calls, tokens, ETA.

The line is a bar and one text column built to fit the terminal (the run's id is
on the line printed above it). At 80 columns every figure but the statement errors
fits; when fewer columns do not hold them all, the least useful are left out first
(statement errors, then tokens, then Lean calls), so done/total, the pass rate and
the ETA survive down to narrow terminals. The bar takes whatever width is left.
"""

from __future__ import annotations

from datetime import timedelta
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task
from rich.table import Column
from rich.text import Text

from prover.eval.results import ProblemOutcome, ProblemResult, RunCounts

SEPARATOR = " · "
MIN_BAR = 10
# Rank of each figure: when the line is too wide, the highest rank goes first.
DONE, PASS, ETA, LEAN, TOKENS, STATEMENT_ERRORS = range(6)


def compact(number: int) -> str:
    """`987`, `12.3k`, `4.6M`: a count in at most six characters."""
    if number < 10_000:
        return str(number)
    if number < 999_950:
        return f"{number / 1e3:.1f}k"
    return f"{number / 1e6:.1f}M"


def eta_text(seconds: float | None) -> str:
    return "-:--:--" if seconds is None else str(timedelta(seconds=max(0, round(seconds))))


class Tally:
    """Running totals over the final results seen so far (including earlier sessions)."""

    def __init__(self, counts: RunCounts) -> None:
        self.total = counts.total
        self.done = counts.done
        self.proved = counts.proved
        self.statement_errors = counts.statement_errors
        self.lean_calls = counts.lean_calls
        self.tokens = counts.tokens
        self.infrastructure_failures = counts.infrastructure_failures

    def add(self, result: ProblemResult) -> None:
        self.done += 1
        self.proved += result.outcome is ProblemOutcome.PROVED
        self.statement_errors += result.outcome is ProblemOutcome.STATEMENT_ERROR
        self.lean_calls += result.spent.lean_calls
        self.tokens += result.tokens
        self.infrastructure_failures += result.infrastructure_failure

    @property
    def pass_rate(self) -> float | None:
        judged = self.done - self.statement_errors - self.infrastructure_failures
        return self.proved / judged if judged else None

    def line(self, eta_s: float | None, width: int) -> str:
        """The figures in reading order, leaving out the least useful until `width` holds them."""
        rate = "—" if self.pass_rate is None else f"{100 * self.pass_rate:.1f}%"
        fields = [
            (DONE, f"{self.done}/{self.total}"),
            (PASS, f"pass {rate}"),
            (LEAN, f"Lean {compact(self.lean_calls)}"),
            (TOKENS, f"tokens {compact(self.tokens)}"),
            (STATEMENT_ERRORS, f"stmt errors {self.statement_errors}"),
            (ETA, f"ETA {eta_text(eta_s)}"),
        ]
        while len(fields) > 1 and len(SEPARATOR.join(text for _, text in fields)) > width:
            fields.remove(max(fields))
        return SEPARATOR.join(text for _, text in fields)


class _FiguresColumn(ProgressColumn):
    """The tally's line, fitted to the console width less a minimal bar."""

    def __init__(self, tally: Tally, console: Console, reserved: int) -> None:
        super().__init__(table_column=Column(no_wrap=True))
        self.tally = tally
        self.console = console
        self.reserved = reserved

    def render(self, task: Task) -> Text:
        return Text(self.tally.line(task.time_remaining, self.console.width - self.reserved))


class LiveProgress:
    """A rich progress bar fed with each final result as it arrives."""

    def __init__(self, counts: RunCounts, console: Console) -> None:
        self.tally = Tally(counts)
        self._progress = Progress(
            BarColumn(bar_width=None),
            _FiguresColumn(self.tally, console, reserved=MIN_BAR + 1),  # + the gap after the bar
            console=console,
            transient=False,
            expand=True,
        )
        self._task = self._progress.add_task("eval", total=counts.total, completed=counts.done)

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
        self._progress.update(self._task, completed=self.tally.done)
