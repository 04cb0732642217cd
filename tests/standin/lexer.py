"""Tokens with code-point offsets, and the offset -> (line, column) map of a request text."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property

# Longest first: the scanner tries these in order.
SYMBOLS = (
    "<;>",
    "@[",
    "<->",
    ":=",
    "=>",
    "->",
    "<=",
    ">=",
    "!=",
    "<|",
    "|>",
    "..",
    "≠",
    "≤",
    "≥",
    "→",
    "←",
    "↔",
    "∧",
    "∨",
    "¬",
    "∀",
    "∃",
    "λ",
    "⟨",
    "⟩",
    "·",
    "⊢",
    "∣",
    "×",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ";",
    "|",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "=",
    "<",
    ">",
    "@",
    "!",
    "$",
    ".",
    "#",
    "?",
    "'",
    "&",
    "~",
    "∘",
    "▸",
    "↦",
)

_IDENT_START = re.compile(r"[^\W\d]|[ℕℤℚℝℂ]", re.UNICODE)
_IDENT_REST = re.compile(r"[\w'!?₀-₉ₐ-ₜᵢ-ᵪ]", re.UNICODE)
_LETTERLIKE = "ℕℤℚℝℂ"
_DIGITS = "0123456789"


@dataclass(frozen=True)
class Token:
    kind: str  # "ident" | "num" | "str" | "sym" | "eof"
    text: str
    start: int
    end: int
    line_start: bool  # first token on its line

    def is_sym(self, *texts: str) -> bool:
        return self.kind == "sym" and self.text in texts

    def is_word(self, *texts: str) -> bool:
        return self.kind == "ident" and self.text in texts

    def describe(self) -> str:
        """How Lean names this token in "unexpected ..." parse errors."""
        if self.kind == "eof":
            return "unexpected end of input"
        if self.kind == "ident" and not is_keyword(self.text):
            return "unexpected identifier"
        return f"unexpected token '{self.text}'"


# Words that start a command at the top level.
COMMAND_WORDS = frozenset(
    [
        "theorem",
        "lemma",
        "example",
        "def",
        "axiom",
        "import",
        "open",
        "set_option",
        "namespace",
        "section",
        "end",
        "variable",
        "universe",
        "instance",
        "structure",
        "inductive",
        "class",
        "abbrev",
        "noncomputable",
        "private",
        "protected",
        "macro",
        "macro_rules",
        "syntax",
        "notation",
        "infix",
        "infixl",
        "infixr",
        "prefix",
        "postfix",
        "elab",
        "run_cmd",
        "attribute",
    ]
)
# Words the tokenizer reports as identifiers but Lean treats as keywords.
KEYWORDS = COMMAND_WORDS | frozenset(
    [
        "by",
        "fun",
        "have",
        "show",
        "from",
        "at",
        "with",
        "in",
        "then",
        "else",
        "if",
        "let",
        "do",
        "sorry",
        "deriving",
        "where",
        "calc",
        "match",
        "obtain",
        "suffices",
        "using",
        "only",
    ]
)


def is_keyword(word: str) -> bool:
    return word in KEYWORDS


class LexError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Source:
    """A request text and its line starts, for Lean positions (1-based line, 0-based column)."""

    text: str

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        return starts

    def position(self, offset: int) -> tuple[int, int]:
        starts = self._line_starts
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index]

    def column(self, offset: int) -> int:
        return self.position(offset)[1]


def tokenize(text: str) -> list[Token]:
    """Split Lean text into tokens, skipping whitespace and comments; ends with an eof token."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    line_start = True
    while i < n:
        ch = text[i]
        if ch == "\n":
            line_start = True
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/-", i):
            i = _skip_block_comment(text, i)
            continue
        start = i
        if ch in _DIGITS:
            while i < n and text[i] in _DIGITS:
                i += 1
            tokens.append(Token("num", text[start:i], start, i, line_start))
        elif ch == '"':
            i = _scan_string(text, i)
            tokens.append(Token("str", text[start:i], start, i, line_start))
        elif ch == "«":
            close = text.find("»", i)
            if close < 0:
                raise LexError("unterminated identifier escape", i)
            i = close + 1
            tokens.append(Token("ident", text[start + 1 : i - 1], start, i, line_start))
        elif ch == "#" and i + 1 < n and text[i + 1].isalpha():
            i = _scan_ident(text, i + 1)
            tokens.append(Token("sym", text[start:i], start, i, line_start))
        elif _IDENT_START.match(ch) and ch != "λ":
            i = _scan_ident(text, i)
            tokens.append(Token("ident", text[start:i], start, i, line_start))
        else:
            symbol = next((s for s in SYMBOLS if text.startswith(s, i)), ch)
            i += len(symbol)
            tokens.append(Token("sym", symbol, start, i, line_start))
        line_start = False
    tokens.append(Token("eof", "", n, n, True))
    return tokens


def _scan_ident(text: str, i: int) -> int:
    n = len(text)
    while True:
        if text[i] in _LETTERLIKE:
            i += 1
        else:
            i += 1
            while i < n and _IDENT_REST.match(text[i]) and text[i] not in _LETTERLIKE:
                i += 1
        # dotted names: `Nat.succ`, `h.left`; `h.1` stays `h` followed by `.` `1`
        if i + 1 < n and text[i] == "." and _IDENT_START.match(text[i + 1]):
            i += 1
            continue
        return i


def _skip_block_comment(text: str, i: int) -> int:
    depth = 0
    n = len(text)
    while i < n:
        if text.startswith("/-", i):
            depth += 1
            i += 2
        elif text.startswith("-/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise LexError("unterminated comment", n)


def _scan_string(text: str, i: int) -> int:
    i += 1
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    raise LexError("unterminated string literal", n)
