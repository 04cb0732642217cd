"""What `/v1/…` and the MCP tools do with the workbench: check a claim, open a goal, run a
tactic, prove. Plain functions over the pool; blocking (callers choose the thread)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any

from prover.attempt import Strategy
from prover.budget import Limits
from prover.cli.check_cmd import ClaimError, claim_from_parts, payload
from prover.config import Settings
from prover.generate.registry import make_generator, parse_spec
from prover.graph.recorder import message_json
from prover.lean.pool import LeanServer
from prover.lean_text import DEFAULT_HEADER, TheoremTextError, declaration_from_text
from prover.session import ProverSession, SessionOptions
from prover.strategies import make_strategy
from prover.types import CallStatus, ProofState, TacticResult, Theorem
from prover.verify import verify

CLAIM_KIND = "claim"
# Verdict reasons a second try could change: never cached.
TRANSIENT_REASONS = frozenset(
    {s.value for s in CallStatus if s not in (CallStatus.OK, CallStatus.REPL_ERROR)}
)


class BadInput(ValueError):
    """The request's texts cannot be checked as given; the message says why."""


def check_claim(
    lean: LeanServer,
    header: str,
    statement: str,
    proof: str,
    *,
    allow_native_decide: bool,
    timeout: float,
) -> dict[str, Any]:
    """What `leanwb check --header … --statement … --proof … --json` prints."""
    try:
        claim = claim_from_parts(header, statement, proof)
    except ClaimError as exc:
        raise BadInput(str(exc)) from None
    verdict = verify(
        claim.theorem, claim.proof, lean, allow_native_decide=allow_native_decide, timeout=timeout
    )
    return payload(claim, verdict)


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
        except TheoremTextError as exc:
            raise BadInput(str(exc)) from None
        started = self.lean.start(found.theorem, timeout)
        if started.state is None:
            check = started.check
            errors = [message_json(m)["text"] for m in check.errors]
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
    """A prove job, checked before it is queued."""

    theorem: Theorem
    strategy: Strategy
    strategy_name: str
    generator: str
    limits: Limits


def prepare_prove(
    theorem_text: str,
    strategy: str,
    strategy_options: dict[str, Any],
    generator: str,
    limits: Limits,
) -> ProveRequest:
    """Read the theorem and build the strategy now, so a bad request fails at once (BadInput)."""
    try:
        found = declaration_from_text(theorem_text, default_header=DEFAULT_HEADER)
        built = make_strategy(strategy, **strategy_options)
        parse_spec(generator)
    except (TheoremTextError, ValueError) as exc:
        raise BadInput(str(exc)) from None
    return ProveRequest(found.theorem, built, strategy, generator, limits)


def prove(
    settings: Settings, lean: LeanServer, request: ProveRequest, *, command: str
) -> dict[str, Any]:
    """Run a recorded attempt on the shared pool: what `leanwb prove --json` prints."""
    try:
        generator = make_generator(request.generator)
    except ValueError as exc:
        raise BadInput(f"cannot make generator {request.generator!r}: {exc}") from None
    options = SessionOptions(generator=request.generator, limits=request.limits)
    # The session's own store records the attempt; the pool is the server's, so the session
    # is never closed (that would close the pool), only its store.
    session = ProverSession(settings, options, lean, generator, None)
    config = {
        "theorem": request.theorem.name,
        "strategy": request.strategy_name,
        "generator": request.generator,
        "limits": asdict(request.limits),
    }
    try:
        run_id = session.begin_run(command, config, kind="prove")
        result = session.prove(request.theorem, request.strategy, run_id=run_id)
        session.store.end_run(run_id)
    finally:
        session.store.close()
    verdict, claim = result.outcome.verdict, result.outcome.claim
    return {
        "theorem": request.theorem.name,
        "strategy": request.strategy_name,
        "verdict": verdict.kind.value,
        "reason": verdict.reason,
        "detail": verdict.detail,
        "proof": verdict.proof if verdict.proved else None,
        "claimed_proof": claim.proof,
        "axioms": list(verdict.axioms),
        "attempt_id": result.attempt_id,
        "run_id": result.run_id,
        "spent": result.outcome.spent.as_dict(),
        "db": str(settings.db_path),
    }
