"""Whole-proof prompt formats: the exact text each model family's own card or code uses."""

from __future__ import annotations

import pytest

from prover.generate.whole_proof_prompts import (
    DeepSeekProverV2Format,
    DeepSeekProverV15Format,
    GenericWholeProofFormat,
    GoedelProverV2Format,
    KiminaProverFormat,
    detect_whole_proof_format,
    informal_prefix,
    make_whole_proof_format,
)
from prover.types import Theorem

HEADER = (
    "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 0\n\n"
    "open BigOperators Real Nat Topology Rat"
)
STATEMENT = "theorem mathd_algebra_10 : abs ((120 : ℝ) / 100 * 30 - 130 / 100 * 20) = 10"
INFORMAL = (
    "What is the positive difference between $120\\%$ of 30 and $130\\%$ of 20? Show that it is 10."
)
THEOREM = Theorem("mathd_algebra_10", HEADER, STATEMENT, informal_statement=INFORMAL)
BARE = Theorem("t", "import Mathlib", "theorem t (p : Prop) (hp : p) : p")

# The Lean text as the DeepSeek-Prover-V2 README's example lays it out (header, blank line,
# `/-- … -/` doc comment, statement).
SOURCE = f"{HEADER}\n\n/-- {INFORMAL}-/\n{STATEMENT}"
PLAN = (
    "Before producing the Lean 4 code to formally prove the given theorem, provide a detailed "
    "proof plan outlining the main proof steps and strategies.\nThe plan should highlight key "
    "ideas, intermediate lemmas, and proof structures that will guide the construction of the "
    "final formal proof."
)


def test_deepseek_v15_completion_prompt_leaves_the_fence_open() -> None:
    # deepseek-ai/DeepSeek-Prover-V1.5 prover/utils.py `non_cot_prompt` with a
    # datasets/minif2f.jsonl row: header "…\n\n", informal_prefix "/-- …-/\n",
    # formal_statement "theorem … := by\n".
    rendered = DeepSeekProverV15Format().render(THEOREM, cot=False)
    assert rendered.prompt == (f"Complete the following Lean 4 code:\n\n```lean4\n{SOURCE} := by\n")
    assert rendered.continues_block and rendered.stop == ("```",) and not rendered.cot
    cot = DeepSeekProverV15Format().render(THEOREM, cot=True)
    assert cot.prompt == (
        "Complete the following Lean 4 code with explanatory comments preceding each line of "
        f"code:\n\n```lean4\n{SOURCE} := by\n"
    )
    assert cot.cot


def test_deepseek_v2_chat_prompt_with_and_without_the_plan() -> None:
    # deepseek-ai/DeepSeek-Prover-V2 README, Quick Start (one user turn).
    cot = DeepSeekProverV2Format().render(THEOREM, cot=True)
    assert cot.prompt == [
        {
            "role": "user",
            "content": "Complete the following Lean 4 code:\n\n```lean4\n"
            f"{SOURCE} := by\n  sorry\n```\n\n{PLAN}",
        }
    ]
    plain = DeepSeekProverV2Format().render(THEOREM, cot=False)
    assert plain.prompt == [
        {
            "role": "user",
            "content": "Complete the following Lean 4 code:\n\n```lean4\n"
            f"{SOURCE} := by\n  sorry\n```",
        }
    ]
    assert cot.cot and not plain.cot and not cot.continues_block and cot.stop == ()


def test_goedel_v2_prompt_closes_the_fence_after_sorry() -> None:
    # Goedel-LM/Goedel-Prover-V2 src/utils.py DeepSeekCoTHandler: `:= by sorry` then "```".
    cot = GoedelProverV2Format().render(THEOREM, cot=True)
    assert cot.prompt == [
        {
            "role": "user",
            "content": "Complete the following Lean 4 code:\n\n```lean4\n"
            f"{SOURCE} := by sorry```\n\n{PLAN}",
        }
    ]
    plain = GoedelProverV2Format().render(THEOREM, cot=False)
    assert plain.prompt == [
        {
            "role": "user",
            "content": f"Complete the following Lean 4 code:\n\n```lean4\n{SOURCE} := by sorry```",
        }
    ]


def test_kimina_prompt_has_system_and_problem_sections() -> None:
    rendered = KiminaProverFormat().render(THEOREM, cot=False)
    assert rendered.prompt == [
        {"role": "system", "content": "You are an expert in mathematics and Lean 4."},
        {
            "role": "user",
            "content": "Think about and solve the following problem step by step in Lean 4.\n"
            f"# Problem:{INFORMAL}\n# Formal statement:\n```lean4\n{SOURCE} := by\n```\n",
        },
    ]
    assert rendered.cot  # the model always reasons first
    bare = KiminaProverFormat().render(BARE, cot=True)
    assert bare.prompt[1]["content"] == (
        "Think about and solve the following problem step by step in Lean 4.\n# Problem:\n"
        "# Formal statement:\n```lean4\nimport Mathlib\n\ntheorem t (p : Prop) (hp : p) : p := by"
        "\n```\n"
    )


def test_generic_prompt() -> None:
    plain = GenericWholeProofFormat().render(BARE, cot=False)
    system, user = plain.prompt
    assert system["role"] == "system" and "Keep its statement exactly as given" in system["content"]
    assert user["content"] == (
        "Complete the following Lean 4 code:\n\n```lean4\nimport Mathlib\n\n"
        "theorem t (p : Prop) (hp : p) : p := by\n  sorry\n```\n\n"
        "Reply with the complete theorem and its proof in one ```lean4 code block only."
    )
    cot = GenericWholeProofFormat().render(BARE, cot=True)
    assert cot.prompt[1]["content"].endswith(
        "Think the proof through first. Then give the complete theorem with its proof in one "
        "final ```lean4 code block."
    )


def test_informal_text_cannot_close_the_doc_comment() -> None:
    tricky = Theorem("t", "", "theorem t : True", informal_statement="a -/ b ")
    assert informal_prefix(tricky) == "/-- a - / b-/\n"
    assert informal_prefix(BARE) == ""
    assert DeepSeekProverV15Format().render(tricky, cot=False).prompt == (
        "Complete the following Lean 4 code:\n\n```lean4\n/-- a - / b-/\ntheorem t : True := by\n"
    )


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("deepseek-ai/DeepSeek-Prover-V1.5-RL", "deepseek-prover-v1.5"),
        ("deepseek-ai/DeepSeek-Prover-V1.5-SFT", "deepseek-prover-v1.5"),
        ("deepseek-ai/DeepSeek-Prover-V2-7B", "deepseek-prover-v2"),
        ("/models/DeepSeek-Prover-V2-671B/", "deepseek-prover-v2"),
        ("Goedel-LM/Goedel-Prover-V2-8B", "goedel-prover-v2"),
        ("Goedel-LM/Goedel-Prover-V2-32B", "goedel-prover-v2"),
        ("AI-MO/Kimina-Prover-Preview-Distill-7B", "kimina-prover"),
        ("kimina-prover-72b", "kimina-prover"),
        ("gpt-4o-mini", "generic"),
        ("deepseek-prover", "generic"),
        ("internlm/internlm2-step-prover", "generic"),
    ],
)
def test_detect_whole_proof_format(model_id: str, name: str) -> None:
    assert detect_whole_proof_format(model_id).name == name


def test_make_whole_proof_format_by_name() -> None:
    assert make_whole_proof_format("goedel-prover-v2").name == "goedel-prover-v2"
    with pytest.raises(ValueError, match="unknown whole-proof format 'nope'; choose one of"):
        make_whole_proof_format("nope")
