"""Holes: the `sorry`s of a proof text, proved one by one and pasted back.

The sketch pipeline (draft -> sketch with `have … := by sorry`) and repair's
sorrify both end in the same place: a proof that elaborates except for its
holes. Each hole comes back from Lean with its own proof state (its local
context included), is proved in tactic mode by a `HoleProver`, and the scripts
are pasted back in place of the `sorry`s. Nothing here decides *how* a hole is
proved; callers pass automation, search, or a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prover.lean.protocol import split_goals
from prover.proof_text import fill_sorry, locate
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.base import ProofContext
from prover.types import CheckResult, ProofState, Theorem


@dataclass(frozen=True)
class Hole:
    """One `sorry` of a proof: where it is in the text and the state that continues it."""

    line: int
    column: int
    goal: str
    state: ProofState | None
    node: int


@dataclass(frozen=True)
class Filled:
    """The proof after pasting: its text, the holes still open, and its graph node."""

    proof: str
    remaining: list[Hole]
    node: int | None


# Proves one hole in tactic mode: returns the tactic script, or None when it gives up.
HoleProver = Callable[[Hole, ProofContext], list[str] | None]


def find_holes(
    theorem: Theorem, proof: str, ctx: ProofContext, parent: int, strategy: str
) -> tuple[CheckResult, list[Hole]]:
    """Elaborate `proof` and return its holes, each recorded as a SUBGOAL of `parent`."""
    check = ctx.check(theorem.header, theorem.with_proof(proof))
    return check, holes_of(theorem, proof, check, ctx, parent=parent, strategy=strategy)


def holes_of(
    theorem: Theorem,
    proof: str,
    check: CheckResult,
    ctx: ProofContext,
    *,
    parent: int,
    strategy: str,
) -> list[Hole]:
    """The holes of `proof` as reported by `check` (its elaboration, already done),
    each recorded as a SUBGOAL of `parent`."""
    holes: list[Hole] = []
    for sorry in check.sorries:
        where = locate(theorem, proof, sorry.pos) if sorry.pos is not None else None
        if where is None:
            continue
        state = (
            ProofState(split_goals(sorry.goal), id=sorry.proof_state, session=check.session)
            if sorry.proof_state is not None and check.session is not None
            else None
        )
        node = ctx.recorder.node(
            NodeKind.SUBGOAL, sorry.goal, key=f"subgoal:{sorry.goal}", goals=(sorry.goal,)
        )
        ctx.recorder.edge(
            EdgeKind.SUBGOAL,
            [parent],
            node,
            f"hole at line {where[0] + 1}, column {where[1]}",
            strategy=strategy,
            lean=LeanOutcome.of(check),
        )
        holes.append(Hole(where[0], where[1], sorry.goal, state, node))
    return holes


def recombine(proof: str, solved: Sequence[tuple[Hole, list[str]]]) -> str:
    """Paste each script in place of its hole; later holes first so positions stay valid."""
    for hole, script in sorted(
        solved, key=lambda pair: (pair[0].line, pair[0].column), reverse=True
    ):
        proof = fill_sorry(proof, hole.line, hole.column, script)
    return proof


def fill_holes(
    theorem: Theorem,
    proof: str,
    holes: Sequence[Hole],
    ctx: ProofContext,
    prove_hole: HoleProver,
    *,
    parent: int,
    strategy: str,
) -> Filled:
    """Prove what holes it can and paste the scripts back.

    The recombined text is recorded as a PROOF_TEXT node joined to `parent` and
    every solved subgoal by one RECOMBINE edge.
    """
    solved: list[tuple[Hole, list[str]]] = []
    remaining: list[Hole] = []
    for hole in holes:
        if ctx.budget.exhausted():
            remaining.append(hole)
            continue
        script = prove_hole(hole, ctx) if hole.state is not None else None
        if script:
            solved.append((hole, script))
            ctx.recorder.set_status(hole.node, NodeStatus.SOLVED)
        else:
            remaining.append(hole)
            ctx.recorder.set_status(hole.node, NodeStatus.FAILED)
    if not solved:
        return Filled(proof, remaining, None)
    combined = recombine(proof, solved)
    node = ctx.recorder.node(
        NodeKind.PROOF_TEXT,
        theorem.with_proof(combined),
        key=f"proof:{combined}",
        status=NodeStatus.OPEN,
    )
    ctx.recorder.edge(
        EdgeKind.RECOMBINE,
        [parent, *(hole.node for hole, _ in solved)],
        node,
        f"paste {len(solved)} subproof(s) into their holes",
        strategy=strategy,
        meta={"open_holes": len(remaining)},
    )
    return Filled(combined, remaining, node)
