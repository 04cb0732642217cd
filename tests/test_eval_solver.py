"""How the runner classifies a theorem that does not open: statement error or failure."""

from __future__ import annotations

import pytest

from prover.eval.results import ProblemOutcome
from prover.eval.solver import classify_start
from prover.types import (
    CallStatus,
    CheckResult,
    Message,
    Position,
    ProofState,
    Severity,
    StartResult,
)

ERROR = Message(Severity.ERROR, Position(1, 8), None, "Unknown identifier `Real.log`")


def test_a_theorem_that_opens_is_not_classified() -> None:
    state = ProofState(("⊢ True",), id=0, session="s")
    assert classify_start(StartResult(state, CheckResult(CallStatus.OK))) is None


def test_lean_errors_mean_the_statement_no_longer_elaborates() -> None:
    check = CheckResult(CallStatus.OK, messages=(ERROR,))
    assert classify_start(StartResult(None, check)) == (
        ProblemOutcome.STATEMENT_ERROR,
        "statement_error",
        "Unknown identifier `Real.log`",
    )


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CallStatus.TIMEOUT, "start_timeout"),
        (CallStatus.CRASH, "start_crash"),
        (CallStatus.MEMORY, "start_memory"),
        (CallStatus.OK, "start_failed"),
    ],
)
def test_timeouts_and_crashes_are_failures_with_their_reason(
    status: CallStatus, reason: str
) -> None:
    check = CheckResult(status, error="the REPL died")
    assert classify_start(StartResult(None, check)) == (
        ProblemOutcome.FAILED,
        reason,
        "the REPL died",
    )
