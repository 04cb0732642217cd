"""One-shot automation: the closers every strategy tries before searching.

`CLOSERS` is the one list of tactics that may close a goal outright, cheapest and
most often successful first (after DSP+'s unsafe automation rules, §3.4 of
/work/shared/research/algorithms.md). `close_by_automation` runs them one at a time
on a proof state through the budgeted context; each try is an AUTOMATION edge from
the caller's node, to the `no goals` node when it closes the goal (the node search
uses, so every closed branch of an attempt meets there), to nothing when it fails.
As a whole proof a closer reads `by <closer>`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.base import ProofContext
from prover.strategies.search.tree import normalise_goals
from prover.types import NO_GOALS, ProofState, Provenance, TacticResult, TacticStatus

CLOSERS: tuple[str, ...] = (
    "rfl",
    "norm_num",
    "linarith",
    "omega",
    "ring",
    "simp",
    "positivity",
    "nlinarith",
    "simp_all",
    "decide",
    "aesop",
)
AUTOMATION_PROVENANCE = Provenance(generator="automation")
# After these the state is gone: the process was restarted or never knew it.
STATE_LOST = frozenset(
    {
        TacticStatus.TIMEOUT,
        TacticStatus.CRASH,
        TacticStatus.MEMORY,
        TacticStatus.STALE_STATE,
        TacticStatus.UNKNOWN_STATE,
    }
)


@dataclass(frozen=True)
class AutomationResult:
    """The closer that proved the goal (None if none did), and whether the state was lost
    (a REPL restart took it, so nothing more can be run on it), with the closers that
    timed out."""

    closer: str | None
    state_lost: bool = False
    timed_out: tuple[str, ...] = ()


def no_goals_node(ctx: ProofContext) -> int:
    """The attempt's `no goals` node (shared with search: same key)."""
    return ctx.recorder.node(
        NodeKind.PROOF_STATE,
        NO_GOALS,
        key=f"goals:{normalise_goals(())}",
        status=NodeStatus.SOLVED,
    )


def close_by_automation(
    state: ProofState,
    ctx: ProofContext,
    *,
    parent: int,
    strategy: str,
    closers: Sequence[str] = CLOSERS,
    skip: Collection[str] = (),
) -> AutomationResult:
    """Try each closer (except those in `skip`) on `state` until one completes the proof.

    Stops early when the budget is exhausted or the state is lost.
    """
    timed_out: list[str] = []
    for closer in closers:
        if ctx.budget.exhausted() is not None:
            break
        if closer in skip:
            continue
        result = ctx.run_tactic(state, closer)
        _record(ctx, parent, closer, result, strategy)
        if result.status is TacticStatus.TIMEOUT:
            timed_out.append(closer)
        if result.solved:
            return AutomationResult(closer, timed_out=tuple(timed_out))
        if result.status in STATE_LOST:
            return AutomationResult(None, state_lost=True, timed_out=tuple(timed_out))
    return AutomationResult(None, timed_out=tuple(timed_out))


def _record(
    ctx: ProofContext, parent: int, closer: str, result: TacticResult, strategy: str
) -> None:
    meta: dict[str, object] = {}
    if result.proof_status:
        meta["proof_status"] = result.proof_status
    if result.error:
        meta["error"] = result.error
    ctx.recorder.edge(
        EdgeKind.AUTOMATION,
        [parent],
        no_goals_node(ctx) if result.solved else None,
        closer,
        strategy=strategy,
        proposer=AUTOMATION_PROVENANCE,
        lean=LeanOutcome.of(result),
        meta=meta,
    )
