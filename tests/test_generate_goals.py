"""Parsing pretty-printed goal states and reading the shape of propositions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.generate.goals import Hypothesis, parse_state
from prover.generate.terms import Shape, analyse, binder_names

EXAMPLE = """x : ℕ
p q : Prop
h : x = 3
hp : p
hpq : p → q
⊢ x + 2 = 5 ∧ q"""


def test_hypotheses_grouped_names_and_target() -> None:
    [goal] = parse_state(EXAMPLE)
    assert goal.case is None
    assert goal.target == "x + 2 = 5 ∧ q"
    assert goal.hypotheses[1] == Hypothesis(("p", "q"), "Prop")
    assert [name for name, _ in goal.named()] == ["x", "p", "q", "h", "hp", "hpq"]
    assert goal.type_of("hpq") == "p → q"


def test_several_goals_with_case_tags() -> None:
    state = "case left\nx : ℕ\nh : x = 3\n⊢ x + 2 = 5\n\ncase right\np q : Prop\nhp : p\n⊢ q"
    left, right = parse_state(state)
    assert (left.case, left.target) == ("left", "x + 2 = 5")
    assert (right.case, right.target) == ("right", "q")
    assert right.type_of("x") is None


def test_wrapped_lines_join_their_item() -> None:
    state = (
        "a b c : ℝ\n"
        "h₀ : a * b * (a ^ 2 - b ^ 2) +\n"
        "    c = 1\n"
        "⊢ a * b * (a ^ 2 - b ^ 2) + b * c * (b ^ 2 - c ^ 2) ≤\n"
        "    9 * √2 / 32 * (a ^ 2 + b ^ 2 + c ^ 2) ^ 2"
    )
    [goal] = parse_state(state)
    assert goal.type_of("h₀") == "a * b * (a ^ 2 - b ^ 2) + c = 1"
    assert goal.target.endswith("≤ 9 * √2 / 32 * (a ^ 2 + b ^ 2 + c ^ 2) ^ 2")


def test_let_values_inaccessible_names_and_empty_states() -> None:
    [goal] = parse_state("n✝ : ℕ\nk : ℕ := n✝ + 1\n⊢ k = n✝ + 1")
    assert goal.hypotheses[1] == Hypothesis(("k",), "ℕ", "n✝ + 1")
    assert goal.hypotheses[0].usable_names == ()
    assert [name for name, _ in goal.named()] == ["k"]
    assert parse_state("no goals") == []
    assert parse_state("") == []
    assert parse_state("2 goals\n⊢ p\n\n⊢ q")[1].target == "q"


@pytest.mark.parametrize(
    ("text", "shape", "parts"),
    [
        ("x + 2 = 5 ∧ q", Shape.AND, ("x + 2 = 5", "q")),
        ("p ∨ q ∧ r", Shape.OR, ("p", "q ∧ r")),
        ("p → q ↔ r", Shape.IFF, ("p → q", "r")),
        ("¬(p ∧ q)", Shape.NOT, ("p ∧ q",)),
        ("¬a = b ∧ c", Shape.AND, ("¬a = b", "c")),
        ("¬∀ x, p x ∧ q x", Shape.NOT, ("∀ x, p x ∧ q x",)),
        ("((p))", Shape.ATOM, ("p",)),
        ("∑ k ∈ S, k = 4", Shape.RELATION, ("∑ k ∈ S, k", "4")),
        ("f = fun x => x ∧ y", Shape.RELATION, ("f", "fun x => x ∧ y")),
        ("False", Shape.FALSE, ()),
    ],
)
def test_outermost_shape(text: str, shape: Shape, parts: tuple[str, ...]) -> None:
    term = analyse(text)
    assert (term.shape, term.parts) == (shape, parts)


def test_binders() -> None:
    forall = analyse("∀ (a b : ℕ) (h : a < b), a ≤ b")
    assert (forall.shape, forall.binders, forall.parts) == (
        Shape.FORALL,
        ("a", "b", "h"),
        ("a ≤ b",),
    )
    bounded = analyse("∀ ε > 0, ∃ δ > 0, δ < ε")
    assert (bounded.binders, bounded.bounded) == (("ε",), True)
    assert analyse(bounded.parts[0]).shape is Shape.EXISTS
    assert binder_names("{x y : ℕ} [Fintype α]") == (("x", "y"), False)
    assert binder_names("x ∈ S") == (("x",), True)
    assert analyse("∃! x, p x").shape is Shape.ATOM


def test_every_minif2f_goal_parses(shared_dir: Path) -> None:
    rows = [json.loads(line) for line in (shared_dir / "datasets" / "minif2f.jsonl").open()]
    for row in rows:
        goals = parse_state(row["goal"])
        assert len(goals) == 1, row["name"]
        stated = [
            line.split(" : ")[0]
            for line in row["goal"].split("\n")
            if " : " in line and not line[0].isspace() and not line.startswith("⊢")
        ]
        names = {name for name, _ in goals[0].named()}
        assert all(set(head.split()) <= names for head in stated if "✝" not in head), row["name"]
        assert goals[0].target and "⊢" not in goals[0].target
