"""repair.sorrify: the action for each error and block kind, and the loop against the
stand-in REPL (every action a SORRIFY edge, holes remembering why they are there)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from prover.budget import Budget, Limits
from prover.generate.registry import make_generator
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.protocols import EdgeKind, NodeKind
from prover.strategies.base import ProofContext
from prover.types import Message, Position, Severity, Theorem
from repair.diagnose import Diagnosis, ErrorClass, diagnose, errors
from repair.sorrify import Origin, SorryEdit, StatementError, plan, shift, sorrify


def error(kind: ErrorClass, line: int | None, column: int | None = 0) -> Diagnosis:
    message = Message(Severity.ERROR, Position(1, 0), None, f"{kind.value} here")
    return Diagnosis(kind, message, line, column)


NESTED = "by\n  have h : p := by\n    simp\n    exact hp\n  constructor\n  exact h"


@pytest.mark.parametrize(
    ("proof", "diagnosis", "after", "action"),
    [
        # unsolved goals at the proof's `by`: sorry at the end of the main block
        (
            "by\n  simp\n  norm_num",
            error(ErrorClass.UNSOLVED_GOALS, 0),
            "by\n  simp\n  norm_num\n  sorry",
            "append",
        ),
        # … or reported on the statement line
        ("by\n  simp", error(ErrorClass.UNSOLVED_GOALS, None), "by\n  simp\n  sorry", "append"),
        # a one-line `by tac` is laid out as a block first
        ("by simp", error(ErrorClass.UNSOLVED_GOALS, 0), "by\n  simp\n  sorry", "append"),
        # unsolved goals at a nested block: sorry as its last child
        (
            NESTED,
            error(ErrorClass.UNSOLVED_GOALS, 1, 16),
            "by\n  have h : p := by\n    simp\n    exact hp\n    sorry\n  constructor\n  exact h",
            "append",
        ),
        # … at an inline `have … := by tac`: laid out as a block, progress kept
        (
            "by\n  have h : p := by simp\n  exact h",
            error(ErrorClass.UNSOLVED_GOALS, 1, 16),
            "by\n  have h : p := by\n    simp\n    sorry\n  exact h",
            "append",
        ),
        # … at a bullet: sorry aligned with the bullet's first tactic
        (
            "by\n  constructor\n  · simp\n  · simp",
            error(ErrorClass.UNSOLVED_GOALS, 2, 2),
            "by\n  constructor\n  · simp\n    sorry\n  · simp",
            "append",
        ),
        # a failing last step becomes sorry
        (
            "by\n  intro x\n  linarith",
            error(ErrorClass.TACTIC_FAILED, 2, 2),
            "by\n  intro x\n  sorry",
            "replace",
        ),
        # a failing earlier step is removed
        (
            "by\n  intro x\n  linarith",
            error(ErrorClass.TACTIC_FAILED, 1, 2),
            "by\n  linarith",
            "remove",
        ),
        # a failing step inside a nested block, not the last: removed from that block
        (
            NESTED,
            error(ErrorClass.TACTIC_FAILED, 2, 4),
            "by\n  have h : p := by\n    exact hp\n  constructor\n  exact h",
            "remove",
        ),
        # the error is in a typed have's proof: that proof becomes `by sorry`, its block goes
        (
            NESTED,
            error(ErrorClass.SYNTAX, 1, 14),
            "by\n  have h : p := by sorry\n  constructor\n  exact h",
            "replace",
        ),
        (
            "by\n  have h : x = 1 := foo bar\n  exact h",
            error(ErrorClass.UNKNOWN_IDENTIFIER, 1, 21),
            "by\n  have h : x = 1 := by sorry\n  exact h",
            "replace",
        ),
        # … in a have's statement: the step is removed
        (
            NESTED,
            error(ErrorClass.UNKNOWN_IDENTIFIER, 1, 11),
            "by\n  constructor\n  exact h",
            "remove",
        ),
        # an obtain whose term fails cannot be `by sorry` (no type): removed
        (
            "by\n  obtain ⟨a, b⟩ := hq\n  exact a",
            error(ErrorClass.UNKNOWN_IDENTIFIER, 1, 20),
            "by\n  exact a",
            "remove",
        ),
        # a failing bullet with nothing more in it: `· sorry`
        (
            "by\n  constructor\n  · exact hq\n  · exact hp",
            error(ErrorClass.TYPE_MISMATCH, 2, 10),
            "by\n  constructor\n  · sorry\n  · exact hp",
            "replace",
        ),
        # the first tactic of a longer bullet: only it goes, the next moves up
        (
            "by\n  constructor\n  · intro y\n    exact hp\n  · simp",
            error(ErrorClass.TACTIC_FAILED, 2, 4),
            "by\n  constructor\n  · exact hp\n  · simp",
            "remove",
        ),
        # case blocks keep their tag
        (
            "by\n  cases n with\n  | zero => simp\n  | succ m => omega",
            error(ErrorClass.TACTIC_FAILED, 3, 14),
            "by\n  cases n with\n  | zero => simp\n  | succ m => sorry",
            "replace",
        ),
        # a step after the goal was closed is removed
        ("by\n  omega\n  simp", error(ErrorClass.NO_GOALS, 2, 2), "by\n  omega", "remove"),
        # `by tac` on the first line
        ("by exact foo", error(ErrorClass.UNKNOWN_IDENTIFIER, 0, 9), "by sorry", "replace"),
        # term-mode proofs and unplaced timeouts: the whole proof
        ("⟨hp, hq⟩", error(ErrorClass.TYPE_MISMATCH, 0, 5), "by\n  sorry", "whole"),
        ("by\n  simp\n  omega", error(ErrorClass.TIMEOUT, None, None), "by\n  sorry", "whole"),
    ],
)
def test_plan_replaces_the_smallest_failing_block(
    proof: str, diagnosis: Diagnosis, after: str, action: str
) -> None:
    edit = plan(proof, diagnosis)
    assert (edit.apply(proof), edit.action) == (after, action)
    if edit.hole is not None:
        line, column = edit.hole
        assert after.split("\n")[line][column:].startswith("sorry")


def test_an_error_in_the_statement_is_not_repaired() -> None:
    with pytest.raises(StatementError, match="statement does not elaborate"):
        plan("by\n  simp", error(ErrorClass.TYPE_MISMATCH, None, None))


def test_origins_move_with_the_lines_and_vanish_with_theirs() -> None:
    origin = Origin("simp", error(ErrorClass.TACTIC_FAILED, 1))
    origins = {(1, 2): origin, (4, 4): origin, (6, 2): origin}
    edit = SorryEdit("append", 3, 5, ("a", "b", "c"), "", None)  # lines 3-4 become three lines
    assert shift(origins, edit) == {(1, 2): origin, (7, 2): origin}


# --- the loop, against the stand-in REPL ---------------------------------------------------


THEOREM = Theorem(
    "t",
    "import Mathlib",
    "theorem t (x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) (h : x = 3) : x + 2 = 6 ∧ q",
)


def test_sorrify_until_only_holes_are_left(lean: LeanServer, tmp_path: Path) -> None:
    proof = "by\n  constructor\n  · linarith\n  · intro hh\n    exact hpq hq"
    with Store(tmp_path / "g.sqlite") as store:
        run = store.begin_run("test", {}, kind="test")
        recorder = store.begin_attempt(run, THEOREM, "repair")
        ctx = ProofContext(lean, make_generator("heuristic"), recorder, Budget(Limits(wall_s=30)))
        start = recorder.node(NodeKind.PROOF_TEXT, THEOREM.with_proof(proof), key=f"proof:{proof}")
        check = ctx.check(THEOREM.header, THEOREM.with_proof(proof))
        result = sorrify(THEOREM, proof, check, ctx, node=start, strategy="repair")
        recorder.flush()
        graph = load_graph(store, recorder.attempt_id)
    assert result.proof == "by\n  constructor\n  · sorry\n  · sorry"
    assert not errors(diagnose(THEOREM, result.proof, result.check))
    assert len(result.check.sorries) == 2
    # one SORRIFY edge per action, chained from the start node to the result's node
    edges = [e for e in graph.edges.values() if e.kind is EdgeKind.SORRIFY]
    assert len(edges) == len(result.edits) == 3
    assert edges[0].parents == (start,) and edges[-1].child == result.node
    assert all(a.child == b.parents[0] for a, b in pairwise(edges))
    assert [e.meta["error_class"] for e in edges] == [
        "tactic_failed",  # linarith on a false goal
        "tactic_failed",  # intro on a goal with no binder
        "unknown_identifier",  # hq
    ]
    # each hole knows what it replaced and why
    failing = sorted(o.failing for o in result.origins.values())
    assert failing == ["exact hpq hq", "linarith"]
    assert set(result.origins) == {(2, 4), (3, 4)}
