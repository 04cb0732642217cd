"""Tactic search from a given proof state (a sketch's hole) instead of a theorem.

The search is the ordinary `SearchRun` of a `TacticSearch` (bfs or mps) with its
root swapped: it starts from the state Lean reported for a `sorry`, and its graph
hangs under the caller's node (the hole's SUBGOAL node) instead of the statement.
No Lean call opens it. A hole's state cannot be rebuilt after its REPL process is
restarted, so a search that loses its root stops and says so (`state_lost`); the
caller may elaborate the proof again for a fresh state.
"""

from __future__ import annotations

from dataclasses import dataclass

from prover.strategies.base import ProofContext
from prover.strategies.search.engine import SearchRun, TacticSearch
from prover.types import CallStatus, CheckResult, ProofState, StartResult, StopReason, Theorem

STATE_LOST = "the hole's proof state was lost in a REPL restart"


@dataclass(frozen=True)
class StateSearchResult:
    """The tactics that close the state (in order), or None with the search's reason."""

    tactics: list[str] | None
    reason: StopReason
    state_lost: bool = False


class StateSearchRun(SearchRun):
    """A `SearchRun` rooted at `state`, recorded under the graph node `parent`."""

    start_step = "continue from the hole's proof state"

    def __init__(
        self,
        search: TacticSearch,
        theorem: Theorem,
        ctx: ProofContext,
        *,
        parent: int,
        state: ProofState,
    ) -> None:
        super().__init__(search, theorem, ctx, parent)
        self.state = state
        self.opened = False
        self.state_lost = False

    def open_root(self) -> StartResult:
        if not self.opened:
            self.opened = True
            return StartResult(self.state, CheckResult(CallStatus.OK, session=self.state.session))
        self.state_lost = True
        return StartResult(None, CheckResult(CallStatus.STALE_STATE, error=STATE_LOST))


def search_from_state(
    search: TacticSearch,
    theorem: Theorem,
    state: ProofState,
    ctx: ProofContext,
    *,
    parent: int,
) -> StateSearchResult:
    """Run `search` from `state` within `ctx`'s budget; `theorem` is the one the state
    belongs to (for the record)."""
    run = StateSearchRun(search, theorem, ctx, parent=parent, state=state)
    claim = run.run()
    if claim.proof is None:
        return StateSearchResult(None, claim.reason, run.state_lost)
    return StateSearchResult([edge.tactic for edge in run.tree.proof_edges()], claim.reason)
