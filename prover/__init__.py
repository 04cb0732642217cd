"""Lean Workbench: automated theorem proving in Lean 4.

The public surface is `__all__`; everything else is internal. Importing `prover`
does nothing but define names: each is loaded on first use, so `import prover` (and
`leanwb --help`) pays for no database, model or index library.

    import prover
    report = prover.check("theorem t (p : Prop) (hp : p) : p := by exact hp")
    with prover.Workbench(db="runs.sqlite") as wb:
        result = wb.prove("theorem t (x : ℕ) (h : x = 3) : x + 2 = 5 := by sorry", "bfs")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it
_EXPORTS = {
    "Workbench": "prover.api",
    "EvalStart": "prover.api",
    "check": "prover.api",
    "prove": "prover.api",
    "CheckReport": "prover.reports",
    "ProveReport": "prover.reports",
    "RepairReport": "prover.reports",
    "EvalReport": "prover.reports",
    "Limits": "prover.budget",
    "parse_budget": "prover.budget",
    "Theorem": "prover.types",
    "Premise": "prover.types",
    "StopReason": "prover.types",
    "Claim": "prover.strategies.base",
    "ProofContext": "prover.strategies.base",
    "Progress": "prover.strategies.base",
    "Strategy": "prover.strategies.base",
    "WorkbenchError": "prover.errors",
    "BudgetError": "prover.errors",
    "ConfigError": "prover.errors",
    "TheoremTextError": "prover.errors",
    "StrategyError": "prover.errors",
    "GenerationError": "prover.errors",
    "SessionError": "prover.errors",
    "StoreError": "prover.errors",
    "DatasetError": "prover.errors",
    "EvalError": "prover.errors",
    "ReportError": "prover.errors",
    "SetupError": "prover.errors",
    "RetrievalError": "prover.errors",
}

__all__ = [
    "BudgetError",
    "CheckReport",
    "Claim",
    "ConfigError",
    "DatasetError",
    "EvalError",
    "EvalReport",
    "EvalStart",
    "GenerationError",
    "Limits",
    "Premise",
    "Progress",
    "ProofContext",
    "ProveReport",
    "RepairReport",
    "ReportError",
    "RetrievalError",
    "SessionError",
    "SetupError",
    "StopReason",
    "StoreError",
    "Strategy",
    "StrategyError",
    "Theorem",
    "TheoremTextError",
    "Workbench",
    "WorkbenchError",
    "__version__",
    "check",
    "parse_budget",
    "prove",
]

if TYPE_CHECKING:
    from prover.api import EvalStart, Workbench, check, prove
    from prover.budget import Limits, parse_budget
    from prover.errors import (
        BudgetError,
        ConfigError,
        DatasetError,
        EvalError,
        GenerationError,
        ReportError,
        RetrievalError,
        SessionError,
        SetupError,
        StoreError,
        StrategyError,
        TheoremTextError,
        WorkbenchError,
    )
    from prover.reports import CheckReport, EvalReport, ProveReport, RepairReport
    from prover.strategies.base import Claim, Progress, ProofContext, Strategy
    from prover.types import Premise, StopReason, Theorem


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'prover' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
