"""repair.rules: one test per syntax rule, and the rules' promises (proof only, valid
Lean 4 untouched, Lean 3 turned into proofs the stand-in REPL accepts)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from prover.lean.pool import LeanServer
from prover.types import Theorem
from repair.rules import RULES, RuleContext, changed_lines, line_map, refine, refined
from repair.source import read_source

THEOREM = Theorem(
    "t",
    "import Mathlib",
    "theorem t (x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) (h : p ∧ q) (h2 : p ∨ q) "
    "(h3 : x = 3) : x + 2 = 5",
)

# (rule, proof before, proof after that rule alone)
CASES = [
    ("markdown_fences", "```lean\nby\n  simp\n```", "by\n  simp"),
    ("markdown_fences", "```\nby\n  simp\n```", "by\n  simp"),
    (
        "unicode_lookalikes",
        "by\n  nlinarith [sq_nonneg (x − 1)]",
        "by\n  nlinarith [sq_nonneg (x - 1)]",
    ),
    ("unicode_lookalikes", "by\n  exact h\u00a0", "by\n  exact h "),
    ("unicode_lookalikes", "by\n  exact fun x ⇒ x", "by\n  exact fun x => x"),
    ("lean3_begin_end", "begin\n  norm_num,\nend", "by\n  norm_num,"),
    (
        "lean3_begin_end",
        "by\n  have : p := begin\n    exact hp\n  end,\n  simp",
        "by\n  have : p := by\n    exact hp\n  simp",
    ),
    (
        "lean3_brace_blocks",
        "by\n  constructor\n  { norm_num, linarith },",
        "by\n  constructor\n  { norm_num; linarith }",
    ),
    ("lean3_brace_blocks", "by\n  { exact hp, }", "by\n  { exact hp }"),
    ("lean3_lambda", "by\n  exact (λ x, hp) 0", "by\n  exact (fun x => hp) 0"),
    ("lean3_lambda", "by\n  exact fun ⟨a, b⟩, a", "by\n  exact fun ⟨a, b⟩ => a"),
    ("lean3_lambda", "by\n  exact λ (x : ℕ) y,\n    hp", "by\n  exact fun (x : ℕ) y =>\n    hp"),
    ("lean3_trailing_commas", "by\n  norm_num [h3],\n  simp", "by\n  norm_num [h3]\n  simp"),
    ("lean3_trailing_commas", "by\n  exact ⟨hp,\n    hq⟩", "by\n  exact ⟨hp,\n    hq⟩"),
    ("lean3_trailing_commas", "by\n  simp, -- done\n  rfl", "by\n  simp -- done\n  rfl"),
    ("lean3_assume", "by\n  assume h4 h5,", "by\n  intro h4 h5"),
    ("lean3_assume", "by\n  assume h4 : p,", "by\n  intro (h4 : p)"),
    ("lean3_cases_with", "by\n  cases h with a b", "by\n  obtain ⟨a, b⟩ := h"),
    ("lean3_cases_with", "by\n  cases h2 with a b", "by\n  rcases h2 with a | b"),
    ("lean3_cases_with", "by\n  cases x with y", "by\n  cases' x with y"),
    (
        "lean3_cases_with",
        "by\n  have h5 : p ∨ q := Or.inl hp\n  cases h5 with a b",
        "by\n  have h5 : p ∨ q := Or.inl hp\n  rcases h5 with a | b",
    ),
    ("lean3_rw_brackets", "by\n  rw h3", "by\n  rw [h3]"),
    ("lean3_rw_brackets", "by\n  rw ← h3 at h4", "by\n  rw [← h3] at h4"),
    ("lean3_rw_brackets", "by\n  simp; rwa h3", "by\n  simp; rwa [h3]"),
    ("lean3_simp_star", "by\n  simp * at *", "by\n  simp [*] at *"),
    ("lean3_have_comma", "by\n  have h4 : q, from hpq hp", "by\n  have h4 : q := hpq hp"),
    ("lean3_have_comma", "by\n  have h4 : q, by simp", "by\n  have h4 : q := by simp"),
    ("lean3_have_comma", "by\n  from hp", "by\n  exact hp"),
    ("lean3_tactic_names", "by\n  refl", "by\n  rfl"),
    ("lean3_tactic_names", "by\n  existsi 3", "by\n  use 3"),
    ("lean3_tactic_names", "by\n  · by_contradiction hn", "by\n  · by_contra hn"),
    ("stray_by", "by\nby\n  simp", "by\n  simp"),
    ("stray_by", "by by simp", "by simp"),
    ("missing_by", "by\n  have h4 : x = 3 := linarith", "by\n  have h4 : x = 3 := by linarith"),
]


@pytest.mark.parametrize(("name", "before", "after"), CASES)
def test_each_rule_rewrites_its_mistake(name: str, before: str, after: str) -> None:
    rule = next(r for r in RULES if r.name == name)
    assert rule.rewrite(before, RuleContext(THEOREM)) == after


def test_every_rule_has_a_case() -> None:
    assert {r.name for r in RULES} == {name for name, _, _ in CASES}
    assert len({r.name for r in RULES}) == len(RULES)


VALID_LEAN4 = [
    "by\n  constructor\n  · exact hp\n  · exact hpq hp",
    "by\n  split_ifs with hx\n  · simp\n  · omega",
    "by\n  rw [h3]\n  rwa [← h3] at h\n  simp only [h3, Nat.add_comm]",
    "by\n  exact fun x => x\n  exact fun ⟨a, b⟩ ↦ a\n  exact λ x => x",
    "by\n  obtain ⟨a, b⟩ := h\n  rcases h2 with c | d",
    "by\n  have h4 : x = 3 := by linarith\n  have : q := hpq hp\n"
    "  nlinarith [sq_nonneg (x - 1), h3]",
    "by\n  refine ⟨_, _⟩\n  { simp }\n  all_goals omega",
    "by\n  intro y\n  cases y with\n  | zero => simp\n  | succ n => omega",
    "by\n  by_contra hn\n  exact absurd hp hn",
    "⟨hp, hpq hp⟩",
    "fun x => by simp [x]",
]


@pytest.mark.parametrize("proof", VALID_LEAN4)
def test_valid_lean4_is_left_alone(proof: str) -> None:
    assert refine(proof, THEOREM) == []


@pytest.mark.parametrize(("name", "before", "after"), CASES)
def test_rules_never_change_the_statement(name: str, before: str, after: str) -> None:
    del name, after
    for rewrite in refine(before, THEOREM):
        text = f"{THEOREM.header}\n\n{THEOREM.with_proof(rewrite.after)}"
        read = read_source(text)
        assert read.theorem.statement == THEOREM.statement
        assert read.proof == rewrite.after.strip()


def test_refine_reports_each_rule_in_order_with_the_lines_it_touched() -> None:
    proof = "```lean\nbegin\n  assume h4,\n  rw h3,\n  simp\nend\n```"
    rewrites = refine(proof, THEOREM)
    assert [r.rule.name for r in rewrites] == [
        "markdown_fences",
        "lean3_begin_end",
        "lean3_trailing_commas",
        "lean3_assume",
        "lean3_rw_brackets",
    ]
    assert all(a.after == b.before for a, b in pairwise(rewrites))
    assert rewrites[-1].after == "by\n  intro h4\n  rw [h3]\n  simp"
    assert rewrites[0].lines == (0, 6)
    assert rewrites[-1].lines == (2,)


def test_changed_lines_and_line_map_follow_deletions() -> None:
    before, after = "a\nb\nc\nd", "a\nc\nD"
    assert changed_lines(before, after) == (1, 3)
    assert line_map(before, after) == {0: 0, 2: 1, 3: 2}


LEAN3 = Theorem(
    "lean3",
    "import Mathlib",
    "theorem lean3 (x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) (h : p ∧ q) (h3 : x = 3) : "
    "x + 2 = 5 ∧ (p → q ∧ p)",
)


@pytest.mark.parametrize(
    "proof",
    [
        "begin\n  constructor,\n  { norm_num [h3] },\n  assume hh,\n  cases h with a b,\n"
        "  exact ⟨b, a⟩,\nend",
        "```lean\nby\n  constructor\n  { rw h3 }\n  exact (λ hh, ⟨hpq hh, hh⟩),\n```",
        "by\n  have h4 : x = 3, from h3,\n  refine ⟨by linarith, _⟩\n  intro hh,\n"
        "  obtain ⟨a, b⟩ := h,\n  exact ⟨b, a⟩",
    ],
)
def test_refined_lean3_proofs_elaborate(lean: LeanServer, proof: str) -> None:
    broken = lean.check(LEAN3.header, LEAN3.with_proof(proof))
    assert broken.errors, "the Lean 3 version must fail as written"
    fixed = lean.check(LEAN3.header, LEAN3.with_proof(refined(proof, LEAN3)))
    assert fixed.clean, [m.text for m in fixed.messages]
