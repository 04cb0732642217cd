"""A small simplifier (simp / norm_num stand-in) and the evaluator behind `decide`."""

from __future__ import annotations

from standin.expr import (
    ARITH,
    FALSE,
    RELATIONS,
    TRUE,
    Binder,
    Expr,
    Num,
    Op,
    compare,
    defeq,
    eval_closed,
    free_vars,
    fresh_mvar,
    instantiate,
    map_children,
    mentions_int,
    mvars,
    opaque_numeric,
    subst,
    subterms,
)
from standin.unify import unify

Rule = tuple[Expr, Expr]  # rewrite lhs -> rhs


def rules_from_fact(fact: Expr) -> list[Rule]:
    """How a hypothesis given to `simp [h]` rewrites: `a = b` left to right, `p` to True.

    Universally quantified facts become patterns (`∀ x, f x = x + 1` rewrites every `f _`).
    """
    if isinstance(fact, Binder) and fact.quant in ("∀", "∀i"):
        return rules_from_fact(subst(fact.body, {fact.name: fresh_mvar(fact.name)}))
    if isinstance(fact, Op) and fact.op == "=":
        return [(fact.args[0], fact.args[1])]
    if isinstance(fact, Op) and fact.op == "↔":
        return [(fact.args[0], fact.args[1])]
    if isinstance(fact, Op) and fact.op == "¬":
        return [(fact.args[0], FALSE)]
    if isinstance(fact, Op) and fact.op == "∧":
        return rules_from_fact(fact.args[0]) + rules_from_fact(fact.args[1])
    if isinstance(fact, Op) and fact.op == "≠":
        return [(Op("=", fact.args), FALSE)]
    return [(fact, TRUE)]


def simplify(e: Expr, rules: list[Rule], var_types: dict[str, Expr]) -> Expr:
    """Rewrite to a fixpoint (bounded), bottom-up. Rules that would loop (`x = x + 1`) are
    left out, where Lean's simp would run into its step limit."""
    rules = [(lhs, rhs) for lhs, rhs in rules if lhs not in subterms(rhs)]
    for _ in range(20):
        new = _step(e, rules, var_types)
        if new == e:
            return e
        e = new
    return e


def _step(e: Expr, rules: list[Rule], var_types: dict[str, Expr], domain: str = "nat") -> Expr:
    """One bottom-up pass. `domain` is how the enclosing relation's numbers are read:
    "nat", "int", or "opaque" (ℝ and friends: only ring identities, no evaluation)."""
    for lhs, rhs in rules:
        if lhs == rhs:
            continue
        if not mvars(lhs):
            if defeq(e, lhs):
                return rhs
            continue
        assignment: dict[str, Expr] = {}
        if type(lhs) is type(e) and unify(lhs, e, assignment):
            result = instantiate(rhs, assignment)
            if not mvars(result):
                return result
    if isinstance(e, Op) and e.op in RELATIONS:
        domain = _domain(e, var_types)
    elif not (isinstance(e, Op) and (e.op in ARITH or e.op == "neg")):
        domain = "nat"
    e = map_children(e, lambda c: _step(c, rules, var_types, domain))
    return _local(e, var_types, domain)


def _domain(e: Expr, var_types: dict[str, Expr]) -> str:
    if opaque_numeric(e, var_types):
        return "opaque"
    return "int" if _is_int(e, var_types) else "nat"


def _is_int(e: Expr, var_types: dict[str, Expr]) -> bool:
    return mentions_int(e, var_types)


def _local(e: Expr, var_types: dict[str, Expr], domain: str) -> Expr:
    if isinstance(e, Binder):
        if e.body in (TRUE, FALSE) and (e.quant == "∀" or e.body == FALSE):
            return e.body
        return e
    if not isinstance(e, Op):
        return e
    integer = domain == "int"
    if e.op in ARITH or e.op == "neg":
        if domain == "opaque":
            return _arith_identities(e)
        value = eval_closed(e, integer)
        if value is not None and (value >= 0 or integer):
            return Num(value)
        return _arith_identities(e)
    args = e.args
    if e.op in RELATIONS:
        if _domain(e, var_types) == "opaque":
            same = defeq(*e.args) if len(e.args) == 2 else False
            return TRUE if same and e.op in ("=", "≤", "≥") else e
        result = _relation(e, _is_int(e, var_types))
        if isinstance(result, Op) and result.op == "≠":  # simp normal form: `¬a = b`
            return Op("¬", (Op("=", result.args),))
        return result
    if e.op == "¬":
        (p,) = args
        if p in (TRUE, FALSE):
            return FALSE if p == TRUE else TRUE
        if isinstance(p, Op) and p.op == "¬":
            return p.args[0]
        return e
    a, b = args
    if e.op == "∧":
        if a in (TRUE, b):
            return b
        if b == TRUE:
            return a
        if FALSE in (a, b):
            return FALSE
    elif e.op == "∨":
        if a in (FALSE, b):
            return b
        if b == FALSE:
            return a
        if TRUE in (a, b):
            return TRUE
    elif e.op == "→":
        if a == TRUE:
            return b
        if a == FALSE or b == TRUE or defeq(a, b):
            return TRUE
        if b == FALSE:
            return Op("¬", (a,))
    elif e.op == "↔":
        if defeq(a, b):
            return TRUE
        if a == TRUE:
            return b
        if b == TRUE:
            return a
    return e


def _arith_identities(e: Op) -> Expr:
    if len(e.args) != 2:
        return e
    a, b = e.args
    zero, one = Num(0), Num(1)
    if e.op == "+":
        return b if a == zero else a if b == zero else e
    if e.op == "-":
        return a if b == zero else e
    if e.op == "*":
        if zero in (a, b):
            return zero
        return b if a == one else a if b == one else e
    if e.op == "^":
        return one if b == zero else a if b == one else e
    return e


def _relation(e: Op, integer: bool) -> Expr:
    a, b = e.args
    va, vb = eval_closed(a, integer), eval_closed(b, integer)
    if va is not None and vb is not None:
        return TRUE if compare(e.op, va, vb) else FALSE
    if defeq(a, b):
        return TRUE if e.op in ("=", "≤", "≥", "∣") else FALSE
    if not integer and e.op == "≤" and va == 0:
        return TRUE
    if not integer and e.op == "≥" and vb == 0:
        return TRUE
    if not integer and ((e.op == "<" and vb == 0) or (e.op == ">" and va == 0)):
        return FALSE
    return _cancel_literals(e, integer)


def _cancel_literals(e: Op, integer: bool) -> Expr:
    """`x + 2 = 5` ↦ `x = 3` (Lean's simp arith simprocs do the same on literals)."""
    a, b = e.args
    if not (isinstance(a, Op) and a.op == "+" and isinstance(a.args[1], Num)):
        return e
    vb = eval_closed(b, integer)
    if vb is None:
        return e
    k = a.args[1].value
    if vb < k and not integer:
        falsity = {"=": FALSE, "≤": FALSE, "<": FALSE, "≠": TRUE, ">": TRUE, "≥": TRUE}
        return falsity.get(e.op, e)
    return Op(e.op, (a.args[0], Num(vb - k)))


def decide(e: Expr, var_types: dict[str, Expr] | None = None) -> bool | None:
    """Truth value of a closed decidable proposition; None if it is not closed/decidable."""
    if free_vars(e):
        return None
    result = simplify(e, [], var_types or {})
    if result == TRUE:
        return True
    if result == FALSE:
        return False
    return None
