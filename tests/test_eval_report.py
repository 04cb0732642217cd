"""Eval reports from recorded results: numbers, formats, escaping, comparison, plots."""

from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree

import pytest
from rich.console import Console

from prover.budget import Limits, Spent
from prover.eval.compare import compare_runs, render_compare_html
from prover.eval.datasets import Problem
from prover.eval.html_report import render_html
from prover.eval.report import ReportError, load_summary, render_csv, render_json, render_table
from prover.eval.results import (
    ProblemOutcome,
    ProblemResult,
    commit_result,
    ensure_schema,
    register_problems,
)
from prover.graph.store import Store
from prover.types import Theorem, Verdict, VerdictKind

EVIL = "<script>alert(1)</script>"

# key, category, outcome, reason, lean calls, wall s
ROWS = [
    ("a1", "algebra", ProblemOutcome.PROVED, None, 4, 1.0),
    ("a2", "algebra", ProblemOutcome.PROVED, None, 10, 3.0),
    ("a3", "algebra", ProblemOutcome.FAILED, "wall_time", 40, 9.0),
    ("i1", "induction", ProblemOutcome.FAILED, "start_failed: unknown identifier", 2, 0.5),
    ("s1", "induction", ProblemOutcome.STATEMENT_ERROR, "statement_error", 1, 0.1),
    (f"x{EVIL}", "imo", ProblemOutcome.FAILED, f"search_exhausted {EVIL}", 30, 6.0),
]


def record_run(store: Store, rows: list[tuple], *, budget: Limits, pending: int = 0) -> int:
    ensure_schema(store.engine)
    config = {
        "dataset": {"name": "tiny", "sha256": "ab" * 32, "split": "test", "revised": False},
        "strategy": "bfs",
        "limits": budget.__dict__,
        "lean": {"pin": "leanprover/lean4:v4.24.0; Mathlib f897eb"},
    }
    run_id = store.begin_run("leanwb eval tiny", config, kind="eval")
    problems = [
        Problem(key, "test", category, Theorem(key, "", f"theorem t{i} : True"))
        for i, (key, category, *_) in enumerate(rows)
    ]
    extra = [
        Problem(f"pending{i}", "test", "algebra", Theorem(f"pending{i}", "", "theorem q : True"))
        for i in range(pending)
    ]
    register_problems(store.engine, run_id, problems + extra)
    for problem, (key, category, outcome, reason, calls, wall) in zip(problems, rows, strict=True):
        recorder = store.begin_attempt(run_id, problem.theorem, "bfs")
        spent = Spent(lean_calls=calls, lean_s=wall / 2, tokens_in=calls, wall_s=wall)
        kind = VerdictKind.PROVED if outcome is ProblemOutcome.PROVED else VerdictKind.FAILED
        store.finish_attempt(recorder.attempt_id, Verdict(kind, reason=reason), spent)
        commit_result(
            store.engine,
            run_id,
            ProblemResult(
                key,
                "test",
                category,
                outcome,
                reason,
                f"detail {EVIL}",
                recorder.attempt_id,
                spent,
                "w0",
            ),
        )
    return run_id


def test_summary_numbers(store: Store) -> None:
    run_id = record_run(store, ROWS, budget=Limits(wall_s=10.0, lean_calls=50), pending=2)
    summary = load_summary(store, run_id)
    overall = summary.overall
    assert (overall.problems, overall.proved, overall.statement_errors) == (6, 2, 1)
    assert overall.pass_rate == pytest.approx(2 / 5)
    assert overall.pass_rate_all == pytest.approx(2 / 6)
    assert summary.pending == 2
    assert summary.categories["algebra"].pass_rate == pytest.approx(2 / 3)
    assert summary.categories["induction"].pass_rate == 0.0
    assert summary.failure_reasons == {"wall_time": 1, "start_failed": 1, "search_exhausted": 1}
    # costs leave the statement error out: 5 problems
    assert summary.costs["lean_calls"].total == 4 + 10 + 40 + 2 + 30
    assert summary.costs["lean_calls"].median == 10
    assert summary.solved_curve("wall_s") == [(1.0, 20.0), (3.0, 40.0)]
    headline = summary.headline()
    assert "40.0% (2/5)" in headline and "10 s wall" in headline and "50 Lean calls" in headline
    assert "1 statement(s) no longer elaborate" in headline and "2/6" in headline


def test_json_csv_and_table(store: Store) -> None:
    run_id = record_run(store, ROWS, budget=Limits(wall_s=10.0))
    summary = load_summary(store, run_id)
    payload = json.loads(json.dumps(render_json(summary)))
    assert payload["overall"]["proved"] == 2
    assert payload["categories"]["imo"]["problems"] == 1
    assert {p["key"] for p in payload["problems"]} == {row[0] for row in ROWS}
    assert payload["budget"] == summary.budget
    rows = list(csv.DictReader(io.StringIO(render_csv(summary))))
    assert [r["key"] for r in rows] == [row[0] for row in ROWS]
    assert {r["run_id"] for r in rows} == {str(run_id)}
    assert rows[2]["outcome"] == "failed" and rows[2]["lean_calls"] == "40"
    console = Console(record=True, width=200)
    render_table(summary, console)
    text = console.export_text()
    assert "induction" in text and "wall_time" in text and "leanwb graph export" in text


def test_html_is_escaped_self_contained_and_has_plots(store: Store) -> None:
    run_id = record_run(store, ROWS, budget=Limits(wall_s=10.0))
    summary = load_summary(store, run_id)
    html = render_html(summary, {1: "graphs/attempt-1.html"})
    assert EVIL not in html and "&lt;script&gt;" in html
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "href='graphs/attempt-1.html'" in html
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    titles = [ElementTree.fromstring(svg).get("aria-label") for svg in svgs]
    assert "pass rate within a budget of wall seconds" in titles
    assert "pass rate within a budget of Lean calls" in titles
    assert "cost distribution: wall seconds" in titles
    assert "pass rate per category" in titles
    assert "Statements that no longer elaborate" in html


def test_compare_two_runs(store: Store) -> None:
    first = record_run(store, ROWS, budget=Limits(wall_s=10.0))
    flipped = [
        (key, cat, ProblemOutcome.PROVED if key == "a3" else outcome, reason, calls, wall)
        if key != "a1"
        else (key, cat, ProblemOutcome.FAILED, "wall_time", calls, wall)
        for key, cat, outcome, reason, calls, wall in ROWS
    ]
    second = record_run(store, flipped, budget=Limits(wall_s=20.0))
    comparison = compare_runs(load_summary(store, first), load_summary(store, second))
    assert comparison.both == ["a2"]
    assert comparison.only_a == ["a1"]
    assert comparison.only_b == ["a3"]
    assert any("budget differs" in w for w in comparison.warnings)
    html = render_compare_html(comparison)
    assert EVIL not in html and "budget differs" in html
    assert html.count("<svg") >= 3


def test_report_refuses_a_non_eval_run(store: Store) -> None:
    run_id = store.begin_run("leanwb prove", {}, kind="prove")
    with pytest.raises(ReportError, match="not an eval run"):
        load_summary(store, run_id)
