"""Shared pieces of the `leanwb` commands: options, output, and clean failure.

A `WorkbenchError` needs no handling here: `prover.cli.LazyGroup` turns it into one
line and exit status 2."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from prover.budget import Limits, parse_budget
from prover.config import Settings, load_settings
from prover.strategies.base import Progress

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
HeaderTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--header-timeout",
        min=1.0,
        help="Seconds the REPL may take to import the header, on top of the proof's own "
        "bound (default: header_timeout_s in the config's [lean], else 900).",
    ),
]

# The one budget syntax of every command that searches (prove, repair, eval run).
BudgetOption = Annotated[
    str | None,
    typer.Option(
        "--budget",
        help="Per-attempt budget, e.g. 'wall=60,lean_calls=200,tokens=none,expansions=64,"
        "tactic_timeout=10' (unset keys keep their defaults).",
    ),
]
TimeOption = Annotated[
    str | None,
    typer.Option("--time", metavar="SECONDS", help="Shorthand for --budget wall=SECONDS."),
]
ExpansionsOption = Annotated[
    str | None,
    typer.Option("--expansions", metavar="N", help="Shorthand for --budget expansions=N."),
]
WidthOption = Annotated[int, typer.Option("--width", min=1, help="Candidates per expansion.")]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="Server URL for openai: models (default: [models] base_url in the config file, "
        "else $OPENAI_BASE_URL).",
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="API key for openai: models (default $LEANWB_API_KEY, else $OPENAI_API_KEY).",
    ),
]


def limits_from(budget: str | None, time: str | None, expansions: str | None) -> Limits:
    """The budget of `--budget`, with the `--time`/`--expansions` shorthands added (they
    go through the same parser, so the same numbers are refused)."""
    parts = [budget or ""]
    if time is not None:
        parts.append(f"wall={time}")
    if expansions is not None:
        parts.append(f"expansions={expansions}")
    return parse_budget(",".join(part for part in parts if part))


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one clear sentence on stderr and a non-zero exit code, never a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def settings(
    repl_cmd: str | None = None, db: Path | None = None, header_timeout: float | None = None
) -> Settings:
    loaded = load_settings(repl_cmd=repl_cmd, db=db)
    if header_timeout is None:
        return loaded
    return replace(loaded, lean=replace(loaded.lean, header_timeout_s=header_timeout))


def say_wait(text: str) -> None:
    """What a command is waiting on (a slow header import), on stderr."""
    err_console.print(text, style="dim", highlight=False, markup=False, soft_wrap=True)


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


@contextmanager
def progress_line(
    describe: Callable[[Progress], str], *, enabled: bool
) -> Iterator[Callable[[Progress], None] | None]:
    """A live status line on stderr (on a terminal only), drawn by `describe`."""
    if not enabled:
        yield None
        return
    with Live(console=err_console, transient=True) as live:

        def show(progress: Progress) -> None:
            live.update(Text(describe(progress)))

        yield show
