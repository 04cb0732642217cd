"""Exported pages in headless Chromium, used the way a person uses them: no console
errors, no network, the proof path drawn highlighted, clicks and keys that open panels
with the provenance of every step, search, collapsing, escaping, and a 3k-node graph
that draws only what is on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from headless_chromium import HeadlessChromium
from synthetic_graphs import CLOSE_THEOREM as THEOREM
from synthetic_graphs import record_search_tree
from test_graph_export import EVIL_NAME, EVIL_PREMISE, EVIL_TACTIC, record_hostile

from prover.budget import Spent
from prover.graph.export import export_attempt_html
from prover.graph.paths import proof_path
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.types import Verdict, VerdictKind

pytestmark = pytest.mark.chromium

AMBER = (0xE8, 0xA2, 0x00)  # the proof path's colour in page.js


def open_page(chromium: HeadlessChromium, page: Path) -> None:
    chromium.events.clear()
    chromium.open(page.as_uri())
    chromium.settle()


def panel(chromium: HeadlessChromium) -> str:
    return str(chromium.evaluate("document.getElementById('panel').textContent"))


def heading(chromium: HeadlessChromium) -> str:
    return str(chromium.evaluate("document.querySelector('#panel h2').textContent"))


def pixel(chromium: HeadlessChromium, x: float, y: float) -> tuple[int, int, int]:
    rgba = chromium.evaluate(
        "(() => { const c = document.getElementById('canvas'); const r = c.getBoundingClientRect();"
        f" const k = c.width / r.width; return Array.from(c.getContext('2d')"
        f".getImageData(Math.round(({x} - r.left) * k), Math.round(({y} - r.top) * k), 1, 1).data);"
        " })()"
    )
    return rgba[0], rgba[1], rgba[2]


def near(colour: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


def border_colour(chromium: HeadlessChromium, node_id: int) -> tuple[int, int, int]:
    """The warmest colour across a node's top border (right of where edges come in), as
    drawn on the canvas: amber where the proof path runs, grey or green elsewhere."""
    x, y, w, _ = chromium.evaluate(f"leanwbGraph.nodeRect({node_id})")
    column = [pixel(chromium, x + w * 0.75, y + dy) for dy in range(-3, 4)]
    return max(column, key=lambda rgb: rgb[0] - rgb[2])


def test_page_opens_offline_without_errors_and_highlights_the_proof_path(
    chromium: HeadlessChromium, composite: tuple[Graph, Path], tmp_path: Path
) -> None:
    graph, page = composite
    open_page(chromium, page)
    assert chromium.console_errors() == []
    assert chromium.requests() == [page.as_uri()]  # the page itself, nothing else
    assert chromium.evaluate("document.title").startswith("close · proved")
    assert "Attempt summary" in panel(chromium)
    assert "10 steps" in panel(chromium)  # the proof path, listed
    path = proof_path(graph)
    off_path = [n for n in graph.nodes if n not in path.nodes]
    assert not off_path  # here every node leads to the proof; see the tree test below
    for node_id in (path.nodes[0], path.nodes[-1]):
        assert near(border_colour(chromium, node_id), AMBER)
    chromium.screenshot(tmp_path / "composite.png")
    assert (tmp_path / "composite.png").stat().st_size > 20_000


def test_clicking_nodes_and_steps_opens_their_provenance(
    chromium: HeadlessChromium, composite: tuple[Graph, Path]
) -> None:
    graph, page = composite
    open_page(chromium, page)
    hole = next(n for n in graph.nodes.values() if n.text == "a b : ℕ\n⊢ a ≤ b + 1")
    chromium.evaluate(f"leanwbGraph.centerOn({hole.id})")
    chromium.settle()
    x, y, w, h = chromium.evaluate(f"leanwbGraph.nodeRect({hole.id})")
    chromium.click(x + w / 2, y + h / 2)
    text = panel(chromium)
    assert f"#{hole.id}" in text and "⊢ a ≤ b + 1" in text
    assert "Tried here without a result (1)" in text and "linarith" in text
    assert "Why is this here" in text

    step = next(e for e in graph.edges.values() if e.action == "omega" and e.generator)
    chromium.evaluate(f"leanwbGraph.centerOn({step.child})")
    chromium.settle()
    chromium.click(*chromium.evaluate(f"leanwbGraph.stepPoint({step.id})"))
    text = panel(chromium)
    for expected in (
        f"step #{step.id}",
        "demo/tactic-model-1.3b",
        "3f9a0c1d2e4b5a69",
        "Nat.add_comm",
        "sq_nonneg",
        "completed",
        "33 ms",
        "temperature",
    ):
        assert expected in text
    assert chromium.console_errors() == []


def test_every_step_panel_shows_its_provenance(
    chromium: HeadlessChromium, composite: tuple[Graph, Path]
) -> None:
    graph, page = composite
    open_page(chromium, page)
    for edge in graph.edges.values():
        chromium.evaluate(f"leanwbGraph.select('edge', {edge.id})")
        text = panel(chromium)
        assert f"step #{edge.id}" in heading(chromium) and edge.strategy in text
        assert edge.action.splitlines()[0] in text
        if edge.model:
            assert edge.model in text
        if edge.lean_status:
            assert edge.lean_status in text
        for message in edge.lean_messages:
            assert message["text"] in text
        for parent in edge.parents:
            assert f"#{parent}" in text
    assert chromium.console_errors() == []


def test_keys_why_search_and_collapse(chromium: HeadlessChromium, tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        run_id = store.begin_run("prove", {})
        rec = store.begin_attempt(run_id, THEOREM, "search")
        record_search_tree(rec, THEOREM, 300, seed=3)
        store.finish_attempt(
            rec.attempt_id, Verdict(VerdictKind.PROVED, proof="by\n  intro x\n  omega"), Spent()
        )
        graph = load_graph(store, rec.attempt_id)
        page = export_attempt_html(store, rec.attempt_id, tmp_path / "tree.html")
    open_page(chromium, page)
    path = proof_path(graph)

    chromium.evaluate(f"leanwbGraph.select('node', {path.nodes[3]})")
    chromium.press("w")
    assert "Why is this here · 3 steps from the statement" in panel(chromium)
    chromium.press("ArrowDown")
    assert heading(chromium).endswith(f"#{path.nodes[4]}on the proof pathlink")  # down: the path
    chromium.press("ArrowUp")
    assert heading(chromium).endswith(f"#{path.nodes[3]}on the proof pathlink")

    chromium.evaluate("document.getElementById('search').focus()")
    chromium.send("Input.insertText", text="goal 1")
    chromium.press("Enter")
    chromium.settle()
    count = chromium.evaluate("document.getElementById('search-count').textContent")
    matches = sum("goal 1" in n.text for n in graph.nodes.values())
    assert count == f"1 / {matches}"
    assert "goal 1" in panel(chromium)

    before = chromium.evaluate("leanwbGraph.visibleCount()")
    chromium.evaluate("document.getElementById('btn-collapse').click()")
    collapsed = chromium.evaluate("leanwbGraph.visibleCount()")
    assert len(path.nodes) <= collapsed < before
    chromium.evaluate("document.getElementById('btn-expand').click()")
    assert chromium.evaluate("leanwbGraph.visibleCount()") == before
    off_path = next(n for n in graph.nodes if n not in path.nodes)
    chromium.evaluate(f"leanwbGraph.select('node', {off_path})")
    chromium.settle()
    assert not near(border_colour(chromium, off_path), AMBER)
    chromium.screenshot(tmp_path / "tree.png")
    assert chromium.console_errors() == []


def test_hostile_strings_render_as_text(chromium: HeadlessChromium, tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        attempt_id = record_hostile(store, store.begin_run("prove", {}))
        graph = load_graph(store, attempt_id)
        page = export_attempt_html(store, attempt_id, tmp_path / "evil.html")
    open_page(chromium, page)
    assert chromium.dialogs() == []
    assert chromium.evaluate("document.scripts.length") == 2
    assert chromium.evaluate("document.querySelectorAll('img, iframe').length") == 0
    assert chromium.evaluate("document.getElementById('theorem-name').textContent") == EVIL_NAME
    assert chromium.evaluate("document.title").startswith(EVIL_NAME)
    step = next(e for e in graph.edges.values() if e.action == EVIL_TACTIC)
    chromium.evaluate(f"leanwbGraph.select('edge', {step.id})")
    text = panel(chromium)
    assert EVIL_TACTIC in text and EVIL_PREMISE in text and "unexpected '</script>' & <div>" in text
    assert chromium.dialogs() == [] and chromium.console_errors() == []
    chromium.screenshot(tmp_path / "evil.png")


def test_a_large_graph_draws_only_what_is_on_screen(
    chromium: HeadlessChromium, tmp_path: Path
) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        rec = store.begin_attempt(store.begin_run("bench", {}), THEOREM, "search")
        record_search_tree(rec, THEOREM, 3000, seed=1)
        store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "demo"), Spent())
        page = export_attempt_html(store, rec.attempt_id, tmp_path / "big.html")
    open_page(chromium, page)
    visible = chromium.evaluate("leanwbGraph.visibleCount()")
    assert visible == 3003
    assert 0 < chromium.evaluate("leanwbGraph.drawnCount()") < 200
    chromium.evaluate("leanwbGraph.fit()")
    chromium.settle()
    assert chromium.evaluate("leanwbGraph.drawnCount()") == visible
    assert chromium.console_errors() == []


def test_a_proof_from_leanwb_prove_opens_with_its_path_and_provenance(
    chromium: HeadlessChromium, standin_env: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from prover.cli import app

    theorem = "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"
    proved = CliRunner().invoke(app, ["prove", theorem])
    assert proved.exit_code == 0, proved.output
    page = tmp_path / "t.html"
    assert CliRunner().invoke(app, ["graph", "export", "1", "-o", str(page)]).exit_code == 0
    with Store(standin_env) as store:
        graph = load_graph(store, 1)
    open_page(chromium, page)
    assert chromium.console_errors() == [] and chromium.requests() == [page.as_uri()]
    path = proof_path(graph)
    assert graph.nodes[path.nodes[-1]].status == "solved"
    for node_id in path.nodes:
        assert near(border_colour(chromium, node_id), AMBER)
    for edge in graph.edges.values():
        chromium.evaluate(f"leanwbGraph.select('edge', {edge.id})")
        text = panel(chromium)
        assert edge.strategy in text and (edge.lean_status or "not checked") in text
        if edge.generator:
            assert edge.generator in text
    chromium.screenshot(tmp_path / "proved.png")
