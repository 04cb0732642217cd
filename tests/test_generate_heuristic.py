"""The model-free generator: what it proposes for typical goals, and its contract."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from prover.generate.heuristic import HeuristicGenerator
from prover.generate.priors import PRIORS
from prover.types import Premise, prompt_hash

EXAMPLE = """x : ℕ
p q : Prop
h : x = 3
hp : p
hpq : p → q
⊢ x + 2 = 5 ∧ q"""
HYPS = "x : ℕ\np q : Prop\nh : x = 3\nhp : p\nhpq : p → q\n"


def texts(state: str, n: int = 64, premises: list[Premise] | None = None) -> list[str]:
    return [c.text for c in HeuristicGenerator().suggest(state, premises or [], n)]


def test_conjunction_is_split_first() -> None:
    assert texts(EXAMPLE)[0] == "constructor"


def test_after_constructor_each_case_gets_its_closer() -> None:
    left = texts(f"case left\n{HYPS}⊢ x + 2 = 5")
    right = texts(f"case right\n{HYPS}⊢ q")
    assert left[0] == "omega"
    assert {"subst h", "rw [h]", "norm_num [h]"} <= set(left)
    assert right[0] == "exact hpq hp"
    assert "apply hpq" in right


def test_candidates_follow_the_prior_table_best_first() -> None:
    candidates = HeuristicGenerator().suggest(EXAMPLE, [], 64)
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    for candidate in candidates:
        (rule_setting,) = candidate.provenance.settings
        assert rule_setting[0] == "rule"
        assert candidate.score == PRIORS[rule_setting[1]]
        assert candidate.provenance.generator == "heuristic"
        assert candidate.provenance.prompt_hash == prompt_hash(EXAMPLE)


def test_deterministic_unique_and_respects_n() -> None:
    first = HeuristicGenerator().suggest(EXAMPLE, [], 64)
    assert first == HeuristicGenerator().suggest(EXAMPLE, [], 64)
    assert len({c.text for c in first}) == len(first)
    assert [c.text for c in HeuristicGenerator().suggest(EXAMPLE, [], 3)] == [
        c.text for c in first[:3]
    ]
    assert HeuristicGenerator().suggest(EXAMPLE, [], 0) == []


@pytest.mark.parametrize(
    ("state", "expected_first"),
    [
        ("p : Prop\nhp : p\n⊢ p", "exact hp"),
        ("p q : Prop\nhq : q\n⊢ p ∨ q", "exact Or.inr hq"),
        ("p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q", "exact ⟨hp, hq⟩"),
        ("p q : Prop\nh : p ∧ q\n⊢ q", "exact h.2"),
        ("p q r : Prop\nh : p ∧ q ∧ r\n⊢ q", "exact h.2.1"),
        ("p : Prop\nh : ¬p\nhp : p\n⊢ 1 = 2", "exact absurd hp h"),
        ("p q : Prop\nh : p ↔ q\nhp : p\n⊢ q", "exact h.mp hp"),
        ("⊢ True", "trivial"),
        ("⊢ 91 ^ 2 = 8281", "norm_num"),
        ("n : ℕ\nh₀ : 123 * n + 17 = 39500\n⊢ n = 321", "omega"),
        ("x y : ℝ\nh : x < y\n⊢ x ≤ y", "linarith"),
        ("h : ℕ\nh1 : ℕ\n⊢ ∀ (x : ℕ), x = x", "intro x"),
    ],
)
def test_goal_driven_first_choice(state: str, expected_first: str) -> None:
    assert texts(state)[0] == expected_first


def test_structural_moves_use_fresh_names() -> None:
    assert "intro h1" in texts("p q : Prop\nh : q\n⊢ p → q")
    assert "intro x1 hx1" in texts("x : ℝ\nS : Set ℝ\n⊢ ∀ x ∈ S, x > 0")
    assert "obtain ⟨x1, hx1⟩ := h" in texts("x : ℕ\nh : ∃ x, x > 3\n⊢ False")
    assert "obtain ⟨h₀_1, h₀_2, h₀_3⟩ := h₀" in texts(
        "a b c : ℝ\nh₀ : 0 < a ∧ 0 < b ∧ 0 < c\n⊢ 0 < a * b * c"
    )
    assert {"left", "right"} <= set(texts("x : ℕ\n⊢ x = 0 ∨ 0 < x"))


def test_definition_hypotheses_are_unfolded_where_used() -> None:
    state = "a : ℝ\nf : ℝ → ℝ\nh₀ : ∀ (x : ℝ), f x = a * (x - 2) ^ 2 + 3\nh₁ : f 4 = 4\n⊢ f 6 = 7"
    proposed = texts(state)
    assert {"norm_num [h₀]", "simp [h₀]", "norm_num [h₀] at h₁", "simp only [h₀] at *"} <= set(
        proposed
    )


def test_domain_decides_the_decision_procedure() -> None:
    real = texts("a b : ℝ\nh : 0 < a\n⊢ 0 < a * b ^ 2 + a")
    assert "omega" not in real
    assert {"positivity", "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]"} <= set(real)
    natural = texts("n : ℕ\nh₀ : n < 5\n⊢ n ^ 2 < 30")
    assert "interval_cases n" in natural
    assert natural.index("nlinarith") < natural.index("omega")  # nonlinear: omega is a long shot


def test_inaccessible_names_are_never_mentioned() -> None:
    state = "n✝ : ℕ\nh✝ : n✝ = 2\nk : ℕ\nhk : k = 2\n⊢ k + 1 = 3"
    assert not any("✝" in text for text in texts(state))
    assert "subst hk" in texts(state)


def test_premises_add_low_priority_moves_with_provenance() -> None:
    premises = [
        Premise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n", score=0.9),
        Premise("bad name]; sorry", "evil", score=0.8),
        Premise("Nat.succ_le", "n < m ↔ n + 1 ≤ m", score=0.7),
    ]
    candidates = HeuristicGenerator().suggest("a b : ℕ\n⊢ a + b = b + a", premises, 64)
    by_text = {c.text: c for c in candidates}
    assert by_text["rw [Nat.add_comm]"].provenance.premises == (premises[0],)
    assert by_text["simp [Nat.add_comm]"].score > by_text["simp [Nat.succ_le]"].score
    assert not any("sorry" in text for text in by_text)
    assert by_text["omega"].provenance.premises == ()


def test_unparseable_and_finished_states() -> None:
    assert texts("no goals") == []
    assert "simp" in texts("something Lean printed that is not a goal")


def test_usage_counts_calls_without_tokens() -> None:
    generator = HeuristicGenerator()
    generator.suggest(EXAMPLE, [], 4)
    generator.suggest_batch([EXAMPLE, "⊢ True"], [[], []], 4)
    assert (generator.usage.calls, generator.usage.tokens_in, generator.usage.tokens_out) == (
        3,
        0,
        0,
    )


_TACTIC_HEAD = re.compile(r"^[a-z_]+[a-z_?!']*")


def test_every_minif2f_goal_gets_a_full_well_formed_list(shared_dir: Path) -> None:
    rows = [json.loads(line) for line in (shared_dir / "datasets" / "minif2f.jsonl").open()]
    generator = HeuristicGenerator()
    arithmetic_first = 0
    for row in rows:
        candidates = generator.suggest(row["goal"], [], 16)
        assert len(candidates) >= 10, row["name"]  # the generic fall-backs alone give ten
        assert all(math.isfinite(c.score) and _TACTIC_HEAD.match(c.text) for c in candidates)
        assert len({c.text for c in candidates}) == len(candidates)
        if candidates[0].text in {"norm_num", "omega", "linarith", "nlinarith", "positivity"}:
            arithmetic_first += 1
    # miniF2F is mostly arithmetic: a decision procedure should lead on most goals.
    assert arithmetic_first > len(rows) // 2
