"""Masking rules, one by one, on structured sketches with errors placed as Lean places them."""

from __future__ import annotations

import pytest

from prover.strategies.sketch.masking import LeanError, Rule, Unrepairable, apply, plan, signature
from prover.strategies.sketch.sketch import parse_sketch

SKETCH = parse_sketch(
    "by\n"
    "  have h2 : b = 5 := by sorry\n"  # line 1
    "  have h3 : a * b = 10 := by nlinarith [sq_nonneg (a - b)]\n"  # line 2
    "  cases h3 with x hx\n"  # line 3
    "  have h4 : a = 2 := by\n"  # line 4
    "    simp\n"  # line 5
    "    omega\n"  # line 6
    "  rw [h₀, h2]"  # line 7
)


def masked(errors: list[LeanError], *, strict: bool = False) -> tuple[list[Rule], list[str]]:
    masks = plan(SKETCH, errors, strict=strict)
    result = apply(SKETCH, masks)
    return [m.rule for m in masks], result.render().splitlines()[1:]


def test_drop_have_when_its_statement_fails() -> None:
    column = SKETCH.render().splitlines()[2].index("a * b")
    rules, lines = masked([LeanError(2, column, "unknown identifier 'a'")])
    assert rules == [Rule.DROP_HAVE]
    assert lines[:2] == ["  have h2 : b = 5 := by sorry", "  cases h3 with x hx"]
    assert len(lines) == 6


def test_drop_have_when_it_states_no_type() -> None:
    sketch = parse_sketch("by\n  have h4 := h2 ▸ h₁\n  omega")
    masks = plan(sketch, [LeanError(1, 15, "unexpected token '▸'; expected command")])
    assert [m.rule for m in masks] == [Rule.DROP_HAVE]
    assert apply(sketch, masks).render() == "by\n  omega"


def test_sorry_have_proof_when_its_proof_fails() -> None:
    column = SKETCH.render().splitlines()[2].index("sq_nonneg")
    rules, lines = masked([LeanError(2, column, "Unknown identifier `sq_nonneg`")])
    assert rules == [Rule.SORRY_HAVE_PROOF]
    assert lines[1] == "  have h3 : a * b = 10 := by sorry"


def test_sorry_rest_of_block_inside_a_nested_block() -> None:
    rules, lines = masked([LeanError(5, 4, "simp made no progress")])
    assert rules == [Rule.SORRY_REST_OF_BLOCK]
    assert lines[3:6] == ["  have h4 : a = 2 := by", "    sorry", "  rw [h₀, h2]"]
    assert parse_sketch("\n".join(["by", *lines])).steps[3].is_hole


def test_drop_step_for_a_failing_top_level_tactic() -> None:
    rules, lines = masked([LeanError(3, 16, "unexpected identifier; expected '|'")])
    assert rules == [Rule.DROP_STEP]
    assert "  cases h3 with x hx" not in lines and len(lines) == 6


def test_sorry_closing_step_for_a_failing_last_line() -> None:
    rules, lines = masked([LeanError(7, 2, "rewrite failed")])
    assert rules == [Rule.SORRY_CLOSING_STEP]
    assert lines[-1] == "  sorry"


def test_close_block_for_unsolved_goals() -> None:
    top = LeanError(0, 0, "unsolved goals\na b : ℕ\n⊢ a * b = 10")
    rules, lines = masked([top])
    assert rules == [Rule.CLOSE_BLOCK] and lines[-2:] == ["  rw [h₀, h2]", "  sorry"]
    nested = LeanError(4, 21, "unsolved goals\n⊢ a = 2")
    rules, lines = masked([nested])
    assert rules == [Rule.CLOSE_BLOCK] and lines[3:7] == [
        "  have h4 : a = 2 := by",
        "    simp",
        "    omega",
        "    sorry",
    ]


def test_unsolved_goals_at_an_inline_have_proof_sorries_it() -> None:
    sketch = parse_sketch("by\n  have h : b = 5 := by simp\n  omega")
    masks = plan(sketch, [LeanError(1, 20, "unsolved goals\n⊢ b = 5")])
    assert [m.rule for m in masks] == [Rule.SORRY_HAVE_PROOF]
    assert apply(sketch, masks).steps[0].is_hole


def test_all_errors_of_a_round_are_masked_together_without_clashes() -> None:
    errors = [
        LeanError(2, 42, "Unknown identifier `sq_nonneg`"),
        LeanError(3, 16, "unexpected identifier; expected '|'"),
        LeanError(5, 4, "simp made no progress"),
        LeanError(6, 4, "omega failed"),  # a later sibling of a step that becomes `sorry`
        LeanError(0, 0, "unsolved goals\n⊢ a * b = 10"),
    ]
    rules, lines = masked(errors)
    assert sorted(rules) == sorted(
        [Rule.SORRY_HAVE_PROOF, Rule.DROP_STEP, Rule.SORRY_REST_OF_BLOCK, Rule.CLOSE_BLOCK]
    )
    assert lines == [
        "  have h2 : b = 5 := by sorry",
        "  have h3 : a * b = 10 := by sorry",
        "  have h4 : a = 2 := by",
        "    sorry",
        "  rw [h₀, h2]",
        "  sorry",
    ]


def test_strict_mode_truncates_at_the_first_failing_top_level_step() -> None:
    errors = [LeanError(6, 4, "omega failed"), LeanError(3, 16, "bad")]
    rules, lines = masked(errors, strict=True)
    assert rules == [Rule.TRUNCATE]
    assert lines == [
        "  have h2 : b = 5 := by sorry",
        "  have h3 : a * b = 10 := by nlinarith [sq_nonneg (a - b)]",
        "  sorry",
    ]


def test_signatures_ignore_line_numbers_but_not_steps() -> None:
    moved = parse_sketch("by\n  have h0 : 1 = 1 := rfl\n" + SKETCH.render()[3:])
    error = LeanError(3, 16, "bad")
    assert signature(SKETCH, [error]) == signature(moved, [LeanError(4, 16, "bad")])
    assert signature(SKETCH, [error]) != signature(SKETCH, [LeanError(7, 2, "bad")])


def test_a_sketch_masked_to_nothing_is_unrepairable() -> None:
    sketch = parse_sketch("by\n  exact foo")
    with pytest.raises(Unrepairable, match=r"removed every step.*sorry_closing_step"):
        apply(sketch, plan(sketch, [LeanError(1, 8, "Unknown identifier `foo`")]))
    with pytest.raises(Unrepairable):
        apply(SKETCH, plan(SKETCH, [LeanError(1, 4, "bad")], strict=True))
