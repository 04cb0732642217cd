"""What an eval run's whole-proof samples achieved: pass@k, its scaling fit, cost per solve.

Computed from each problem's recorded samples (`ProblemResult.samples`, the sample
strategy's account) with `prover.eval.passk`: the unbiased pass@k for k = 1, 2, 4, … up
to the fewest samples any problem drew, the exponentiated power-law fit of that curve and
the k it predicts for `TARGET_COVERAGE`, tokens and money per solved problem, and what
each mode (plain, chain of thought) cost and solved. pass@k is honest only when every
problem drew all its samples (`--all-samples`); otherwise `honest` is False and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prover.config import Price
from prover.eval.money import pricing
from prover.eval.passk import ProblemSamples, coverage_curve, fit_power_law, tokens_per_solved
from prover.eval.results import ProblemOutcome, ProblemResult

TARGET_COVERAGE = 0.9
MODE_FIELDS = ("samples", "correct", "tokens_in", "tokens_out", "checks", "cached", "refused")


@dataclass(frozen=True)
class SamplingStats:
    problems: int  # judged problems with recorded samples
    samples: int
    correct: int
    honest: bool  # every problem drew all its requested samples
    pass_at_k: list[tuple[int, float]]
    fit: dict[str, Any] | None
    tokens_per_solved: float | None
    money_per_solved: float | None
    modes: dict[str, dict[str, int]] = field(default_factory=dict)
    note: str = ""

    def pass_at(self, k: int) -> float | None:
        return dict(self.pass_at_k).get(k)

    def as_dict(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "samples": self.samples,
            "correct": self.correct,
            "honest": self.honest,
            "note": self.note,
            "pass_at_k": [{"k": k, "pass_at_k": value} for k, value in self.pass_at_k],
            "fit": self.fit,
            "tokens_per_solved": self.tokens_per_solved,
            "money_per_solved": self.money_per_solved,
            "modes": self.modes,
        }


def sampling_stats(
    results: Sequence[ProblemResult],
    config: Mapping[str, Any],
    prices: Mapping[str, Price] | None = None,
) -> SamplingStats | None:
    """The run's sampling figures over its judged problems; None when none has samples."""
    judged = [
        r
        for r in results
        if r.outcome is not ProblemOutcome.STATEMENT_ERROR and not r.infrastructure_failure
    ]
    records = [r.samples for r in judged if r.samples and int(r.samples.get("n", 0)) > 0]
    if not records:
        return None
    problems = [ProblemSamples(int(s["n"]), int(s["correct"])) for s in records]
    honest = all(bool(s.get("all_samples")) and bool(s.get("complete")) for s in records)
    note = (
        ""
        if honest
        else "some problems stopped sampling early (at the first proof, or out of budget): "
        "run with --all-samples for an unbiased pass@k"
    )
    left_out = len(judged) - len(records)
    if left_out:
        note = f"{note}; " if note else ""
        note += f"{left_out} judged problem(s) drew no sample and are left out"
    curve = coverage_curve(problems)
    fitted = fit_power_law(curve)
    fit = None
    if fitted is not None:
        fit = {
            "a": fitted.a,
            "b": fitted.b,
            "points": fitted.points,
            "target": TARGET_COVERAGE,
            "k_for_target": fitted.k_for(TARGET_COVERAGE),
        }
    solved = sum(r.outcome is ProblemOutcome.PROVED for r in judged)
    tokens = sum(r.tokens for r in judged)
    return SamplingStats(
        problems=len(records),
        samples=sum(p.n for p in problems),
        correct=sum(p.correct for p in problems),
        honest=honest,
        pass_at_k=curve,
        fit=fit,
        tokens_per_solved=tokens_per_solved(tokens, solved),
        money_per_solved=_money_per_solved(judged, config, prices or {}, solved),
        modes=_modes(records),
        note=note,
    )


def _money_per_solved(
    judged: Sequence[ProblemResult],
    config: Mapping[str, Any],
    prices: Mapping[str, Price],
    solved: int,
) -> float | None:
    priced = pricing(config, prices)
    if priced is None or priced.rate is None or solved == 0:
        return None
    costs = [priced.cost(r) for r in judged]
    return sum(c for c in costs if c is not None) / solved


def _modes(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per mode: the samples' totals, the problems that drew any (`problems`) and those
    that one of its samples solved (`solved`)."""
    modes: dict[str, dict[str, int]] = {}
    for record in records:
        for name, tally in record.get("modes", {}).items():
            row = modes.setdefault(name, dict.fromkeys((*MODE_FIELDS, "problems", "solved"), 0))
            for key in MODE_FIELDS:
                row[key] += int(tally.get(key, 0))
            row["problems"] += 1
            row["solved"] += int(tally.get("correct", 0) > 0)
    return modes
