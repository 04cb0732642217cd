"""Shared pieces of the `leanwb` commands: options, output, and clean failure."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from prover.attempt import Progress, Strategy
from prover.budget import Limits
from prover.config import ConfigError, Settings, load_settings
from prover.session import AttemptResult, SessionError, SessionOptions, open_session
from prover.types import Theorem

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

# Budget and model options shared by the commands that search (`prove`, `repair`).
WallOption = Annotated[float, typer.Option("--time", min=0.1, help="Wall-clock budget in seconds.")]
ExpansionsOption = Annotated[
    int | None, typer.Option("--expansions", min=1, help="Maximum search expansions.")
]
LeanCallsOption = Annotated[
    int | None, typer.Option("--lean-calls", min=1, help="Maximum Lean requests.")
]
TokensOption = Annotated[int | None, typer.Option("--tokens", min=1, help="Maximum model tokens.")]
TacticTimeoutOption = Annotated[
    float, typer.Option("--tactic-timeout", min=0.1, help="Seconds per Lean request.")
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
    typer.Option("--api-key", help="API key for openai: models (default $OPENAI_API_KEY)."),
]


def limits(
    wall: float,
    expansions: int | None,
    lean_calls: int | None,
    tokens: int | None,
    tactic_timeout: float,
) -> Limits:
    return Limits(
        wall_s=wall,
        lean_calls=lean_calls,
        tokens=tokens,
        expansions=expansions,
        tactic_timeout_s=tactic_timeout,
    )


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one clear sentence on stderr and a non-zero exit code, never a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def settings(
    repl_cmd: str | None = None, db: Path | None = None, header_timeout: float | None = None
) -> Settings:
    try:
        loaded = load_settings(repl_cmd=repl_cmd, db=db)
    except ConfigError as exc:
        fail(str(exc))
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


def prove_and_record(
    resolved: Settings,
    options: SessionOptions,
    theorem: Theorem,
    strategy: Strategy,
    config: Mapping[str, Any],
    *,
    kind: str,
    describe: Callable[[Progress], str],
) -> AttemptResult:
    """Open a session, record a run of `kind`, and prove `theorem` with a live line."""
    try:
        with open_session(resolved, options) as session:
            session.lean.on_wait = say_wait
            run_id = session.begin_run(command_line(), config, kind=kind)
            with progress_line(describe, enabled=err_console.is_terminal) as show:
                return session.prove(theorem, strategy, run_id=run_id, on_progress=show)
    except (SessionError, ConfigError) as exc:  # ConfigError: e.g. the REPL cannot start
        fail(str(exc))
