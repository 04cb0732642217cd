"""Sorrify: replace the smallest failing block with `sorry` until the proof elaborates.

After APOLLO's sorrifier (§4.1 step 3 of /work/shared/research/algorithms.md), by
layout blocks (`prover.proof_text`), never by raw lines. One error at a time, other
errors before `unsolved goals` (which is often their consequence), the action is:

- `unsolved goals` at the proof's `by` (or on the statement line): append `sorry` to
  the main block; at a nested opener (`have … := by`, `·`, `case … =>`): append
  `sorry` to that block.
- `no goals to be solved`: remove the step (the goal was closed before it).
- Any other error in the statement of a `have`/`obtain` (before its `:=`): remove the
  step; in the proof of a typed `have`/`show`/calc step (after `:=`): that proof
  becomes `by sorry`.
- Any other error in a bullet or `case` step: it becomes `· sorry` / `case … => sorry`;
  in the last step of its block: it becomes `sorry`; in an earlier step: remove it
  (the goal goes on to the next step).
- A term-mode proof, a timeout Lean could not place, or rounds run out: the whole
  proof becomes `by sorry`.

An error before the proof that is not `unsolved goals` means the statement itself does
not elaborate: `StatementError`. Each action is a SORRIFY edge in the graph, and each
`sorry` it writes remembers the text it replaced and the error, for the hole's
re-proof (conjecture correction shows them to the model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from prover.proof_text import Step, indentation, parse_steps, top_level_assign, walk
from prover.protocols import EdgeKind, LeanOutcome, NodeKind
from prover.strategies.base import ProofContext
from prover.types import CheckResult, Theorem
from repair.diagnose import Diagnosis, ErrorClass, diagnose, errors

SORRY = "sorry"
WHOLE = "by\n  sorry"
MAX_ROUNDS = 75

_TACTIC_PROOF = re.compile(r"^\s*by(?![\w.'])")
_BULLET = re.compile(r"^\s*(?:·|\.)\s+")
_CASE = re.compile(r"^\s*(?:case\s[^=]*|next(?:\s[^=]*)?|\|[^=]*)=>\s*")
_INLINE_BY = re.compile(r"(?<![\w.'])by\s+(?=\S)")
_TYPED_PROOF = re.compile(r"^\s*(?:·\s*)?(?:(?:have|haveI|show|suffices)\b[^:]*:|_|calc\b)")


class StatementError(ValueError):
    """Lean rejects the statement itself; repair never edits it."""


@dataclass(frozen=True)
class Origin:
    """Why a hole is there: the text its `sorry` replaced and the error it had."""

    failing: str
    diagnosis: Diagnosis


@dataclass(frozen=True)
class SorryEdit:
    """Lines `start..stop-1` of the proof replaced by `new_lines`; `hole` is where the
    `sorry` it wrote sits in the new proof (None when it only removed text)."""

    action: str
    start: int
    stop: int
    new_lines: tuple[str, ...]
    removed: str
    hole: tuple[int, int] | None

    def apply(self, proof: str) -> str:
        lines = proof.split("\n")
        return "\n".join([*lines[: self.start], *self.new_lines, *lines[self.stop :]])

    def describe(self) -> str:
        where = f"line {self.start + 1}"
        if self.action == "remove":
            return f"remove the failing step at {where}"
        if self.action == "append":
            return f"append `sorry` to the unsolved block before {where}"
        if self.action == "whole":
            return "replace the whole proof with `by sorry`"
        return f"replace the failing block at {where} with `sorry`"


@dataclass
class Sorrified:
    """The proof after sorrifying: its last check, its graph node, and the origin of each
    `sorry` it wrote, keyed by (line, column) in `proof`."""

    proof: str
    check: CheckResult
    node: int
    origins: dict[tuple[int, int], Origin] = field(default_factory=dict)
    edits: list[tuple[SorryEdit, Diagnosis]] = field(default_factory=list)


def plan(proof: str, diagnosis: Diagnosis) -> SorryEdit:
    """The sorrify action for one error (see the module docstring)."""
    lines = proof.split("\n")
    if diagnosis.kind is ErrorClass.TIMEOUT and diagnosis.line is None:
        return whole(proof)
    if diagnosis.line is None:
        if diagnosis.kind is ErrorClass.UNSOLVED_GOALS:
            return _append_main(lines)
        raise StatementError(f"the statement does not elaborate: {diagnosis.summary()}")
    if not _TACTIC_PROOF.match(lines[0]):
        return whole(proof)
    steps = parse_steps(proof)
    if diagnosis.kind is ErrorClass.UNSOLVED_GOALS:
        opener = _opener_at(steps, diagnosis.line)
        return _append_main(lines) if opener is None else _append_block(lines, opener)
    step = _innermost(steps, diagnosis.line)
    if step is None:
        return whole(proof)
    if diagnosis.kind is ErrorClass.NO_GOALS:
        return _remove(lines, step)
    return _sorry_step(lines, steps, step, diagnosis)


def whole(proof: str) -> SorryEdit:
    lines = proof.split("\n")
    return SorryEdit("whole", 0, len(lines), tuple(WHOLE.split("\n")), proof, (1, 2))


def _sorry_step(lines: list[str], steps: list[Step], step: Step, diagnosis: Diagnosis) -> SorryEdit:
    head = lines[step.start]
    prefix = _prefix(head)
    removed = "\n".join([head[len(prefix) :], *lines[step.start + 1 : step.end + 1]])
    assign = top_level_assign(head)
    on_head = diagnosis.line == step.start
    if assign is not None and on_head and diagnosis.column is not None:
        if diagnosis.column < assign or not _TYPED_PROOF.match(head):
            return _remove(lines, step)
        new = f"{head[:assign].rstrip()} := by {SORRY}"
        return SorryEdit(
            "replace", step.start, step.end + 1, (new,), removed, (step.start, len(new) - 5)
        )
    if step.start == 0:  # `by tac` on the proof's first line
        return SorryEdit("replace", 0, step.end + 1, (f"by {SORRY}",), removed, (0, 3))
    if prefix.strip() and on_head and step.children:
        # The bullet's first tactic failed, not the bullet: the next tactic moves up.
        first = step.children[0]
        moved = (prefix + lines[first.start].strip(), *lines[first.start + 1 : first.end + 1])
        return SorryEdit("remove", step.start, first.end + 1, moved, head[len(prefix) :], None)
    last = _container(steps, step)[-1] is step
    if prefix.strip() or last:
        new = prefix + SORRY
        return SorryEdit(
            "replace", step.start, step.end + 1, (new,), removed, (step.start, len(prefix))
        )
    return _remove(lines, step)


def _remove(lines: list[str], step: Step) -> SorryEdit:
    removed = "\n".join(lines[step.start : step.end + 1]).strip()
    return SorryEdit("remove", step.start, step.end + 1, (), removed, None)


def _append_main(lines: list[str]) -> SorryEdit:
    if lines[0].strip() != "by":
        # `by tac` on the first line: lay it out as a block first.
        new = ("by", f"  {lines[0].strip()[2:].strip()}", *lines[1:], f"  {SORRY}")
        return SorryEdit("append", 0, len(lines), new, "", (len(new) - 1, 2))
    steps = parse_steps("\n".join(lines))
    indent = steps[0].indent if steps else 2
    end = len(lines)
    while end > 1 and not lines[end - 1].strip():
        end -= 1
    return SorryEdit("append", end, end, (" " * indent + SORRY,), "", (end, indent))


def _append_block(lines: list[str], opener: Step) -> SorryEdit:
    head = lines[opener.start]
    if opener.children:
        indent = opener.children[0].indent
        at = opener.end + 1
        return SorryEdit("append", at, at, (" " * indent + SORRY,), "", (at, indent))
    inline = _INLINE_BY.search(head)
    bullet = _BULLET.match(head)
    if bullet and (inline is None or inline.start() < bullet.end()):
        column = bullet.end()
        at = opener.start + 1
        return SorryEdit("append", at, at, (" " * column + SORRY,), "", (at, column))
    indent = " " * (opener.indent + 2)
    split = inline.end() if inline else len(head)
    opening = head[:split].rstrip()
    rest = head[split:].strip()
    new = (opening, *([indent + rest] if rest else []), indent + SORRY)
    return SorryEdit(
        "append",
        opener.start,
        opener.start + 1,
        new,
        "",
        (opener.start + len(new) - 1, len(indent)),
    )


def _prefix(head: str) -> str:
    """The line's indentation with its bullet or `case … =>` opener."""
    for pattern in (_BULLET, _CASE):
        match = pattern.match(head)
        if match:
            return head[: match.end()]
    return " " * indentation(head)


def _innermost(steps: list[Step], line: int) -> Step | None:
    for step in steps:
        found = step.innermost(line)
        if found is not None:
            return found
    return None


def _opener_at(steps: list[Step], line: int) -> Step | None:
    """The deepest step starting at `line` (the block opener an unsolved-goals error
    points at)."""
    matches = [step for step in walk(steps) if step.start == line]
    return matches[-1] if matches else None


def _container(steps: list[Step], target: Step) -> list[Step]:
    if target in steps:
        return steps
    for step in steps:
        if step.contains(target.start):
            return _container(step.children, target)
    return [target]


def shift(origins: dict[tuple[int, int], Origin], edit: SorryEdit) -> dict[tuple[int, int], Origin]:
    """The origins after `edit`: those in the replaced lines are gone, later ones move."""
    moved: dict[tuple[int, int], Origin] = {}
    delta = len(edit.new_lines) - (edit.stop - edit.start)
    for (line, column), origin in origins.items():
        if line < edit.start:
            moved[(line, column)] = origin
        elif line >= edit.stop:
            moved[(line + delta, column)] = origin
    return moved


def sorrify(
    theorem: Theorem,
    proof: str,
    check: CheckResult,
    ctx: ProofContext,
    *,
    node: int,
    strategy: str,
    max_rounds: int | None = None,
) -> Sorrified:
    """Sorrify until `proof` elaborates (errors gone, `sorry`s left), one SORRIFY edge per
    action; `check` is the elaboration of `proof` already done. Falls back to the whole
    proof as `by sorry` when the rounds run out. Raises StatementError."""
    limit = max_rounds or min(MAX_ROUNDS, len(proof.split("\n")) + 5)
    state = Sorrified(proof, check, node)
    seen = {proof}
    for round_number in range(limit + 1):
        found = errors(diagnose(theorem, state.proof, state.check))
        if not found or ctx.budget.exhausted() is not None:
            return state
        target = _pick(found)
        last_round = round_number == limit
        edit = whole(state.proof) if last_round else plan(state.proof, target)
        after = edit.apply(state.proof)
        if after in seen:
            edit = whole(state.proof)
            after = edit.apply(state.proof)
            if after in seen:
                return state
        seen.add(after)
        origins = shift(state.origins, edit) if edit.action != "whole" else {}
        if edit.hole is not None:
            origins[edit.hole] = Origin(edit.removed, target)
        child = _record(theorem, state, after, edit, target, ctx, strategy)
        state = Sorrified(
            after,
            ctx.check(theorem.header, theorem.with_proof(after)),
            child,
            origins,
            [*state.edits, (edit, target)],
        )
    return state


def _pick(found: list[Diagnosis]) -> Diagnosis:
    """Errors other than `unsolved goals` first, in order; then the innermost unsolved
    block (the one starting last)."""
    others = [d for d in found if d.kind is not ErrorClass.UNSOLVED_GOALS]
    if others:
        return others[0]
    return max(found, key=lambda d: (-1, 0) if d.line is None else (d.line, d.column or 0))


def _record(
    theorem: Theorem,
    state: Sorrified,
    after: str,
    edit: SorryEdit,
    target: Diagnosis,
    ctx: ProofContext,
    strategy: str,
) -> int:
    child = ctx.recorder.node(NodeKind.PROOF_TEXT, theorem.with_proof(after), key=f"proof:{after}")
    ctx.recorder.edge(
        EdgeKind.SORRIFY,
        [state.node],
        child,
        edit.describe(),
        strategy=strategy,
        lean=LeanOutcome.of(state.check, messages=(target.message,)),
        meta={
            "action": edit.action,
            "error_class": target.kind.value,
            "line": None if target.line is None else target.line + 1,
            "message": target.text,
            "removed": edit.removed,
        },
    )
    return child
