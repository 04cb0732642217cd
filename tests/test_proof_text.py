from __future__ import annotations

import pytest

from prover.proof_text import (
    body_offset,
    fill_sorry,
    locate,
    parse_steps,
    replace_lines,
    sorry_spans,
    walk,
)
from prover.types import Position, Theorem

PROOF = "by\n  constructor\n  · have h2 : x = 3 := by sorry\n    omega\n  · exact hpq hp"
THEOREM = Theorem("t", "", "theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) : x + 2 = 5 ∧ q")


def test_steps_follow_layout_and_nesting() -> None:
    steps = parse_steps(PROOF)
    assert [s.head for s in steps] == [
        "constructor",
        "· have h2 : x = 3 := by sorry",
        "· exact hpq hp",
    ]
    assert (steps[1].start, steps[1].end) == (2, 3)
    assert [c.head for c in steps[1].children] == ["omega"]
    assert steps[1].innermost(3) is steps[1].children[0]
    assert steps[0].innermost(3) is None
    assert len(walk(steps)) == 4


def test_single_line_and_term_bodies() -> None:
    assert [s.head for s in parse_steps("by exact hp")] == ["by exact hp"]
    assert [s.head for s in parse_steps("fun h => h")] == ["fun h => h"]
    assert parse_steps("") == []


def test_locate_maps_lean_positions_into_the_proof() -> None:
    start = body_offset(THEOREM, PROOF)
    assert start == Position(1, len(THEOREM.statement) + 4)  # the proof starts after ` := `
    assert locate(THEOREM, PROOF, Position(1, start.column + 1)) == (0, 1)
    assert locate(THEOREM, PROOF, Position(3, 4)) == (2, 4)
    assert locate(THEOREM, PROOF, Position(1, 5)) is None  # inside the statement
    inline = "by exact hp"
    offset = body_offset(THEOREM, inline)
    assert THEOREM.with_proof(inline).split("\n")[offset.line - 1][offset.column :] == inline
    assert locate(THEOREM, inline, Position(1, offset.column + 3)) == (0, 3)


def test_fill_sorry_inline_sequence_and_block() -> None:
    ((line, column),) = sorry_spans(PROOF)
    assert "by omega\n" in fill_sorry(PROOF, line, column, ["omega"])
    steps = fill_sorry(PROOF, line, column, ["subst h", "norm_num"])
    assert steps.splitlines()[2:5] == [
        "  · have h2 : x = 3 := by",
        "      subst h",
        "      norm_num",
    ]
    inline = fill_sorry("by\n  exact (sorry)", 1, 9, ["subst h", "norm_num"])
    assert inline == "by\n  exact ((by (subst h; norm_num)))"
    block = fill_sorry(PROOF, line, column, ["cases h with\n| inl a => exact a"])
    assert block.splitlines()[2:5] == [
        "  · have h2 : x = 3 := by",
        "      cases h with",
        "      | inl a => exact a",
    ]
    assert fill_sorry("fun h => sorry", 0, 9, ["omega"]) == "fun h => (by omega)"


def test_fill_sorry_refuses_a_position_without_sorry() -> None:
    with pytest.raises(ValueError, match="no `sorry`"):
        fill_sorry(PROOF, 1, 2, ["omega"])


def test_sorry_spans_ignore_identifiers_containing_sorry() -> None:
    assert sorry_spans("by\n  exact not_sorry\n  sorry") == [(2, 2)]


def test_replace_lines() -> None:
    assert replace_lines("a\nb\nc", 1, 1, ["x", "y"]) == "a\nx\ny\nc"
