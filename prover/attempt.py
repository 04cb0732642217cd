"""The strategy interface and the one place where a claimed proof becomes a verdict.

A `Strategy` searches and returns a `Claim`; `prove` runs it, sends the claim
through the soundness gate (`prover.verify.verify`) and records the verify step,
so no strategy can report a proof the gate has not accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from prover.budget import Budget, Spent
from prover.generate.llm import model_deadline
from prover.protocols import (
    EdgeKind,
    Generator,
    Lean,
    LeanOutcome,
    NodeKind,
    NodeStatus,
    Recorder,
    Retriever,
)
from prover.types import (
    Candidate,
    CheckResult,
    Premise,
    ProofState,
    StartResult,
    TacticResult,
    Theorem,
    Verdict,
    VerdictKind,
)

RETRIEVED_PREMISES = 8


@dataclass(frozen=True)
class Progress:
    """A heartbeat from a running strategy, for progress displays."""

    strategy: str
    expansions: int
    best_depth: int
    elapsed_s: float
    note: str = ""


@dataclass
class ProofContext:
    """Everything a strategy may use. All Lean and generator calls go through it,
    so the budget sees every one of them."""

    lean: Lean
    generator: Generator
    recorder: Recorder
    budget: Budget = field(default_factory=Budget)
    retriever: Retriever | None = None
    seed: int = 0
    on_progress: Callable[[Progress], None] | None = None
    allow_native_decide: bool = False

    # check/start/run_tactic make the context itself a `Lean`, metered by the budget.
    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        result = self.lean.check(header, body, timeout=timeout or self.budget.tactic_timeout())
        self.budget.charge_lean(result.elapsed_s)
        return result

    def start(self, theorem: Theorem, timeout: float | None = None) -> StartResult:
        result = self.lean.start(theorem, timeout=timeout or self.budget.tactic_timeout())
        self.budget.charge_lean(result.check.elapsed_s)
        return result

    def run_tactic(
        self, state: ProofState, tactic: str, timeout: float | None = None
    ) -> TacticResult:
        result = self.lean.run_tactic(
            state, tactic, timeout=timeout or self.budget.tactic_timeout()
        )
        self.budget.charge_lean(result.elapsed_s)
        return result

    def premises_for(self, query: str, k: int = RETRIEVED_PREMISES) -> list[Premise]:
        return self.retriever.search(query, k) if self.retriever is not None else []

    def suggest(
        self, state: str, n: int, premises: Sequence[Premise] | None = None
    ) -> list[Candidate]:
        """Ask the generator for `n` candidates, retrieving premises unless given."""
        shown = list(premises) if premises is not None else self.premises_for(state)
        before = replace(self.generator.usage)
        with model_deadline(self.budget.remaining_wall()):
            candidates = self.generator.suggest(state, shown, n)
        after = self.generator.usage
        self.budget.charge_generator(
            after.calls - before.calls,
            after.tokens_in - before.tokens_in,
            after.tokens_out - before.tokens_out,
        )
        return candidates

    def progress(self, strategy: str, expansions: int, best_depth: int, note: str = "") -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(strategy, expansions, best_depth, self.budget.elapsed(), note)
            )

    def with_budget(self, budget: Budget) -> ProofContext:
        return replace(self, budget=budget)


@dataclass(frozen=True)
class Claim:
    """What a strategy hands back: a proof body (text after `:=`) or why it has none.

    `reason` is a short code, optionally followed by `: ` and details for a person
    (`subgoals_unproved: 1 of 2 subgoal(s) unproved (…)`).

    A strategy that fails close to a proof (a sketch with unproved holes, an assembled
    proof Lean refused) leaves that text in `near_miss`, with its graph node in `node`,
    so a later stage (repair) can start from it.
    """

    proof: str | None
    reason: str
    node: int | None = None
    near_miss: str | None = None


class Strategy(Protocol):
    name: str

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        """Search for a proof of `theorem`; `root` is its statement node in the graph."""
        ...


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
        # Reasons read `code: detail`; the verdict keeps the code, so failures group by it.
        code = claim.reason.partition(": ")[0]
        verdict = Verdict(VerdictKind.FAILED, reason=code, detail=claim.reason)
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
            lean=LeanOutcome(
                verdict.kind.value, (ctx.budget.spent.lean_s - lean_before) * 1000, verdict.messages
            ),
            meta={"reason": verdict.reason, "axioms": list(verdict.axioms)},
        )
    ctx.recorder.set_status(root, NodeStatus.SOLVED if verdict.proved else NodeStatus.FAILED)
    ctx.recorder.event("attempt_end", verdict.kind.value, {"reason": verdict.reason})
    ctx.recorder.flush()
    return Outcome(verdict=verdict, claim=claim, spent=ctx.budget.finish())
