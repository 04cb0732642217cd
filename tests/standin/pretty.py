"""Lean-style printing of terms and goals (precedences, binder grouping, `ℕ` under Mathlib)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from standin.expr import App, Binder, Const, Expr, MVar, Num, Op, Var

if TYPE_CHECKING:
    from collections.abc import Iterator

    from standin.goals import Goal

MAX = 1024
# op -> (precedence, left argument precedence, right argument precedence)
_INFIX = {
    "↔": (20, 21, 21),
    "→": (25, 26, 25),
    "∨": (30, 31, 30),
    "∧": (35, 36, 35),
    "=": (50, 51, 51),
    "≠": (50, 51, 51),
    "<": (50, 51, 51),
    "≤": (50, 51, 51),
    ">": (50, 51, 51),
    "≥": (50, 51, 51),
    "∣": (50, 51, 51),
    "+": (65, 65, 66),
    "-": (65, 65, 66),
    "*": (70, 70, 71),
    "/": (70, 70, 71),
    "%": (70, 70, 71),
    "^": (75, 76, 75),
}

_mathlib_notation: ContextVar[bool] = ContextVar("mathlib_notation", default=False)
_TYPE_NAMES = {"Nat": "ℕ", "Int": "ℤ", "Real": "ℝ", "Rat": "ℚ", "Complex": "ℂ"}


@contextmanager
def notation(mathlib: bool) -> Iterator[None]:
    """Print `ℕ`/`ℤ` (Mathlib's notation) instead of `Nat`/`Int` inside this block."""
    token = _mathlib_notation.set(mathlib)
    try:
        yield
    finally:
        _mathlib_notation.reset(token)


def const_name(name: str) -> str:
    if _mathlib_notation.get():
        return _TYPE_NAMES.get(name, name)
    return name


def show(e: Expr) -> str:
    return _show(e, 0)


def _paren(text: str, prec: int, needed: int) -> str:
    return f"({text})" if prec < needed else text


def _show(e: Expr, needed: int) -> str:
    if isinstance(e, Var):
        return e.name
    if isinstance(e, MVar):
        return f"?{e.name.split('.')[0]}"
    if isinstance(e, Num):
        return str(e.value)
    if isinstance(e, Const):
        return const_name(e.name)
    if isinstance(e, App):
        parts = [_show(e.fn, MAX), *(_show(a, MAX + 1) for a in e.args)]
        return _paren(" ".join(parts), MAX, needed)
    if isinstance(e, Op):
        if e.op == "¬":
            return _paren("¬" + _show(e.args[0], 40), MAX, needed)
        if e.op == "cast":
            return _paren("↑" + _show(e.args[0], MAX), MAX, needed)
        if e.op == "neg":
            return _paren("-" + _show(e.args[0], 75), 75, needed)
        prec, left, right = _INFIX[e.op]
        text = f"{_show(e.args[0], left)} {e.op} {_show(e.args[1], right)}"
        return _paren(text, prec, needed)
    return _paren(_show_binder(e), 0, needed)


def _show_binder(e: Binder) -> str:
    names = [e.name]
    body: Expr = e.body
    while isinstance(body, Binder) and body.quant == e.quant and body.type == e.type:
        names.append(body.name)
        body = body.body
    if e.quant == "∃":
        return f"∃ {' '.join(names)}, {_show(body, 0)}"
    return f"∀ ({' '.join(names)} : {_show(e.type, 0)}), {_show(body, 0)}"


def show_goal(goal: Goal) -> str:
    lines = [f"case {goal.tag}"] if goal.tag else []
    group_names: list[str] = []
    group_type: Expr | None = None
    for hyp in goal.hyps:
        if group_names and hyp.type == group_type:
            group_names.append(hyp.name)
            continue
        if group_names and group_type is not None:
            lines.append(f"{' '.join(group_names)} : {show(group_type)}")
        group_names = [hyp.name]
        group_type = hyp.type
    if group_names and group_type is not None:
        lines.append(f"{' '.join(group_names)} : {show(group_type)}")
    lines.append(f"⊢ {show(goal.target)}")
    return "\n".join(lines)


def show_goals(goals: list[Goal] | tuple[Goal, ...]) -> str:
    return "\n\n".join(show_goal(g) for g in goals)
