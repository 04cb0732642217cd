"""One metered call to a language model: the reply, its cost, and who wrote it."""

from __future__ import annotations

from dataclasses import dataclass

from prover.attempt import ProofContext
from prover.generate.llm import (
    GenerationError,
    LanguageModel,
    Prompt,
    model_deadline,
    prompt_text,
)
from prover.types import Provenance, prompt_hash


@dataclass(frozen=True)
class ModelReply:
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


def ask(
    model: LanguageModel,
    role: str,
    prompt: Prompt,
    ctx: ProofContext,
    *,
    max_tokens: int,
    temperature: float,
) -> ModelReply:
    """One completion of `prompt`, charged to `ctx`'s budget; `role` (drafter, sketcher)
    names the proposer in the graph. `max_tokens` is cut to the tokens the budget has
    left. Raises `GenerationError` when the model gives nothing."""
    limit = ctx.budget.limits.tokens
    if limit is not None:
        spent = ctx.budget.spent.tokens_in + ctx.budget.spent.tokens_out
        max_tokens = max(1, min(max_tokens, limit - spent))
    before_calls, before_in, before_out = (
        model.usage.calls,
        model.usage.tokens_in,
        model.usage.tokens_out,
    )
    try:
        with model_deadline(ctx.budget.remaining_wall()):
            completions = model.complete(
                prompt, n=1, max_tokens=max_tokens, temperature=temperature
            )
    finally:
        ctx.budget.charge_generator(
            model.usage.calls - before_calls,
            model.usage.tokens_in - before_in,
            model.usage.tokens_out - before_out,
        )
    if not completions:
        raise GenerationError(f"{model.name} returned no completion")
    first = completions[0]
    settings = (("max_tokens", max_tokens), ("temperature", temperature), *model.settings)
    provenance = Provenance(
        generator=role,
        model=model.name,
        settings=settings,
        prompt_hash=prompt_hash(prompt_text(prompt)),
    )
    return ModelReply(
        first.text, provenance, first.tokens_in, first.tokens_out, first.finish_reason
    )
