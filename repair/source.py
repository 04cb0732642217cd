"""A theorem and its proof as they stand in a Lean file, and the file with a new proof.

The theorem (statement and header) is read by `prover.lean_text.theorem_from_text`,
the parser every command shares. Its proof is the text from the first token after the
statement's `:=` to the last token before the next token at column 0 (Lean's layout
rule for where a declaration ends), so comments after the proof stay in place. A Lean
3 `begin … end` proof is kept whole even though its `end` sits at column 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from prover.lean_text import TheoremTextError, theorem_from_text
from prover.types import Theorem
from prover.verify_lexer import LexError, Token, tokenize

_OPENING = frozenset("([{⟨⦃")
_CLOSING = frozenset(")]}⟩⦄")


@dataclass(frozen=True)
class SourceProof:
    """The theorem, its proof, and where the proof lies in the file text (offsets)."""

    theorem: Theorem
    proof: str
    start: int
    end: int

    def replaced(self, text: str, proof: str) -> str:
        """The file `text` with this proof replaced by `proof`; nothing else changes."""
        return text[: self.start] + proof + text[self.end :]


def read_source(text: str, *, name: str | None = None, source: str | None = None) -> SourceProof:
    """The theorem called `name` (or the only one) in `text`, with its proof.
    Raises TheoremTextError with one sentence saying what is wrong."""
    theorem = theorem_from_text(text, name=name, default_header="", source=source)
    try:
        tokens = tokenize(text)
        theorem = _without_proof(theorem, tokenize(theorem.statement))
    except LexError as exc:  # theorem_from_text lexed the same text; kept for safety
        raise TheoremTextError(f"cannot read the Lean text: {exc}") from exc
    offsets = [0]
    offsets.extend(i + 1 for i, char in enumerate(text) if char == "\n")

    def offset(token: Token) -> int:
        return offsets[token.line - 1] + token.column

    found = text.find(theorem.statement)
    if found < 0:
        raise TheoremTextError(f"cannot find the statement of `{theorem.name}` in the text")
    after = found + len(theorem.statement)
    rest = [t for t in tokens if offset(t) >= after]
    assigns = len(rest) >= 3 and (rest[0].text, rest[1].text) == (":", "=")
    if not assigns or offset(rest[1]) != offset(rest[0]) + 1:
        raise TheoremTextError(f"`{theorem.name}` has no proof after `:=` to repair")
    body = rest[2:]
    start = offset(body[0])
    last = _last_token(body)
    end = offset(last) + len(last.text)
    proof = text[start:end]
    if not proof.strip():
        raise TheoremTextError(f"`{theorem.name}` has an empty proof")
    return SourceProof(theorem, proof, start, end)


def _without_proof(theorem: Theorem, tokens: list[Token]) -> Theorem:
    """The theorem cut at the first top-level `:=` that does not bind a `let`.

    theorem_from_text takes the *last* `:=` followed by only `sorry` (to keep a `let`
    in a statement); in a proof that ends with `have h : P := by sorry` that `:=`
    belongs to the proof, which is exactly what repair gets handed.
    """
    lines = theorem.statement.split("\n")
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    depth, pending_let = 0, False
    for previous, token in pairwise(tokens):
        if previous.text in _OPENING:
            depth += 1
        elif previous.text in _CLOSING:
            depth = max(0, depth - 1)
        elif depth == 0 and previous.text == "let":
            pending_let = True
        adjacent = token.line == previous.line and token.column == previous.column + 1
        if depth == 0 and previous.text == ":" and token.text == "=" and adjacent:
            if not pending_let:
                cut = offsets[previous.line - 1] + previous.column
                return replace(theorem, statement=theorem.statement[:cut].rstrip())
            pending_let = False
    return theorem


def _last_token(body: list[Token]) -> Token:
    """The proof's last token: the one before the first token at column 0 after the
    proof starts (an `end` closing a Lean 3 `begin` does not count)."""
    opened = 0
    for index, token in enumerate(body):
        if token.text == "begin":
            opened += 1
        if index > 0 and token.column == 0:
            if token.text == "end" and opened:
                opened -= 1
                continue
            return body[index - 1]
    return body[-1]
