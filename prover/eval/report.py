"""`leanwb eval report`: one run's summary as a rich table, JSON or CSV.

The HTML report (with plots and links to each proof graph) is `prover.eval.html_report`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from prover.errors import ReportError
from prover.eval.results import ensure_schema, final_results, run_counts
from prover.eval.summary import (
    COST_LABELS,
    RESULT_FIELDS,
    RunSummary,
    percent,
    result_dict,
    summarize,
)
from prover.graph.store import Store, StoreError

EVAL_KIND = "eval"


def load_summary(store: Store, run_id: int) -> RunSummary:
    try:
        run = store.run(run_id)
    except StoreError as exc:
        raise ReportError(str(exc)) from exc
    if run.kind != EVAL_KIND:
        raise ReportError(f"run {run_id} is a `{run.kind}` run, not an eval run")
    ensure_schema(store.engine)
    counts = run_counts(store.engine, run_id)
    config = dict(run.config)
    config.setdefault("command", run.command)
    config["started_at"] = run.started_at
    config["ended_at"] = run.ended_at
    return summarize(run_id, config, counts.total, final_results(store.engine, run_id))


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def render_table(summary: RunSummary, console: Console) -> None:
    config = summary.config
    dataset = config.get("dataset", {})
    console.print(
        Text(
            f"run {summary.run_id}: {dataset.get('name', '?')} "
            f"split {dataset.get('split') or 'all'}, strategy {config.get('strategy', '?')}, "
            f"{'revised' if dataset.get('revised') else 'verbatim'} statements",
            style="bold",
        )
    )
    console.print(Text(summary.headline()))
    if summary.pending:
        console.print(
            Text(f"{summary.pending} problem(s) unfinished; resume the run to finish them.")
        )
    categories = Table("category", "problems", "proved", "stmt errors", "pass rate", title="")
    for name, tally in summary.categories.items():
        categories.add_row(
            name,
            str(tally.problems),
            str(tally.proved),
            str(tally.statement_errors),
            percent(tally.pass_rate),
        )
    costs = Table("cost per problem", "mean", "median", "p90", "max", "total")
    for axis, stats in summary.costs.items():
        costs.add_row(
            COST_LABELS[axis],
            *(_fmt(v) for v in (stats.mean, stats.median, stats.p90, stats.max, stats.total)),
        )
    failures = Table("failure reason", "problems")
    for reason, count in summary.failure_reasons.items():
        failures.add_row(reason, str(count))
    for reason, count in summary.infrastructure_reasons.items():
        failures.add_row(f"{reason} (infrastructure, not counted)", str(count))
    problems = Table("problem", "category", "outcome", "reason", "Lean calls", "wall s", "graph")
    for result in summary.results:
        problems.add_row(
            result.key,
            result.category,
            result.outcome.value,
            result.reason or "",
            str(result.spent.lean_calls),
            f"{result.spent.wall_s:.2f}",
            f"leanwb graph export {result.attempt_id}" if result.attempt_id else "",
        )
    console.print(Group(categories, costs, failures, problems))


def render_json(summary: RunSummary) -> dict[str, Any]:
    payload = summary.as_dict()
    payload["headline"] = summary.headline()
    return payload


def render_csv(summary: RunSummary) -> str:
    """One line per problem; the run's budget and id on every line, so files can be joined."""
    out = io.StringIO()
    fields = ["run_id", "budget", *RESULT_FIELDS]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for result in summary.results:
        writer.writerow({"run_id": summary.run_id, "budget": summary.budget, **result_dict(result)})
    return out.getvalue()
