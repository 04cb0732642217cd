"""The model-free generator: automation and moves read off the pretty-printed goal.

It is the default generator, so `leanwb prove` works with no model at all. Rules look
at the main (first) goal and propose tactics; each proposal scores the prior of its
rule (`prover.generate.priors.PRIORS`). Ties keep the order in which the rules fire, so
the output depends only on the state and the premises given. Hypotheses whose names
Lean printed as inaccessible (`h✝`) are never mentioned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prover.generate.arithmetic import Domain, arithmetic_moves, domain_of
from prover.generate.goals import (
    Goal,
    Hypothesis,
    fresh_name,
    normalize,
    occurs,
    parse_state,
    words,
)
from prover.generate.priors import PREMISE_RANK_STEP, PREMISES_USED, Proposals
from prover.generate.terms import Shape, Term, analyse
from prover.types import Candidate, Premise, Provenance, Usage, prompt_hash

_SAFE_NAME = re.compile(r"[A-Za-z_\u00C0-\u024F\u0370-\u03FF][\w'.₀-₉ₐ-ₜ]*")
_NUMERIC = re.compile(r"[\d\s+\-*/^%().↑]+")


class HeuristicGenerator:
    """Proposes tactics for the main goal of a state without any model."""

    name = "heuristic"

    def __init__(self) -> None:
        self.usage = Usage()

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        self.usage.calls += 1
        proposals = Proposals()
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


def _rank(state: str, proposals: Proposals, n: int) -> list[Candidate]:
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


def _propose(goal: Goal, out: Proposals) -> None:
    term = analyse(goal.target)
    _closing_moves(goal, term, out)
    _target_moves(goal, term, out)
    _hypothesis_moves(goal, out)
    arithmetic_moves(goal, term, out)
    _generic(goal, out)


# --- moves that close the goal outright -------------------------------------------------


def _closing_moves(goal: Goal, term: Term, out: Proposals) -> None:
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


def _target_moves(goal: Goal, term: Term, out: Proposals) -> None:
    taken = set(goal.names)
    if term.shape is Shape.FORALL:
        names = [fresh_name(name, taken) for name in term.binders]
        if term.bounded and names:
            names.append(fresh_name(f"h{names[0]}", taken))
        if names:
            out.add("target.intro", f"intro {' '.join(names)}")
    elif term.shape in (Shape.IMPLIES, Shape.NOT):
        out.add("target.intro", f"intro {fresh_name('h', taken)}")
    elif term.shape is Shape.RELATION and term.operator == "≠":
        out.add("target.intro_ne", f"intro {fresh_name('h', taken)}")
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


def _hypothesis_moves(goal: Goal, out: Proposals) -> None:
    taken = set(goal.names)
    target_words = words(goal.target)
    for name, hyp in goal.named():
        term = analyse(hyp.type)
        if term.shape is Shape.AND:
            parts = _conjunct_paths(hyp.type)
            pieces = [fresh_name(f"{name}_{k + 1}", taken) for k in range(len(parts))]
            out.add("hyp.obtain_and", f"obtain ⟨{', '.join(pieces)}⟩ := {name}")
            out.add("hyp.cases", f"cases {name}")
        elif term.shape is Shape.EXISTS and term.binders:
            pieces = [fresh_name(binder, taken) for binder in term.binders]
            if term.bounded:
                pieces.append(fresh_name(f"h{pieces[0]}_mem", taken))
            pieces.append(fresh_name(f"h{pieces[0]}", taken))
            out.add("hyp.obtain_exists", f"obtain ⟨{', '.join(pieces)}⟩ := {name}")
        elif term.shape is Shape.OR:
            out.add("hyp.rcases_or", f"rcases {name} with {name} | {name}")
            out.add("hyp.cases", f"cases {name}")
        elif term.shape is Shape.IFF and occurs(term.parts[0], goal.target):
            out.add("hyp.rw_iff", f"rw [{name}]")
        elif term.shape is Shape.RELATION and term.operator == "=":
            _equation_moves(goal, name, hyp, term, target_words, out)
        elif term.shape is Shape.FORALL:
            _definition_moves(goal, name, term, target_words, out)
        premises, conclusion = _implication_chain(hyp.type)
        if premises and conclusion == goal.target:
            out.add("hyp.apply", f"apply {name}")


def _equation_moves(
    goal: Goal, name: str, hyp: Hypothesis, term: Term, target_words: set[str], out: Proposals
) -> None:
    lhs, rhs = term.parts
    locals_ = {n for n, _ in goal.named()}
    if (lhs in locals_ and lhs in target_words) or (rhs in locals_ and rhs in target_words):
        out.add("hyp.subst", f"subst {name}")
    if occurs(lhs, goal.target):
        out.add("hyp.rw", f"rw [{name}]")
        out.add("hyp.simp", f"simp [{name}]")
        out.add("hyp.norm_num", f"norm_num [{name}]")
    elif not _NUMERIC.fullmatch(rhs) and occurs(rhs, goal.target):
        out.add("hyp.rw_reverse", f"rw [← {name}]")
    if "/" in hyp.type and domain_of(goal, hyp.type) in (Domain.FIELD, Domain.COMPLEX):
        out.add("hyp.field_simp_at", f"field_simp at {name}")


def _definition_moves(
    goal: Goal, name: str, term: Term, target_words: set[str], out: Proposals
) -> None:
    """`h : ∀ x, f x = e` defines `f`: unfold it wherever `f` is used."""
    body = analyse(term.parts[0])
    if body.shape is not Shape.RELATION or body.operator != "=":
        return
    head = body.parts[0].split(" ")[0].lstrip("(")
    if head in term.binders:
        return
    users = [n for n, h in goal.named() if n != name and head in words(h.type)]
    if head in target_words:
        out.add("hyp.definition_norm_num", f"norm_num [{name}]")
        out.add("hyp.definition_simp", f"simp [{name}]")
        if users:
            out.add("hyp.definition_everywhere", f"simp only [{name}] at *")
    for user in users:
        out.add("hyp.definition_at", f"norm_num [{name}] at {user}")


# --- arithmetic ----------------------------------------------------------------------------


def _generic(goal: Goal | None, out: Proposals) -> None:
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
        out.add("generic.by_contra", f"by_contra {fresh_name('h', set(goal.names))}")


def _premise_moves(premises: Sequence[Premise], out: Proposals) -> None:
    usable = [p for p in premises if _SAFE_NAME.fullmatch(p.name) and "sorry" not in p.name]
    for rank, premise in enumerate(usable[:PREMISES_USED]):
        bonus = -PREMISE_RANK_STEP * rank
        out.add("premise.simp", f"simp [{premise.name}]", bonus=bonus, premise=premise)
        out.add("premise.rw", f"rw [{premise.name}]", bonus=bonus, premise=premise)
        out.add("premise.apply", f"apply {premise.name}", bonus=bonus, premise=premise)


# --- small helpers ------------------------------------------------------------------------
