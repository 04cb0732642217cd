"""Whole-proof samples in headless Chromium: the attempt page's grid (identical samples
folded with their count, the accepted one highlighted, each opening its text with Lean's
messages on their lines, keys that reach all of it), and the pass@k curves of the eval
report and of `eval compare`. The data are real: `leanwb eval --strategy sample` on the
stand-in REPL with a scripted model (`sample_runs`). Screenshots of each view are kept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from headless_chromium import HeadlessChromium, artifacts_dir
from sample_runs import RUN_A, RUN_B, sample_eval

from prover.eval.compare import compare_runs, render_compare_html
from prover.eval.report import load_summary
from prover.eval.report_site import GRAPHS_DIR, write_html_report
from prover.eval.sampling import SamplingStats
from prover.graph.export import attempt_page_name
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.protocols import NodeKind

pytestmark = pytest.mark.chromium


@dataclass(frozen=True)
class Runs:
    report: Path  # run A's report (index.html), with its graph pages
    compare: Path  # `eval compare A B` as HTML
    graphs: dict[str, Graph]  # run A's attempt graph per problem
    sampling: tuple[SamplingStats, SamplingStats]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    folder = tmp_path_factory.mktemp("samples")
    db = folder / "db.sqlite"
    first = sample_eval(db, folder, RUN_A)
    second = sample_eval(db, folder, RUN_B)
    with Store(db) as store:
        a, b = load_summary(store, first), load_summary(store, second)
        report = write_html_report(store, a, folder / "report", graphs=True)
        compare = folder / "compare.html"
        compare.write_text(render_compare_html(compare_runs(a, b)), encoding="utf-8")
        graphs = {r.key: load_graph(store, r.attempt_id) for r in a.results if r.attempt_id}
    assert a.sampling is not None and b.sampling is not None
    return Runs(report, compare, graphs, (a.sampling, b.sampling))


def page_of(runs: Runs, key: str) -> str:
    attempt = runs.graphs[key].attempt.id
    return (runs.report.parent / GRAPHS_DIR / attempt_page_name(attempt)).as_uri()


def open_page(chromium: HeadlessChromium, url: str) -> None:
    chromium.events.clear()
    chromium.open(url)
    chromium.settle()


def sample_nodes(graph: Graph) -> dict[int, int]:
    """sample index -> node id."""
    return {int(n.meta["index"]): n.id for n in graph.nodes.values() if n.kind is NodeKind.SAMPLE}


CARDS = (
    "[...document.querySelectorAll('#samples .sample-card')].map(c => ({node: +c.dataset.node,"
    " count: +c.dataset.count, cls: c.className, fold: (c.querySelector('.fold') || {}).textContent"
    " || null, text: c.querySelector('.sc-text').textContent}))"
)


def test_the_grid_folds_identical_samples_and_highlights_the_accepted_one(
    chromium: HeadlessChromium, runs: Runs
) -> None:
    graph = runs.graphs["p1"]
    index = sample_nodes(graph)
    open_page(chromium, page_of(runs, "p1"))
    assert chromium.evaluate("leanwbGraph.view()") == "samples"  # a sample attempt opens here
    cards = chromium.evaluate(CARDS)
    # Eight samples, four distinct: the `omga` text four times, the proof twice.
    assert sorted(c["count"] for c in cards) == [1, 1, 2, 4]
    omga = next(c for c in cards if "omga" in c["text"])
    assert omga["count"] == 4 and omga["fold"] == "×4" and "failed" in omga["cls"]
    accepted = [c for c in cards if "accepted" in c["cls"].split()]
    assert len(accepted) == 1 and accepted[0]["count"] == 2 and accepted[0]["fold"] == "×2"
    # The accepted sample is the one the soundness gate's `verify` step starts from.
    verified = next(e for e in graph.edges.values() if e.kind.value == "verify")
    assert accepted[0]["node"] == verified.parents[0] == index[2]
    assert "proved" in accepted[0]["cls"] and "norm_num" in accepted[0]["text"]
    summary = chromium.evaluate("document.querySelector('.samples-head').textContent")
    assert "Samples · 8" in summary and "4 distinct" in summary and "2 verified" in summary
    assert "accepted: sample #2" in summary
    # The refused reply is text, its bidi override an escape.
    refused = next(c for c in cards if "refused" in c["cls"])
    assert "\\u202E" in refused["text"] and "\u202e" not in refused["text"]
    assert "<script>alert(1)</script>" in refused["text"] and chromium.dialogs() == []
    chromium.screenshot(artifacts_dir() / "samples-grid.png")
    assert chromium.console_errors() == []
    assert all(url.startswith("file://") for url in chromium.requests())


def test_opening_a_sample_places_leans_message_on_its_line(
    chromium: HeadlessChromium, runs: Runs
) -> None:
    index = sample_nodes(runs.graphs["p1"])
    open_page(chromium, page_of(runs, "p1"))
    chromium.evaluate(
        f"document.querySelector('#samples .sample-card[data-node=\"{index[4]}\"]').click()"
    )
    chromium.settle()
    assert chromium.evaluate("location.hash") == f"#node-{index[4]}"
    # The message sits right under line 2, the line it refers to.
    placed = chromium.evaluate(
        "[...document.querySelectorAll('#panel .source .inline-msg')].map(m => {"
        " let p = m.previousElementSibling; while (p && !p.classList.contains('line'))"
        " p = p.previousElementSibling;"
        " return [p && p.dataset.line, m.querySelector('button.pos').textContent,"
        " m.textContent]; })"
    )
    assert len(placed) == 1
    line, position, text = placed[0]
    assert (line, position) == ("2", "2:12") and "Unknown identifier `foo`" in text
    assert chromium.evaluate(
        "document.querySelector('#panel .source .line[data-line=\"2\"] .src').textContent"
    ).endswith("linarith [foo]")
    # Its position is a button (keyboard: focus, Enter) that marks the text it covers.
    chromium.evaluate("document.querySelector('#panel .inline-msg button.pos').focus()")
    chromium.press("Enter")
    chromium.settle()
    marked = chromium.evaluate(
        "[document.querySelector('#panel .line.hit').dataset.line,"
        " document.querySelector('#panel .source mark').textContent]"
    )
    assert marked == ["2", "foo"]
    card = chromium.evaluate(
        "document.querySelector('#samples .sample-card.selected').dataset.node"
    )
    assert card == str(index[4])
    chromium.screenshot(artifacts_dir() / "samples-open-with-message.png")
    # A duplicate shows the messages of the one check its text had, and names its twins.
    chromium.evaluate(f"leanwbGraph.select('node', {index[6]})")
    chromium.settle()
    panel = chromium.evaluate("document.getElementById('panel').textContent")
    assert "identical to sample #0, checked once" in panel
    assert "4 identical samples" in panel
    lines = chromium.evaluate(
        "[...document.querySelectorAll('#panel .source .inline-msg')].map(m => m.dataset.line)"
    )
    assert "3" in lines  # `omga`, on line 3
    assert chromium.console_errors() == []


def test_keys_move_through_the_grid_and_switch_views(
    chromium: HeadlessChromium, runs: Runs
) -> None:
    index = sample_nodes(runs.graphs["p1"])
    open_page(chromium, f"{page_of(runs, 'p1')}#node-{index[0]}")
    assert chromium.evaluate("leanwbGraph.view()") == "samples"
    assert chromium.evaluate("document.activeElement.dataset.node") == str(index[0])
    order = [int(c["node"]) for c in chromium.evaluate(CARDS)]
    chromium.press("ArrowRight")
    assert chromium.evaluate("location.hash") == f"#node-{order[1]}"
    assert chromium.evaluate("document.activeElement.dataset.node") == str(order[1])
    chromium.press("ArrowLeft")
    assert chromium.evaluate("location.hash") == f"#node-{order[0]}"
    chromium.press("s")  # to the graph, the sample still selected
    assert chromium.evaluate("leanwbGraph.view()") == "graph"
    assert chromium.evaluate("getComputedStyle(document.getElementById('graph')).display") != (
        "none"
    )
    x, y, w, h = chromium.evaluate(f"leanwbGraph.nodeRect({index[0]})")
    assert x > 0 and x + w < 1400 - 460 and y > 0 and y + h < 900  # centred on screen
    chromium.screenshot(artifacts_dir() / "samples-in-the-graph.png")
    chromium.press("s")
    assert chromium.evaluate("leanwbGraph.view()") == "samples"
    chromium.press("Escape")
    assert chromium.evaluate("location.hash") == ""
    chromium.press("s")
    assert chromium.evaluate("leanwbGraph.view()") == "graph"
    chromium.evaluate("location.hash = '#samples'")  # a link to the grid
    chromium.settle()
    assert chromium.evaluate("leanwbGraph.view()") == "samples"
    assert chromium.console_errors() == []


def test_pages_without_samples_keep_the_graph(chromium: HeadlessChromium, tmp_path: Path) -> None:
    from synthetic_graphs import record_composite_proof

    from prover.graph.export import export_attempt_html
    from prover.types import Theorem

    theorem = Theorem("close", "import Mathlib", "theorem close (a b : ℕ) : a ≤ b + 1 ∧ b ≤ a + 1")
    with Store(tmp_path / "db.sqlite") as store:
        attempt = record_composite_proof(store, store.begin_run("prove", {}), theorem)
        page = export_attempt_html(store, attempt, tmp_path / "page.html")
    open_page(chromium, page.as_uri())
    assert chromium.evaluate("leanwbGraph.view()") == "graph"
    assert chromium.evaluate("document.getElementById('btn-samples').hidden") is True
    chromium.press("s")
    assert chromium.evaluate("leanwbGraph.view()") == "graph"
    assert chromium.console_errors() == []


def chart(chromium: HeadlessChromium) -> dict:
    return chromium.evaluate(
        "(() => { const s = document.querySelector('svg[aria-label^=\"pass@k\"]');"
        " s.scrollIntoView(); const box = (e) => e.getBoundingClientRect();"
        " const marks = [...s.querySelectorAll('polyline, circle')];"
        " return {points: [...s.querySelectorAll('circle.point')].map(c => c.textContent),"
        " measured: s.querySelectorAll('polyline.measured').length,"
        " fits: s.querySelectorAll('polyline.fit').length,"
        " legend: [...s.querySelectorAll('.legend text')].map(t => t.textContent),"
        " legendBottom: Math.max(...[...s.querySelectorAll('.legend > *')]"
        ".map(e => box(e).bottom)),"
        " top: Math.min(...marks.map(e => box(e).top))}; })()"
    )


def test_the_report_draws_pass_at_k_with_its_fit(chromium: HeadlessChromium, runs: Runs) -> None:
    stats = runs.sampling[0]
    assert stats.fit is not None
    chromium.events.clear()
    chromium.open(runs.report.as_uri(), ready="true")
    drawn = chart(chromium)
    assert len(drawn["points"]) == len(stats.pass_at_k) == 4  # k = 1, 2, 4, 8
    assert [p.split(": ")[1].split(",")[0] for p in drawn["points"]] == [
        f"k = {k}" for k, _ in stats.pass_at_k
    ]
    assert drawn["measured"] == 1 and drawn["fits"] == 1
    assert drawn["legend"] == [
        f"run {runs.graphs['p1'].run.id}",
        f"run {runs.graphs['p1'].run.id} fit",
    ]
    assert drawn["legendBottom"] <= drawn["top"]
    text = chromium.evaluate("document.body.innerText")
    assert f"a = {stats.fit['a']:.4g}" in text and f"b = {stats.fit['b']:.4g}" in text
    assert f"coverage predicted at k ≈ {stats.fit['k_for_target']:.3g}" in text
    chromium.screenshot(artifacts_dir() / "eval-report-pass-at-k.png")
    assert chromium.console_errors() == []
    assert all(url.startswith("file://") for url in chromium.requests())


def test_compare_draws_both_runs_pass_at_k_with_the_legend_clear(
    chromium: HeadlessChromium, runs: Runs
) -> None:
    chromium.events.clear()
    chromium.open(runs.compare.as_uri(), ready="true")
    drawn = chart(chromium)
    assert len(drawn["points"]) == sum(len(s.pass_at_k) for s in runs.sampling) == 8
    assert drawn["measured"] == 2 and drawn["fits"] == 2
    assert len(drawn["legend"]) == 4
    assert drawn["legendBottom"] <= drawn["top"]  # the legend is clear of every line
    text = chromium.evaluate("document.body.innerText")
    for stats in runs.sampling:
        assert stats.fit is not None and f"a = {stats.fit['a']:.4g}" in text
    # Run B is the better sampler: its curve lies above A's at k = 1.
    assert runs.sampling[1].pass_at(1) > runs.sampling[0].pass_at(1)
    chromium.screenshot(artifacts_dir() / "eval-compare-pass-at-k.png")
    assert chromium.console_errors() == []


def test_a_sample_accepted_once_repaired_is_marked_so(
    chromium: HeadlessChromium, tmp_path: Path
) -> None:
    from prover.budget import Spent
    from prover.graph.export import export_attempt_html
    from prover.protocols import EdgeKind, LeanOutcome, NodeStatus
    from prover.types import Message, Position, Severity, Theorem, Verdict, VerdictKind

    theorem = Theorem("r", "", "theorem r (x : ℕ) (h : x = 3) : x + 2 = 5")
    broken = theorem.with_proof("by\n  subst h\n  omga")
    fixed = theorem.with_proof("by\n  subst h\n  omega")
    error = Message(Severity.ERROR, Position(3, 2), Position(3, 6), "unknown tactic 'omga'")
    with Store(tmp_path / "db.sqlite") as store:
        rec = store.begin_attempt(store.begin_run("prove", {}), theorem, "sample")
        root = rec.node(NodeKind.STATEMENT, theorem.statement, key="statement")
        meta = {"index": 0, "mode": "cot", "verdict": "failed", "reason": "lean_error",
                "detail": "unknown tactic", "check_key": "k0", "cached": False,
                "duplicate": False, "tokens_in": 90, "tokens_out": 400}  # fmt: skip
        sample = rec.node(NodeKind.SAMPLE, broken, key="sample:0", status=NodeStatus.FAILED,
                          meta=meta)  # fmt: skip
        rec.edge(EdgeKind.SAMPLE, [root], sample, "sample 0 (cot)", strategy="sample")
        check = rec.node(NodeKind.CHECK, broken, key="check:k0", status=NodeStatus.FAILED)
        rec.edge(EdgeKind.CHECK, [sample], check, "lean check", strategy="sample",
                 lean=LeanOutcome("failed", 4.0, (error,)))  # fmt: skip
        repaired = rec.node(NodeKind.PROOF_TEXT, fixed, status=NodeStatus.SOLVED)
        rec.edge(EdgeKind.REPAIR_FIX, [sample], repaired, "omga → omega", strategy="repair",
                 lean=LeanOutcome("proved", 3.0, ()))  # fmt: skip
        final = rec.node(NodeKind.PROOF_TEXT, fixed, key="verified", status=NodeStatus.SOLVED)
        rec.edge(EdgeKind.VERIFY, [repaired], final, "soundness gate", strategy="sample",
                 lean=LeanOutcome("proved", 3.0, ()))  # fmt: skip
        rec.flush()
        store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.PROVED, proof=fixed), Spent())
        page = export_attempt_html(store, rec.attempt_id, tmp_path / "repaired.html")
    open_page(chromium, page.as_uri())
    cards = chromium.evaluate(CARDS)
    assert len(cards) == 1 and "accepted" in cards[0]["cls"].split()
    assert (
        chromium.evaluate("document.querySelector('.sample-card .chip.accepted').textContent")
        == "accepted once repaired"
    )
    chromium.evaluate("document.querySelector('.sample-card').click()")
    chromium.settle()
    panel = chromium.evaluate("document.getElementById('panel').textContent")
    assert "The accepted proof was repaired from this sample" in panel
    assert (
        chromium.evaluate(
            "document.querySelector('#panel .inline-msg').previousElementSibling.dataset.line"
        )
        == "3"
    )
    chromium.screenshot(artifacts_dir() / "samples-repaired.png")
    assert chromium.console_errors() == []
