"""Proving holes: automation closers, search from a hole's state, budget shares, lost states.

Everything runs on the stand-in REPL through the real pool and the SQLite graph store.
"""

from __future__ import annotations

import pytest
from fakes import FakeGenerator, fixed

from prover.budget import Budget, Limits
from prover.errors import StrategyError
from prover.generate.registry import make_generator
from prover.graph.queries import Graph, load_graph
from prover.graph.recorder import SqlRecorder
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.lean_text import theorem_from_text
from prover.protocols import EdgeKind, Generator, NodeKind
from prover.strategies.automation import close_by_automation
from prover.strategies.base import ProofContext
from prover.strategies.holes import Hole, fill_holes, find_holes
from prover.strategies.registry import tactic_search
from prover.strategies.search.bfs import BestFirstSearch
from prover.strategies.search.from_state import search_from_state
from prover.strategies.subgoals import SubgoalProver
from prover.types import Theorem

ARITH = theorem_from_text(
    "theorem t (a b : ℕ) (h₀ : a = 2) (h₁ : b = a + 3) : a * b = 10 := by sorry"
)
ARITH_SKETCH = "by\n  have h2 : b = 5 := by sorry\n  rw [h₀, h2]"
SWAP = theorem_from_text("theorem s (p q r : Prop) (h : p ∨ q) (hr : r) : (q ∨ p) ∧ r := by sorry")
SWAP_SKETCH = "by\n  have h1 : q ∨ p := by sorry\n  exact ⟨h1, hr⟩"  # no closer proves h1


def context(
    lean: LeanServer,
    store: Store,
    theorem: Theorem,
    limits: Limits | None = None,
    generator: Generator | None = None,
) -> ProofContext:
    run_id = store.begin_run("test", {}, kind="test")
    recorder = store.begin_attempt(run_id, theorem, "test")
    return ProofContext(
        lean=lean,
        generator=generator or make_generator("heuristic"),
        recorder=recorder,
        budget=Budget(limits or Limits(wall_s=60, tactic_timeout_s=5)),
    )


def holes_in(theorem: Theorem, proof: str, ctx: ProofContext) -> tuple[int, list[Hole]]:
    sketch = ctx.recorder.node(NodeKind.SKETCH, proof)
    check, holes = find_holes(theorem, proof, ctx, parent=sketch, strategy="test")
    assert not check.errors and holes
    return sketch, holes


def graph_of(store: Store, ctx: ProofContext) -> Graph:
    recorder = ctx.recorder
    assert isinstance(recorder, SqlRecorder)
    recorder.flush()
    return load_graph(store, recorder.attempt_id)


def test_automation_tries_closers_in_order_and_records_each(lean: LeanServer, store: Store) -> None:
    ctx = context(lean, store, ARITH)
    _, (hole,) = holes_in(ARITH, ARITH_SKETCH, ctx)
    calls = ctx.budget.spent.lean_calls
    result = close_by_automation(
        hole.state, ctx, parent=hole.node, strategy="test", closers=("rfl", "omega", "simp")
    )
    assert result.closer == "omega" and not result.state_lost
    assert ctx.budget.spent.lean_calls == calls + 2  # simp never ran
    graph = graph_of(store, ctx)
    edges = [e for e in graph.edges.values() if e.kind is EdgeKind.AUTOMATION]
    assert [(e.action, e.parents) for e in edges] == [
        ("rfl", (hole.node,)),
        ("omega", (hole.node,)),
    ]
    assert edges[0].child is None and edges[0].lean_status == "lean_error"
    assert graph.nodes[edges[1].child].text == "no goals"


def test_automation_skips_closers_and_stops_when_the_state_is_lost(
    lean: LeanServer, store: Store
) -> None:
    ctx = context(lean, store, ARITH)
    _, (hole,) = holes_in(ARITH, ARITH_SKETCH, ctx)
    skipped = close_by_automation(
        hole.state, ctx, parent=hole.node, strategy="test", closers=("omega",), skip={"omega"}
    )
    assert skipped.closer is None and not skipped.state_lost
    crashed = close_by_automation(
        hole.state, ctx, parent=hole.node, strategy="test", closers=("standin_crash", "omega")
    )
    assert crashed.closer is None and crashed.state_lost
    actions = [e.action for e in graph_of(store, ctx).edges.values()]
    assert "omega" not in actions and "standin_crash" in actions


def test_search_from_a_hole_hangs_under_its_subgoal_and_pastes_back(
    lean: LeanServer, store: Store
) -> None:
    ctx = context(lean, store, SWAP)
    sketch, holes = holes_in(SWAP, SWAP_SKETCH, ctx)
    prover = SubgoalProver(BestFirstSearch(), theorem=SWAP, strategy="test", holes=len(holes))
    filled = fill_holes(SWAP, SWAP_SKETCH, holes, ctx, prover, parent=sketch, strategy="test")
    assert not filled.remaining and filled.node is not None
    assert ctx.check(SWAP.header, SWAP.with_proof(filled.proof)).clean
    graph = graph_of(store, ctx)
    (hole,) = holes
    start = [e for e in graph.edges.values() if e.kind is EdgeKind.TACTIC and e.action == "start"]
    assert [e.parents for e in start] == [(hole.node,)]
    assert start[0].meta["step"] == "continue from the hole's proof state"
    # A chain of TACTIC edges leads from the hole's state to `no goals`.
    reached, frontier = set(), [start[0].child]
    while frontier:
        node = frontier.pop()
        reached.add(node)
        frontier.extend(
            e.child
            for e in graph.edges.values()
            if e.kind is EdgeKind.TACTIC and node in e.parents and e.child not in reached
        )
    assert any(graph.nodes[n].text == "no goals" for n in reached if n is not None)
    recombine = [e for e in graph.edges.values() if e.kind is EdgeKind.RECOMBINE]
    assert recombine[0].parents == (sketch, hole.node)


def test_each_hole_searches_with_its_share_of_what_is_left(lean: LeanServer, store: Store) -> None:
    # A new state every time, never done.
    endless = FakeGenerator(fixed(["have hx : 1 = 1 := rfl"], name="endless"))
    ctx = context(lean, store, SWAP, Limits(wall_s=60, expansions=6, tactic_timeout_s=5))
    _, (hole,) = holes_in(SWAP, SWAP_SKETCH, ctx)
    prover = SubgoalProver(
        BestFirstSearch(), theorem=SWAP, strategy="test", holes=3, closers=(), generator=endless
    )
    spent = []
    for _ in range(3):
        assert prover(hole, ctx) is None
        spent.append(ctx.budget.spent.expansions)
    assert spent == [2, 4, 6]
    tactics = [e for e in graph_of(store, ctx).edges.values() if e.kind is EdgeKind.TACTIC]
    assert {e.generator for e in tactics if e.action != "start"} == {"endless"}


def test_a_search_that_loses_its_root_says_so(lean: LeanServer, store: Store) -> None:
    # The crash kills the process holding the hole; `left` then needs the state again.
    ctx = context(lean, store, SWAP, generator=FakeGenerator(fixed(["standin_crash", "left"])))
    _, (hole,) = holes_in(SWAP, SWAP_SKETCH, ctx)
    found = search_from_state(BestFirstSearch(), SWAP, hole.state, ctx, parent=hole.node)
    assert found.tactics is None and found.state_lost
    prover = SubgoalProver(
        BestFirstSearch(), theorem=SWAP, strategy="test", holes=1, closers=("omega",)
    )
    assert prover(hole, ctx) is None
    assert prover.lost == [hole]


def test_hole_searches_by_name_and_bad_ones() -> None:
    assert tactic_search("none") is None and tactic_search(None) is None
    built = tactic_search("mps", width=3)
    assert built is not None and built.config()["strategy"] == "mps" and built.width == 3
    for bad in ("auto", "dfs"):
        with pytest.raises(StrategyError, match="not a tactic search"):
            tactic_search(bad)
