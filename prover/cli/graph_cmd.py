"""`leanwb graph`: list runs and attempts, show an attempt's graph, export offline HTML."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from prover.cli.common import DbOption, JsonOption, console, emit_json, fail, settings
from prover.graph.export import attempt_page_name, export_attempt_html, export_run_site, graph_data
from prover.graph.queries import load_graph
from prover.graph.store import RunRow, Store
from prover.graph.tree import graph_tree

graph_app = typer.Typer(
    help="Browse provenance graphs: list runs and attempts, show one, export offline HTML.",
    no_args_is_help=True,
)

RunOption = Annotated[int | None, typer.Option("--run", help="A run id (see `leanwb graph list`).")]


def register(app: typer.Typer) -> None:
    app.add_typer(graph_app, name="graph")


@contextmanager
def _store(db: Path | None) -> Iterator[Store]:
    """The database, opened read-write but never created: browsing needs a recorded run."""
    path = settings(db=db).db_path
    if not path.is_file():
        fail(f"there is no database at {path}; record a run first (leanwb prove) or pass --db")
    with Store(path) as store:
        yield store


def _print_table(
    title: str, columns: dict[str, str], rows: list[tuple[str | Text, ...]], wide: str
) -> None:
    """A table with one line per row. `columns` maps a header to its kind ("num" or
    "text"); the `wide` column gets the width the others leave and ends in an ellipsis."""
    table = Table(title=title, title_justify="left")
    needed = {
        name: max([cell_len(name)] + [cell_len(str(row[i])) for row in rows])
        for i, name in enumerate(columns)
    }
    fixed = sum(w for name, w in needed.items() if name != wide) + 3 * len(columns) + 1
    for name, kind in columns.items():
        table.add_column(
            name,
            justify="right" if kind == "num" else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=None if name == wide else needed[name],
            max_width=max(12, console.width - fixed) if name == wide else None,
        )
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _duration(start: float, end: float | None) -> str:
    return "running" if end is None else f"{end - start:.0f} s"


_COLOUR = {"proved": "green", "failed": "red", "rejected": "yellow"}


def _theorem(run: RunRow) -> str:
    """The run's theorem, or how many it attempted."""
    if run.theorem is not None:
        return run.theorem
    return f"{run.theorems} theorems" if run.theorems else "-"


def _verdict(run: RunRow) -> Text:
    """The only attempt's verdict, or proved/attempts."""
    if run.verdict is not None:
        return Text(run.verdict, style=_COLOUR.get(run.verdict, ""))
    if run.attempts == 0:
        return Text("running" if run.ended_at is None else "-")
    return Text(f"{run.proved}/{run.attempts} proved")


@graph_app.command("list")
def list_command(run: RunOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """List runs, or with --run the attempts of one run."""
    with _store(db) as store:
        if run is None:
            runs = store.runs()
            if as_json:
                emit_json([asdict(r) for r in runs])
            elif not runs:
                console.print("No runs recorded yet.")
            else:
                _print_table(
                    f"Runs in {store.path}",
                    {"run": "num", "kind": "text", "started": "text", "took": "num",
                     "theorem": "text", "verdict": "text", "command": "text"},
                    [
                        (str(r.id), r.kind, _when(r.started_at),
                         _duration(r.started_at, r.ended_at), Text(_theorem(r)),
                         _verdict(r), Text(r.command))
                        for r in runs
                    ],
                    wide="command",
                )  # fmt: skip
            return
        store.run(run)
        attempts = store.attempts_for_run(run)
        if as_json:
            emit_json(
                [
                    {
                        "id": a.id,
                        "theorem": a.theorem_name,
                        "strategy": a.strategy,
                        "status": a.status,
                        "verdict": a.verdict.value if a.verdict else None,
                        "reason": a.reason,
                        "spent": a.spent.as_dict(),
                    }
                    for a in attempts
                ]
            )
            return
        if not attempts:
            console.print(f"Run {run} has no attempts.")
            return
        rows: list[tuple[str | Text, ...]] = []
        for a in attempts:
            verdict = a.verdict.value if a.verdict else a.status
            rows.append(
                (str(a.id), Text(a.theorem_name), a.strategy,
                 Text(verdict, style=_COLOUR.get(verdict, "")), str(a.spent.lean_calls),
                 f"{a.spent.wall_s:.1f}", Text(a.reason or ""))
            )  # fmt: skip
        _print_table(
            f"Attempts of run {run}",
            {"attempt": "num", "theorem": "text", "strategy": "text", "verdict": "text",
             "Lean calls": "num", "wall s": "num", "reason": "text"},
            rows,
            wide="reason",
        )  # fmt: skip


@graph_app.command("show")
def show_command(
    attempt: Annotated[
        int, typer.Argument(help="An attempt id (see `leanwb graph list --run R`).")
    ],
    path_only: Annotated[
        bool, typer.Option("--path-only", help="Only the path to the proof.")
    ] = False,
    max_nodes: Annotated[
        int, typer.Option("--max-nodes", min=1, help="Stop after this many nodes.")
    ] = 300,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print an attempt's graph as a tree (the proof path marked with ★)."""
    with _store(db) as store:
        graph = load_graph(store, attempt)
        if as_json:
            emit_json(graph_data(graph))
            return
        console.print(graph_tree(graph, path_only=path_only, max_nodes=max_nodes))


@graph_app.command("export")
def export_command(
    attempt: Annotated[
        int | None, typer.Argument(help="The attempt to export as one page.")
    ] = None,
    run: RunOption = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="The page (an attempt) or folder (a run) to write."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write an attempt's graph as one offline HTML page, or a run as a site with an index."""
    if (attempt is None) == (run is None):
        fail("give either an ATTEMPT id or --run R, not both or neither")
    with _store(db) as store:
        try:
            if attempt is not None:
                target = out or Path(attempt_page_name(attempt))
                if target.is_dir():
                    target = target / attempt_page_name(attempt)
                written = export_attempt_html(store, attempt, target)
            else:
                assert run is not None
                folder = out or Path(f"run-{run}")
                if folder.exists() and not folder.is_dir():
                    fail(f"{folder} is a file; give a folder for the site of run {run}")
                store.run(run)
                with Progress(
                    TextColumn("[bold]exporting"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=console,
                ) as progress:
                    task = progress.add_task("pages", total=None)
                    written = export_run_site(
                        store,
                        run,
                        folder,
                        on_page=lambda done, total: progress.update(
                            task, completed=done, total=total
                        ),
                    )
        except OSError as exc:
            fail(f"cannot write the export: {exc.strerror or exc} ({exc.filename or out})")
    console.print(Text(f"wrote {written}"))
