"""Proving one hole: automation first, then tactic search from the hole's state.

`SubgoalProver` is the `HoleProver` that `prover.strategies.holes.fill_holes` calls for
each hole of a sketch or a sorrified proof. For a hole it

1. tries the one-shot closers of `prover.strategies.automation` on the hole's proof state
   (AUTOMATION edges under the hole's SUBGOAL node);
2. then runs a tactic search (bfs or mps) from that state with its share of what
   is left of the budget: the i-th of n holes gets 1/(n - i) of it, so a hole
   closed cheaply leaves more for the rest. Its PROOF_STATE nodes and TACTIC edges
   hang under the SUBGOAL node. A `generator` given here (a step prover) replaces
   the context's for the search.

Holes whose proof state was lost to a REPL restart (a timeout kills the process
holding every hole of the proof) are listed in `lost`, so the caller can elaborate
the proof again for fresh states and retry just those; closers that timed out on a
goal are remembered and not tried on it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from prover.protocols import Generator
from prover.strategies.automation import CLOSERS, close_by_automation
from prover.strategies.base import ProofContext
from prover.strategies.holes import Hole
from prover.strategies.search.engine import TacticSearch
from prover.strategies.search.from_state import search_from_state
from prover.types import Theorem


class SubgoalProver:
    """A `prover.strategies.holes.HoleProver` (see the module docstring)."""

    def __init__(
        self,
        search: TacticSearch | None,
        *,
        theorem: Theorem,
        strategy: str,
        holes: int,
        closers: Sequence[str] = CLOSERS,
        generator: Generator | None = None,
        timed_out: dict[str, set[str]] | None = None,
    ) -> None:
        self.search = search
        self.theorem = theorem
        self.strategy = strategy
        self.closers = tuple(closers)
        self.generator = generator
        self.lost: list[Hole] = []
        self.timed_out: dict[str, set[str]] = timed_out if timed_out is not None else {}
        self._holes_left = max(1, holes)

    def __call__(self, hole: Hole, ctx: ProofContext) -> list[str] | None:
        share = 1.0 / self._holes_left
        self._holes_left = max(1, self._holes_left - 1)
        if hole.state is None:
            return None
        skip = self.timed_out.setdefault(hole.goal, set())
        automation = close_by_automation(
            hole.state,
            ctx,
            parent=hole.node,
            strategy=self.strategy,
            closers=self.closers,
            skip=skip,
        )
        skip.update(automation.timed_out)
        if automation.closer is not None:
            return [automation.closer]
        if automation.state_lost:
            self.lost.append(hole)
            return None
        if self.search is None or ctx.budget.exhausted() is not None:
            return None
        child = ctx.budget.child(share)
        search_ctx = ctx.with_budget(child)
        if self.generator is not None:
            search_ctx = replace(search_ctx, generator=self.generator)
        found = search_from_state(
            self.search, self.theorem, hole.state, search_ctx, parent=hole.node
        )
        ctx.budget.absorb(child)
        if found.state_lost:
            self.lost.append(hole)
        return found.tactics
