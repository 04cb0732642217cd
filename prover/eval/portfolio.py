"""`auto`: a portfolio that escalates from cheap automation to search, sketch and repair.

Stages run in order and the first proof wins:

| stage      | what it does                                                    | share |
|------------|-----------------------------------------------------------------|-------|
| automation | one-shot closers (`by omega`, `by norm_num`, ...) via `check`   | 0.10  |
| search     | best-first tactic search (`bfs`)                                | 0.50  |
| sketch     | draft → sketch → prove subgoals (when `sketch` is registered)   | 0.25  |
| repair     | compiler-guided repair (when `repair` is registered)            | 0.15  |

A share is a fraction of the attempt's whole budget, and budget a stage leaves
unused flows forward: stage *i* receives share_i / (shares of stages i..n) of what
is left on every bounded axis (wall time, Lean calls, tokens, expansions), so the
last available stage gets everything that remains. Stages whose strategy is not
registered are skipped and their share flows forward the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from prover.attempt import Claim, ProofContext, Strategy
from prover.budget import Budget, Limits
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.types import Theorem

CLOSERS: tuple[str, ...] = (
    "by omega",
    "by norm_num",
    "by simp",
    "by linarith",
    "by nlinarith",
    "by decide",
    "by aesop",
)
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


def remaining_limits(budget: Budget) -> Limits:
    """What is left of `budget` on every bounded axis."""
    lim, sp = budget.limits, budget.spent

    def left(limit: float | int | None, used: float | int) -> float | int | None:
        return None if limit is None else max(0, limit - used)

    return replace(
        lim,
        wall_s=budget.remaining_wall(),
        lean_calls=left(lim.lean_calls, sp.lean_calls),
        tokens=left(lim.tokens, sp.tokens_in + sp.tokens_out),
        expansions=left(lim.expansions, sp.expansions),
    )


class Portfolio:
    """The `auto` strategy: see the module docstring for its stages and budget shares."""

    name = "auto"

    def __init__(
        self,
        *,
        stages: Sequence[Stage] = DEFAULT_STAGES,
        closers: Sequence[str] = CLOSERS,
        **stage_options: dict[str, object],
    ) -> None:
        if not stages or any(s.share <= 0 for s in stages):
            raise ValueError("a portfolio needs stages with positive shares")
        self.stages = tuple(stages)
        self.closers = tuple(closers)
        self.stage_options = stage_options  # e.g. bfs={"width": 4}

    def available(self) -> list[tuple[Stage, Strategy | None]]:
        """The stages that can run here, each with its strategy (None for automation)."""
        from prover.strategies import STRATEGIES, make_strategy  # the registry imports us

        ready: list[tuple[Stage, Strategy | None]] = []
        for stage in self.stages:
            if stage.name == AUTOMATION:
                ready.append((stage, None))
            elif stage.name in STRATEGIES:
                options = dict(self.stage_options.get(stage.name, {}))
                ready.append((stage, make_strategy(stage.name, **options)))
        return ready

    def config(self) -> dict[str, object]:
        return {
            "strategy": self.name,
            "stages": [{"name": s.name, "share": s.share} for s in self.stages],
            "closers": list(self.closers),
            "stage_options": self.stage_options,
        }

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        """Run the stages in order; an unproved claim carries the last stage's reason,
        or the name of the exhausted limit (as a search would)."""
        stages = self.available()
        reason = "no stage available"
        for index, (stage, strategy) in enumerate(stages):
            limit = ctx.budget.exhausted()
            if limit is not None:
                return Claim(None, limit)
            later = sum(s.share for s, _ in stages[index:])
            child = Budget(limits=remaining_limits(ctx.budget).share(stage.share / later))
            ctx.recorder.event("portfolio_stage", stage.name, {"share": stage.share})
            stage_ctx = ctx.with_budget(child)
            if strategy is None:
                claim = self._automation(theorem, stage_ctx, root)
            else:
                claim = strategy.attempt(theorem, stage_ctx, root)
            ctx.budget.absorb(child)
            if claim.proof is not None:
                return claim
            reason = claim.reason
            ctx.recorder.event("portfolio_stage_end", stage.name, {"reason": reason})
        return Claim(None, reason)

    def _automation(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        """Try each closer as a whole proof; the first that Lean accepts cleanly wins."""
        for closer in self.closers:
            limit = ctx.budget.exhausted()
            if limit is not None:
                return Claim(None, limit)
            result = ctx.check(theorem.header, theorem.with_proof(closer))
            node = ctx.recorder.node(
                NodeKind.PROOF_TEXT,
                theorem.with_proof(closer),
                key=f"automation:{closer}",
                status=NodeStatus.SOLVED if result.clean else NodeStatus.FAILED,
            )
            ctx.recorder.edge(
                EdgeKind.AUTOMATION,
                [root],
                node,
                closer,
                strategy=self.name,
                lean=LeanOutcome(
                    "clean" if result.clean else result.status.value,
                    round(result.elapsed_s * 1000.0, 3),
                    result.messages,
                ),
            )
            if result.clean:
                return Claim(closer, "proved", node)
        return Claim(None, "no closer worked")
