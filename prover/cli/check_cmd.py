"""`leanwb check`: send one claimed proof through the soundness gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from prover.cli.common import JsonOption, ReplCmdOption, console, emit_json, fail, settings
from prover.config import ConfigError
from prover.graph.recorder import message_json
from prover.lean.pool import LeanServer
from prover.lean_text import TheoremTextError, declaration_from_text
from prover.types import Theorem, Verdict, VerdictKind
from prover.verify import verify
from prover.verify_lexer import LexError
from prover.verify_rules import parse_declaration

DEFAULT_TIMEOUT_S = 60.0
_STYLE = {VerdictKind.PROVED: "bold green", VerdictKind.FAILED: "bold red"}


def _theorem_from_options(
    file: Path | None,
    name: str | None,
    header: str | None,
    statement: str | None,
    proof: str | None,
) -> tuple[Theorem, str]:
    if file is not None:
        if statement is not None or proof is not None or header is not None:
            fail("give either FILE or --header/--statement/--proof, not both")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {exc}")
        try:
            found = declaration_from_text(
                text, name=name, default_header="", source=str(file), last_by_default=True
            )
        except TheoremTextError as exc:
            fail(f"{file}: {exc}")
        if found.proof is None:
            fail(f"{file}: `{found.theorem.name}` has no `:=` followed by a proof")
        return found.theorem, found.proof
    if name is not None:
        fail("--name selects a theorem in FILE; with --statement the name is in the statement")
    if statement is None or proof is None:
        fail("give a FILE, or both --statement (up to `:=`) and --proof (the text after `:=`)")
    try:
        name = parse_declaration(statement).name or "example"
    except (ValueError, LexError) as exc:
        fail(f"--statement: {exc}")
    theorem = Theorem(name=name, header=header or "", statement=statement.strip())
    return theorem, proof.strip()


def _payload(theorem: Theorem, verdict: Verdict) -> dict[str, Any]:
    return {
        "verdict": verdict.kind.value,
        "reason": verdict.reason,
        "detail": verdict.detail,
        "theorem": theorem.name,
        "axioms": list(verdict.axioms),
        "messages": [message_json(m) for m in verdict.messages],
        "proof": verdict.proof,
    }


def _print(theorem: Theorem, verdict: Verdict) -> None:
    line = Text()
    line.append(verdict.kind.value, style=_STYLE.get(verdict.kind, "bold yellow"))
    line.append(f" {theorem.name}")
    if verdict.proved:
        line.append(f" (axioms: {', '.join(verdict.axioms) or 'none'})", style="dim")
    else:
        line.append(f" [{verdict.reason}] {verdict.detail}")
    console.print(line)
    for message in verdict.messages:
        if message.is_error or not verdict.proved:
            where = f"  {message.pos.line}:{message.pos.column} {message.severity.value}: "
            console.print(Text(where, style="dim") + Text(message.text))


def check_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="A .lean file holding the theorem and its proof.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Theorem to check in FILE (default: the last).")
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
        float, typer.Option("--timeout", min=1.0, help="Seconds Lean may spend on the proof.")
    ] = DEFAULT_TIMEOUT_S,
    repl_cmd: ReplCmdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a proof: Lean must accept it, and it must pass the soundness gate.

    Exit code 0 only when the verdict is `proved`; 1 for `failed` or `rejected`.
    """
    theorem, proof_text = _theorem_from_options(file, name, header, statement, proof)
    lean_settings = settings(repl_cmd=repl_cmd).lean
    try:
        with LeanServer(lean_settings) as lean:
            verdict = verify(
                theorem, proof_text, lean, allow_native_decide=allow_native_decide, timeout=timeout
            )
    except ConfigError as exc:
        fail(str(exc))
    if as_json:
        emit_json(_payload(theorem, verdict))
    else:
        _print(theorem, verdict)
    if not verdict.proved:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
