"""Start, resume and execute eval runs: the library behind `leanwb eval`.

A run's problems are written to `eval_problems` when it starts, so a resumed run
needs neither the dataset file nor the original options: it redoes the problems
that have no final result, and those that failed for the infrastructure's sake
(`prover.eval.results.INFRASTRUCTURE_REASONS`), with the strategy and budget
recorded in the run. Before a run is recorded, and before it resumes, the REPL must
start and every model server it uses must answer (`prover.eval.preflight`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prover.budget import Limits
from prover.config import PROJECT_TEMPLATE_DIR, Settings
from prover.errors import DatasetError
from prover.eval.datasets import (
    LoadedDataset,
    Manifest,
    Problem,
    find_manifest,
    load_jsonl,
    toolchain_version,
)
from prover.eval.fetch import default_cache_dir, verified_cached
from prover.eval.preflight import check_models, check_repl
from prover.eval.ray_runner import run_ray
from prover.eval.report import EVAL_KIND
from prover.eval.results import (
    INFRASTRUCTURE_REASONS,
    ensure_schema,
    pending_problems,
    record_config,
    register_problems,
    release_stale_claims,
    reopen_results,
    run_counts,
    stranded,
)
from prover.eval.runner import EvalError, ResultCallback, run_local
from prover.eval.solver import STOP_AFTER_FAILURES, EvalJob
from prover.graph.store import Store, StoreError
from prover.lean.doctor import uses_custom_repl
from prover.lean.setup import SetupError, pinned_toolchain
from prover.lean.template import template_toolchain
from prover.session import SessionOptions
from prover.strategies.registry import make_strategy


@dataclass(frozen=True)
class DatasetChoice:
    """Which problems a new run takes, and what they are."""

    name: str
    loaded: LoadedDataset
    split: str | None
    revised: bool
    limit: int | None
    manifest: Manifest | None = None

    def problems(self) -> list[Problem]:
        problems = self.loaded.problems
        return problems[: self.limit] if self.limit is not None else problems

    def describe(self) -> dict[str, Any]:
        written_for = (
            f"Lean {self.manifest.lean_version}; Mathlib {self.manifest.mathlib}"
            if self.manifest
            else "unknown (local file)"
        )
        return {
            "name": self.name,
            "path": str(self.loaded.path),
            "sha256": self.loaded.sha256,
            "split": self.split,
            "revised": self.revised,
            "revised_used": sum(p.revised for p in self.problems()),
            "limit": self.limit,
            "written_for": written_for,
            # False for a local copy that differs from the manifest's file (e.g. an annotated one)
            "matches_manifest": (
                self.manifest.file.sha256 == self.loaded.sha256 if self.manifest else None
            ),
            # NaN/empty text, `∑ x in s` rewrites, a replaced header: what the loader changed
            **self.loaded.load_notes(),
        }


@dataclass(frozen=True)
class RunPlan:
    """How every problem of a run is attempted: strategy, generator, budget, seed; and how
    many infrastructure failures in a row stop it (None: never)."""

    strategy: str
    session: SessionOptions
    strategy_options: dict[str, Any] = field(default_factory=dict)
    stop_after_failures: int | None = STOP_AFTER_FAILURES

    def describe(self) -> dict[str, Any]:
        """What the run records (never the API key)."""
        options = self.session
        return {
            "strategy": self.strategy,
            "strategy_options": self.strategy_options,
            "limits": asdict(options.limits),
            "seed": options.seed,
            "generator": options.generator,
            "base_url": options.base_url,
            "index_dir": str(options.index_dir) if options.index_dir else None,
            "allow_native_decide": options.allow_native_decide,
            "stop_after_failures": self.stop_after_failures,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], api_key: str | None) -> RunPlan:
        index_dir = config.get("index_dir")
        return cls(
            strategy=str(config["strategy"]),
            strategy_options=dict(config.get("strategy_options", {})),
            stop_after_failures=config.get("stop_after_failures", STOP_AFTER_FAILURES),
            session=SessionOptions(
                generator=str(config.get("generator", "heuristic")),
                base_url=config.get("base_url"),
                api_key=api_key,
                index_dir=Path(index_dir) if index_dir else None,
                limits=Limits(**config["limits"]),
                seed=int(config.get("seed", 0)),
                allow_native_decide=bool(config.get("allow_native_decide", False)),
            ),
        )


def choose_dataset(
    name: str | None,
    from_file: Path | None,
    split: str | None,
    revised: bool,
    limit: int | None,
    cache_dir: Path | None,
) -> DatasetChoice:
    """The problems a new run takes: the benchmark `name` (downloaded by `leanwb datasets
    fetch`), or the JSONL file `from_file` (with `name` as its label). DatasetError
    with one sentence when neither is usable."""
    manifest = None
    if name is not None and from_file is None:
        manifest = find_manifest(name)
        path = verified_cached(manifest, cache_dir or default_cache_dir())
        if path is None:
            raise DatasetError(
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
        raise DatasetError("give a dataset name (see `leanwb datasets list`) or --from-file PATH")
    loaded = load_jsonl(
        path,
        splits=[split] if split else (),
        revised=revised,
        header_override=manifest.header_override if manifest else None,
    )
    label = name or path.stem
    return DatasetChoice(
        name=label, loaded=loaded, split=split, revised=revised, limit=limit, manifest=manifest
    )


def lean_pin(settings: Settings) -> str:
    """`<toolchain>; Mathlib <rev>` as pinned by the Lean project, flagged when the REPL
    command is a custom one (then the pin describes the project, not what ran). Before
    `leanwb setup` has written the project, the shipped template's pin."""
    project_dir = settings.lean.project_dir
    if not (project_dir / "lean-toolchain").is_file():
        project_dir = PROJECT_TEMPLATE_DIR
    try:
        toolchain = pinned_toolchain(project_dir)
    except SetupError:
        return f"unknown (no lean-toolchain in {project_dir})"
    mathlib = "unknown"
    manifest_file = project_dir / "lake-manifest.json"
    try:
        packages = json.loads(manifest_file.read_text(encoding="utf-8")).get("packages", [])
    except (OSError, ValueError, AttributeError):
        packages = []
    for package in packages:
        if isinstance(package, dict) and package.get("name") == "mathlib":
            mathlib = str(package.get("rev", "unknown"))
    pin = f"{toolchain}; Mathlib {mathlib}"
    return f"{pin} (custom REPL command)" if uses_custom_repl(settings) else pin


def pinned_lean_version(settings: Settings) -> str:
    """The Lean release the Lean project pins (`4.24.0`); before `leanwb setup` has written
    the project, the release its shipped template pins."""
    try:
        return toolchain_version(pinned_toolchain(settings.lean.project_dir))
    except SetupError:
        return toolchain_version(template_toolchain())


def version_note(manifest: Manifest, pinned: str | None) -> str | None:
    """One line for a run on statements written for another Lean than the pinned one."""
    if pinned is None or manifest.lean_version == pinned:
        return None
    return (
        f"note: {manifest.name} was written for Lean {manifest.lean_version}, this setup pins "
        f"{pinned}; statements written for another Mathlib may fail to elaborate and are "
        "reported as statement errors"
    )


def lean_config(settings: Settings) -> dict[str, Any]:
    return {
        "repl_cmd": list(settings.lean.repl_cmd),
        "project_dir": str(settings.lean.project_dir),
        "pin": lean_pin(settings),
    }


def start_run(
    store: Store,
    settings: Settings,
    dataset: DatasetChoice,
    plan: RunPlan,
    command: str,
    workers: int,
) -> tuple[EvalJob, list[Problem]]:
    """Record a new eval run and its problems; returns its job and the problems to do.

    Raises EvalError, recording nothing, when the REPL or a model server does not work."""
    strategy = make_strategy(
        plan.strategy,
        base_url=plan.session.base_url,
        api_key=plan.session.api_key,
        **plan.strategy_options,
    )
    check_repl(settings)
    check_models(plan.session, plan.strategy_options)
    config_of = getattr(strategy, "config", None)
    config = {
        "dataset": dataset.describe(),
        **plan.describe(),
        "strategy_config": config_of() if callable(config_of) else {},
        "workers": workers,
        "lean": lean_config(settings),
    }
    ensure_schema(store.engine)
    run_id = store.begin_run(command, config, kind=EVAL_KIND)
    problems = dataset.problems()
    register_problems(store.engine, run_id, problems)
    return job_for(settings, run_id, plan), problems


def job_for(settings: Settings, run_id: int, plan: RunPlan) -> EvalJob:
    return EvalJob(
        settings=settings,
        run_id=run_id,
        strategy=plan.strategy,
        session=plan.session,
        strategy_options=plan.strategy_options,
        stop_after_failures=plan.stop_after_failures,
    )


def refuse_changes(run_id: int, given: dict[str, Any]) -> None:
    """A resumed run takes what it recorded: EvalError naming every setting in `given`
    (by the caller's own names, flags or parameters) that is not None."""
    clash = [name for name, value in given.items() if value is not None]
    if clash:
        raise EvalError(
            f"--resume takes the problems and settings recorded in run {run_id}; "
            f"drop {', '.join(clash)}"
        )


def resume_run(
    store: Store,
    settings: Settings,
    run_id: int,
    api_key: str | None = None,
    workers: int | None = None,
) -> tuple[EvalJob, list[Problem], int]:
    """The job of run `run_id` as recorded, its problems still to do, and the worker
    count to finish them with: the recorded one, unless `workers` is given (then the
    run records the new count, which its report shows).

    Problems to do: those without a final result and not claimed by a live worker
    (another resume of the same run may be at work), and those whose result was an
    infrastructure failure. Attempts left `running` by a killed run are marked
    abandoned first.
    """
    try:
        run = store.run(run_id)
    except StoreError as exc:
        raise EvalError(str(exc)) from exc
    if run.kind != EVAL_KIND:
        raise EvalError(f"run {run_id} is a `{run.kind}` run, not an eval run")
    recorded_pin = run.config.get("lean", {}).get("pin")
    if recorded_pin != lean_pin(settings):
        raise EvalError(
            f"run {run_id} was made with Lean {recorded_pin}, this setup has "
            f"{lean_pin(settings)}; results would mix two Leans"
        )
    ensure_schema(store.engine)
    plan = RunPlan.from_config(run.config, api_key)
    check_repl(settings)
    check_models(plan.session, plan.strategy_options)
    store.abandon_running(run_id)
    release_stale_claims(store.engine, run_id)
    reopen_results(store.engine, run_id, INFRASTRUCTURE_REASONS)
    if workers is None:
        workers = int(run.config.get("workers", 1))
    elif workers != run.config.get("workers"):
        record_config(store.engine, run_id, {**run.config, "workers": workers})
    return job_for(settings, run_id, plan), pending_problems(store.engine, run_id), workers


def execute(
    job: EvalJob,
    problems: Sequence[Problem],
    workers: int,
    on_result: ResultCallback,
    ray_address: str | None = None,
) -> int:
    """Prove `problems` with local processes or Ray actors; returns results committed."""
    if not problems:
        return 0
    if ray_address is not None:
        return run_ray(job, problems, workers, ray_address, on_result)
    return run_local(job, problems, workers, on_result)


def left_undone(store: Store, run_id: int) -> int:
    """Problems of the run that no live worker of any process will finish (see
    `prover.eval.results.stranded`); `--resume` does them."""
    return stranded(store.engine, run_id)


def finish_if_complete(store: Store, run_id: int) -> bool:
    """Close the run once every problem has its final result."""
    counts = run_counts(store.engine, run_id)
    if counts.done < counts.total:
        return False
    if store.run(run_id).ended_at is None:
        store.end_run(run_id)
    return True
