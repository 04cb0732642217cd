"""Masking: rewrite a sketch's failing lines until it elaborates with only `sorry` holes.

After each elaboration every error is mapped to the innermost step on its line, and
one rule per error rewrites the structured sketch (never the text). The rules, after
DSP+'s error-line masking (§3.3 of /work/shared/research/algorithms.md):

- `drop_have`: a `have` whose statement fails to elaborate (or that states no type)
  is deleted with its block.
- `sorry_have_proof`: a `have` whose proof fails keeps its statement and is proved
  by `sorry` (it becomes a hole).
- `sorry_rest_of_block`: any other failing step inside a nested block becomes
  `sorry`, and its later siblings are dropped (DSP+'s rule below the top level).
- `drop_step`: a failing top-level tactic other than the last is deleted (DSP+
  comments top-level lines out).
- `sorry_closing_step`: a failing last top-level step, the line meant to close the
  goal, becomes `sorry`: a hole with every `have` in its context.
- `close_block`: "unsolved goals" reported at a block's `by` (the whole proof's, or
  a nested block's) appends `sorry` to that block (DSP+'s final `sorry`).
- `truncate` (strict): when a round's errors are the same as an earlier round's
  (same messages on the same steps), the first failing top-level step and all that
  follow become one `sorry`.

"unsolved goals" at a `have`'s inline `by` is `sorry_have_proof`; at any other step
it is treated like that step's failure. A `have` deleted by `drop_have` may leave
later steps citing it: they fail in the next round and meet their own rule.

Several errors in one round are all rewritten together; a rewrite inside a step that
another rewrite removes is skipped. When nothing of the sketch would be left (only
`sorry`), the sketch cannot be repaired and `Unrepairable` says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from prover.strategies.sketch.sketch import SORRY_STEP, Path, Sketch, SketchStep

UNSOLVED_GOALS = "unsolved goals"


class Rule(StrEnum):
    DROP_HAVE = "drop_have"
    SORRY_HAVE_PROOF = "sorry_have_proof"
    SORRY_REST_OF_BLOCK = "sorry_rest_of_block"
    DROP_STEP = "drop_step"
    SORRY_CLOSING_STEP = "sorry_closing_step"
    CLOSE_BLOCK = "close_block"
    TRUNCATE = "truncate"


# Rules that remove or replace the step at their path (so edits inside it are moot).
_REPLACING = frozenset(Rule) - {Rule.CLOSE_BLOCK}


class Unrepairable(ValueError):
    """Masking would leave nothing of the sketch; the message says why."""


@dataclass(frozen=True)
class LeanError:
    """An error message placed in the rendered sketch (0-based line and column)."""

    line: int
    column: int
    text: str

    @property
    def unsolved_goals(self) -> bool:
        return self.text.startswith(UNSOLVED_GOALS)


@dataclass(frozen=True)
class Mask:
    """One rewrite: the rule, the step it applies to, and the error that called for it."""

    rule: Rule
    path: Path
    error: LeanError

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule.value,
            "step": list(self.path),
            "line": self.error.line + 1,
            "error": self.error.text,
        }


def signature(sketch: Sketch, errors: Sequence[LeanError]) -> frozenset[tuple[str, str]]:
    """What identifies a round's errors independently of line numbers: each error's
    text with the text of the step it sits in."""
    out = set()
    for error in errors:
        placed = sketch.step_at(error.line)
        where = sketch.get(placed.path).text if placed is not None else "by"
        out.add((where, error.text))
    return frozenset(out)


def plan(sketch: Sketch, errors: Sequence[LeanError], *, strict: bool = False) -> list[Mask]:
    """The rewrites for one round's errors (see the module docstring)."""
    if strict:
        return [_truncate(sketch, errors)]
    masks = [_rule_for(sketch, error) for error in errors]
    return _independent(masks)


def apply(sketch: Sketch, masks: Sequence[Mask]) -> Sketch:
    """The sketch after `masks` (from `plan`); raises `Unrepairable` if nothing is left."""
    # Later paths first, so the rewrites do not move the steps the earlier ones name.
    for mask in sorted(masks, key=lambda m: m.path, reverse=True):
        sketch = _rewrite(sketch, mask)
    if not sketch.steps or sketch.is_empty:
        reasons = "; ".join(f"{m.rule.value} on {_first_line(m.error.text)!r}" for m in masks)
        raise Unrepairable(f"masking removed every step of the sketch ({reasons})")
    return sketch


def _rule_for(sketch: Sketch, error: LeanError) -> Mask:
    placed = sketch.step_at(error.line)
    if placed is None:  # the `by` line: the proof as a whole
        if error.unsolved_goals:
            return Mask(Rule.CLOSE_BLOCK, (), error)
        return Mask(Rule.TRUNCATE, (0,), error)
    step = sketch.get(placed.path)
    if error.unsolved_goals and step.block and error.line <= placed.text_end:
        return Mask(Rule.CLOSE_BLOCK, placed.path, error)
    have = step.have
    if have is not None:
        offset = _offset_in(step, placed.column, placed.start, error)
        in_statement = have.statement is None or have.assign < 0 or offset < have.assign
        if in_statement or step.is_hole:
            return Mask(Rule.DROP_HAVE, placed.path, error)
        return Mask(Rule.SORRY_HAVE_PROOF, placed.path, error)
    if len(placed.path) > 1:
        return Mask(Rule.SORRY_REST_OF_BLOCK, placed.path, error)
    if placed.path[0] == len(sketch.steps) - 1:
        return Mask(Rule.SORRY_CLOSING_STEP, placed.path, error)
    return Mask(Rule.DROP_STEP, placed.path, error)


def _offset_in(step: SketchStep, column: int, start: int, error: LeanError) -> int:
    """The error's offset within the step's own text (past its end if in its block)."""
    lines = step.text.split("\n")
    row = error.line - start
    if row >= len(lines):
        return len(step.text)
    return sum(len(line) + 1 for line in lines[:row]) + max(0, error.column - column)


def _independent(masks: list[Mask]) -> list[Mask]:
    """One mask per step; drop masks inside a replaced step or after a replaced block tail."""
    chosen: dict[Path, Mask] = {}
    for mask in sorted(masks, key=lambda m: m.path):
        if mask.path in chosen or _shadowed(mask.path, chosen.values()):
            continue
        chosen[mask.path] = mask
    return list(chosen.values())


def _shadowed(path: Path, earlier: Iterable[Mask]) -> bool:
    for other in earlier:
        if other.rule not in _REPLACING:
            continue
        if path[: len(other.path)] == other.path:
            return True  # inside a step that is removed or replaced
        tail = other.rule in (Rule.SORRY_REST_OF_BLOCK, Rule.TRUNCATE)
        if tail and len(path) >= len(other.path) and path[: len(other.path) - 1] == other.path[:-1]:
            return path[len(other.path) - 1] > other.path[-1]  # a later sibling, also replaced
    return False


def _truncate(sketch: Sketch, errors: Sequence[LeanError]) -> Mask:
    """Strict: cut at the first top-level step holding an error."""
    first: tuple[int, LeanError] | None = None
    for error in errors:
        placed = sketch.step_at(error.line)
        index = len(sketch.steps) if placed is None and error.unsolved_goals else 0
        if placed is not None:
            index = placed.path[0]
        if first is None or index < first[0]:
            first = (index, error)
    assert first is not None, "a strict round needs errors"
    return Mask(Rule.TRUNCATE, (first[0],), first[1])


def _rewrite(sketch: Sketch, mask: Mask) -> Sketch:
    path = mask.path
    if mask.rule is Rule.CLOSE_BLOCK:
        return sketch.with_block(path, (*sketch.block_of(path), SORRY_STEP))
    parent, index = path[:-1], path[-1]
    siblings = sketch.block_of(parent)
    before, step, after = siblings[:index], siblings[index : index + 1], siblings[index + 1 :]
    if mask.rule in (Rule.DROP_HAVE, Rule.DROP_STEP):
        new = (*before, *after)
    elif mask.rule is Rule.SORRY_HAVE_PROOF:
        new = (*before, step[0].with_sorry_proof(), *after)
    elif mask.rule is Rule.SORRY_CLOSING_STEP:
        new = (*before, SORRY_STEP, *after)
    else:  # SORRY_REST_OF_BLOCK, TRUNCATE
        new = (*before, SORRY_STEP)
    return sketch.with_block(parent, new)


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:120]
