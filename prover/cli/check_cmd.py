"""`leanwb check`: send one claimed proof through the soundness gate.

Lean's messages are shown at their place in what the user gave: the file, or the
--header/--statement/--proof texts (each message says which, as `source`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from prover.cli.common import (
    HeaderTimeoutOption,
    JsonOption,
    ReplCmdOption,
    console,
    emit_json,
    fail,
    say_wait,
    settings,
)
from prover.config import ConfigError
from prover.graph.recorder import message_json
from prover.lean.pool import LeanServer
from prover.lean_text import TheoremTextError, declaration_from_text
from prover.proof_text import locate
from prover.types import Message, Position, Theorem, Verdict, VerdictKind
from prover.verify import verify
from prover.verify_lexer import LexError, tokenize
from prover.verify_rules import parse_declaration

DEFAULT_TIMEOUT_S = 60.0
_STYLE = {VerdictKind.PROVED: "bold green", VerdictKind.FAILED: "bold red"}


class ClaimError(ValueError):
    """The texts do not make one claim to check; the message says why."""


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
class Claim:
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


def _token_ends(text: str) -> tuple[list[int], list[int]]:
    """The offsets where each token of `text` starts and ends."""
    tokens = tokenize(text)
    line_starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]
    starts = [line_starts[t.line - 1] + t.column for t in tokens]
    return starts, [start + len(t.text) for start, t in zip(starts, tokens, strict=True)]


def _claim_from_file(file: Path, name: str | None) -> Claim:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    try:
        found = declaration_from_text(text, name=name, default_header="", source=str(file))
    except TheoremTextError as exc:
        fail(f"{file}: {exc}")
    if found.proof is None or found.proof_span is None:
        fail(f"{file}: `{found.theorem.name}` has no `:=` followed by a proof")
    theorem, proof_start = found.theorem, found.proof_span[0]
    label = str(file)
    return Claim(
        theorem,
        found.proof,
        header_at=_origin_at(text, len(text) - len(text.lstrip()), "file", label),
        statement_at=_origin_at(text, found.statement_start, "file", label),
        proof_at=_origin_at(text, proof_start, "file", label),
    )


def _holds_a_proof(statement: str) -> bool:
    """Whether `statement` already has the proof's `:=`, found as a file's would be: with
    `:= sorry` added, the proof read back is something other than that `sorry`."""
    try:
        found = declaration_from_text(f"{statement}\n  := sorry", default_header="")
    except TheoremTextError:
        return False  # unreadable here; the gate says why
    return found.proof is not None and found.proof != "sorry"


def claim_from_parts(header: str | None, statement: str, proof: str) -> Claim:
    """The claim of the --header/--statement/--proof texts; ClaimError says what is wrong."""
    if not statement.strip():
        raise ClaimError("--statement is empty; give the declaration up to `:=`")
    if not proof.strip():
        raise ClaimError("--proof is empty; give the text after `:=`")
    try:
        name = parse_declaration(statement).name or "example"
    except (ValueError, LexError) as exc:
        raise ClaimError(f"--statement: {exc}") from None
    if _holds_a_proof(statement.strip()):
        raise ClaimError("--statement must stop before `:=`; put the proof in --proof")
    if proof.lstrip().startswith(":="):
        raise ClaimError("--proof is the text after `:=`; leave the `:=` out")
    # Up to its last token, so that a trailing `-- comment` cannot swallow the `:=`.
    text = statement.strip()[: _token_ends(statement.strip())[1][-1]]
    return Claim(
        Theorem(name=name, header=header or "", statement=text),
        proof.strip(),
        header_at=Origin("header", "--header", 1, 0),
        statement_at=_stripped_origin(statement, "statement"),
        proof_at=_stripped_origin(proof, "proof"),
    )


def _claim(
    file: Path | None,
    name: str | None,
    header: str | None,
    statement: str | None,
    proof: str | None,
) -> Claim:
    if file is not None:
        if statement is not None or proof is not None or header is not None:
            fail("give either FILE or --header/--statement/--proof, not both")
        return _claim_from_file(file, name)
    if name is not None:
        fail("--name selects a theorem in FILE; with --statement the name is in the statement")
    if statement is None or proof is None:
        fail("give a FILE, or both --statement (up to `:=`) and --proof (the text after `:=`)")
    try:
        return claim_from_parts(header, statement, proof)
    except ClaimError as exc:
        fail(str(exc))


def _user_place(claim: Claim, verdict: Verdict, pos: Position) -> tuple[Origin, Position]:
    """Where `pos` (in the checked declaration, or the header) lies in the user's input."""
    if verdict.reason == "header_error":
        return claim.header_at, claim.header_at.place(pos.line - 1, pos.column)
    in_proof = locate(claim.theorem, claim.proof, pos)
    if in_proof is None:
        return claim.statement_at, claim.statement_at.place(pos.line - 1, pos.column)
    return claim.proof_at, claim.proof_at.place(*in_proof)


def _shown_messages(claim: Claim, verdict: Verdict) -> list[tuple[Origin, Message]]:
    shown: list[tuple[Origin, Message]] = []
    for message in verdict.messages:
        origin, pos = _user_place(claim, verdict, message.pos)
        end = None
        if message.end_pos is not None:
            end_origin, end_pos = _user_place(claim, verdict, message.end_pos)
            end = end_pos if end_origin == origin else None
        shown.append((origin, replace(message, pos=pos, end_pos=end)))
    return shown


def payload(claim: Claim, verdict: Verdict) -> dict[str, Any]:
    return {
        "verdict": verdict.kind.value,
        "reason": verdict.reason,
        "detail": verdict.detail,
        "theorem": claim.theorem.name,
        "axioms": list(verdict.axioms),
        "messages": [
            {"source": origin.source, **message_json(message)}
            for origin, message in _shown_messages(claim, verdict)
        ],
        "proof": verdict.proof,
    }


def _print(claim: Claim, verdict: Verdict) -> None:
    line = Text()
    line.append(verdict.kind.value, style=_STYLE.get(verdict.kind, "bold yellow"))
    line.append(f" {claim.theorem.name}")
    if verdict.proved:
        line.append(f" (axioms: {', '.join(verdict.axioms) or 'none'})", style="dim")
    else:
        line.append(f" [{verdict.reason}] {verdict.detail}")
    console.print(line)
    for origin, message in _shown_messages(claim, verdict):
        if message.is_error or not verdict.proved:
            where = f"  {origin.label}:{message.pos.line}:{message.pos.column} "
            console.print(
                Text(f"{where}{message.severity.value}: ", style="dim") + Text(message.text)
            )


def check_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="A .lean file holding the theorem and its proof.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Theorem to check in FILE (needed when it holds several)."),
    ] = None,
    header: Annotated[
        str | None, typer.Option("--header", help="Imports and opens before the statement.")
    ] = None,
    statement: Annotated[
        str | None,
        typer.Option("--statement", help="The declaration up to `:=`, e.g. 'theorem t : True'."),
    ] = None,
    proof: Annotated[
        str | None, typer.Option("--proof", help="The text after `:=`, e.g. 'by trivial'.")
    ] = None,
    allow_native_decide: Annotated[
        bool,
        typer.Option("--allow-native-decide", help="Accept proofs that trust compiled code."),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1.0,
            help="Seconds Lean may spend on the proof (the header import has its own bound).",
        ),
    ] = DEFAULT_TIMEOUT_S,
    header_timeout: HeaderTimeoutOption = None,
    repl_cmd: ReplCmdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a proof: Lean must accept it, and it must pass the soundness gate.

    Exit code 0 only when the verdict is `proved`; 1 for `failed` or `rejected`.
    """
    claim = _claim(file, name, header, statement, proof)
    lean_settings = settings(repl_cmd=repl_cmd, header_timeout=header_timeout).lean
    try:
        with LeanServer(lean_settings, on_wait=say_wait) as lean:
            verdict = verify(
                claim.theorem,
                claim.proof,
                lean,
                allow_native_decide=allow_native_decide,
                timeout=timeout,
            )
    except ConfigError as exc:
        fail(str(exc))
    if as_json:
        emit_json(payload(claim, verdict))
    else:
        _print(claim, verdict)
    if not verdict.proved:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
