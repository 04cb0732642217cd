"""`leanwb`: the command-line front end. Each command group lives in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

from prover import __version__
from prover.cli import (
    check_cmd,
    datasets_cmd,
    eval_cmd,
    graph_cmd,
    index_cmd,
    prove_cmd,
    repair_cmd,
    serve_cmd,
    setup_cmd,
)

app = typer.Typer(
    name="leanwb",
    help="Lean Workbench: prove, check, repair and evaluate Lean 4 theorems.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"leanwb {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Lean Workbench: prove, check, repair and evaluate Lean 4 theorems."""


for module in (
    setup_cmd,
    check_cmd,
    prove_cmd,
    repair_cmd,
    graph_cmd,
    index_cmd,
    eval_cmd,
    datasets_cmd,
    serve_cmd,
):
    module.register(app)


def main() -> None:
    app()
