"""In-process test doubles shared by the unit tests, in the manner of httpx's
`MockTransport`: each fake takes a handler that turns a request into a reply, and
records the requests it saw.

- `FakeLean(handler)` — a `prover.protocols.Lean`; the handler gets a `LeanCheck`,
  `LeanStart` or `LeanTactic` and returns the matching result. `GoalTable` is a ready
  handler that plays tactic mode from a table of goals (with restarts and stale states).
- `FakeGenerator(handler)` — a `Generator`; the handler gets `(state, premises, n)` and
  returns candidates; `fixed(…)` makes one that proposes the same tactics every time.
- `FakeModel(handler)` — a `LanguageModel`; the handler gets the prompt and returns
  the reply's text, or an exception to raise.
- `MemoryRecorder` — a `Recorder` that keeps the graph in lists (nodes merged by key).

The stand-in REPL (`tests/standin/`) and the scripted OpenAI-compatible server
(`tests/fake_openai_server.py`) are the out-of-process doubles.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prover.generate.llm import Completion, Prompt
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.search.tree import normalise_goals
from prover.types import (
    CallStatus,
    Candidate,
    CheckResult,
    Message,
    Position,
    Premise,
    ProofState,
    Provenance,
    Severity,
    StartResult,
    TacticResult,
    TacticStatus,
    Theorem,
    Usage,
)

# --- Lean --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeanCheck:
    header: str
    body: str
    timeout: float | None


@dataclass(frozen=True)
class LeanStart:
    theorem: Theorem
    timeout: float | None


@dataclass(frozen=True)
class LeanTactic:
    state: ProofState
    tactic: str
    timeout: float | None


LeanRequest = LeanCheck | LeanStart | LeanTactic
LeanHandler = Callable[[LeanRequest], CheckResult | StartResult | TacticResult]


def unexpected(request: LeanRequest) -> Any:
    raise AssertionError(f"unexpected Lean request {request!r}")


@dataclass
class FakeLean:
    """A `Lean` whose every request goes to `handler`; `requests` lists them in order."""

    handler: LeanHandler = unexpected
    requests: list[LeanRequest] = field(default_factory=list)

    def _send(self, request: LeanRequest, kind: type) -> Any:
        self.requests.append(request)
        reply = self.handler(request)
        assert isinstance(reply, kind), f"the handler answered {request!r} with {reply!r}"
        return reply

    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        return self._send(LeanCheck(header, body, timeout), CheckResult)

    def start(self, theorem: Theorem, timeout: float | None = None) -> StartResult:
        return self._send(LeanStart(theorem, timeout), StartResult)

    def run_tactic(
        self, state: ProofState, tactic: str, timeout: float | None = None
    ) -> TacticResult:
        return self._send(LeanTactic(state, tactic, timeout), TacticResult)

    def of_kind(self, kind: type) -> list[Any]:
        return [request for request in self.requests if isinstance(request, kind)]


def checks(reply: Callable[[str], CheckResult]) -> LeanHandler:
    """A handler for a Lean used only in command mode: `reply(body)` answers each check."""

    def handle(request: LeanRequest) -> CheckResult:
        if not isinstance(request, LeanCheck):
            raise AssertionError(f"only checks expected, got {request!r}")
        return reply(request.body)

    return handle


Goals = tuple[str, ...]
# goals after the tactic, "timeout"/"crash" (the process restarts), or None (Lean error)
Rule = Callable[[Goals, str], Goals | str | None]


def table(steps: Mapping[tuple[Goals, str], Goals | str]) -> Rule:
    return lambda goals, tactic: steps.get((goals, tactic))


class GoalTable:
    """A handler playing tactic mode from `rule`: states get ids in one process
    incarnation; a timeout or crash restarts it, so older states turn stale."""

    def __init__(self, rule: Rule, root: Goals, start_error: str | None = None) -> None:
        self.rule = rule
        self.root = root
        self.start_error = start_error
        self.session = "proc-0"
        self.restarts = 0
        self.calls: list[tuple[Goals, str]] = []
        self._states: dict[int, Goals] = {}

    def __call__(self, request: LeanRequest) -> CheckResult | StartResult | TacticResult:
        if isinstance(request, LeanCheck):
            return CheckResult(CallStatus.OK, env=0)
        if isinstance(request, LeanStart):
            if self.start_error is not None:
                error = Message(Severity.ERROR, Position(1, 0), None, self.start_error)
                return StartResult(None, CheckResult(CallStatus.OK, env=0, messages=(error,)))
            return StartResult(self._state(self.root), CheckResult(CallStatus.OK, env=0))
        return self._tactic(request.state, request.tactic)

    def _state(self, goals: Goals) -> ProofState:
        state_id = len(self._states)
        self._states[state_id] = goals
        return ProofState(goals, id=state_id, session=self.session)

    def _tactic(self, state: ProofState, tactic: str) -> TacticResult:
        if state.session != self.session:
            return TacticResult(TacticStatus.STALE_STATE, error="stale")
        goals = self._states[state.id]
        self.calls.append((goals, tactic))
        outcome = self.rule(goals, tactic)
        if outcome in ("timeout", "crash"):
            self.restarts += 1
            self.session = f"proc-{self.restarts}"
            status = TacticStatus.TIMEOUT if outcome == "timeout" else TacticStatus.CRASH
            return TacticResult(status, error=str(outcome), elapsed_s=0.01)
        if outcome is None:
            return TacticResult(TacticStatus.LEAN_ERROR, error=f"Lean error: {tactic} failed")
        assert isinstance(outcome, tuple)
        status = TacticStatus.OPEN_GOALS if outcome else TacticStatus.COMPLETED
        return TacticResult(status, state=self._state(outcome), elapsed_s=0.001)


# --- generators and models ---------------------------------------------------------------

SuggestHandler = Callable[[str, Sequence[Premise], int], Sequence[Candidate]]


class FakeGenerator:
    """A `Generator` asking `handler`; counts calls in `usage`, keeps `prompts`."""

    def __init__(self, handler: SuggestHandler, name: str = "fake") -> None:
        self.handler = handler
        self.name = name
        self.usage = Usage()
        self.prompts: list[str] = []

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        self.usage.calls += 1
        self.prompts.append(state)
        return list(self.handler(state, premises, n))


def fixed(
    tactics: Sequence[tuple[str, float]] | Sequence[str],
    *,
    seed: int | None = None,
    name: str = "fake",
) -> SuggestHandler:
    """Proposes `tactics` for every state (plain texts score 0, -1, -2, …), at most `n`;
    with `seed`, each score is jittered by a generator seeded with the state."""
    scored = [(t, -float(i)) if isinstance(t, str) else t for i, t in enumerate(tactics)]

    def handle(state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        rng = random.Random(f"{seed}:{state}") if seed is not None else None
        provenance = Provenance(name, premises=tuple(premises))
        return [
            Candidate(text, score + (rng.random() if rng else 0.0), provenance)
            for text, score in scored[:n]
        ]

    return handle


class FakeModel:
    """A `LanguageModel` whose replies come from `handler(prompt)`: a text, or an
    exception to raise. Each reply counts 10 tokens in and 1 out."""

    model = "fake"
    settings: tuple[tuple[str, Any], ...] = ()

    def __init__(self, handler: Callable[[Prompt], str | Exception], name: str = "fake-lm"):
        self.handler = handler
        self.name = name
        self.usage = Usage()
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt, **_: Any) -> list[Completion]:
        self.usage.calls += 1
        self.prompts.append(prompt)
        reply = self.handler(prompt)
        if isinstance(reply, Exception):
            raise reply
        self.usage.tokens_in += 10
        self.usage.tokens_out += 1
        return [Completion(reply, None, 10, 1)]

    def complete_batch(self, prompts: Sequence[Prompt], **options: Any) -> list[list[Completion]]:
        return [self.complete(prompt, **options) for prompt in prompts]


def replies(*texts: str | Exception) -> Callable[[Prompt], str | Exception]:
    """A model handler answering with `texts` in turn, round and round."""
    count = [0]

    def handle(prompt: Prompt) -> str | Exception:
        count[0] += 1
        return texts[(count[0] - 1) % len(texts)]

    return handle


# --- recorder ----------------------------------------------------------------------------


class MemoryRecorder:
    """A `Recorder` keeping the graph in memory: nodes merged by key, edges, statuses and
    events in lists; an edge to a node never recorded fails the test."""

    attempt_id = 1

    def __init__(self) -> None:
        self.nodes: dict[int, dict[str, Any]] = {}
        self.keys: dict[str, int] = {}
        self.edges: list[dict[str, Any]] = []
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def node(
        self,
        kind: NodeKind,
        text: str,
        *,
        key: str | None = None,
        goals: Sequence[str] = (),
        status: NodeStatus = NodeStatus.OPEN,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        if key is not None and key in self.keys:
            return self.keys[key]
        node_id = len(self.nodes) + 1
        self.nodes[node_id] = {"kind": kind, "text": text, "key": key, "status": status}
        if key is not None:
            self.keys[key] = node_id
        return node_id

    def edge(
        self,
        kind: EdgeKind,
        parents: Sequence[int],
        child: int | None,
        action: str,
        *,
        strategy: str,
        proposer: Provenance | None = None,
        score: float | None = None,
        lean: LeanOutcome | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        for node_id in (*parents, *([] if child is None else [child])):
            assert node_id in self.nodes, "edge to a node never recorded"
        self.edges.append(
            {
                "kind": kind,
                "parents": list(parents),
                "child": child,
                "action": action,
                "strategy": strategy,
                "proposer": proposer,
                "lean": lean,
                "meta": dict(meta or {}),
            }
        )
        return len(self.edges)

    def set_status(self, node_id: int, status: NodeStatus) -> None:
        self.nodes[node_id]["status"] = status

    def event(self, kind: str, message: str, data: Mapping[str, Any] | None = None) -> None:
        self.events.append((kind, message, dict(data or {})))

    def flush(self) -> None:
        pass

    def state_id(self, goals: Goals) -> int:
        return self.keys[f"goals:{normalise_goals(goals)}"]

    def tactic_edges(self) -> list[dict[str, Any]]:
        return [e for e in self.edges if e["action"] != "start"]
