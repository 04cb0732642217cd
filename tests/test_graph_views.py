"""The graph page's views in headless Chromium: step labels that never overlap, goals
that show their target first, repairs as diffs, anchors that select, clickable source
positions, invisible characters shown as escapes, and the keys that reach all of it.
Screenshots of each view are kept (see `artifacts_dir`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from headless_chromium import HeadlessChromium, artifacts_dir
from synthetic_graphs import CLOSE_THEOREM as THEOREM
from synthetic_graphs import record_sketch_holes

from prover.budget import Spent
from prover.graph.export import export_attempt_html
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.protocols import EdgeKind, LeanOutcome, NodeKind
from prover.types import Message, Position, Severity, Theorem, Verdict, VerdictKind

pytestmark = pytest.mark.chromium

# A "trojan source" line: the override makes the end of the line read backwards.
TROJAN = "simp -- \u202e} \u2066⁦if (admin)\u2069 \u2066 {\u200b"


@pytest.fixture(scope="module")
def shots() -> Path:
    return artifacts_dir()


def open_page(chromium: HeadlessChromium, url: str) -> None:
    chromium.events.clear()
    chromium.open(url)
    chromium.settle()


def heading(chromium: HeadlessChromium) -> str:
    return str(chromium.evaluate("document.querySelector('#panel h2').textContent"))


def intersecting(boxes: list[list]) -> list[tuple[str, str]]:
    pairs = []
    for i, (text_a, xa, ya, wa, ha) in enumerate(boxes):
        for text_b, xb, yb, wb, hb in boxes[i + 1 :]:
            if xa < xb + wb and xb < xa + wa and ya < yb + hb and yb < ya + ha:
                pairs.append((text_a, text_b))
    return pairs


def test_step_labels_of_a_20_hole_sketch_never_overlap(
    chromium: HeadlessChromium, tmp_path: Path, shots: Path
) -> None:
    theorem = Theorem("holes", "import Mathlib", "theorem holes (x : ℕ) (h : x > 0) : True")
    with Store(tmp_path / "db.sqlite") as store:
        attempt_id = record_sketch_holes(store, store.begin_run("prove", {}), theorem, 20)
        page = export_attempt_html(store, attempt_id, tmp_path / "holes.html")
        graph = load_graph(store, attempt_id)
    open_page(chromium, page.as_uri())
    seen = set()
    for zoom in (0.55, 0.7, 1.0, 1.6, 3.0):
        chromium.evaluate(f"leanwbGraph.zoom({zoom})")
        chromium.settle()
        boxes = chromium.evaluate("leanwbGraph.labelBoxes()")
        assert boxes, f"no labels drawn at zoom {zoom}"
        assert intersecting(boxes) == [], f"labels overlap at zoom {zoom}"
        seen.update(text for text, *_ in boxes)
        chromium.screenshot(shots / f"sketch-20-holes-zoom-{zoom}.png")
    # Without placement the twenty alike labels sit side by side and overlap; here each
    # is drawn, shortened where it must be, and its full text is a click away.
    assert sum(text.startswith("hole at line") for text in seen) >= 10
    chromium.evaluate("leanwbGraph.fit()")
    chromium.settle()
    assert intersecting(chromium.evaluate("leanwbGraph.labelBoxes()")) == []
    hole_step = next(e.id for e in graph.edges.values() if e.action.startswith("hole at line 2,"))
    chromium.evaluate(f"leanwbGraph.select('edge', {hole_step})")
    assert "hole at line 2, column 2: have h0 : x + 0 = 0 + x" in chromium.evaluate(
        "document.getElementById('panel').textContent"
    )
    assert chromium.console_errors() == []


def test_goal_boxes_show_the_target_first_and_hypotheses_on_click(
    chromium: HeadlessChromium, tmp_path: Path, shots: Path
) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "search")
        root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
        goals = [
            "case left\na b : ℕ\nh₁ : a < b\nh₂ : b < 7\n⊢ a ≤ b + 1",
            "case right\na b : ℕ\nh₁ : a < b\nh₂ : b < 7\n⊢ b ≤ a + 1",
        ]
        split = rec.node(NodeKind.PROOF_STATE, "\n\n".join(goals), key="two", goals=goals)
        rec.edge(EdgeKind.TACTIC, [root], split, "constructor", strategy="search")
        one = rec.node(NodeKind.SUBGOAL, goals[1].split("\n", 1)[1], key="one")
        rec.edge(EdgeKind.SUBGOAL, [split], one, "hole right", strategy="sketch")
        rec.flush()
        store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "demo"), Spent())
        page = export_attempt_html(store, rec.attempt_id, tmp_path / "goals.html")
    open_page(chromium, page.as_uri())
    assert chromium.evaluate(f"leanwbGraph.previewLines({split})") == [
        "left: ⊢ a ≤ b + 1",
        "+ 1 more goal",
    ]
    assert chromium.evaluate(f"leanwbGraph.previewLines({one})") == [
        "⊢ b ≤ a + 1",
        "3 hypotheses",
    ]
    chromium.evaluate(f"leanwbGraph.select('node', {split})")
    chromium.settle()
    boxes = chromium.evaluate(
        "[...document.querySelectorAll('#panel .goalbox')].map(b => ["
        " b.querySelector('.case').textContent, b.querySelector('pre').textContent,"
        " b.querySelector('details.hyps').open, b.querySelector('summary').textContent])"
    )
    assert boxes == [
        ["case left", "⊢ a ≤ b + 1", False, "3 hypotheses"],
        ["case right", "⊢ b ≤ a + 1", False, "3 hypotheses"],
    ]
    chromium.press("h")  # the keyboard opens the hypotheses
    opened = chromium.evaluate(
        "[...document.querySelectorAll('#panel details.hyps')].map(d => d.open)"
    )
    assert opened == [True, True]
    assert "h₂ : b < 7" in chromium.evaluate(
        "document.querySelector('#panel details.hyps pre').innerText"
    )
    chromium.screenshot(shots / "goals-target-first.png")
    assert chromium.console_errors() == []


def test_a_repair_step_is_a_diff_with_its_error_marked(
    chromium: HeadlessChromium, composite: tuple[Graph, Path], shots: Path
) -> None:
    graph, page = composite
    repair = next(e for e in graph.edges.values() if e.kind is EdgeKind.REPAIR_FIX)
    open_page(chromium, page.as_uri())
    chromium.evaluate(f"leanwbGraph.select('edge', {repair.id})")
    chromium.settle()
    rows = chromium.evaluate(
        "[...document.querySelectorAll('#panel .diff .row')].map(r => [r.className,"
        " r.querySelector('code') ? r.querySelector('code').textContent : r.textContent])"
    )
    changed = [(cls, text) for cls, text in rows if "add" in cls or "del" in cls]
    assert changed == [("row del err", "  omga"), ("row add", "  omega")]
    assert ["row same", "  have h1 : a ≤ b + 1 := by omega"] in rows  # context kept
    note = next(text for cls, text in rows if "note" in cls)
    assert "error at 4:2: unknown tactic 'omga'" in note
    assert chromium.evaluate("document.querySelector('#panel .diff mark').textContent") == "omga"
    assert f"Changes from #{repair.parents[0]} · +1 −1 lines" in chromium.evaluate(
        "document.getElementById('panel').textContent"
    )
    chromium.screenshot(shots / "repair-diff.png")
    assert chromium.console_errors() == []


def test_anchor_urls_open_with_their_node_or_step_selected(
    chromium: HeadlessChromium, composite: tuple[Graph, Path], shots: Path
) -> None:
    graph, page = composite
    hole = next(n for n in graph.nodes.values() if n.text == "a b : ℕ\n⊢ b ≤ a + 1")
    open_page(chromium, f"{page.as_uri()}#node-{hole.id}")
    assert heading(chromium).startswith("subgoal") and f"#{hole.id}" in heading(chromium)
    x, y, w, h = chromium.evaluate(f"leanwbGraph.nodeRect({hole.id})")
    assert x > 0 and x + w < 1400 - 460 and y > 0 and y + h < 900  # centred on screen
    chromium.screenshot(shots / "anchor-node.png")
    step = next(e for e in graph.edges.values() if e.kind is EdgeKind.AUTOMATION)
    open_page(chromium, f"{page.as_uri()}#step-{step.id}")
    assert f"step #{step.id}" in heading(chromium)
    # Moving on updates the address, so what is on screen can be shared.
    chromium.evaluate("document.getElementById('graph').focus()")
    chromium.press("ArrowDown")
    selected = chromium.evaluate("location.hash")
    assert selected.startswith("#node-") and selected[6:] in heading(chromium)
    link = chromium.evaluate("document.querySelector('#panel a.anchor').getAttribute('href')")
    assert link == selected
    chromium.press("Escape")
    assert chromium.evaluate("location.hash") == ""
    assert chromium.console_errors() == []


def test_keys_reach_the_steps_as_well_as_the_nodes(
    chromium: HeadlessChromium, composite: tuple[Graph, Path]
) -> None:
    graph, page = composite
    hole = next(n for n in graph.nodes.values() if n.text == "a b : ℕ\n⊢ a ≤ b + 1")
    open_page(chromium, f"{page.as_uri()}#node-{hole.id}")
    chromium.evaluate("document.getElementById('graph').focus()")
    chromium.press("e")  # the step that made the hole
    made = graph.edges_into[hole.id][0]
    assert chromium.evaluate("location.hash") == f"#step-{made}"
    siblings = graph.edges_out_of[graph.edges[made].parents[0]]
    seen = set()
    for _ in siblings:
        seen.add(int(chromium.evaluate("location.hash")[6:]))
        chromium.press("e")
    assert seen == set(siblings)  # E walks every step from the sketch, and comes back
    assert chromium.evaluate("location.hash") == f"#step-{made}"
    assert chromium.console_errors() == []
    assert all(url.startswith("file://") for url in chromium.requests())


def test_source_positions_are_buttons_that_mark_the_text(
    chromium: HeadlessChromium, composite: tuple[Graph, Path], shots: Path
) -> None:
    graph, page = composite
    failed = next(n for n in graph.nodes.values() if n.text.endswith("omga"))
    open_page(chromium, f"{page.as_uri()}#node-{failed.id}")
    assert chromium.evaluate("document.querySelectorAll('#panel button.pos').length") == 1
    assert chromium.evaluate("document.querySelector('#panel button.pos').textContent") == "4:2"
    # Keyboard only: Tab to the position, Enter marks it.
    chromium.evaluate("document.querySelector('#panel button.pos').focus()")
    chromium.press("Enter")
    chromium.settle()
    marked = chromium.evaluate(
        "[document.querySelector('#panel .line.hit').dataset.line,"
        " document.querySelector('#panel .source mark').textContent]"
    )
    assert marked == ["4", "omga"]
    chromium.screenshot(shots / "source-position.png")
    assert chromium.console_errors() == []


def test_invisible_characters_show_as_escapes(
    chromium: HeadlessChromium, tmp_path: Path, shots: Path
) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "search")
        root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
        state = rec.node(NodeKind.PROOF_STATE, f"⊢ {TROJAN}", key="s", goals=[f"⊢ {TROJAN}"])
        bad = Message(Severity.ERROR, Position(1, 5), None, f"unknown {TROJAN}")
        rec.edge(
            EdgeKind.TACTIC,
            [root],
            state,
            TROJAN,
            strategy="search",
            lean=LeanOutcome("lean_error", 3.0, (bad,)),
        )
        rec.flush()
        store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "demo"), Spent())
        page = export_attempt_html(store, rec.attempt_id, tmp_path / "trojan.html")
    open_page(chromium, page.as_uri())
    chromium.evaluate("leanwbGraph.select('edge', 1)")
    chromium.settle()
    panel_text = chromium.evaluate("document.getElementById('panel').textContent")
    for char in "\u202e\u2066\u2069\u200b":
        assert char not in panel_text
    escapes = chromium.evaluate(
        "[...document.querySelectorAll('#panel .ctl')].map(s => s.textContent)"
    )
    assert {"\\u202E", "\\u2066", "\\u2069", "\\u200B"} <= set(escapes)
    style = chromium.evaluate(
        "getComputedStyle(document.querySelector('#panel .ctl')).backgroundColor"
    )
    assert style not in ("rgba(0, 0, 0, 0)", "transparent")  # drawn apart from the text
    labels = [text for text, *_ in chromium.evaluate("leanwbGraph.labelBoxes()")]
    assert any("\\u202E" in text for text in labels)  # on the canvas too
    assert all("\u202e" not in line for line in chromium.evaluate("leanwbGraph.previewLines(2)"))
    chromium.screenshot(shots / "trojan-source.png")
    assert chromium.console_errors() == []
