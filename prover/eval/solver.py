"""`ProblemSolver`: proves the problems of one eval run inside one worker process.

Each solver owns its Lean pool, generator and its own `Store` on the run's SQLite
file. For every problem it claims the problem (a worker of another process that
holds it wins: see `prover.eval.results`), opens an attempt, checks that the
statement still elaborates, runs the strategy through the soundness gate, closes the
attempt and commits the problem's final result, in that order, so a worker killed at
any point leaves either no final result (the problem is redone on resume) or exactly
one. Whatever goes wrong with one problem (a strategy's bug, a record the database
refuses) gives that problem an `internal_error` result; only a REPL that cannot start
at all stops the worker.

A model call that ran out of the attempt's time (`generator_timeout`) is the prover's
failure only if its server still answers: the solver then probes each model the run uses
(one token, `RECHECK_PROBE_S`), and a server that no longer answers turns the result
into an infrastructure failure (`generator_error`), left out of the pass rate, counted
by `stop_after_failures` and redone by a resume.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from prover.budget import Spent
from prover.config import ConfigError, Settings
from prover.errors import EvalError
from prover.eval.datasets import Problem
from prover.eval.preflight import check_models
from prover.eval.results import (
    INTERNAL_ERROR,
    ProblemOutcome,
    ProblemResult,
    claim_owner,
    claim_problem,
    commit_result,
    ensure_schema,
    release_claim,
)
from prover.graph.store import Store
from prover.session import SessionOptions, open_session
from prover.strategies.attempt import prove, statement_node
from prover.strategies.base import ProofContext
from prover.strategies.registry import make_strategy
from prover.strategies.sample import SampleReport
from prover.types import CallStatus, StartResult, StopReason, Verdict, VerdictKind

STATEMENT_ERROR = "statement_error"
GENERATOR_DOWN = "generator_down"  # the event recorded when the re-check finds a server down
START_FAILED = "start_failed"  # Lean answered without error but gave no proof state
STOP_AFTER_FAILURES = 5  # infrastructure failures in a row that stop a run
RECHECK_PROBE_S = 10.0  # a model server that cannot answer one token in this long is down


@dataclass(frozen=True)
class EvalJob:
    """Everything a worker needs to take part in a run; picklable, sent to each worker.

    `session` carries the per-problem budget, the generator and the seed;
    `stop_after_failures` how many infrastructure failures in a row stop the run.
    """

    settings: Settings
    run_id: int
    strategy: str
    session: SessionOptions
    strategy_options: dict[str, Any] = field(default_factory=dict)
    stop_after_failures: int | None = STOP_AFTER_FAILURES


def classify_start(start: StartResult) -> tuple[ProblemOutcome, str, str] | None:
    """None if the theorem opened; else its outcome, reason and what Lean said.

    Lean answering with errors means the statement (or its header) no longer
    elaborates under the pinned Mathlib: not the prover's failure. A timeout or a
    crash says nothing about the statement and counts as a failure with its reason.
    """
    if start.state is not None:
        return None
    check = start.check
    if check.status is CallStatus.OK and check.errors:
        return ProblemOutcome.STATEMENT_ERROR, STATEMENT_ERROR, check.errors[0].text[:500]
    detail = check.error or check.status.value
    reason = START_FAILED if check.status is CallStatus.OK else f"start_{check.status.value}"
    return ProblemOutcome.FAILED, reason, detail[:500]


class ProblemSolver:
    def __init__(self, job: EvalJob, worker: str) -> None:
        self.job = job
        self.worker = worker
        self.owner = claim_owner()
        self.store = Store(job.settings.db_path)
        ensure_schema(self.store.engine)
        self.session = open_session(job.settings, job.session)
        self.strategy = make_strategy(
            job.strategy,
            base_url=job.session.base_url,
            api_key=job.session.api_key,
            **job.strategy_options,
        )

    def close(self) -> None:
        self.session.close()
        self.store.close()

    def solve(self, problem: Problem) -> ProblemResult | None:
        """Prove `problem` and commit its final result; None if another worker has it or
        it already had one."""
        engine, run_id = self.store.engine, self.job.run_id
        if not claim_problem(engine, run_id, problem.key, self.owner):
            return None
        try:
            result = self._solve(problem)
        except ConfigError:
            release_claim(engine, run_id, problem.key, self.owner)
            raise
        except Exception as exc:  # the record failed: the problem still gets its result
            result = self._result(problem, _internal_error(exc), Spent(), None)
        except BaseException:  # stopped (SIGTERM, Ctrl-C): redone by the next resume
            release_claim(engine, run_id, problem.key, self.owner)
            raise
        return result if commit_result(engine, run_id, result, self.owner) else None

    def _solve(self, problem: Problem) -> ProblemResult:
        theorem = problem.theorem
        recorder = self.store.begin_attempt(self.job.run_id, theorem, self.strategy.name)
        ctx = self.session.context(recorder, theorem=theorem)
        recorder.event("eval_problem", problem.key, {"worker": self.worker, "pid": os.getpid()})
        outcome, verdict, spent, samples = self._prove(problem, ctx)
        try:
            self.store.finish_attempt(recorder.attempt_id, verdict, spent)
        except Exception as exc:  # e.g. the graph's last step could not be written
            outcome, verdict, spent = ProblemOutcome.FAILED, _internal_error(exc), Spent()
            self.store.finish_attempt(recorder.attempt_id, verdict, spent)
        return self._result(problem, verdict, spent, recorder.attempt_id, outcome, samples)

    def _result(
        self,
        problem: Problem,
        verdict: Verdict,
        spent: Spent,
        attempt_id: int | None,
        outcome: ProblemOutcome = ProblemOutcome.FAILED,
        samples: dict[str, Any] | None = None,
    ) -> ProblemResult:
        return ProblemResult(
            key=problem.key,
            split=problem.split,
            category=problem.category,
            outcome=outcome,
            reason=None if outcome is ProblemOutcome.PROVED else verdict.reason,
            detail=verdict.detail,
            attempt_id=attempt_id,
            spent=spent,
            worker=self.worker,
            samples=samples,
        )

    def _prove(
        self, problem: Problem, ctx: ProofContext
    ) -> tuple[ProblemOutcome, Verdict, Spent, dict[str, Any] | None]:
        try:
            failed_start = classify_start(ctx.start(problem.theorem))
            if failed_start is not None:
                outcome, reason, detail = failed_start
                statement_node(problem.theorem, ctx.recorder)
                ctx.recorder.event(reason, detail)
                verdict = Verdict(VerdictKind.FAILED, reason=reason, detail=detail)
                return outcome, verdict, ctx.budget.finish(), None
            result = prove(problem.theorem, self.strategy, ctx)
        except ConfigError:
            raise  # Lean cannot start at all: stop the run rather than fail every problem
        except Exception as exc:  # a bug in a strategy must not take the batch down
            verdict = _internal_error(exc)
            ctx.recorder.event(INTERNAL_ERROR, verdict.detail)
            return ProblemOutcome.FAILED, verdict, ctx.budget.finish(), None
        outcome = ProblemOutcome.PROVED if result.verdict.proved else ProblemOutcome.FAILED
        report = result.claim.report
        samples = report.as_dict() if isinstance(report, SampleReport) else None
        verdict = self._recheck_timeout(result.verdict)
        if verdict is not result.verdict:
            ctx.recorder.event(GENERATOR_DOWN, verdict.detail)
        return outcome, verdict, result.spent, samples

    def _recheck_timeout(self, verdict: Verdict) -> Verdict:
        """`verdict`, unless a model call ran out of time and a model server no longer
        answers: then an infrastructure failure saying so."""
        if verdict.reason != StopReason.GENERATOR_TIMEOUT:
            return verdict
        try:
            check_models(self.job.session, self.job.strategy_options, RECHECK_PROBE_S)
        except EvalError as exc:
            detail = f"a model call ran out of the attempt's time, and then {exc}"
            return Verdict(
                VerdictKind.FAILED, reason=StopReason.GENERATOR_ERROR.value, detail=detail[:500]
            )
        return verdict


def _internal_error(exc: Exception) -> Verdict:
    detail = f"{type(exc).__name__}: {exc}"[:500]
    return Verdict(VerdictKind.FAILED, reason=INTERNAL_ERROR, detail=detail)
