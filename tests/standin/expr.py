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
class Const:
    """True, False, Prop, Type, Nat, Int, Bool, or a declared constant."""

    name: str


NAT = Const("Nat")


@dataclass(frozen=True)
class Num:
    """A numeral; `type` is the number type it was elaborated at (ℕ unless context says so)."""

    value: int
    type: Const = NAT


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
INT = Const("Int")
TYPE = Const("Type")
REAL = Const("Real")
NUMERIC_TYPES = (NAT, INT)
# Number types the stand-in can name but not reason about: facts over them are left alone.
OPAQUE_NUMERIC_TYPES = (REAL, Const("Rat"), Const("Complex"))


def opaque_numeric(e: Expr, var_types: Mapping[str, Expr]) -> bool:
    """Whether `e` mentions a variable or a cast of a number type without decision procedure."""
    for s in subterms(e):
        if isinstance(s, Var) and var_types.get(s.name) in OPAQUE_NUMERIC_TYPES:
            return True
        if isinstance(s, Op) and s.op == "cast" and s.args[1] in OPAQUE_NUMERIC_TYPES:
            return True
        if isinstance(s, Num) and s.type in OPAQUE_NUMERIC_TYPES:
            return True
    return False


def mentions_int(e: Expr, var_types: Mapping[str, Expr]) -> bool:
    """Whether a term is read in ℤ: an integer variable, an integer numeral, or a negation."""
    for s in subterms(e):
        if isinstance(s, Var) and var_types.get(s.name) == INT:
            return True
        if (isinstance(s, Num) and s.type == INT) or (isinstance(s, Op) and s.op == "neg"):
            return True
    return False


def retype_numerals(e: Expr, type_: Const) -> Expr:
    """Give the ℕ numerals of an arithmetic term the number type its context fixed."""
    if isinstance(e, Num) and e.type == NAT:
        return Num(e.value, type_)
    if isinstance(e, Op) and (e.op in ARITH or e.op in RELATIONS or e.op == "neg"):
        return Op(e.op, tuple(retype_numerals(a, type_) for a in e.args))
    return e


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
        return None if e.type in OPAQUE_NUMERIC_TYPES else e.value
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
        if e.op in ARITH or e.op == "neg":
            numeral_types = {s.type for s in subterms(e) if isinstance(s, Num)}
            if len(numeral_types) == 1 and (kind := numeral_types.pop()) in (NAT, INT):
                value = eval_closed(e, integer=kind == INT)
                if value is not None:
                    return Num(value, kind)
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
