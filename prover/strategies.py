"""Strategies by name: the one place the CLI and the batch runner look them up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prover.attempt import Strategy
from prover.eval.portfolio import Portfolio
from prover.search.bfs import BestFirstSearch
from prover.search.mps import MultiPerspectiveSearch
from prover.sketch.pipeline import SketchStrategy
from repair.pipeline import RepairStrategy

STRATEGIES: dict[str, Callable[..., Strategy]] = {
    "bfs": BestFirstSearch,
    "mps": MultiPerspectiveSearch,
    "auto": Portfolio,
    "sketch": SketchStrategy,
    "repair": RepairStrategy,
}


def make_strategy(name: str, **options: Any) -> Strategy:
    """Build the strategy `name` with its keyword `options` (ValueError on bad input)."""
    factory = STRATEGIES.get(name)
    if factory is None:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    try:
        return factory(**options)
    except TypeError as exc:
        raise ValueError(f"bad option for strategy {name!r}: {exc}") from exc
