"""repair.conjecture: what the model is told, and how its replies are read."""

from __future__ import annotations

import pytest

from prover.types import Message, Position, Severity, Theorem
from repair.conjecture import correction_prompt, hole_context, proof_from_reply, script_from_reply
from repair.diagnose import Diagnosis, ErrorClass

THEOREM = Theorem("t", "import Mathlib", "theorem t (p q : Prop) (h : p ∧ q) : q ∧ p")


@pytest.mark.parametrize(
    ("reply", "proof"),
    [
        # the whole theorem: only its proof is kept (its statement is the model's copy)
        ("```lean4\ntheorem t (p q : Prop) : q := by\n  simp\n```", "by\n  simp"),
        ("```lean\ntheorem wrong_name : True :=\n  ⟨h.2, h.1⟩\n```", "⟨h.2, h.1⟩"),
        # bare tactics become a `by` block; a `by` block is kept
        (
            "```lean4\nobtain ⟨a, b⟩ := h\nexact ⟨b, a⟩\n```",
            "by\n  obtain ⟨a, b⟩ := h\n  exact ⟨b, a⟩",
        ),
        ("Here:\n```\nby\n  omega\n```", "by\n  omega"),
        ("<think>maybe simp</think>\nomega", "by\n  omega"),
        # header lines inside the block are dropped
        ("```lean4\nimport Mathlib\nopen Nat\nby decide\n```", "by decide"),
        ("```lean4\n```", None),
        ("```lean4\ntheorem t : q\n```", None),
    ],
)
def test_the_proof_is_read_from_the_reply(reply: str, proof: str | None) -> None:
    assert proof_from_reply(reply) == proof


def test_a_script_is_split_into_refined_top_level_steps() -> None:
    reply = "```lean4\ncases h with a b,\nconstructor\n· exact b\n· exact a\n```"
    assert script_from_reply(reply, THEOREM) == [
        "obtain ⟨a, b⟩ := h",
        "constructor",
        "· exact b",
        "· exact a",
    ]
    assert script_from_reply("```lean4\nhave x : p := by\n  exact h.1\nsimp\n```", THEOREM) == [
        "have x : p := by\n  exact h.1",
        "simp",
    ]
    # a term is used with `exact`
    assert script_from_reply("```lean4\n⟨h.2, h.1⟩\n```", THEOREM) == ["exact ⟨h.2, h.1⟩"]
    assert script_from_reply("```lean4\nfun x, x\n```", THEOREM) == ["exact fun x => x"]
    assert script_from_reply("```lean4\n```", THEOREM) == []


def test_the_prompt_carries_the_previous_proof_the_failing_step_and_the_error() -> None:
    message = Message(
        Severity.ERROR, Position(2, 8), None, "type mismatch\n  h\nhas type\n  p ∧ q : Prop"
    )
    diagnosis = Diagnosis(ErrorClass.TYPE_MISMATCH, message, 1, 8)
    context = hole_context("by\n  exact h", "exact h", diagnosis)
    system, ask, previous, feedback = correction_prompt(THEOREM, context, "p q : Prop\n⊢ q ∧ p")
    assert system["role"] == "system" and ask["role"] == "user"
    assert previous == {
        "role": "assistant",
        "content": f"```lean4\n{THEOREM.statement} := by\n  exact h\n```",
    }
    assert (
        "```lean4\nexact h\n```\nfailed with type_mismatch: type mismatch h has type p ∧ q : Prop"
        in feedback["content"]
    )
    assert "```\np q : Prop\n⊢ q ∧ p\n```" in feedback["content"]
    left_open = hole_context("by\n  sorry", "", None)
    assert (
        "Lean says: the proof leaves this goal open"
        in correction_prompt(THEOREM, left_open, "⊢ q")[3]["content"]
    )
