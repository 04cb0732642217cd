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
`trace`) cannot stand in for it; no message there means rejection.

Verdicts: `proved`; `rejected` (with a reason code) when the proof cheats or
cannot be trusted; `failed` when it is simply wrong (`lean_error`), the header
does not elaborate (`header_error`), or Lean did not answer (`timeout`, `crash`, ...).
A REPL that cannot be started at all raises `prover.lean.process.LeanUnavailableError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prover.protocols import Lean
from prover.types import (
    CallStatus,
    CheckResult,
    Message,
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
class CheckedText:
    """What is sent to Lean: the declaration, then our `#print axioms` on its own line."""

    body: str
    name: str
    axioms_line: int  # 1-based line of `#print axioms` within `body`


def checked_text(theorem: Theorem, proof: str, head: Declaration) -> CheckedText:
    """The declaration with `proof` attached, named, followed by `#print axioms <name>`."""
    statement = theorem.statement
    name = head.name
    if name is None:
        # Give an unnamed declaration (`example`, anonymous `instance`) a name to audit.
        name = fresh_name(statement, proof)
        token = head.keyword_token
        lines = statement.split("\n")
        line = lines[token.line - 1]
        keyword = "theorem" if head.keyword == "example" else head.keyword
        end = token.column + len(token.text)
        lines[token.line - 1] = f"{line[: token.column]}{keyword} {name}{line[end:]}"
        statement = "\n".join(lines)
    declaration = Theorem(theorem.name, theorem.header, statement).with_proof(proof)
    body = f"{declaration}\n\n#print axioms {name}"
    return CheckedText(body=body, name=name, axioms_line=declaration.count("\n") + 3)


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


def _audit(axioms: tuple[str, ...], allow_native: bool) -> tuple[str, str] | None:
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
    messages = result.messages
    if result.status is not CallStatus.OK:
        detail = _FAILED_STATUS_DETAIL.get(result.status, result.status.value)
        if result.error:
            detail = f"{detail}: {result.error}"
        return _verdict(VerdictKind.FAILED, result.status.value, detail, proof, messages)
    if result.env is None and result.error is not None:
        return _verdict(VerdictKind.FAILED, "header_error", result.error, proof, messages)
    if result.errors:
        first = result.errors[0]
        detail = f"line {first.pos.line}: {first.text.splitlines()[0] if first.text else ''}"
        return _verdict(VerdictKind.FAILED, "lean_error", detail, proof, messages)
    if result.sorries or any(is_sorry_warning(m) for m in messages):
        return _verdict(rejected, "sorry_in_lean", "Lean reports a `sorry`", proof, messages)
    parts = head.name_parts or (text.name,)
    axioms = find_axioms(result, text, parts)
    if axioms is None:
        detail = "Lean did not answer `#print axioms` for the declaration, so it cannot be audited"
        return _verdict(rejected, "axioms_unknown", detail, proof, messages)
    refusal = _audit(axioms, allow_native_decide)
    if refusal is not None:
        return _verdict(rejected, refusal[0], refusal[1], proof, messages, axioms)
    return _verdict(VerdictKind.PROVED, None, "", proof, messages, axioms)
