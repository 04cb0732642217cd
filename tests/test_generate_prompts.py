"""Prompt formats per model family and reading tactics out of replies."""

from __future__ import annotations

import pytest

from prover.generate.llm import cut_at_stop, prompt_text, render_chatml
from prover.generate.prompts import (
    BFSProverFormat,
    ChatFormat,
    InternLMStepProverFormat,
    InternLMStepProverV1Format,
    NtpFormat,
    ReProverFormat,
    detect_format,
    extract_tactic,
    make_format,
    serialize_premise,
)
from prover.types import Premise

STATE = "x : ℕ\nh : x = 3\n⊢ x + 2 = 5"
ADD_COMM = Premise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n")
ADD_ZERO = Premise("Nat.add_zero", "theorem add_zero (n : ℕ) : n + 0 = n")
TYPE_ONLY = Premise("Nat.le_refl", "∀ (n : ℕ), n ≤ n")


def test_premise_serialisation_marks_the_name() -> None:
    assert serialize_premise(ADD_COMM) == "theorem <a>Nat.add_comm</a> (n m : ℕ) : n + m = m + n"
    assert serialize_premise(ADD_ZERO) == "theorem <a>Nat.add_zero</a> (n : ℕ) : n + 0 = n"
    assert serialize_premise(TYPE_ONLY) == "<a>Nat.le_refl</a> : ∀ (n : ℕ), n ≤ n"


def test_reprover_puts_the_best_premise_next_to_the_state() -> None:
    rendered = ReProverFormat().render(STATE, [ADD_COMM, ADD_ZERO])
    assert rendered.prompt == (
        f"{serialize_premise(ADD_ZERO)}\n\n{serialize_premise(ADD_COMM)}\n\n{STATE}"
    )
    assert rendered.premises == (ADD_COMM, ADD_ZERO)


def test_reprover_skips_premises_past_the_byte_budget() -> None:
    huge = Premise("Big.lemma", "theorem Big.lemma : " + "a ∧ " * 200 + "b")
    budget = len(STATE.encode()) + len(serialize_premise(ADD_COMM).encode()) + 2
    rendered = ReProverFormat(max_input_bytes=budget).render(STATE, [huge, ADD_COMM])
    assert rendered.premises == (ADD_COMM,)
    assert len(str(rendered.prompt).encode()) <= budget


def test_reprover_strips_markers_from_outputs() -> None:
    assert ReProverFormat().extract(" rw [<a>Nat.add_comm</a>] ") == "rw [Nat.add_comm]"
    assert ReProverFormat().extract("  ") is None


def test_internlm_stepprover_prompt() -> None:
    rendered = InternLMStepProverFormat().render(STATE, [ADD_COMM])
    assert rendered.prompt == [
        {
            "role": "user",
            "content": f"---\nNAME: \n\n---\nPROOF_BEFORE: \n\n---\nSTATE_BEFORE: {STATE}\n\n"
            "---\nTACTIC: ",
        }
    ]
    assert rendered.premises == ()
    assert InternLMStepProverFormat().stop == ("<|im_end|>",)
    assert render_chatml(rendered.prompt).startswith("<|im_start|>user\n---\nNAME: ")
    assert render_chatml(rendered.prompt).endswith("TACTIC: <|im_end|>\n<|im_start|>assistant\n")


def test_internlm_stepprover_v1_prompt_and_reply() -> None:
    # InternLM/InternLM-Math minif2f/proofsearch_internLM2-StepProver.py (66c887b):
    # `DECL {name}\nGOAL {state}\n` as one user turn; replies start with `PROOFSTEP `.
    fmt = InternLMStepProverV1Format()
    rendered = fmt.render(STATE, [ADD_COMM])
    assert rendered.prompt == [{"role": "user", "content": f"DECL \nGOAL {STATE}\n"}]
    assert rendered.premises == ()
    assert fmt.stop == ("<|im_end|>",)
    assert render_chatml(rendered.prompt) == (
        f"<|im_start|>user\nDECL \nGOAL {STATE}\n<|im_end|>\n<|im_start|>assistant\n"
    )
    assert fmt.extract("PROOFSTEP induction n with t Ht") == "induction n with t Ht"
    assert fmt.extract(" PROOFSTEP simp [h]\n") == "simp [h]"
    assert fmt.extract("omega") == "omega"
    assert fmt.extract("PROOFSTEP ") is None


def test_bfs_prover_prompt_and_echo() -> None:
    fmt = BFSProverFormat()
    assert fmt.render(STATE, [ADD_COMM]).prompt == f"{STATE}:::"
    assert fmt.extract(f"{STATE}:::omega") == "omega"
    assert fmt.extract(" nlinarith [sq_nonneg x]") == "nlinarith [sq_nonneg x]"


def test_ntp_prompt_and_stop() -> None:
    rendered = NtpFormat().render(STATE, [])
    assert str(rendered.prompt).endswith(f"[STATE]\n{STATE}\n[/STATE]\n[TAC]\n")
    assert NtpFormat().extract("simp\n[/TAC]\nmore") == "simp"


def test_chat_prompt_shows_premises_and_says_which() -> None:
    rendered = ChatFormat(max_premises=1).render(STATE, [ADD_COMM, ADD_ZERO])
    assert not isinstance(rendered.prompt, str)
    system, user = rendered.prompt
    assert system["role"] == "system" and "exactly one Lean 4 tactic" in system["content"]
    assert "- Nat.add_comm : theorem Nat.add_comm" in user["content"]
    assert "Nat.add_zero" not in user["content"]
    assert user["content"].endswith(f"Proof state:\n{STATE}\n\nNext tactic:")
    assert rendered.premises == (ADD_COMM,)


@pytest.mark.parametrize(
    ("reply", "tactic"),
    [
        ("omega", "omega"),
        ("  `simp [h]`  ", "simp [h]"),
        ("<think>maybe ring?\nno</think>\nlinarith", "linarith"),
        ("I should try omega.</think>omega", "omega"),
        ("<think>still thinking", None),
        ("Here you go:\n```lean4\nnorm_num [h]\n```\nThis works because…", "norm_num [h]"),
        (
            "```lean\nnlinarith [sq_nonneg (a - b),\n  sq_nonneg (a + b)]\nexact h\n```",
            "nlinarith [sq_nonneg (a - b),\n  sq_nonneg (a + b)]",
        ),
        ("Tactic: exact h", "exact h"),
        ("by simp", "simp"),
        ("```\nrw [h]", "rw [h]"),
        ("", None),
    ],
)
def test_extract_tactic(reply: str, tactic: str | None) -> None:
    assert extract_tactic(reply) == tactic


def test_detect_and_make_format() -> None:
    assert detect_format(
        "kaiyuy/leandojo-lean4-tacgen-byt5-small", seq2seq=True, chat=False
    ).name == ("reprover")
    assert detect_format("internlm/internlm2_5-step-prover", seq2seq=False, chat=False).name == (
        "internlm-stepprover"
    )
    assert detect_format("internlm/internlm2-step-prover", seq2seq=False, chat=False).name == (
        "internlm-stepprover-v1"
    )
    assert make_format("internlm-stepprover-v1").name == "internlm-stepprover-v1"
    assert detect_format("ByteDance-Seed/BFS-Prover-V2-7B", seq2seq=False, chat=True).name == (
        "bfs-prover"
    )
    assert detect_format("gpt2", seq2seq=False, chat=False).name == "ntp"
    assert detect_format("qwen3:8b", seq2seq=False, chat=True).name == "chat"
    assert make_format("ntp").name == "ntp"
    with pytest.raises(ValueError, match="unknown prompt format 'nope'"):
        make_format("nope")


def test_prompt_text_and_stop_cutting() -> None:
    assert prompt_text("abc") == "abc"
    assert (
        prompt_text([{"role": "user", "content": "⊢ p"}]) == '[{"content": "⊢ p", "role": "user"}]'
    )
    assert cut_at_stop("simp\n[/TAC] x", ["[/TAC]", "zzz"]) == "simp\n"
    assert cut_at_stop("simp", []) == "simp"
