"""The HTML eval report in headless Chromium: it renders its plots, fetches nothing,
logs no error, and its graph links open the exported proof graphs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from headless_chromium import HeadlessChromium, artifacts_dir, browser_or_skip
from synthetic_graphs import record_composite_proof
from test_eval_report import ROWS, record_run

from prover.budget import Limits, Spent
from prover.config import Price
from prover.eval.compare import compare_runs, render_compare_html
from prover.eval.datasets import Problem
from prover.eval.report import load_summary
from prover.eval.report_site import write_html_report
from prover.eval.results import (
    ProblemOutcome,
    ProblemResult,
    commit_result,
    ensure_schema,
    register_problems,
)
from prover.graph.store import Store
from prover.types import Theorem

pytestmark = pytest.mark.chromium


@pytest.fixture(scope="module")
def chromium() -> Iterator[HeadlessChromium]:
    yield from browser_or_skip(width=1300, height=1000)


def test_report_opens_with_plots_and_graph_links(
    chromium: HeadlessChromium, tmp_path: Path
) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        run_id = record_run(store, ROWS, budget=Limits(wall_s=10.0, lean_calls=50))
        index = write_html_report(
            store, load_summary(store, run_id), tmp_path / "report", graphs=True
        )

    chromium.open(index.as_uri(), ready="true")
    chromium.settle()
    charts = chromium.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(s => {"
        " const r = s.getBoundingClientRect();"
        " return [s.getAttribute('aria-label'), r.width > 100 && r.height > 50,"
        " s.querySelectorAll('polyline, rect').length]; })"
    )
    labels = {label for label, visible, _ in charts if visible}
    assert {
        "pass rate within a budget of wall seconds",
        "pass rate within a budget of Lean calls",
        "cost distribution: wall seconds",
        "pass rate per category",
    } <= labels
    assert all(marks > 0 for label, _, marks in charts if "pass rate within" in label)
    assert chromium.evaluate("document.body.innerText").count("<script>alert(1)</script>") >= 1
    assert chromium.dialogs() == []  # the escaped text stayed text
    chromium.screenshot(artifacts_dir() / "eval-report.png")

    link = chromium.evaluate("document.querySelector('a[href^=\"graphs/\"]').href")
    chromium.open(link)  # the graph page sets data-ready once drawn
    assert chromium.evaluate("document.title").startswith(ROWS[0][0])  # the first row: a1
    assert chromium.console_errors() == []
    assert all(url.startswith("file://") for url in chromium.requests())


def test_report_links_each_problem_to_its_node_and_shows_its_proof(
    chromium: HeadlessChromium, tmp_path: Path
) -> None:
    shots = artifacts_dir()
    theorem = Theorem("close", "import Mathlib", "theorem close (a b : ℕ) : a ≤ b + 1 ∧ b ≤ a + 1")
    with Store(tmp_path / "db.sqlite") as store:
        ensure_schema(store.engine)
        config = {"generator": "openai:prover", "strategy": "auto", "limits": {}}
        run_id = store.begin_run("leanwb eval", config, kind="eval")
        register_problems(store.engine, run_id, [Problem("close", "test", "algebra", theorem)])
        attempt_id = record_composite_proof(store, run_id, theorem)
        spent = Spent(tokens_in=2400, tokens_out=380, wall_s=4.2)
        commit_result(
            store.engine,
            run_id,
            ProblemResult(
                "close", "test", "algebra", ProblemOutcome.PROVED, None, "", attempt_id,
                spent, "w0",
            ),
        )  # fmt: skip
        index = write_html_report(
            store,
            load_summary(store, run_id),
            tmp_path / "report",
            graphs=True,
            prices={"openai:prover": Price(1.0, 2.0)},
        )
    chromium.events.clear()
    chromium.open(index.as_uri(), ready="true")
    assert "Model cost: $0.0032" in chromium.evaluate("document.body.innerText")
    # Keyboard: focus the proof's summary and open it with Enter.
    chromium.evaluate("document.querySelector('details.proof summary').focus()")
    chromium.press("Enter")
    assert chromium.evaluate("document.querySelector('details.proof').open") is True
    assert "have h2 : b ≤ a + 1 := by omega" in chromium.evaluate(
        "document.querySelector('details.proof pre').innerText"
    )
    chromium.evaluate("document.querySelector('details.proof').scrollIntoView()")
    chromium.screenshot(shots / "eval-report-proof-inline.png")
    href = chromium.evaluate("document.querySelector('a[href^=\"graphs/\"]').href")
    assert "#node-" in href
    chromium.open(href)
    chromium.settle()
    node_id = href.rsplit("#node-", 1)[1]
    assert f"#{node_id}" in chromium.evaluate("document.querySelector('#panel h2').textContent")
    chromium.screenshot(shots / "eval-report-link-to-node.png")
    assert chromium.console_errors() == []
    assert all(url.startswith("file://") for url in chromium.requests())


def test_compare_page_shows_significance_with_legends_clear(
    chromium: HeadlessChromium, tmp_path: Path
) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        first = record_run(store, ROWS, budget=Limits(wall_s=10.0, lean_calls=50))
        second = record_run(store, ROWS[:3], budget=Limits(wall_s=10.0, lean_calls=50))
        comparison = compare_runs(load_summary(store, first), load_summary(store, second))
    page = tmp_path / "compare.html"
    page.write_text(render_compare_html(comparison), encoding="utf-8")
    chromium.events.clear()
    chromium.open(page.as_uri(), ready="true")
    overlaps = chromium.evaluate(
        "[...document.querySelectorAll('svg.chart')].flatMap(svg => {"
        " const legend = svg.querySelector('g.legend'); if (!legend) return [];"
        " const l = legend.getBoundingClientRect();"
        " return [...svg.querySelectorAll('polyline')].filter(p => {"
        "  const r = p.getBoundingClientRect(); return r.top < l.bottom; })"
        "  .map(() => svg.getAttribute('aria-label')); })"
    )
    assert overlaps == []
    assert chromium.evaluate("document.querySelectorAll('g.legend').length") >= 2
    assert "Which differences are significant" in chromium.evaluate("document.body.innerText")
    chromium.screenshot(artifacts_dir() / "eval-compare.png")
    assert chromium.console_errors() == []
