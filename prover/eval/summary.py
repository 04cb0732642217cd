"""What an eval run achieved and what it cost, computed from its final results.

Pass rate is stated twice: over the problems whose statement elaborates and whose
attempt the infrastructure did not spoil (the prover's score: a dead model server
is not the prover failing) and over every finished problem (statement errors and
infrastructure failures counted as failures), always next to the budget it was
obtained under. Infrastructure failures are listed apart from the prover's.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prover.eval.results import ProblemOutcome, ProblemResult

_REASON_CODE = re.compile(r"[\w.-]+")

COST_AXES: dict[str, Callable[[ProblemResult], float]] = {
    "wall_s": lambda r: r.spent.wall_s,
    "lean_calls": lambda r: float(r.spent.lean_calls),
    "tokens": lambda r: float(r.tokens),
    "lean_s": lambda r: r.spent.lean_s,
}
COST_LABELS = {
    "wall_s": "wall seconds",
    "lean_calls": "Lean calls",
    "tokens": "tokens",
    "lean_s": "Lean seconds",
}
# The budget limit (a `Limits` field) that bounds each cost axis, where there is one.
AXIS_LIMITS = {"wall_s": "wall_s", "lean_calls": "lean_calls", "tokens": "tokens"}


def reason_code(reason: str | None) -> str:
    """The machine-readable head of a reason (`start_failed: unknown id` -> `start_failed`)."""
    match = _REASON_CODE.match(reason or "")
    return match.group(0) if match else "unknown"


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


@dataclass(frozen=True)
class Tally:
    problems: int  # finished problems in this group
    proved: int
    statement_errors: int
    infrastructure_failures: int = 0

    @property
    def judged(self) -> int:
        """Problems that count in the pass rate: their statement elaborated and their
        attempt was not spoilt by the infrastructure."""
        return self.problems - self.statement_errors - self.infrastructure_failures

    @property
    def pass_rate(self) -> float | None:
        return rate(self.proved, self.judged)

    @property
    def pass_rate_all(self) -> float | None:
        return rate(self.proved, self.problems)

    @classmethod
    def of(cls, results: Sequence[ProblemResult]) -> Tally:
        return cls(
            problems=len(results),
            proved=sum(r.outcome is ProblemOutcome.PROVED for r in results),
            statement_errors=sum(r.outcome is ProblemOutcome.STATEMENT_ERROR for r in results),
            infrastructure_failures=sum(r.infrastructure_failure for r in results),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "proved": self.proved,
            "statement_errors": self.statement_errors,
            "infrastructure_failures": self.infrastructure_failures,
            "judged": self.judged,
            "pass_rate": self.pass_rate,
            "pass_rate_all": self.pass_rate_all,
        }


@dataclass(frozen=True)
class CostStats:
    total: float
    mean: float
    median: float
    p90: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> CostStats:
        if not values:
            return cls(0.0, 0.0, 0.0, 0.0, 0.0)
        ordered = sorted(values)
        return cls(
            total=sum(ordered),
            mean=statistics.fmean(ordered),
            median=statistics.median(ordered),
            p90=ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
            max=ordered[-1],
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "total": self.total,
            "mean": self.mean,
            "median": self.median,
            "p90": self.p90,
            "max": self.max,
        }


def describe_budget(limits: dict[str, Any]) -> str:
    """The per-problem budget in words, e.g. `wall 60 s, 200 Lean calls, tokens unbounded`."""

    def bound(key: str, unit: str) -> str:
        value = limits.get(key)
        return f"{unit} unbounded" if value is None else f"{value:g} {unit}"

    return ", ".join(
        (
            bound("wall_s", "s wall"),
            bound("lean_calls", "Lean calls"),
            bound("tokens", "tokens"),
            bound("expansions", "expansions"),
            f"{limits.get('tactic_timeout_s', 0):g} s per Lean call",
        )
    )


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    config: dict[str, Any]
    registered: int
    results: list[ProblemResult]
    overall: Tally
    categories: dict[str, Tally]
    costs: dict[str, CostStats]
    failure_reasons: dict[str, int]  # the prover's failures, by reason code
    statement_errors: list[ProblemResult] = field(default_factory=list)
    infrastructure_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.registered - len(self.results)

    @property
    def budget(self) -> str:
        return describe_budget(self.config.get("limits", {}))

    def solved_curve(self, axis: str) -> list[tuple[float, float]]:
        """(cost x, pass rate in % among judged problems once the budget reaches x)."""
        judged = self.overall.judged
        if not judged:
            return []
        measure = COST_AXES[axis]
        costs = sorted(measure(r) for r in self.results if r.outcome is ProblemOutcome.PROVED)
        return [(cost, 100.0 * (i + 1) / judged) for i, cost in enumerate(costs)]

    def headline(self) -> str:
        o = self.overall
        excluded = f"{o.statement_errors} statement(s) no longer elaborate and are excluded"
        counted = "them"
        if o.infrastructure_failures:
            excluded = (
                f"{o.statement_errors} statement(s) no longer elaborate and "
                f"{o.infrastructure_failures} attempt(s) failed for the infrastructure's sake "
                f"({', '.join(self.infrastructure_reasons)}); both are excluded"
            )
            counted = "both"
        return (
            f"{percent(o.pass_rate)} ({o.proved}/{o.judged}) proved at budget [{self.budget}]; "
            f"{excluded} ({percent(o.pass_rate_all)} = {o.proved}/{o.problems} counting "
            f"{counted} as failures)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "config": self.config,
            "budget": self.budget,
            "registered": self.registered,
            "finished": len(self.results),
            "pending": self.pending,
            "overall": self.overall.as_dict(),
            "categories": {k: v.as_dict() for k, v in self.categories.items()},
            "cost_per_problem": {k: v.as_dict() for k, v in self.costs.items()},
            "failure_reasons": self.failure_reasons,
            "infrastructure_failures": self.infrastructure_reasons,
            "problems": [result_dict(r) for r in self.results],
        }


RESULT_FIELDS = (
    "key",
    "split",
    "category",
    "outcome",
    "reason",
    "detail",
    "attempt_id",
    "lean_calls",
    "lean_s",
    "tokens",
    "wall_s",
    "worker",
)


def result_dict(result: ProblemResult) -> dict[str, Any]:
    values = (
        result.key,
        result.split,
        result.category,
        result.outcome.value,
        result.reason,
        result.detail,
        result.attempt_id,
        result.spent.lean_calls,
        round(result.spent.lean_s, 3),
        result.tokens,
        round(result.spent.wall_s, 3),
        result.worker,
    )
    return dict(zip(RESULT_FIELDS, values, strict=True))


def summarize(
    run_id: int, config: dict[str, Any], registered: int, results: Sequence[ProblemResult]
) -> RunSummary:
    by_category: dict[str, list[ProblemResult]] = {}
    for result in results:
        by_category.setdefault(result.category, []).append(result)
    failed = [r for r in results if r.outcome is ProblemOutcome.FAILED]
    failures = Counter(reason_code(r.reason) for r in failed if not r.infrastructure_failure)
    infrastructure = Counter(reason_code(r.reason) for r in failed if r.infrastructure_failure)
    judged = [
        r
        for r in results
        if r.outcome is not ProblemOutcome.STATEMENT_ERROR and not r.infrastructure_failure
    ]
    return RunSummary(
        run_id=run_id,
        config=config,
        registered=registered,
        results=list(results),
        overall=Tally.of(results),
        categories={name: Tally.of(group) for name, group in sorted(by_category.items())},
        costs={axis: CostStats.of([m(r) for r in judged]) for axis, m in COST_AXES.items()},
        failure_reasons=dict(failures.most_common()),
        infrastructure_reasons=dict(infrastructure.most_common()),
        statement_errors=[r for r in results if r.outcome is ProblemOutcome.STATEMENT_ERROR],
    )
