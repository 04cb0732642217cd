"""The live progress line of `leanwb eval`, rendered as a terminal of a given width shows it."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from prover.budget import Spent
from prover.eval.progress import LiveProgress, compact, eta_text
from prover.eval.results import ProblemOutcome, ProblemResult, RunCounts

# A run well under way: two digits of run id aside, the widest figures a real run shows.
COUNTS = RunCounts(
    total=1488, done=1000, proved=612, statement_errors=37, lean_calls=184_321, tokens=48_500_000
)


def result(outcome: ProblemOutcome) -> ProblemResult:
    spent = Spent(lean_calls=120, tokens_in=30_000, tokens_out=4_000)
    return ProblemResult("k", "test", "amc", outcome, None, "", 1, spent, "w0")


def rendered(width: int, *outcomes: ProblemOutcome) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    with LiveProgress(COUNTS, console) as progress:
        for outcome in outcomes:
            progress(result(outcome))
    return console.export_text()


def test_every_figure_fits_in_80_columns() -> None:
    text = rendered(80, ProblemOutcome.PROVED, ProblemOutcome.FAILED)
    lines = text.splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 80
    line = lines[0]
    assert "━" in line  # the bar
    assert "1002/1488" in line
    assert "pass 63.5%" in line  # 613 proved of 1002 - 37 = 965 judged
    assert "Lean 184.6k" in line
    assert "tokens 48.6M" in line
    assert re.search(r"ETA (\d+:\d\d:\d\d|-:--:--)", line)
    assert "…" not in line  # nothing cut short


def test_a_narrow_terminal_drops_the_least_useful_figures_first() -> None:
    line = rendered(50, ProblemOutcome.PROVED).splitlines()[0]
    assert len(line) <= 50
    assert "1001/1488" in line and "pass" in line and "ETA" in line
    assert "tokens" not in line and "Lean" not in line and "stmt" not in line


def test_a_wide_terminal_shows_statement_errors_too() -> None:
    line = rendered(160, ProblemOutcome.STATEMENT_ERROR).splitlines()[0]
    assert "stmt errors 38" in line and "tokens" in line


@pytest.mark.parametrize(
    ("number", "text"),
    [(0, "0"), (9_999, "9999"), (12_345, "12.3k"), (999_949, "999.9k"), (999_950, "1.0M")],
)
def test_compact_counts(number: int, text: str) -> None:
    assert compact(number) == text


def test_eta_text() -> None:
    assert eta_text(None) == "-:--:--"
    assert eta_text(3725.4) == "1:02:05"


def test_infrastructure_failures_stay_out_of_the_pass_rate() -> None:
    console = Console(file=io.StringIO(), width=80, record=True, color_system=None)
    down = ProblemResult(
        "k", "test", "amc", ProblemOutcome.FAILED, "generator_error", "", 1, Spent(), "w0"
    )
    with LiveProgress(COUNTS, console) as progress:
        progress(result(ProblemOutcome.PROVED))
        progress(down)
    # 613 of 1002 - 37 - 1 = 964 judged; counting the failure as judged would read 63.5%
    assert "pass 63.6%" in console.export_text()
