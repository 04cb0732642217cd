"""Reading a whole-proof reply: the proof it offers for the theorem, or why it offers none.

The rules:

- Reasoning is dropped first (`strip_thinking`: `<think>…</think>`, or all of a reply whose
  `<think>` never closes).
- A chat reply's code is its last *complete* fenced block tagged `lean4` or `lean`; blocks
  with other tags or none are ignored. With no complete block, an unclosed `lean4`/`lean`
  fence means the reply was cut off (`incomplete block`), otherwise `no block`.
- A reply to a prompt that left the fence open (`continues_block`, DeepSeek-Prover-V1.5)
  continues the theorem after `:= by\\n`: its code runs to the first "```" (what that
  model's own `post_process_output` keeps). A reply cut off by the token limit
  (`finish_reason == "length"`) before closing the fence is an `incomplete block`.
- In the code, the theorem is the declaration with the theorem's name, else the last
  declaration (helper lemmas come first); declarations are found by `lean_text`'s rules,
  so a trailing command after the proof is not part of it. Its proof is the text after
  its `:=`. What the block has before the theorem (imports, helper lemmas) is returned as
  `preamble` and is never part of the proof body.
- The statement proved is always the theorem's own. When the reply restates the theorem,
  the restated statement must equal the asked one token for token, comments and layout
  aside, and apart from the keyword (`theorem`/`lemma`) and the name; otherwise the reply
  is refused as a `changed statement`. A renamed bound variable counts as a change: the
  proof is attached to the asked statement, where its names would not resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from prover.generate.prompts import strip_thinking
from prover.lean_text import TheoremTextError, declaration_from_text
from prover.types import Theorem
from prover.verify_lexer import LexError, TokenKind, tokenize
from prover.verify_rules import parse_declaration

LEAN_TAGS = frozenset({"lean4", "lean"})
_COMPLETE_BLOCK = re.compile(r"```[ \t]*(?P<tag>[^\n`]*)\n(?P<code>.*?)\n?```", re.DOTALL)
_OPENING_FENCE = re.compile(r"```[ \t]*(?P<tag>[^\n`]*)\n")
CONTINUED_HEAD = " := by\n"  # how a continuation prompt ends the statement


class Refusal(StrEnum):
    NO_BLOCK = "no block"
    INCOMPLETE_BLOCK = "incomplete block"
    NO_THEOREM = "no theorem"
    NO_PROOF = "no proof"
    CHANGED_STATEMENT = "changed statement"


@dataclass(frozen=True)
class ProofBody:
    body: str  # the text after the theorem's `:=`, e.g. "by\n  simp"
    preamble: str = ""  # what the block had before the theorem (imports, helper lemmas)


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    detail: str


ReplyReading = ProofBody | Refused


def read_reply(
    reply: str,
    theorem: Theorem,
    *,
    continues_block: bool = False,
    finish_reason: str | None = None,
) -> ReplyReading:
    """The proof body `reply` offers for `theorem`, or the reason it offers none."""
    text = strip_thinking(reply)
    if continues_block:
        return _read_continuation(text, theorem, finish_reason)
    code = last_complete_block(text)
    if code is None:
        if any(_is_lean(m.group("tag")) for m in _OPENING_FENCE.finditer(text)):
            return Refused(Refusal.INCOMPLETE_BLOCK, "the reply's last `lean4` block never closes")
        return Refused(Refusal.NO_BLOCK, "the reply has no `lean4` code block")
    return _read_code(code, theorem)


def last_complete_block(text: str) -> str | None:
    """The code of the last complete ```lean4 / ```lean block in `text`, if any."""
    blocks = [m.group("code") for m in _COMPLETE_BLOCK.finditer(text) if _is_lean(m.group("tag"))]
    return blocks[-1] if blocks else None


def _is_lean(tag: str) -> bool:
    return tag.strip().lower() in LEAN_TAGS


def _read_continuation(text: str, theorem: Theorem, finish_reason: str | None) -> ReplyReading:
    closed = "```" in text
    if not closed and finish_reason == "length":
        return Refused(Refusal.INCOMPLETE_BLOCK, "the reply hit the token limit inside the proof")
    continuation = text.split("```", 1)[0]
    if not continuation.strip():
        return Refused(Refusal.NO_PROOF, "the reply continues the theorem with no proof")
    return _read_code(f"{theorem.statement}{CONTINUED_HEAD}{continuation}", theorem)


def _read_code(code: str, theorem: Theorem) -> ReplyReading:
    try:
        found = declaration_from_text(code, name=theorem.name, default_header="")
    except TheoremTextError:
        try:
            found = declaration_from_text(code, default_header="", last_by_default=True)
        except TheoremTextError as exc:
            return Refused(Refusal.NO_THEOREM, f"the reply's code holds no theorem: {exc}")
    if not same_statement(found.theorem.statement, theorem.statement):
        return Refused(
            Refusal.CHANGED_STATEMENT,
            f"the reply proves `{_one_line(found.theorem.statement)}`, "
            f"not `{_one_line(theorem.statement)}`",
        )
    if found.proof is None or not found.proof.strip():
        return Refused(Refusal.NO_PROOF, "the reply's theorem has no proof after `:=`")
    return ProofBody(found.proof, found.theorem.header)


def same_statement(restated: str, asked: str) -> bool:
    """Whether two statements say the same thing, token for token, comments and layout,
    keyword (`theorem`/`lemma`), name, attributes and modifiers aside."""
    first, second = _signature(restated), _signature(asked)
    return first is not None and first == second


def _signature(statement: str) -> list[tuple[TokenKind, str]] | None:
    """The statement's tokens after its keyword and name (None if it cannot be read)."""
    try:
        tokens = tokenize(statement)
        head = parse_declaration(statement)
    except (LexError, ValueError):
        return None
    start = tokens.index(head.keyword_token) + 1
    if head.name is not None:
        start += 1
    return [(token.kind, token.text) for token in tokens[start:]]


def _one_line(statement: str) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= 120 else text[:117] + "..."
