"""The bridge to the Lean REPL: wire protocol, one process, and the pool keyed by header."""

from prover.lean.pool import BridgeStats, LeanServer
from prover.lean.process import LeanUnavailableError, ReplProcess
from prover.lean.protocol import InvalidRequest, split_goals

__all__ = [
    "BridgeStats",
    "InvalidRequest",
    "LeanServer",
    "LeanUnavailableError",
    "ReplProcess",
    "split_goals",
]
