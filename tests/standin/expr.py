"""The logic's terms: propositions and ℕ/ℤ expressions, with substitution and a defeq check."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

RELATIONS = frozenset({"=", "≠", "<", "≤", ">", "≥", "∣"})
ARITH = frozenset({"+", "-", "*", "/", "%", "^"})
CONNECTIVES = frozenset({"∧", "∨", "→", "↔"})


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class MVar:
    """A hole to be filled by unification (implicit arguments, `apply`)."""

    name: str


@dataclass(frozen=True)
class Num:
    value: int


@dataclass(frozen=True)
class Const:
    """True, False, Prop, Type, Nat, Int, Bool, or a declared constant."""

    name: str


@dataclass(frozen=True)
class Op:
    """A connective, relation or arithmetic operator; `¬` and `neg` take one argument."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Binder:
    quant: str  # "∀" or "∃"
    name: str
    type: Expr
    body: Expr


@dataclass(frozen=True)
class App:
    fn: Expr
    args: tuple[Expr, ...]


Expr = Var | MVar | Num | Const | Op | Binder | App

TRUE = Const("True")
FALSE = Const("False")
PROP = Const("Prop")
NAT = Const("Nat")
INT = Const("Int")
TYPE = Const("Type")
NUMERIC_TYPES = (NAT, INT)


def op(name: str, *args: Expr) -> Op:
    return Op(name, args)


def neg(p: Expr) -> Op:
    return Op("¬", (p,))


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Op):
        return e.args
    if isinstance(e, Binder):
        return (e.type, e.body)
    if isinstance(e, App):
        return (e.fn, *e.args)
    return ()


def subterms(e: Expr) -> Iterator[Expr]:
    yield e
    for child in children(e):
        yield from subterms(child)


def free_vars(e: Expr) -> set[str]:
    if isinstance(e, Var):
        return {e.name}
    if isinstance(e, Binder):
        return free_vars(e.type) | (free_vars(e.body) - {e.name})
    result: set[str] = set()
    for child in children(e):
        result |= free_vars(child)
    return result


def mvars(e: Expr) -> set[str]:
    return {s.name for s in subterms(e) if isinstance(s, MVar)}


def is_closed(e: Expr) -> bool:
    return not free_vars(e) and not mvars(e)


_fresh_counter = itertools.count()


def fresh_name(base: str, avoid: set[str]) -> str:
    if base not in avoid:
        return base
    for i in itertools.count(1):
        candidate = f"{base}_{i}"
        if candidate not in avoid:
            return candidate
    raise AssertionError("unreachable")


def fresh_mvar(hint: str) -> MVar:
    return MVar(f"{hint}.{next(_fresh_counter)}")


def subst(e: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """Capture-avoiding substitution of free variables."""
    if not mapping:
        return e
    if isinstance(e, Var):
        return mapping.get(e.name, e)
    if isinstance(e, Binder):
        inner = {k: v for k, v in mapping.items() if k != e.name}
        new_type = subst(e.type, mapping)
        if not inner:
            return Binder(e.quant, e.name, new_type, e.body)
        incoming: set[str] = set()
        for value in inner.values():
            incoming |= free_vars(value)
        name = e.name
        body = e.body
        if name in incoming:
            name = fresh_name(name, incoming | free_vars(body))
            body = subst(body, {e.name: Var(name)})
        return Binder(e.quant, name, new_type, subst(body, inner))
    return map_children(e, lambda c: subst(c, mapping))


def instantiate(e: Expr, assignment: Mapping[str, Expr]) -> Expr:
    """Replace assigned metavariables (following chains)."""
    if not assignment:
        return e
    if isinstance(e, MVar):
        value = assignment.get(e.name)
        return e if value is None else instantiate(value, assignment)
    return map_children(e, lambda c: instantiate(c, assignment))


def map_children(e: Expr, f: Callable[[Expr], Expr]) -> Expr:
    if isinstance(e, Op):
        return Op(e.op, tuple(f(a) for a in e.args))
    if isinstance(e, Binder):
        return Binder(e.quant, e.name, f(e.type), f(e.body))
    if isinstance(e, App):
        return App(f(e.fn), tuple(f(a) for a in e.args))
    return e


def replace(e: Expr, old: Expr, new: Expr) -> Expr:
    """Replace every occurrence of `old` (a term without bound-variable clashes) by `new`."""
    if e == old:
        return new
    if isinstance(e, Binder) and e.name in free_vars(old):
        return Binder(e.quant, e.name, replace(e.type, old, new), e.body)
    return map_children(e, lambda c: replace(c, old, new))


# ---------------------------------------------------------------- evaluation


def eval_closed(e: Expr, integer: bool = False) -> int | None:
    """Value of a closed arithmetic term; ℕ semantics (truncated `-`, x/0 = 0) unless `integer`."""
    if isinstance(e, Num):
        return e.value
    if not isinstance(e, Op):
        return None
    if e.op == "neg":
        inner = eval_closed(e.args[0], integer)
        return None if inner is None or not integer else -inner
    if e.op not in ARITH:
        return None
    a = eval_closed(e.args[0], integer)
    b = eval_closed(e.args[1], integer)
    if a is None or b is None:
        return None
    return arith(e.op, a, b, integer)


def arith(name: str, a: int, b: int, integer: bool) -> int | None:
    if name == "+":
        return a + b
    if name == "-":
        return a - b if integer else max(a - b, 0)
    if name == "*":
        return a * b
    if name == "/":
        if b == 0:
            return 0
        # ℕ: floor division; ℤ: Lean's `/` is Euclidean division
        return a // b if b > 0 else -(a // -b)
    if name == "%":
        return a if b == 0 else a - b * (arith("/", a, b, integer) or 0)
    if name == "^":
        if b < 0 or b > 4096 or abs(a) > 1 << 64:
            return None
        return a**b
    raise ValueError(name)


def compare(rel: str, a: int, b: int) -> bool:
    return {
        "=": a == b,
        "≠": a != b,
        "<": a < b,
        "≤": a <= b,
        ">": a > b,
        "≥": a >= b,
        "∣": (b == 0) if a == 0 else b % a == 0,
    }[rel]


# ---------------------------------------------------------------- definitional equality


def unfold(e: Expr) -> Expr:
    """The reducible unfoldings Lean's defeq check sees through, applied everywhere."""
    e = map_children(e, unfold)
    if isinstance(e, Op):
        if e.op == "¬":
            return Op("→", (e.args[0], FALSE))
        if e.op == "≠":
            return Op("→", (Op("=", e.args), FALSE))
        if e.op == ">":
            return Op("<", (e.args[1], e.args[0]))
        if e.op == "≥":
            return Op("≤", (e.args[1], e.args[0]))
        if e.op in ARITH:
            value = eval_closed(e)
            # fold only where ℕ and ℤ agree: the type of a closed term is not known here
            if value is not None and value == eval_closed(e, integer=True):
                return Num(value)
            if e.op == "+" and e.args[1] == Num(0):
                return e.args[0]
    non_dependent = isinstance(e, Binder) and e.quant == "∀" and e.name not in free_vars(e.body)
    if non_dependent and e.type not in (NAT, INT, PROP, TYPE):
        return Op("→", (e.type, e.body))
    return e


def alpha_key(e: Expr, bound: tuple[str, ...] = ()) -> Expr:
    """Rename bound variables positionally so alpha-equivalent terms compare equal."""
    if isinstance(e, Var) and e.name in bound:
        return Var(f"#{len(bound) - 1 - bound[::-1].index(e.name)}")
    if isinstance(e, Binder):
        return Binder(
            e.quant,
            "",
            alpha_key(e.type, bound),
            alpha_key(e.body, (*bound, e.name)),
        )
    return map_children(e, lambda c: alpha_key(c, bound))


def defeq(a: Expr, b: Expr) -> bool:
    return a == b or alpha_key(unfold(a)) == alpha_key(unfold(b))


def is_prop_connective(e: Expr) -> bool:
    return isinstance(e, Op) and (e.op in CONNECTIVES or e.op == "¬" or e.op in RELATIONS)
