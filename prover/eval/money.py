"""What an eval run's model tokens cost, from the config file's `[prices]` table.

A run records its tokens per problem, not per model. A run that used one model is
priced exactly; one that used several (a generator and a drafter, say) is priced at
the dearest rate of each kind, an upper bound, and says so. A run that used a model
without a price is not priced: which models lack one is reported instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prover.config import Price
from prover.eval.results import ProblemResult

FREE = ("heuristic",)  # no model, no tokens
MODEL_OPTIONS = ("drafter", "sketcher", "model", "generator")


def run_models(config: Mapping[str, Any]) -> set[str]:
    """The model specs a run's recorded configuration names (the heuristic excluded)."""
    found: set[str] = set()

    def visit(options: Any) -> None:
        if not isinstance(options, dict):
            return
        for key, value in options.items():
            if key in MODEL_OPTIONS and isinstance(value, str) and value not in FREE:
                found.add(value)
            elif isinstance(value, dict):
                visit(value)

    visit({"generator": config.get("generator")})
    visit(config.get("strategy_options", {}))
    return found


@dataclass(frozen=True)
class Pricing:
    """The rate a run's tokens are priced at; `exact` is False for an upper bound."""

    rate: Price | None
    exact: bool
    unpriced: tuple[str, ...]  # models the run used that have no price

    def cost(self, result: ProblemResult) -> float | None:
        if self.rate is None:
            return None
        spent = result.spent
        return (spent.tokens_in * self.rate.input + spent.tokens_out * self.rate.output) / 1e6

    def describe(self, total: float | None) -> str:
        if self.rate is None:
            return "no prices for " + ", ".join(self.unpriced)
        return ("" if self.exact else "at most ") + money(total or 0.0)


def pricing(config: Mapping[str, Any], prices: Mapping[str, Price]) -> Pricing | None:
    """How to price a run; None when no price is configured at all."""
    if not prices:
        return None
    models = run_models(config)
    unpriced = tuple(sorted(m for m in models if m not in prices))
    if unpriced:
        return Pricing(None, False, unpriced)
    rates = [prices[m] for m in models] or [Price(0.0, 0.0)]
    dearest = Price(max(r.input for r in rates), max(r.output for r in rates))
    return Pricing(dearest, len(set(rates)) <= 1, ())


def money(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"
