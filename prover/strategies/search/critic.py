"""Critics: estimates of how far a proof state is from `no goals` (lower is closer).

The multi-perspective search takes any `Critic`. The default, `HeuristicCritic`,
needs no model: each open goal costs at least one step, and long targets cost more,
about one step per `chars_per_step` characters. `ModelCritic` asks a language model
for the number of steps left (the closeness-to-no-goals question of step-prover
critics) and falls back to the heuristic when the reply holds no number; the search
charges its token usage to the attempt's budget.
"""

from __future__ import annotations

import re
from typing import Protocol

from prover.errors import GenerationError
from prover.generate.llm import LanguageModel
from prover.strategies.search.rules import target_size
from prover.types import ProofState, Usage

CRITIC_PROMPT = (
    "Below is a Lean 4 proof state. Estimate how many more tactic steps are needed to "
    "close every goal. Answer with a single number.\n\n{state}\n\nSteps left:"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class Critic(Protocol):
    name: str

    @property
    def usage(self) -> Usage | None:
        """Cumulative model usage, or None for a critic that uses no model."""
        ...

    def estimate(self, state: ProofState) -> float:
        """Predicted number of tactic steps from `state` to `no goals`."""
        ...


class HeuristicCritic:
    """Distance = open goals + target characters / `chars_per_step`."""

    name = "heuristic"
    usage = None

    def __init__(self, chars_per_step: float = 60.0) -> None:
        if chars_per_step <= 0:
            raise ValueError("chars_per_step must be positive")
        self.chars_per_step = chars_per_step

    def estimate(self, state: ProofState) -> float:
        return len(state.goals) + target_size(state.goals) / self.chars_per_step


class ModelCritic:
    """A language model's estimate of the steps left; the fallback critic's when it has none."""

    def __init__(
        self, model: LanguageModel, *, fallback: Critic | None = None, max_tokens: int = 8
    ) -> None:
        self.model = model
        self.name = f"model:{model.name}"
        self.fallback = fallback or HeuristicCritic()
        self.max_tokens = max_tokens

    @property
    def usage(self) -> Usage:
        return self.model.usage

    def estimate(self, state: ProofState) -> float:
        prompt = CRITIC_PROMPT.format(state=state.text)
        try:
            replies = self.model.complete(
                prompt, n=1, max_tokens=self.max_tokens, temperature=0.0, stop=("\n",)
            )
        except GenerationError:
            return self.fallback.estimate(state)
        number = _NUMBER.search(replies[0].text) if replies else None
        return float(number.group()) if number else self.fallback.estimate(state)
