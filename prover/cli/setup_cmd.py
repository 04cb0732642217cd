"""`leanwb setup` (make Lean ready) and `leanwb doctor` (say whether it is)."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from prover.cli.common import (
    DbOption,
    JsonOption,
    ReplCmdOption,
    console,
    emit_json,
    fail,
    settings,
)
from prover.config import REPL_BINARY
from prover.lean.doctor import diagnose
from prover.lean.setup import SetupError, run_setup


def setup_cmd() -> None:
    """Install or find elan, fetch Mathlib's build cache and build the REPL (needs network)."""
    project_dir = settings().lean.project_dir
    console.print(Text(f"Lean project: {project_dir}", style="bold"))
    status = console.status("starting")

    def on_step(number: int, total: int, title: str) -> None:
        status.stop()
        console.print(Text(f"[{number}/{total}] {title}", style="bold cyan"))
        if console.is_terminal:  # a spinner with the latest output line; logs get every line
            status.update(Text(title))
            status.start()

    def on_line(line: str) -> None:
        if console.is_terminal:
            status.update(Text(line[: console.width - 4], style="dim"))
        else:
            console.print(Text(f"  {line}", style="dim"))

    try:
        result = run_setup(project_dir, REPL_BINARY, on_step, on_line)
    except SetupError as exc:
        fail(str(exc))
    finally:
        status.stop()
    console.print(Text(f"ready: REPL built at {result.repl_binary}", style="bold green"))
    if result.installed_elan:
        console.print(
            f"elan was installed in {result.lake.parent}; open a new shell (or run "
            "`source ~/.elan/env`) so that `lake` is on PATH"
        )
    console.print("next: `leanwb doctor` checks that everything works together")


def doctor_cmd(
    repl_cmd: ReplCmdOption = None, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """Report the toolchain, Mathlib, the REPL, Python packages, models and the database.

    Exit code 0 only when proving can work.
    """
    report = diagnose(settings(repl_cmd=repl_cmd, db=db))
    if as_json:
        emit_json(report.as_dict())
    else:
        table = Table(title="leanwb doctor", show_lines=False)
        table.add_column("check")
        table.add_column("status")
        table.add_column("detail", overflow="fold")
        for finding in report.findings:
            if finding.ok:
                mark = Text("ok", style="green")
            elif finding.required:
                mark = Text("missing", style="bold red")
            else:
                mark = Text("warning", style="yellow")  # fails, but proving does not need it
            table.add_row(finding.name, mark, Text(finding.detail))
        console.print(table)
        fixes: dict[str, list[str]] = {}
        for finding in report.findings:
            if not finding.ok and finding.fix:
                fixes.setdefault(finding.fix, []).append(finding.name)
        for fix, names in fixes.items():
            console.print(Text(f"to fix {', '.join(names)}: {fix}", style="bold"))
        verdict = "ready to prove" if report.ready else "not ready to prove"
        console.print(Text(verdict, style="bold green" if report.ready else "bold red"))
    if not report.ready:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("setup")(setup_cmd)
    app.command("doctor")(doctor_cmd)
