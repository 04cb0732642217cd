"""Best-first and multi-perspective search against the shared fakes (`tests/fakes.py`).

Lean is a `FakeLean` over a `GoalTable`: a rule table from (goals, tactic) to the goals
after; it can time out or crash on chosen steps, which restarts its "process" and
makes every older state stale, like the real pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from fakes import (
    FakeGenerator,
    FakeLean,
    FakeModel,
    Goals,
    GoalTable,
    MemoryRecorder,
    Rule,
    fixed,
    replies,
    table,
)

from prover.budget import Budget, Limits
from prover.errors import GenerationError
from prover.protocols import EdgeKind, NodeStatus
from prover.strategies.attempt import statement_node
from prover.strategies.base import Claim, ProofContext
from prover.strategies.registry import make_strategy
from prover.strategies.search.critic import HeuristicCritic, ModelCritic
from prover.types import (
    Candidate,
    Premise,
    ProofState,
    Theorem,
)

CTX = "p q : Prop\nhp : p\nhq : q\n"
ROOT: Goals = (CTX + "⊢ p ∧ q",)
SPLIT: Goals = (CTX + "⊢ p", CTX + "⊢ q")
LAST: Goals = (CTX + "⊢ q",)
THEOREM = Theorem("t", "import Mathlib", "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q")
PROOF = "by\n  constructor\n  exact hp\n  exact hq"


CONJUNCTION = {
    (ROOT, "constructor"): SPLIT,
    (SPLIT, "exact hp"): LAST,
    (LAST, "exact hq"): (),
}


def goal_lean(rule: Rule, start_error: str | None = None) -> FakeLean:
    return FakeLean(GoalTable(rule, ROOT, start_error))


def goal_calls(lean: FakeLean) -> list[tuple[Goals, str]]:
    assert isinstance(lean.handler, GoalTable)
    return lean.handler.calls


TACTICS = [("exact hq", -0.5), ("exact hp", -0.6), ("constructor", -1.0), ("simp", -2.0)]


def run(
    strategy: str,
    lean: FakeLean,
    generator: FakeGenerator | None = None,
    limits: Limits | None = None,
    **options: Any,
) -> tuple[Claim, MemoryRecorder, ProofContext]:
    recorder = MemoryRecorder()
    ctx = ProofContext(
        lean=lean,
        generator=generator or FakeGenerator(fixed(TACTICS)),
        recorder=recorder,
        budget=Budget(limits or Limits(wall_s=30)),
    )
    root = statement_node(THEOREM, recorder)
    claim = make_strategy(strategy, **options).attempt(THEOREM, ctx, root)
    return claim, recorder, ctx


STRATEGIES = ["bfs", "mps"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_finds_a_multi_step_proof_and_records_every_tactic(strategy: str) -> None:
    lean = goal_lean(table(CONJUNCTION))
    claim, recorder, ctx = run(strategy, lean)
    assert claim.proof == PROOF and claim.reason == "proved"
    assert claim.node == recorder.state_id(())
    for goals in (ROOT, SPLIT, LAST, ()):
        assert recorder.nodes[recorder.state_id(goals)]["status"] is NodeStatus.SOLVED
    tactic_edges = recorder.tactic_edges()
    assert [(e["action"]) for e in tactic_edges] == [tactic for _, tactic in goal_calls(lean)]
    assert all(e["kind"] is EdgeKind.TACTIC and e["strategy"] == strategy for e in tactic_edges)
    failed = [e for e in tactic_edges if e["child"] is None]
    assert failed and all(e["lean"].status == "lean_error" for e in failed)
    assert ctx.budget.spent.lean_calls == len(goal_calls(lean)) + 1  # + opening the theorem
    assert ctx.budget.spent.expansions == 3
    start = recorder.edges[0]
    assert start["action"] == "start" and start["parents"] == [recorder.keys["statement"]]
    assert recorder.events[-1][:2] == ("search_end", "proved")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_equal_states_are_merged_and_expanded_once(strategy: str) -> None:
    steps = {**CONJUNCTION, (ROOT, "refine ⟨?_, ?_⟩"): SPLIT}
    lean = goal_lean(table(steps))
    tactics = [*TACTICS, ("refine ⟨?_, ?_⟩", -3.0)]
    generator = FakeGenerator(fixed(tactics))
    claim, recorder, _ = run(strategy, lean, generator, width=5)
    assert claim.proof == PROOF
    split_id = recorder.state_id(SPLIT)
    into_split = [e for e in recorder.edges if e["child"] == split_id]
    assert [e["meta"]["merged"] for e in into_split] == [False, True]
    assert sum(1 for goals, _ in goal_calls(lean) if goals == SPLIT) <= len(tactics)
    assert generator.prompts.count("\n\n".join(SPLIT)) == 1


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_unprovable_statement_fails_once_every_branch_is_dead(strategy: str) -> None:
    steps = {(ROOT, "constructor"): SPLIT, (SPLIT, "exact hp"): LAST}
    claim, recorder, _ = run(strategy, goal_lean(table(steps)))
    assert claim.proof is None and claim.reason == "search_exhausted"
    for goals in (ROOT, SPLIT, LAST):
        assert recorder.nodes[recorder.state_id(goals)]["status"] is NodeStatus.FAILED


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_endless_search_stops_at_the_expansion_budget(strategy: str) -> None:
    def grows_forever(goals: Goals, tactic: str) -> Goals | None:
        return (goals[0] + " ∧ p",) if tactic == "rw [and_self]" else None

    generator = FakeGenerator(fixed([("rw [and_self]", -0.1), ("simp", -0.2)]))
    claim, _, ctx = run(strategy, goal_lean(grows_forever), generator, Limits(expansions=5))
    assert claim.proof is None and claim.reason == "expansions"
    assert ctx.budget.spent.expansions == 5


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_budget_running_out_mid_expansion_never_marks_the_node_failed(strategy: str) -> None:
    claim, recorder, _ = run(strategy, goal_lean(table({})), limits=Limits(lean_calls=3))
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
    lean = goal_lean(table(steps))
    generator = FakeGenerator(fixed([("slow", 0.0), ("boom", -0.1), *TACTICS]))
    claim, recorder, _ = run(strategy, lean, generator, width=6)
    assert claim.proof == PROOF
    assert lean.handler.restarts == 2
    outcomes = {
        (e["parents"][0], e["action"]): (e["lean"].status, e["child"])
        for e in recorder.tactic_edges()
    }
    assert outcomes[recorder.state_id(ROOT), "slow"] == ("timeout", None)
    assert outcomes[recorder.state_id(SPLIT), "boom"] == ("crash", None)
    replays = [data for kind, _, data in recorder.events if kind == "replay"]
    assert {r["steps"] for r in replays} == {0, 1}  # the root reopened; the split state rebuilt


def test_a_statement_that_does_not_open_is_reported_with_lean_s_message() -> None:
    lean = goal_lean(table({}), start_error="unknown identifier 'foo'\nmore detail")
    claim, recorder, _ = run("bfs", lean)
    assert claim.proof is None
    assert (claim.reason, claim.detail) == ("start_failed", "unknown identifier 'foo'")
    assert recorder.edges[0]["action"] == "start" and recorder.edges[0]["child"] is None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_same_search_and_the_seed_reaches_the_order(strategy: str) -> None:
    def trace(seed: int) -> list[tuple[Any, ...]]:
        lean = goal_lean(table(CONJUNCTION))
        _, recorder, _ = run(strategy, lean, FakeGenerator(fixed(TACTICS, seed=seed)), width=4)
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
        lean = goal_lean(table(CONJUNCTION))
        run(strategy, lean, FakeGenerator(fixed(generator_tactics)), Limits(expansions=1), width=2)
        return {tactic for goals, tactic in goal_calls(lean) if goals == ROOT}

    assert tried_on_root("bfs") == {"nlinarith [a]", "nlinarith [b]"}
    assert tried_on_root("mps") == {"nlinarith [a]", "constructor"}


def test_mps_records_which_perspective_chose_each_expansion() -> None:
    def branches(goals: Goals, tactic: str) -> Goals | None:
        depth = goals[0].count("'")
        return (goals[0] + "'" * int(tactic[-1]),) if depth < 6 else None

    generator = FakeGenerator(fixed([(f"step{k}", -0.1 * k) for k in range(1, 4)]))
    _, recorder, _ = run("mps", goal_lean(branches), generator, Limits(expansions=10), width=3)
    chosen = [e["meta"]["selected_by"] for e in recorder.tactic_edges() if e["meta"]["rank"] == 0]
    assert set(chosen) == {"critic", "policy", "fewest_splits", "shortest_state"}
    assert chosen.count("critic") >= 3


def test_premises_shown_to_the_generator_reach_the_edges() -> None:
    class OneRetriever:
        def search(self, query: str, k: int, accessible_from: str | None = None) -> list[Premise]:
            return [Premise("and_comm", "a ∧ b ↔ b ∧ a", "Mathlib.Logic", 0.9)]

    recorder = MemoryRecorder()
    ctx = ProofContext(
        lean=goal_lean(table(CONJUNCTION)),
        generator=FakeGenerator(fixed(TACTICS)),
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


def test_model_critic_reads_a_number_and_falls_back_to_the_heuristic() -> None:
    state = ProofState(SPLIT, id=0, session="s")
    heuristic = HeuristicCritic().estimate(state)
    assert ModelCritic(FakeModel(replies(" 3 steps"))).estimate(state) == 3.0
    assert ModelCritic(FakeModel(replies("no idea"))).estimate(state) == heuristic
    down = FakeModel(replies(GenerationError("server down")))
    assert ModelCritic(down).estimate(state) == heuristic


def test_mps_with_a_model_critic_charges_its_tokens_to_the_budget() -> None:
    lm = FakeModel(replies("2"))
    claim, _, ctx = run("mps", goal_lean(table(CONJUNCTION)), critic=ModelCritic(lm))
    assert claim.proof == PROOF
    assert lm.usage.calls >= 3  # one estimate per new state
    assert ctx.budget.spent.tokens_in == lm.usage.tokens_in
    assert ctx.budget.spent.generator_calls == lm.usage.calls + 3  # + one suggest per expansion


def test_a_generator_failure_stops_the_search_with_its_reason() -> None:
    propose = fixed(TACTICS)

    def once_then_down(state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        if generator.usage.calls > 1:
            raise GenerationError("HTTP 503 from the server")
        return list(propose(state, premises, n))

    generator = FakeGenerator(once_then_down)
    claim, recorder, _ = run("bfs", goal_lean(table(CONJUNCTION)), generator)
    assert claim.proof is None
    assert (claim.reason, claim.detail) == ("generator_error", "HTTP 503 from the server")
    assert recorder.events[-1][:2] == ("search_end", claim.reason)
