"""Structural and basic logical tactics (intro, exact, apply, constructor, have, …)."""

from __future__ import annotations

from standin import automation, destruct
from standin.builtins import CLASSICAL
from standin.context import ElabError
from standin.elab import unfold_head
from standin.expr import (
    FALSE,
    TRUE,
    Binder,
    Expr,
    MVar,
    Op,
    Var,
    defeq,
    fresh_mvar,
    instantiate,
    mvars,
    subst,
)
from standin.goals import Goal
from standin.pretty import show, show_goal, show_goals
from standin.runner import Runner, TacticError, fail, on_goals, on_main
from standin.syntax import SIdent
from standin.tactic_syntax import RPat, Tactic
from standin.unify import unify

# ---------------------------------------------------------------- structure


@on_goals("focus", "bracket")
def _focus(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    if not goals:
        raise fail(tac, "No goals to be solved")
    start = tac.end - 1 if tac.kind == "bracket" else tac.start
    runner.recover(tac.blocks[0], goals[0], start, tac.end)
    return goals[1:]


@on_goals("paren")
def _paren(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    return runner.run_block(tac.blocks[0], goals)


@on_goals("case", "next")
def _case(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    names = tac.names
    index = 0
    if tac.kind == "case":
        tag, names = names[0], names[1:]
        matches = [i for i, g in enumerate(goals) if tag == "_" or _tag_matches(g.tag, tag)]
        if not matches:
            note = (
                "Note: There are no cases to select."
                if not goals
                else "Hint: Available tags: " + ", ".join(f"`{g.tag}`" for g in goals if g.tag)
            )
            raise fail(tac, f"Case tag `{tag}` not found.\n\n{note}")
        index = matches[0]
    elif not goals:
        raise fail(tac, "No goals to be solved")
    goal = destruct.rename_inaccessible(goals[index], names).with_tag("")
    runner.recover(tac.blocks[0], goal, tac.start, tac.end)
    return goals[:index] + goals[index + 1 :]


def _tag_matches(tag: str, wanted: str) -> bool:
    return tag == wanted or tag.endswith("." + wanted)


@on_goals("<;>")
def _then_all(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    first, second = tac.subs
    if not goals:
        raise fail(tac, "No goals to be solved")
    produced = runner.run(first, goals[:1])
    result: list[Goal] = []
    for goal in produced:
        result.extend(runner.run(second, [goal]))
    return result + goals[1:]


@on_goals("try")
def _try(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    snap = runner.ctx.snapshot()
    try:
        return runner.run_block(tac.blocks[0], goals)
    except TacticError:
        runner.ctx.restore(snap)
        return goals


@on_goals("first")
def _first(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    error: TacticError | None = None
    for block in tac.blocks:
        snap = runner.ctx.snapshot()
        try:
            return runner.run_block(block, goals)
        except TacticError as exc:
            runner.ctx.restore(snap)
            error = exc
    assert error is not None
    raise error


@on_goals("all_goals", "any_goals")
def _all_goals(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    result: list[Goal] = []
    failures: list[TacticError] = []
    for goal in goals:
        snap = runner.ctx.snapshot()
        try:
            result.extend(runner.run_block(tac.blocks[0], [goal]))
        except TacticError as exc:
            if tac.kind == "all_goals":
                raise
            runner.ctx.restore(snap)
            failures.append(exc)
            result.append(goal)
    if tac.kind == "any_goals" and goals and len(failures) == len(goals):
        raise failures[0]
    return result


@on_goals("repeat")
def _repeat(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    for _ in range(64):
        if not goals:
            break
        snap = runner.ctx.snapshot()
        try:
            new = runner.run_block(tac.blocks[0], goals)
        except TacticError:
            runner.ctx.restore(snap)
            break
        if new == goals:
            break
        goals = new
    return goals


@on_goals("skip")
def _skip(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    return goals


@on_goals("done")
def _done(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    if goals:
        raise fail(tac, "unsolved goals\n" + show_goals(goals))
    return goals


@on_main("sorry", "admit")
def _sorry(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    runner.ctx.record_sorry((goal,), tac.start, tac.end)
    return []


# ---------------------------------------------------------------- basic logic


@on_goals("intro", "intros", "rintro")
def _intro(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    if not goals:
        raise fail(tac, "No goals to be solved")
    current = [goals[0]]
    if tac.patterns:
        for pattern in tac.patterns:
            current = [g for goal in current for g in _intro_pattern(tac, goal, pattern)]
    elif tac.kind == "intros":
        while _introducible(current[0].target):
            current = [_intro_one(tac, current[0], None)]
    else:
        current = [_intro_one(tac, current[0], None)]
    return current + goals[1:]


def _intro_pattern(tac: Tactic, goal: Goal, pattern: RPat) -> list[Goal]:
    if pattern.kind == "name":
        return [_intro_one(tac, goal, pattern.name)]
    introduced = _intro_one(tac, goal, "_")
    hyp = introduced.hyps[-1]
    without = Goal(introduced.hyps[:-1], introduced.target, introduced.tag)
    return destruct.destructure(without, hyp.type, pattern, lambda text: fail(tac, text))


def _introducible(target: Expr) -> bool:
    target = unfold_head(target)
    return (isinstance(target, Op) and target.op == "→") or (
        isinstance(target, Binder) and target.quant in ("∀", "∀i")
    )


def _intro_one(tac: Tactic, goal: Goal, name: str | None) -> Goal:
    target = unfold_head(goal.target)
    accessible = name not in (None, "_")
    if isinstance(target, Op) and target.op == "→":
        return goal.with_hyp(name if accessible else "a", target.args[0], accessible).with_target(
            target.args[1]
        )
    if isinstance(target, Binder) and target.quant in ("∀", "∀i"):
        base = name if accessible and name else target.name
        goal, actual = goal.intro_hyp(base, target.type, accessible)
        renamed = unfold_head(goal.target)
        assert isinstance(renamed, Binder)
        return goal.with_target(subst(renamed.body, {renamed.name: Var(actual)}))
    raise fail(
        tac,
        "Tactic `introN` failed: There are no additional binders or `let` bindings in the goal "
        "to introduce\n\n" + show_goal(goal),
    )


@on_main("exact")
def _exact(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    runner.elab_check(tac, goal, goal.target)
    return []


@on_main("refine")
def _refine(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    holes: list[Goal] = []
    runner.elab.holes = holes
    try:
        runner.elab_check(tac, goal, goal.target)
    finally:
        runner.elab.holes = None
    return holes


@on_main("apply")
def _apply(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    term = tac.terms[0]
    try:
        fn_type = runner.elab.infer(term, goal)
    except ElabError as exc:
        if not exc.recoverable:
            raise TacticError(exc.text, exc.start, exc.end) from exc
        runner.ctx.log_error(exc)
        runner.ctx.admit()
        return []
    text = runner.elab.source_text(term)
    tags = _APPLY_TAGS.get(text, ())
    premises: list[Expr] = []
    holes: list[tuple[str, MVar]] = []
    current = fn_type
    while True:
        assignment: dict[str, Expr] = {}
        if unify(current, goal.target, assignment):
            break
        current = unfold_head(current)
        if isinstance(current, Binder) and current.quant in ("∀", "∀i"):
            hole = fresh_mvar(current.name)
            holes.append((current.name, hole))
            current = subst(current.body, {current.name: hole})
        elif isinstance(current, Op) and current.op == "→":
            premises.append(current.args[0])
            current = current.args[1]
        else:
            what = "conclusion" if premises or holes else "type"
            raise fail(
                tac,
                f"Tactic `apply` failed: could not unify the {what} of `{text}`\n  "
                f"{show(instantiate(current, {}))}\nwith the goal\n  {show(goal.target)}\n\n"
                + show_goal(goal),
            )
    new_goals: list[Goal] = []
    for i, premise in enumerate(premises):
        tag = tags[i] if i < len(tags) else goal.tag
        new_goals.append(goal.with_target(instantiate(premise, assignment)).with_tag(tag))
    if any(mvars(g.target) for g in new_goals):
        unassigned = ", ".join(name for name, hole in holes if hole.name not in assignment)
        raise fail(
            tac,
            f"the stand-in REPL cannot leave metavariables ({unassigned}) as goals; "
            "give these arguments explicitly",
        )
    return new_goals


_APPLY_TAGS = {
    "And.intro": ("left", "right"),
    "Iff.intro": ("mp", "mpr"),
    "Or.inl": ("h",),
    "Or.inr": ("h",),
}


@on_main("constructor")
def _constructor(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    target = goal.target
    if target == TRUE:
        return []
    if isinstance(target, Op) and target.op == "∧":
        left, right = target.args
        return [goal.with_target(left).with_tag("left"), goal.with_target(right).with_tag("right")]
    if isinstance(target, Op) and target.op == "↔":
        a, b = target.args
        return [
            goal.with_target(Op("→", (a, b))).with_tag("mp"),
            goal.with_target(Op("→", (b, a))).with_tag("mpr"),
        ]
    raise fail(
        tac,
        "Tactic `constructor` failed: target is not an inductive datatype\n\n" + show_goal(goal),
    )


@on_main("left", "right")
def _left_right(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    target = goal.target
    if isinstance(target, Op) and target.op == "∨":
        side = target.args[0] if tac.kind == "left" else target.args[1]
        return [goal.with_target(side).with_tag("h")]
    raise fail(
        tac,
        f"Tactic `{tac.kind}` failed: target is not an inductive datatype with two "
        f"constructors\n\n" + show_goal(goal),
    )


@on_main("use", "exists", "existsi")
def _use(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    current = goal
    for term in tac.terms:
        target = current.target
        if not (isinstance(target, Binder) and target.quant == "∃"):
            raise fail(tac, f"{tac.kind}: too many arguments\n\n" + show_goal(current))
        try:
            witness = runner.elab.to_expr(term, current)
        except ElabError as exc:
            raise TacticError(exc.text, exc.start, exc.end) from exc
        current = current.with_target(subst(target.body, {target.name: witness})).with_tag("h")
    if automation.discharge(current):
        return []
    return [current]


@on_main("exfalso")
def _exfalso(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    return [goal.with_target(FALSE)]


@on_main("assumption")
def _assumption(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    if automation.find_hyp(goal, goal.target) is not None:
        return []
    raise fail(tac, "Tactic `assumption` failed\n\n" + show_goal(goal))


@on_main("contradiction")
def _contradiction(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    if automation.contradiction(goal):
        return []
    raise fail(tac, "Tactic `contradiction` failed\n\n" + show_goal(goal))


@on_main("trivial")
def _trivial(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    if automation.discharge(goal):
        return []
    raise fail(tac, "Tactic `trivial` failed\n\n" + show_goal(goal))


@on_main("rfl")
def _rfl(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    target = goal.target
    if isinstance(target, Op) and target.op in ("=", "↔", "≤", "≥"):
        a, b = target.args
        if defeq(a, b):
            return []
        raise fail(
            tac,
            f"Tactic `rfl` failed: The left-hand side\n  {show(a)}\nis not definitionally equal "
            f"to the right-hand side\n  {show(b)}\n\n" + show_goal(goal),
        )
    raise fail(
        tac,
        "The rfl tactic failed. Possible reasons:\n- The goal is not a reflexive relation "
        "(neither `=` nor a relation with a @[refl] lemma).\n- The arguments of the relation are "
        "not equal.\nTry using the reflexivity lemma for your relation explicitly, e.g. `exact "
        "Eq.refl _` or\n`exact HEq.rfl` etc.\n\n" + show_goal(goal),
    )


@on_main("symm")
def _symm(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    target = goal.target
    if isinstance(target, Op) and target.op in ("=", "≠", "↔"):
        return [goal.with_target(Op(target.op, target.args[::-1]))]
    raise fail(tac, "symm failed, goal is not a symmetric relation\n\n" + show_goal(goal))


@on_main("have", "haveI")
def _have(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    name = tac.names[0] if tac.names else "this"
    if tac.type is not None:
        claim = runner.prop(tac, goal, allow_types=True)
        if not tac.terms:
            return [goal.with_target(claim), goal.with_hyp(name, claim)]
        body = tac.terms[0]
        try:
            runner.elab.check(body, claim, goal)
        except ElabError as exc:
            runner.ctx.log_error(exc)
            runner.ctx.admit()
    else:
        claim = runner.infer(tac, goal)
    return [goal.with_hyp(name, claim)]


@on_goals("show")
def _show(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
    if not goals:
        raise fail(tac, "No goals to be solved")
    claim = runner.prop(tac, goals[0])
    for i, goal in enumerate(goals):
        if unify(claim, goal.target, {}):
            return [goal.with_target(claim), *goals[:i], *goals[i + 1 :]]
    raise fail(
        tac,
        f"type mismatch\n  this\nhas type\n  {show(claim)} : Prop\nbut is expected to have "
        f"type\n  {show(goals[0].target)} : Prop",
    )


@on_main("specialize")
def _specialize(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    term = tac.terms[0]
    head = term.fn if hasattr(term, "fn") else term
    if not isinstance(head, SIdent) or goal.lookup(head.name) is None:
        raise fail(
            tac,
            "'specialize' requires a term of the form `h x_1 .. x_n` where `h` appears in the "
            "local context",
        )
    new_type = runner.infer(tac, goal)
    return [goal.replace_hyp(head.name, new_type)]


@on_main("clear")
def _clear(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    for name in tac.names:
        if goal.lookup(name) is None:
            raise fail(tac, f"Unknown hypothesis `{name}`")
        goal = goal.without(name)
    return [goal]


@on_main("by_cases")
def _by_cases(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    name = tac.names[0] if tac.names else "h"
    try:
        claim = runner.elab.prop(tac.terms[0], goal)
    except ElabError as exc:
        raise TacticError(exc.text, exc.start, exc.end) from exc
    if not automation.decidable(claim):
        runner.ctx.axioms |= CLASSICAL
    accessible = bool(tac.names)
    return [
        goal.with_hyp(name, claim, accessible).with_tag("pos"),
        goal.with_hyp(name, Op("¬", (claim,)), accessible).with_tag("neg"),
    ]


@on_main("by_contra")
def _by_contra(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    name = tac.names[0] if tac.names else "h"
    target = goal.target
    if isinstance(target, Op) and target.op == "¬":
        assumption = target.args[0]
    else:
        assumption = Op("¬", (target,))
        if not automation.decidable(target):
            runner.ctx.axioms |= CLASSICAL
    return [goal.with_hyp(name, assumption, bool(tac.names)).with_target(FALSE)]
