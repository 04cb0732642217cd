"""First-order unification with metavariables, modulo the unfoldings of `expr.unfold`."""

from __future__ import annotations

from standin.expr import (
    App,
    Binder,
    Expr,
    MVar,
    Op,
    Var,
    defeq,
    instantiate,
    subst,
    subterms,
    unfold,
)


def unify(a: Expr, b: Expr, assignment: dict[str, Expr]) -> bool:
    """Extend `assignment` so that `a` and `b` become definitionally equal; False if impossible."""
    snapshot = dict(assignment)
    if _unify(unfold(instantiate(a, assignment)), unfold(instantiate(b, assignment)), assignment):
        return True
    assignment.clear()
    assignment.update(snapshot)
    return False


def _unify(a: Expr, b: Expr, asg: dict[str, Expr]) -> bool:
    a = instantiate(a, asg)
    b = instantiate(b, asg)
    if a == b:
        return True
    if isinstance(a, MVar):
        return _assign(a, b, asg)
    if isinstance(b, MVar):
        return _assign(b, a, asg)
    if isinstance(a, Op) and isinstance(b, Op):
        if a.op != b.op or len(a.args) != len(b.args):
            return defeq(a, b)
        return all(_unify(x, y, asg) for x, y in zip(a.args, b.args, strict=True))
    if isinstance(a, App) and isinstance(b, App) and len(a.args) == len(b.args):
        return _unify(a.fn, b.fn, asg) and all(
            _unify(x, y, asg) for x, y in zip(a.args, b.args, strict=True)
        )
    if isinstance(a, Binder) and isinstance(b, Binder) and a.quant == b.quant:
        if not _unify(a.type, b.type, asg):
            return False
        shared = Var(f"#{a.name}")
        return _unify(subst(a.body, {a.name: shared}), subst(b.body, {b.name: shared}), asg)
    return defeq(a, b)


def _assign(m: MVar, value: Expr, asg: dict[str, Expr]) -> bool:
    if any(isinstance(s, MVar) and s.name == m.name for s in subterms(value)):
        return False
    asg[m.name] = value
    return True
