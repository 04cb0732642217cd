"""`auto`: a portfolio that escalates from cheap automation to search, sketch and repair.

Stages run in order and the first proof wins:

| stage      | what it does                                                    | share |
|------------|-----------------------------------------------------------------|-------|
| automation | one-shot closers (`prover.automation.CLOSERS`) as whole proofs  | 0.10  |
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
automation gets 10% and search the rest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prover.attempt import Claim, ProofContext, Strategy
from prover.automation import CLOSERS
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.types import Theorem

AUTOMATION = "automation"
REPAIR = "repair"
# Stages that cannot do anything without these options.
REQUIRED_OPTIONS: dict[str, str] = {"sketch": "drafter"}
SEARCH_STAGES = ("bfs", "mps")


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


class Portfolio:
    """The `auto` strategy: see the module docstring for its stages and budget shares."""

    name = "auto"

    def __init__(
        self,
        *,
        stages: Sequence[Stage | Mapping[str, Any]] = DEFAULT_STAGES,
        closers: Sequence[str] = CLOSERS,
        width: int | None = None,
        **stage_options: Mapping[str, Any],
    ) -> None:
        """`stage_options` maps a stage name to its strategy's options (`bfs={"width": 4}`);
        `width`, when given, is the default width of every search stage."""
        self.stages = tuple(s if isinstance(s, Stage) else Stage(**s) for s in stages)
        if not self.stages or any(s.share <= 0 for s in self.stages):
            raise ValueError("a portfolio needs stages with positive shares")
        unknown = set(stage_options) - {s.name for s in self.stages}
        if unknown or not all(isinstance(v, Mapping) for v in stage_options.values()):
            raise ValueError(
                f"portfolio options must be stage names ({', '.join(s.name for s in self.stages)})"
                " mapped to option dictionaries"
            )
        self.closers = tuple(closers)
        self.width = width
        self.stage_options = {name: dict(options) for name, options in stage_options.items()}

    def plan(self) -> list[tuple[Stage, Strategy | None, float]]:
        """The stages that can run here, each with its strategy (None for automation) and
        the fraction of the then-remaining budget it receives (see the module docstring)."""
        from prover.strategies import STRATEGIES, make_strategy  # the registry imports us

        ready: list[tuple[int, Stage, Strategy | None]] = []
        for index, stage in enumerate(self.stages):
            if stage.name == AUTOMATION:
                ready.append((index, stage, None))
            elif stage.name in STRATEGIES:
                options = dict(self.stage_options.get(stage.name, {}))
                needed = REQUIRED_OPTIONS.get(stage.name)
                if needed is not None and options.get(needed) is None:
                    continue
                if self.width is not None and stage.name in SEARCH_STAGES:
                    options.setdefault("width", self.width)
                ready.append((index, stage, make_strategy(stage.name, **options)))
        planned = []
        for position, (index, stage, strategy) in enumerate(ready):
            last = position == len(ready) - 1
            later = sum(s.share for s in self.stages[index:])
            planned.append((stage, strategy, 1.0 if last else stage.share / later))
        return planned

    def config(self) -> dict[str, object]:
        return {
            "strategy": self.name,
            "stages": [{"name": s.name, "share": s.share} for s in self.stages],
            "closers": list(self.closers),
            "width": self.width,
            "stage_options": self.stage_options,
        }

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        """Run the stages in order; an unproved claim carries the last stage's reason,
        or the name of the exhausted limit (as a search would). The repair stage starts
        from the latest near-miss an earlier stage left."""
        from prover.strategies import make_strategy  # the registry imports us

        reason = "no stage available"
        near_miss: str | None = None
        for stage, strategy, fraction in self.plan():
            limit = ctx.budget.exhausted()
            if limit is not None:
                return Claim(None, limit)
            if stage.name == REPAIR:
                options = self.stage_options.get(REPAIR, {})
                if near_miss is None and options.get("model") is None:
                    ctx.recorder.event("portfolio_stage_skipped", REPAIR, {"why": "no near-miss"})
                    continue
                strategy = make_strategy(REPAIR, **{**options, "proof": near_miss})
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
            reason = claim.reason
            ctx.recorder.event("portfolio_stage_end", stage.name, {"reason": reason})
        return Claim(None, reason)

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
                lean=LeanOutcome(
                    "clean" if result.clean else result.status.value,
                    round(result.elapsed_s * 1000.0, 3),
                    result.messages,
                ),
            )
            if result.clean:
                return Claim(proof, "proved", node)
        return Claim(None, "no closer worked")
