"""What `/v1/…` and the MCP tools do with the workbench: check a claim, open a goal, run a
tactic, prove. Plain functions over a `Workbench`; blocking (callers choose the thread)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

from prover.api import Workbench
from prover.budget import Limits
from prover.checking import request_from_parts
from prover.errors import WorkbenchError
from prover.lean.pool import LeanServer
from prover.lean_text import DEFAULT_HEADER, declaration_from_text
from prover.strategies.registry import STRATEGY_NAMES
from prover.types import CallStatus, ProofState, TacticResult

CLAIM_KIND = "claim"
# Verdict reasons a second try could change: never cached.
TRANSIENT_REASONS = frozenset(
    {s.value for s in CallStatus if s not in (CallStatus.OK, CallStatus.REPL_ERROR)}
)


class BadInput(ValueError):
    """The request's texts cannot be checked as given; the message says why."""


def check_claim(
    workbench: Workbench,
    header: str,
    statement: str,
    proof: str,
    *,
    allow_native_decide: bool,
    timeout: float,
) -> dict[str, Any]:
    """What `leanwb check --header … --statement … --proof … --json` prints."""
    try:
        request = request_from_parts(header, statement, proof)
    except WorkbenchError as exc:
        raise BadInput(str(exc)) from None
    report = workbench.check(request, allow_native_decide=allow_native_decide, timeout=timeout)
    return report.as_dict()


def definitive(check: dict[str, Any]) -> bool:
    """Whether a `check_claim` answer would come out the same again (and may be cached)."""
    return check["reason"] not in TRANSIENT_REASONS


@dataclass(frozen=True)
class Goals:
    """Open goals of a proof state handed out under `state_id` (None once none are left)."""

    state_id: str | None
    goals: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"state_id": self.state_id, "goals": list(self.goals)}


class ProofStates:
    """The proof states handed out to one client, by short ids; each keeps its REPL process
    pinned (see `prover.lean.pool`) until forgotten or the table is dropped."""

    def __init__(self, lean: LeanServer) -> None:
        self.lean = lean
        self._states: dict[str, ProofState] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _keep(self, state: ProofState) -> Goals:
        state_id = f"s{next(self._ids)}"
        with self._lock:
            self._states[state_id] = state
        return Goals(state_id if state.goals else None, state.goals)

    def start(self, theorem_text: str, timeout: float) -> Goals:
        """Open a declaration (its proof, if any, is ignored) in tactic mode.

        BadInput when the text holds no declaration or Lean refuses the statement."""
        try:
            found = declaration_from_text(theorem_text, default_header=DEFAULT_HEADER)
        except WorkbenchError as exc:
            raise BadInput(str(exc)) from None
        started = self.lean.start(found.theorem, timeout)
        if started.state is None:
            check = started.check
            errors = [m.text for m in check.errors]
            reason = "; ".join(errors) or check.error or f"Lean answered {check.status.value}"
            raise BadInput(f"Lean did not open `{found.theorem.name}`: {reason}")
        return self._keep(started.state)

    def run(self, state_id: str, tactic: str, timeout: float) -> tuple[Goals | None, TacticResult]:
        """Run `tactic` on the state `state_id`: the new goals (None on an error) and Lean's
        answer. BadInput for an id this table never gave out."""
        with self._lock:
            state = self._states.get(state_id)
        if state is None:
            known = ", ".join(sorted(self._states)) or "none yet"
            raise BadInput(f"no proof state {state_id!r} (known: {known}); call goal_state first")
        result = self.lean.run_tactic(state, tactic, timeout)
        if result.state is None or result.status.value not in ("open_goals", "completed"):
            return None, result
        return self._keep(result.state), result


@dataclass(frozen=True)
class ProveRequest:
    """A prove job, its theorem and strategy name checked before it is queued."""

    theorem: str
    theorem_name: str
    strategy: str
    options: dict[str, Any]
    limits: Limits


def prepare_prove(
    theorem_text: str, strategy: str, options: dict[str, Any], limits: Limits
) -> ProveRequest:
    """Read the theorem and the strategy's name now, so a bad request fails at once
    (BadInput); the strategy's options are checked when the job builds it."""
    try:
        found = declaration_from_text(theorem_text, default_header=DEFAULT_HEADER)
    except WorkbenchError as exc:
        raise BadInput(str(exc)) from None
    if strategy not in STRATEGY_NAMES:
        raise BadInput(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGY_NAMES)}")
    return ProveRequest(theorem_text, found.theorem.name, strategy, dict(options), limits)


def prove(workbench: Workbench, request: ProveRequest, *, command: str) -> dict[str, Any]:
    """A recorded attempt on the workbench's pool and store: `leanwb prove --json`'s answer.
    BadInput when the workbench refuses the request (bad strategy options, …)."""
    try:
        report = workbench.prove(
            request.theorem,
            request.strategy,
            options=request.options,
            limits=request.limits,
            command=command,
        )
    except WorkbenchError as exc:
        raise BadInput(str(exc)) from None
    return report.as_dict()
