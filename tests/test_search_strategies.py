"""Best-first and multi-perspective search against in-test fakes of Lean and a generator.

`FakeLean` is a test double of `prover.protocols.Lean` over a rule table from
(goals, tactic) to the goals after; it can time out or crash on chosen steps, which
restarts its "process" and makes every older state stale, like the real pool.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from prover.budget import Budget, Limits
from prover.errors import GenerationError
from prover.generate.llm import Completion
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.attempt import statement_node
from prover.strategies.base import Claim, ProofContext
from prover.strategies.registry import make_strategy
from prover.strategies.search.critic import HeuristicCritic, ModelCritic
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

Goals = tuple[str, ...]
Rule = Callable[[Goals, str], Goals | str | None]  # goals after, "timeout"/"crash", or None

CTX = "p q : Prop\nhp : p\nhq : q\n"
ROOT: Goals = (CTX + "⊢ p ∧ q",)
SPLIT: Goals = (CTX + "⊢ p", CTX + "⊢ q")
LAST: Goals = (CTX + "⊢ q",)
THEOREM = Theorem("t", "import Mathlib", "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q")
PROOF = "by\n  constructor\n  exact hp\n  exact hq"


def table(steps: Mapping[tuple[Goals, str], Goals | str]) -> Rule:
    return lambda goals, tactic: steps.get((goals, tactic))


CONJUNCTION = {
    (ROOT, "constructor"): SPLIT,
    (SPLIT, "exact hp"): LAST,
    (LAST, "exact hq"): (),
}


class FakeLean:
    """Test double of the Lean protocol: a rule table instead of Lean."""

    def __init__(self, rule: Rule, root: Goals = ROOT, start_error: str | None = None) -> None:
        self.rule = rule
        self.root = root
        self.start_error = start_error
        self.session = "proc-0"
        self.restarts = 0
        self.calls: list[tuple[Goals, str]] = []
        self._states: dict[int, Goals] = {}

    def _state(self, goals: Goals) -> ProofState:
        state_id = len(self._states)
        self._states[state_id] = goals
        return ProofState(goals, id=state_id, session=self.session)

    def _restart(self) -> None:
        self.restarts += 1
        self.session = f"proc-{self.restarts}"

    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        return CheckResult(CallStatus.OK, env=0)

    def start(self, theorem: Theorem, timeout: float | None = None) -> StartResult:
        if self.start_error is not None:
            error = Message(Severity.ERROR, Position(1, 0), None, self.start_error)
            return StartResult(None, CheckResult(CallStatus.OK, env=0, messages=(error,)))
        return StartResult(self._state(self.root), CheckResult(CallStatus.OK, env=0))

    def run_tactic(
        self, state: ProofState, tactic: str, timeout: float | None = None
    ) -> TacticResult:
        if state.session != self.session:
            return TacticResult(TacticStatus.STALE_STATE, error="stale")
        goals = self._states[state.id]
        self.calls.append((goals, tactic))
        outcome = self.rule(goals, tactic)
        if outcome in ("timeout", "crash"):
            self._restart()
            status = TacticStatus.TIMEOUT if outcome == "timeout" else TacticStatus.CRASH
            return TacticResult(status, error=str(outcome), elapsed_s=0.01)
        if outcome is None:
            return TacticResult(TacticStatus.LEAN_ERROR, error=f"Lean error: {tactic} failed")
        assert isinstance(outcome, tuple)
        status = TacticStatus.OPEN_GOALS if outcome else TacticStatus.COMPLETED
        return TacticResult(status, state=self._state(outcome), elapsed_s=0.001)


class FakeGenerator:
    """Test double of the Generator protocol: the same scored tactics for every state,
    optionally jittered by a seeded random generator."""

    name = "fake"

    def __init__(self, tactics: Sequence[tuple[str, float]], seed: int | None = None) -> None:
        self.tactics = list(tactics)
        self.seed = seed
        self.usage = Usage()
        self.prompts: list[str] = []

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        self.usage.calls += 1
        self.prompts.append(state)
        rng = random.Random(f"{self.seed}:{state}") if self.seed is not None else None
        provenance = Provenance(self.name, premises=tuple(premises))
        return [
            Candidate(text, score + (rng.random() if rng else 0.0), provenance)
            for text, score in self.tactics[:n]
        ]


class FakeRecorder:
    """In-memory Recorder: nodes merged by key, edges, statuses and events kept in lists."""

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


TACTICS = [("exact hq", -0.5), ("exact hp", -0.6), ("constructor", -1.0), ("simp", -2.0)]


def run(
    strategy: str,
    lean: FakeLean,
    generator: FakeGenerator | None = None,
    limits: Limits | None = None,
    **options: Any,
) -> tuple[Claim, FakeRecorder, ProofContext]:
    recorder = FakeRecorder()
    ctx = ProofContext(
        lean=lean,
        generator=generator or FakeGenerator(TACTICS),
        recorder=recorder,
        budget=Budget(limits or Limits(wall_s=30)),
    )
    root = statement_node(THEOREM, recorder)
    claim = make_strategy(strategy, **options).attempt(THEOREM, ctx, root)
    return claim, recorder, ctx


STRATEGIES = ["bfs", "mps"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_finds_a_multi_step_proof_and_records_every_tactic(strategy: str) -> None:
    lean = FakeLean(table(CONJUNCTION))
    claim, recorder, ctx = run(strategy, lean)
    assert claim.proof == PROOF and claim.reason == "proved"
    assert claim.node == recorder.state_id(())
    for goals in (ROOT, SPLIT, LAST, ()):
        assert recorder.nodes[recorder.state_id(goals)]["status"] is NodeStatus.SOLVED
    tactic_edges = recorder.tactic_edges()
    assert [(e["action"]) for e in tactic_edges] == [tactic for _, tactic in lean.calls]
    assert all(e["kind"] is EdgeKind.TACTIC and e["strategy"] == strategy for e in tactic_edges)
    failed = [e for e in tactic_edges if e["child"] is None]
    assert failed and all(e["lean"].status == "lean_error" for e in failed)
    assert ctx.budget.spent.lean_calls == len(lean.calls) + 1  # + opening the theorem
    assert ctx.budget.spent.expansions == 3
    start = recorder.edges[0]
    assert start["action"] == "start" and start["parents"] == [recorder.keys["statement"]]
    assert recorder.events[-1][:2] == ("search_end", "proved")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_equal_states_are_merged_and_expanded_once(strategy: str) -> None:
    steps = {**CONJUNCTION, (ROOT, "refine ⟨?_, ?_⟩"): SPLIT}
    lean = FakeLean(table(steps))
    generator = FakeGenerator([*TACTICS, ("refine ⟨?_, ?_⟩", -3.0)])
    claim, recorder, _ = run(strategy, lean, generator, width=5)
    assert claim.proof == PROOF
    split_id = recorder.state_id(SPLIT)
    into_split = [e for e in recorder.edges if e["child"] == split_id]
    assert [e["meta"]["merged"] for e in into_split] == [False, True]
    assert sum(1 for goals, _ in lean.calls if goals == SPLIT) <= len(generator.tactics)
    assert generator.prompts.count("\n\n".join(SPLIT)) == 1


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_unprovable_statement_fails_once_every_branch_is_dead(strategy: str) -> None:
    steps = {(ROOT, "constructor"): SPLIT, (SPLIT, "exact hp"): LAST}
    claim, recorder, _ = run(strategy, FakeLean(table(steps)))
    assert claim.proof is None and claim.reason == "search_exhausted"
    for goals in (ROOT, SPLIT, LAST):
        assert recorder.nodes[recorder.state_id(goals)]["status"] is NodeStatus.FAILED


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_endless_search_stops_at_the_expansion_budget(strategy: str) -> None:
    def grows_forever(goals: Goals, tactic: str) -> Goals | None:
        return (goals[0] + " ∧ p",) if tactic == "rw [and_self]" else None

    generator = FakeGenerator([("rw [and_self]", -0.1), ("simp", -0.2)])
    claim, _, ctx = run(strategy, FakeLean(grows_forever), generator, Limits(expansions=5))
    assert claim.proof is None and claim.reason == "expansions"
    assert ctx.budget.spent.expansions == 5


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_budget_running_out_mid_expansion_never_marks_the_node_failed(strategy: str) -> None:
    claim, recorder, _ = run(strategy, FakeLean(table({})), limits=Limits(lean_calls=3))
    assert claim.reason == "lean_calls"
    assert len(recorder.tactic_edges()) == 2  # 3 calls: opening + two tactics
    assert recorder.nodes[recorder.state_id(ROOT)]["status"] is NodeStatus.OPEN


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_timeouts_and_crashes_mid_search_are_survived_by_replaying_states(strategy: str) -> None:
    steps: dict[tuple[Goals, str], Goals | str] = {
        **CONJUNCTION,
        (ROOT, "slow"): "timeout",
        (SPLIT, "boom"): "crash",
    }
    lean = FakeLean(table(steps))
    generator = FakeGenerator([("slow", 0.0), ("boom", -0.1), *TACTICS])
    claim, recorder, _ = run(strategy, lean, generator, width=6)
    assert claim.proof == PROOF
    assert lean.restarts == 2
    outcomes = {
        (e["parents"][0], e["action"]): (e["lean"].status, e["child"])
        for e in recorder.tactic_edges()
    }
    assert outcomes[recorder.state_id(ROOT), "slow"] == ("timeout", None)
    assert outcomes[recorder.state_id(SPLIT), "boom"] == ("crash", None)
    replays = [data for kind, _, data in recorder.events if kind == "replay"]
    assert {r["steps"] for r in replays} == {0, 1}  # the root reopened; the split state rebuilt


def test_a_statement_that_does_not_open_is_reported_with_lean_s_message() -> None:
    lean = FakeLean(table({}), start_error="unknown identifier 'foo'\nmore detail")
    claim, recorder, _ = run("bfs", lean)
    assert claim.proof is None
    assert (claim.reason, claim.detail) == ("start_failed", "unknown identifier 'foo'")
    assert recorder.edges[0]["action"] == "start" and recorder.edges[0]["child"] is None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_same_search_and_the_seed_reaches_the_order(strategy: str) -> None:
    def trace(seed: int) -> list[tuple[Any, ...]]:
        lean = FakeLean(table(CONJUNCTION))
        _, recorder, _ = run(strategy, lean, FakeGenerator(TACTICS, seed=seed), width=4)
        return [(e["parents"], e["action"], e["child"]) for e in recorder.edges]

    assert trace(7) == trace(7)
    assert len({tuple(map(str, trace(seed))) for seed in range(6)}) > 1


def test_mps_spreads_an_expansion_across_tactic_families_where_bfs_follows_scores() -> None:
    generator_tactics = [
        ("nlinarith [a]", -0.1),
        ("nlinarith [b]", -0.2),
        ("nlinarith [c]", -0.3),
        ("constructor", -1.0),
    ]

    def tried_on_root(strategy: str) -> set[str]:
        lean = FakeLean(table(CONJUNCTION))
        run(strategy, lean, FakeGenerator(generator_tactics), Limits(expansions=1), width=2)
        return {tactic for goals, tactic in lean.calls if goals == ROOT}

    assert tried_on_root("bfs") == {"nlinarith [a]", "nlinarith [b]"}
    assert tried_on_root("mps") == {"nlinarith [a]", "constructor"}


def test_mps_records_which_perspective_chose_each_expansion() -> None:
    def branches(goals: Goals, tactic: str) -> Goals | None:
        depth = goals[0].count("'")
        return (goals[0] + "'" * int(tactic[-1]),) if depth < 6 else None

    generator = FakeGenerator([(f"step{k}", -0.1 * k) for k in range(1, 4)])
    _, recorder, _ = run("mps", FakeLean(branches), generator, Limits(expansions=10), width=3)
    chosen = [e["meta"]["selected_by"] for e in recorder.tactic_edges() if e["meta"]["rank"] == 0]
    assert set(chosen) == {"critic", "policy", "fewest_splits", "shortest_state"}
    assert chosen.count("critic") >= 3


def test_premises_shown_to_the_generator_reach_the_edges() -> None:
    class OneRetriever:
        def search(self, query: str, k: int, accessible_from: str | None = None) -> list[Premise]:
            return [Premise("and_comm", "a ∧ b ↔ b ∧ a", "Mathlib.Logic", 0.9)]

    recorder = FakeRecorder()
    ctx = ProofContext(
        lean=FakeLean(table(CONJUNCTION)),
        generator=FakeGenerator(TACTICS),
        recorder=recorder,
        retriever=OneRetriever(),
    )
    make_strategy("bfs").attempt(THEOREM, ctx, statement_node(THEOREM, recorder))
    shown = {p.name for e in recorder.tactic_edges() for p in e["proposer"].premises}
    assert shown == {"and_comm"}


def test_make_strategy_rejects_unknown_names_and_options() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'dfs'"):
        make_strategy("dfs")
    with pytest.raises(ValueError, match="bad option"):
        make_strategy("bfs", depth=3)
    with pytest.raises(ValueError, match="width"):
        make_strategy("mps", width=0)
    with pytest.raises(ValueError, match="unknown perspective"):
        make_strategy("mps", quotas={"vibes": 1})


class FakeLanguageModel:
    """Test double of the LanguageModel protocol: canned replies, counted usage."""

    name = "fake-lm"
    model = "fake"
    settings: tuple[tuple[str, Any], ...] = ()

    def __init__(self, replies: Sequence[str | Exception]) -> None:
        self.replies = list(replies)
        self.usage = Usage()

    def complete(self, prompt: Any, **_: Any) -> list[Completion]:
        reply = self.replies[self.usage.calls % len(self.replies)]
        self.usage.calls += 1
        if isinstance(reply, Exception):
            raise reply
        self.usage.tokens_in += 10
        self.usage.tokens_out += 1
        return [Completion(reply, None, 10, 1)]

    def complete_batch(self, prompts: Sequence[Any], **options: Any) -> list[list[Completion]]:
        return [self.complete(prompt, **options) for prompt in prompts]


def test_model_critic_reads_a_number_and_falls_back_to_the_heuristic() -> None:
    state = ProofState(SPLIT, id=0, session="s")
    heuristic = HeuristicCritic().estimate(state)
    assert ModelCritic(FakeLanguageModel([" 3 steps"])).estimate(state) == 3.0
    assert ModelCritic(FakeLanguageModel(["no idea"])).estimate(state) == heuristic
    down = FakeLanguageModel([GenerationError("server down")])
    assert ModelCritic(down).estimate(state) == heuristic


def test_mps_with_a_model_critic_charges_its_tokens_to_the_budget() -> None:
    lm = FakeLanguageModel(["2"])
    claim, _, ctx = run("mps", FakeLean(table(CONJUNCTION)), critic=ModelCritic(lm))
    assert claim.proof == PROOF
    assert lm.usage.calls >= 3  # one estimate per new state
    assert ctx.budget.spent.tokens_in == lm.usage.tokens_in
    assert ctx.budget.spent.generator_calls == lm.usage.calls + 3  # + one suggest per expansion


def test_a_generator_failure_stops_the_search_with_its_reason() -> None:
    class FailingGenerator(FakeGenerator):
        def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
            if self.usage.calls >= 1:
                raise GenerationError("HTTP 503 from the server")
            return super().suggest(state, premises, n)

    claim, recorder, _ = run("bfs", FakeLean(table(CONJUNCTION)), FailingGenerator(TACTICS))
    assert claim.proof is None
    assert (claim.reason, claim.detail) == ("generator_error", "HTTP 503 from the server")
    assert recorder.events[-1][:2] == ("search_end", claim.reason)
