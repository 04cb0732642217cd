"""Shared pieces of the `leanwb` commands: options, output, and clean failure."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from prover.config import ConfigError, Settings, load_settings

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite database (default: $LEANWB_DB, else the user data dir)."),
]
ReplCmdOption = Annotated[
    str | None,
    typer.Option(
        "--repl-cmd",
        help="Command that starts a Lean REPL (argv string, no shell); default $LEANWB_REPL_CMD "
        "or the REPL built in lean_project/.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one clear sentence on stderr and a non-zero exit code, never a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def settings(repl_cmd: str | None = None, db: Path | None = None) -> Settings:
    try:
        return load_settings(repl_cmd=repl_cmd, db=db)
    except ConfigError as exc:
        fail(str(exc))


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


SECRET_OPTIONS = ("--api-key",)


def command_line() -> str:
    """argv as run, with secrets blanked, for the run's record."""
    argv = ["leanwb", *sys.argv[1:]]
    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append("***")
            hide_next = False
        elif arg in SECRET_OPTIONS:
            shown.append(arg)
            hide_next = True
        elif arg.startswith(tuple(f"{opt}=" for opt in SECRET_OPTIONS)):
            shown.append(arg.split("=", 1)[0] + "=***")
        else:
            shown.append(arg)
    return shlex.join(shown)
