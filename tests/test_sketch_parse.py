"""The structured sketch: reading the sketcher's reply, its steps, holes and layout."""

from __future__ import annotations

import pytest

from prover.generate.prompts import lean_code_block
from prover.strategies.sketch.prompts import draft_prompt, read_draft, sketch_prompt
from prover.strategies.sketch.sketch import SketchError, SketchStep, parse_sketch
from prover.types import Theorem

THEOREM = Theorem(
    "t", "import Mathlib", "theorem t (a b : ℕ) (h₀ : a = 2) (h₁ : b = a + 3) : a * b = 10"
)
DECLARED = """theorem t (a b : ℕ) (h₀ : a = 2) (h₁ : b = a + 3) : a * b = 10 := by
  -- step 1
  have h2 : b = 5 := by prove_with [h₀, h₁]
  have h3 : a * b = 2 * 5 := by
    rw [h₀, h2]
  nlinarith [sq_nonneg (a - b),
    sq_nonneg (a + b)]"""


def test_a_declaration_becomes_steps_with_holes_hints_and_blocks() -> None:
    sketch = parse_sketch(DECLARED)
    heads = [step.head for step in sketch.steps]
    assert heads == [
        "have h2 : b = 5 := by sorry",
        "have h3 : a * b = 2 * 5 := by",
        "nlinarith [sq_nonneg (a - b),",
    ]
    h2, h3, closing = sketch.steps
    assert h2.hints == ("h₀", "h₁") and h2.is_hole
    assert [step.text for step in h3.block] == ["rw [h₀, h2]"] and not h3.is_hole
    assert closing.text == "nlinarith [sq_nonneg (a - b),\n  sq_nonneg (a + b)]"
    assert [step.head for step in sketch.holes] == ["have h2 : b = 5 := by sorry"]


def test_render_lays_out_a_by_block_and_placements_find_each_line() -> None:
    sketch = parse_sketch(DECLARED)
    text = sketch.render()
    assert text.splitlines() == [
        "by",
        "  have h2 : b = 5 := by sorry",
        "  have h3 : a * b = 2 * 5 := by",
        "    rw [h₀, h2]",
        "  nlinarith [sq_nonneg (a - b),",
        "    sq_nonneg (a + b)]",
    ]
    assert sketch.step_at(0) is None
    assert sketch.step_at(2).path == (1,) and sketch.step_at(3).path == (1, 0)
    assert sketch.step_at(5).path == (2,)
    assert sketch.step_at(99).path == (2,)  # past the end: the last step
    placed = sketch.step_at(3)
    assert (placed.start, placed.end, placed.column) == (3, 3, 4)
    assert parse_sketch(text).render() == text  # a rendered sketch reads back the same


@pytest.mark.parametrize(
    ("code", "heads"),
    [
        ("by\n  have h : b = 5 := by sorry\n  omega", ["have h : b = 5 := by sorry", "omega"]),
        ("have h : b = 5 := sorry\nomega", ["have h : b = 5 := sorry", "omega"]),
        ("by omega", ["omega"]),
        ("theorem x : 1 = 1 := rfl", ["exact rfl"]),
    ],
)
def test_bodies_bare_tactics_and_term_proofs(code: str, heads: list[str]) -> None:
    assert [step.head for step in parse_sketch(code).steps] == heads


def test_a_sketch_with_no_steps_is_an_error() -> None:
    with pytest.raises(SketchError, match="no proof steps"):
        parse_sketch("by\n  -- nothing here\n")
    assert parse_sketch("by\n  sorry").is_empty


@pytest.mark.parametrize(
    ("text", "name", "statement", "proof", "hole"),
    [
        ("have h2 : b = 5 := by sorry", "h2", "b = 5", "by sorry", True),
        ("have h2 : f (x : ℕ) = 5 := by omega", "h2", "f (x : ℕ) = 5", "by omega", False),
        ("have : a ≤ b := sorry", None, "a ≤ b", "sorry", True),
        ("have h : a ≤ b := by sorry -- from h₀", "h", "a ≤ b", "by sorry -- from h₀", True),
        ("have h4 := h2 ▸ h₁", "h4", None, "h2 ▸ h₁", False),
    ],
)
def test_have_parts(text: str, name: str, statement: str, proof: str, hole: bool) -> None:
    step = SketchStep(text)
    have = step.have
    assert have is not None
    assert (have.name, have.statement, have.proof) == (name, statement, proof)
    assert text[have.assign : have.assign + 2] == ":="
    assert step.is_hole is hole
    assert SketchStep("omega").have is None


def test_with_sorry_proof_keeps_the_statement() -> None:
    step = SketchStep("have h3 : a * b = 10 := by nlinarith [sq_nonneg (a - b)]", hints=("h",))
    replaced = step.with_sorry_proof()
    assert replaced.text == "have h3 : a * b = 10 := by sorry"
    assert replaced.is_hole and replaced.hints == ("h",)
    with pytest.raises(ValueError):
        SketchStep("omega").with_sorry_proof()


def test_replies_lose_reasoning_fences_and_headers() -> None:
    assert read_draft("<think>scratch</think>\n1. b = 5\n") == "1. b = 5"
    assert read_draft("<think>never closed") == ""
    reply = (
        "<think>```lean4\nwrong\n```</think>Sure.\n```python\nprint()\n```\n"
        "```lean4\nimport Mathlib\nopen Real\ntheorem t : 1 = 1 := by\n  rfl\n```\n"
        "```lean\nsecond\n```"
    )
    assert lean_code_block(reply) == "theorem t : 1 = 1 := by\n  rfl"
    assert lean_code_block("```\nby omega\n```") == "by omega"
    assert lean_code_block("by omega") == "by omega"


def test_prompts_show_the_statement_and_the_draft() -> None:
    informal = Theorem(THEOREM.name, THEOREM.header, THEOREM.statement, "Show ab = 10.")
    draft = draft_prompt(informal)
    assert THEOREM.statement in draft[-1]["content"]
    assert "Show ab = 10." in draft[-1]["content"]
    assert "Informal" not in draft_prompt(THEOREM)[-1]["content"]
    sketch = sketch_prompt(THEOREM, "1. b = 5")
    assert "1. b = 5" in sketch[-1]["content"] and THEOREM.statement in sketch[-1]["content"]


def test_the_last_declaration_gives_the_proof() -> None:
    code = "lemma helper : 1 = 1 := rfl\n\ntheorem t (x : ℕ) : x = x := by\n  rfl"
    assert [step.head for step in parse_sketch(code).steps] == ["rfl"]
    with pytest.raises(SketchError, match="no proof"):
        parse_sketch("theorem t : 1 = 1")
