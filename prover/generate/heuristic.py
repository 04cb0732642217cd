"""The model-free generator: automation and moves read off the pretty-printed goal.

It is the default generator, so `leanwb prove` works with no model at all. Each rule
looks at the main (first) goal and proposes tactics; every proposal's score is the
prior of its rule in `PRIORS`, a hand-set log-probability-like number (about -0.1:
"almost surely right", -1: "often right", -3: "a long shot"). Search adds scores along
a path, so the magnitudes matter as well as the order. Ties keep the order in which
the rules fire, so the output depends only on the state and the premises given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from prover.generate.goals import Goal, Hypothesis, normalize, parse_state
from prover.generate.terms import Shape, Term, analyse
from prover.types import Candidate, Premise, Provenance, Usage, prompt_hash

# Prior log-probabilities per rule. A rule's name says what it reacts to.
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

_IDENT = re.compile(r"[A-Za-z_\u00C0-\u024F\u0370-\u03FF\u1D00-\u1DBF][\w'!?₀-₉ₐ-ₜ.]*")
_SAFE_NAME = re.compile(r"[A-Za-z_\u00C0-\u024F\u0370-\u03FF][\w'.₀-₉ₐ-ₜ]*")
_NUMERIC = re.compile(r"[\d\s+\-*/^%().↑]+")
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
_FIELD_MARKERS = ("√", "π", "Real.", "(ℝ)", ": ℝ)", "Real.sqrt", "Real.log")


@dataclass
class _Proposals:
    """Tactics in the order rules fire, each with its rule and any premise it uses."""

    items: list[tuple[str, str, float, Premise | None]] = field(default_factory=list)

    def add(self, rule: str, tactic: str, *, bonus: float = 0.0, premise: Premise | None = None):
        self.items.append((tactic, rule, PRIORS[rule] + bonus, premise))


class HeuristicGenerator:
    """Proposes tactics for the main goal of a state without any model."""

    name = "heuristic"

    def __init__(self) -> None:
        self.usage = Usage()

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        self.usage.calls += 1
        proposals = _Proposals()
        goals = parse_state(state)
        if goals:
            _propose(goals[0], proposals)
        elif state.strip() and state.strip() != "no goals":
            _generic(None, proposals)  # unparseable: automation still may work
        else:
            return []
        _premise_moves(premises, proposals)
        return _rank(state, proposals, n)

    def suggest_batch(
        self, states: Sequence[str], premises: Sequence[Sequence[Premise]], n: int
    ) -> list[list[Candidate]]:
        return [self.suggest(s, p, n) for s, p in zip(states, premises, strict=True)]


def _rank(state: str, proposals: _Proposals, n: int) -> list[Candidate]:
    if n <= 0:
        return []
    digest = prompt_hash(state)
    order = sorted(range(len(proposals.items)), key=lambda k: -proposals.items[k][2])
    seen: set[str] = set()
    candidates: list[Candidate] = []
    for k in order:
        tactic, rule, score, premise = proposals.items[k]
        key = normalize(tactic)
        if key in seen:
            continue
        seen.add(key)
        provenance = Provenance(
            generator=HeuristicGenerator.name,
            settings=(("rule", rule),),
            prompt_hash=digest,
            premises=(premise,) if premise is not None else (),
        )
        candidates.append(Candidate(text=tactic, score=score, provenance=provenance))
        if len(candidates) >= n:
            break
    return candidates


def _propose(goal: Goal, out: _Proposals) -> None:
    term = analyse(goal.target)
    _closing_moves(goal, term, out)
    _target_moves(goal, term, out)
    _hypothesis_moves(goal, out)
    _arithmetic(goal, term, out)
    _generic(goal, out)


# --- moves that close the goal outright -------------------------------------------------


def _closing_moves(goal: Goal, term: Term, out: _Proposals) -> None:
    target = goal.target
    if term.shape is Shape.TRUE:
        out.add("target.true", "trivial")
    if term.operator in ("=", "↔") and term.parts[0] == term.parts[1]:
        out.add("target.rfl", "rfl")
    for name, hyp in goal.named():
        if hyp.type == target:
            out.add("hyp.exact", f"exact {name}")
    for name, hyp in goal.named():
        hyp_term = analyse(hyp.type)
        if hyp_term.shape is Shape.AND:
            for path, part in _conjunct_paths(hyp.type):
                if part == target:
                    out.add("hyp.exact_part", f"exact {name}{path}")
        premises, conclusion = _implication_chain(hyp.type)
        if premises and conclusion == target:
            args = [_hypothesis_named(goal, p) for p in premises]
            if all(args):
                out.add("hyp.exact_apply", f"exact {name} {' '.join(args)}")  # type: ignore[arg-type]
        negated = _negated(hyp_term)
        if negated is not None:
            witness = _hypothesis_named(goal, negated)
            if witness is not None:
                out.add("hyp.absurd", f"exact absurd {witness} {name}")
        if hyp_term.shape is Shape.IFF:
            left, right = hyp_term.parts
            if right == target and (a := _hypothesis_named(goal, left)):
                out.add("hyp.exact_iff", f"exact {name}.mp {a}")
            if left == target and (b := _hypothesis_named(goal, right)):
                out.add("hyp.exact_iff", f"exact {name}.mpr {b}")
    if term.shape is Shape.AND:
        witnesses = [_hypothesis_named(goal, part) for _, part in _conjunct_paths(target)]
        if all(witnesses):
            out.add("target.pair", f"exact ⟨{', '.join(witnesses)}⟩")  # type: ignore[arg-type]
    if term.shape is Shape.OR:
        left, right = term.parts
        if (a := _hypothesis_named(goal, left)) is not None:
            out.add("target.or_hyp", f"exact Or.inl {a}")
        if (b := _hypothesis_named(goal, right)) is not None:
            out.add("target.or_hyp", f"exact Or.inr {b}")


def _conjunct_paths(prop: str) -> list[tuple[str, str]]:
    """The conjuncts of a right-nested `A ∧ B ∧ C` with the projection reaching each."""
    parts: list[tuple[str, str]] = []
    path, rest = "", prop
    while (term := analyse(rest)).shape is Shape.AND:
        parts.append((f"{path}.1", term.parts[0]))
        path, rest = f"{path}.2", term.parts[1]
    return [*parts, (path, normalize(rest))] if parts else []


def _implication_chain(prop: str) -> tuple[list[str], str]:
    """`A → B → C` as ([A, B], C); a non-implication gives ([], prop)."""
    premises: list[str] = []
    term = analyse(prop)
    while term.shape is Shape.IMPLIES:
        premises.append(term.parts[0])
        prop = term.parts[1]
        term = analyse(prop)
    return premises, normalize(prop)


def _negated(term: Term) -> str | None:
    if term.shape is Shape.NOT:
        return term.parts[0]
    if term.shape is Shape.IMPLIES and term.parts[1] == "False":
        return term.parts[0]
    return None


def _hypothesis_named(goal: Goal, prop: str) -> str | None:
    wanted = normalize(prop)
    return next((name for name, hyp in goal.named() if hyp.type == wanted), None)


# --- the target's logical structure ------------------------------------------------------


def _target_moves(goal: Goal, term: Term, out: _Proposals) -> None:
    taken = set(goal.names)
    if term.shape is Shape.FORALL:
        names = [_fresh(name, taken) for name in term.binders]
        if term.bounded and names:
            names.append(_fresh(f"h{names[0]}", taken))
        if names:
            out.add("target.intro", f"intro {' '.join(names)}")
    elif term.shape in (Shape.IMPLIES, Shape.NOT):
        out.add("target.intro", f"intro {_fresh('h', taken)}")
    elif term.shape is Shape.RELATION and term.operator == "≠":
        out.add("target.intro_ne", f"intro {_fresh('h', taken)}")
    elif term.shape in (Shape.AND, Shape.IFF):
        out.add("target.constructor", "constructor")
        if term.shape is Shape.AND:
            out.add("target.refine_pair", "refine ⟨?_, ?_⟩")
    elif term.shape is Shape.OR:
        out.add("target.left", "left")
        out.add("target.right", "right")
    if _is_propositional(term):
        out.add("target.tauto", "tauto")


def _is_propositional(term: Term) -> bool:
    return term.shape in (Shape.AND, Shape.OR, Shape.IFF, Shape.IMPLIES, Shape.NOT) and all(
        analyse(part).shape is not Shape.RELATION or _is_propositional(analyse(part))
        for part in term.parts
    )


# --- hypotheses ---------------------------------------------------------------------------


def _hypothesis_moves(goal: Goal, out: _Proposals) -> None:
    taken = set(goal.names)
    target_words = _words(goal.target)
    for name, hyp in goal.named():
        term = analyse(hyp.type)
        if term.shape is Shape.AND:
            parts = _conjunct_paths(hyp.type)
            pieces = [_fresh(f"{name}_{k + 1}", taken) for k in range(len(parts))]
            out.add("hyp.obtain_and", f"obtain ⟨{', '.join(pieces)}⟩ := {name}")
            out.add("hyp.cases", f"cases {name}")
        elif term.shape is Shape.EXISTS and term.binders:
            pieces = [_fresh(binder, taken) for binder in term.binders]
            if term.bounded:
                pieces.append(_fresh(f"h{pieces[0]}_mem", taken))
            pieces.append(_fresh(f"h{pieces[0]}", taken))
            out.add("hyp.obtain_exists", f"obtain ⟨{', '.join(pieces)}⟩ := {name}")
        elif term.shape is Shape.OR:
            out.add("hyp.rcases_or", f"rcases {name} with {name} | {name}")
            out.add("hyp.cases", f"cases {name}")
        elif term.shape is Shape.IFF and term.parts[0] in goal.target:
            out.add("hyp.rw_iff", f"rw [{name}]")
        elif term.shape is Shape.RELATION and term.operator == "=":
            _equation_moves(goal, name, hyp, term, target_words, out)
        elif term.shape is Shape.FORALL:
            _definition_moves(goal, name, term, target_words, out)
        premises, conclusion = _implication_chain(hyp.type)
        if premises and conclusion == goal.target:
            out.add("hyp.apply", f"apply {name}")


def _equation_moves(
    goal: Goal, name: str, hyp: Hypothesis, term: Term, target_words: set[str], out: _Proposals
) -> None:
    lhs, rhs = term.parts
    locals_ = {n for n, _ in goal.named()}
    if (lhs in locals_ and lhs in target_words) or (rhs in locals_ and rhs in target_words):
        out.add("hyp.subst", f"subst {name}")
    if _occurs(lhs, goal.target):
        out.add("hyp.rw", f"rw [{name}]")
        out.add("hyp.simp", f"simp [{name}]")
        out.add("hyp.norm_num", f"norm_num [{name}]")
    elif not _NUMERIC.fullmatch(rhs) and _occurs(rhs, goal.target):
        out.add("hyp.rw_reverse", f"rw [← {name}]")
    if "/" in hyp.type and _domain(goal, hyp.type) in (Domain.FIELD, Domain.COMPLEX):
        out.add("hyp.field_simp_at", f"field_simp at {name}")


def _definition_moves(
    goal: Goal, name: str, term: Term, target_words: set[str], out: _Proposals
) -> None:
    """`h : ∀ x, f x = e` defines `f`: unfold it wherever `f` is used."""
    body = analyse(term.parts[0])
    if body.shape is not Shape.RELATION or body.operator != "=":
        return
    head = body.parts[0].split(" ")[0].lstrip("(")
    if head in term.binders:
        return
    users = [n for n, h in goal.named() if n != name and head in _words(h.type)]
    if head in target_words:
        out.add("hyp.definition_norm_num", f"norm_num [{name}]")
        out.add("hyp.definition_simp", f"simp [{name}]")
        if users:
            out.add("hyp.definition_everywhere", f"simp only [{name}] at *")
    for user in users:
        out.add("hyp.definition_at", f"norm_num [{name}] at {user}")


# --- arithmetic ----------------------------------------------------------------------------


def _arithmetic(goal: Goal, term: Term, out: _Proposals) -> None:
    if term.shape is not Shape.FALSE and not _is_arithmetic(term):
        return
    mentioned = goal.target
    if term.shape is Shape.FALSE:  # a contradiction among the hypotheses
        mentioned = " ".join(hyp.type for _, hyp in goal.named())
    domain = _domain(goal, mentioned)
    closed = not (_words(goal.target) & {n for n, _ in goal.named()})
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


def _domain(goal: Goal, text: str) -> Domain:
    """The richest number system among the variables (and casts) that `text` mentions."""
    found = Domain.NONE
    if any(marker in text for marker in _FIELD_MARKERS):
        found = Domain.FIELD
    elif re.search(r"\d", text):
        found = Domain.NAT  # bare numerals elaborate in ℕ
    for word in _words(text):
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
        if _DOMAIN_OF_TYPE.get(hyp.type) is domain and name in _words(goal.target)
    ][:3]
    hints = [f"sq_nonneg ({a} - {b})" for i, a in enumerate(variables) for b in variables[i + 1 :]]
    hints += [f"sq_nonneg ({a} + {b})" for i, a in enumerate(variables) for b in variables[i + 1 :]]
    return hints or [f"sq_nonneg {a}" for a in variables]


def _bounded_variables(goal: Goal) -> Iterator[str]:
    """ℕ variables of the target with a numeric upper bound among the hypotheses."""
    target_words = _words(goal.target)
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


# --- generic automation and premises ------------------------------------------------------


def _generic(goal: Goal | None, out: _Proposals) -> None:
    term = analyse(goal.target) if goal is not None else Term(Shape.ATOM)
    if term.shape is Shape.FALSE:
        out.add("generic.contradiction_false", "contradiction")
    out.add("generic.simp", "simp")
    out.add("generic.norm_num", "norm_num")
    out.add("generic.simp_all", "simp_all")
    out.add("generic.aesop", "aesop")
    out.add("generic.tauto", "tauto")
    if term.operator in ("=", "↔"):
        out.add("generic.rfl", "rfl")
    if goal is not None and "¬" in goal.target:
        out.add("generic.push_neg", "push_neg")
    out.add("generic.trivial", "trivial")
    out.add("generic.contradiction", "contradiction")
    out.add("generic.decide", "decide")
    out.add("generic.assumption", "assumption")
    if goal is not None and term.shape is not Shape.FALSE:
        out.add("generic.exfalso", "exfalso")
        out.add("generic.by_contra", f"by_contra {_fresh('h', set(goal.names))}")


def _premise_moves(premises: Sequence[Premise], out: _Proposals) -> None:
    usable = [p for p in premises if _SAFE_NAME.fullmatch(p.name) and "sorry" not in p.name]
    for rank, premise in enumerate(usable[:PREMISES_USED]):
        bonus = -PREMISE_RANK_STEP * rank
        out.add("premise.simp", f"simp [{premise.name}]", bonus=bonus, premise=premise)
        out.add("premise.rw", f"rw [{premise.name}]", bonus=bonus, premise=premise)
        out.add("premise.apply", f"apply {premise.name}", bonus=bonus, premise=premise)


# --- small helpers ------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(_IDENT.findall(text))


def _occurs(fragment: str, text: str) -> bool:
    """Whether `fragment` occurs in `text` as a whole term (not inside a longer name)."""
    pattern = rf"(?<![\w'₀-₉.]){re.escape(fragment)}(?![\w'₀-₉])"
    return re.search(pattern, text) is not None


def _fresh(base: str, taken: set[str]) -> str:
    """`base`, or `base1`, `base2`, … whichever is not taken yet; reserves the result."""
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}{k}"
    taken.add(name)
    return name
