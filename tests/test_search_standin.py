"""bfs and mps end to end: the stand-in REPL through the real pool, the heuristic
generator, the soundness gate and the SQLite graph store."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from prover.budget import Budget, Limits
from prover.generate.registry import make_generator
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.lean_text import theorem_from_text
from prover.protocols import EdgeKind, Generator
from prover.strategies.attempt import Outcome, prove
from prover.strategies.base import ProofContext
from prover.strategies.registry import make_strategy
from prover.types import Candidate, Premise, Provenance, Theorem, Usage

STRATEGIES = ["bfs", "mps"]
# Three steps with the heuristic generator on the stand-in: no single automation call closes it.
SWAP = theorem_from_text("theorem swap (p q : Prop) (h : p ∨ q) : q ∨ p := by sorry")
DONE = theorem_from_text(
    "theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q := by sorry"
)


def attempt(
    lean: LeanServer,
    store: Store,
    theorem: Theorem,
    strategy: str,
    generator: Generator | None = None,
    limits: Limits | None = None,
) -> tuple[Outcome, Graph]:
    run_id = store.begin_run("test", {}, kind="test")
    recorder = store.begin_attempt(run_id, theorem, strategy)
    ctx = ProofContext(
        lean=lean,
        generator=generator or make_generator("heuristic"),
        recorder=recorder,
        budget=Budget(limits or Limits(wall_s=60, expansions=40, tactic_timeout_s=5)),
    )
    outcome = prove(theorem, make_strategy(strategy), ctx)
    store.finish_attempt(recorder.attempt_id, outcome.verdict, outcome.spent)
    return outcome, load_graph(store, recorder.attempt_id)


def tactic_edges(graph: Graph) -> list:
    return [e for e in graph.edges.values() if e.kind is EdgeKind.TACTIC and e.action != "start"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_multi_step_theorem_is_proved_verified_and_recorded(
    lean: LeanServer, store: Store, strategy: str
) -> None:
    outcome, graph = attempt(lean, store, SWAP, strategy)
    assert outcome.verdict.proved, outcome.verdict
    proof, claim_node = outcome.claim.proof, outcome.claim.node
    assert proof is not None and claim_node is not None
    steps = [line.strip() for line in proof.strip().splitlines()[1:]]
    assert len(steps) >= 2
    # Every Lean call of the search is an edge: opening + tactics + the gate's check.
    assert len(tactic_edges(graph)) == outcome.spent.lean_calls - 2
    assert len({e.parents[0] for e in tactic_edges(graph)}) == outcome.spent.expansions
    verify = [e for e in graph.edges.values() if e.kind is EdgeKind.VERIFY]
    assert len(verify) == 1 and verify[0].parents == (claim_node,)
    assert graph.nodes[claim_node].text == "no goals"
    # The claimed steps are a path of SOLVED nodes from the first state to `no goals`.
    node = next(e.child for e in graph.edges.values() if e.action == "start")
    for step in steps:
        assert node is not None and graph.nodes[node].status == "solved"
        node = next(
            e.child for e in tactic_edges(graph) if (e.parents[0], e.action) == (node, step)
        )
    assert node == claim_node


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_done_theorem_is_proved(lean: LeanServer, store: Store, strategy: str) -> None:
    outcome, _ = attempt(lean, store, DONE, strategy)
    assert outcome.verdict.proved


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_false_statement_fails_within_budget(
    lean: LeanServer, store: Store, strategy: str
) -> None:
    false = theorem_from_text("theorem f (x : ℕ) (h : x = 3) : x + 2 = 6 ∧ x = 3 := by sorry")
    limits = Limits(wall_s=30, expansions=15, tactic_timeout_s=5)
    outcome, graph = attempt(lean, store, false, strategy, limits=limits)
    assert not outcome.verdict.proved
    assert outcome.verdict.reason in ("search_exhausted", "expansions")
    assert outcome.spent.expansions <= 15
    assert not [e for e in graph.edges.values() if e.kind is EdgeKind.VERIFY]
    assert tactic_edges(graph)


class InjectingGenerator:
    """Puts a failure-injection tactic first at the chosen expansions, then the real candidates."""

    def __init__(self, inner: Generator, faults: dict[int, str]) -> None:
        self.inner = inner
        self.faults = faults
        self.name = inner.name
        self.usage: Usage = inner.usage
        self.calls = 0

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        candidates = self.inner.suggest(state, premises, n)
        fault = self.faults.get(self.calls)
        self.calls += 1
        if fault is None:
            return candidates
        return [Candidate(fault, 0.0, Provenance("fault")), *candidates[: n - 1]]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_timeout_and_a_crash_mid_search_are_survived(
    lean: LeanServer, store: Store, strategy: str
) -> None:
    generator = InjectingGenerator(
        make_generator("heuristic"), {0: "standin_hang", 1: "standin_crash"}
    )
    limits = Limits(wall_s=60, expansions=40, tactic_timeout_s=1.0)
    outcome, graph = attempt(lean, store, SWAP, strategy, generator, limits)
    assert outcome.verdict.proved, outcome.verdict
    faults = {e.action: e.lean_status for e in tactic_edges(graph) if e.generator == "fault"}
    assert faults == {"standin_hang": "timeout", "standin_crash": "crash"}
    assert any(event.kind == "replay" for event in graph.events)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_states_reached_twice_are_one_node_expanded_once(
    lean: LeanServer, store: Store, strategy: str
) -> None:
    _, graph = attempt(lean, store, DONE, strategy, limits=Limits(expansions=6))
    keys = [n.key for n in graph.nodes.values() if n.key]
    assert len(keys) == len(set(keys))
    merged = [e for e in tactic_edges(graph) if e.meta["merged"]]
    assert merged
    for edge in merged:
        into = [e for e in tactic_edges(graph) if e.child == edge.child]
        assert len(into) >= 2
    for node_id in graph.nodes:
        ranks = [e.meta["rank"] for e in tactic_edges(graph) if e.parents[0] == node_id]
        assert sorted(ranks) == list(range(len(ranks)))  # one expansion per state


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_same_search_twice_is_the_same_graph(
    lean: LeanServer, store: Store, strategy: str
) -> None:
    def trace() -> list[tuple[str | None, str, str | None, str | None]]:
        _, graph = attempt(lean, store, SWAP, strategy)
        key = {n.id: n.key for n in graph.nodes.values()}
        return [
            (key[e.parents[0]], e.action, key.get(e.child) if e.child else None, e.lean_status)
            for e in graph.edges.values()
        ]

    assert trace() == trace()
