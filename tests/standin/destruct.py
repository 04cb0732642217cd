"""Taking hypotheses apart: cases, rcases, obtain, induction, subst."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from standin.context import ElabError
from standin.elab import unfold_head
from standin.expr import FALSE, NAT, Binder, Expr, Num, Op, Var, free_vars, subst
from standin.goals import Goal, Hyp
from standin.pretty import show
from standin.runner import Runner, TacticError, fail, on_main
from standin.syntax import SIdent
from standin.tactic_syntax import Alt, RPat, Tactic


def rename_inaccessible(goal: Goal, names: tuple[str, ...]) -> Goal:
    """`case tag x y =>` / `next x y =>`: name the last inaccessible hypotheses."""
    if not names:
        return goal
    hidden = [i for i, h in enumerate(goal.hyps) if not h.accessible][-len(names) :]
    hyps = list(goal.hyps)
    renames: dict[str, Expr] = {}
    for index, name in zip(hidden, names, strict=False):
        old = hyps[index]
        if name != "_":
            hyps[index] = Hyp(name, old.type)
            renames[old.name] = Var(name)
    goal = Goal(tuple(hyps), goal.target, goal.tag)
    return _rename_vars(goal, renames)


def _rename_vars(goal: Goal, renames: dict[str, Expr]) -> Goal:
    if not renames:
        return goal
    hyps = tuple(replace(h, type=subst(h.type, renames)) for h in goal.hyps)
    return Goal(hyps, subst(goal.target, renames), goal.tag)


# ---------------------------------------------------------------- rcases patterns


def destructure(
    goal: Goal, type_: Expr, pat: RPat, err: Callable[[str], TacticError]
) -> list[Goal]:
    """Add `type_` to the context, split as `pat` says (⟨…⟩ for ∧/∃/↔, `|` for ∨)."""
    if pat.kind == "name":
        if pat.name == "-":
            return [goal]
        return [goal.with_hyp(pat.name if pat.name != "_" else "h", type_, pat.name != "_")]
    target = unfold_head(type_) if not isinstance(type_, Op) or type_.op != "¬" else type_
    if pat.kind == "alts":
        if isinstance(target, Op) and target.op == "∨":
            left, right = target.args
            rest = pat.items[1] if len(pat.items) == 2 else RPat("alts", items=pat.items[1:])
            return [
                g.with_tag(g.tag or "inl") for g in destructure(goal, left, pat.items[0], err)
            ] + [g.with_tag(g.tag or "inr") for g in destructure(goal, right, rest, err)]
        return destructure(goal, type_, pat.items[0], err)
    items = pat.items
    if not items:
        return [goal]
    if len(items) == 1:
        return destructure(goal, type_, items[0], err)
    rest = items[1] if len(items) == 2 else RPat("tuple", items=items[1:])
    if isinstance(target, Op) and target.op in ("∧", "↔"):
        left, right = target.args
        if target.op == "↔":
            left, right = Op("→", (left, right)), Op("→", (right, left))
        result: list[Goal] = []
        for g in destructure(goal, left, items[0], err):
            result.extend(destructure(g, right, rest, err))
        return result
    if isinstance(target, Binder) and target.quant == "∃":
        first = items[0]
        name = first.name if first.kind == "name" and first.name not in ("_", "-") else target.name
        accessible = first.kind == "name" and first.name not in ("_", "-")
        witness_goal, actual = goal.intro_hyp(name, target.type, accessible)
        body = subst(target.body, {target.name: Var(actual)})
        return destructure(witness_goal, body, rest, err)
    if target == FALSE:
        return []
    return destructure(goal, type_, items[0], err)


def _source_hyp(runner: Runner, tac: Tactic, goal: Goal) -> tuple[Goal, Expr]:
    """The type of the destructed term; a local hypothesis is removed from the context."""
    term = tac.terms[0]
    if isinstance(term, SIdent):
        hyp = goal.lookup(term.name)
        if hyp is not None:
            return goal.without(term.name), hyp.type
    try:
        return goal, runner.elab.infer(term, goal)
    except ElabError as exc:
        raise TacticError(exc.text, exc.start, exc.end) from exc


@on_main("rcases")
def _rcases(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    goal, type_ = _source_hyp(runner, tac, goal)
    pattern = tac.pattern or RPat("tuple", items=(RPat("name", "_"), RPat("name", "_")))
    return destructure(goal, type_, pattern, lambda text: fail(tac, text))


@on_main("obtain")
def _obtain(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    assert tac.pattern is not None
    if not tac.terms:
        if tac.type is None:
            raise fail(tac, "`obtain` needs `:= proof` or `: type`")
        claim = runner.prop(tac, goal)
        return [
            goal.with_target(claim),
            *destructure(goal, claim, tac.pattern, lambda t: fail(tac, t)),
        ]
    if tac.type is not None:
        type_ = runner.prop(tac, goal)
        runner.elab_check(tac, goal, type_)
    else:
        goal, type_ = _source_hyp(runner, tac, goal)
    return destructure(goal, type_, tac.pattern, lambda text: fail(tac, text))


# ---------------------------------------------------------------- cases / induction


@on_main("cases")
def _cases(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    term = tac.terms[0]
    if isinstance(term, SIdent) and goal.lookup(term.name) is not None:
        hyp = goal.lookup(term.name)
        assert hyp is not None
        if hyp.type == NAT:
            return _with_alts(runner, tac, _nat_cases(goal, term.name, induction=False))
    goal, type_ = _source_hyp(runner, tac, goal)
    target = unfold_head(type_) if isinstance(type_, Op) and type_.op == "¬" else type_
    arms: list[tuple[str, Goal]]
    if isinstance(target, Op) and target.op == "∨":
        arms = [
            ("inl", goal.with_hyp("h", target.args[0], False).with_tag("inl")),
            ("inr", goal.with_hyp("h", target.args[1], False).with_tag("inr")),
        ]
    elif isinstance(target, Op) and target.op in ("∧", "↔"):
        names = ("left", "right") if target.op == "∧" else ("mp", "mpr")
        left, right = target.args
        if target.op == "↔":
            left, right = Op("→", (left, right)), Op("→", (right, left))
        g = goal.with_hyp(names[0], left, False).with_hyp(names[1], right, False)
        arms = [("intro", g.with_tag("intro"))]
    elif isinstance(target, Binder) and target.quant == "∃":
        g, witness = goal.intro_hyp("w", target.type, accessible=False)
        g = g.with_hyp("h", subst(target.body, {target.name: Var(witness)}), False)
        arms = [("intro", g.with_tag("intro"))]
    elif target == FALSE:
        arms = []
    else:
        raise fail(tac, f"Tactic `cases` failed: cannot split\n  {show(type_)}")
    return _with_alts(runner, tac, arms)


@on_main("induction")
def _induction(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    term = tac.terms[0]
    if not (isinstance(term, SIdent) and (hyp := goal.lookup(term.name)) and hyp.type == NAT):
        raise fail(tac, "the stand-in REPL supports `induction` on a natural-number variable only")
    return _with_alts(runner, tac, _nat_cases(goal, term.name, induction=True))


def _nat_cases(goal: Goal, name: str, induction: bool) -> list[tuple[str, Goal]]:
    """zero/succ cases; hypotheses mentioning the variable are generalized (Lean reverts them)."""
    dependent = [
        h for h in goal.hyps if h.accessible and h.name != name and name in free_vars(h.type)
    ]
    base = goal.without(name)
    for h in dependent:
        base = base.without(h.name)
    motive = goal.target
    for h in reversed(dependent):
        motive = Op("→", (h.type, motive))

    def instance(g: Goal, value: Expr) -> Goal:
        restored = tuple(Hyp(h.name, subst(h.type, {name: value})) for h in dependent)
        return Goal((*g.hyps, *restored), subst(goal.target, {name: value}), g.tag)

    zero = instance(base, Num(0)).with_tag("zero")
    succ, pred_name = base.intro_hyp("n", NAT, accessible=False)
    pred = Var(pred_name)
    if induction:
        succ = succ.with_hyp("a", subst(motive, {name: pred}), False)
    succ = instance(succ, Op("+", (pred, Num(1)))).with_tag("succ")
    return [("zero", zero), ("succ", succ)]


def _with_alts(runner: Runner, tac: Tactic, arms: list[tuple[str, Goal]]) -> list[Goal]:
    if not tac.alts:
        return [g for _, g in arms]
    by_ctor = {alt.ctor: alt for alt in tac.alts}
    for alt in tac.alts:
        if alt.ctor not in {ctor for ctor, _ in arms}:
            raise fail(tac, f"Invalid alternative name `{alt.ctor}`")
    leftover: list[Goal] = []
    for ctor, g in arms:
        alt: Alt | None = by_ctor.get(ctor)
        if alt is None:
            leftover.append(g)
            continue
        named = rename_inaccessible(g, alt.names).with_tag("")
        runner.recover(alt.block, named, tac.start, tac.end)
    return leftover


# ---------------------------------------------------------------- subst


def subst_goal(goal: Goal, name: str, err: Callable[[str], TacticError]) -> Goal:
    hyp = goal.lookup(name)
    if hyp is None:
        raise err(f"Unknown identifier `{name}`")
    if hyp.type in (NAT,):
        for h in reversed(goal.hyps):
            t = h.type
            if isinstance(t, Op) and t.op == "=" and Var(name) in t.args:
                return subst_goal(goal, h.name, err)
        raise err(f"Tactic `subst` failed: did not find equation for eliminating '{name}'")
    t = hyp.type
    if isinstance(t, Op) and t.op == "=":
        lhs, rhs = t.args
        for var, value in ((rhs, lhs), (lhs, rhs)):
            if isinstance(var, Var) and var.name not in free_vars(value) and goal.lookup(var.name):
                return goal.without(name).substitute(var.name, value)
    raise err(
        "Tactic `subst` failed: invalid equality proof, it is not of the form (x = t) or "
        f"(t = x)\n  {name} : {show(t)}"
    )


@on_main("subst")
def _subst(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    for name in tac.names:
        goal = subst_goal(goal, name, lambda text: fail(tac, text))
    return [goal]
