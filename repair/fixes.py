"""Targeted fixes: for one diagnosed error, the edited proofs worth checking.

Each fix is small and named, like the syntax rules, but is proposed only for the
error class it answers, and only Lean decides whether it helped (the pipeline keeps
the first candidate whose check improves on the last one):

- `rename_hypothesis` — an unknown identifier becomes the most similar name in scope
  (the statement's binders, names the proof introduced before the line, hypotheses
  in the goals Lean printed), proof-like names first when it looks like a hypothesis;
- `lean3_namespace` — `nat.succ_le_iff` → `Nat.succ_le_iff` (Lean 3's lower-case
  namespaces);
- `drop_unknown_hint` — an unknown name in a `[…]` hint or simp list is dropped;
- `deprecated_name` — a deprecated constant becomes the one Lean names;
- `drop_closed_step` — a step run after its goal was closed is removed;
- `split_to_constructor` — Lean 3's `split` is Lean 4's `constructor`;
- `tool_correction` — a failing automation call becomes each alternative of
  `repair.tools.ALTERNATIVES` in turn.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from prover.proof_text import parse_steps
from prover.types import CheckResult, Theorem
from repair.diagnose import Diagnosis, ErrorClass
from repair.rules import binders
from repair.tools import alternatives

MAX_RENAMES = 3
MIN_SIMILARITY = 0.34
LEAN3_NAMESPACES = {
    "nat": "Nat",
    "int": "Int",
    "rat": "Rat",
    "real": "Real",
    "complex": "Complex",
    "finset": "Finset",
    "set": "Set",
    "list": "List",
    "multiset": "Multiset",
    "polynomial": "Polynomial",
    "function": "Function",
    "zmod": "ZMod",
}
# Binder types of names that are values, not proofs (never a hypothesis's new name).
_VALUE_TYPES = re.compile(r"^(?:Prop|Type\*?|Sort\*?|Type \S+|ℕ|ℤ|ℚ|ℝ|ℂ|Nat|Int|Rat|Real|Complex)$")
_NAME_CHARS = r"[\w'₀-₉]"
_INTRODUCED = re.compile(
    r"(?:\bintros?|\brintro|\bfun|\bλ|\bobtain|\brcases\b[^\n]*?\bwith|\bcases'?\b[^\n]*?\bwith"
    r"|\binduction'?\b[^\n]*?\bwith|\bcase\s+\S+|\bnext)\s+(?P<names>[^:=\n]*)"
)
_HAVE_NAME = re.compile(rf"\b(?:have|haveI|set|by_cases|by_contra|let)\s+(?P<name>{_NAME_CHARS}+)")
_GOAL_HYPOTHESIS = re.compile(r"^(?P<names>[\w'₀-₉✝]+(?:\s+[\w'₀-₉✝]+)*)\s*:\s*(?P<type>.*)$")


@dataclass(frozen=True)
class Edit:
    """A candidate proof from fix `rule` for the error on `line` (0-based)."""

    rule: str
    proof: str
    line: int
    detail: str


def proposals(theorem: Theorem, proof: str, diagnosis: Diagnosis, check: CheckResult) -> list[Edit]:
    """The candidate edits for `diagnosis`, most promising first."""
    if diagnosis.line is None:
        return []
    kind = diagnosis.kind
    found: list[Edit] = []
    if kind in (ErrorClass.UNKNOWN_IDENTIFIER, ErrorClass.UNKNOWN_CONSTANT) and diagnosis.subject:
        found += _lean3_namespace(proof, diagnosis)
        if kind is ErrorClass.UNKNOWN_IDENTIFIER:
            found += _renames(theorem, proof, diagnosis, check)
        found += _drop_hint(proof, diagnosis)
    elif kind is ErrorClass.DEPRECATED and diagnosis.subject and diagnosis.replacement:
        found += _replace_name(
            proof, diagnosis, diagnosis.replacement, "deprecated_name", "Lean's replacement"
        )
    elif kind is ErrorClass.NO_GOALS:
        found += _drop_step(proof, diagnosis)
    elif kind in (ErrorClass.TACTIC_FAILED, ErrorClass.OTHER):
        found += _split_to_constructor(proof, diagnosis)
        found += _tool_correction(proof, diagnosis)
    return found


def _lines(proof: str) -> list[str]:
    return proof.split("\n")


def _token_span(line: str, name: str, column: int | None) -> tuple[int, int] | None:
    """Where `name` stands on the line as a whole token: at `column` if it is there,
    else its first occurrence."""
    pattern = re.compile(rf"(?<![\w.']){re.escape(name)}(?![\w'])")
    if column is not None and (match := pattern.match(line, column)):
        return match.span()
    match = pattern.search(line)
    return match.span() if match else None


def _replace_name(proof: str, diagnosis: Diagnosis, new: str, rule: str, why: str) -> list[Edit]:
    assert diagnosis.line is not None and diagnosis.subject is not None
    lines = _lines(proof)
    span = _token_span(lines[diagnosis.line], diagnosis.subject, diagnosis.column)
    if span is None:
        return []
    line = lines[diagnosis.line]
    lines[diagnosis.line] = line[: span[0]] + new + line[span[1] :]
    detail = f"replace `{diagnosis.subject}` with `{new}` ({why})"
    return [Edit(rule, "\n".join(lines), diagnosis.line, detail)]


def _lean3_namespace(proof: str, diagnosis: Diagnosis) -> list[Edit]:
    assert diagnosis.subject is not None
    head, dot, rest = diagnosis.subject.partition(".")
    if not dot or head not in LEAN3_NAMESPACES:
        return []
    new = f"{LEAN3_NAMESPACES[head]}.{rest}"
    return _replace_name(proof, diagnosis, new, "lean3_namespace", "Lean 4 namespace")


def _renames(theorem: Theorem, proof: str, diagnosis: Diagnosis, check: CheckResult) -> list[Edit]:
    assert diagnosis.line is not None and diagnosis.subject is not None
    unknown = diagnosis.subject
    if "." in unknown:
        return []
    scope = names_in_scope(theorem, proof, diagnosis.line, check)
    hypothesis_like = unknown.startswith("h")

    def rank(name: str) -> float:
        ratio = difflib.SequenceMatcher(a=unknown, b=name).ratio()
        return ratio + (0.2 if name[:1] == unknown[:1] else 0.0)

    candidates = [
        name
        for name, type_ in scope.items()
        if name != unknown
        and not (hypothesis_like and type_ is not None and _VALUE_TYPES.match(type_.strip()))
        and difflib.SequenceMatcher(a=unknown, b=name).ratio() >= MIN_SIMILARITY
    ]
    candidates.sort(key=lambda name: -rank(name))
    edits: list[Edit] = []
    for name in candidates[:MAX_RENAMES]:
        edits += _replace_name(proof, diagnosis, name, "rename_hypothesis", "a name in scope")
    return edits


def names_in_scope(
    theorem: Theorem, proof: str, line: int, check: CheckResult
) -> dict[str, str | None]:
    """Names a proof line may mention, with their types where known: the statement's
    binders, the hypotheses of the goals Lean printed, names the proof introduced
    before `line`."""
    scope: dict[str, str | None] = {}
    for names, type_ in binders(theorem.statement):
        for name in names:
            scope[name] = type_
    for text in [m.text for m in check.messages] + [s.goal for s in check.sorries]:
        for row in text.split("\n"):
            match = _GOAL_HYPOTHESIS.match(row.strip())
            if match and "⊢" not in row:
                for name in match.group("names").split():
                    if "✝" not in name:  # inaccessible: the proof cannot name it
                        scope.setdefault(name, match.group("type"))
    for row in _lines(proof)[:line]:
        for match in _HAVE_NAME.finditer(row):
            scope.setdefault(match.group("name"), None)
        for match in _INTRODUCED.finditer(row):
            for name in re.findall(rf"{_NAME_CHARS}+", match.group("names")):
                if name not in ("with", "at", "_"):
                    scope.setdefault(name, None)
    return {name: type_ for name, type_ in scope.items() if not name[0].isdigit()}


def _drop_hint(proof: str, diagnosis: Diagnosis) -> list[Edit]:
    assert diagnosis.line is not None and diagnosis.subject is not None
    lines = _lines(proof)
    line = lines[diagnosis.line]
    span = _token_span(line, diagnosis.subject, diagnosis.column)
    if span is None:
        return []
    opening = line.rfind("[", 0, span[0])
    closing = line.find("]", span[1])
    if opening < 0 or closing < 0 or "]" in line[opening : span[0]]:
        return []
    items = [item.strip() for item in line[opening + 1 : closing].split(",")]
    kept = [item for item in items if item.lstrip("←- ").strip() != diagnosis.subject]
    if len(kept) == len(items):
        return []
    if kept:
        new_line = f"{line[: opening + 1]}{', '.join(kept)}{line[closing:]}"
    else:
        new_line = line[:opening].rstrip() + line[closing + 1 :]
    lines[diagnosis.line] = new_line
    detail = f"drop the unknown `{diagnosis.subject}` from the hint list"
    return [Edit("drop_unknown_hint", "\n".join(lines), diagnosis.line, detail)]


def _step_at(proof: str, line: int) -> tuple[int, int] | None:
    for step in parse_steps(proof):
        found = step.innermost(line)
        if found is not None:
            return found.start, found.end
    return None


def _drop_step(proof: str, diagnosis: Diagnosis) -> list[Edit]:
    assert diagnosis.line is not None
    span = _step_at(proof, diagnosis.line)
    if span is None or span[0] == 0:
        return []
    lines = _lines(proof)
    removed = lines[span[0]].strip()
    kept = [*lines[: span[0]], *lines[span[1] + 1 :]]
    detail = f"remove `{removed}`: the goal was already closed"
    return [Edit("drop_closed_step", "\n".join(kept), diagnosis.line, detail)]


_SPLIT = re.compile(r"(?<![\w.'])split(?![\w.'?!])")


def _split_to_constructor(proof: str, diagnosis: Diagnosis) -> list[Edit]:
    assert diagnosis.line is not None
    lines = _lines(proof)
    line = lines[diagnosis.line]
    column = diagnosis.column or 0
    if not _SPLIT.match(line, column) or line[column + len("split") :].strip():
        return []
    lines[diagnosis.line] = line[:column] + "constructor"
    detail = "replace Lean 3 `split` with `constructor`"
    return [Edit("split_to_constructor", "\n".join(lines), diagnosis.line, detail)]


def _tool_correction(proof: str, diagnosis: Diagnosis) -> list[Edit]:
    assert diagnosis.line is not None
    lines = _lines(proof)
    line = lines[diagnosis.line]
    start, end = call_span(line, diagnosis.column or 0)
    call = line[start:end]
    edits = []
    for option in alternatives(call):
        lines_copy = list(lines)
        lines_copy[diagnosis.line] = line[:start] + option + line[end:]
        detail = f"replace the failing `{call.strip()}` with `{option}`"
        edits.append(Edit("tool_correction", "\n".join(lines_copy), diagnosis.line, detail))
    return edits


def call_span(line: str, column: int) -> tuple[int, int]:
    """The tactic call starting at `column`: up to `;`, `<;>`, a `--` comment, a
    bracket it did not open, or the end of the line."""
    depth = 0
    for index in range(column, len(line)):
        char = line[index]
        if char in "([{⟨":
            depth += 1
        elif char in ")]}⟩":
            if depth == 0:
                return column, _trim(line, column, index)
            depth -= 1
        elif depth == 0 and (char == ";" or line.startswith(("<;>", "--"), index)):
            return column, _trim(line, column, index)
    return column, _trim(line, column, len(line))


def _trim(line: str, start: int, end: int) -> int:
    while end > start and line[end - 1].isspace():
        end -= 1
    return end
