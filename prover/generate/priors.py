"""Prior scores of the heuristic generator's rules, and the list rules write into.

A prior is a hand-set log-probability-like number: about -0.1 means "almost surely
right", -1 "often right", -3 "a long shot". Search adds scores along a path, so the
magnitudes matter as well as the order. The values encode what miniF2F-style goals
reward: a hypothesis that *is* the goal beats everything; decision procedures on their
home ground (omega on linear ℕ/ℤ, linarith on ordered fields, norm_num on numerals) come
next; structural moves (intro, constructor) are cheap and rarely wrong; generic
automation (simp_all, aesop) is the fall-back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prover.types import Premise

PRIORS: dict[str, float] = {
    # Closes the goal by construction.
    "target.true": -0.05,  # ⊢ True: trivial
    "target.rfl": -0.1,  # both sides of = or ↔ print identically
    "hyp.exact": -0.05,  # a hypothesis is the target
    "hyp.exact_part": -0.1,  # h : A ∧ B, target A: exact h.1
    "hyp.exact_apply": -0.15,  # h : A → target and a : A: exact h a
    "hyp.absurd": -0.15,  # h : ¬A and a : A: exact absurd a h
    "hyp.exact_iff": -0.2,  # h : A ↔ target and a : A: exact h.mp a
    "target.pair": -0.15,  # target A ∧ B with both as hypotheses
    "target.or_hyp": -0.15,  # target A ∨ B with A (or B) a hypothesis
    # Decision procedures on their home ground.
    "arith.closed_norm_num": -0.3,  # no free variables: numerals only
    "arith.omega": -0.5,  # linear ℕ/ℤ facts, %, / by literals
    "arith.linarith": -0.6,  # linear facts over an ordered field
    "arith.positivity": -0.7,  # 0 < e, 0 ≤ e, e ≠ 0
    "arith.norm_num": -0.8,
    "arith.nlinarith_hints": -0.9,  # products of squares of variable differences
    "arith.ring": -0.9,  # an equation that is a ring identity
    "arith.closed_decide": -0.9,
    "arith.linarith_integral": -1.0,  # ℕ/ℤ: omega is usually the better bet
    "arith.nlinarith": -1.2,
    "arith.field_simp": -1.4,
    "arith.interval_cases": -1.5,  # a bounded ℕ/ℤ variable occurs in the target
    "arith.simp": -1.5,
    "arith.omega_nonlinear": -1.8,  # omega gives up on products of variables
    "arith.ring_nf": -1.9,
    # Structure of the target.
    "target.intro": -0.2,  # →, ∀, ¬
    "target.constructor": -0.3,  # ∧, ↔
    "target.intro_ne": -1.6,  # a ≠ b unfolds to a = b → False
    "target.left": -1.3,
    "target.right": -1.4,
    "target.refine_pair": -1.7,
    "target.tauto": -1.0,  # propositional structure
    # Hypotheses.
    "hyp.definition_norm_num": -0.8,  # h : ∀ x, f x = e and f occurs in the target
    "hyp.definition_simp": -0.9,
    "hyp.definition_everywhere": -1.1,
    "hyp.definition_at": -1.0,  # … and f occurs in another hypothesis
    "hyp.obtain_exists": -0.6,
    "hyp.obtain_and": -0.8,
    "hyp.subst": -0.9,  # h : x = e with x a variable of the target
    "hyp.rcases_or": -1.0,
    "hyp.rw": -1.0,
    "hyp.apply": -1.0,  # h : A → target
    "hyp.norm_num": -1.1,
    "hyp.simp": -1.2,
    "hyp.rw_iff": -1.2,
    "hyp.field_simp_at": -1.4,  # a field equation with division
    "hyp.rw_reverse": -1.7,
    "hyp.cases": -1.9,
    # Generic fall-backs.
    "generic.contradiction_false": -0.9,  # ⊢ False
    "generic.simp": -1.6,
    "generic.norm_num": -1.8,
    "generic.simp_all": -1.9,
    "generic.aesop": -2.0,
    "generic.tauto": -2.1,
    "generic.rfl": -2.2,
    "generic.push_neg": -2.2,
    "generic.trivial": -2.3,
    "generic.contradiction": -2.4,
    "generic.decide": -2.5,
    "generic.assumption": -2.6,
    "generic.exfalso": -3.0,
    "generic.by_contra": -3.2,
    # Retrieved premises, best first; each later premise loses PREMISE_RANK_STEP.
    "premise.simp": -2.5,
    "premise.rw": -2.7,
    "premise.apply": -2.9,
}
PREMISE_RANK_STEP = 0.25
PREMISES_USED = 3


@dataclass
class Proposals:
    """Tactics in the order rules fire, each with its rule and any premise it uses."""

    items: list[tuple[str, str, float, Premise | None]] = field(default_factory=list)

    def add(
        self, rule: str, tactic: str, *, bonus: float = 0.0, premise: Premise | None = None
    ) -> None:
        self.items.append((tactic, rule, PRIORS[rule] + bonus, premise))
