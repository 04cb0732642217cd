"""The public API: a `Workbench` owning the settings, the Lean pool and the store.

    with Workbench(repl_cmd="lake env repl", db="runs.sqlite") as wb:
        report = wb.prove("theorem t (p : Prop) (hp : p) : p := by sorry", "bfs")
        print(report.verdict, report.proof)

Arguments are plain values: a theorem is its text or a `Theorem`; a strategy is its
name (`bfs`, `mps`, `sketch`, `repair`, `sample`, `auto`) with an options mapping, or a built
strategy; a budget is a `Limits`. Every operation returns a frozen report
(`prover.reports`). The pool starts its REPL processes on first use and the store is
opened on first use, so a `Workbench` that only checks never touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from prover.budget import Limits
from prover.checking import CheckRequest, request_for, shown_messages
from prover.config import ModelSettings, Settings, load_settings, resolve_models
from prover.config import api_key as resolve_api_key
from prover.errors import StoreError, TheoremTextError
from prover.lean_text import DEFAULT_HEADER, Declaration, declaration_from_text
from prover.reports import CheckReport, EvalReport, ProveReport, RepairReport
from prover.strategies.base import Progress, Strategy
from prover.strategies.sample import SampleReport
from prover.types import Premise, Theorem

if TYPE_CHECKING:  # loaded on first use: a Workbench that only checks needs no database
    from prover.graph.store import Store
    from prover.lean.pool import LeanServer
    from prover.session import AttemptResult

DEFAULT_CHECK_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class EvalStart:
    """What an eval run has to do, told before its first problem: for progress bars
    (`done` counts a resumed run's earlier results)."""

    run_id: int
    todo: int
    workers: int
    strategy: str
    counts: Any  # prover.eval.results.RunCounts: totals so far, earlier sessions included


class Workbench:
    """Settings, one Lean pool and one store, shared by every operation; a context
    manager (or call `close`)."""

    def __init__(
        self,
        *,
        repl_cmd: str | None = None,
        db: str | Path | None = None,
        config: str | Path | None = None,
        generator: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        drafter: str | None = None,
        sketcher: str | None = None,
        seed: int = 0,
        header_timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        """`repl_cmd`, `db`, `config` and `header_timeout` (seconds a header import may
        take) override the settings (see `prover.config`); the model options override
        the config file's `[models]` table; the API key defaults to $LEANWB_API_KEY,
        else $OPENAI_API_KEY. `on_wait` hears what the pool waits on (a slow import)."""
        settings = load_settings(repl_cmd=repl_cmd, db=db, config=config)
        if header_timeout is not None:
            lean = replace(settings.lean, header_timeout_s=header_timeout)
            settings = replace(settings, lean=lean)
        self.settings: Settings = settings
        self.on_wait = on_wait
        self.models: ModelSettings = resolve_models(
            self.settings.models,
            generator=generator,
            base_url=base_url,
            drafter=drafter,
            sketcher=sketcher,
        )
        self.api_key = resolve_api_key(api_key)
        self.seed = seed
        self._lean: LeanServer | None = None
        self._store: Store | None = None

    # -- what it owns ------------------------------------------------------------------

    @property
    def lean(self) -> LeanServer:
        """The Lean pool, made on first use."""
        if self._lean is None:
            from prover.lean.pool import LeanServer

            self._lean = LeanServer(self.settings.lean, on_wait=self.on_wait)
        return self._lean

    @property
    def store(self) -> Store:
        """The graph store, opened on first use."""
        if self._store is None:
            from prover.errors import SessionError
            from prover.graph.store import Store

            try:
                self._store = Store(self.settings.db_path)
            except (StoreError, OSError) as exc:
                raise SessionError(
                    f"cannot open the database {self.settings.db_path}: {exc}"
                ) from exc
        return self._store

    def close(self) -> None:
        try:
            if self._store is not None:
                self._store.close()
        finally:
            if self._lean is not None:
                self._lean.close()
            self._store = self._lean = None

    def __enter__(self) -> Workbench:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- check ---------------------------------------------------------------------------

    def check(
        self,
        theorem: str | Theorem | CheckRequest,
        proof: str | None = None,
        *,
        name: str | None = None,
        allow_native_decide: bool = False,
        timeout: float = DEFAULT_CHECK_TIMEOUT_S,
    ) -> CheckReport:
        """Send a claimed proof through the soundness gate: `theorem` is a declaration
        with its proof (`theorem t : 1 = 1 := rfl`; `name` picks one of several), or a
        statement (text up to `:=`, or a `Theorem`) with `proof`, the text after `:=`."""
        from prover.verify import verify

        request = (
            theorem if isinstance(theorem, CheckRequest) else _check_request(theorem, proof, name)
        )
        verdict = verify(
            request.theorem,
            request.proof,
            self.lean,
            allow_native_decide=allow_native_decide,
            timeout=timeout,
        )
        return CheckReport(
            verdict=verdict.kind.value,
            reason=verdict.reason,
            detail=verdict.detail,
            theorem=request.theorem.name,
            axioms=tuple(verdict.axioms),
            messages=tuple(
                {"source": origin.source, **message.as_dict()}
                for origin, message in shown_messages(request, verdict)
            ),
            proof=verdict.proof,
        )

    # -- prove and repair ------------------------------------------------------------------

    def prove(
        self,
        theorem: str | Path | Theorem,
        strategy: str | Strategy = "bfs",
        *,
        options: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        name: str | None = None,
        header: str | None = None,
        index: str | Path | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        command: str | None = None,
    ) -> ProveReport:
        """Search for a proof of `theorem` (a declaration text, its proof ignored, a
        Lean file's `Path`, or a `Theorem`) with `strategy` (a name with its `options`,
        or a built strategy), check it with the soundness gate and record every step.

        With the `repair` strategy the declaration's own proof (when it is not just
        `sorry`) is the proof to repair. `header` is a text's imports when it has none
        (default `import Mathlib`). `limits` defaults to `Limits()`."""
        found = _declaration(theorem, name, header)
        built, config = self._strategy(strategy, options, found)
        result = self._attempt(found.theorem, built, config, limits, index, on_progress, command)
        outcome = result.outcome
        verdict, claim = outcome.verdict, outcome.claim
        return ProveReport(
            theorem=found.theorem.name,
            statement=found.theorem.statement,
            strategy=built.name,
            verdict=verdict.kind.value,
            reason=verdict.reason,
            detail=verdict.detail,
            proof=verdict.proof if verdict.proved else None,
            claimed_proof=claim.proof,
            axioms=tuple(verdict.axioms),
            attempt_id=result.attempt_id,
            run_id=result.run_id,
            spent=outcome.spent.as_dict(),
            db=str(self.settings.db_path),
            samples=claim.report.as_dict() if isinstance(claim.report, SampleReport) else None,
        )

    def repair(
        self,
        theorem: str | Path | Theorem,
        proof: str | None = None,
        *,
        name: str | None = None,
        model: str | None = None,
        options: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        command: str | None = None,
    ) -> RepairReport:
        """Repair a broken proof: `theorem` is a declaration with its proof (or a
        statement with `proof`). `model` (`openai:…`, `hf:…`) corrects holes that
        automation and search leave; `options` are the repair strategy's (`rounds`,
        `depth`, `search`, `width`, …)."""
        found = _declaration(theorem, name)
        text = proof if proof is not None else found.proof
        if text is None or not text.strip():
            raise TheoremTextError(f"`{found.theorem.name}` has no proof after `:=` to repair")
        chosen = {**(options or {}), "proof": text, **({"model": model} if model else {})}
        built, config = self._strategy("repair", chosen, found)
        result = self._attempt(
            found.theorem, built, config, limits, None, on_progress, command, kind="repair"
        )
        outcome = result.outcome
        verdict, claim = outcome.verdict, outcome.claim
        repaired = claim.report
        changes = tuple(c.as_dict() for c in repaired.changes) if repaired is not None else ()
        holes = (
            tuple({"line": h.line, "column": h.column, "goal": h.goal} for h in repaired.holes)
            if repaired is not None
            else ()
        )
        return RepairReport(
            theorem=found.theorem.name,
            file=found.theorem.source,
            verdict=verdict.kind.value,
            reason=verdict.reason,
            detail=repaired.detail if repaired is not None and repaired.detail else verdict.detail,
            proof=claim.proof if verdict.proved else None,
            best_proof=repaired.proof if repaired is not None else None,
            output=None,
            rounds=repaired.rounds if repaired is not None else 0,
            changes=changes,
            holes=holes,
            axioms=tuple(verdict.axioms),
            attempt_id=result.attempt_id,
            run_id=result.run_id,
            spent=outcome.spent.as_dict(),
            db=str(self.settings.db_path),
        )

    def _strategy(
        self, strategy: str | Strategy, options: Mapping[str, Any] | None, found: Declaration
    ) -> tuple[Strategy, dict[str, Any]]:
        """The built strategy and the options it was built from (for the run's record)."""
        if not isinstance(strategy, str):
            return strategy, {"strategy": strategy.name, **dict(options or {})}
        from prover.strategies.registry import make_strategy, with_configured_models

        chosen = with_configured_models(strategy, options or {}, self.models)
        if strategy == "repair" and "proof" not in chosen and _repairable(found.proof):
            chosen["proof"] = found.proof
        built = make_strategy(
            strategy, base_url=self.models.base_url, api_key=self.api_key, **chosen
        )
        return built, {"strategy": strategy, "drafter": None, "sketcher": None, **chosen}

    def _attempt(
        self,
        theorem: Theorem,
        strategy: Strategy,
        config: Mapping[str, Any],
        limits: Limits | None,
        index: str | Path | None,
        on_progress: Callable[[Progress], None] | None,
        command: str | None,
        kind: str = "prove",
    ) -> AttemptResult:
        from prover.session import SessionOptions, open_session

        options = SessionOptions(
            generator=self.models.generator,
            base_url=self.models.base_url,
            api_key=self.api_key,
            index_dir=Path(index) if index else None,
            limits=limits or Limits(),
            seed=self.seed,
        )
        record = {
            "theorem": theorem.name,
            **config,
            "generator": options.generator,
            "base_url": options.base_url,
            "index": str(index) if index else None,
            "limits": asdict(options.limits),
            "seed": self.seed,
        }
        with open_session(self.settings, options, lean=self.lean, store=self.store) as session:
            run_id = session.begin_run(command or f"python: Workbench.{kind}", record, kind=kind)
            return session.prove(theorem, strategy, run_id=run_id, on_progress=on_progress)

    # -- evaluate ------------------------------------------------------------------------

    def evaluate(
        self,
        dataset: str | None = None,
        *,
        from_file: str | Path | None = None,
        split: str | None = None,
        revised: bool = False,
        limit: int | None = None,
        strategy: str | None = None,
        options: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        index: str | Path | None = None,
        workers: int | None = None,
        ray: str | None = None,
        resume: int | None = None,
        stop_after_failures: int | None = None,
        cache_dir: str | Path | None = None,
        command: str | None = None,
        on_start: Callable[[EvalStart], None] | None = None,
        on_result: Callable[[Any], None] | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> EvalReport:
        """Evaluate `strategy` (default `auto`) on a benchmark (`dataset`, a name from
        `leanwb datasets list`, or the JSONL file `from_file`), or finish run `resume`
        with what it recorded (then give nothing else but `workers`/`ray`). Each
        problem's result is committed as it ends; an interrupted run (Ctrl-C included)
        is finished later with `resume`. `stop_after_failures` infrastructure failures in
        a row (a model server down) stop the run (default 5; 0: never). `on_start` hears
        what the run has to do,
        `on_result` each problem's result, `on_note` remarks for a person."""
        from prover.eval.batch import (
            RunPlan,
            choose_dataset,
            execute,
            finish_if_complete,
            left_undone,
            pinned_lean_version,
            refuse_changes,
            resume_run,
            start_run,
            version_note,
        )
        from prover.eval.ray_runner import ray_connection
        from prover.eval.report import load_summary, render_json
        from prover.eval.results import run_counts
        from prover.eval.solver import STOP_AFTER_FAILURES
        from prover.session import SessionOptions
        from prover.strategies.registry import make_strategy, with_configured_models

        store = self.store
        if resume is not None:
            given = {
                "dataset": dataset,
                "from_file": from_file,
                "split": split,
                "revised": revised or None,
                "limit": limit,
                "strategy": strategy,
                "options": options,
                "limits": limits,
                "index": index,
                "stop_after_failures": stop_after_failures,
            }
            refuse_changes(resume, given)
            job, problems, workers = resume_run(store, self.settings, resume, self.api_key, workers)
        else:
            name = strategy or "auto"
            chosen = with_configured_models(name, options or {}, self.models)
            # Build it once here: bad options fail before the run is recorded.
            make_strategy(name, base_url=self.models.base_url, api_key=self.api_key, **chosen)
            choice = choose_dataset(
                dataset,
                Path(from_file) if from_file is not None else None,
                split,
                revised,
                limit,
                Path(cache_dir) if cache_dir is not None else None,
            )
            if choice.manifest is not None and on_note is not None:
                note = version_note(choice.manifest, pinned_lean_version(self.settings))
                if note:
                    on_note(note)
            plan = RunPlan(
                strategy=name,
                strategy_options=chosen,
                stop_after_failures=(
                    STOP_AFTER_FAILURES
                    if stop_after_failures is None
                    else stop_after_failures or None
                ),
                session=SessionOptions(
                    generator=self.models.generator,
                    base_url=self.models.base_url,
                    api_key=self.api_key,
                    index_dir=Path(index) if index else None,
                    limits=limits or Limits(),
                    seed=self.seed,
                ),
            )
            workers = workers or 1
            job, problems = None, []
        with ray_connection(ray, workers):  # before the run exists: no empty run if it fails
            if job is None:
                job, problems = start_run(
                    store,
                    self.settings,
                    choice,
                    plan,
                    command or "python: Workbench.evaluate",
                    workers,
                )
            counts = run_counts(store.engine, job.run_id)
            if on_start is not None:
                on_start(EvalStart(job.run_id, len(problems), workers, job.strategy, counts))
            execute(job, problems, workers, on_result or (lambda _: None), ray_address=ray)
        complete = finish_if_complete(store, job.run_id)
        undone = 0 if complete else left_undone(store, job.run_id)
        summary = load_summary(store, job.run_id, self.settings.prices)
        return EvalReport(job.run_id, summary.headline(), complete, undone, render_json(summary))

    # -- premises --------------------------------------------------------------------------

    def search_premises(self, query: str, k: int = 10, *, index: str | Path) -> list[Premise]:
        """The `k` premises of the index in `index` (built by `leanwb index build`)
        closest to `query` (a goal or a statement)."""
        from prover.session import load_retriever

        return load_retriever(Path(index)).search(query, k)


def check(theorem: str | Theorem, proof: str | None = None, **options: Any) -> CheckReport:
    """One-off `Workbench().check(…)`; `repl_cmd`, `db`, `config` go to the Workbench,
    the rest to `check`."""
    settings, rest = _split(options)
    with Workbench(**settings) as workbench:
        return workbench.check(theorem, proof, **rest)


def prove(theorem: str | Theorem, strategy: str | Strategy = "bfs", **options: Any) -> ProveReport:
    """One-off `Workbench().prove(…)`; the Workbench's options (`repl_cmd`, `db`,
    `config`, `generator`, `base_url`, `api_key`, `drafter`, `sketcher`, `seed`) go to
    it, the rest to `prove`."""
    settings, rest = _split(options)
    with Workbench(**settings) as workbench:
        return workbench.prove(theorem, strategy, **rest)


_WORKBENCH_OPTIONS = (
    "header_timeout",
    "on_wait",
    "repl_cmd",
    "db",
    "config",
    "generator",
    "base_url",
    "api_key",
    "drafter",
    "sketcher",
    "seed",
)


def _split(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = {k: v for k, v in options.items() if k in _WORKBENCH_OPTIONS}
    return settings, {k: v for k, v in options.items() if k not in _WORKBENCH_OPTIONS}


def _declaration(
    theorem: str | Path | Theorem, name: str | None, header: str | None = None
) -> Declaration:
    """A theorem given as a value, a Lean file (its own header), or a text (the default
    header unless it has imports)."""
    if isinstance(theorem, Theorem):
        return Declaration(theorem, None)
    if isinstance(theorem, Path):
        try:
            text = theorem.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TheoremTextError(f"cannot read {theorem}: {exc}") from exc
        try:
            return declaration_from_text(text, name=name, default_header="", source=str(theorem))
        except TheoremTextError as exc:
            raise TheoremTextError(f"{theorem}: {exc}") from exc
    return declaration_from_text(
        theorem.strip(), name=name, default_header=header or DEFAULT_HEADER
    )


def _repairable(proof: str | None) -> bool:
    """A proof worth repairing: there is one, and it is more than a bare `sorry`."""
    return proof is not None and proof.split() not in ([], ["sorry"], ["by", "sorry"])


def _check_request(theorem: str | Theorem, proof: str | None, name: str | None) -> CheckRequest:
    if isinstance(theorem, Theorem):
        if proof is None:
            raise TheoremTextError(f"give the proof of `{theorem.name}` to check")
        return request_for(theorem, proof)
    text = theorem.strip() if proof is None else f"{theorem.strip()} := {proof.strip()}"
    found = declaration_from_text(text, name=name, default_header=DEFAULT_HEADER)
    if found.proof is None:
        raise TheoremTextError(f"`{found.theorem.name}` has no `:=` followed by a proof")
    return request_for(found.theorem, found.proof)
