"""`leanwb check`: send claimed proofs through the soundness gate (`Workbench.check`).

Lean's messages are shown at their place in what the user gave: the file, or the
--header/--statement/--proof texts (each message says which, as `source`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from prover.api import DEFAULT_CHECK_TIMEOUT_S, Workbench
from prover.checking import (
    CheckRequest,
    request_from_parts,
    request_from_text,
    requests_from_text,
)
from prover.cli.common import (
    HeaderTimeoutOption,
    JsonOption,
    ReplCmdOption,
    console,
    emit_json,
    fail,
    say_wait,
)
from prover.errors import TheoremTextError
from prover.reports import CheckReport

_STYLE = {"proved": "bold green", "failed": "bold red"}


def _requests(
    file: Path | None,
    name: str | None,
    every: bool,
    header: str | None,
    statement: str | None,
    proof: str | None,
) -> list[CheckRequest]:
    if file is not None:
        if statement is not None or proof is not None or header is not None:
            fail("give either FILE or --header/--statement/--proof, not both")
        if every and name is not None:
            fail("give either --all or --name, not both")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {exc}")
        try:
            if every:
                return requests_from_text(text, str(file))
            return [request_from_text(text, str(file), name)]
        except TheoremTextError as exc:
            fail(f"{file}: {exc}")
    if name is not None or every:
        fail(
            "--name selects a theorem in FILE and --all takes them all; "
            "with --statement there is one"
        )
    if statement is None or proof is None:
        fail("give a FILE, or both --statement (up to `:=`) and --proof (the text after `:=`)")
    return [request_from_parts(header, statement, proof)]


def _print(report: CheckReport, labels: dict[str, str]) -> None:
    line = Text()
    line.append(report.verdict, style=_STYLE.get(report.verdict, "bold yellow"))
    line.append(f" {report.theorem}")
    if report.proved:
        line.append(f" (axioms: {', '.join(report.axioms) or 'none'})", style="dim")
    else:
        line.append(f" [{report.reason}] {report.detail}")
    console.print(line)
    for message in report.messages:
        if message["severity"] == "error" or not report.proved:
            label = labels.get(message["source"], message["source"])
            where = f"  {label}:{message['line']}:{message['column']} "
            console.print(
                Text(f"{where}{message['severity']}: ", style="dim") + Text(message["text"])
            )


def check_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="A .lean file holding the theorem and its proof.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Theorem to check in FILE (needed when it holds several)."),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Check every theorem of FILE, in order.")
    ] = False,
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
    ] = DEFAULT_CHECK_TIMEOUT_S,
    header_timeout: HeaderTimeoutOption = None,
    repl_cmd: ReplCmdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a proof: Lean must accept it, and it must pass the soundness gate.

    Exit code 0 only when every verdict is `proved`; 1 for `failed` or `rejected`.
    With --all, --json prints a list with one object per theorem.
    """
    requests = _requests(file, name, every, header, statement, proof)
    with Workbench(repl_cmd=repl_cmd, header_timeout=header_timeout, on_wait=say_wait) as workbench:
        reports = [
            workbench.check(request, allow_native_decide=allow_native_decide, timeout=timeout)
            for request in requests
        ]
    if as_json and every:
        emit_json([report.as_dict() for report in reports])
    elif as_json:
        typer.echo(reports[0].to_json())
    else:
        labels = {"file": str(file), "header": "--header"}
        labels |= {"statement": "--statement", "proof": "--proof"}
        for report in reports:
            _print(report, labels)
    if not all(report.proved for report in reports):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
