"""What attempts need, opened once and closed together: the factory shared by the CLI
and the batch runner.

    with open_session(settings, SessionOptions(generator="heuristic")) as session:
        run_id = session.begin_run("leanwb prove ...", config)
        result = session.prove(theorem, make_strategy("bfs"), run_id=run_id)

A session owns one Lean pool, one generator, an optional retriever and, opened on
first use, the graph store. `prove` opens an attempt in a run, runs the strategy
through `prover.strategies.attempt.prove` (so every claim goes through the soundness gate) and
writes the verdict and its cost; an attempt interrupted by an exception (Ctrl-C
included) is still finished, as `failed: interrupted`. Runs begun by the session are
ended when it closes. Callers that keep their own store (the batch workers) use only
`lean`, `generator`, `retriever` and `context`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from prover.budget import Budget, Limits
from prover.config import Settings
from prover.errors import GenerationError, SessionError
from prover.generate.registry import make_generator, parse_spec
from prover.graph.store import Store, StoreError
from prover.lean.pool import LeanServer
from prover.protocols import CheckAnswers, Generator, Recorder, Retriever
from prover.strategies.attempt import Outcome, prove
from prover.strategies.base import Progress, ProofContext, Strategy
from prover.types import StopReason, Theorem, Verdict, VerdictKind


@dataclass(frozen=True)
class SessionOptions:
    generator: str = "heuristic"
    base_url: str | None = None
    api_key: str | None = None
    index_dir: Path | None = None
    limits: Limits = field(default_factory=Limits)
    seed: int = 0
    allow_native_decide: bool = False


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    attempt_id: int
    run_id: int


class ProverSession:
    """The Lean pool, generator, retriever and store of one process; close it when done."""

    def __init__(
        self,
        settings: Settings,
        options: SessionOptions,
        lean: LeanServer,
        generator: Generator,
        retriever: Retriever | None,
        *,
        store: Store | None = None,
        owned: bool = True,
    ) -> None:
        """With `owned` False the pool and the store belong to the caller (a
        `Workbench`), and closing the session leaves them open."""
        self.settings = settings
        self.options = options
        self.lean = lean
        self.generator = generator
        self.retriever = retriever
        self._store = store
        self._owned = owned
        self._runs: list[int] = []
        self._checks: CheckAnswers | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            path = self.settings.db_path
            try:
                self._store = Store(path)
            except (StoreError, OSError) as exc:
                raise SessionError(f"cannot open the database {path}: {exc}") from exc
        return self._store

    @property
    def checks(self) -> CheckAnswers:
        """The proof checks kept in the store: no strategy pays twice for the same text."""
        if self._checks is None:
            from prover.graph.check_cache import CheckCache
            from prover.lean.doctor import check_pin

            self._checks = CheckCache(self.store.engine, check_pin(self.settings))
        return self._checks

    def context(
        self,
        recorder: Recorder,
        on_progress: Callable[[Progress], None] | None = None,
        *,
        theorem: Theorem | None = None,
    ) -> ProofContext:
        """A context with a fresh budget for one attempt recorded by `recorder`; with
        `theorem`, retrieval sees only the premises its header makes accessible."""
        retriever = self.retriever
        if retriever is not None and theorem is not None:
            retriever = retriever.for_header(theorem.header)
        return ProofContext(
            lean=self.lean,
            generator=self.generator,
            recorder=recorder,
            budget=Budget(self.options.limits),
            retriever=retriever,
            seed=self.options.seed,
            on_progress=on_progress,
            allow_native_decide=self.options.allow_native_decide,
            checks=self.checks,
        )

    def begin_run(self, command: str, config: Mapping[str, Any], kind: str = "prove") -> int:
        run_id = self.store.begin_run(command, config, kind)
        self._runs.append(run_id)
        return run_id

    def prove(
        self,
        theorem: Theorem,
        strategy: Strategy,
        *,
        run_id: int,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> AttemptResult:
        recorder = self.store.begin_attempt(run_id, theorem, strategy.name)
        ctx = self.context(recorder, on_progress, theorem=theorem)
        try:
            outcome = prove(theorem, strategy, ctx)
        except BaseException:
            interrupted = Verdict(
                VerdictKind.FAILED, reason=StopReason.INTERRUPTED, detail="interrupted"
            )
            self.store.finish_attempt(recorder.attempt_id, interrupted, ctx.budget.finish())
            raise
        self.store.finish_attempt(recorder.attempt_id, outcome.verdict, outcome.spent)
        return AttemptResult(outcome, recorder.attempt_id, run_id)

    def close(self) -> None:
        try:
            if self._checks is not None:
                self._checks.close()
            if self._store is not None:
                for run_id in self._runs:
                    self._store.end_run(run_id)
                if self._owned:
                    self._store.close()
        finally:
            if self._owned:
                self.lean.close()

    def __enter__(self) -> ProverSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_session(
    settings: Settings,
    options: SessionOptions | None = None,
    *,
    lean: LeanServer | None = None,
    store: Store | None = None,
) -> ProverSession:
    """Make the generator (seeded unless it is the deterministic heuristic one) and load
    the retriever, raising SessionError if either fails; then create the Lean pool
    (its processes start on first use), unless `lean` (and `store`) are given: then
    the session uses them and leaves them open when it closes."""
    options = options or SessionOptions()
    try:
        scheme, _ = parse_spec(options.generator)
        generator = make_generator(
            options.generator,
            base_url=options.base_url,
            api_key=options.api_key,
            seed=None if scheme == "heuristic" else options.seed,
        )
    except (ValueError, GenerationError) as exc:
        raise SessionError(f"cannot make generator {options.generator!r}: {exc}") from exc
    retriever = load_retriever(options.index_dir) if options.index_dir else None
    if lean is not None:
        return ProverSession(
            settings, options, lean, generator, retriever, store=store, owned=False
        )
    return ProverSession(settings, options, LeanServer(settings.lean), generator, retriever)


def load_retriever(index_dir: Path) -> Retriever:
    # Imported here: retrieval pulls in torch and faiss, which `prove` without an index
    # should not pay for.
    from retrieval.errors import RetrievalError
    from retrieval.retriever import load_retriever as load

    try:
        return load(index_dir)
    except (RetrievalError, ValueError, OSError) as exc:
        raise SessionError(f"cannot load the premise index in {index_dir}: {exc}") from exc
