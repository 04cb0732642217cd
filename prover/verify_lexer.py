"""A conservative Lean 4 lexer for the soundness gate's static checks.

It only has to tell code from comments and literals, and split code into
identifiers and symbols, exactly where Lean would: a `sorry` inside a comment is
not a sorry, and no comment or string may hide code from the gate. Whenever the
text is not certainly lexed the same way Lean lexes it (an unterminated comment
or string, an interpolated string whose `{…}` parts are code, a control or
bidirectional-override character), `LexError` says so and the gate rejects.

Positions are 1-based lines and 0-based code-point columns, like Lean's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LexError(ValueError):
    """The text cannot be tokenised reliably; the message says where and why."""


class TokenKind(StrEnum):
    IDENT = "ident"  # identifiers and keywords alike (`theorem`, `sorry`, `h.1`)
    COMMAND = "command"  # `#eval`, `#print`, `#exit`, ...: `#` followed by a name
    ATTRIBUTE = "attribute"  # `@[`
    NUMBER = "number"
    STRING = "string"
    CHAR = "char"
    SYMBOL = "symbol"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # the source text of the token
    line: int
    column: int

    @property
    def parts(self) -> tuple[str, ...]:
        """Components of a dotted identifier with `«»` escapes removed."""
        if self.kind is not TokenKind.IDENT:
            return ()
        return tuple(_split_ident(self.text))

    @property
    def name(self) -> str:
        return ".".join(self.parts)


# Characters that render as nothing or reorder text ("trojan source"): never hidden in a proof.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)
_IDENT_REST_EXTRA = frozenset("_'!?")


def _is_letter_like(char: str) -> bool:
    """Lean's `isLetterLike` (Greek except λ Π Σ, Coptic, letter-like symbols, script letters)."""
    code = ord(char)
    return (
        (0x3B1 <= code <= 0x3C9 and code != 0x3BB)
        or (0x391 <= code <= 0x3A9 and code not in (0x3A0, 0x3A3))
        or 0x3CA <= code <= 0x3FB
        or 0x1F00 <= code <= 0x1FFE
        or 0x2100 <= code <= 0x214F
        or 0x1D49C <= code <= 0x1D59F
    )


def _is_subscript(char: str) -> bool:
    code = ord(char)
    return 0x2080 <= code <= 0x209C or 0x1D62 <= code <= 0x1D6A or code == 0x2C7C


def is_ident_start(char: str) -> bool:
    # A superset of Lean's rule (any Unicode letter): look-alike letters must reach the checks.
    return char.isalpha() or char == "_" or _is_letter_like(char)


def is_ident_rest(char: str) -> bool:
    return (
        char.isalnum() or char in _IDENT_REST_EXTRA or _is_letter_like(char) or _is_subscript(char)
    )


def _split_ident(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if char == "«":
            escaped = True
        elif char == "»":
            escaped = False
        elif char == "." and not escaped:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


_CHAR_ESCAPES = {"\\": 1, '"': 1, "'": 1, "n": 1, "t": 1, "r": 1, "x": 3, "u": 5}


class _Lexer:
    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        self.i = 0
        self.line = first_line
        self.col = 0
        self.tokens: list[Token] = []

    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.text[j] if j < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        for _ in range(count):
            if self.i >= len(self.text):
                return
            if self.text[self.i] == "\n":
                self.line += 1
                self.col = 0
            else:
                self.col += 1
            self.i += 1

    def fail(self, why: str, line: int | None = None, col: int | None = None) -> LexError:
        where_line = self.line if line is None else line
        where_col = self.col if col is None else col
        return LexError(f"{why} at line {where_line}, column {where_col}")

    def emit(self, kind: TokenKind, start: int, line: int, col: int) -> None:
        self.tokens.append(Token(kind, self.text[start : self.i], line, col))

    def run(self) -> list[Token]:
        for index, char in enumerate(self.text):
            if char in _INVISIBLE or (ord(char) < 32 and char not in "\n\t\r"):
                line = self.text.count("\n", 0, index) + self.first_line
                col = index - (self.text.rfind("\n", 0, index) + 1)
                raise self.fail(f"invisible or control character U+{ord(char):04X}", line, col)
        while self.i < len(self.text):
            self.step()
        return self.tokens

    def step(self) -> None:
        char, start, line, col = self.peek(), self.i, self.line, self.col
        if char.isspace():
            self.advance()
        elif char == "-" and self.peek(1) == "-":
            while self.i < len(self.text) and self.peek() != "\n":
                self.advance()
        elif char == "/" and self.peek(1) == "-":
            self.block_comment(line, col)
        elif char == '"':
            self.string(line, col)
            self.emit(TokenKind.STRING, start, line, col)
        elif char == "r" and self.raw_string_hashes() is not None:
            self.raw_string(line, col)
            self.emit(TokenKind.STRING, start, line, col)
        elif char == "'" and self.char_literal_length():
            self.advance(self.char_literal_length())
            self.emit(TokenKind.CHAR, start, line, col)
        elif is_ident_start(char) or char == "«":
            self.identifier(line, col)
            if self.text[start : self.i].endswith("!") and self.peek() == '"':
                raise self.fail("interpolated string (its `{…}` parts are code)", line, col)
            self.emit(TokenKind.IDENT, start, line, col)
        elif char.isdigit():
            while self.peek() and (self.peek().isalnum() or self.peek() in "._"):
                if self.peek() == "." and not self.peek(1).isdigit():
                    break
                self.advance()
            self.emit(TokenKind.NUMBER, start, line, col)
        elif char == "#" and self.peek(1) and is_ident_start(self.peek(1)):
            self.advance()
            self.identifier(line, col)
            self.emit(TokenKind.COMMAND, start, line, col)
        elif char == "@" and self.peek(1) == "[":
            self.advance(2)
            self.emit(TokenKind.ATTRIBUTE, start, line, col)
        else:
            self.advance()
            self.emit(TokenKind.SYMBOL, start, line, col)

    def block_comment(self, line: int, col: int) -> None:
        depth = 0
        while self.i < len(self.text):
            if self.peek() == "/" and self.peek(1) == "-":
                depth += 1
                self.advance(2)
            elif self.peek() == "-" and self.peek(1) == "/":
                depth -= 1
                self.advance(2)
                if depth == 0:
                    return
            else:
                self.advance()
        raise self.fail("unterminated block comment `/-`", line, col)

    def string(self, line: int, col: int) -> None:
        self.advance()  # opening quote
        while self.i < len(self.text):
            char = self.peek()
            if char == "\\":
                self.advance(2)
            elif char == '"':
                self.advance()
                return
            else:
                self.advance()
        raise self.fail("unterminated string literal", line, col)

    def raw_string_hashes(self) -> int | None:
        """The number of `#`s if a raw string literal `r#…"` starts here."""
        hashes = 0
        while self.peek(1 + hashes) == "#":
            hashes += 1
        return hashes if self.peek(1 + hashes) == '"' else None

    def raw_string(self, line: int, col: int) -> None:
        hashes = self.raw_string_hashes() or 0
        self.advance(2 + hashes)
        closing = '"' + "#" * hashes
        end = self.text.find(closing, self.i)
        if end < 0:
            raise self.fail("unterminated raw string literal", line, col)
        self.advance(end + len(closing) - self.i)

    def char_literal_length(self) -> int:
        """Length of a character literal starting here, or 0 if `'` is not one."""
        body = self.peek(1)
        if body == "\\":
            width = _CHAR_ESCAPES.get(self.peek(2))
            if width is None:
                return 0
            closing = 2 + width
        elif body and body not in "'\n":
            closing = 2
        else:
            return 0
        return closing + 1 if self.peek(closing) == "'" else 0

    def identifier(self, line: int, col: int) -> None:
        while True:
            if self.peek() == "«":
                end = self.text.find("»", self.i)
                if end < 0 or "\n" in self.text[self.i : end]:
                    raise self.fail("unterminated escaped identifier `«`", line, col)
                self.advance(end + 1 - self.i)
            elif self.peek() and is_ident_start(self.peek()):
                self.advance()
                while self.peek() and is_ident_rest(self.peek()):
                    self.advance()
            else:
                return
            if self.peek() == "." and (self.peek(1) == "«" or is_ident_start(self.peek(1) or " ")):
                self.advance()
            else:
                return


def tokenize(text: str, first_line: int = 1) -> list[Token]:
    """The code tokens of `text` (comments dropped, literals kept whole), or `LexError`.
    `first_line`: the line number of the text's first line (for a file's later part)."""
    return _Lexer(text, first_line).run()
