"""Lean's messages as typed errors tied to the lines of the proof.

`classify` reads one message text (Lean's wording, both the older lower-case forms
such as `unknown identifier 'h'` and the current ones such as ``Unknown identifier
`h` ``); `diagnose` does it for every error of a check and maps each position into
the proof body with `prover.proof_text.locate`. A position before the proof (inside
the statement) has no line: repair never edits the statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from prover.proof_text import locate
from prover.types import CallStatus, CheckResult, Message, Position, Severity, Theorem


class ErrorClass(StrEnum):
    UNKNOWN_IDENTIFIER = "unknown_identifier"  # a name, hypothesis or local that does not exist
    UNKNOWN_CONSTANT = "unknown_constant"
    TYPE_MISMATCH = "type_mismatch"
    UNSOLVED_GOALS = "unsolved_goals"
    TACTIC_FAILED = "tactic_failed"
    SYNTAX = "syntax_error"
    TIMEOUT = "timeout"
    DEPRECATED = "deprecated"  # a warning: the name still works, Lean suggests another
    NO_GOALS = "no_goals"  # a tactic ran after the goal was closed
    OTHER = "other"


@dataclass(frozen=True)
class Classified:
    """What a message says: its class, the name it is about (identifier, tactic or
    deprecated constant) and, for a deprecation, the name Lean suggests instead."""

    kind: ErrorClass
    subject: str | None = None
    replacement: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    """One typed message. `line`/`column` (0-based) locate its start in the proof body,
    `end_line`/`end_column` its end; all None when it lies before the proof."""

    kind: ErrorClass
    message: Message
    line: int | None
    column: int | None
    end_line: int | None = None
    end_column: int | None = None
    subject: str | None = None
    replacement: str | None = None

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def in_statement(self) -> bool:
        return self.line is None

    def summary(self) -> str:
        """One line for prompts, logs and graph edges: the class and the message, its
        line breaks removed (Lyra's conjecture-correction format)."""
        return f"{self.kind.value}: {' '.join(self.text.split())}"


_NAME = r"[`'](?P<name>[^`']+)[`']"
_UNKNOWN_IDENTIFIER = re.compile(rf"^unknown (?:identifier|hypothesis) {_NAME}", re.IGNORECASE)
_UNKNOWN_CONSTANT = re.compile(rf"^unknown (?:constant|declaration) {_NAME}", re.IGNORECASE)
_DEPRECATED = re.compile(
    r"`(?P<name>[^`]+)` has been deprecated(?:[,:]?\s*use `(?P<new>[^`]+)` instead)?"
)
_TIMEOUT = re.compile(r"\(deterministic\) timeout|maximum number of heartbeats", re.IGNORECASE)
_SYNTAX = re.compile(
    r"^(?:unexpected (?:token|identifier|end of input)\b|unknown tactic\b|expected\b"
    r"|invalid (?:token|syntax)\b|missing end of character literal)",
    re.IGNORECASE,
)
_NO_GOALS = re.compile(r"^no goals(?: to be (?:solved|proved))?\b", re.IGNORECASE)
_TYPE_MISMATCH = re.compile(r"^(?:application )?type mismatch\b", re.IGNORECASE)
# Tactic failures, with the tactic's name where the text gives it.
_TACTIC_PATTERNS = (
    re.compile(r"^Tactic `(?P<name>[^`]+)` (?:failed|proved that)"),
    re.compile(r"^`(?P<name>[^`]+)` (?:could not|failed)"),
    re.compile(r"^The (?P<name>\w+) tactic failed"),
    re.compile(
        r"^(?P<name>linarith|nlinarith|omega|simp|simp_all|norm_num|ring|ring_nf|positivity"
        r"|field_simp|decide|aesop|tauto|polyrith|gcongr|norm_cast|push_cast"
        r"|exact\?|apply\?|rfl)\b:? ?(?:failed|could not|made no progress|did not|cannot)"
    ),
    re.compile(r"^(?P<name>\w+) failed\b"),
    re.compile(r"^not a (?P<name>\w+) goal"),
    re.compile(r"^failed to (?:synthesize|prove|simplify|find)"),
)


def classify(text: str) -> Classified:
    """The class of one message text (Lean's own wording; see the module docstring)."""
    first = text.lstrip()
    if match := _UNKNOWN_IDENTIFIER.match(first):
        return Classified(ErrorClass.UNKNOWN_IDENTIFIER, match.group("name"))
    if match := _UNKNOWN_CONSTANT.match(first):
        return Classified(ErrorClass.UNKNOWN_CONSTANT, match.group("name"))
    if match := _DEPRECATED.search(first):
        return Classified(ErrorClass.DEPRECATED, match.group("name"), match.group("new"))
    if _TIMEOUT.search(first):
        return Classified(ErrorClass.TIMEOUT)
    if first.lower().startswith("unsolved goals"):
        return Classified(ErrorClass.UNSOLVED_GOALS)
    if _SYNTAX.match(first):
        return Classified(ErrorClass.SYNTAX)
    if _NO_GOALS.match(first):
        return Classified(ErrorClass.NO_GOALS)
    if _TYPE_MISMATCH.match(first):
        return Classified(ErrorClass.TYPE_MISMATCH)
    for pattern in _TACTIC_PATTERNS:
        if match := pattern.match(first):
            name = match.groupdict().get("name")
            return Classified(ErrorClass.TACTIC_FAILED, name)
    return Classified(ErrorClass.OTHER)


def diagnose(theorem: Theorem, proof: str, check: CheckResult) -> list[Diagnosis]:
    """The errors of `check` (the elaboration of `theorem.with_proof(proof)`) and its
    deprecation warnings, in order of position; a check Lean did not finish (timeout,
    crash, …) gives one error without a position."""
    found: list[Diagnosis] = []
    if check.status is not CallStatus.OK:
        kind = ErrorClass.TIMEOUT if check.status is CallStatus.TIMEOUT else ErrorClass.OTHER
        text = check.error or f"Lean did not finish: {check.status.value}"
        message = Message(Severity.ERROR, Position(1, 0), None, text)
        return [Diagnosis(kind, message, None, None)]
    lines = proof.splitlines()
    for message in check.messages:
        classified = classify(message.text)
        wanted = message.is_error or classified.kind is ErrorClass.DEPRECATED
        if not wanted:
            continue
        start = locate(theorem, proof, message.pos)
        end = locate(theorem, proof, message.end_pos) if message.end_pos else None
        subject = classified.subject
        if classified.kind is ErrorClass.TACTIC_FAILED and subject is None and start:
            subject = word_at(lines, *start)
        found.append(
            Diagnosis(
                classified.kind,
                message,
                start[0] if start else None,
                start[1] if start else None,
                end[0] if end else None,
                end[1] if end else None,
                subject,
                classified.replacement,
            )
        )
    return sorted(found, key=_position)


def errors(diagnoses: list[Diagnosis]) -> list[Diagnosis]:
    """The diagnoses that keep the proof from elaborating (not the deprecation warnings)."""
    return [d for d in diagnoses if d.kind is not ErrorClass.DEPRECATED]


def word_at(lines: list[str], line: int, column: int) -> str | None:
    """The tactic-like word starting at (line, column) of the proof, if any."""
    if line >= len(lines):
        return None
    match = re.match(r"[\w.'?!]+", lines[line][column:])
    return match.group(0) if match else None


def _position(diagnosis: Diagnosis) -> tuple[int, int, int]:
    if diagnosis.line is None:
        return (0, -1, 0)
    return (1, diagnosis.line, diagnosis.column or 0)
