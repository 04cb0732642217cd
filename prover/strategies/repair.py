"""The `repair` strategy, and the repairer the sketch strategy hands its near-misses to.

Both run the compiler-guided loop of `repair.pipeline.repair_proof`; the strategy
starts from a proof it is given (or one its model writes), the repairer from a
near-miss another strategy left. The loop's report (`RepairResult`) comes back on the
claim (`Claim.report`), so callers read what was changed from the attempt's outcome.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from prover.errors import GenerationError
from prover.generate.llm import LanguageModel
from prover.protocols import EdgeKind, Generator, NodeKind
from prover.strategies.automation import CLOSERS
from prover.strategies.base import Claim, ProofContext, first_line
from prover.strategies.search.engine import TacticSearch
from prover.types import Provenance, StopReason, Theorem
from repair.conjecture import (
    DEFAULT_DEPTH,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    SYSTEM,
    proof_from_reply,
)
from repair.pipeline import DEFAULT_ROUNDS, RepairOptions, RepairResult, repair_proof

REPAIR = "repair"


def claim_of(result: RepairResult) -> Claim:
    """The claim a repair result makes: its proof when repaired, else its best attempt
    as a near-miss; the result itself rides along as the claim's report."""
    if result.repaired:
        return Claim(result.proof, StopReason.REPAIRED, result.node, report=result)
    return Claim(
        None,
        result.reason,
        result.node,
        near_miss=result.proof,
        detail=result.detail,
        report=result,
    )


class ProofRepairer:
    """Repairs a near-miss proof for another strategy (see `prover.strategies.base`'s
    `Repairer`): the sketch strategy's last stage."""

    def __init__(self, options: RepairOptions) -> None:
        self.options = options

    def __call__(
        self,
        theorem: Theorem,
        proof: str,
        ctx: ProofContext,
        *,
        node: int,
        model: LanguageModel | None,
        generator: Generator | None,
        strategy: str,
    ) -> Claim:
        result = repair_proof(
            theorem,
            proof,
            ctx,
            node=node,
            options=self.options,
            model=model,
            generator=generator,
            strategy=strategy,
        )
        return claim_of(result)


class RepairStrategy:
    """The `repair` strategy: repairs `proof` when given one; otherwise asks `model` for
    a whole proof and repairs that; with neither it has nothing to repair and says so."""

    name = REPAIR

    def __init__(
        self,
        *,
        proof: str | None = None,
        model: LanguageModel | None = None,
        rounds: int = DEFAULT_ROUNDS,
        depth: int = DEFAULT_DEPTH,
        search: TacticSearch | None = None,
        closers: Sequence[str] = CLOSERS,
        temperature: float = DEFAULT_TEMPERATURE,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        generator: Generator | None = None,
    ) -> None:
        """`search` proves the holes after automation (None: automation and the model
        only). ValueError on bad options."""
        self.proof = proof
        self.model = model
        self.generator = generator
        self.options = RepairOptions(
            rounds=rounds,
            depth=depth,
            search=search,
            closers=tuple(closers),
            temperature=temperature,
            max_tokens=max_tokens,
        )

    @property
    def can_start_alone(self) -> bool:
        """Whether it has something to repair without being handed a proof."""
        return self.proof is not None or self.model is not None

    def with_proof(self, proof: str | None) -> RepairStrategy:
        """This strategy set to repair `proof` (the portfolio's near-miss)."""
        handed = copy.copy(self)
        handed.proof = proof
        return handed

    def config(self) -> dict[str, object]:
        search = self.options.search
        return {
            "strategy": self.name,
            "model": self.model.name if self.model else None,
            "given_proof": self.proof is not None,
            "rounds": self.options.rounds,
            "depth": self.options.depth,
            "search": search.config() if search is not None else None,
        }

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        if self.proof is not None:
            proof = self.proof
            node = record_given(theorem, proof, ctx, root, Provenance(generator="given"))
        elif self.model is not None:
            drafted = self._draft(self.model, theorem, ctx, root)
            if isinstance(drafted, Claim):
                return drafted
            proof, node = drafted
        else:
            return Claim(
                None,
                StopReason.NOTHING_TO_REPAIR,
                detail="no proof was given and no model is configured to write one",
            )
        result = repair_proof(
            theorem,
            proof,
            ctx,
            node=node,
            options=self.options,
            model=self.model,
            generator=self.generator,
            strategy=self.name,
        )
        return claim_of(result)

    def _draft(
        self, model: LanguageModel, theorem: Theorem, ctx: ProofContext, root: int
    ) -> tuple[str, int] | Claim:
        prompt = [
            {"role": "system", "content": SYSTEM},
            {
                "role": "user",
                "content": "Prove this theorem in Lean 4. Reply with the whole theorem in one "
                f"```lean4 block.\n```lean4\n{theorem.statement} := by\n  sorry\n```",
            },
        ]
        try:
            reply = ctx.ask(
                model,
                "prover",
                prompt,
                max_tokens=self.options.max_tokens,
                temperature=self.options.temperature,
            )
        except GenerationError as exc:
            return Claim(None, StopReason(exc.code), detail=first_line(str(exc)))
        proof = proof_from_reply(reply.text)
        if proof is None:
            return Claim(None, StopReason.NOTHING_TO_REPAIR, detail="the model wrote no proof")
        return proof, record_given(theorem, proof, ctx, root, reply.provenance)


def record_given(
    theorem: Theorem, proof: str, ctx: ProofContext, root: int, proposer: Provenance
) -> int:
    """The proof to repair as a PROOF_TEXT node, joined to the statement by a DRAFT edge
    that names who wrote it (`given` for a proof handed in)."""
    node = ctx.recorder.node(NodeKind.PROOF_TEXT, theorem.with_proof(proof), key=f"proof:{proof}")
    ctx.recorder.edge(
        EdgeKind.DRAFT,
        [root],
        node,
        "proof to repair" if proposer.generator == "given" else "whole proof by the model",
        strategy=REPAIR,
        proposer=proposer,
    )
    return node
