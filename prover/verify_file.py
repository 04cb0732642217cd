"""Reading one theorem and its proof out of a `.lean` file, for `leanwb check FILE`.

The file's leading `import`/`open`/`set_option` lines are its header. The
declarations after them are split at each top-level command (a command keyword,
modifier, attribute or `#command` at column 0); the theorem checked is the one
named `--name`, else the only or last `theorem`/`lemma`/`example`. Declarations
before it join the header (so the proof may use them, and `#print axioms`
still sees through them); those after it are ignored. The statement is the
declaration up to its first top-level `:=`, the proof everything after.
"""

from __future__ import annotations

from dataclasses import dataclass

from prover.types import Theorem
from prover.verify_lexer import LexError, Token, TokenKind, tokenize
from prover.verify_rules import (
    COMMAND_KEYWORDS,
    RUNS_CODE_KEYWORDS,
    Declaration,
    parse_declaration,
)

HEADER_WORDS = frozenset({"import", "open", "set_option"})
COMMAND_STARTS = COMMAND_KEYWORDS | RUNS_CODE_KEYWORDS | HEADER_WORDS | {"axiom", "unsafe"}
THEOREM_KEYWORDS = frozenset({"theorem", "lemma", "example"})
_OPENERS = frozenset("([{⟨⦃⟦")
_CLOSERS = frozenset(")]}⟩⦄⟧")


@dataclass(frozen=True)
class FileTheorem:
    theorem: Theorem
    proof: str


@dataclass(frozen=True)
class _Chunk:
    start: int  # offset in the file text
    end: int
    tokens: list[Token]


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    offsets.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    return offsets


def _starts_command(token: Token, first_on_line: bool) -> bool:
    if token.column != 0 or not first_on_line:
        return False
    return token.kind in (TokenKind.ATTRIBUTE, TokenKind.COMMAND) or (
        token.kind is TokenKind.IDENT and token.text in COMMAND_STARTS
    )


def _is_header_line(line_tokens: list[Token]) -> bool:
    first = line_tokens[0]
    return first.column == 0 and first.text in HEADER_WORDS and line_tokens[-1].text != "in"


def _chunks(text: str, tokens: list[Token]) -> list[_Chunk]:
    """The top-level commands after the header lines, each with its doc comment."""
    offsets = _line_offsets(text)
    header_lines = 0
    lines = sorted({t.line for t in tokens})
    while header_lines < len(lines) and _is_header_line(
        [t for t in tokens if t.line == lines[header_lines]]
    ):
        header_lines += 1
    starts = [
        i
        for i, t in enumerate(tokens)
        if t.line not in lines[:header_lines]
        and _starts_command(t, i == 0 or tokens[i - 1].line != t.line)
    ]
    begins = [_begin(text, offsets, tokens, i) for i in starts]
    ends = [*begins[1:], len(text)]
    stops = [*starts[1:], len(tokens)]
    chunks = [
        _Chunk(begin, end, tokens[first:stop])
        for begin, end, first, stop in zip(begins, ends, starts, stops, strict=True)
    ]
    return _merge_prefixes(text, chunks)


def _begin(text: str, offsets: list[int], tokens: list[Token], index: int) -> int:
    """Offset where the command starting at `tokens[index]` begins, doc comment included.

    A doc comment must stay with its declaration: left at the end of the header it
    would be a parse error there.
    """
    token = tokens[index]
    start = offsets[token.line - 1] + token.column
    gap_start = 0
    if index > 0:
        previous = tokens[index - 1]
        gap_start = offsets[previous.line - 1] + previous.column + len(previous.text)
    doc = text.rfind("/--", gap_start, start)
    return start if doc < 0 else doc


def _merge_prefixes(text: str, chunks: list[_Chunk]) -> list[_Chunk]:
    """Join attribute lines and `open … in` lines to the declaration they decorate."""
    merged: list[_Chunk] = []
    pending: _Chunk | None = None
    for chunk in chunks:
        if pending is not None:
            chunk = _Chunk(pending.start, chunk.end, pending.tokens + chunk.tokens)
            pending = None
        is_prefix = chunk.tokens[-1].text == "in" or (
            chunk.tokens[0].kind is TokenKind.ATTRIBUTE and _declaration(text, chunk) is None
        )
        if is_prefix:
            pending = chunk
        else:
            merged.append(chunk)
    if pending is not None:
        merged.append(pending)
    return merged


def _declaration(text: str, chunk: _Chunk) -> Declaration | None:
    try:
        return parse_declaration(text[chunk.start : chunk.end])
    except (ValueError, LexError):
        return None


def _assignment_offset(text: str, chunk: _Chunk) -> int | None:
    """Offset of the first `:=` outside brackets in the chunk."""
    offsets = _line_offsets(text)
    depth = 0
    for previous, token in zip(chunk.tokens, chunk.tokens[1:], strict=False):
        if previous.text in _OPENERS or previous.kind is TokenKind.ATTRIBUTE:
            depth += 1
        elif previous.text in _CLOSERS:
            depth -= 1
        adjacent = token.line == previous.line and token.column == previous.column + 1
        if depth == 0 and previous.text == ":" and token.text == "=" and adjacent:
            return offsets[previous.line - 1] + previous.column
    return None


def read_theorem(text: str, name: str | None = None) -> FileTheorem:
    """The theorem to check in a Lean file's text; ValueError says what is wrong."""
    try:
        tokens = tokenize(text)
    except LexError as exc:
        raise ValueError(f"the file cannot be read as Lean: {exc}") from None
    chunks = _chunks(text, tokens)
    candidates = [
        (chunk, head)
        for chunk in chunks
        if (head := _declaration(text, chunk)) is not None and head.keyword in THEOREM_KEYWORDS
    ]
    if not candidates:
        raise ValueError("the file holds no `theorem`, `lemma` or `example` to check")
    if name is not None:
        wanted = tuple(name.split("."))
        named = [c for c in candidates if c[1].name_parts[-len(wanted) :] == wanted]
        if not named:
            found = ", ".join(head.name or "example" for _, head in candidates)
            raise ValueError(f"the file has no theorem named {name!r} (it has: {found})")
        candidates = named
    chunk, head = candidates[-1]
    assignment = _assignment_offset(text, chunk)
    if assignment is None:
        raise ValueError(f"`{head.name or 'example'}` has no `:=` followed by a proof")
    statement = text[chunk.start : assignment].strip()
    proof = text[assignment + 2 : chunk.end].strip()
    if not proof:
        raise ValueError(f"`{head.name or 'example'}` has an empty proof")
    header = text[: chunk.start].strip()
    theorem = Theorem(name=head.name or "example", header=header, statement=statement)
    return FileTheorem(theorem=theorem, proof=proof)
