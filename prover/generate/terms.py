"""Read the outermost shape of a pretty-printed Lean proposition.

Not a Lean parser: a scan at bracket depth 0 that knows Lean 4's precedences for the
logical connectives (`↔` 20 < `→` 25 < `∨` 30 < `∧` 35 < `¬` 40 < relations 50) and
that a binder (`∀`, `∃`, `fun`) extends as far right as possible. That is enough to
choose between `constructor`, `intro`, `left` and friends. The printer puts spaces
around every binary operator, so operators are matched with their spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Shape(StrEnum):
    IFF = "iff"
    IMPLIES = "implies"
    OR = "or"
    AND = "and"
    NOT = "not"
    FORALL = "forall"
    EXISTS = "exists"
    RELATION = "relation"
    TRUE = "true"
    FALSE = "false"
    ATOM = "atom"


@dataclass(frozen=True)
class Term:
    """`parts` are the operands (binders: the body; `¬`: the negated proposition).

    For binders, `binders` lists the bound names and `bounded` says whether the binder
    also introduces a hypothesis (`∀ x ∈ s, …`, `∀ ε > 0, …`, `∃ x ∈ s, …`).
    """

    shape: Shape
    parts: tuple[str, ...] = ()
    operator: str | None = None
    binders: tuple[str, ...] = ()
    bounded: bool = False


_CONNECTIVES = ((" ↔ ", Shape.IFF), (" → ", Shape.IMPLIES), (" ∨ ", Shape.OR), (" ∧ ", Shape.AND))
RELATIONS = (" = ", " ≠ ", " ≤ ", " < ", " ≥ ", " > ", " ∣ ", " ∈ ", " ∉ ", " ⊆ ", " ≡ ")
_OPERATORS = (*(token for token, _ in _CONNECTIVES), *RELATIONS)
_BINDER_CHARS = "∀∃λ"
_BIG_OPERATORS = "∑∏⋃⋂⨆⨅"
_OPEN, _CLOSE = "([{⟨⦃", ")]}⟩⦄"
_IDENT = re.compile(r"[^\s()\[\]{}⟨⟩⦃⦄,:]+")
_BOUND_OPS = ("∈", "∉", "⊆", ">", "<", "≥", "≤", "≠")


def analyse(expr: str) -> Term:
    text = strip_parens(expr.strip())
    if text == "True":
        return Term(Shape.TRUE)
    if text == "False":
        return Term(Shape.FALSE)
    binder = _leading_binder(text)
    if binder is not None:
        return binder
    ops = top_level_operators(text)
    for token, shape in _CONNECTIVES:
        first = next((i for i, op in ops if op == token), None)
        if first is not None:
            left, right = text[:first].strip(), text[first + len(token) :].strip()
            return Term(shape, (left, right), token.strip())
    if text.startswith("¬"):
        return Term(Shape.NOT, (strip_parens(text[1:].strip()),), "¬")
    relation = next(((i, op) for i, op in ops if op in RELATIONS), None)
    if relation is not None:
        i, op = relation
        return Term(Shape.RELATION, (text[:i].strip(), text[i + len(op) :].strip()), op.strip())
    return Term(Shape.ATOM, (text,))


def strip_parens(text: str) -> str:
    """Remove brackets that enclose the whole expression: `((p ∧ q))` → `p ∧ q`."""
    while text.startswith("(") and _matching_close(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def top_level_operators(text: str) -> list[tuple[int, str]]:
    """(index, operator-with-spaces) at bracket depth 0, up to the first binder."""
    found: list[tuple[int, str]] = []
    depth = 0
    in_big_operator_binder = False  # `∑ x ∈ s, body`: the `∈` belongs to the binder
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in _BINDER_CHARS or text.startswith(" fun ", i)):
            break  # a binder's body runs to the end: its operators are not ours
        elif depth == 0 and ch in _BIG_OPERATORS:
            in_big_operator_binder = True
        elif depth == 0 and ch == ",":
            in_big_operator_binder = False
        elif depth == 0 and ch == " " and not in_big_operator_binder:
            token = next((t for t in _OPERATORS if text.startswith(t, i)), None)
            if token is not None:
                found.append((i, token))
    return found


def _matching_close(text: str) -> int | None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return None


def _leading_binder(text: str) -> Term | None:
    if text.startswith("∃!"):
        return None  # unique existence has no single introduction move
    if text.startswith("∀"):
        shape = Shape.FORALL
    elif text.startswith("∃"):
        shape = Shape.EXISTS
    else:
        return None
    rest = text[1:]
    if not rest[:1] or rest[0] not in " ([{⦃":  # `∀ᶠ`, `∃ᶠ`: filters, not plain binders
        return None
    comma = _top_level_comma(rest)
    if comma is None:
        return None
    names, bounded = binder_names(rest[:comma])
    return Term(shape, (rest[comma + 1 :].strip(),), text[0], names, bounded)


def _top_level_comma(text: str) -> int | None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "," and depth == 0:
            return i
    return None


def binder_names(binder: str) -> tuple[tuple[str, ...], bool]:
    """Names bound by a binder list such as `(x y : ℝ) {n : ℕ}`, `x y`, or `ε > 0`.

    Returns the names and whether a bounded-quantifier hypothesis comes with them.
    """
    names: list[str] = []
    bounded = False
    for bracketed, inner in _segments(binder):
        head, typed, _ = inner.partition(" : ")
        if bracketed:
            if typed:  # `[Foo α]` binds an anonymous instance: nothing to name
                names.extend(_IDENT.findall(head))
            continue
        words = head.split()
        cut = next((k for k, word in enumerate(words) if word in _BOUND_OPS), None)
        if cut is not None:
            words, bounded = words[:cut], True
        names.extend(word for word in words if _IDENT.fullmatch(word))
    return tuple(dict.fromkeys(names)), bounded


def _segments(text: str) -> list[tuple[bool, str]]:
    """Split a binder list into bracketed groups and the plain text between them."""
    segments: list[tuple[bool, str]] = []
    depth, start, plain = 0, 0, ""
    for i, ch in enumerate(text):
        if ch in _OPEN:
            if depth == 0:
                if plain.strip():
                    segments.append((False, plain.strip()))
                plain, start = "", i + 1
            depth += 1
        elif ch in _CLOSE and depth > 0:
            depth -= 1
            if depth == 0:
                segments.append((True, text[start:i].strip()))
        elif depth == 0:
            plain += ch
    if plain.strip():
        segments.append((False, plain.strip()))
    return segments
