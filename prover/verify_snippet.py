"""The soundness gate's verdict on a whole Lean file (a `leanwb serve` Kimina snippet).

`prover.verify` judges one proof of one statement; a snippet is a file of commands, so the
gate's rules are applied to what Lean answered for it, over every `theorem` and `lemma` it
declares:

* Lean did not answer (timeout, crash, …), the header or the body has an error → `failed`;
* a reported `sorry` or the "declaration uses sorry" warning → `rejected`;
* `#print axioms NAME` for each declared theorem, run in the environment the snippet left
  (the REPL's `env`, in the same process), audited as `prover.verify` audits a proof:
  anything beyond the standard axioms (the native-evaluation ones unless allowed) →
  `rejected`, and so is a theorem whose axioms did not come back or whose name the gate
  cannot read;
* a snippet that sets a `debug.*` option (`debug.skipKernelTC`, …) → `rejected`: it
  switches off a check of Lean's, as in a proof;
* a snippet that declares an `axiom` → `rejected`: whatever it proves, it proves in a
  theory of its own making;
* an `example` → `rejected`: Lean keeps no constant for it, so `#print axioms` has no
  name to audit (`native_decide` or an imported axiom would go unseen); a `theorem`
  with the same statement and proof is audited. (Lean's `src/Lean/Elab/MutualDef.lean`,
  read at 00cce80: "we should discard examples", "Examples do not have names".)
* a snippet that declares no theorem or lemma (only `def`s, `#check`s, …) → `rejected`,
  `no_theorem`: there is nothing the gate can certify, and a `proved` that certifies
  nothing would be a reward to game (a command written by a macro is not seen);
* otherwise `proved`, with every theorem's axioms.

Host-code refusal (`prover.verify_host`) happens before Lean; its verdict is `host_code`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prover.types import CallStatus, CheckResult, Severity, VerdictKind, is_sorry_warning
from prover.verify import audit_axioms, parse_axioms
from prover.verify_lexer import Token, TokenKind
from prover.verify_rules import Reason

_THEOREM_KEYWORDS = frozenset({"theorem", "lemma"})
NO_THEOREM = "no_theorem"
UNAUDITED_EXAMPLE = "unaudited_example"


@dataclass(frozen=True)
class DeclaredTheorem:
    name: str  # as written back into `#print axioms` (full name, source escapes kept)
    parts: tuple[str, ...]


@dataclass(frozen=True)
class SnippetVerdict:
    kind: VerdictKind
    reason: str | None = None
    detail: str = ""
    axioms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.kind.value,
            "reason": self.reason,
            "detail": self.detail,
            "axioms": {name: list(axioms) for name, axioms in self.axioms.items()},
        }


def _next(tokens: list[Token], index: int) -> Token | None:
    return tokens[index + 1] if index + 1 < len(tokens) else None


def _name_on_same_line(tokens: list[Token], index: int) -> Token | None:
    following = _next(tokens, index)
    same_line = following is not None and following.line == tokens[index].line
    return following if same_line and following.kind is TokenKind.IDENT else None


@dataclass(frozen=True)
class Declarations:
    """What a snippet's body declares that the gate judges."""

    theorems: list[DeclaredTheorem]
    unnamed: list[Token]  # each `theorem`/`lemma` not followed by a name the gate can read
    examples: list[Token]  # each `example` keyword
    axioms: list[Token]  # the name declared by each `axiom`
    debug_options: list[Token]  # each `debug.*` option a `set_option` sets


def read_declarations(tokens: list[Token]) -> Declarations:
    """The theorems and lemmas declared in `tokens` (a body's, `prover.verify_lexer`), with
    the namespaces open around them; the theorem keywords with no readable name, the
    `example`s, the names of the `axiom`s and the `debug.*` options set."""
    scopes: list[tuple[str, Token | None]] = []  # (namespace, section or mutual, its name)
    theorems: list[DeclaredTheorem] = []
    unnamed: list[Token] = []
    examples: list[Token] = []
    axioms: list[Token] = []
    debug_options: list[Token] = []
    for index, token in enumerate(tokens):
        if token.kind is not TokenKind.IDENT:
            continue
        name = _name_on_same_line(tokens, index)
        if token.text in ("namespace", "section", "mutual"):  # each closed by an `end`
            scopes.append((token.text, name))
        elif token.text == "end" and scopes:
            scopes.pop()
        elif token.text == "example":  # a keyword: never a name, wherever it stands
            examples.append(token)
        elif token.text == "axiom":  # its name, as a theorem's, is the next token
            axioms.append(_next(tokens, index) or token)
        elif token.text == "set_option" and (option := _next(tokens, index)) is not None:
            if option.kind is TokenKind.IDENT and option.parts[:1] == ("debug",):
                debug_options.append(option)
        elif token.text in _THEOREM_KEYWORDS:
            # The name may stand on the next line; it is the very next token either way.
            name = _next(tokens, index)
            if name is None or name.kind is not TokenKind.IDENT:
                unnamed.append(token)
                continue
            if name.parts[:1] == ("_root_",):
                theorems.append(DeclaredTheorem(name.text.removeprefix("_root_."), name.parts[1:]))
                continue
            opened = [n for kind, n in scopes if kind == "namespace" and n is not None]
            text = ".".join([*(n.text for n in opened), name.text])
            parts = tuple(p for n in opened for p in n.parts) + name.parts
            theorems.append(DeclaredTheorem(text, parts))
    return Declarations(theorems, unnamed, examples, axioms, debug_options)


def audit_command(theorems: list[DeclaredTheorem]) -> str:
    """One `#print axioms` a line, the i-th theorem's on line i + 1."""
    return "\n".join(f"#print axioms {t.name}" for t in theorems)


def _printed_axioms(
    audit: CheckResult, line: int, theorem: DeclaredTheorem
) -> tuple[str, ...] | None:
    """The axioms our `#print axioms` on `line` reported for `theorem`, if it did."""
    for message in audit.messages:
        if message.severity is Severity.INFO and message.pos.line == line:
            parsed = parse_axioms(message.text)
            if parsed is not None:
                printed = tuple(p.strip("«»") for p in parsed[0].split("."))
                return parsed[1] if printed[-len(theorem.parts) :] == theorem.parts else None
    return None


def _not_answered(result: CheckResult, what: str) -> SnippetVerdict:
    detail = f"Lean did not answer {what} ({result.status.value})"
    if result.error:
        detail = f"{detail}: {result.error}"
    return SnippetVerdict(VerdictKind.FAILED, result.status.value, detail)


def _has_sorry(result: CheckResult) -> bool:
    return bool(result.sorries) or any(is_sorry_warning(m) for m in result.messages)


def needs_audit(result: CheckResult) -> bool:
    """Whether the verdict on a snippet answered `result` depends on its axioms."""
    clean = result.status is CallStatus.OK and result.env is not None and not result.errors
    return clean and not _has_sorry(result)


def judge_snippet(
    result: CheckResult,
    declared: Declarations,
    audit: CheckResult | None,
    *,
    allow_native_decide: bool,
) -> SnippetVerdict:
    """The gate's verdict on a snippet from Lean's answer to it and to `audit_command`."""
    if result.status is not CallStatus.OK:
        return _not_answered(result, "the snippet")
    if result.env is None:
        detail = result.error or "the header did not elaborate"
        return SnippetVerdict(VerdictKind.FAILED, "header_error", detail)
    if result.errors:
        first = next(m for m in result.messages if m.is_error)
        return SnippetVerdict(VerdictKind.FAILED, "lean_error", first.text.partition("\n")[0])
    if _has_sorry(result):
        return SnippetVerdict(VerdictKind.REJECTED, "sorry_in_lean", "Lean reports a `sorry`")
    if declared.debug_options:
        option = declared.debug_options[0]
        detail = f"`set_option {option.text}` (line {option.line}) switches off a check of Lean's"
        return SnippetVerdict(VerdictKind.REJECTED, Reason.DEBUG_OPTION.code, detail)
    axioms: dict[str, tuple[str, ...]] = {}
    if declared.theorems:
        if audit is None or audit.status is not CallStatus.OK:
            return _not_answered(audit or result, "`#print axioms`")
        for line, theorem in enumerate(declared.theorems, start=1):
            printed = _printed_axioms(audit, line, theorem)
            if printed is None:
                detail = (
                    f"Lean did not answer `#print axioms {theorem.name}`, so it cannot be audited"
                )
                return SnippetVerdict(VerdictKind.REJECTED, "axioms_unknown", detail, axioms)
            axioms[theorem.name] = printed
    for name, printed in axioms.items():
        refusal = audit_axioms(printed, allow_native_decide)
        if refusal is not None:
            reason, detail = refusal
            return SnippetVerdict(VerdictKind.REJECTED, reason, f"`{name}`: {detail}", axioms)
    if declared.unnamed:
        keyword = declared.unnamed[0]
        detail = (
            f"the `{keyword.text}` on line {keyword.line} is not followed by a name the gate "
            "can read, so it cannot be audited"
        )
        return SnippetVerdict(VerdictKind.REJECTED, "axioms_unknown", detail, axioms)
    if declared.axioms:
        name = declared.axioms[0]
        detail = f"the snippet declares `axiom {name.text}` (line {name.line})"
        return SnippetVerdict(VerdictKind.REJECTED, Reason.DECLARES_AXIOM.code, detail, axioms)
    if declared.examples:
        line = declared.examples[0].line
        detail = (
            f"the `example` on line {line} has no name, so `#print axioms` cannot audit it; "
            "declare it as a `theorem` to have it audited"
        )
        return SnippetVerdict(VerdictKind.REJECTED, UNAUDITED_EXAMPLE, detail, axioms)
    if not declared.theorems:
        detail = "the snippet declares no `theorem` or `lemma`: there is nothing to certify"
        return SnippetVerdict(VerdictKind.REJECTED, NO_THEOREM, detail)
    return SnippetVerdict(VerdictKind.PROVED, None, "", axioms)


def host_code_verdict(detail: str) -> SnippetVerdict:
    return SnippetVerdict(VerdictKind.REJECTED, "host_code", detail)
