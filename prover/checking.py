"""What `check` checks, and where Lean's messages lie in what the user gave.

A `CheckRequest` is a theorem and its claimed proof, read from a file or from the three
texts header/statement/proof, together with where each piece starts in that input.
`shown_messages` maps the positions of Lean's messages (in the checked declaration, or
in the header) back to the user's input, so a message points at the line of the file,
or of the `--proof` text, that it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prover.errors import TheoremTextError
from prover.lean_text import Declaration, declaration_from_text, declarations_from_text
from prover.proof_text import locate
from prover.types import Message, Position, Theorem, Verdict
from prover.verify_lexer import LexError, tokenize
from prover.verify_rules import parse_declaration


@dataclass(frozen=True)
class Origin:
    """Where one piece of the checked text starts in the user's input."""

    source: str  # "file", "header", "statement" or "proof", as the JSON says
    label: str  # how the text output names it: the file's path or the option
    line: int  # 1-based
    column: int  # 0-based, in code points like Lean's

    def place(self, line_offset: int, column: int) -> Position:
        """The position `line_offset` lines and `column` columns into the piece."""
        return Position(self.line + line_offset, column + (self.column if not line_offset else 0))


@dataclass(frozen=True)
class CheckRequest:
    """The theorem and proof to check, and where their texts came from."""

    theorem: Theorem
    proof: str
    header_at: Origin
    statement_at: Origin
    proof_at: Origin


def _origin_at(text: str, offset: int, source: str, label: str) -> Origin:
    line_start = text.rfind("\n", 0, offset) + 1
    return Origin(source, label, text.count("\n", 0, offset) + 1, offset - line_start)


def _stripped_origin(text: str, source: str) -> Origin:
    """Where `text.strip()` starts in `text`, an option's value."""
    return _origin_at(text, len(text) - len(text.lstrip()), source, f"--{source}")


def _token_ends(text: str) -> list[int]:
    """The offsets where each token of `text` ends."""
    tokens = tokenize(text)
    line_starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]
    return [line_starts[t.line - 1] + t.column + len(t.text) for t in tokens]


def _request(text: str, found: Declaration, label: str) -> CheckRequest:
    if found.proof is None or found.proof_span is None:
        raise TheoremTextError(f"`{found.theorem.name}` has no `:=` followed by a proof")
    return CheckRequest(
        found.theorem,
        found.proof,
        header_at=_origin_at(text, len(text) - len(text.lstrip()), "file", label),
        statement_at=_origin_at(text, found.statement_start, "file", label),
        proof_at=_origin_at(text, found.proof_span[0], "file", label),
    )


def request_from_text(text: str, label: str, name: str | None = None) -> CheckRequest:
    """The theorem called `name` (or the only one) of a file's `text` with its proof;
    `label` names the file in messages. TheoremTextError when there is none."""
    found = declaration_from_text(text, name=name, default_header="", source=label)
    return _request(text, found, label)


def requests_from_text(text: str, label: str) -> list[CheckRequest]:
    """Every theorem of a file's `text` with its proof, in order (`check --all`)."""
    return [
        _request(text, found, label)
        for found in declarations_from_text(text, default_header="", source=label)
    ]


def _holds_a_proof(statement: str) -> bool:
    """Whether `statement` already has the proof's `:=`, found as a file's would be: with
    `:= sorry` added, the proof read back is something other than that `sorry`."""
    try:
        found = declaration_from_text(f"{statement}\n  := sorry", default_header="")
    except TheoremTextError:
        return False  # unreadable here; the gate says why
    return found.proof is not None and found.proof != "sorry"


def request_from_parts(header: str | None, statement: str, proof: str) -> CheckRequest:
    """The theorem `statement` (up to `:=`) with `proof` (the text after `:=`) on
    `header`. TheoremTextError, naming the option, when a piece is unusable."""
    if not statement.strip():
        raise TheoremTextError("--statement is empty; give the declaration up to `:=`")
    if not proof.strip():
        raise TheoremTextError("--proof is empty; give the text after `:=`")
    try:
        name = parse_declaration(statement).name or "example"
    except (ValueError, LexError) as exc:
        raise TheoremTextError(f"--statement: {exc}") from exc
    if _holds_a_proof(statement.strip()):
        raise TheoremTextError("--statement must stop before `:=`; put the proof in --proof")
    if proof.lstrip().startswith(":="):
        raise TheoremTextError("--proof is the text after `:=`; leave the `:=` out")
    # Up to its last token, so that a trailing `-- comment` cannot swallow the `:=`.
    text = statement.strip()[: _token_ends(statement.strip())[-1]]
    return CheckRequest(
        Theorem(name=name, header=header or "", statement=text),
        proof.strip(),
        header_at=Origin("header", "--header", 1, 0),
        statement_at=_stripped_origin(statement, "statement"),
        proof_at=_stripped_origin(proof, "proof"),
    )


def request_for(theorem: Theorem, proof: str) -> CheckRequest:
    """A request for a theorem given as a value: positions stay the checked text's."""
    return CheckRequest(
        theorem,
        proof.strip(),
        header_at=Origin("header", "header", 1, 0),
        statement_at=Origin("statement", "statement", 1, 0),
        proof_at=Origin("statement", "statement", 1, 0),
    )


def _user_place(request: CheckRequest, verdict: Verdict, pos: Position) -> tuple[Origin, Position]:
    """Where `pos` (in the checked declaration, or the header) lies in the user's input."""
    if verdict.reason == "header_error":
        return request.header_at, request.header_at.place(pos.line - 1, pos.column)
    in_proof = locate(request.theorem, request.proof, pos)
    if in_proof is None or request.proof_at == request.statement_at:
        return request.statement_at, request.statement_at.place(pos.line - 1, pos.column)
    return request.proof_at, request.proof_at.place(*in_proof)


def shown_messages(request: CheckRequest, verdict: Verdict) -> list[tuple[Origin, Message]]:
    """The verdict's messages, each placed in the user's input."""
    shown: list[tuple[Origin, Message]] = []
    for message in verdict.messages:
        origin, pos = _user_place(request, verdict, message.pos)
        end = None
        if message.end_pos is not None:
            end_origin, end_pos = _user_place(request, verdict, message.end_pos)
            end = end_pos if end_origin == origin else None
        shown.append((origin, replace(message, pos=pos, end_pos=end)))
    return shown
