"""`leanwb eval`: batch evaluation on a benchmark, its reports, and run comparison.

`leanwb eval DATASET ...` (or `leanwb eval --from-file F ...`) is shorthand for
`leanwb eval run ...`; `report`, `compare` and `list` are the other subcommands.

`--generator` and `--base-url` default to the `[models]` table of the config file (see
`prover.config`), then to the built-in defaults; its `drafter` and `sketcher` serve the
`sketch` strategy and `auto`'s sketch stage unless `--set` names them. The run records
the values used; a resumed run takes the recorded ones, whatever the config file says.
`run` parses, calls `prover.api.Workbench.evaluate` and renders its `EvalReport`.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.progress import Progress
from rich.table import Table
from typer.core import TyperGroup

from prover.api import EvalStart, Workbench
from prover.cli.common import (
    BudgetOption,
    DbOption,
    ExpansionsOption,
    JsonOption,
    ReplCmdOption,
    TimeOption,
    console,
    emit_json,
    err_console,
    fail,
    limits_from,
    settings,
)
from prover.config import DEFAULT_GENERATOR
from prover.errors import EvalError, ReportError, StoreError
from prover.eval.batch import refuse_changes
from prover.eval.compare import compare_runs, render_compare_html, render_compare_table
from prover.eval.progress import LiveProgress
from prover.eval.report import load_summary, render_csv, render_json, render_table
from prover.eval.report_site import write_html_report
from prover.eval.results import eval_run_ids
from prover.graph.store import Store
from prover.strategies.registry import STRATEGY_NAMES, parse_options, with_configured_models


class DefaultRunGroup(TyperGroup):
    """Send `leanwb eval minif2f ...` and `leanwb eval --from-file ...` to `eval run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def recorded_command(arguments: list[str], options: dict[str, Any]) -> str:
    """The run's command as the options resolved it (the API key is never an option)."""
    words = ["leanwb", "eval", *arguments]
    for flag, value in options.items():
        if value is None or value is False:
            continue
        if value is True:
            words.append(flag)
        elif isinstance(value, list):
            for item in value:
                words += [flag, str(item)]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def run_cmd(
    dataset: Annotated[
        str | None, typer.Argument(help="Benchmark name (see `leanwb datasets list`) or a label.")
    ] = None,
    split: Annotated[str | None, typer.Option(help="valid or test (default: all rows).")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Local JSONL with the benchmark rows.")
    ] = None,
    revised: Annotated[
        bool,
        typer.Option("--revised", help="Use revised_formal_statement where a row has one."),
    ] = False,
    strategy: Annotated[
        str | None,
        typer.Option(
            help=f"One of {', '.join(STRATEGY_NAMES)}. Default auto: one-shot closers (10% "
            "of the budget), then sample (30%) when the generator is a model, bfs (50%), "
            "sketch (25%) and repair (15%) when registered (shares of what is left); "
            "unused budget flows to the next stage."
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--set", help="Strategy option KEY=VALUE (JSON value), repeatable."),
    ] = None,
    budget: BudgetOption = None,
    time: TimeOption = None,
    expansions: ExpansionsOption = None,
    generator: Annotated[
        str | None,
        typer.Option(
            "--generator",
            "-g",
            help="Tactic generator spec (default: the config file's [models] generator, "
            "else heuristic).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Server URL for API generators and every model a strategy option names "
            "(default: the config file's [models] base_url); the key is read from "
            "$LEANWB_API_KEY (else $OPENAI_API_KEY), so it never lands in the recorded command.",
        ),
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Premise index directory: retrieve premises per state."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes (or Ray actors); default 1, or with --resume the run's own.",
        ),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Run workers as Ray actors at ADDRESS ('local': start one)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first K problems of the split.")
    ] = None,
    resume: Annotated[
        int | None, typer.Option("--resume", help="Finish run RUN (after a crash or kill).")
    ] = None,
    stop_after_failures: Annotated[
        int | None,
        typer.Option(
            "--stop-after-failures",
            min=0,
            help="Stop the run after N infrastructure failures in a row (model server or "
            "workbench errors; default 5, 0 never); resume it once fixed.",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed given to the strategies.")] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", min=1, help="sample (and auto's sample stage): whole proofs per problem."
        ),
    ] = None,
    all_samples: Annotated[
        bool,
        typer.Option(
            "--all-samples",
            help="sample: draw all --samples even after a proof, for an unbiased pass@k.",
        ),
    ] = False,
    mode: Annotated[
        str | None,
        typer.Option("--mode", help="sample: plain, cot or auto (plain first, then cot)."),
    ] = None,
    prompt_format: Annotated[
        str | None,
        typer.Option("--prompt-format", help="sample: the whole-proof prompt format."),
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Dataset download cache.")
    ] = None,
    db: DbOption = None,
    repl_cmd: ReplCmdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate a strategy on a benchmark; every problem's result is committed as it ends."""
    option = _with_sampling(strategy, option, samples, all_samples, mode, prompt_format)
    limits = None if budget is time is expansions is None else limits_from(budget, time, expansions)
    options = parse_options(option) if option is not None else None
    started: list[EvalStart] = []
    progress: list[LiveProgress] = []

    def on_start(start: EvalStart) -> None:
        started.append(start)
        err_console.print(
            f"run {start.run_id}: {start.todo} problem(s) to do of {start.counts.total}; "
            f"strategy {start.strategy}; {start.workers} worker(s)"
            + (f" on Ray {ray}" if ray else "")
        )
        progress.append(LiveProgress(start.counts, err_console).__enter__())

    def note(text: str) -> None:
        err_console.print(text, soft_wrap=True, highlight=False, markup=False)

    resume_hint = "`leanwb eval run --resume {}`"
    try:
        with Workbench(
            repl_cmd=repl_cmd, db=db, generator=generator, base_url=base_url, seed=seed or 0
        ) as workbench:
            command = None
            if resume is not None:
                refuse_changes(
                    resume,
                    {
                        "DATASET": dataset,
                        "--from-file": from_file,
                        "--split": split,
                        "--strategy": strategy,
                        "--budget": budget,
                        "--time": time,
                        "--expansions": expansions,
                        "--limit": limit,
                        "--seed": seed,
                        "--set": option,
                        "--generator": generator,
                        "--base-url": base_url,
                        "--index": index,
                        "--revised": revised or None,
                        "--stop-after-failures": stop_after_failures,
                    },
                )
            else:
                command = _recorded(
                    dataset,
                    from_file,
                    split,
                    revised,
                    strategy,
                    option,
                    budget,
                    time,
                    expansions,
                    generator,
                    workbench,
                    index,
                    limit,
                    seed,
                    workers,
                    ray,
                    stop_after_failures,
                )
            try:
                report = workbench.evaluate(
                    dataset,
                    from_file=from_file,
                    split=split,
                    revised=revised,
                    limit=limit,
                    strategy=strategy,
                    options=options,
                    limits=limits,
                    index=index,
                    workers=workers,
                    ray=ray,
                    resume=resume,
                    stop_after_failures=stop_after_failures,
                    cache_dir=cache_dir,
                    command=command,
                    on_start=on_start,
                    on_result=lambda result: progress[0](result) if progress else None,
                    on_note=note,
                )
            finally:
                for bar in progress:
                    bar.__exit__(None, None, None)
    except KeyboardInterrupt:
        hint = f"; finish with {resume_hint.format(started[0].run_id)}" if started else ""
        fail(f"interrupted{hint}", code=130)
    except (EvalError, StoreError, ReportError) as exc:
        hint = (
            f" (finish run {started[0].run_id} later with {resume_hint.format(started[0].run_id)})"
            if started
            else ""
        )
        fail(str(exc) + hint)
    if as_json:
        typer.echo(report.to_json())
    else:
        console.print(report.headline, highlight=False)
    if not report.complete and not report.undone:
        err_console.print(
            f"the rest of run {report.run_id} is being proved by another process working on "
            "it; that process records the results"
        )
    elif not report.complete:
        fail(
            f"{report.undone} problem(s) of run {report.run_id} have no result (a worker "
            f"died); finish them with {resume_hint.format(report.run_id)}"
        )
    err_console.print(f"report: leanwb eval report {report.run_id} --format html --out report/")


def _with_sampling(
    strategy: str | None,
    option: list[str] | None,
    samples: int | None,
    all_samples: bool,
    mode: str | None,
    prompt_format: str | None,
) -> list[str] | None:
    """The `--set` options with the sampling flags added: the sample strategy's own
    options, or auto's `sample` stage options."""
    chosen: dict[str, Any] = {
        key: value
        for key, value in (
            ("samples", samples),
            ("all_samples", all_samples or None),
            ("mode", mode),
            ("prompt_format", prompt_format),
        )
        if value is not None
    }
    if not chosen:
        return option
    name = strategy or "auto"
    if name == "sample":
        return [*(option or []), *(f"{key}={json.dumps(value)}" for key, value in chosen.items())]
    if name == "auto":
        return [*(option or []), f"sample={json.dumps(chosen)}"]
    fail("--samples, --all-samples, --mode and --prompt-format apply to --strategy sample or auto")


def _recorded(
    dataset: str | None,
    from_file: Path | None,
    split: str | None,
    revised: bool,
    strategy: str | None,
    option: list[str] | None,
    budget: str | None,
    time: str | None,
    expansions: str | None,
    generator: str | None,
    workbench: Workbench,
    index: Path | None,
    limit: int | None,
    seed: int | None,
    workers: int | None,
    ray: str | None,
    stop_after_failures: int | None,
) -> str:
    """The run's command as the options resolved it: the models the config file filled
    in are written out, so the record holds what ran."""
    models = workbench.models
    configured: list[str] = []
    name = strategy or "auto"
    filled = with_configured_models(name, parse_options(option or []), models)
    if name == "auto" and isinstance(filled.get("sample"), dict):  # a writer of whole proofs
        configured.append(f"sample={json.dumps(filled['sample'])}")
    if name == "sample" and "model" in filled and "model" not in parse_options(option or []):
        configured.append(f"model={json.dumps(filled['model'])}")
    if name in ("sketch", "auto") and models.drafter is not None:
        given = parse_options(option or [])
        stage = given if name == "sketch" else given.get("sketch", {})
        if isinstance(stage, dict) and stage.get("drafter") is None:
            wanted = {"drafter": models.drafter, "sketcher": models.sketcher}
            added = {k: v for k, v in wanted.items() if v is not None}
            if name == "sketch":
                configured = [f"{k}={json.dumps(v)}" for k, v in added.items()]
            else:
                configured.append(f"sketch={json.dumps({**stage, **added})}")
    return recorded_command(
        [dataset] if dataset else [],
        {
            "--from-file": from_file,
            "--split": split,
            "--revised": revised,
            "--strategy": name,
            "--set": [*(option or []), *configured],
            "--budget": budget,
            "--time": time,
            "--expansions": expansions,
            "--generator": (
                models.generator if generator or models.generator != DEFAULT_GENERATOR else None
            ),
            "--base-url": models.base_url,
            "--index": index,
            "--limit": limit,
            "--seed": seed,
            "--workers": workers or 1,
            "--ray": ray,
            "--stop-after-failures": stop_after_failures,
        },
    )


def report_cmd(
    run_id: Annotated[int, typer.Argument(help="The eval run (see `leanwb eval list`).")],
    format: Annotated[str, typer.Option("--format", help="table, json, csv or html.")] = "table",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write here instead of stdout; for html, a folder holding index.html "
            "and one graph page per attempt (default: eval-report-RUN/).",
        ),
    ] = None,
    graphs: Annotated[
        bool, typer.Option("--graphs/--no-graphs", help="html: export each proof graph page.")
    ] = True,
    db: DbOption = None,
) -> None:
    """Pass rate at the run's budget, per category, costs, failures, links to proof graphs."""
    if format not in ("table", "json", "csv", "html"):
        fail("--format must be table, json, csv or html")
    config = settings(None, db)
    try:
        with Store(config.db_path) as store:
            summary = load_summary(store, run_id, config.prices)
            if format == "html":
                with Progress(console=err_console, transient=True) as progress:
                    task = progress.add_task("graph pages", total=None)
                    index = write_html_report(
                        store,
                        summary,
                        out or Path(f"eval-report-{run_id}"),
                        graphs=graphs,
                        on_page=lambda done, total: progress.update(
                            task, completed=done, total=total
                        ),
                        prices=config.prices,
                    )
                console.print(str(index))
                return
    except OSError as exc:
        fail(f"cannot write the report: {exc.strerror or exc} ({exc.filename or out})")
    if format == "table":
        render_table(summary, console)
        return
    text = (
        json.dumps(render_json(summary), ensure_ascii=False, indent=2, default=str) + "\n"
        if format == "json"
        else render_csv(summary)
    )
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")


def compare_cmd(
    first: Annotated[int, typer.Argument(help="Eval run A.")],
    second: Annotated[int, typer.Argument(help="Eval run B.")],
    format: Annotated[str, typer.Option("--format", help="table, json or html.")] = "table",
    out: Annotated[
        str | None,  # a string, so that the trailing `/` of `DIR/` survives
        typer.Option("--out", help="html: the file to write, or a folder to write it in (DIR/)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Two runs side by side: pass rates, categories, costs, and problems only one proved."""
    if format not in ("table", "json", "html"):
        fail("--format must be table, json or html")
    config = settings(None, db)
    with Store(config.db_path) as store:
        comparison = compare_runs(
            load_summary(store, first, config.prices), load_summary(store, second, config.prices)
        )
    if format == "json":
        emit_json(comparison.as_dict())
    elif format == "html":
        name = f"eval-compare-{first}-{second}.html"
        # A folder (or a path written as one, `DIR/`) gets the page inside it, as
        # `eval report --out DIR/` does.
        given = Path(out) if out is not None else None
        is_folder = given is not None and (given.is_dir() or out.endswith(("/", os.sep)))
        target = (given / name) if given is not None and is_folder else (given or Path(name))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create {target.parent}: {exc.strerror or exc}")
        try:
            target.write_text(render_compare_html(comparison), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror or exc}")
        console.print(str(target))
    else:
        render_compare_table(comparison, console)


def list_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The eval runs in the database with their progress and pass rate."""
    with Store(settings(None, db).db_path) as store:
        summaries = [load_summary(store, run_id) for run_id in eval_run_ids(store.engine)]
    if as_json:
        emit_json([{"headline": s.headline(), **s.as_dict()} for s in summaries])
        return
    table = Table("run", "dataset", "strategy", "done", "pass rate", "budget")
    for s in summaries:
        table.add_row(
            str(s.run_id),
            str(s.config.get("dataset", {}).get("name", "?")),
            str(s.config.get("strategy", "?")),
            f"{len(s.results)}/{s.registered}",
            f"{s.overall.proved}/{s.overall.judged}",
            s.budget,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        cls=DefaultRunGroup,
        help="Evaluate on a benchmark (`leanwb eval minif2f --split test ...`), report, compare.",
        no_args_is_help=True,
    )
    group.command("run")(run_cmd)
    group.command("report")(report_cmd)
    group.command("compare")(compare_cmd)
    group.command("list")(list_cmd)
    app.add_typer(group, name="eval")
