"""The identity of a proof check, for checking identical proofs only once.

Two proof bodies are the same proof when they differ only in what Lean never sees:
comments, trailing whitespace, blank lines and line endings. Everything else is kept,
including each token's line and column: Lean 4 tactic blocks are layout-sensitive (a
`·` block's tactics must line up), so indentation and the spaces before a token on its
line are part of the proof. A body the lexer cannot read (an unterminated comment, say)
only loses trailing whitespace, blank lines and line endings; the gate rejects it anyway.

The key of a check is a hash of the Lean pin (toolchain and Mathlib), the theorem's
header and statement exactly as checked, and the normalised body.
"""

from __future__ import annotations

import hashlib
import json

from prover.verify_lexer import LexError, tokenize

KEY_VERSION = "leanwb-proof-check-1"  # bump when the normalisation changes


def normalise_proof(body: str) -> str:
    """`body` with comments blanked out (tokens stay at their line and column), trailing
    whitespace and blank lines dropped, and line endings made `\\n`."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    try:
        tokens = tokenize(text)
    except LexError:
        return _drop_blank_space(text)
    pieces: list[str] = []
    line, column = 1, 0
    for token in tokens:
        if token.line > line:
            pieces.append("\n" * (token.line - line))
            line, column = token.line, 0
        pieces.append(" " * (token.column - column))
        pieces.append(token.text)
        rows = token.text.split("\n")
        if len(rows) > 1:  # a string literal spanning lines
            line += len(rows) - 1
            column = len(rows[-1])
        else:
            column = token.column + len(token.text)
    return _drop_blank_space("".join(pieces))


def _drop_blank_space(text: str) -> str:
    return "\n".join(row.rstrip() for row in text.split("\n") if row.strip())


def proof_key(*, lean_pin: str, header: str, statement: str, body: str) -> str:
    """The hex SHA-256 naming the check of `body` against this theorem under this Lean."""
    fields = [KEY_VERSION, lean_pin, header, statement, normalise_proof(body)]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()
