"""`auto`: a portfolio that escalates from cheap automation to search, sketch and repair.

Stages run in order and the first proof wins:

| stage      | what it does                                                    | share |
|------------|-----------------------------------------------------------------|-------|
| automation | one-shot closers (`prover.strategies.automation.CLOSERS`) as whole proofs  | 0.10  |
| sample     | whole proofs written by the generator model (only when it is one) | 0.30  |
| search     | best-first tactic search (`bfs`)                                | 0.50  |
| sketch     | draft → sketch → prove subgoals (needs a `drafter` model)       | 0.25  |
| repair     | repairs the best near-miss of the stages before (or a model's proof) | 0.15 |

A share is a fraction of the attempt's whole budget, and budget a stage leaves
unused flows forward: stage *i* receives share_i / (shares of stages i..n) of what
is left on every bounded axis (wall time, Lean calls, tokens, expansions), and the
last stage that can run gets everything that remains. A stage whose strategy is not
registered, or lacks what it cannot run without (sketch without a drafter; repair
without a near-miss from an earlier stage and without a model to write a proof), is
skipped; its share flows forward to the stages after it (so with no model configured,
automation gets 10% and search the rest). The sample stage is not among the default
stages: the registry adds it, right after automation, when a generator model is
configured (`prover.strategies.registry.SAMPLE_STAGE`); its closest failed sample is the
near-miss the repair stage starts from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.automation import CLOSERS
from prover.strategies.base import Claim, ProofContext, Strategy
from prover.types import StopReason, Theorem

AUTOMATION = "automation"


@dataclass(frozen=True)
class Stage:
    name: str  # a name in the strategy registry, or AUTOMATION
    share: float


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage(AUTOMATION, 0.10),
    Stage("bfs", 0.50),
    Stage("sketch", 0.25),
    Stage("repair", 0.15),
)


@runtime_checkable
class TakesNearMiss(Protocol):
    """A stage that starts from the near-miss an earlier stage left (repair)."""

    name: str

    @property
    def can_start_alone(self) -> bool:
        """Whether it can run with no near-miss (it has a model to write a proof)."""
        ...

    def with_proof(self, proof: str | None) -> Strategy: ...


class Portfolio:
    """The `auto` strategy: see the module docstring for its stages and budget shares."""

    name = "auto"

    def __init__(
        self,
        stages: Sequence[tuple[Stage, Strategy | None]],
        *,
        closers: Sequence[str] = CLOSERS,
    ) -> None:
        """`stages` pairs each stage with its strategy: None for the automation stage, and
        for a stage that cannot run here (its share flows forward)."""
        if not stages or any(stage.share <= 0 for stage, _ in stages):
            raise ValueError("a portfolio needs stages with positive shares")
        self.stages = tuple(stages)
        self.closers = tuple(closers)

    def plan(self) -> list[tuple[Stage, Strategy | None, float]]:
        """The stages that can run here, each with its strategy (None for automation) and
        the fraction of the then-remaining budget it receives (see the module docstring)."""
        shares = [stage.share for stage, _ in self.stages]
        ready = [
            (index, stage, strategy)
            for index, (stage, strategy) in enumerate(self.stages)
            if strategy is not None or stage.name == AUTOMATION
        ]
        planned = []
        for position, (index, stage, strategy) in enumerate(ready):
            last = position == len(ready) - 1
            planned.append((stage, strategy, 1.0 if last else stage.share / sum(shares[index:])))
        return planned

    def config(self) -> dict[str, object]:
        return {
            "strategy": self.name,
            "stages": [
                {
                    "name": stage.name,
                    "share": stage.share,
                    "config": _config_of(strategy) if strategy is not None else None,
                }
                for stage, strategy in self.stages
            ],
            "closers": list(self.closers),
        }

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        """Run the stages in order; an unproved claim carries the last stage's reason,
        or the exhausted limit (as a search would). A stage that takes near-misses
        (repair) starts from the latest one an earlier stage left."""
        claim = Claim(None, StopReason.NO_STAGE)
        near_miss: str | None = None
        for stage, planned, fraction in self.plan():
            limit = ctx.budget.exhausted()
            if limit is not None:
                return Claim(None, limit)
            strategy = planned
            if isinstance(planned, TakesNearMiss):
                if near_miss is None and not planned.can_start_alone:
                    ctx.recorder.event(
                        "portfolio_stage_skipped", stage.name, {"why": "no near-miss"}
                    )
                    continue
                strategy = planned.with_proof(near_miss) if near_miss is not None else planned
            child = ctx.budget.child(fraction)
            ctx.recorder.event("portfolio_stage", stage.name, {"fraction_of_remaining": fraction})
            stage_ctx = ctx.with_budget(child)
            if strategy is None:
                claim = self._automation(theorem, stage_ctx, root)
            else:
                claim = strategy.attempt(theorem, stage_ctx, root)
            ctx.budget.absorb(child)
            if claim.proof is not None:
                return claim
            near_miss = claim.near_miss or near_miss
            ctx.recorder.event("portfolio_stage_end", stage.name, {"reason": claim.reason})
        return Claim(None, claim.reason, detail=claim.detail, report=claim.report)

    def _automation(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        """Try each closer as a whole proof (`by <closer>`); the first that Lean accepts
        cleanly wins."""
        for closer in self.closers:
            limit = ctx.budget.exhausted()
            if limit is not None:
                return Claim(None, limit)
            proof = f"by {closer}"
            result = ctx.check(theorem.header, theorem.with_proof(proof))
            node = ctx.recorder.node(
                NodeKind.PROOF_TEXT,
                theorem.with_proof(proof),
                key=f"automation:{proof}",
                status=NodeStatus.SOLVED if result.clean else NodeStatus.FAILED,
            )
            ctx.recorder.edge(
                EdgeKind.AUTOMATION,
                [root],
                node,
                proof,
                strategy=self.name,
                lean=LeanOutcome.of(result, status="clean" if result.clean else None),
            )
            if result.clean:
                return Claim(proof, StopReason.PROVED, node)
        return Claim(None, StopReason.NO_CLOSER)


def _config_of(strategy: Strategy) -> object:
    config = getattr(strategy, "config", None)
    return config() if callable(config) else strategy.name
