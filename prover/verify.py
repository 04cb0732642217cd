"""The soundness gate: the only place a claimed proof becomes a `Verdict`.

A proof is accepted only if

1. its text passes the static rules of `prover.verify_rules` (no `sorry`/`admit`,
   no axiom, no unsafe or code-running syntax, no further command, …), and the
   header does not switch off the kernel's checks;
2. Lean elaborates header + statement + proof as one declaration with no error
   and no `sorry` (neither a reported sorry nor the "declaration uses sorry" warning);
3. `#print axioms`, sent in the same request right after the declaration, lists
   nothing beyond `propext`, `Classical.choice` and `Quot.sound` (plus the
   native-evaluation axioms when `allow_native_decide` is set).

The axioms message is matched by its position (the line of our own command) and
by the declaration's name, so a message printed by the proof (e.g. Mathlib's
`trace`) cannot stand in for it; no message there means rejection. Whenever that
answer came back, the verdict carries its axioms, whatever the verdict.

The verdict's messages are about the user's text alone: their positions refer to
`theorem.with_proof(proof)` (or to the header, for `header_error`), whatever the
gate changed to check it. The gate's own command is not the user's: its answers
are left out (the axioms are in `axioms`), and a parse error at its `#print`
token, which only means the user's text was unterminated, is reported at the end
of that text as Lean reports an unexpected end of input.

Verdicts: `proved`; `rejected` (with a reason code) when the proof cheats or
cannot be trusted; `failed` when it is simply wrong (`lean_error`), the header
does not elaborate (`header_error`), or Lean did not answer (`timeout`, `crash`, ...).
A REPL that cannot be started at all raises `prover.lean.process.LeanUnavailableError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from prover.protocols import Lean
from prover.types import (
    CallStatus,
    CheckResult,
    Message,
    Position,
    Severity,
    Theorem,
    Verdict,
    VerdictKind,
    is_sorry_warning,
)
from prover.verify_lexer import LexError
from prover.verify_rules import (
    Declaration,
    fresh_name,
    header_violation,
    parse_declaration,
    proof_violation,
)

STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
NATIVE_AXIOMS = frozenset({"Lean.ofReduceBool", "Lean.ofReduceNat", "Lean.trustCompiler"})
SORRY_AXIOM = "sorryAx"

_DEPENDS = re.compile(r"^'(?P<name>.+)' depends on axioms: \[(?P<axioms>.*)\]$", re.DOTALL)
_NO_AXIOMS = re.compile(r"^'(?P<name>.+)' does not depend on any axioms$", re.DOTALL)


@dataclass(frozen=True)
class Renaming:
    """The gate's naming of an unnamed declaration: on `line`, the keyword at `column`
    (`removed` characters) was replaced by `inserted` characters."""

    line: int
    column: int
    removed: int
    inserted: int

    def undo(self, pos: Position) -> Position:
        """`pos` in the renamed text, as a position in the text before renaming."""
        if pos.line != self.line or pos.column < self.column:
            return pos
        if pos.column < self.column + self.inserted:
            return Position(pos.line, self.column)
        return Position(pos.line, pos.column - self.inserted + self.removed)


@dataclass(frozen=True)
class CheckedText:
    """What is sent to Lean: the declaration, then our `#print axioms` on its own line."""

    body: str
    name: str
    axioms_line: int  # 1-based line of `#print axioms` within `body`
    end: Position  # just after the declaration's last character, in the user's declaration
    renaming: Renaming | None = None

    def user_messages(self, messages: tuple[Message, ...]) -> tuple[Message, ...]:
        """`messages` about the user's declaration, positioned in it (see the module docstring)."""
        shown: list[Message] = []
        for message in messages:
            if message.pos.line < self.axioms_line:
                end = message.end_pos and self._user_position(message.end_pos)
                pos = self._user_position(message.pos)
                shown.append(replace(message, pos=pos, end_pos=end))
            elif message.is_error and message.pos == Position(self.axioms_line, 0):
                text = message.text.replace(_AT_OUR_COMMAND, "unexpected end of input", 1)
                shown.append(replace(message, pos=self.end, end_pos=None, text=text))
        return tuple(shown)

    def _user_position(self, pos: Position) -> Position:
        """`pos` in the user's declaration; the blank line before our command counts as its end."""
        if self.renaming:
            pos = self.renaming.undo(pos)
        return self.end if (pos.line, pos.column) > (self.end.line, self.end.column) else pos


_AT_OUR_COMMAND = "unexpected token '#print'"


def checked_text(theorem: Theorem, proof: str, head: Declaration) -> CheckedText:
    """The declaration with `proof` attached, named, followed by `#print axioms <name>`."""
    statement = theorem.statement
    name = head.name
    renaming = None
    if name is None:
        # Give an unnamed declaration (`example`, anonymous `instance`) a name to audit.
        name = fresh_name(statement, proof)
        token = head.keyword_token
        lines = statement.split("\n")
        line = lines[token.line - 1]
        named = f"{'theorem' if head.keyword == 'example' else head.keyword} {name}"
        end = token.column + len(token.text)
        lines[token.line - 1] = f"{line[: token.column]}{named}{line[end:]}"
        statement = "\n".join(lines)
        renaming = Renaming(token.line, token.column, len(token.text), len(named))
    declaration = Theorem(theorem.name, theorem.header, statement).with_proof(proof)
    body = f"{declaration}\n\n#print axioms {name}"
    user_lines = theorem.with_proof(proof).split("\n")
    return CheckedText(
        body=body,
        name=name,
        axioms_line=declaration.count("\n") + 3,
        end=Position(len(user_lines), len(user_lines[-1])),
        renaming=renaming,
    )


def parse_axioms(text: str) -> tuple[str, tuple[str, ...]] | None:
    """(declaration name, axioms) from a `#print axioms` message, or None if it is not one.

    Handles lists wrapped over several lines and names with dots, `«»` or `._native.` parts.
    """
    text = text.strip()
    if match := _NO_AXIOMS.match(text):
        return match["name"], ()
    if match := _DEPENDS.match(text):
        axioms = tuple(a.strip() for a in match["axioms"].split(",") if a.strip())
        return match["name"], axioms
    return None


def _names_match(printed: str, parts: tuple[str, ...]) -> bool:
    """Whether the printed full name is the declaration's (possibly inside a namespace)."""
    printed_parts = tuple(p.strip("«»") for p in printed.split("."))
    return printed_parts[-len(parts) :] == parts


def find_axioms(
    result: CheckResult, text: CheckedText, parts: tuple[str, ...]
) -> tuple[str, ...] | None:
    """The axioms reported by *our* `#print axioms` command, or None if it said nothing usable."""
    candidates = [
        m
        for m in result.messages
        if m.severity is Severity.INFO and m.pos.line == text.axioms_line and m.pos.column == 0
    ]
    if len(candidates) != 1:
        return None
    parsed = parse_axioms(candidates[0].text)
    if parsed is None or not _names_match(parsed[0], parts):
        return None
    return parsed[1]


def _is_native(axiom: str) -> bool:
    return axiom in NATIVE_AXIOMS or "._native." in axiom or axiom.startswith("_native.")


def audit_axioms(axioms: tuple[str, ...], allow_native: bool) -> tuple[str, str] | None:
    """(reason, detail) for the first axiom the gate refuses, or None if all are acceptable."""
    if SORRY_AXIOM in axioms:
        return "sorry_in_lean", "the proof depends on `sorryAx`"
    for axiom in axioms:
        if axiom in STANDARD_AXIOMS:
            continue
        if _is_native(axiom):
            if allow_native:
                continue
            return "native_decide", f"the proof trusts compiled code through `{axiom}`"
        return "forbidden_axiom", f"the proof depends on the axiom `{axiom}`"
    return None


_FAILED_STATUS_DETAIL = {
    CallStatus.TIMEOUT: "Lean did not finish within the time limit",
    CallStatus.CRASH: "the Lean process died while checking",
    CallStatus.MEMORY: "the Lean process ran out of memory",
    CallStatus.OUTPUT_LIMIT: "Lean's reply exceeded the output limit",
    CallStatus.REPL_ERROR: "the REPL refused the request",
    CallStatus.PROTOCOL_ERROR: "the REPL's reply could not be read",
    CallStatus.STALE_STATE: "the REPL process was restarted",
}


def _verdict(
    kind: VerdictKind,
    reason: str | None,
    detail: str,
    proof: str,
    messages: tuple[Message, ...] = (),
    axioms: tuple[str, ...] = (),
) -> Verdict:
    return Verdict(
        kind, reason=reason, detail=detail, axioms=axioms, proof=proof, messages=messages
    )


def verify(
    theorem: Theorem,
    proof: str,
    lean: Lean,
    *,
    allow_native_decide: bool = False,
    timeout: float | None = None,
) -> Verdict:
    """Judge `proof` (the text after `:=`) as a proof of `theorem`; see the module docstring."""
    rejected = VerdictKind.REJECTED
    try:
        head = parse_declaration(theorem.statement)
    except (ValueError, LexError) as exc:
        return _verdict(rejected, "bad_statement", str(exc), proof)
    violation = header_violation(theorem.header) or proof_violation(
        proof, head.name_parts, allow_native_decide=allow_native_decide
    )
    if violation is not None:
        return _verdict(rejected, violation.code, violation.detail, proof)

    text = checked_text(theorem, proof, head)
    result = lean.check(theorem.header, text.body, timeout)
    if result.env is None and result.error is not None and result.status is CallStatus.OK:
        return _verdict(VerdictKind.FAILED, "header_error", result.error, proof, result.messages)
    messages = text.user_messages(result.messages)
    if result.status is not CallStatus.OK:
        detail = _FAILED_STATUS_DETAIL.get(result.status, result.status.value)
        if result.error:
            detail = f"{detail}: {result.error}"
        return _verdict(VerdictKind.FAILED, result.status.value, detail, proof, messages)
    axioms = find_axioms(result, text, head.name_parts or (text.name,))
    known = axioms or ()
    if result.errors:
        return _verdict(
            VerdictKind.FAILED, "lean_error", _error_detail(messages), proof, messages, known
        )
    if result.sorries or any(is_sorry_warning(m) for m in result.messages):
        detail = "Lean reports a `sorry`"
        return _verdict(rejected, "sorry_in_lean", detail, proof, messages, known)
    if axioms is None:
        detail = "Lean did not answer `#print axioms` for the declaration, so it cannot be audited"
        return _verdict(rejected, "axioms_unknown", detail, proof, messages)
    refusal = audit_axioms(axioms, allow_native_decide)
    if refusal is not None:
        return _verdict(rejected, refusal[0], refusal[1], proof, messages, axioms)
    return _verdict(VerdictKind.PROVED, None, "", proof, messages, axioms)


def _error_detail(messages: tuple[Message, ...]) -> str:
    """The first line of Lean's first error about the user's text (its position is in the
    message)."""
    errors = [m for m in messages if m.is_error]
    if not errors:
        return "Lean refused the gate's `#print axioms` command for the declaration"
    return errors[0].text.partition("\n")[0]
