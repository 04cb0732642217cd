"""Rewrite the big-operator binder `∑ x in s, f x` (removed from Mathlib) to `∑ x ∈ s, f x`.

DeepSeek-Prover-V1.5's miniF2F and ProofNet statements were written for a 2024
Mathlib that still accepted `∑ x in s, f` and `∏ x in s, f`; Mathlib deprecated
that spelling for `∑ x ∈ s, f` and later removed it, so on the pinned Mathlib those
statements do not parse. The rewrite is the one Mathlib's own deprecated macro
performed: `∑ x in s, r` ↦ `∑ x ∈ s, r`, and the typed binder
`∑ x : T in s, r` ↦ `∑ x ∈ (s : Finset T), r`, which keeps the binder's type (a
bare `∑ x ∈ Finset.Icc 1 12` would elaborate over ℕ where `x : ℤ` was written).
"""

from __future__ import annotations

import re

# `∑ x in `, `∏ k : ℤ in `, `∑ k:ℤ in `: the operator, one identifier, an optional type.
_HEAD = re.compile(
    r"(?P<op>[∑∏])\s*(?P<var>[^\s:,()\[\]{}⟨⟩]+)\s*(?::\s*(?P<type>[^,]+?)\s*)?\s+in\s+"
)
_OPEN = "([{⟨"
_CLOSE = ")]}⟩"


def _set_end(text: str, start: int) -> int | None:
    """Index of the `,` that ends the set term starting at `start` (outside brackets)."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth < 0:
                return None
        elif char == "," and depth == 0:
            return index
    return None


def rewrite_big_operators(text: str) -> tuple[str, int]:
    """`text` with every `∑/∏ x in s,` binder in Mathlib's current spelling; how many."""
    pieces: list[str] = []
    position = 0
    count = 0
    while (match := _HEAD.search(text, position)) is not None:
        end = _set_end(text, match.end())
        if end is None:  # not a binder we can read: leave the rest as it is
            break
        finset = text[match.end() : end].strip()
        if match.group("type"):
            finset = f"({finset} : Finset {match.group('type').strip()})"
        pieces.append(text[position : match.start()])
        pieces.append(f"{match.group('op')} {match.group('var')} ∈ {finset}")
        position = end
        count += 1
    pieces.append(text[position:])
    return "".join(pieces), count
