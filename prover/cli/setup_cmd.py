"""`leanwb setup` (make Lean ready) and `leanwb doctor` (say whether it is)."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from prover.cli.common import (
    DbOption,
    JsonOption,
    ReplCmdOption,
    console,
    emit_json,
    settings,
)
from prover.config import REPL_BINARY, Settings, default_repl_cmd
from prover.eval.datasets import list_manifests
from prover.eval.fetch import default_cache_dir
from prover.lean.deep_check import DeepCheck, fetched_samples, run_deep_checks
from prover.lean.doctor import Report, diagnose, uses_custom_repl
from prover.lean.pool import LeanServer
from prover.lean.setup import run_setup

ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project",
        help="Folder to write the Lake project into and build (default: $LEANWB_LEAN_PROJECT, "
        "the config file's project_dir, else <user data dir>/leanwb/lean_project).",
    ),
]
DeepOption = Annotated[
    bool,
    typer.Option(
        "--deep",
        help="Also prove known facts through the REPL and the soundness gate, check that cheats "
        "are refused, and elaborate the first statements of every fetched benchmark.",
    ),
]


def with_project(base: Settings, project: Path) -> Settings:
    """`base` with its Lean project moved to `project` (and the REPL built there, unless a
    custom REPL command is configured)."""
    lean = base.lean
    repl_cmd = lean.repl_cmd if uses_custom_repl(base) else default_repl_cmd(project)
    return replace(base, lean=replace(lean, project_dir=project, repl_cmd=repl_cmd))


def setup_cmd(project: ProjectOption = None) -> None:
    """Write the Lake project, get elan, Mathlib's cache and the REPL, then check it all.

    Needs the network once. The check at the end is `leanwb doctor --deep`.
    """
    configured = settings()
    resolved = with_project(configured, project.resolve()) if project else configured
    project_dir = resolved.lean.project_dir
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
    finally:
        status.stop()
    if result.written:
        console.print(f"wrote {', '.join(map(str, result.written))} from the package's template")
    for warning in result.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    console.print(Text(f"ready: REPL built at {result.repl_binary}", style="bold green"))
    if result.installed_elan:
        console.print(
            f"elan was installed in {result.lake.parent}; open a new shell (or run "
            "`source ~/.elan/env`) so that `lake` is on PATH"
        )
    if project_dir != configured.lean.project_dir:
        console.print(
            f"to use this project by default: export LEANWB_LEAN_PROJECT={project_dir} "
            "(or set project_dir in the config file's [lean] table)"
        )
    console.print(Text("checking it: leanwb doctor --deep", style="bold"))
    _doctor(resolved, deep=True, as_json=False)


def doctor_cmd(
    repl_cmd: ReplCmdOption = None,
    db: DbOption = None,
    deep: DeepOption = False,
    as_json: JsonOption = False,
) -> None:
    """Report the toolchain, Mathlib, the REPL, Python packages, models and the database.

    Exit code 0 only when proving can work (and, with --deep, every deep check passed).
    """
    _doctor(settings(repl_cmd=repl_cmd, db=db), deep=deep, as_json=as_json)


def _doctor(resolved: Settings, *, deep: bool, as_json: bool) -> None:
    report = diagnose(resolved)
    rows: list[DeepCheck] | None = None
    if deep and report.ready:
        samples = fetched_samples(list_manifests(), default_cache_dir())
        with LeanServer(resolved.lean) as lean:
            rows = run_deep_checks(lean, samples, timeout=resolved.lean.request_timeout_s)
    if as_json:
        payload = report.as_dict()
        if deep:
            payload["deep"] = [asdict(row) for row in rows] if rows is not None else None
        emit_json(payload)
    else:
        _print_report(report)
        if deep and rows is None:
            console.print(
                Text(
                    "deep checks not run: Lean is missing or not ready (see above); run "
                    "`leanwb setup`, then `leanwb doctor --deep`",
                    style="bold red",
                )
            )
        elif rows is not None:
            _print_deep(rows)
    if not report.ready or (deep and (rows is None or not all(row.ok for row in rows))):
        raise typer.Exit(1)


def _print_report(report: Report) -> None:
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


def _print_deep(rows: list[DeepCheck]) -> None:
    table = Table(title="leanwb doctor --deep", show_lines=False)
    for column in ("group", "check", "result"):
        table.add_column(column, no_wrap=True)
    table.add_column("detail", overflow="fold")
    for row in rows:
        mark = Text("pass", style="green") if row.ok else Text("FAIL", style="bold red")
        table.add_row(row.group, row.name, mark, Text(row.detail))
    console.print(table)
    passed = sum(row.ok for row in rows)
    style = "bold green" if passed == len(rows) else "bold red"
    console.print(Text(f"{passed} of {len(rows)} deep checks passed", style=style))


def register(app: typer.Typer) -> None:
    app.command("setup")(setup_cmd)
    app.command("doctor")(doctor_cmd)
