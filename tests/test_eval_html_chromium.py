"""The HTML eval report in headless Chromium: it renders its plots, fetches nothing,
logs no error, and its graph links open the exported proof graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from headless_chromium import HeadlessChromium, find_chromium
from test_eval_report import ROWS, record_run

from prover.budget import Limits
from prover.eval.report import load_summary
from prover.eval.report_site import write_html_report
from prover.graph.store import Store

pytestmark = pytest.mark.chromium


@pytest.fixture(scope="module")
def chromium() -> HeadlessChromium:
    if find_chromium() is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("websocket", reason="needs websocket-client (the test extra)")
    with HeadlessChromium(width=1300, height=1000) as browser:
        yield browser


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
    chromium.screenshot(tmp_path / "report.png")

    link = chromium.evaluate("document.querySelector('a[href^=\"graphs/\"]').href")
    chromium.open(link)  # the graph page sets data-ready once drawn
    assert chromium.evaluate("document.title").startswith(ROWS[0][0])  # the first row: a1
    assert chromium.console_errors() == []
    assert all(url.startswith("file://") for url in chromium.requests())
