"""The layout of a Lean 4 proof body: tactic steps, their lines and their nesting.

Sketch masking, repair's sorrify and hole recombination all edit proof text at
the granularity of tactic steps. Lean 4 tactic blocks are layout-sensitive, so a
step is a line at the block's indentation together with every following line
indented further (its continuation and nested blocks). This is a layout reader,
not a Lean parser: it never needs to understand a tactic to find its extent.

Coordinates: lines are 0-based indices into `proof.splitlines()`; Lean's
positions (1-based lines, code-point columns) are converted with `locate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from prover.types import Position, Theorem

_BY_HEAD = re.compile(r"^\s*by\b")
_SORRY_TOKEN = re.compile(r"(?<![\w.'])sorry(?![\w.'])")


@dataclass
class Step:
    """One tactic step: lines `start..end` (inclusive) of the proof text."""

    start: int
    end: int
    indent: int
    head: str  # the first line, stripped
    children: list[Step] = field(default_factory=list)

    def contains(self, line: int) -> bool:
        return self.start <= line <= self.end

    def innermost(self, line: int) -> Step | None:
        """The deepest step (this one or a descendant) that covers `line`."""
        if not self.contains(line):
            return None
        for child in self.children:
            found = child.innermost(line)
            if found is not None:
                return found
        return self


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _group(lines: list[str], first: int, last: int) -> list[Step]:
    """Split lines first..last into steps at their minimum indentation."""
    rows = [i for i in range(first, last + 1) if lines[i].strip()]
    if not rows:
        return []
    base = min(indentation(lines[i]) for i in rows)
    heads = [i for i in rows if indentation(lines[i]) == base]
    steps: list[Step] = []
    for n, head in enumerate(heads):
        end = (heads[n + 1] - 1) if n + 1 < len(heads) else last
        while end > head and not lines[end].strip():
            end -= 1
        step = Step(start=head, end=end, indent=base, head=lines[head].strip())
        step.children = _group(lines, head + 1, end) if end > head else []
        steps.append(step)
    return steps


def top_level_assign(text: str) -> int | None:
    """Offset of the first `:=` outside brackets in `text` (None if there is none)."""
    depth = 0
    for index, char in enumerate(text):
        if char in "([{⟨":
            depth += 1
        elif char in ")]}⟩":
            depth -= 1
        elif depth == 0 and text.startswith(":=", index):
            return index
    return None


def parse_steps(proof: str) -> list[Step]:
    """The top-level steps of a proof body such as `by\\n  intro h\\n  exact h`.

    A body starting with `by tac` on its first line yields that line as a step too.
    Term-mode bodies yield a single step covering the whole text.
    """
    lines = proof.splitlines()
    if not lines:
        return []
    if _BY_HEAD.match(lines[0]) and lines[0].strip() == "by":
        return _group(lines, 1, len(lines) - 1)
    return _group(lines, 0, len(lines) - 1)


def walk(steps: list[Step]) -> list[Step]:
    """Every step, parents before children."""
    out: list[Step] = []
    for step in steps:
        out.append(step)
        out.extend(walk(step.children))
    return out


def replace_lines(proof: str, start: int, end: int, new_lines: list[str]) -> str:
    lines = proof.splitlines()
    return "\n".join([*lines[:start], *new_lines, *lines[end + 1 :]])


def body_offset(theorem: Theorem, proof: str) -> Position:
    """Where `proof` starts inside `theorem.with_proof(proof)` (1-based line, column)."""
    body = theorem.with_proof(proof)
    prefix = body[: len(body) - len(proof)]
    lines = prefix.split("\n")
    return Position(line=len(lines), column=len(lines[-1]))


def locate(theorem: Theorem, proof: str, pos: Position) -> tuple[int, int] | None:
    """Map a Lean position in the checked declaration to (line, column) in `proof`.

    Returns None for positions before the proof (i.e. inside the statement).
    """
    start = body_offset(theorem, proof)
    if pos.line < start.line or (pos.line == start.line and pos.column < start.column):
        return None
    line = pos.line - start.line
    column = pos.column - start.column if pos.line == start.line else pos.column
    return line, column


def sorry_spans(proof: str) -> list[tuple[int, int]]:
    """(line, column) of every `sorry` token in the proof, in order (comments not excluded)."""
    spans: list[tuple[int, int]] = []
    for number, line in enumerate(proof.splitlines()):
        spans.extend((number, match.start()) for match in _SORRY_TOKEN.finditer(line))
    return spans


def fill_sorry(proof: str, line: int, column: int, tactics: list[str]) -> str:
    """Replace the `sorry` at (line, column) with a tactic script proving its goal.

    One single-line tactic goes inline (`by sorry` -> `by omega`; a term `sorry`
    becomes `(by omega)`). Several tactics, or multi-line ones, are laid out on their
    own lines indented under the hole, so bullets and `case` blocks keep their
    meaning; only when text follows the hole on its line are several single-line
    tactics joined into one parenthesised sequence.
    """
    lines = proof.splitlines()
    text = lines[line]
    if not _SORRY_TOKEN.match(text, column):
        raise ValueError(f"no `sorry` at line {line}, column {column} of the proof")
    before, after = text[:column], text[column + len("sorry") :]
    in_term_lambda = bool(re.search(r"(\bfun\b|λ)[^=]*=>\s*$", before))
    in_tactic_block = not in_term_lambda and (
        bool(re.search(r"(\bby|[·;]|=>)\s*$", before)) or not before.strip()
    )
    single_lines = all("\n" not in t for t in tactics)
    if single_lines and (len(tactics) == 1 or after.strip()):
        script = tactics[0] if len(tactics) == 1 else "(" + "; ".join(tactics) + ")"
        replacement = script if in_tactic_block else f"(by {script})"
        lines[line] = before + replacement + after
        return "\n".join(lines)
    if after.strip():
        raise ValueError("cannot lay out a multi-line script before trailing text on that line")
    if not before.strip():
        block = [before + row for tactic in tactics for row in tactic.splitlines()]
        return "\n".join([*lines[:line], *block, *lines[line + 1 :]])
    # A nested block must sit right of the tactic that opens it (Lean's column check).
    indent = " " * (len(text) - len(text.lstrip(" ·")) + 2)
    block = [indent + row for tactic in tactics for row in tactic.splitlines()]
    opener = before.rstrip() if in_tactic_block else before + "by"
    return "\n".join([*lines[:line], opener, *block, *lines[line + 1 :]])
