"""The one place where a claimed proof becomes a verdict.

`prove` runs a strategy (`prover.strategies.base.Strategy`), sends its claim through
the soundness gate (`prover.verify.verify`) and records the verify step, so no
strategy can report a proof the gate has not accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from prover.budget import Spent
from prover.generate.llm import model_deadline
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus, Recorder
from prover.strategies.base import Claim, ProofContext, Strategy
from prover.types import Theorem, Verdict, VerdictKind


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    claim: Claim
    spent: Spent


def statement_node(theorem: Theorem, recorder: Recorder) -> int:
    return recorder.node(NodeKind.STATEMENT, theorem.statement, key="statement")


def prove(theorem: Theorem, strategy: Strategy, ctx: ProofContext) -> Outcome:
    """Run `strategy`, then accept its claim only through the soundness gate."""
    from prover.verify import verify  # the gate imports the bridge; keep this module light

    root = statement_node(theorem, ctx.recorder)
    ctx.recorder.event("attempt_start", f"{strategy.name} on {theorem.name}")
    with model_deadline(ctx.budget.remaining_wall()):  # no model call outlives the budget
        claim = strategy.attempt(theorem, ctx, root)
    if claim.proof is None:
        verdict = Verdict(VerdictKind.FAILED, reason=claim.reason, detail=claim.detail)
    else:
        lean_before = ctx.budget.spent.lean_s
        verdict = verify(
            theorem,
            claim.proof,
            ctx,
            allow_native_decide=ctx.allow_native_decide,
            timeout=ctx.budget.limits.tactic_timeout_s,
        )
        checked = ctx.recorder.node(
            NodeKind.PROOF_TEXT,
            theorem.with_proof(claim.proof),
            key=f"verified:{claim.proof}",
            status=NodeStatus.SOLVED if verdict.proved else NodeStatus.FAILED,
        )
        ctx.recorder.edge(
            EdgeKind.VERIFY,
            [claim.node if claim.node is not None else root],
            checked,
            "soundness gate",
            strategy=strategy.name,
            lean=LeanOutcome.of_verdict(verdict, ctx.budget.spent.lean_s - lean_before),
            meta={"reason": verdict.reason, "axioms": list(verdict.axioms)},
        )
    ctx.recorder.set_status(root, NodeStatus.SOLVED if verdict.proved else NodeStatus.FAILED)
    ctx.recorder.event("attempt_end", verdict.kind.value, {"reason": verdict.reason})
    ctx.recorder.flush()
    return Outcome(verdict=verdict, claim=claim, spent=ctx.budget.finish())
