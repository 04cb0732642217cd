"""`leanwb eval`: batch evaluation on a benchmark, its reports, and run comparison.

`leanwb eval DATASET ...` (or `leanwb eval --from-file F ...`) is shorthand for
`leanwb eval run ...`; `report`, `compare` and `list` are the other subcommands.

`--generator` and `--base-url` default to the `[models]` table of the config file (see
`prover.config`), then to the built-in defaults; its `drafter` and `sketcher` serve the
`sketch` strategy and `auto`'s sketch stage unless `--set` names them. The run records
the values used; a resumed run takes the recorded ones, whatever the config file says.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.progress import Progress
from rich.table import Table
from typer.core import TyperGroup

from prover.budget import Limits
from prover.cli.common import (
    DbOption,
    JsonOption,
    ReplCmdOption,
    console,
    emit_json,
    err_console,
    fail,
    settings,
)
from prover.config import DEFAULT_GENERATOR, ModelSettings, Settings
from prover.eval.batch import (
    DatasetChoice,
    RunPlan,
    execute,
    finish_if_complete,
    lean_pin,
    left_undone,
    pinned_lean_version,
    resume_run,
    start_run,
    version_note,
)
from prover.eval.compare import compare_runs, render_compare_html, render_compare_table
from prover.eval.datasets import DatasetError, Problem, find_manifest, load_jsonl
from prover.eval.fetch import default_cache_dir, verified_cached
from prover.eval.progress import LiveProgress
from prover.eval.ray_runner import ray_connection
from prover.eval.report import ReportError, load_summary, render_csv, render_json, render_table
from prover.eval.report_site import write_html_report
from prover.eval.results import eval_run_ids, run_counts
from prover.eval.runner import EvalError
from prover.eval.solver import STOP_AFTER_FAILURES, EvalJob
from prover.graph.store import Store, StoreError
from prover.session import SessionOptions

STRATEGY_CHOICES = ("auto", "bfs", "mps", "sketch", "repair")
BUDGET_KEYS = {
    "time": "wall_s",
    "wall": "wall_s",
    "wall_s": "wall_s",
    "lean": "lean_calls",
    "lean_calls": "lean_calls",
    "tokens": "tokens",
    "expansions": "expansions",
    "tactic_timeout": "tactic_timeout_s",
    "tactic_timeout_s": "tactic_timeout_s",
}
UNBOUNDED = ("none", "inf", "unbounded")
API_KEY_ENV = "LEANWB_API_KEY"


class DefaultRunGroup(TyperGroup):
    """Send `leanwb eval minif2f ...` and `leanwb eval --from-file ...` to `eval run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def parse_budget(spec: str | None) -> Limits:
    """`wall=60,lean_calls=200,tokens=none,expansions=64,tactic_timeout=10` -> Limits.

    Keys not given keep the defaults of `Limits` (the same as `leanwb prove`'s).
    """
    limits: dict[str, Any] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        field = BUDGET_KEYS.get(key.strip())
        if not sep or field is None:
            fail(
                f"--budget part {part.strip()!r} is not KEY=VALUE with KEY one of "
                f"{', '.join(sorted(set(BUDGET_KEYS)))}"
            )
        value = value.strip().lower().removesuffix("s")
        if value in UNBOUNDED:
            if field == "tactic_timeout_s":
                fail("--budget tactic_timeout needs a number of seconds")
            limits[field] = None
            continue
        try:
            number = float(value)
        except ValueError:
            fail(f"--budget {key.strip()}={value!r} is not a number")
        if number <= 0:
            fail(f"--budget {key.strip()} must be positive")
        limits[field] = number if field in ("wall_s", "tactic_timeout_s") else int(number)
    return Limits(**limits)


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """`--set width=4 --set length_alpha=0.5` -> strategy keyword options (JSON values)."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set {pair!r} is not KEY=VALUE")
        try:
            options[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            options[key.strip()] = raw
    return options


def choose_dataset(
    name: str | None,
    from_file: Path | None,
    split: str | None,
    revised: bool,
    limit: int | None,
    cache_dir: Path | None,
) -> DatasetChoice:
    manifest = None
    try:
        if name is not None and from_file is None:
            manifest = find_manifest(name)
            path = verified_cached(manifest, cache_dir or default_cache_dir())
            if path is None:
                fail(
                    f"{name} is not downloaded; run `leanwb datasets fetch {name}` "
                    "or pass the file with --from-file"
                )
        elif from_file is not None:
            path = from_file
            if name is not None:
                try:
                    manifest = find_manifest(name)
                except DatasetError:
                    manifest = None  # a name of the user's own: a label only
        else:
            fail("give a dataset name (see `leanwb datasets list`) or --from-file PATH")
        loaded = load_jsonl(
            path,
            splits=[split] if split else (),
            revised=revised,
            header_override=manifest.header_override if manifest else None,
        )
    except DatasetError as exc:
        fail(str(exc))
    label = name or path.stem
    return DatasetChoice(
        name=label, loaded=loaded, split=split, revised=revised, limit=limit, manifest=manifest
    )


def with_configured_models(
    strategy: str, options: dict[str, Any], models: ModelSettings, base_url: str | None
) -> dict[str, Any]:
    """`options` with the config file's drafter and sketcher (and the base URL) filled in
    where `strategy` drafts (sketch, and auto's sketch stage) and `--set` left them out."""
    if strategy == "sketch":
        return {**options, **_sketch_models(options, models, base_url)}
    stage = options.get("sketch", {})
    if strategy != "auto" or not isinstance(stage, dict):
        return options  # a malformed stage option is the portfolio's to reject
    added = _sketch_models(stage, models, base_url)
    return {**options, "sketch": {**stage, **added}} if added else options


def _sketch_models(
    given: dict[str, Any], models: ModelSettings, base_url: str | None
) -> dict[str, Any]:
    if given.get("drafter") is None and models.drafter is None:
        return {}
    wanted = {"drafter": models.drafter, "sketcher": models.sketcher, "base_url": base_url}
    return {
        key: value for key, value in wanted.items() if value is not None and given.get(key) is None
    }


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


def _resume(
    store: Store, config: Settings, run_id: int, given: dict[str, Any], workers: int | None
) -> tuple[EvalJob, list[Problem], int]:
    """The job, pending problems and worker count of `run_id` (the recorded count unless
    `workers` is given), refusing any change to what it measures."""
    clash = [flag for flag, value in given.items() if value is not None]
    if clash:
        fail(
            f"--resume takes the problems and settings recorded in run {run_id}; "
            f"drop {', '.join(clash)}"
        )
    recorded_pin = store.run(run_id).config.get("lean", {}).get("pin")
    if recorded_pin != lean_pin(config):
        fail(
            f"run {run_id} was made with Lean {recorded_pin}, this setup has "
            f"{lean_pin(config)}; results would mix two Leans"
        )
    return resume_run(store, config, run_id, os.environ.get(API_KEY_ENV), workers)


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
            help=f"One of {', '.join(STRATEGY_CHOICES)}. Default auto: one-shot closers (10% "
            "of the budget), then bfs (50%), sketch (25%) and repair (15%) when registered; "
            "unused budget flows to the next stage."
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--set", help="Strategy option KEY=VALUE (JSON value), repeatable."),
    ] = None,
    budget: Annotated[
        str | None,
        typer.Option(
            help="Per-problem budget, e.g. 'wall=60,lean_calls=200,tokens=none,"
            "expansions=64,tactic_timeout=10' (unset keys keep their defaults)."
        ),
    ] = None,
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
            help="Server URL for API generators and drafting models (default: the config "
            "file's [models] base_url); the key is read from $LEANWB_API_KEY only, so it "
            "never lands in the recorded command.",
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
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Dataset download cache.")
    ] = None,
    db: DbOption = None,
    repl_cmd: ReplCmdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate a strategy on a benchmark; every problem's result is committed as it ends."""
    config = settings(repl_cmd, db)
    try:
        store = Store(config.db_path)
    except StoreError as exc:
        fail(str(exc))
    run_id: int | None = None  # set once the run exists: only then is there one to resume
    with store, ExitStack() as connection:
        try:
            if resume is not None:
                given = {
                    "DATASET": dataset,
                    "--from-file": from_file,
                    "--split": split,
                    "--strategy": strategy,
                    "--budget": budget,
                    "--limit": limit,
                    "--seed": seed,
                    "--set": option,
                    "--generator": generator,
                    "--base-url": base_url,
                    "--index": index,
                    "--revised": revised or None,
                    "--stop-after-failures": stop_after_failures,
                }
                job, problems, workers = _resume(store, config, resume, given, workers)
                connection.enter_context(ray_connection(ray, workers))
            else:
                name = strategy or "auto"
                if name not in STRATEGY_CHOICES:
                    fail(f"--strategy must be one of {', '.join(STRATEGY_CHOICES)}")
                choice = choose_dataset(dataset, from_file, split, revised, limit, cache_dir)
                if choice.manifest is not None:
                    note = version_note(choice.manifest, pinned_lean_version(config))
                    if note:
                        err_console.print(note, soft_wrap=True, highlight=False, markup=False)
                models = config.models
                used_generator = generator or models.generator
                used_base_url = base_url or models.base_url
                given_options = parse_options(option)
                strategy_options = with_configured_models(
                    name, given_options, models, used_base_url
                )
                configured = [
                    f"{key}={json.dumps(value)}"
                    for key, value in strategy_options.items()
                    if given_options.get(key) != value
                ]
                plan = RunPlan(
                    strategy=name,
                    strategy_options=strategy_options,
                    session=SessionOptions(
                        generator=used_generator,
                        base_url=used_base_url,
                        api_key=os.environ.get(API_KEY_ENV),
                        index_dir=index,
                        limits=parse_budget(budget),
                        seed=seed or 0,
                    ),
                    stop_after_failures=(
                        STOP_AFTER_FAILURES
                        if stop_after_failures is None
                        else stop_after_failures or None
                    ),
                )
                workers = workers or 1
                command = recorded_command(
                    [dataset] if dataset else [],
                    {
                        "--from-file": from_file,
                        "--split": split,
                        "--revised": revised,
                        "--strategy": name,
                        "--set": [*(option or []), *configured],
                        "--budget": budget,
                        "--generator": (
                            used_generator
                            if generator or used_generator != DEFAULT_GENERATOR
                            else None
                        ),
                        "--base-url": used_base_url,
                        "--index": index,
                        "--limit": limit,
                        "--seed": seed,
                        "--workers": workers,
                        "--ray": ray,
                        "--stop-after-failures": stop_after_failures,
                    },
                )
                # Connect first: a cluster that cannot be reached must not leave an empty run.
                connection.enter_context(ray_connection(ray, workers))
                try:
                    job, problems = start_run(store, config, choice, plan, command, workers)
                except ValueError as exc:
                    fail(str(exc))
            run_id = job.run_id
            counts = run_counts(store.engine, job.run_id)
            err_console.print(
                f"run {job.run_id}: {len(problems)} problem(s) to do of {counts.total}; "
                f"strategy {job.strategy}; {workers} worker(s)" + (f" on Ray {ray}" if ray else "")
            )
            with LiveProgress(counts, err_console) as progress:
                execute(job, problems, workers, progress, ray_address=ray)
            complete = finish_if_complete(store, job.run_id)
            undone = 0 if complete else left_undone(store, job.run_id)
            summary = load_summary(store, job.run_id)
        except (EvalError, StoreError, ReportError) as exc:
            resumable = f" (finish run {run_id} later with `leanwb eval --resume {run_id}`)"
            fail(str(exc) + (resumable if run_id else ""))
        except KeyboardInterrupt:
            resumable = f"; finish with `leanwb eval --resume {run_id}`" if run_id else ""
            fail(f"interrupted{resumable}", code=130)
    if as_json:
        emit_json(render_json(summary))
    else:
        console.print(summary.headline(), highlight=False)
    if not complete and not undone:
        err_console.print(
            f"the rest of run {job.run_id} is being proved by another process working on it; "
            "that process records the results"
        )
    elif not complete:
        fail(
            f"{undone} problem(s) of run {job.run_id} have no result (a worker died); "
            f"finish them with `leanwb eval --resume {job.run_id}`"
        )
    err_console.print(f"report: leanwb eval report {job.run_id} --format html --out report/")


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
            summary = load_summary(store, run_id)
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
    except (StoreError, ReportError, OSError) as exc:
        fail(str(exc))
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
    out: Annotated[Path | None, typer.Option("--out", help="html: the file to write.")] = None,
    db: DbOption = None,
) -> None:
    """Two runs side by side: pass rates, categories, costs, and problems only one proved."""
    if format not in ("table", "json", "html"):
        fail("--format must be table, json or html")
    config = settings(None, db)
    try:
        with Store(config.db_path) as store:
            comparison = compare_runs(load_summary(store, first), load_summary(store, second))
    except (StoreError, ReportError) as exc:
        fail(str(exc))
    if format == "json":
        emit_json(comparison.as_dict())
    elif format == "html":
        target = out or Path(f"eval-compare-{first}-{second}.html")
        try:
            target.write_text(render_compare_html(comparison), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror or exc}")
        console.print(str(target))
    else:
        render_compare_table(comparison, console)


def list_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The eval runs in the database with their progress and pass rate."""
    config = settings(None, db)
    try:
        with Store(config.db_path) as store:
            summaries = [load_summary(store, run_id) for run_id in eval_run_ids(store.engine)]
    except (StoreError, ReportError) as exc:
        fail(str(exc))
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
