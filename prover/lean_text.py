"""Theorems read out of Lean source: one declaration given as text, or a whole file.

The rules, shared by every command that takes a theorem to prove as Lean text:

- Text is split with the soundness gate's lexer, so comments and strings never count.
- A declaration starts at a `theorem`, `lemma` or `example` (after attributes,
  modifiers and `open … in` / `set_option … in` prefixes) whose first token is at
  column 0, and runs to the next token at column 0.
- Its statement is the text before the proof's `:=`: the first `:=` at bracket depth 0
  (so `(n : ℕ := 3)` never counts) that does not bind a `let` of the statement; with no
  such `:=`, the whole declaration. It ends with its last token, so a trailing comment
  is left out. (A `have h : P := by sorry` inside the proof never counts: it comes after.)
- A declaration ends before the next token at column 0, except an `end` closing a
  Lean 3 `begin` (kept, so such a proof can be repaired).
- Its header is all the text before it: the imports, `open`s and options, and any
  earlier declaration it may use; a doc comment attached to the theorem is left out.
  When nothing precedes the declaration, the caller's default header is used.
- An `example` is named `example_<hash>` (the gate names it afresh when it checks).

- `declaration_from_text` also returns the proof: the text after the chosen `:=`
  (`leanwb check FILE`, `leanwb repair FILE`, and model-written whole theorems).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from prover.errors import TheoremTextError
from prover.types import Theorem
from prover.verify_lexer import LexError, Token, TokenKind, tokenize
from prover.verify_rules import parse_declaration

PROVABLE_KEYWORDS = frozenset({"theorem", "lemma", "example"})
DEFAULT_HEADER = "import Mathlib"
_MODIFIERS = frozenset({"private", "protected", "noncomputable", "nonrec", "public"})
_SCOPED_PREFIXES = frozenset({"open", "set_option"})  # `open Foo in theorem …`
_OPENING = {"(": ")", "[": "]", "{": "}", "⟨": "⟩", "⦃": "⦄"}
_CLOSING = frozenset(_OPENING.values())
_TRAILING_DOC = re.compile(r"/--(?:(?!-/).)*-/\s*$", re.DOTALL)


@dataclass(frozen=True)
class _Declaration:
    name: str
    start: int  # offset of its first token (its `open … in` prefixes included)
    statement: str
    statement_start: int  # offset of the statement's first token
    proof_span: tuple[int, int] | None  # offsets of the proof after `:=`, None without one
    scoped: tuple[str, ...] = ()  # `open …` / `set_option …` lines that were `… in` prefixes


@dataclass(frozen=True)
class Declaration:
    """A theorem read from Lean text, with its proof and where the proof lies in the text."""

    theorem: Theorem
    proof: str | None
    proof_span: tuple[int, int] | None = None
    statement_start: int = 0  # where `theorem.statement` starts in the text

    def with_proof_replaced(self, text: str, proof: str) -> str:
        """`text` (the text this was read from) with the proof replaced by `proof`."""
        if self.proof_span is None:
            raise ValueError(f"`{self.theorem.name}` has no proof to replace")
        start, end = self.proof_span
        return text[:start] + proof + text[end:]


def theorem_from_text(
    text: str,
    *,
    name: str | None = None,
    default_header: str = DEFAULT_HEADER,
    source: str | None = None,
) -> Theorem:
    """The theorem in `text` (the one called `name` when there are several)."""
    return declaration_from_text(
        text, name=name, default_header=default_header, source=source
    ).theorem


def declaration_from_text(
    text: str,
    *,
    name: str | None = None,
    default_header: str = DEFAULT_HEADER,
    source: str | None = None,
    last_by_default: bool = False,
) -> Declaration:
    """The theorem in `text` and its proof (the one called `name` when there are several).

    With `last_by_default`, several theorems and no `name` select the last one (a
    file's main theorem, after its helper lemmas) instead of asking for a name.
    """
    declarations = _all_declarations(text)
    chosen = _choose(declarations[-1:] if last_by_default and name is None else declarations, name)
    return _read(text, chosen, default_header, source)


def declarations_from_text(
    text: str, *, default_header: str = DEFAULT_HEADER, source: str | None = None
) -> list[Declaration]:
    """Every theorem in `text` with its proof, in order; each one's header is all the
    text before it (so earlier lemmas are in scope, as in the file)."""
    return [_read(text, found, default_header, source) for found in _all_declarations(text)]


def _all_declarations(text: str) -> list[_Declaration]:
    try:
        tokens = tokenize(text)
    except LexError as exc:
        raise TheoremTextError(f"cannot read the Lean text: {exc}") from exc
    try:
        declarations = list(_declarations(text, tokens, _line_offsets(text)))
    except ValueError as exc:  # a head `parse_declaration` cannot read
        raise TheoremTextError(str(exc)) from exc
    if not declarations:
        raise TheoremTextError("no `theorem`, `lemma` or `example` starting at column 0 was found")
    return declarations


def _read(text: str, chosen: _Declaration, default_header: str, source: str | None) -> Declaration:
    before = _TRAILING_DOC.sub("", text[: chosen.start]).strip()
    header = "\n".join(part for part in (before, *chosen.scoped) if part)
    theorem = Theorem(
        name=chosen.name,
        header=header or default_header,
        statement=chosen.statement,
        source=source,
    )
    span = chosen.proof_span
    proof = text[span[0] : span[1]] if span else None
    return Declaration(theorem, proof, span, chosen.statement_start)


def _choose(declarations: list[_Declaration], name: str | None) -> _Declaration:
    if name is not None:
        matches = [d for d in declarations if d.name == name]
        if not matches:
            known = ", ".join(d.name for d in declarations)
            raise TheoremTextError(f"no theorem named {name!r} here (found: {known})")
        return matches[0]
    if len(declarations) > 1:
        known = ", ".join(d.name for d in declarations)
        raise TheoremTextError(
            f"{len(declarations)} theorems found ({known}); choose one with --name"
        )
    return declarations[0]


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    offsets.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    return offsets


def _offset(token: Token, offsets: list[int]) -> int:
    return offsets[token.line - 1] + token.column


def _declarations(text: str, tokens: list[Token], offsets: list[int]) -> Iterator[_Declaration]:
    index = 0
    while index < len(tokens):
        if tokens[index].column != 0:
            index += 1
            continue
        scoped, first = _scoped_prefixes(text, tokens, offsets, index)
        keyword = _skip_prefix(tokens, first)
        if keyword >= len(tokens) or tokens[keyword].text not in PROVABLE_KEYWORDS:
            index += 1
            continue
        end = _declaration_end(tokens, keyword + 1)
        found = _declaration(text, tokens[first:end], offsets)
        yield _Declaration(
            found.name,
            _offset(tokens[index], offsets),
            found.statement,
            found.statement_start,
            found.proof_span,
            tuple(scoped),
        )
        index = end


def _declaration_end(tokens: list[Token], index: int) -> int:
    """The index of the first token at column 0 from `index` on, skipping an `end` that
    closes a Lean 3 `begin`."""
    opened = 0
    for j in range(index, len(tokens)):
        if tokens[j].text == "begin":
            opened += 1
        if tokens[j].column == 0:
            if tokens[j].text == "end" and opened:
                opened -= 1
                continue
            return j
    return len(tokens)


def _scoped_prefixes(
    text: str, tokens: list[Token], offsets: list[int], index: int
) -> tuple[list[str], int]:
    """`open Foo in` / `set_option o v in` lines at `index` (without their `in`), and
    the index of the first token after them. They apply to the theorem alone, so in
    front of a single theorem they mean the same as header lines."""
    scoped: list[str] = []
    while index < len(tokens) and tokens[index].text in _SCOPED_PREFIXES:
        line = tokens[index].line
        last = max(j for j in range(index, len(tokens)) if tokens[j].line == line)
        if tokens[last].text != "in" or last == index:
            break
        scoped.append(
            text[_offset(tokens[index], offsets) : _offset(tokens[last], offsets)].strip()
        )
        index = last + 1
    return scoped, index


def _skip_prefix(tokens: list[Token], index: int) -> int:
    """The index of the first token after attributes and modifiers starting at `index`."""
    while index < len(tokens):
        token = tokens[index]
        if token.kind is TokenKind.ATTRIBUTE:
            depth, index = 1, index + 1
            while index < len(tokens) and depth:
                depth += {"[": 1, "]": -1}.get(tokens[index].text, 0)
                index += 1
        elif token.kind is TokenKind.IDENT and token.text in _MODIFIERS:
            index += 1
        else:
            return index
    return index


def _declaration(text: str, tokens: list[Token], offsets: list[int]) -> _Declaration:
    start = _offset(tokens[0], offsets)
    cut = _proof_assign(tokens)
    # The statement ends with its last token, so a trailing comment is left out.
    last = tokens[-1] if cut is None else tokens[cut - 1]
    end = _offset(last, offsets) + len(last.text)
    statement = text[start:end].strip()
    span = None
    if cut is not None and cut + 2 < len(tokens):
        final = tokens[-1]
        span = (_offset(tokens[cut + 2], offsets), _offset(final, offsets) + len(final.text))
    name = parse_declaration(statement).name
    if name is None:
        name = f"example_{hashlib.sha256(statement.encode()).hexdigest()[:8]}"
    return _Declaration(name, start, statement, start, span)


def _proof_assign(tokens: list[Token]) -> int | None:
    """Index of the `:` of the `:=` that starts the proof: the first one outside
    brackets that does not bind a `let` of the statement."""
    depth, pending_let = 0, False
    for i, token in enumerate(tokens):
        if token.kind is TokenKind.ATTRIBUTE or token.text in _OPENING:
            depth += 1
        elif token.text in _CLOSING:
            depth = max(0, depth - 1)
        elif depth == 0 and token.text == "let":
            pending_let = True
        elif depth == 0 and token.text == ":" and i + 1 < len(tokens):
            after = tokens[i + 1]
            if after.text == "=" and after.line == token.line and after.column == token.column + 1:
                if not pending_let:
                    return i
                pending_let = False
    return None
