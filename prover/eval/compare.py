"""`leanwb eval compare A B`: two eval runs side by side.

Problems are matched by key. Any difference in what was asked (dataset file,
split, statement version, budget, Lean pin) is listed as a warning first: two
pass rates are only comparable when those agree. Whether a difference is more than
chance is McNemar's exact test on the problems both runs attempted, overall and
per category (`prover.eval.significance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from prover.eval.html_report import (
    category_chart,
    fit_statement,
    page,
    pass_at_k_chart,
    pass_rate_charts,
    table,
)
from prover.eval.results import ProblemOutcome
from prover.eval.significance import PairedTest
from prover.eval.summary import COST_LABELS, RunSummary, percent

OVERALL = "all problems"


@dataclass(frozen=True)
class Comparison:
    a: RunSummary
    b: RunSummary
    both: list[str]
    only_a: list[str]
    only_b: list[str]
    neither: list[str]
    unmatched: int  # problems finished in one run but not the other
    warnings: list[str]
    tests: dict[str, PairedTest]  # OVERALL, then each category

    @property
    def significant(self) -> list[str]:
        """The groups (OVERALL or a category) whose difference is significant."""
        return [group for group, test in self.tests.items() if test.significant]

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": [self.a.run_id, self.b.run_id],
            "warnings": self.warnings,
            "headline": [self.a.headline(), self.b.headline()],
            "overall": [self.a.overall.as_dict(), self.b.overall.as_dict()],
            "categories": {
                name: [
                    s.categories[name].as_dict() if name in s.categories else None
                    for s in (self.a, self.b)
                ]
                for name in categories(self)
            },
            "cost_median": {
                axis: [self.a.costs[axis].median, self.b.costs[axis].median] for axis in COST_LABELS
            },
            "proved_by_both": self.both,
            "proved_only_by_a": self.only_a,
            "proved_only_by_b": self.only_b,
            "proved_by_neither": len(self.neither),
            "unmatched": self.unmatched,
            "mcnemar_exact": {group: test.as_dict() for group, test in self.tests.items()},
            "pass_at_k": {
                str(k): [_pass_at(s, k) for s in (self.a, self.b)] for k in pass_ks(self)
            },
        }


def pass_ks(comparison: Comparison) -> list[int]:
    """The k of either run's pass@k curve (runs with whole-proof samples)."""
    found = {k for s in (comparison.a, comparison.b) if s.sampling for k, _ in s.sampling.pass_at_k}
    return sorted(found)


def _pass_at(summary: RunSummary, k: int) -> float | None:
    return summary.sampling.pass_at(k) if summary.sampling is not None else None


def categories(comparison: Comparison) -> list[str]:
    return sorted(set(comparison.a.categories) | set(comparison.b.categories))


def _differences(a: RunSummary, b: RunSummary) -> list[str]:
    checks = {
        "dataset file (sha256)": lambda s: s.config.get("dataset", {}).get("sha256"),
        "split": lambda s: s.config.get("dataset", {}).get("split"),
        "statement version (--revised)": lambda s: s.config.get("dataset", {}).get("revised"),
        "problem limit": lambda s: s.config.get("dataset", {}).get("limit"),
        "budget": lambda s: s.budget,
        "Lean / Mathlib pin": lambda s: s.config.get("lean", {}).get("pin"),
    }
    return [
        f"{what} differs: run {a.run_id} has {get(a)!r}, run {b.run_id} has {get(b)!r}"
        for what, get in checks.items()
        if get(a) != get(b)
    ]


def compare_runs(a: RunSummary, b: RunSummary) -> Comparison:
    proved_a = {r.key: r.outcome is ProblemOutcome.PROVED for r in a.results}
    proved_b = {r.key: r.outcome is ProblemOutcome.PROVED for r in b.results}
    shared = [key for key in proved_a if key in proved_b]
    category = {r.key: r.category for r in a.results}
    groups: dict[str, list[str]] = {OVERALL: shared}
    for key in shared:
        groups.setdefault(category[key], []).append(key)
    tests = {
        group: PairedTest(
            pairs=len(keys),
            only_a=sum(proved_a[k] and not proved_b[k] for k in keys),
            only_b=sum(proved_b[k] and not proved_a[k] for k in keys),
        )
        for group, keys in sorted(groups.items(), key=lambda item: item[0] != OVERALL)
    }
    warnings = _differences(a, b)
    unmatched = len(set(proved_a) ^ set(proved_b))
    if unmatched:
        warnings.append(f"{unmatched} problem(s) are finished in only one of the two runs")
    return Comparison(
        a=a,
        b=b,
        both=[k for k in shared if proved_a[k] and proved_b[k]],
        only_a=[k for k in shared if proved_a[k] and not proved_b[k]],
        only_b=[k for k in shared if proved_b[k] and not proved_a[k]],
        neither=[k for k in shared if not proved_a[k] and not proved_b[k]],
        unmatched=unmatched,
        warnings=warnings,
        tests=tests,
    )


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _rows(comparison: Comparison) -> list[tuple[str, str, str]]:
    a, b = comparison.a, comparison.b

    def both(get: Any) -> tuple[str, str]:
        return str(get(a)), str(get(b))

    rows = [
        ("dataset", *both(lambda s: s.config.get("dataset", {}).get("name", "?"))),
        ("strategy", *both(lambda s: s.config.get("strategy", "?"))),
        ("budget", *both(lambda s: s.budget)),
        ("finished / problems", *both(lambda s: f"{len(s.results)}/{s.registered}")),
        (
            "pass rate (statements that elaborate)",
            *both(
                lambda s: f"{percent(s.overall.pass_rate)} ({s.overall.proved}/{s.overall.judged})"
            ),
        ),
        ("pass rate (all finished)", *both(lambda s: percent(s.overall.pass_rate_all))),
        ("statement errors", *both(lambda s: s.overall.statement_errors)),
    ]
    rows += [
        (f"median {label}", *both(lambda s, axis=axis: _number(s.costs[axis].median)))
        for axis, label in COST_LABELS.items()
    ]
    rows += [
        (f"pass@{k}", *both(lambda s, k=k: percent(_pass_at(s, k)))) for k in pass_ks(comparison)
    ]
    rows += [
        (
            f"category {name}",
            *both(
                lambda s, name=name: (
                    percent(s.categories[name].pass_rate) if name in s.categories else "—"
                )
            ),
        )
        for name in categories(comparison)
    ]
    return rows


def render_compare_table(comparison: Comparison, console: Console) -> None:
    for warning in comparison.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    grid = Table("", f"run {comparison.a.run_id}", f"run {comparison.b.run_id}")
    for row in _rows(comparison):
        grid.add_row(*row)
    console.print(grid)
    console.print(
        Text(
            f"proved by both {len(comparison.both)}; only run {comparison.a.run_id}: "
            f"{', '.join(comparison.only_a) or 'none'}; only run {comparison.b.run_id}: "
            f"{', '.join(comparison.only_b) or 'none'}"
        )
    )
    tests = Table(
        "difference in",
        f"only run {comparison.a.run_id}",
        f"only run {comparison.b.run_id}",
        "paired",
        "p (McNemar exact)",
        "significant?",
        title="Is it more than chance? (problems both runs attempted)",
    )
    for group, test in comparison.tests.items():
        tests.add_row(
            group,
            str(test.only_a),
            str(test.only_b),
            str(test.pairs),
            f"{test.p_value:.3g}",
            Text("yes", style="bold green") if test.significant else Text("no", style="dim"),
        )
    console.print(tests)


def render_compare_html(comparison: Comparison) -> str:
    a, b = comparison.a, comparison.b
    labelled = [(f"run {a.run_id}", a), (f"run {b.run_id}", b)]
    warnings = "".join(f"<li>{escape(w)}</li>" for w in comparison.warnings)
    grid = table(
        ["", f"run {a.run_id}", f"run {b.run_id}"],
        [[escape(cell) for cell in row] for row in _rows(comparison)],
        numeric=set(),
    )
    only = table(
        ["proved only by", "problems"],
        [
            [f"run {a.run_id}", escape(", ".join(comparison.only_a) or "none")],
            [f"run {b.run_id}", escape(", ".join(comparison.only_b) or "none")],
        ],
        numeric=set(),
    )
    significance = table(
        [
            "difference in",
            f"only run {a.run_id}",
            f"only run {b.run_id}",
            "paired problems",
            "p (McNemar exact)",
            "significant at 5%?",
        ],
        [
            [
                escape(group),
                str(test.only_a),
                str(test.only_b),
                str(test.pairs),
                f"{test.p_value:.3g}",
                "<strong class='proved'>yes</strong>" if test.significant else "no",
            ]
            for group, test in comparison.tests.items()
        ],
        numeric={1, 2, 3, 4},
    )
    charts = [*pass_rate_charts(labelled), pass_at_k_chart(labelled), category_chart(labelled)]
    fits = "".join(
        f"<p class='fit'>{fit_statement(label, s.sampling)}</p>"
        for label, s in labelled
        if s.sampling is not None
    )
    body = (
        f"<h1>Eval runs {a.run_id} and {b.run_id}</h1>"
        + (f"<h2>Not like for like</h2><ul>{warnings}</ul>" if warnings else "")
        + f"{grid}<h2>Plots</h2><div class='charts'>{''.join(charts)}</div>{fits}"
        + f"<h2>Differences</h2>{only}"
        + "<h2>Which differences are significant</h2><p>McNemar's exact test on the problems"
        " both runs attempted: only problems proved by one run and not the other count.</p>"
        + significance
    )
    return page(f"leanwb eval compare {a.run_id} {b.run_id}", body)
