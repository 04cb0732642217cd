"""The text-completion interface shared by tactic generators, drafters and sketchers.

A prompt is either plain text (a completion prompt) or a list of chat messages
(`{"role": "system" | "user" | "assistant", "content": ...}`). Every backend returns
`Completion`s and keeps a cumulative `usage`.

Token accounting: a request's prompt tokens are charged to the first completion it
returned and completion tokens to the completion that produced them, so summing
`tokens_in`/`tokens_out` over what `complete` returned gives exactly what was added to
`usage`. Where a backend had to guess a count (the server sent no `usage`), the
completion says `tokens_estimated=True`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from prover.errors import GenerationError
from prover.types import Usage

ChatMessage = Mapping[str, str]
Prompt = str | Sequence[ChatMessage]

CHARS_PER_TOKEN = 4  # the usual rule of thumb for English and code with BPE vocabularies


@dataclass(frozen=True)
class Completion:
    """One sampled continuation. `logprob` is its total log-probability, when known."""

    text: str
    logprob: float | None
    tokens_in: int
    tokens_out: int
    tokens_estimated: bool = False
    finish_reason: str | None = None


class GenerationTimeout(GenerationError):
    """The attempt's time ran out while a model call waited: it ends on time."""

    code = "generator_timeout"


# Monotonic time by which model calls made in this context must have ended (None: no bound).
_DEADLINE: ContextVar[float | None] = ContextVar("leanwb_model_deadline", default=None)


@contextmanager
def model_deadline(seconds: float | None) -> Iterator[None]:
    """Model calls made inside must end within `seconds` from now (None adds no bound);
    an enclosing deadline that falls earlier still holds."""
    deadline = _DEADLINE.get()
    if seconds is not None:
        mine = time.monotonic() + max(0.0, seconds)
        deadline = mine if deadline is None else min(deadline, mine)
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def current_deadline() -> float | None:
    """The deadline `model_deadline` set for this context (monotonic seconds), if any."""
    return _DEADLINE.get()


class LanguageModel(Protocol):
    name: str  # the spec it was made from, e.g. "openai:gpt-4o-mini"
    model: str  # the model id as the backend knows it
    usage: Usage
    settings: tuple[tuple[str, Any], ...]  # backend settings worth recording as provenance

    def complete(
        self,
        prompt: Prompt,
        *,
        n: int = 1,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> list[Completion]:
        """`n` completions of `prompt`. Raises `GenerationError` when none can be had."""
        ...

    def complete_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        n: int = 1,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> list[list[Completion]]:
        """`complete` for several prompts, batched where the backend can."""
        ...


def prompt_text(prompt: Prompt) -> str:
    """The prompt as one string: itself, or the messages as canonical JSON (for hashing)."""
    if isinstance(prompt, str):
        return prompt
    return json.dumps([dict(m) for m in prompt], ensure_ascii=False, sort_keys=True)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def render_chatml(messages: Sequence[ChatMessage]) -> str:
    """ChatML (`<|im_start|>role\\n…<|im_end|>`), ending with an open assistant turn.

    The rendering InternLM's own proof-search script uses for InternLM2.5-StepProver
    (InternLM/InternLM-Math, minif2f/proofsearch_internLM2.5-StepProver.py).
    """
    turns = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
    return "".join(turns) + "<|im_start|>assistant\n"


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to the first stop string (the stop string itself excluded)."""
    cut = min((i for s in stop if s and (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]
