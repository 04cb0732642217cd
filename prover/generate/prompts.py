"""Tactic prompt formats, one per model family, and how to read a tactic back out.

Each format turns (state, retrieved premises) into a prompt (plain text for completion
models, chat messages for chat models) and says which premises it actually showed.
Sources, and what was checked against them:

`reprover` — ReProver's ByT5 tactic generator (lean-dojo/ReProver, `common.py`
    `format_augmented_state`; digest in /work/shared/research/algorithms.md §1.4).
    Verified in the source: each premise is serialised and followed by a blank line,
    premises are *prepended* so the best-ranked one ends up nearest the state, a
    premise that would overflow the byte budget (max input bytes minus the state's
    UTF-8 length) is skipped, and the state comes last. Premise serialisation wraps the
    declared name in `<a>…</a>`; the generator's outputs carry the same markers, which
    `extract` strips. Our `Premise.statement` may not be ReProver's exact source text,
    so the serialisation is an approximation of theirs (see `serialize_premise`).
`internlm-stepprover` — InternLM2.5-StepProver. Verified in the model card
    (huggingface.co/internlm/internlm2_5-step-prover) and in InternLM's search script
    (InternLM/InternLM-Math, minif2f/proofsearch_internLM2.5-StepProver.py): one user
    message `---\\nNAME: {name}\\n\\n---\\nPROOF_BEFORE: {steps}\\n\\n---\\nSTATE_BEFORE:
    {state}\\n\\n---\\nTACTIC: ` in ChatML, stop at `<|im_end|>`. Assumed: the Generator
    interface gives us neither the theorem name nor the tactics so far, so NAME and
    PROOF_BEFORE are left empty (their script also ran with PROOF_BEFORE empty at the
    root). No premises.
`internlm-stepprover-v1` — InternLM2-StepProver, the first version
    (huggingface.co/internlm/internlm2-step-prover, card "Dialogue Example"; and InternLM's
    search script InternLM/InternLM-Math `minif2f/proofsearch_internLM2-StepProver.py` at
    66c887b, `_prompt_function` and `prompt_style_internlm_chat_stepprover_extractor`):
    one user message `DECL {name}\nGOAL {state}\n` in ChatML, stop at `<|im_end|>`; the
    reply is `PROOFSTEP {tactic}` and the `PROOFSTEP ` prefix is stripped. Assumed, as for
    2.5: the Generator interface gives no theorem name, so DECL is left empty. No premises.
`bfs-prover` — BFS-Prover V1/V2 (model cards ByteDance-Seed/BFS-Prover-V1-7B and
    -V2-7B): plain completion of `{state}:::`; the decoded text after `:::` is the
    tactic. Verified in the cards. No premises, no chat template.
`ntp` — a generic causal format: the state-only instruction prompt of cmu-l3/ntp-toolkit
    (`scripts/instruction_tuning.py`, `prompt_state_tactic`, the format LLMLean's models
    are tuned on): `[STATE]…[/STATE]\\n[TAC]\\n`, the model answers `tactic\\n[/TAC]`.
    Verified in the source. Used for causal models of no known family.
`chat` — our own instruction for general chat models behind an OpenAI-compatible
    server: a system message asking for exactly one tactic, then the premises (name and
    statement) and the state. Replies are cleaned by `extract_tactic`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from prover.generate.llm import Prompt
from prover.types import Premise


@dataclass(frozen=True)
class RenderedPrompt:
    prompt: Prompt
    premises: tuple[Premise, ...]  # the premises the prompt actually shows, in rank order


class TacticFormat(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def stop(self) -> tuple[str, ...]:
        """Strings that end a completion (the backend cuts the text there)."""
        ...

    def render(self, state: str, premises: Sequence[Premise]) -> RenderedPrompt: ...

    def extract(self, text: str) -> str | None:
        """The tactic in a model's reply, or None when there is none."""
        ...


REPROVER_MAX_INPUT_BYTES = 2048  # ReProver's evaluation setting (max_inp_seq_len)


@dataclass(frozen=True)
class ReProverFormat:
    max_input_bytes: int = REPROVER_MAX_INPUT_BYTES
    name: str = "reprover"
    stop: tuple[str, ...] = ()

    def render(self, state: str, premises: Sequence[Premise]) -> RenderedPrompt:
        budget = self.max_input_bytes - len(state.encode())
        used = 0
        shown: list[Premise] = []
        text = ""
        for premise in premises:
            block = f"{serialize_premise(premise)}\n\n"
            size = len(block.encode())
            if used + size > budget:
                continue
            used += size
            text = block + text  # prepend: the best premise ends up next to the state
            shown.append(premise)
        return RenderedPrompt(text + state, tuple(shown))

    def extract(self, text: str) -> str | None:
        return _nonempty(text.replace("<a>", "").replace("</a>", ""))


def serialize_premise(premise: Premise) -> str:
    """The premise's text with its name marked `<a>name</a>`, as ReProver serialises it.

    The longest dotted suffix of the name that appears as a word of the statement is
    replaced by the marked full name; a statement that never mentions the name (just a
    type) becomes `<a>name</a> : statement`.
    """
    marked = f"<a>{premise.name}</a>"
    fields = premise.name.split(".")
    for i in range(len(fields)):
        suffix = re.escape(".".join(fields[i:]))
        pattern = rf"(?<![\w.'])«?{suffix}»?(?![\w.'])"
        if re.search(pattern, premise.statement):
            return re.sub(pattern, lambda _: marked, premise.statement, count=1)
    return f"{marked} : {premise.statement}"


@dataclass(frozen=True)
class InternLMStepProverFormat:
    name: str = "internlm-stepprover"
    stop: tuple[str, ...] = ("<|im_end|>",)

    def render(self, state: str, premises: Sequence[Premise]) -> RenderedPrompt:
        content = (
            f"---\nNAME: \n\n---\nPROOF_BEFORE: \n\n---\nSTATE_BEFORE: {state}\n\n---\nTACTIC: "
        )
        return RenderedPrompt([{"role": "user", "content": content}], ())

    def extract(self, text: str) -> str | None:
        return _nonempty(text)


PROOFSTEP_PREFIX = "PROOFSTEP "


@dataclass(frozen=True)
class InternLMStepProverV1Format:
    name: str = "internlm-stepprover-v1"
    stop: tuple[str, ...] = ("<|im_end|>",)

    def render(self, state: str, premises: Sequence[Premise]) -> RenderedPrompt:
        return RenderedPrompt([{"role": "user", "content": f"DECL \nGOAL {state}\n"}], ())

    def extract(self, text: str) -> str | None:
        return _nonempty(text.lstrip().removeprefix(PROOFSTEP_PREFIX))


BFS_SEPARATOR = ":::"


@dataclass(frozen=True)
class BFSProverFormat:
    name: str = "bfs-prover"
    stop: tuple[str, ...] = ()

    def render(self, state: str, premises: Sequence[Premise]) -> RenderedPrompt:
        return RenderedPrompt(f"{state}{BFS_SEPARATOR}", ())

    def extract(self, text: str) -> str | None:
        # The model echoes the state when a whole sequence is decoded; keep what follows.
        return _nonempty(text.rsplit(BFS_SEPARATOR, 1)[-1])


NTP_INSTRUCTION = (
    "/- You are proving a theorem in Lean 4.\n"
    "You are given the following information:\n"
    "- The current proof state, inside [STATE]...[/STATE]\n\n"
    "Your task is to generate the next tactic in the proof.\n"
    "Put the next tactic inside [TAC]...[/TAC]\n"
    "-/\n"
)


@dataclass(frozen=True)
class NtpFormat:
    name: str = "ntp"
    stop: tuple[str, ...] = ("[/TAC]",)

    def render(self, state: str, premises: Sequence[Premise]) -> RenderedPrompt:
        return RenderedPrompt(f"{NTP_INSTRUCTION}[STATE]\n{state}\n[/STATE]\n[TAC]\n", ())

    def extract(self, text: str) -> str | None:
        return _nonempty(text.split("[/TAC]", 1)[0])


CHAT_SYSTEM = (
    "You are an expert in Lean 4 and Mathlib. You are given a tactic proof state. "
    "Reply with exactly one Lean 4 tactic that makes progress on the first goal. "
    "Reply with the tactic only: no explanation, no code fence, no `by`."
)
CHAT_MAX_PREMISES = 8


@dataclass(frozen=True)
class ChatFormat:
    max_premises: int = CHAT_MAX_PREMISES
    name: str = "chat"
    stop: tuple[str, ...] = ()

    def render(self, state: str, premises: Sequence[Premise]) -> RenderedPrompt:
        shown = tuple(premises[: self.max_premises])
        lemmas = "".join(f"- {p.name} : {p.statement}\n" for p in shown)
        user = (f"Lemmas that may help:\n{lemmas}\n" if lemmas else "") + (
            f"Proof state:\n{state}\n\nNext tactic:"
        )
        messages = [{"role": "system", "content": CHAT_SYSTEM}, {"role": "user", "content": user}]
        return RenderedPrompt(messages, shown)

    def extract(self, text: str) -> str | None:
        return extract_tactic(text)


_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|$)", re.DOTALL)
_TAGGED_FENCE = re.compile(r"```(?P<lang>[^\n`]*)\n(?P<code>.*?)(?:```|$)", re.DOTALL)
_LEAN_FENCES = ("lean4", "lean")
_HEADER_LINE = re.compile(r"^\s*(?:import|open|set_option)\s.*$", re.MULTILINE)
_LABEL = re.compile(r"^(?:next tactic|tactic)\s*:\s*", re.IGNORECASE)


def strip_thinking(reply: str) -> str:
    """The reply without its reasoning: what follows the last `</think>`; with an unclosed
    `<think>` the rest is all reasoning, so only what precedes it is kept."""
    if "</think>" in reply:
        return reply.rsplit("</think>", 1)[1]
    if "<think>" in reply:
        return reply.split("<think>", 1)[0]
    return reply


def extract_tactic(reply: str) -> str | None:
    """One tactic from a chat model's reply.

    Drops reasoning (`<think>…</think>`, or everything before a lone `</think>`; an
    unclosed `<think>` means the reply is all reasoning), takes the last fenced code
    block if there is one, drops a `Tactic:` label, a leading `by` and enclosing
    backticks, and keeps the first line with the more-indented lines that continue it.
    """
    text = strip_thinking(reply)
    blocks = _FENCE.findall(text)
    if blocks:
        text = blocks[-1]
    text = _LABEL.sub("", text.strip())
    if text.startswith("by ") or text.startswith("by\n"):
        text = text[2:]
    lines = [line for line in text.strip("\n").splitlines() if line.strip()]
    if not lines:
        return None
    first = lines[0]
    indent = len(first) - len(first.lstrip())
    kept = [first.strip()]
    for line in lines[1:]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        kept.append(line.rstrip())
    tactic = "\n".join(kept).strip()
    if len(tactic) >= 2 and tactic[0] == tactic[-1] == "`":
        tactic = tactic.strip("`").strip()
    return tactic or None


def _nonempty(text: str) -> str | None:
    return text.strip() or None


FORMATS: dict[str, Callable[[], TacticFormat]] = {
    "reprover": ReProverFormat,
    "internlm-stepprover": InternLMStepProverFormat,
    "internlm-stepprover-v1": InternLMStepProverV1Format,
    "bfs-prover": BFSProverFormat,
    "ntp": NtpFormat,
    "chat": ChatFormat,
}


def make_format(name: str) -> TacticFormat:
    try:
        return FORMATS[name]()
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown prompt format {name!r}; choose one of {known}") from None


_INTERNLM_2_5 = re.compile(r"internlm2[._-]?5")


def detect_format(model_id: str, *, seq2seq: bool, chat: bool) -> TacticFormat:
    """The format a model most likely expects, from its id and architecture.

    `chat` says the model sits behind a chat API (so unknown models get `chat`, not `ntp`).
    """
    lowered = model_id.lower()
    if seq2seq:
        return ReProverFormat()
    if "internlm" in lowered and re.search(r"step[-_]?prover", lowered):
        if _INTERNLM_2_5.search(lowered):
            return InternLMStepProverFormat()
        return InternLMStepProverV1Format()
    if "bfs-prover" in lowered or "bfs_prover" in lowered:
        return BFSProverFormat()
    return ChatFormat() if chat else NtpFormat()


def lean_code_block(reply: str) -> str:
    """The Lean code of a model's reply: the first `lean4`/`lean` block (else the
    first block of any kind, else the whole reply), without header lines."""
    text = strip_thinking(reply)
    blocks = [
        (m.group("lang").strip().lower(), m.group("code")) for m in _TAGGED_FENCE.finditer(text)
    ]
    lean = [code for lang, code in blocks if lang in _LEAN_FENCES]
    code = lean[0] if lean else blocks[0][1] if blocks else text
    return _HEADER_LINE.sub("", code).strip("\n")
