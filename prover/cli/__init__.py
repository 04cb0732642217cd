"""`leanwb`: the command-line front end, a thin skin over `prover.api`.

Each command group lives in its own module and is imported only when that command
runs: `leanwb --help` and `leanwb --version` load neither the database layer nor any
model library. A `WorkbenchError` escaping a command is caught here, once, and
printed as one sentence with exit status 2.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import click
import typer
from typer.core import TyperGroup

import prover

# name -> (module that registers it, one-line help shown by `leanwb --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "setup": (
        "prover.cli.setup_cmd",
        "Install or find elan, fetch Mathlib's build cache and build the REPL.",
    ),
    "doctor": ("prover.cli.setup_cmd", "Report what is ready, what is missing and how to fix it."),
    "check": ("prover.cli.check_cmd", "Check a proof with Lean and the soundness gate."),
    "prove": ("prover.cli.prove_cmd", "Search for a proof, check it and record every step."),
    "repair": ("prover.cli.repair_cmd", "Repair a broken proof with Lean's error messages."),
    "graph": ("prover.cli.graph_cmd", "Browse provenance graphs: list, show, export HTML."),
    "index": ("prover.cli.index_cmd", "Build and search a premise index."),
    "eval": ("prover.cli.eval_cmd", "Evaluate on a benchmark, report, compare runs."),
    "datasets": ("prover.cli.datasets_cmd", "Benchmark manifests, files and the download cache."),
    "serve": ("prover.cli.serve_cmd", "Serve checks over HTTP (Kimina-compatible and /v1)."),
    "mcp": ("prover.cli.serve_cmd", "Serve MCP tools over stdio for agents."),
}


class LazyGroup(TyperGroup):
    """Commands imported on first use; `WorkbenchError` turned into one clean line.

    The top-level help lists each command by its line in `COMMANDS`, so it imports
    none of them."""

    listing = False  # True while the top-level help is drawn

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, text = COMMANDS[cmd_name]
        if self.listing:
            return click.Command(cmd_name, help=text, short_help=text)
        holder = typer.Typer()
        import_module(module).register(holder)
        return typer.main.get_group(holder).commands.get(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

    def invoke(self, ctx: click.Context) -> Any:
        from prover.errors import WorkbenchError

        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            from prover.cli.common import fail

            fail(str(exc))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leanwb {prover.__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="leanwb",
    cls=LazyGroup,
    help="Lean Workbench: prove, check, repair and evaluate Lean 4 theorems.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain click help at the top: typer's rich help alone would double the start-up
    # time of `leanwb --help` (bench/cli.py); each command's own help stays rich.
    rich_markup_mode=None,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Lean Workbench: prove, check, repair and evaluate Lean 4 theorems."""


def main() -> None:
    app()
