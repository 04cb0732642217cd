"""Arithmetic rules of the heuristic generator: which decision procedure fits a goal.

The number system decides (ℕ/ℤ: omega; ordered fields: linarith, nlinarith, positivity;
ℂ: norm_num, ring, field_simp), then the shape of the relation (ring for equations
with work on both sides, positivity for `0 < e`, interval_cases for bounded naturals).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum

from prover.generate.goals import Goal, words
from prover.generate.priors import Proposals
from prover.generate.terms import Shape, Term, analyse

# A product or power that involves a variable: outside omega's linear fragment.
_VARIABLE_OR_GROUP = r"(?:\)|(?<![\w'₀-₉])[A-Za-z_\u0370-\u03FF][\w'₀-₉]*)"
_PRODUCT_OF_VARIABLES = re.compile(rf"{_VARIABLE_OR_GROUP}\s*\*\s*[A-Za-z(]")
_VARIABLE_POWER = re.compile(rf"{_VARIABLE_OR_GROUP}\s*\^|\^\s*[A-Za-z(]")
_ARITH_RELATIONS = frozenset({"=", "≠", "≤", "<", "≥", ">", "∣", "≡"})


class Domain(StrEnum):
    NAT = "nat"
    INT = "int"
    FIELD = "field"  # ℝ, ℚ and friends: ordered fields
    COMPLEX = "complex"
    NONE = "none"  # no numbers involved


_DOMAIN_OF_TYPE = {
    "ℕ": Domain.NAT,
    "Nat": Domain.NAT,
    "ℕ+": Domain.NAT,
    "ℤ": Domain.INT,
    "Int": Domain.INT,
    "ℝ": Domain.FIELD,
    "Real": Domain.FIELD,
    "ℚ": Domain.FIELD,
    "NNReal": Domain.FIELD,
    "ℝ≥0": Domain.FIELD,
    "ℂ": Domain.COMPLEX,
    "Complex": Domain.COMPLEX,
}
_DOMAIN_RANK = [Domain.NONE, Domain.NAT, Domain.INT, Domain.FIELD, Domain.COMPLEX]
_FIELD_MARKERS = ("√", "π", "Real.", ": ℝ)")  # a real function, constant or cast


def arithmetic_moves(goal: Goal, term: Term, out: Proposals) -> None:
    if term.shape is not Shape.FALSE and not _is_arithmetic(term):
        return
    mentioned = goal.target
    if term.shape is Shape.FALSE:  # a contradiction among the hypotheses
        mentioned = " ".join(hyp.type for _, hyp in goal.named())
    domain = domain_of(goal, mentioned)
    closed = not (words(goal.target) & {n for n, _ in goal.named()})
    nonlinear = _is_nonlinear(goal.target)
    relation = term.operator if term.shape is Shape.RELATION else None
    if closed and term.shape is not Shape.FALSE:
        out.add("arith.closed_norm_num", "norm_num")
        if domain in (Domain.NAT, Domain.INT, Domain.NONE):
            out.add("arith.closed_decide", "decide")
        out.add("arith.simp", "simp")
        out.add("generic.rfl", "rfl")
    integral = domain in (Domain.NAT, Domain.INT, Domain.NONE)
    if integral:
        out.add("arith.omega_nonlinear" if nonlinear else "arith.omega", "omega")
    if domain is not Domain.COMPLEX and relation != "∣":
        out.add("arith.linarith_integral" if integral else "arith.linarith", "linarith")
    if relation is not None and _is_positivity_goal(relation, *term.parts):
        out.add("arith.positivity", "positivity")
    out.add("arith.norm_num", "norm_num")
    ring_identity = relation == "=" and not closed and _is_compound(*term.parts)
    if ring_identity:
        out.add("arith.ring", "ring")
    if domain in (Domain.FIELD, Domain.INT, Domain.NAT) and relation != "∣":
        hints = _square_hints(goal, domain)
        if hints and (relation in ("≤", "<", "≥", ">") or nonlinear):
            out.add("arith.nlinarith_hints", f"nlinarith [{', '.join(hints)}]")
        out.add("arith.nlinarith", "nlinarith")
    if domain in (Domain.FIELD, Domain.COMPLEX) and "/" in goal.target:
        out.add("arith.field_simp", "field_simp")
    for variable in _bounded_variables(goal):
        out.add("arith.interval_cases", f"interval_cases {variable}")
    out.add("arith.simp", "simp")
    if ring_identity:
        out.add("arith.ring_nf", "ring_nf")


def _is_positivity_goal(relation: str, left: str, right: str) -> bool:
    """`0 < e`, `0 ≤ e`, `e > 0`, `e ≥ 0` or `e ≠ 0`: what `positivity` proves."""
    if relation in ("<", "≤"):
        return left == "0"
    return relation in (">", "≥", "≠") and right == "0"


def _is_nonlinear(text: str) -> bool:
    return bool(_PRODUCT_OF_VARIABLES.search(text) or _VARIABLE_POWER.search(text))


def _is_compound(*sides: str) -> bool:
    """Whether some side is more than a variable or a numeral (so `ring` has work to do)."""
    return any(re.search(r"[-+*/^]", side) for side in sides)


def _is_arithmetic(term: Term) -> bool:
    if term.shape is Shape.RELATION:
        return term.operator in _ARITH_RELATIONS
    if term.shape in (Shape.AND, Shape.OR, Shape.IFF, Shape.NOT):
        return all(_is_arithmetic(analyse(part)) for part in term.parts)
    return False


def domain_of(goal: Goal, text: str) -> Domain:
    """The richest number system among the variables (and casts) that `text` mentions."""
    found = Domain.NONE
    if any(marker in text for marker in _FIELD_MARKERS):
        found = Domain.FIELD
    elif re.search(r"\d", text):
        found = Domain.NAT  # bare numerals elaborate in ℕ
    for word in words(text):
        type_ = goal.type_of(word)
        if type_ is None:
            continue
        codomain = type_.rsplit(" → ", 1)[-1].strip()
        domain = _DOMAIN_OF_TYPE.get(codomain)
        if domain is not None and _DOMAIN_RANK.index(domain) > _DOMAIN_RANK.index(found):
            found = domain
    return found


def _square_hints(goal: Goal, domain: Domain) -> list[str]:
    """`sq_nonneg` of the differences and sums of the target's variables (at most three)."""
    variables = [
        name
        for name, hyp in goal.named()
        if _DOMAIN_OF_TYPE.get(hyp.type) is domain and name in words(goal.target)
    ][:3]
    hints = [f"sq_nonneg ({a} - {b})" for i, a in enumerate(variables) for b in variables[i + 1 :]]
    hints += [f"sq_nonneg ({a} + {b})" for i, a in enumerate(variables) for b in variables[i + 1 :]]
    return hints or [f"sq_nonneg {a}" for a in variables]


def _bounded_variables(goal: Goal) -> Iterator[str]:
    """ℕ variables of the target with a numeric upper bound among the hypotheses."""
    target_words = words(goal.target)
    for name, hyp in goal.named():
        if _DOMAIN_OF_TYPE.get(hyp.type) is not Domain.NAT or name not in target_words:
            continue
        for _, other in goal.named():
            bound = analyse(other.type)
            if bound.shape is not Shape.RELATION:
                continue
            left, right = bound.parts
            upper = (left == name and bound.operator in ("<", "≤") and right.isdigit()) or (
                right == name and bound.operator in (">", "≥") and left.isdigit()
            )
            if upper:
                yield name
                break
