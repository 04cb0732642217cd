"""The eval report as one self-contained offline HTML page (inline CSS and SVG, no scripts).

Every string from the run (problem names, reasons, Lean messages, proofs, paths) is
escaped, with invisible characters shown as escapes (`prover.visible`). `graph_links`
maps an attempt id to the (relative) address of its exported graph page, anchored at
the node of its final proof; `finals` holds that proof (or near-miss) text, shown
inline; `prices` (the config file's `[prices]`) adds what each problem's tokens cost.
A run that kept whole-proof samples adds its pass@k curve (log-k axis) with the
exponentiated power-law fit drawn and its parameters stated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from prover.config import Price
from prover.eval import plots
from prover.eval.money import money, pricing
from prover.eval.passk import PowerLawFit
from prover.eval.results import ProblemOutcome
from prover.eval.sampling import SamplingStats
from prover.eval.summary import AXIS_LIMITS, COST_AXES, COST_LABELS, RunSummary, percent
from prover.graph.paths import FinalProof
from prover.visible import visible_html

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;
color:#111;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.headline{font-size:1.1rem;background:#f1f5f9;padding:.75rem 1rem;border-radius:6px}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f8fafc}td.num{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{border:1px solid #e5e7eb;border-radius:6px}
.chart text{font-size:11px;fill:#333}.chart .title{font-size:13px;font-weight:600}
.chart .small{font-size:10px}.chart .grid{stroke:#eee}.chart .axis{stroke:#666}
.proved{color:#15803d}.failed{color:#b91c1c}.statement_error{color:#a16207}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
dd{margin:0;word-break:break-all}
.ctl{padding:0 2px;border-radius:3px;background:#a0178c;color:#fff;font:600 11px monospace}
details.proof summary{cursor:pointer;color:#334155;white-space:nowrap}
details.proof pre{margin:.3rem 0 0;padding:.4rem .6rem;background:#f8fafc;border:1px solid #e2e8f0;
border-radius:4px;white-space:pre-wrap;word-break:break-word;max-width:46rem;font-size:12.5px}
details.proof.near pre{border-left:3px solid #b91c1c}
details.proof.proved pre{border-left:3px solid #15803d}
a:focus-visible,summary:focus-visible{outline:2px solid #2563eb;outline-offset:2px}
"""


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """`rows` hold HTML already escaped by the caller (cells may carry links)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{cell}</td>" if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _when(timestamp: Any) -> str:
    if not isinstance(timestamp, int | float):
        return "—"
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_facts(summary: RunSummary) -> str:
    config = summary.config
    dataset = config.get("dataset", {})
    lean = config.get("lean", {})
    facts = [
        ("run", str(summary.run_id)),
        ("dataset", str(dataset.get("name", "?"))),
        ("file", str(dataset.get("path", "?"))),
        ("file sha256", str(dataset.get("sha256", "?"))),
        ("split", str(dataset.get("split") or "all")),
        ("statements", "revised where available" if dataset.get("revised") else "verbatim"),
        ("written for", str(dataset.get("written_for", "unknown"))),
        ("strategy", str(config.get("strategy", "?"))),
        ("budget per problem", summary.budget),
        ("Lean / Mathlib pin", str(lean.get("pin", "unknown"))),
        ("REPL command", " ".join(map(str, lean.get("repl_cmd", [])))),
        ("workers", str(config.get("workers", "?"))),
        ("command", str(config.get("command", ""))),
        ("started", _when(config.get("started_at"))),
        ("ended", _when(config.get("ended_at"))),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return f"<dl>{items}</dl>"


def pass_rate_charts(summaries: Sequence[tuple[str, RunSummary]]) -> list[str]:
    """Pass rate reached within each budget axis that the runs actually spent."""
    charts = []
    for axis in COST_AXES:
        series = [plots.Series(label, s.solved_curve(axis)) for label, s in summaries]
        if axis == "tokens" and not any(x for line in series for x, _ in line.points):
            continue  # no generator tokens were spent: the curve would say nothing
        top = max((y for line in series for _, y in line.points), default=0.0)
        limits = {
            s.config.get("limits", {}).get(AXIS_LIMITS.get(axis, ""), None) for _, s in summaries
        }
        limit = limits.pop() if len(limits) == 1 else None
        charts.append(
            plots.step_chart(
                f"pass rate within a budget of {COST_LABELS[axis]}",
                f"{COST_LABELS[axis]} per problem",
                "pass rate (%)",
                series,
                y_max=min(100.0, max(10.0, top * 1.15)),
                limit=float(limit) if isinstance(limit, int | float) else None,
            )
        )
    return charts


def category_chart(summaries: Sequence[tuple[str, RunSummary]]) -> str:
    """Pass rate per category; n/a where a run has no judged problem in it."""
    names = sorted({name for _, s in summaries for name in s.categories})

    def value(summary: RunSummary, name: str) -> float | None:
        rate = summary.categories[name].pass_rate if name in summary.categories else None
        return None if rate is None else 100 * rate

    bars = [(name, [value(s, name) for _, s in summaries]) for name in names]
    return plots.bar_chart(
        "pass rate per category", bars, [label for label, _ in summaries], y_max=100.0
    )


def cost_histograms(summary: RunSummary) -> list[str]:
    judged = [r for r in summary.results if r.outcome is not ProblemOutcome.STATEMENT_ERROR]
    return [
        plots.histogram(
            f"cost distribution: {COST_LABELS['wall_s']}",
            COST_LABELS["wall_s"],
            [r.spent.wall_s for r in judged],
        ),
        plots.histogram(
            f"cost distribution: {COST_LABELS['lean_calls']}",
            COST_LABELS["lean_calls"],
            [float(r.spent.lean_calls) for r in judged],
        ),
    ]


FIT_POINTS = 48  # points along a drawn fit curve


def _fit_curve(label: str, stats: SamplingStats) -> plots.Series | None:
    if stats.fit is None or not stats.pass_at_k:
        return None
    fit = PowerLawFit(stats.fit["a"], stats.fit["b"], stats.fit["points"])
    k_max = max(k for k, _ in stats.pass_at_k)
    ks = [k_max ** (i / (FIT_POINTS - 1)) for i in range(FIT_POINTS)]
    return plots.Series(f"{label} fit", [(k, 100.0 * fit.coverage(k)) for k in ks])


def pass_at_k_chart(summaries: Sequence[tuple[str, RunSummary]]) -> str:
    """pass@k against k (log scale) with each power-law fit; "" when no run kept samples."""
    runs = [(label, s.sampling) for label, s in summaries if s.sampling is not None]
    if not runs:
        return ""
    series = [plots.Series(label, [(k, 100.0 * v) for k, v in st.pass_at_k]) for label, st in runs]
    return plots.log_k_chart(
        "pass@k (unbiased) and its power-law fit",
        "pass@k (%)",
        series,
        [_fit_curve(label, st) for label, st in runs],
        y_max=100.0,
    )


def fit_statement(label: str, stats: SamplingStats) -> str:
    """The fit's parameters in words (HTML, escaped)."""
    fit = stats.fit
    if fit is None:
        return (
            f"{escape(label)}: no power-law fit (it needs two values of k whose pass@k lies "
            "strictly between 0 and 100%)."
        )
    predicted = fit["k_for_target"]
    target = percent(fit["target"])
    reach = (
        f"the fit never reaches {target}"
        if predicted is None
        else f"{target} coverage predicted at k ≈ {predicted:.3g}"
    )
    return (
        f"{escape(label)}: coverage c(k) = exp(a·k<sup>b</sup>) with "
        f"<strong>a = {fit['a']:.4g}</strong>, <strong>b = {fit['b']:.4g}</strong>, "
        f"fitted on the {fit['points']} point(s) of the curve strictly between 0 and 100%; "
        f"{escape(reach)}."
    )


def sampling_section(summary: RunSummary) -> str:
    """What the run's whole-proof samples achieved: pass@k, its fit, cost per solve, modes."""
    stats = summary.sampling
    if stats is None:
        return ""
    label = f"run {summary.run_id}"
    passk = table(
        ["k", "pass@k"], [[str(k), percent(v)] for k, v in stats.pass_at_k], numeric={0, 1}
    )
    facts = [
        ("samples", f"{stats.samples} on {stats.problems} problem(s), {stats.correct} verified"),
        ("unbiased", "yes" if stats.honest else "no"),
        *([("note", stats.note)] if stats.note else []),
        (
            "tokens per solved problem",
            "—" if stats.tokens_per_solved is None else f"{stats.tokens_per_solved:,.0f}",
        ),
        *(
            [("money per solved problem", money(stats.money_per_solved))]
            if stats.money_per_solved is not None
            else []
        ),
    ]
    keys = ("samples", "correct", "tokens_in", "tokens_out", "checks", "cached", "refused")
    modes = table(
        ["mode", "samples", "verified", "tokens in", "tokens out", "Lean checks", "cached",
         "refused", "problems", "solved"],
        [[escape(name), *(str(row.get(k, 0)) for k in (*keys, "problems", "solved"))]
         for name, row in stats.modes.items()],
        numeric=set(range(1, 10)),
    )  # fmt: skip
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return (
        "<h2>Whole-proof samples</h2>"
        f"<div class='charts'>{pass_at_k_chart([(label, summary)])}</div>"
        f"<p class='fit'>{fit_statement(label, stats)}</p>"
        f"<dl>{items}</dl>{passk}{modes}"
    )


def final_cell(final: FinalProof | None) -> str:
    """The final proof (or near-miss) text, folded under a one-line summary."""
    if final is None:
        return ""
    lines = final.text.count("\n") + 1
    kind = "proved" if final.proved else "near"
    label = "proof" if final.proved else "best near-miss"
    return (
        f"<details class='proof {kind}'><summary>{label} · {lines} line"
        f"{'' if lines == 1 else 's'}</summary><pre>{visible_html(final.text)}</pre></details>"
    )


def _samples_cell(samples: Mapping[str, Any] | None) -> str:
    if not samples:
        return ""
    return f"{int(samples.get('correct', 0))} / {int(samples.get('n', 0))}"


def render_html(
    summary: RunSummary,
    graph_links: Mapping[int, str],
    finals: Mapping[int, FinalProof] | None = None,
    prices: Mapping[str, Price] | None = None,
) -> str:
    finals = finals or {}
    priced = pricing(summary.config, prices or {})
    labelled = [(f"run {summary.run_id}", summary)]
    categories = table(
        ["category", "problems", "proved", "statement errors", "pass rate"],
        [
            [
                escape(name),
                str(t.problems),
                str(t.proved),
                str(t.statement_errors),
                percent(t.pass_rate),
            ]
            for name, t in summary.categories.items()
        ],
        numeric={1, 2, 3, 4},
    )
    costs = table(
        ["cost per problem", "mean", "median", "p90", "max", "total"],
        [
            [
                escape(COST_LABELS[axis]),
                *(
                    _number(v)
                    for v in (stats.mean, stats.median, stats.p90, stats.max, stats.total)
                ),
            ]
            for axis, stats in summary.costs.items()
        ],
        numeric={1, 2, 3, 4, 5},
    )
    failures = table(
        ["failure reason", "problems"],
        [[escape(reason), str(count)] for reason, count in summary.failure_reasons.items()]
        + [
            [f"{escape(reason)} (infrastructure, not counted)", str(count)]
            for reason, count in summary.infrastructure_reasons.items()
        ],
        numeric={1},
    )
    statement_errors = table(
        ["problem", "category", "Lean said"],
        [
            [visible_html(r.key), visible_html(r.category), visible_html(r.detail)]
            for r in summary.statement_errors
        ],
        numeric=set(),
    )
    priced_rows = priced is not None and priced.rate is not None
    sampled = summary.sampling is not None
    problem_rows = []
    for r in summary.results:
        link = graph_links.get(r.attempt_id) if r.attempt_id is not None else None
        final = finals.get(r.attempt_id) if r.attempt_id is not None else None
        where = f"attempt {r.attempt_id}" + (f" · node {final.node}" if final else "")
        graph = (
            f"<a href='{escape(link, quote=True)}'>{escape(where)}</a>"
            if link
            else escape(where if r.attempt_id else "")
        )
        cost = priced.cost(r) if priced is not None else None
        problem_rows.append(
            [
                visible_html(r.key),
                visible_html(r.category),
                f"<span class='{escape(r.outcome.value)}'>{escape(r.outcome.value)}</span>",
                visible_html(r.reason or ""),
                str(r.spent.lean_calls),
                _number(round(r.spent.lean_s, 2)),
                str(r.tokens),
                *([_samples_cell(r.samples)] if sampled else []),
                *([money(cost or 0.0)] if priced_rows else []),
                _number(round(r.spent.wall_s, 2)),
                graph,
                final_cell(final),
            ]
        )
    headers = ["problem", "category", "outcome", "reason", "Lean calls", "Lean s", "tokens"]
    headers += [*(["verified / samples"] if sampled else []), *(["cost"] if priced_rows else [])]
    headers += ["wall s", "graph", "final proof"]
    problems = table(headers, problem_rows, numeric=set(range(4, 8 + sampled + priced_rows)))
    money_line = ""
    if priced is not None:
        total = sum(priced.cost(r) or 0.0 for r in summary.results) if priced_rows else None
        money_line = f"<p class='money'>Model cost: {escape(priced.describe(total))}</p>"
    pending = (
        f"<p>{summary.pending} problem(s) are unfinished; resume the run to finish them.</p>"
        if summary.pending
        else ""
    )
    charts = [*pass_rate_charts(labelled), *cost_histograms(summary), category_chart(labelled)]
    body = (
        f"<h1>Eval run {summary.run_id}</h1>"
        f"<p class='headline'>{escape(summary.headline())}</p>{money_line}{pending}"
        f"{run_facts(summary)}"
        f"<h2>Plots</h2><div class='charts'>{''.join(charts)}</div>"
        f"{sampling_section(summary)}"
        f"<h2>Per category</h2>{categories}"
        "<h2>Cost per problem</h2><p>Over the problems whose statement elaborates.</p>"
        f"{costs}"
        f"<h2>Failures by reason</h2>{failures}"
        f"<h2>Statements that no longer elaborate</h2>"
        f"<p>Not counted as prover failures.</p>{statement_errors}"
        f"<h2>Problems</h2>{problems}"
    )
    return page(f"leanwb eval run {summary.run_id}", body)
