"""The structured sketch: a Lean proof skeleton as a tree of tactic steps.

A sketch is what the sketcher model wrote, read by layout (`prover.proof_text`): each
step is a line at its block's indentation with its continuation lines; a step whose
first line opens a tactic block (it ends in `by` or `=>`, or it is a `·` bullet) holds
that block as nested steps. Masking edits this tree, never the text; `render` lays it
out again as a proof body, and `placements` says which lines each step occupies, so
Lean's error positions map back to steps.

Holes: a `have` proved by `sorry` is a hole. DSP+'s placeholder `prove_with [h₁, h₂]`
is accepted too: it is read as `sorry`, and the hypotheses it names are kept as the
step's `hints`.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace
from functools import cached_property

from prover.lean_text import TheoremTextError, declaration_from_text
from prover.proof_text import Step, indentation, parse_steps

HOLE = "sorry"
BLOCK_INDENT = "  "  # top-level steps sit this far right, and a nested block this far
# right of the step that opens it
Path = tuple[int, ...]  # indices from the top-level steps down to a nested step

_PROVE_WITH = re.compile(r"(?<![\w.'])prove_with(?![\w.'])(?:[ \t]*\[(?P<hints>[^\]]*)\])?")
_OPENS_BLOCK = re.compile(r"(?:(?<![\w.'])by|=>)\s*$")
_INLINE_BY = re.compile(r"^by\s")
_SORRY_PROOF = re.compile(r"^(?:by\s+)?sorry\s*(?:--.*)?$")
_HAVE = re.compile(r"^have(?![\w.'])\s*")
_DECLARATION = re.compile(r"^(?:@\[[^\]]*\]\s*)?(?:theorem|lemma|example)(?![\w.'])", re.M)
_OPENING = "([{⟨⦃"
_CLOSING = ")]}⟩⦄"


class SketchError(ValueError):
    """The text holds no sketch; the message says why in one sentence."""


@dataclass(frozen=True)
class Have:
    """The parts of a `have` step: `have name : statement := proof`."""

    name: str | None
    statement: str | None  # None for `have h := term`
    assign: int  # offset of `:=` in the step's text, -1 when there is none
    proof: str  # the text after `:=` (stripped; empty when the proof is the nested block)


@dataclass(frozen=True)
class SketchStep:
    """One step: its own text (first line and continuation lines, dedented to the step's
    column) and, when it opens one, its nested tactic block."""

    text: str
    block: tuple[SketchStep, ...] = ()
    hints: tuple[str, ...] = ()

    @property
    def head(self) -> str:
        return self.text.split("\n", 1)[0]

    @property
    def have(self) -> Have | None:
        match = _HAVE.match(self.text)
        if match is None:
            return None
        rest = self.text[match.end() :]
        colon, assign = _top_level_colon_and_assign(rest)
        name_part = rest[: colon if colon >= 0 else (assign if assign >= 0 else len(rest))]
        name = name_part.split()[0] if name_part.split() else None
        statement = rest[colon + 1 : assign].strip() if colon >= 0 and assign >= 0 else None
        offset = match.end() + assign if assign >= 0 else -1
        proof = rest[assign + 2 :].strip() if assign >= 0 else ""
        return Have(name, statement or None, offset, proof)

    @property
    def is_sorry(self) -> bool:
        return self.text.strip() == HOLE and not self.block

    @property
    def is_hole(self) -> bool:
        """A `have` whose proof is `sorry` (inline or as its whole block)."""
        have = self.have
        if have is None:
            return False
        if self.block:
            return have.proof == "by" and len(self.block) == 1 and self.block[0].is_sorry
        return bool(_SORRY_PROOF.match(have.proof))

    def with_sorry_proof(self) -> SketchStep:
        """This `have` with its proof replaced by `by sorry`."""
        have = self.have
        if have is None or have.assign < 0:
            raise ValueError("only a `have … := …` step has a proof to replace")
        return SketchStep(f"{self.text[: have.assign]}:= by {HOLE}", hints=self.hints)

    def lines(self, indent: str) -> list[str]:
        own = [indent + line if line.strip() else "" for line in self.text.split("\n")]
        nested = [line for step in self.block for line in step.lines(indent + BLOCK_INDENT)]
        return own + nested


SORRY_STEP = SketchStep(HOLE)


@dataclass(frozen=True)
class Placement:
    """Where one step lies in the rendered proof (0-based lines, inclusive)."""

    path: Path
    start: int
    text_end: int  # last line of the step's own text (its block follows)
    end: int
    column: int  # the step's indentation


@dataclass(frozen=True)
class Sketch:
    """A proof skeleton: the top-level steps of a `by` block."""

    steps: tuple[SketchStep, ...]

    def render(self) -> str:
        """The proof body (the text after `:=`): `by`, then the steps one per line."""
        lines = ["by"]
        for step in self.steps:
            lines.extend(step.lines(BLOCK_INDENT))
        return "\n".join(lines)

    @cached_property
    def placements(self) -> tuple[Placement, ...]:
        """Every step's lines in `render()`, parents before children."""
        placed: list[Placement] = []
        line = 1  # line 0 is `by`
        for index, step in enumerate(self.steps):
            line = _place(step, (index,), len(BLOCK_INDENT), line, placed)
        return tuple(placed)

    def step_at(self, line: int) -> Placement | None:
        """The innermost step covering `line` of `render()` (None for the `by` line);
        a line past the end belongs to the last step."""
        if line > 0 and self.placements:
            line = min(line, max(placed.end for placed in self.placements))
        found = None
        for placed in self.placements:
            if placed.start <= line <= placed.end:
                found = placed  # parents come first, so the last match is the innermost
        return found

    def get(self, path: Path) -> SketchStep:
        steps, step = self.steps, None
        for index in path:
            step = steps[index]
            steps = step.block
        if step is None:
            raise IndexError("the empty path names no step")
        return step

    def block_of(self, path: Path) -> tuple[SketchStep, ...]:
        """The steps of the block at `path` (the top level for `()`)."""
        return self.steps if not path else self.get(path).block

    def with_block(self, path: Path, steps: tuple[SketchStep, ...]) -> Sketch:
        """A copy with the block at `path` replaced by `steps`."""
        if not path:
            return Sketch(steps)
        parent = path[:-1]
        siblings = list(self.block_of(parent))
        siblings[path[-1]] = replace(siblings[path[-1]], block=steps)
        return self.with_block(parent, tuple(siblings))

    @property
    def holes(self) -> list[SketchStep]:
        return [step for step in _walk(self.steps) if step.is_hole]

    @property
    def is_empty(self) -> bool:
        """Nothing of a sketch is left: no step but `sorry`."""
        return all(step.is_sorry for step in self.steps)


def _place(step: SketchStep, path: Path, column: int, line: int, out: list[Placement]) -> int:
    own = step.text.count("\n") + 1
    placed_at = len(out)
    out.append(Placement(path, line, line + own - 1, line + own - 1, column))
    after = line + own
    for index, child in enumerate(step.block):
        after = _place(child, (*path, index), column + len(BLOCK_INDENT), after, out)
    out[placed_at] = replace(out[placed_at], end=after - 1)
    return after


def _walk(steps: tuple[SketchStep, ...]) -> list[SketchStep]:
    out: list[SketchStep] = []
    for step in steps:
        out.append(step)
        out.extend(_walk(step.block))
    return out


def _top_level_colon_and_assign(text: str) -> tuple[int, int]:
    """Offsets of the first `:` (type ascription) and `:=` outside brackets (-1 if none)."""
    depth, colon = 0, -1
    for i, char in enumerate(text):
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(0, depth - 1)
        elif depth == 0 and char == ":":
            if text.startswith(":=", i):
                return colon, i
            if colon < 0:
                colon = i
    return colon, -1


# -- parsing ---------------------------------------------------------------------------


def parse_sketch(code: str) -> Sketch:
    """Read a sketch from Lean code: a whole declaration (its proof is taken; the
    statement is always the theorem's own) or a proof body (`by …` or bare tactics)."""
    lines = _tactic_lines(code)
    hints: list[tuple[str, ...]] = []
    for number, line in enumerate(lines):
        lines[number], found = _replace_prove_with(line)
        hints.append(found)
    kept = [n for n, line in enumerate(lines) if line.strip() and not _is_comment(line)]
    if not kept:
        raise SketchError("the sketch has no proof steps")
    text = [lines[n] for n in kept]
    kept_hints = [hints[n] for n in kept]
    return Sketch(tuple(_convert(step, text, kept_hints) for step in parse_steps("\n".join(text))))


def _tactic_lines(code: str) -> list[str]:
    """The tactic lines of the sketch's proof, each at its own indentation."""
    declared = _DECLARATION.search(code) is not None
    if declared:
        try:
            proof = declaration_from_text(code, last_by_default=True).proof
        except TheoremTextError as exc:
            raise SketchError(f"the sketch's declaration cannot be read: {exc}") from None
        if proof is None:
            raise SketchError("the sketch's declaration has no proof after `:=`")
        body = proof
    else:
        body = code.strip("\n")
    lines = body.split("\n")
    first, rest = lines[0].strip(), lines[1:]
    if first == "by":
        return rest
    if _INLINE_BY.match(first):
        deeper = min((indentation(line) for line in rest if line.strip()), default=0)
        return [" " * deeper + first[2:].strip(), *rest]
    if declared:  # a term-mode proof: one step that closes the goal with it
        return [f"exact {first}", *rest]
    return lines


def _replace_prove_with(line: str) -> tuple[str, tuple[str, ...]]:
    hints: list[str] = []

    def hole(match: re.Match[str]) -> str:
        listed = match.group("hints") or ""
        hints.extend(h.strip() for h in listed.split(",") if h.strip())
        return HOLE

    return _PROVE_WITH.sub(hole, line), tuple(hints)


def _is_comment(line: str) -> bool:
    return line.strip().startswith("--")


def _opens_block(head: str) -> bool:
    return bool(_OPENS_BLOCK.search(head)) or head.startswith("·")


def _convert(step: Step, lines: list[str], hints: list[tuple[str, ...]]) -> SketchStep:
    if step.children and _opens_block(step.head):
        block = tuple(_convert(child, lines, hints) for child in step.children)
        return SketchStep(step.head, block, hints[step.start])
    own = textwrap.dedent("\n".join(lines[step.start : step.end + 1]))
    found = tuple(h for n in range(step.start, step.end + 1) for h in hints[n])
    return SketchStep(own.strip("\n"), (), found)
