"""Whole-proof prompt formats, one per model family: the model writes the entire proof.

Every format shows the theorem's own header and statement (with the informal statement
when the dataset has one) and asks for a proof, either as a chat (the reply's last
`lean4` block holds the proof) or as a completion that continues an open `lean4` fence.
`cot` asks for the family's chain-of-thought mode where it has one. Each template is
taken from the family's own card or code, cited beside it; `tests/test_whole_proof_prompts.py`
pins the exact text.

Layout of the Lean text (all families): the header, a blank line, the informal statement
as a doc comment `/-- … -/` (the `informal_prefix` layout of DeepSeek-Prover-V1.5's
`datasets/minif2f.jsonl`, which Goedel-Prover-V2's `dataset/minif2f.jsonl` shares), then
the statement. That is how the header and statement appear in every card's example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from prover.generate.llm import Prompt
from prover.types import Theorem


@dataclass(frozen=True)
class WholeProofPrompt:
    prompt: Prompt
    format: str  # the format's name, for provenance
    cot: bool  # whether the prompt asks for (or the model always gives) a chain of thought
    continues_block: bool  # the prompt leaves a `lean4` fence open; the reply continues it
    stop: tuple[str, ...] = ()  # strings that end a completion


class WholeProofFormat(Protocol):
    @property
    def name(self) -> str: ...

    def render(self, theorem: Theorem, *, cot: bool) -> WholeProofPrompt: ...


def informal_prefix(theorem: Theorem) -> str:
    """The informal statement as a doc comment line (empty without one).

    A `-/` inside the text would end the comment early, so it is split."""
    if not theorem.informal_statement or not theorem.informal_statement.strip():
        return ""
    text = theorem.informal_statement.strip().replace("-/", "- /")
    return f"/-- {text}-/\n"


def lean_source(theorem: Theorem, ending: str) -> str:
    """Header, blank line, informal doc comment, statement, then `ending`."""
    header = theorem.header.strip()
    head = f"{header}\n\n" if header else ""
    return f"{head}{informal_prefix(theorem)}{theorem.statement}{ending}"


# deepseek-ai/DeepSeek-Prover-V1.5, `prover/utils.py` (read at da2a54b, the only stored
# version; the brief cites 2c4ba91): `non_cot_prompt` and `cot_prompt` open the fence and
# leave it open (`…\n\n```lean4\n{header}{informal_prefix}{formal_statement}`), where
# `formal_statement` ends with `:= by\n` (datasets/minif2f.jsonl at 2c4ba91).
# `post_process_output` keeps the completion up to the first "```".
V15_PLAIN_LEAD = "Complete the following Lean 4 code:"
V15_COT_LEAD = (
    "Complete the following Lean 4 code with explanatory comments preceding each line of code:"
)
CLOSING_FENCE = "```"


@dataclass(frozen=True)
class DeepSeekProverV15Format:
    name: str = "deepseek-prover-v1.5"

    def render(self, theorem: Theorem, *, cot: bool) -> WholeProofPrompt:
        lead = V15_COT_LEAD if cot else V15_PLAIN_LEAD
        code = lean_source(theorem, " := by\n")
        text = f"{lead}\n\n```lean4\n{code}"
        return WholeProofPrompt(text, self.name, cot, True, (CLOSING_FENCE,))


# The proof-plan instruction of DeepSeek-Prover-V2 and Goedel-Prover-V2 (same text in both).
PROOF_PLAN = (
    "Before producing the Lean 4 code to formally prove the given theorem, provide a "
    "detailed proof plan outlining the main proof steps and strategies.\n"
    "The plan should highlight key ideas, intermediate lemmas, and proof structures that "
    "will guide the construction of the final formal proof."
)


# deepseek-ai/DeepSeek-Prover-V2 README (24ec082), "Quick Start": one user message,
# `Complete the following Lean 4 code:\n\n```lean4\n{}\n```\n\n` + PROOF_PLAN, where `{}` is
# header, doc comment and `theorem … := by\n  sorry` (the template is `.strip()`ped).
# The card gives only this chain-of-thought prompt; the plain mode drops the PROOF_PLAN
# paragraph (our reading of the card's two modes, not a text the card prints).
@dataclass(frozen=True)
class DeepSeekProverV2Format:
    name: str = "deepseek-prover-v2"

    def render(self, theorem: Theorem, *, cot: bool) -> WholeProofPrompt:
        code = lean_source(theorem, " := by\n  sorry")
        text = f"Complete the following Lean 4 code:\n\n```lean4\n{code}\n```"
        if cot:
            text += f"\n\n{PROOF_PLAN}"
        return WholeProofPrompt([{"role": "user", "content": text}], self.name, cot, False)


# Goedel-LM/Goedel-Prover-V2 `src/utils.py` (2e9036e), `DeepSeekCoTHandler.prover_inference`,
# the handler its pipeline runs: the statement is cut at `:= by` and `:= by sorry` appended,
# and the fence closes right after it: `…\n```lean4\n{formal_statement}```\n\n` + PROOF_PLAN.
# (Its README example differs only there: `  sorry` on its own line, then "```".) Its plain
# mode (`DeepSeekNonCoTHandler`) is the V1.5 completion prompt, `deepseek-prover-v1.5` here;
# this chat format's plain mode drops the PROOF_PLAN paragraph instead.
@dataclass(frozen=True)
class GoedelProverV2Format:
    name: str = "goedel-prover-v2"

    def render(self, theorem: Theorem, *, cot: bool) -> WholeProofPrompt:
        code = lean_source(theorem, " := by sorry")
        text = f"Complete the following Lean 4 code:\n\n```lean4\n{code}```"
        if cot:
            text += f"\n\n{PROOF_PLAN}"
        return WholeProofPrompt([{"role": "user", "content": text}], self.name, cot, False)


# Kimina-Prover Preview (AI-MO/Kimina-Prover-Preview-Distill-7B card). The card itself is not
# in the stored corpora; the text is taken from Goedel-LM/Goedel-Prover-V2 `src/utils.py`
# (2e9036e) `KiminaCoTHandler.prover_inference`, which cites that card: system
# "You are an expert in mathematics and Lean 4."; user "Think about and solve the following
# problem step by step in Lean 4." + "\n# Problem:{problem}" + "\n# Formal statement:\n```lean4
# \n{formal_statement}\n```\n", the statement cut at `:= by` (no `sorry`). Independent public
# copies of the card's example agree. The card passes the informal problem as `{problem}`
# (Goedel passes the Lean text instead); we pass the informal statement, or nothing.
# The model always reasons first, so `cot` is always true.
KIMINA_SYSTEM = "You are an expert in mathematics and Lean 4."
KIMINA_LEAD = "Think about and solve the following problem step by step in Lean 4."


@dataclass(frozen=True)
class KiminaProverFormat:
    name: str = "kimina-prover"

    def render(self, theorem: Theorem, *, cot: bool) -> WholeProofPrompt:
        problem = (theorem.informal_statement or "").strip()
        code = lean_source(theorem, " := by")
        user = f"{KIMINA_LEAD}\n# Problem:{problem}\n# Formal statement:\n```lean4\n{code}\n```\n"
        messages = [{"role": "system", "content": KIMINA_SYSTEM}, {"role": "user", "content": user}]
        return WholeProofPrompt(messages, self.name, True, False)


# Our own prompt for chat models of no known prover family.
GENERIC_SYSTEM = (
    "You are an expert in Lean 4 and Mathlib. Prove the theorem you are given. Keep its "
    "statement exactly as given. Do not use `sorry`, `admit`, or new axioms."
)
GENERIC_COT = (
    "Think the proof through first. Then give the complete theorem with its proof in one "
    "final ```lean4 code block."
)
GENERIC_PLAIN = "Reply with the complete theorem and its proof in one ```lean4 code block only."


@dataclass(frozen=True)
class GenericWholeProofFormat:
    name: str = "generic"

    def render(self, theorem: Theorem, *, cot: bool) -> WholeProofPrompt:
        code = lean_source(theorem, " := by\n  sorry")
        ask = GENERIC_COT if cot else GENERIC_PLAIN
        user = f"Complete the following Lean 4 code:\n\n```lean4\n{code}\n```\n\n{ask}"
        messages = [
            {"role": "system", "content": GENERIC_SYSTEM},
            {"role": "user", "content": user},
        ]
        return WholeProofPrompt(messages, self.name, cot, False)


WHOLE_PROOF_FORMATS: dict[str, Callable[[], WholeProofFormat]] = {
    "deepseek-prover-v1.5": DeepSeekProverV15Format,
    "deepseek-prover-v2": DeepSeekProverV2Format,
    "goedel-prover-v2": GoedelProverV2Format,
    "kimina-prover": KiminaProverFormat,
    "generic": GenericWholeProofFormat,
}


def make_whole_proof_format(name: str) -> WholeProofFormat:
    try:
        return WHOLE_PROOF_FORMATS[name]()
    except KeyError:
        known = ", ".join(sorted(WHOLE_PROOF_FORMATS))
        raise ValueError(f"unknown whole-proof format {name!r}; choose one of {known}") from None


def detect_whole_proof_format(model_id: str) -> WholeProofFormat:
    """The format a model's id names (`generic` for a model of no known family).

    Matched on the id's last path component, so `deepseek-ai/DeepSeek-Prover-V2-7B`, a
    local `…/DeepSeek-Prover-V2-7B` checkout and a server alias `deepseek-prover-v2` agree.
    """
    base = model_id.strip().rstrip("/").rsplit("/", 1)[-1].lower().replace("_", "-")
    if "kimina-prover" in base:
        return KiminaProverFormat()
    if "goedel-prover-v2" in base:
        return GoedelProverV2Format()
    if "deepseek-prover-v2" in base:
        return DeepSeekProverV2Format()
    if "deepseek-prover-v1.5" in base or "deepseek-prover-v1-5" in base:
        return DeepSeekProverV15Format()
    return GenericWholeProofFormat()
