"""Reading whole-proof replies: reasoning dropped, the last complete block taken, the
statement always the theorem's own."""

from __future__ import annotations

import pytest

from prover.generate.whole_proof_reply import (
    ProofBody,
    Refusal,
    Refused,
    last_complete_block,
    read_reply,
    same_statement,
)
from prover.types import Theorem

HEADER = "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 0\n\nopen BigOperators Real Nat"
SIGNATURE = "(x y : ℤ) (h₀ : 0 < y) (h₁ : y < x)\n    (h₂ : x + y + x * y = 80) : x = 26"
STATEMENT = f"theorem amc12a_2015_p10 {SIGNATURE}"
THEOREM = Theorem("amc12a_2015_p10", HEADER, STATEMENT)
PROOF = "by\n  have h₃ : (x + 1) * (y + 1) = 81 := by nlinarith\n  nlinarith [h₃]"


def block(code: str, tag: str = "lean4") -> str:
    return f"```{tag}\n{code}\n```"


def test_reasoning_and_plan_are_dropped_and_the_last_block_is_taken() -> None:
    draft = block(f"{STATEMENT} := by\n  sorry")
    final = block(f"{HEADER}\n\n/-- the answer is 26 -/\n{STATEMENT} := {PROOF}")
    reply = (
        f"<think>Maybe {block('omega')} works?</think>\n### Proof plan\nFactor it.\n"
        f"{draft}\nNow the full proof:\n{final}\nThis uses Simon's trick.\n"
        + block("print('not Lean')", "python")
    )
    reading = read_reply(reply, THEOREM)
    assert reading == ProofBody(PROOF, HEADER)


def test_a_restated_statement_may_differ_only_in_layout_comments_keyword_and_name() -> None:
    restated = (
        "lemma my_name (x y : ℤ) (h₀ : 0 < y) -- positive\n"
        "  (h₁ : y < x) (h₂ : x + y + x * y = 80) :\n  x = 26"
    )
    reading = read_reply(block(f"{restated} := {PROOF}"), THEOREM)
    assert reading == ProofBody(PROOF, "")


@pytest.mark.parametrize(
    "changed",
    [
        "theorem amc12a_2015_p10 (x y : ℤ) (h₀ : 0 < y) (h₁ : y < x)\n"
        "    (h₂ : x + y + x * y = 80) : x = 26 ∨ x = 0",
        "theorem amc12a_2015_p10 (x y : ℤ) (h₀ : 0 < y) (h₁ : y < x) : x = 26",
        "theorem amc12a_2015_p10 (a y : ℤ) (h₀ : 0 < y) (h₁ : y < a)\n"
        "    (h₂ : a + y + a * y = 80) : a = 26",
        "theorem amc12a_2015_p10 (x y : ℕ) (h₀ : 0 < y) (h₁ : y < x)\n"
        "    (h₂ : x + y + x * y = 80) : x = 26",
    ],
)
def test_a_changed_statement_is_refused(changed: str) -> None:
    reading = read_reply(block(f"{changed} := {PROOF}"), THEOREM)
    assert isinstance(reading, Refused)
    assert reading.reason is Refusal.CHANGED_STATEMENT
    assert "not `theorem amc12a_2015_p10 (x y : ℤ)" in reading.detail


def test_helper_lemmas_stay_out_of_the_body_and_the_named_theorem_is_chosen() -> None:
    helper = "lemma helper (a : ℤ) : a + 0 = a := by simp"
    extra = "theorem other : True := trivial"
    code = f"{HEADER}\n\n{helper}\n\n{STATEMENT} := {PROOF}\n\n{extra}"
    reading = read_reply(block(code), THEOREM)
    assert reading == ProofBody(PROOF, f"{HEADER}\n\n{helper}")


def test_without_the_name_the_last_theorem_is_taken() -> None:
    code = f"lemma helper : True := trivial\n\ntheorem renamed {SIGNATURE} := {PROOF}"
    assert read_reply(block(code), THEOREM) == ProofBody(PROOF, "lemma helper : True := trivial")


def test_lean_tag_is_accepted_and_other_tags_ignored() -> None:
    assert read_reply(block(f"{STATEMENT} := {PROOF}", "lean"), THEOREM) == ProofBody(PROOF)
    assert read_reply(block(f"{STATEMENT} := {PROOF}", "Lean4 "), THEOREM) == ProofBody(PROOF)
    untagged = read_reply(block(f"{STATEMENT} := {PROOF}", ""), THEOREM)
    assert untagged == Refused(Refusal.NO_BLOCK, "the reply has no `lean4` code block")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I could not find a proof.", Refusal.NO_BLOCK),
        ("<think>```lean4\ntheorem …", Refusal.NO_BLOCK),
        ("Here it is:\n```lean4\n" + STATEMENT + " := by\n  nlinarith [", Refusal.INCOMPLETE_BLOCK),
        (block("  nlinarith [sq_nonneg x]"), Refusal.NO_THEOREM),
        (block("/- unterminated"), Refusal.NO_THEOREM),
        (block(STATEMENT), Refusal.NO_PROOF),
    ],
)
def test_refusals(reply: str, reason: Refusal) -> None:
    reading = read_reply(reply, THEOREM)
    assert isinstance(reading, Refused) and reading.reason is reason and reading.detail


def test_continuation_of_an_open_block() -> None:
    # DeepSeek-Prover-V1.5: the prompt ends "… := by\n" inside an open fence.
    reply = "  have h₃ : (x + 1) * (y + 1) = 81 := by nlinarith\n  nlinarith [h₃]\n```\nDone."
    assert read_reply(reply, THEOREM, continues_block=True) == ProofBody(PROOF)
    # Cut at the stop string "```": no fence left in the reply, finished normally.
    stopped = "  have h₃ : (x + 1) * (y + 1) = 81 := by nlinarith\n  nlinarith [h₃]\n"
    assert read_reply(stopped, THEOREM, continues_block=True, finish_reason="stop") == (
        ProofBody(PROOF)
    )
    # A command at column 0 after the proof is not part of it.
    trailing = stopped + "\ntheorem junk : False := sorry\n"
    assert read_reply(trailing, THEOREM, continues_block=True) == ProofBody(PROOF)


def test_continuation_refusals() -> None:
    cut = read_reply(
        "  nlinarith [sq_nonneg (x -", THEOREM, continues_block=True, finish_reason="length"
    )
    assert isinstance(cut, Refused) and cut.reason is Refusal.INCOMPLETE_BLOCK
    empty = read_reply("\n```", THEOREM, continues_block=True)
    assert isinstance(empty, Refused) and empty.reason is Refusal.NO_PROOF


def test_last_complete_block() -> None:
    text = f"{block('a')}\n{block('b', 'lean')}\n{block('c', 'python')}\n```lean4\nd"
    assert last_complete_block(text) == "b"
    assert last_complete_block("no code") is None


def test_same_statement() -> None:
    assert same_statement("theorem a (n : ℕ) : n = n", "lemma b (n : ℕ) :\n  n = n /- c -/")
    assert same_statement("@[simp] theorem a : True", "theorem a : True")
    assert not same_statement("theorem a (n : ℕ) : n = n", "theorem a (n : ℤ) : n = n")
    assert not same_statement("not a statement", "theorem a : True")
    assert not same_statement('theorem a : "x" = "x"', 'theorem a : "y" = "y"')
