"""Holes of a proof: found from one elaboration, placed in the text, recorded as subgoals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prover.config import LeanSettings
from prover.generate.registry import make_generator
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.lean_text import theorem_from_text
from prover.proof_text import sorry_spans
from prover.protocols import EdgeKind, NodeKind
from prover.strategies.base import ProofContext
from prover.strategies.holes import find_holes, holes_of

THEOREM = theorem_from_text(
    "theorem t (a b : ℕ) (h₀ : a = 2) (h₁ : b = a + 3) : a * b = 10 := by sorry"
)
PROOF = "by\n  have h2 : b = 5 := by sorry\n  have h3 : a = 2 := by\n    sorry\n  rw [h₀, h2]"


@pytest.fixture
def ctx(standin_argv: tuple[str, ...], tmp_path: Path) -> Iterator[ProofContext]:
    settings = LeanSettings(repl_cmd=standin_argv, project_dir=tmp_path)
    with LeanServer(settings) as lean, Store(tmp_path / "graph.sqlite") as store:
        recorder = store.begin_attempt(store.begin_run("test", {}, kind="test"), THEOREM, "t")
        yield ProofContext(lean=lean, generator=make_generator("heuristic"), recorder=recorder)
        recorder.flush()


def test_holes_of_a_check_are_the_holes_find_holes_reports(ctx: ProofContext) -> None:
    parent = ctx.recorder.node(NodeKind.SKETCH, PROOF)
    check, found = find_holes(THEOREM, PROOF, ctx, parent=parent, strategy="t")
    calls = ctx.budget.spent.lean_calls
    again = holes_of(THEOREM, PROOF, check, ctx, parent=parent, strategy="t")
    assert ctx.budget.spent.lean_calls == calls  # no second elaboration
    assert [(h.line, h.column, h.goal, h.node) for h in again] == [
        (h.line, h.column, h.goal, h.node) for h in found
    ]
    assert [(h.line, h.column) for h in found] == sorry_spans(PROOF)
    assert found[1].goal.endswith("h2 : b = 5\n⊢ a = 2")
    assert all(h.state is not None and h.state.session == check.session for h in found)


def test_each_hole_is_a_subgoal_of_the_parent(ctx: ProofContext, tmp_path: Path) -> None:
    parent = ctx.recorder.node(NodeKind.SKETCH, PROOF)
    check = ctx.check(THEOREM.header, THEOREM.with_proof(PROOF))
    holes = holes_of(THEOREM, PROOF, check, ctx, parent=parent, strategy="t")
    ctx.recorder.flush()
    with Store(tmp_path / "graph.sqlite") as store:
        graph = load_graph(store, ctx.recorder.attempt_id)
    edges = [e for e in graph.edges.values() if e.kind is EdgeKind.SUBGOAL]
    assert [(e.parents, e.child) for e in edges] == [((parent,), h.node) for h in holes]
    assert {graph.nodes[h.node].kind for h in holes} == {NodeKind.SUBGOAL}
