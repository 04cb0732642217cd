"""Static rules of the soundness gate: what a proof text may not contain.

A proof is the text after `:=` of one declaration. It may use any tactic or term,
`open … in` and `set_option … in` (except `debug.*` options), `where`,
`termination_by` and `decreasing_by`. It may not contain, anywhere outside
comments and string literals:

* `sorry`, `sorryAx`, `admit`, or a look-alike spelling of them;
* `axiom`;
* `unsafe`, `implemented_by`, `extern` or any `unsafe…` constant;
* code that runs at elaboration time or changes the environment: any `#command`,
  `run_cmd`/`run_tac`/`run_elab`/`run_meta`/`by_elab`, `elab`, `macro`, `syntax`,
  `notation` and its relatives, `initialize`, `import`, `attribute`, `@[…]`;
* `native_decide`, `bv_decide`, `+native`/`native := …` or the native-evaluation
  axioms by name (unless native evaluation is explicitly allowed);
* any further command (`theorem`, `def`, `namespace`, `end`, `open` or
  `set_option` without `in`, …): Lean starts a new command at such a keyword
  wherever it stands, so a proof could otherwise close the declaration and
  redeclare or shadow the theorem;
* a line after the first that starts at column 0 with a word other than
  `where`, `termination_by` or `decreasing_by`: that is where commands start,
  including ones this list cannot know (defined by Mathlib or the header), so a
  proof must be indented. This refuses the rare honest proof written flush left.

Each rule has a reason code; when a text breaks several, the most specific one
is reported (the order of `Reason`): a named cheat such as `sorry` wins over the
layout rules, which only say that the text is not one proof. Positions in the
details are lines and columns of the proof text.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from prover.verify_lexer import LexError, Token, TokenKind, tokenize


class Reason(IntEnum):
    """Static rejection reasons, most specific first; `code` is the reported string."""

    CANNOT_TOKENISE = 0
    DEBUG_OPTION = 1
    UNSAFE_CODE = 2
    RUNS_CODE = 3
    DECLARES_AXIOM = 4
    NATIVE_DECIDE = 5
    CONTAINS_ADMIT = 6
    CONTAINS_SORRY = 7
    STATEMENT_MISMATCH = 8

    @property
    def code(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Violation:
    reason: Reason
    detail: str

    @property
    def code(self) -> str:
        return self.reason.code


RUNS_CODE_KEYWORDS = frozenset(
    {
        "run_cmd",
        "run_tac",
        "run_elab",
        "run_meta",
        "by_elab",
        "elab",
        "elab_rules",
        "macro",
        "macro_rules",
        "syntax",
        "declare_syntax_cat",
        "notation",
        "notation3",
        "infix",
        "infixl",
        "infixr",
        "prefix",
        "postfix",
        "initialize",
        "builtin_initialize",
        "import",
        "attribute",
        "simproc",
        "dsimproc",
        "simproc_decl",
        "register_simp_attr",
        "register_option",
        "add_decl_doc",
    }
)
COMMAND_KEYWORDS = frozenset(
    {
        "theorem",
        "lemma",
        "def",
        "example",
        "abbrev",
        "instance",
        "structure",
        "class",
        "inductive",
        "coinductive",
        "mutual",
        "opaque",
        "namespace",
        "section",
        "end",
        "variable",
        "universe",
        "export",
        "deriving",
        "noncomputable",
        "private",
        "protected",
        "partial",
        "nonrec",
        "omit",
        "include",
        "alias",
        "irreducible_def",
    }
)
UNSAFE_PARTS = frozenset({"unsafe", "implemented_by", "extern"})
NATIVE_PARTS = frozenset(
    {
        "native",
        "native_decide",
        "bv_decide",
        "ofReduceBool",
        "ofReduceNat",
        "reduceBool",
        "reduceNat",
        "trustCompiler",
    }
)
SORRY_PARTS = frozenset({"sorry", "sorryAx"})
# Words that may start a proof line at column 0: clauses of the declaration itself.
COLUMN_ZERO_CLAUSES = frozenset({"where", "termination_by", "decreasing_by"})
# Tokens that may sit between `open` and its `in`.
_OPEN_CLAUSE_WORDS = frozenset({"scoped", "hiding", "renaming"})
_OPEN_CLAUSE_SYMBOLS = frozenset({"(", ")", "→", "-", ">"})

# Letters from other scripts drawn like Latin ones, mapped to the Latin letter they imitate.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
        "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "т": "t", "м": "m", "г": "r",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "ε": "e", "κ": "k",
        "ѵ": "v", "ɑ": "a", "ı": "i", "ȷ": "j", "ʏ": "y", "ʀ": "r", "ꜱ": "s", "ᴏ": "o",
    }
)  # fmt: skip


def skeleton(word: str) -> str:
    """`word` reduced to the ASCII letters it looks like (for look-alike detection)."""
    folded = unicodedata.normalize("NFKC", word).casefold().translate(_CONFUSABLES)
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Declaration:
    """The head of a statement: its keyword and the name `#print axioms` can refer to."""

    keyword: str
    name: str | None  # source text of the name, as it can be written back into Lean
    name_parts: tuple[str, ...]
    keyword_token: Token


_DECL_KEYWORDS = frozenset({"theorem", "lemma", "def", "abbrev", "example", "instance", "opaque"})
_MODIFIERS = frozenset(
    {"private", "protected", "noncomputable", "nonrec", "partial", "unsafe", "public"}
)


def _scoped_prefix_end(tokens: list[Token], index: int) -> int | None:
    """Index after an `open … in` or `set_option … in` prefix starting at `index`, if any."""
    token = tokens[index]
    if token.text == "open" and _open_has_in(tokens, index):
        return next(j for j in range(index + 1, len(tokens)) if tokens[j].text == "in") + 1
    if token.text == "set_option" and index + 3 < len(tokens) and tokens[index + 3].text == "in":
        return index + 4
    return None


def parse_declaration(statement: str) -> Declaration:
    """The keyword and name of `statement`, skipping docstrings, attributes, modifiers and
    `open … in` / `set_option … in` prefixes."""
    tokens = tokenize(statement)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind is TokenKind.ATTRIBUTE:
            depth = 1
            index += 1
            while index < len(tokens) and depth:
                depth += {"[": 1, "]": -1}.get(tokens[index].text, 0)
                index += 1
            continue
        if token.kind is TokenKind.IDENT and token.text in _MODIFIERS:
            index += 1
            continue
        prefix_end = _scoped_prefix_end(tokens, index)
        if prefix_end is not None:
            index = prefix_end
            continue
        break
    if index >= len(tokens) or tokens[index].text not in _DECL_KEYWORDS:
        raise ValueError(
            "the statement must start with `theorem`, `lemma`, `example` or `def` "
            f"(after attributes and modifiers), not {statement.strip()[:40]!r}"
        )
    keyword = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    has_name = (
        keyword.text != "example"
        and following is not None
        and following.kind is TokenKind.IDENT
        and following.text not in ("where", "extends")
    )
    if has_name and following is not None:
        return Declaration(keyword.text, following.text, following.parts, keyword)
    return Declaration(keyword.text, None, (), keyword)


def fresh_name(statement: str, proof: str) -> str:
    """A name for an unnamed statement that the proof cannot know in advance."""
    digest = hashlib.sha256(f"{statement}\x00{proof}".encode()).hexdigest()[:12]
    return f"leanwb_checked_{digest}"


def _next_code_token(tokens: list[Token], index: int) -> Token | None:
    return tokens[index + 1] if index + 1 < len(tokens) else None


def _open_has_in(tokens: list[Token], index: int) -> bool:
    """Whether the `open` at `index` is the scoped `open … in` form."""
    j = index + 1
    while j < len(tokens):
        token = tokens[j]
        if token.kind is TokenKind.IDENT and token.text == "in":
            return j > index + 1
        if token.kind is TokenKind.IDENT or token.text in _OPEN_CLAUSE_SYMBOLS:
            j += 1
            continue
        return False
    return False


def _set_option_violation(tokens: list[Token], index: int) -> Violation | None:
    option = _next_code_token(tokens, index)
    if option is None or option.kind is not TokenKind.IDENT:
        return Violation(Reason.STATEMENT_MISMATCH, "`set_option` without an option name")
    if option.parts[0] == "debug":
        return Violation(
            Reason.DEBUG_OPTION, f"`set_option {option.text}` switches off a check of Lean's"
        )
    in_index = index + 3
    if in_index >= len(tokens) or tokens[in_index].text != "in":
        return Violation(
            Reason.STATEMENT_MISMATCH,
            f"`set_option {option.text}` without `in` (line {tokens[index].line} of the proof) "
            "is a new command, not part of the proof",
        )
    return None


def _token_violations(
    tokens: list[Token], index: int, theorem_parts: tuple[str, ...], allow_native: bool
) -> Iterator[Violation]:
    """Every rule the token at `index` breaks."""
    token = tokens[index]
    where = f"line {token.line}, column {token.column} of the proof"
    if token.kind is TokenKind.COMMAND:
        yield Violation(Reason.RUNS_CODE, f"`{token.text}` command at {where}")
    if token.kind is TokenKind.ATTRIBUTE:
        yield Violation(Reason.RUNS_CODE, f"attribute `@[…]` at {where}")
    if token.kind is not TokenKind.IDENT:
        return
    text, parts = token.text, token.parts
    if text == "set_option" and (violation := _set_option_violation(tokens, index)):
        yield violation
    if UNSAFE_PARTS.intersection(parts) or any(p.startswith("unsafe") for p in parts):
        yield Violation(Reason.UNSAFE_CODE, f"`{text}` at {where}")
    if text in RUNS_CODE_KEYWORDS:
        yield Violation(
            Reason.RUNS_CODE, f"`{text}` at {where} runs code or changes the environment"
        )
    if text == "axiom":
        yield Violation(Reason.DECLARES_AXIOM, f"`axiom` at {where}")
    if not allow_native and NATIVE_PARTS.intersection(parts):
        yield Violation(
            Reason.NATIVE_DECIDE,
            f"`{text}` at {where} trusts compiled code (allow it explicitly to accept)",
        )
    if text in COMMAND_KEYWORDS:
        following = _next_code_token(tokens, index)
        if following is not None and theorem_parts and following.parts[-1:] == theorem_parts[-1:]:
            yield Violation(
                Reason.STATEMENT_MISMATCH,
                f"`{text} {following.text}` at {where} redeclares the theorem",
            )
        else:
            yield Violation(
                Reason.STATEMENT_MISMATCH,
                f"`{text}` at {where} starts a new command inside the proof",
            )
    if text == "open" and not _open_has_in(tokens, index):
        yield Violation(
            Reason.STATEMENT_MISMATCH, f"`open` without `in` at {where} is a new command"
        )
    starts_line = index == 0 or tokens[index - 1].line != token.line
    if token.column == 0 and token.line > 1 and starts_line and text not in COLUMN_ZERO_CLAUSES:
        yield Violation(
            Reason.STATEMENT_MISMATCH,
            f"line {token.line} of the proof starts at column 0 with `{text}`, where Lean may "
            "begin a new command; indent the proof",
        )
    if "admit" in parts:
        yield Violation(Reason.CONTAINS_ADMIT, f"`admit` at {where}")
    if SORRY_PARTS.intersection(parts):
        yield Violation(Reason.CONTAINS_SORRY, f"`{text}` at {where}")
    for part in parts:
        look = skeleton(part)
        if look in ("sorry", "sorryax") and part not in SORRY_PARTS:
            yield Violation(Reason.CONTAINS_SORRY, f"look-alike of `sorry` ({part!r}) at {where}")
        if look == "admit" and part != "admit":
            yield Violation(Reason.CONTAINS_ADMIT, f"look-alike of `admit` ({part!r}) at {where}")


def proof_violation(
    proof: str, theorem_parts: tuple[str, ...] = (), *, allow_native_decide: bool = False
) -> Violation | None:
    """The most specific rule `proof` breaks, or None if it passes every static rule."""
    try:
        tokens = tokenize(proof)
    except LexError as exc:
        return Violation(Reason.CANNOT_TOKENISE, f"the proof cannot be tokenised reliably: {exc}")
    found = [
        violation
        for index in range(len(tokens))
        for violation in _token_violations(tokens, index, theorem_parts, allow_native_decide)
    ]
    return min(found, key=lambda v: v.reason) if found else None


def header_violation(header: str) -> Violation | None:
    """Header rules: the header is the user's, but it may not switch off the kernel's checks."""
    try:
        tokens = tokenize(header)
    except LexError as exc:
        return Violation(Reason.CANNOT_TOKENISE, f"the header cannot be tokenised reliably: {exc}")
    for index, token in enumerate(tokens):
        option = _next_code_token(tokens, index)
        if token.text == "set_option" and option is not None and option.parts[:1] == ("debug",):
            return Violation(
                Reason.DEBUG_OPTION,
                f"the header sets `{option.text}` (line {token.line} of the header)",
            )
    return None
