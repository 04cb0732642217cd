"""What every strategy is built on: the metered context, the claim, the interface.

A `Strategy` searches inside a `ProofContext` and returns a `Claim`. Every Lean call
(`check`, `start`, `run_tactic`) and every model call (`suggest` for a generator,
`ask` for a language model, `metered` around anything else that spends tokens) goes
through the context, so its budget sees each one; nothing else charges the budget.
Strategies receive their collaborators (a tactic search, a repairer) when they are
built, and never look each other up: only `prover.strategies.registry` knows them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol

from prover.budget import Budget
from prover.errors import GenerationError
from prover.generate.llm import LanguageModel, Prompt, model_deadline, prompt_text
from prover.protocols import CheckAnswers, Generator, Lean, Recorder, Retriever
from prover.types import (
    Candidate,
    CheckResult,
    Premise,
    ProofState,
    Provenance,
    StartResult,
    StopReason,
    TacticResult,
    Theorem,
    Usage,
    prompt_hash,
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


@dataclass(frozen=True)
class ModelReply:
    """One completion asked through `ProofContext.ask`: its text, cost and author."""

    text: str
    provenance: Provenance
    tokens_in: int
    tokens_out: int
    finish_reason: str | None

    def meta(self) -> dict[str, object]:
        return {
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "finish_reason": self.finish_reason,
        }


@dataclass
class ProofContext:
    """Everything a strategy may use. All Lean and model calls go through it,
    so the budget sees every one of them."""

    lean: Lean
    generator: Generator
    recorder: Recorder
    budget: Budget = field(default_factory=Budget)
    retriever: Retriever | None = None
    seed: int = 0
    on_progress: Callable[[Progress], None] | None = None
    allow_native_decide: bool = False
    checks: CheckAnswers | None = None  # answers of earlier checks, kept in the database

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

    @contextmanager
    def metered(self, usage: Usage | None) -> Iterator[None]:
        """Charge the budget with what `usage` grows by inside the block (even when the
        block raises), and let no model call in it outlive the wall budget: the one
        place model spending is metered."""
        if usage is None:
            with model_deadline(self.budget.remaining_wall()):
                yield
            return
        before = replace(usage)
        try:
            with model_deadline(self.budget.remaining_wall()):
                yield
        finally:
            self.budget.charge_generator(
                usage.calls - before.calls,
                usage.tokens_in - before.tokens_in,
                usage.tokens_out - before.tokens_out,
            )

    def premises_for(self, query: str, k: int = RETRIEVED_PREMISES) -> list[Premise]:
        return self.retriever.search(query, k) if self.retriever is not None else []

    def suggest(
        self, state: str, n: int, premises: Sequence[Premise] | None = None
    ) -> list[Candidate]:
        """Ask the generator for `n` candidates, retrieving premises unless given."""
        shown = list(premises) if premises is not None else self.premises_for(state)
        with self.metered(self.generator.usage):
            return self.generator.suggest(state, shown, n)

    def ask(
        self,
        model: LanguageModel,
        role: str,
        prompt: Prompt,
        *,
        max_tokens: int,
        temperature: float,
    ) -> ModelReply:
        """One completion of `prompt` (`ask_many` with n=1)."""
        return self.ask_many(
            model, role, prompt, n=1, max_tokens=max_tokens, temperature=temperature
        )[0]

    def ask_many(
        self,
        model: LanguageModel,
        role: str,
        prompt: Prompt,
        *,
        n: int,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] = (),
    ) -> list[ModelReply]:
        """`n` completions of `prompt` in one request where the backend can; `role`
        (drafter, sketcher, sampler, …) names the proposer in the graph. `max_tokens` is
        cut to the tokens the budget has left. Raises `GenerationError` when the model
        gives nothing."""
        limit = self.budget.limits.tokens
        if limit is not None:
            spent = self.budget.spent.tokens_in + self.budget.spent.tokens_out
            max_tokens = max(1, min(max_tokens, limit - spent))
        with self.metered(model.usage):
            completions = model.complete(
                prompt,
                n=n,
                max_tokens=max_tokens,
                temperature=temperature,
                **({"stop": tuple(stop)} if stop else {}),
            )
        if not completions:
            raise GenerationError(f"{model.name} returned no completion")
        settings = (("max_tokens", max_tokens), ("temperature", temperature), *model.settings)
        provenance = Provenance(
            generator=role,
            model=model.name,
            settings=settings,
            prompt_hash=prompt_hash(prompt_text(prompt)),
        )
        return [
            ModelReply(c.text, provenance, c.tokens_in, c.tokens_out, c.finish_reason)
            for c in completions
        ]

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

    `reason` is a `StopReason`, stored as it is; `detail` says it for a person
    (`1 of 2 subgoal(s) unproved (…)`).

    A strategy that fails close to a proof (a sketch with unproved holes, an assembled
    proof Lean refused) leaves that text in `near_miss`, with its graph node in `node`,
    so a later stage (repair) can start from it. `report` carries a strategy's own
    account of the attempt where it has one (repair's `RepairResult`).
    """

    proof: str | None
    reason: StopReason
    node: int | None = None
    near_miss: str | None = None
    detail: str = ""
    report: object | None = None


class Strategy(Protocol):
    name: str

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        """Search for a proof of `theorem`; `root` is its statement node in the graph."""
        ...


class Repairer(Protocol):
    """Repairs a near-miss proof whose PROOF_TEXT node is `node`, recording as
    `strategy`; `model` may re-prove holes, `generator` replaces the context's for their
    search. The claim carries the repaired proof, or the best attempt as a near-miss."""

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
    ) -> Claim: ...


def first_line(text: str) -> str:
    """The first line of `text`, at most 200 characters, for a claim's detail."""
    stripped = text.strip()
    return stripped.split("\n", 1)[0][:200] if stripped else "no detail"
