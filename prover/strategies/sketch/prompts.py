"""The drafter's and the sketcher's prompts, and how their replies are read.

After DSP+ (§3.1–3.2 of /work/shared/research/algorithms.md): the drafter sees the
formal statement (and the informal one when the dataset has it, never a reference
proof) and writes short numbered steps, one fact or calculation each; its reasoning
trace is dropped. The sketcher turns those steps into a Lean 4 proof in which every
step is a `have` proved by `sorry`, followed by a line that closes the goal from
them; its first fenced `lean4`/`lean` block is taken.
"""

from __future__ import annotations

from prover.generate.llm import ChatMessage
from prover.generate.prompts import strip_thinking
from prover.types import Theorem

DRAFT_SYSTEM = (
    "You are a careful mathematician drafting a proof. Write a concise proof of the "
    "statement as numbered steps. Each step states exactly one fact or one calculation, "
    "with as little prose as possible. Do not write Lean code."
)
SKETCH_SYSTEM = (
    "You are an expert in Lean 4 and Mathlib. Turn the numbered proof into a Lean 4 "
    "proof sketch of the given theorem. Write every step as "
    "`have hN : <statement> := by sorry`, where `hN` numbers the step; prefer many small, "
    "easy steps, and do not prove them. When a step needs earlier hypotheses, you may write "
    "`by prove_with [h₀, h2]` instead of `by sorry` to list them. End with one line that "
    "closes the goal from the steps. Write the type of `/` and `-` explicitly (ℕ division "
    "and subtraction truncate). Reply with the whole theorem in one ```lean4 code block."
)


def draft_prompt(theorem: Theorem) -> list[ChatMessage]:
    informal = (
        f"Informal statement:\n{theorem.informal_statement.strip()}\n\n"
        if theorem.informal_statement
        else ""
    )
    user = (
        f"Formal statement (Lean 4):\n```lean4\n{theorem.statement}\n```\n\n{informal}"
        "Write the proof as numbered steps."
    )
    return [{"role": "system", "content": DRAFT_SYSTEM}, {"role": "user", "content": user}]


def sketch_prompt(theorem: Theorem, draft: str) -> list[ChatMessage]:
    user = (
        f"Theorem:\n```lean4\n{theorem.statement} := by\n  sorry\n```\n\n"
        f"Proof in numbered steps:\n{draft}\n\nWrite the Lean 4 proof sketch."
    )
    return [{"role": "system", "content": SKETCH_SYSTEM}, {"role": "user", "content": user}]


def read_draft(reply: str) -> str:
    """The draft without its reasoning trace ('' when the reply was all reasoning)."""
    return strip_thinking(reply).strip()
