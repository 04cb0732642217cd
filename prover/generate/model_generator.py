"""A tactic generator on top of any `LanguageModel` and a prompt format.

Scores: when the backend reports log-probabilities for every completion, a tactic's
score is the best total log-probability among the completions that yielded it (a
tactic sampled twice keeps its best). Otherwise the score is the log of the tactic's
frequency among the samples (`log(count / samples)`), an estimate of the same
quantity; provenance records which (`score`: `logprob` or `frequency`). Candidates are
sorted best first; a tactic is proposed once; replies with no tactic, or with `sorry`
or `admit`, are dropped, so fewer than `n` candidates may come back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from prover.generate.llm import Completion, LanguageModel, prompt_text
from prover.generate.prompts import TacticFormat
from prover.types import Candidate, Premise, Provenance, Usage, prompt_hash

_FORBIDDEN = re.compile(r"(?<![\w.])(sorry|admit)(?![\w'])")
DEFAULT_MAX_TOKENS = 128


class ModelGenerator:
    def __init__(
        self,
        name: str,
        lm: LanguageModel,
        prompt_format: TacticFormat,
        *,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self.name = name
        self.lm = lm
        self.prompt_format = prompt_format
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.usage: Usage = lm.usage  # the backend's own account, updated as it works

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        return self.suggest_batch([state], [premises], n)[0]

    def suggest_batch(
        self, states: Sequence[str], premises: Sequence[Sequence[Premise]], n: int
    ) -> list[list[Candidate]]:
        """Candidates for several states at once (one batched model call where possible)."""
        if n <= 0 or not states:
            return [[] for _ in states]
        rendered = [self.prompt_format.render(s, p) for s, p in zip(states, premises, strict=True)]
        replies = self.lm.complete_batch(
            [r.prompt for r in rendered],
            n=n,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            stop=self.prompt_format.stop,
        )
        return [
            self._candidates(completions, prompt_hash(prompt_text(r.prompt)), r.premises, n)
            for completions, r in zip(replies, rendered, strict=True)
        ]

    def _candidates(
        self,
        completions: Sequence[Completion],
        digest: str,
        shown: tuple[Premise, ...],
        n: int,
    ) -> list[Candidate]:
        by_logprob = bool(completions) and all(c.logprob is not None for c in completions)
        best: dict[str, float] = {}
        counts: dict[str, int] = {}
        for completion in completions:
            tactic = self.prompt_format.extract(completion.text)
            if tactic is None or _FORBIDDEN.search(tactic):
                continue
            counts[tactic] = counts.get(tactic, 0) + 1
            if by_logprob:
                best[tactic] = max(best.get(tactic, -math.inf), completion.logprob or 0.0)
        total = len(completions)
        scores = best if by_logprob else {t: math.log(c / total) for t, c in counts.items()}
        settings = self._settings(n, "logprob" if by_logprob else "frequency")
        provenance = Provenance(
            generator=self.name,
            model=self.lm.model,
            settings=settings,
            prompt_hash=digest,
            premises=shown,
        )
        ranked = sorted(scores.items(), key=lambda item: -item[1])  # stable: first seen wins
        return [Candidate(text=t, score=s, provenance=provenance) for t, s in ranked[:n]]

    def _settings(self, n: int, score: str) -> tuple[tuple[str, Any], ...]:
        settings: dict[str, Any] = dict(self.lm.settings)
        settings.update(
            format=self.prompt_format.name,
            max_tokens=self.max_tokens,
            n=n,
            score=score,
            temperature=self.temperature,
        )
        return tuple(sorted(settings.items()))
