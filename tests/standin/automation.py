"""Automation: decide, omega, linarith, positivity, simp/norm_num, rw, exact?."""

from __future__ import annotations

import itertools

from standin import linear
from standin.builtins import BUILTINS, CLASSICAL, builtin_names
from standin.context import ElabError
from standin.elab import unfold_head
from standin.env import is_proof_type
from standin.expr import (
    ARITH,
    CONNECTIVES,
    FALSE,
    INT,
    NAT,
    RELATIONS,
    TRUE,
    Binder,
    Const,
    Expr,
    Num,
    Op,
    Var,
    defeq,
    fresh_mvar,
    instantiate,
    mvars,
    replace,
    subst,
    subterms,
)
from standin.goals import Goal, Hyp
from standin.pretty import show, show_goal
from standin.runner import Runner, TacticError, fail, on_main
from standin.simp import Rule, decide, rules_from_fact, simplify
from standin.tactic_syntax import Tactic
from standin.unify import unify

AUTOMATION_AXIOMS = frozenset({"propext"})


# ---------------------------------------------------------------- helpers shared with tactics.py


def find_hyp(goal: Goal, target: Expr) -> Hyp | None:
    for hyp in reversed(goal.hyps):
        if defeq(hyp.type, target):
            return hyp
    return None


def contradiction(goal: Goal) -> bool:
    types = [h.type for h in goal.hyps]
    for t in types:
        if t == FALSE or decide(t) is False:
            return True
        if isinstance(t, Op) and t.op == "≠" and defeq(t.args[0], t.args[1]):
            return True
        negated = unfold_head(t)
        is_negation = isinstance(negated, Op) and negated.op == "→" and negated.args[1] == FALSE
        if is_negation and any(defeq(negated.args[0], other) for other in types):
            return True
    return False


def discharge(goal: Goal) -> bool:
    """What `trivial` / `use`'s discharger can close: True, rfl, assumption, closed facts, ∧."""
    target = goal.target
    if target == TRUE or find_hyp(goal, target) is not None or decide(target) is True:
        return True
    if isinstance(target, Op) and target.op in ("=", "↔") and defeq(*target.args):
        return True
    if isinstance(target, Op) and target.op == "∧":
        return all(discharge(goal.with_target(side)) for side in target.args)
    return False


def decidable(prop: Expr) -> bool:
    """Whether Lean finds a `Decidable` instance without classical logic (arithmetic facts)."""
    if isinstance(prop, Const):
        return prop in (TRUE, FALSE)
    if isinstance(prop, Op):
        if prop.op in RELATIONS:
            return True
        if prop.op in CONNECTIVES or prop.op == "¬":
            return all(decidable(a) for a in prop.args)
    return False


def _facts(goal: Goal) -> list[Hyp]:
    """Hypotheses that are proofs (not variables such as `x : ℕ` or `p : Prop`)."""
    return [h for h in goal.hyps if is_proof_type(h.type)]


def _hyp_props(goal: Goal) -> list[Expr]:
    return [h.type for h in goal.hyps]


# ---------------------------------------------------------------- decide


@on_main("decide", "native_decide")
def _decide(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    target = goal.target
    if any(isinstance(s, Var) for s in subterms(target)) and decide(target) is None:
        raise fail(
            tac,
            f"Expected type must not contain free variables\n  {show(target)}\n\nHint: Use the "
            "`+revert` option to automatically clean up and revert free variables",
        )
    verdict = decide(target)
    if verdict is None:
        raise fail(tac, f"failed to synthesize\n  Decidable ({show(target)})")
    if not verdict:
        if tac.kind == "native_decide":
            raise fail(
                tac, f"native_decide evaluated that the proposition\n  {show(target)}\nis false"
            )
        raise fail(tac, f"Tactic `decide` proved that the proposition\n  {show(target)}\nis false")
    if tac.kind == "native_decide":
        runner.ctx.axioms.add("Lean.ofReduceBool")
    return []


# ---------------------------------------------------------------- omega / linarith


@on_main("omega")
def _omega(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    facts = _hyp_props(goal)
    target = goal.target if linear.Linearizer(goal.var_types(), False).dnf(goal.target) else FALSE
    if linear.prove(facts, target, goal.var_types(), split_truncation=True, split_hypotheses=True):
        runner.ctx.axioms |= AUTOMATION_AXIOMS
        return []
    used = linear.linear_facts(facts, goal.var_types())
    if not used and target == FALSE:
        raise fail(
            tac,
            "omega could not prove the goal:\nNo usable constraints found. You may need to unfold "
            "definitions so `omega` can see linear arithmetic facts about `Nat` and `Int`, which "
            "may also involve multiplication, division, and modular remainder by constants.",
        )
    negated = [] if target == FALSE else [Op("¬", (target,))]
    constraints = "\n".join(f"  {show(f)}" for f in [*used, *negated])
    atoms = sorted({v for f in [*used, *negated] for v in _vars(f)})
    where = "\n".join(f" {a} := {a}" for a in atoms)
    raise fail(
        tac,
        "omega could not prove the goal:\na possible counterexample may satisfy the constraints\n"
        f"{constraints}\nwhere\n{where}",
    )


def _vars(e: Expr) -> set[str]:
    return {s.name for s in subterms(e) if isinstance(s, Var)}


@on_main("linarith", "nlinarith")
def _linarith(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    extra = [_rule_type(runner, goal, term) for _, term in tac.rules]
    facts = ([] if tac.arg == "only" else _hyp_props(goal)) + extra
    target = goal.target
    comparison = isinstance(target, Op) and target.op in ("<", "≤", "=", "≥", ">")
    goals = [target] if comparison else [FALSE]
    if comparison and target.op == "=":
        goals = [Op("≤", target.args), Op("≥", target.args)]
    ok = all(
        linear.prove(
            facts,
            g,
            goal.var_types(),
            split_truncation=False,
            split_hypotheses=False,
            products=tac.kind == "nlinarith",
        )
        for g in goals
    )
    if ok:
        runner.ctx.axioms |= CLASSICAL
        return []
    shown = goal
    if comparison:
        shown = goal.with_hyp("a", Op("¬", (target,)), accessible=False)
    shown = shown.with_target(FALSE)
    raise fail(tac, "linarith failed to find a contradiction\n" + show_goal(shown) + "\nfailed")


def _rule_type(runner: Runner, goal: Goal, term: object) -> Expr:
    try:
        return runner.elab.infer(term, goal)  # type: ignore[arg-type]
    except ElabError as exc:
        raise TacticError(exc.text, exc.start, exc.end) from exc


# ---------------------------------------------------------------- positivity


@on_main("positivity")
def _positivity(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    claim = _positivity_claim(goal.target)
    if claim is None:
        raise fail(tac, "not a positivity goal")
    expr, strict = claim
    if _sign(expr, goal) >= (2 if strict else 1):
        runner.ctx.axioms |= AUTOMATION_AXIOMS
        return []
    raise fail(tac, "failed to prove positivity")


def _positivity_claim(target: Expr) -> tuple[Expr, bool] | None:
    """`0 < e`, `0 ≤ e`, `e ≠ 0` (and the flipped spellings) -> (e, strict?)."""
    if not isinstance(target, Op) or len(target.args) != 2:
        return None
    a, b = target.args
    zero = Num(0)
    if target.op in ("<", "≤") and a == zero:
        return b, target.op == "<"
    if target.op in (">", "≥") and b == zero:
        return a, target.op == ">"
    if target.op == "≠" and b == zero:
        return a, True
    return None


def _sign(e: Expr, goal: Goal) -> int:
    """2: provably positive, 1: provably nonnegative, 0: unknown (hypotheses `0 < x` count)."""
    if isinstance(e, Num):
        return 2 if e.value > 0 else 1
    types = goal.var_types()
    if any(_positivity_claim(h.type) == (e, True) for h in goal.hyps):
        return 2
    if isinstance(e, Var):
        return 1 if types.get(e.name, NAT) == NAT else 0
    if isinstance(e, Op) and e.op in ARITH:
        a, b = (_sign(x, goal) for x in e.args)
        if e.op == "+":
            return max(a, b) if min(a, b) >= 1 else 0
        if e.op == "*":
            return min(a, b)
        if e.op == "^":
            exponent = e.args[1]
            even = isinstance(exponent, Num) and exponent.value % 2 == 0
            return a if a or not even else 1
        if e.op in ("/", "%", "-"):
            return 1 if all(types.get(v, NAT) == NAT for v in _vars(e)) else 0
    return 0


# ---------------------------------------------------------------- simp / norm_num


def _simp_rules(runner: Runner, tac: Tactic, goal: Goal) -> list[Rule]:
    rules: list[Rule] = []
    for reverse, term in tac.rules:
        if getattr(term, "name", None) == "*":
            for hyp in _facts(goal):
                rules.extend(rules_from_fact(hyp.type))
            continue
        fact = _rule_type(runner, goal, term)
        for lhs, rhs in rules_from_fact(fact):
            rules.append((rhs, lhs) if reverse else (lhs, rhs))
    return rules


@on_main("simp", "norm_num", "simp_arith", "norm_num1", "simp_all", "dsimp")
def _simp(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    rules = _simp_rules(runner, tac, goal)
    types = goal.var_types()
    locations = tac.locs or ("⊢",)
    if tac.kind == "simp_all":
        locations = ("*",)
    if "*" in locations:
        locations = (*(h.name for h in _facts(goal)), "⊢")
    progress = False
    for loc in locations:
        if loc == "⊢":
            continue
        hyp = goal.lookup(loc)
        if hyp is None:
            raise fail(tac, f"Unknown hypothesis `{loc}`")
        hyp_rules = rules
        if tac.kind == "simp_all":
            hyp_rules = rules + [
                r for h in goal.hyps if h is not hyp for r in rules_from_fact(h.type)
            ]
        new = simplify(hyp.type, hyp_rules, types)
        if new != hyp.type:
            progress = True
            if new == FALSE:
                runner.ctx.axioms |= AUTOMATION_AXIOMS
                return []
            goal = goal.without(loc) if new == TRUE else goal.replace_hyp(loc, new)
    if "⊢" in locations:
        if tac.kind == "simp_all":
            rules = rules + [r for h in _facts(goal) for r in rules_from_fact(h.type)]
        new = simplify(goal.target, rules, types)
        if new != goal.target:
            progress = True
            goal = goal.with_target(new)
        if goal.target == TRUE:
            runner.ctx.axioms |= AUTOMATION_AXIOMS
            return []
    if not progress:
        kind = "norm_num" if tac.kind.startswith("norm_num") else "simp"
        raise fail(
            tac, "simp made no progress" if kind == "simp" else "norm_num failed to simplify"
        )
    runner.ctx.axioms |= AUTOMATION_AXIOMS
    return [goal]  # as Lean's: no `assumption` afterwards (hypotheses only as `[h]`/`[*]`)


@on_main("simpa")
def _simpa(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    rules = _simp_rules(runner, tac, goal)
    types = goal.var_types()
    target = simplify(goal.target, rules, types)
    runner.ctx.axioms |= AUTOMATION_AXIOMS
    if target == TRUE:
        return []
    if tac.terms:
        try:
            fact = runner.elab.infer(tac.terms[0], goal)
        except ElabError as exc:
            runner.ctx.log_error(exc)
            runner.ctx.admit()
            return []
        fact = simplify(fact, rules, types)
        if fact == FALSE or defeq(fact, target):
            return []
        raise fail(
            tac,
            f"type mismatch\n  h\nhas type\n  {show(fact)} : Prop\nbut is expected to have type\n"
            f"  {show(target)} : Prop",
        )
    simplified = goal.with_target(target)
    for hyp in goal.hyps:
        if defeq(simplify(hyp.type, rules, types), target):
            return []
    raise fail(tac, "unsolved goals\n" + show_goal(simplified))


# ---------------------------------------------------------------- rw


@on_main("rw", "rewrite", "rwa")
def _rewrite(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    for reverse, term in tac.rules:
        lhs, rhs, axioms = _equation(runner, goal, term)
        if reverse:
            lhs, rhs = rhs, lhs
        for loc in tac.locs or ("⊢",):
            if loc == "⊢":
                new = _rewrite_expr(goal.target, lhs, rhs)
                if new is None:
                    raise fail(tac, _no_instance(lhs, goal))
                goal = goal.with_target(new)
            else:
                hyp = goal.lookup(loc)
                if hyp is None:
                    raise fail(tac, f"Unknown hypothesis `{loc}`")
                new = _rewrite_expr(hyp.type, lhs, rhs)
                if new is None:
                    raise fail(
                        tac,
                        _no_instance(lhs, goal).replace(
                            "target expression", "type of hypothesis", 1
                        ),
                    )
                goal = goal.replace_hyp(loc, new)
        runner.ctx.axioms |= axioms
    if _closes_by_rfl(goal.target):
        return []
    if tac.kind == "rwa":
        if find_hyp(goal, goal.target) is not None:
            return []
        raise fail(tac, "Tactic `assumption` failed\n\n" + show_goal(goal))
    return [goal]


def _closes_by_rfl(target: Expr) -> bool:
    if isinstance(target, Op) and target.op in ("=", "↔"):
        return defeq(target.args[0], target.args[1])
    return target == TRUE


def _no_instance(pattern: Expr, goal: Goal) -> str:
    return (
        "Tactic `rewrite` failed: Did not find an instance of the pattern in the target "
        f"expression\n  {show(pattern)}\n\n{show_goal(goal)}"
    )


def _equation(runner: Runner, goal: Goal, term: object) -> tuple[Expr, Expr, frozenset[str]]:
    fact = _rule_type(runner, goal, term)
    while True:
        fact = unfold_head(fact) if isinstance(fact, Op) and fact.op in ("¬",) else fact
        if isinstance(fact, Binder) and fact.quant in ("∀", "∀i"):
            fact = subst(fact.body, {fact.name: fresh_mvar(fact.name)})
            continue
        break
    if isinstance(fact, Op) and fact.op == "=":
        return fact.args[0], fact.args[1], frozenset()
    if isinstance(fact, Op) and fact.op == "↔":
        return fact.args[0], fact.args[1], AUTOMATION_AXIOMS
    return fact, TRUE, AUTOMATION_AXIOMS


def _rewrite_expr(e: Expr, lhs: Expr, rhs: Expr) -> Expr | None:
    for sub in subterms(e):
        assignment: dict[str, Expr] = {}
        if isinstance(sub, Binder):
            continue
        if sub == lhs or (mvars(lhs) and _matches(lhs, sub, assignment)):
            instance = instantiate(lhs, assignment)
            if mvars(instance):
                continue
            return replace(e, instance, instantiate(rhs, assignment))
    return None


def _matches(pattern: Expr, term: Expr, assignment: dict[str, Expr]) -> bool:
    return type(pattern) is type(term) and unify(pattern, term, assignment)


# ---------------------------------------------------------------- ring

Polynomial = dict[tuple[str, ...], int]  # sorted atom names -> coefficient


@on_main("ring")
def _ring(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    target = goal.target
    if isinstance(target, Op) and target.op == "=":
        integer = any(t == INT for t in goal.var_types().values())
        lhs, rhs = (_polynomial(side, integer) for side in target.args)
        if lhs == rhs:
            return []
    raise fail(tac, "ring failed, ring_nf subsidiary goal\n\n" + show_goal(goal))


def _polynomial(e: Expr, integer: bool) -> Polynomial:
    """Normal form as a polynomial; anything else (ℕ `-`, `/`, `%`) is an opaque atom."""
    if isinstance(e, Num):
        return {(): e.value} if e.value else {}
    if (isinstance(e, Op) and e.op in ("+", "*")) or (
        isinstance(e, Op) and e.op == "-" and integer
    ):
        a, b = (_polynomial(x, integer) for x in e.args)
        if e.op == "+":
            return _poly_add(a, b, 1)
        if e.op == "-":
            return _poly_add(a, b, -1)
        return _poly_mul(a, b)
    if isinstance(e, Op) and e.op == "neg":
        return _poly_add({}, _polynomial(e.args[0], integer), -1)
    if isinstance(e, Op) and e.op == "^" and isinstance(e.args[1], Num) and e.args[1].value <= 64:
        result: Polynomial = {(): 1}
        base = _polynomial(e.args[0], integer)
        for _ in range(e.args[1].value):
            result = _poly_mul(result, base)
        return result
    return {(show(e),): 1}


def _poly_add(a: Polynomial, b: Polynomial, sign: int) -> Polynomial:
    result = dict(a)
    for monomial, coef in b.items():
        result[monomial] = result.get(monomial, 0) + sign * coef
    return {m: c for m, c in result.items() if c}


def _poly_mul(a: Polynomial, b: Polynomial) -> Polynomial:
    result: Polynomial = {}
    for (ma, ca), (mb, cb) in itertools.product(a.items(), b.items()):
        monomial = tuple(sorted(ma + mb))
        result[monomial] = result.get(monomial, 0) + ca * cb
    return {m: c for m, c in result.items() if c}


# ---------------------------------------------------------------- exact?


@on_main("exact?")
def _exact_search(runner: Runner, tac: Tactic, goal: Goal) -> list[Goal]:
    suggestion = _search(runner, goal)
    if suggestion is None:
        raise fail(
            tac, "`exact?` could not close the goal. Try `apply?` to see partial suggestions."
        )
    runner.ctx.log("info", f"Try this:\n  [apply] exact {suggestion}", tac.start, tac.end)
    return []


def _search(runner: Runner, goal: Goal) -> str | None:
    hyp = find_hyp(goal, goal.target)
    if hyp is not None:
        return hyp.name
    target = goal.target
    if isinstance(target, Op) and target.op == "=" and defeq(*target.args):
        return "rfl"
    ctx = runner.ctx
    candidates = [*ctx.env.decls.values(), *(BUILTINS.get(n) for n in builtin_names())]
    for decl in candidates:
        if decl is None or decl.kind == "def":
            continue
        statement = decl.full_type()
        while isinstance(statement, Binder) and statement.quant in ("∀", "∀i"):
            statement = subst(statement.body, {statement.name: fresh_mvar(statement.name)})
        if unify(statement, target, {}):
            ctx.axioms |= decl.axioms
            return decl.name
    return None
