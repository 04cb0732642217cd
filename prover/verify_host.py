"""The gate's rule for whole Lean files sent to the service: nothing in them may run code on
the host.

`check` sees only a proof, where every command is refused (`prover.verify_rules`). A
service that checks whole snippets (`leanwb serve`'s `/api/check`) must let ordinary
commands through (`theorem`, `def`, `#check`, `open`, …) but not the ones that run code
the snippet wrote, at elaboration time, with the server's rights:

* `#`-commands other than the known inert ones (`#eval` runs compiled code, `#guard`
  evaluates, and a command this list does not know might);
* `run_cmd`, `run_elab`, `elab`, `initialize`, simprocs and the other keywords of
  `RUNS_CODE_KEYWORDS` that define or run elaborator code (notations and macros, which only
  rewrite syntax, are allowed);
* `unsafe`, `implemented_by`, `extern`: the doors from pure terms to arbitrary code;
* attributes other than the known inert ones: `@[command_elab]`, `@[tactic]`, `@[init]`, …
  install the tagged definition as code Lean runs later.

Allow-lists, not deny-lists, so what is unknown is refused. The text is tokenised by the
gate's lexer, so a comment or string cannot hide code from the rule and text that cannot be
tokenised reliably is refused too.
"""

from __future__ import annotations

from prover.verify_lexer import LexError, Token, TokenKind, tokenize
from prover.verify_rules import RUNS_CODE_KEYWORDS, UNSAFE_PARTS

INERT_COMMANDS = frozenset(
    {
        "#check",
        "#check_failure",
        "#print",
        "#reduce",
        "#synth",
        "#help",
        "#where",
        "#version",
        "#exit",
        "#guard_msgs",
        "#simp",
        "#norm_num",
        "#find",
        "#lint",
    }
)
# Syntax-only keywords from RUNS_CODE_KEYWORDS: they rewrite text, they do not run it.
_SYNTAX_ONLY = frozenset(
    {
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
        "import",
        "add_decl_doc",
        "attribute",  # its names are checked like those of `@[…]`
    }
)
RUNS_HOST_CODE_KEYWORDS = RUNS_CODE_KEYWORDS - _SYNTAX_ONLY
INERT_ATTRIBUTES = frozenset(
    {
        "simp",
        "local",
        "scoped",
        "reducible",
        "irreducible",
        "semireducible",
        "inline",
        "noinline",
        "specialize",
        "instance",
        "class",
        "default_instance",
        "ext",
        "norm_cast",
        "push_cast",
        "simps",
        "refl",
        "symm",
        "trans",
        "congr",
        "gcongr",
        "mono",
        "elab_as_elim",
        "induction_eliminator",
        "cases_eliminator",
        "match_pattern",
        "nolint",
        "deprecated",
        "to_additive",
        "grind",
        "fun_prop",
        "continuity",
        "measurability",
        "positivity",
    }
)


class HostCodeError(ValueError):
    """The text would run code on the host; the message says what and where."""


def _attribute_names(tokens: list[Token], start: int) -> list[Token]:
    """The identifiers inside the brackets opened at `tokens[start]` (`@[` or `[`)."""
    names: list[Token] = []
    depth = 1
    for token in tokens[start + 1 :]:
        if token.text in ("[", "@["):
            depth += 1
        elif token.text == "]":
            depth -= 1
            if depth == 0:
                break
        elif token.kind is TokenKind.IDENT:
            names.append(token)
    return names


def _refusal(tokens: list[Token], index: int) -> str | None:
    token = tokens[index]
    where = f"line {token.line}, column {token.column}"
    if token.kind is TokenKind.COMMAND and token.text not in INERT_COMMANDS:
        return f"`{token.text}` at {where} may run code on the server"
    opens_attributes = token.text == "attribute" and tokens[index + 1 : index + 2] != []
    if opens_attributes:
        opens_attributes = tokens[index + 1].text == "["
    if token.kind is TokenKind.ATTRIBUTE or opens_attributes:
        start = index if token.kind is TokenKind.ATTRIBUTE else index + 1
        for name in _attribute_names(tokens, start):
            if name.text not in INERT_ATTRIBUTES:
                place = f"line {name.line}, column {name.column}"
                return f"attribute `{name.text}` at {place} is not known to be inert"
        return None
    if token.kind is not TokenKind.IDENT:
        return None
    if token.text in RUNS_HOST_CODE_KEYWORDS:
        return f"`{token.text}` at {where} runs code on the server or installs code Lean runs"
    parts = token.parts
    if UNSAFE_PARTS.intersection(parts) or any(p.startswith("unsafe") for p in parts):
        return f"`{token.text}` at {where} opens a way to run arbitrary code"
    return None


def ensure_no_host_code(text: str, first_line: int = 1) -> list[Token]:
    """Raise HostCodeError when `text` (Lean commands, as Lean receives them) could run code
    on the host; else return its tokens, for callers that read it further. `first_line`
    numbers the lines the messages name (for the later part of a file)."""
    try:
        tokens = tokenize(text, first_line)
    except LexError as exc:
        raise HostCodeError(f"the text cannot be tokenised reliably: {exc}") from None
    for index in range(len(tokens)):
        refusal = _refusal(tokens, index)
        if refusal is not None:
            raise HostCodeError(refusal)
    return tokens
