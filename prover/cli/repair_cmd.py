"""`leanwb repair`: turn Lean's errors on a broken proof into targeted fixes.

    leanwb repair broken.lean [--theorem NAME] [--rounds N] [--json]
    leanwb repair broken.lean --model openai:<model> --base-url URL   # conjecture correction

`--generator` and `--base-url` default to the `[models]` table of the config file
(see `prover.config`), then to the built-in defaults. The command parses, calls
`prover.api.Workbench.repair`, writes the file and renders the `RepairReport`
(`--json` prints it).

The repaired proof (or the best partial one, with `sorry` in its remaining holes) is
written to FILE.repaired.lean, or to `-o PATH`, or over FILE with `--in-place`; the
rest of the file is left as it was. Every fix, sorry and re-proof is recorded in the
attempt's graph. Exit status: 0 when the soundness gate accepted the repaired proof,
1 when it did not (or no repair was found), 2 on bad input.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from prover.api import Workbench
from prover.cli.common import (
    ApiKeyOption,
    BaseUrlOption,
    BudgetOption,
    DbOption,
    ExpansionsOption,
    JsonOption,
    ReplCmdOption,
    TimeOption,
    WidthOption,
    command_line,
    console,
    err_console,
    fail,
    limits_from,
    progress_line,
    say_wait,
)
from prover.errors import TheoremTextError
from prover.lean_text import Declaration
from prover.reports import RepairReport
from prover.strategies.base import Progress
from prover.visible import visible_text
from repair.pipeline import DEFAULT_ROUNDS
from repair.source import read_source


def register(app: typer.Typer) -> None:
    app.command("repair")(repair_command)


def repair_command(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE.lean", help="The Lean file with the broken proof."),
    ],
    theorem_name: Annotated[
        str | None,
        typer.Option("--theorem", "--name", help="Which theorem of the file to repair."),
    ] = None,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Repair rounds (check, fix, sorrify, re-prove).")
    ] = DEFAULT_ROUNDS,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the result here (default FILE.repaired.lean)."),
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Overwrite FILE with the result.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", help="openai:<model> or hf:<model> for conjecture correction."),
    ] = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    depth: Annotated[
        int, typer.Option("--depth", min=1, help="Model calls per hole (correction levels).")
    ] = 2,
    search: Annotated[
        str, typer.Option("--search", help="Search on holes after automation: bfs, mps or none.")
    ] = "bfs",
    generator: Annotated[
        str | None,
        typer.Option(
            "--generator",
            "-g",
            help="Tactic generator for that search (default: the config file's [models] "
            "generator, else heuristic).",
        ),
    ] = None,
    width: WidthOption = 8,
    budget: BudgetOption = None,
    time: TimeOption = None,
    expansions: ExpansionsOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    repl_cmd: ReplCmdOption = None,
) -> None:
    """Repair a broken proof: rule fixes, tool correction, sorrify, re-prove, recombine."""
    if output is not None and in_place:
        fail("give either --output or --in-place, not both")
    text = _read(file)
    try:
        source = read_source(text, name=theorem_name, source=str(file))
    except TheoremTextError as exc:
        fail(f"{file}: {exc}")
    limits = limits_from(budget, time, expansions)
    options = {"rounds": rounds, "depth": depth, "search": search, "width": width}
    with (
        Workbench(
            repl_cmd=repl_cmd,
            db=db,
            generator=generator,
            base_url=base_url,
            api_key=api_key,
            on_wait=say_wait,
        ) as workbench,
        progress_line(_describe, enabled=err_console.is_terminal) as show,
    ):
        report = workbench.repair(
            source.theorem,
            source.proof,
            model=model,
            options=options,
            limits=limits,
            on_progress=show,
            command=command_line(),
        )
    target = output or (file if in_place else file.with_suffix(".repaired.lean"))
    written = _write(text, source, report, target)
    report = replace(report, file=str(file), output=str(written) if written else None)
    if json_output:
        typer.echo(report.to_json())
    else:
        _print(source, report)
    if not report.proved:
        raise typer.Exit(1)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")


def _write(text: str, source: Declaration, report: RepairReport, target: Path) -> Path | None:
    """Write the file with the result's proof, when there is one and it differs."""
    if report.best_proof is None or report.best_proof == source.proof:
        return None
    try:
        target.write_text(source.with_proof_replaced(text, report.best_proof), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc}")
    return target


def _describe(progress: Progress) -> str:
    note = f" · {progress.note}" if progress.note else ""
    return f"{progress.strategy}{note} · {progress.elapsed_s:.1f}s"


def _print(source: Declaration, report: RepairReport) -> None:
    spent = report.spent
    cost = f"{spent['lean_calls']} Lean calls, {spent['wall_s']:.1f}s; attempt {report.attempt_id}"
    where = f" -> {report.output}" if report.output else ""
    name = report.theorem
    if report.proved:
        console.print(Text(f"repaired {name} ({cost}){where}", style="bold green"), soft_wrap=True)
    else:
        label = f"not repaired: {report.reason or 'unknown'}"
        console.print(
            Text(f"{label}: {report.detail} ({cost}){where}", style="bold red"), soft_wrap=True
        )
    if report.best_proof is None:
        return
    # Lines count from the proof's first line (its `by`), as the proof was at that step.
    for change in report.changes:
        line = f"proof line {change['line']}" if change["line"] is not None else ""
        error = f" [{change['error_class']}]" if change["error_class"] else ""
        console.print(
            Text(f"  {line:>14}  {change['name']}{error}: {change['detail']}"), soft_wrap=True
        )
    for hole in report.holes:
        goal = " ".join(hole["goal"].split())
        console.print(Text(f"  open hole at proof line {hole['line']}: {goal}"), soft_wrap=True)
    console.print(visible_text(source.theorem.with_proof(report.best_proof)), soft_wrap=True)
