"""The repair loop end to end on the stand-in REPL: each error class repaired, the
irreparable left with its holes listed, the statement never touched, every step in
the graph, and conjecture correction against a scripted model server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, Reply

from prover.budget import Budget, Limits
from prover.generate.openai_api import OpenAIModel
from prover.generate.registry import make_generator
from prover.graph.paths import proof_path
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.protocols import EdgeKind, NodeKind
from prover.strategies.attempt import Outcome, prove
from prover.strategies.base import ProofContext, Strategy
from prover.strategies.registry import make_strategy
from prover.types import Theorem
from repair.pipeline import RepairResult
from repair.source import read_source

HEADER = "import Mathlib"
BINDERS = "(x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) (h₀ : x % 2 = 1) (h : p ∨ q)"
THEOREM = Theorem("t", HEADER, f"theorem t {BINDERS} : x ≠ 4 ∧ q")
SWAP = Theorem("swap", HEADER, f"theorem swap {BINDERS} : q ∨ p")
FALSE = Theorem("f", HEADER, f"theorem f {BINDERS} : x = 4 ∧ q")


def repair(
    lean: LeanServer,
    store: Store,
    theorem: Theorem,
    strategy: Strategy,
    limits: Limits | None = None,
) -> tuple[Outcome, RepairResult | None, Graph]:
    run_id = store.begin_run("test", {}, kind="test")
    recorder = store.begin_attempt(run_id, theorem, strategy.name)
    ctx = ProofContext(
        lean=lean,
        generator=make_generator("heuristic"),
        recorder=recorder,
        budget=Budget(limits or Limits(wall_s=60, expansions=20, tactic_timeout_s=5)),
    )
    outcome = prove(theorem, strategy, ctx)
    store.finish_attempt(recorder.attempt_id, outcome.verdict, outcome.spent)
    report = outcome.claim.report
    assert report is None or isinstance(report, RepairResult)
    return outcome, report, load_graph(store, recorder.attempt_id)


def path_kinds(graph: Graph) -> list[EdgeKind]:
    return [graph.edges[e].kind for e in proof_path(graph).edges]


def assert_statement_untouched(theorem: Theorem, graph: Graph, outcome: Outcome) -> None:
    """Every proof text in the graph is the statement plus a proof; the verified one
    reads back with exactly the input's statement."""
    texts = [n.text for n in graph.nodes.values() if n.kind is NodeKind.PROOF_TEXT]
    assert texts and all(t.startswith(f"{theorem.statement} := ") for t in texts)
    if outcome.verdict.proved:
        assert outcome.verdict.proof is not None
        read = read_source(f"{theorem.header}\n\n{theorem.with_proof(outcome.verdict.proof)}")
        assert read.theorem.statement == theorem.statement


# Each case: a proof broken in one error class, the fix kind that repairs it, its error class.
CASES = [
    (
        "lean3_syntax",
        "by\n  constructor,\n  { omega },\n  exact hpq hp,",
        "lean3_trailing_commas",
        "syntax_error",
    ),
    (
        "lean3_assume",
        "by\n  refine ⟨_, hpq hp⟩\n  assume h4,\n  omega",
        "lean3_assume",
        "syntax_error",
    ),
    (
        "lean3_cases",
        "by\n  refine ⟨by omega, _⟩\n  cases h with a b\n  exact hpq hp",
        "lean3_cases_with",
        "syntax_error",
    ),
    (
        "unknown_identifier",
        "by\n  constructor\n  · omega\n  · exact hpq hq",
        "rename_hypothesis",
        "unknown_identifier",
    ),
    (
        "unknown_hint",
        "by\n  constructor\n  · omega\n  · simp [hpq hp, foo]",
        "drop_unknown_hint",
        "unknown_identifier",
    ),
    (
        "tactic_failed",
        "by\n  constructor\n  · linarith\n  · exact hpq hp",
        "tool_correction",
        "tactic_failed",
    ),
    (
        "no_goals",
        "by\n  constructor\n  · omega\n    simp\n  · exact hpq hp",
        "drop_closed_step",
        "no_goals",
    ),
    ("lean3_split", "by\n  split\n  · omega\n  · exact hpq hp", "split_to_constructor", "other"),
]


@pytest.mark.parametrize(
    ("label", "proof", "rule", "error_class"), CASES, ids=[c[0] for c in CASES]
)
def test_a_proof_broken_in_one_class_is_repaired_by_the_matching_fix(
    lean: LeanServer, store: Store, label: str, proof: str, rule: str, error_class: str
) -> None:
    del label
    outcome, result, graph = repair(
        lean, store, THEOREM, make_strategy("repair", proof=proof, search=None)
    )
    assert outcome.verdict.proved, (result, outcome.verdict)
    assert result is not None and result.repaired
    fixes = [
        graph.edges[e]
        for e in proof_path(graph).edges
        if graph.edges[e].kind is EdgeKind.REPAIR_FIX
    ]
    assert rule in [e.meta["rule"] for e in fixes]
    assert any(e.meta["rule"] == rule and e.meta["error_class"] == error_class for e in fixes)
    assert_statement_untouched(THEOREM, graph, outcome)


@pytest.mark.parametrize(
    ("label", "proof", "error_class"),
    [
        ("type_mismatch", "by\n  constructor\n  · omega\n  · exact hp", "type_mismatch"),
        ("unsolved_goals", "by\n  constructor\n  · omega", "unsolved_goals"),
        (
            "unsolved_have",
            "by\n  have h4 : q := by\n    skip\n  exact ⟨by omega, h4⟩",
            "unsolved_goals",
        ),
    ],
)
def test_what_no_fix_answers_is_sorried_and_reproved(
    lean: LeanServer, store: Store, label: str, proof: str, error_class: str
) -> None:
    del label
    outcome, result, graph = repair(lean, store, THEOREM, make_strategy("repair", proof=proof))
    assert outcome.verdict.proved, (result, outcome.verdict)
    kinds = path_kinds(graph)
    assert kinds[0] is EdgeKind.DRAFT and kinds[-1] is EdgeKind.VERIFY
    assert {EdgeKind.SORRIFY, EdgeKind.SUBGOAL, EdgeKind.RECOMBINE} <= set(kinds)
    sorrify = [
        graph.edges[e] for e in proof_path(graph).edges if graph.edges[e].kind is EdgeKind.SORRIFY
    ]
    assert sorrify[0].meta["error_class"] == error_class
    assert_statement_untouched(THEOREM, graph, outcome)


def test_the_done_criterion_three_faults_become_a_verified_proof_with_each_step_on_the_path(
    lean: LeanServer, store: Store
) -> None:
    proof = "by\n  have hq : q := hpq hp,\n  constructor\n  · linarith\n  · exact hpq hp2"
    outcome, result, graph = repair(lean, store, THEOREM, make_strategy("repair", proof=proof))
    assert outcome.verdict.proved
    assert (
        outcome.verdict.proof
        == "by\n  have hq : q := hpq hp\n  constructor\n  · omega\n  · exact hpq hp"
    )
    route = proof_path(graph)
    steps = [(graph.edges[e].kind, graph.edges[e].meta.get("rule")) for e in route.edges]
    assert steps == [
        (EdgeKind.DRAFT, None),
        (EdgeKind.REPAIR_FIX, "lean3_trailing_commas"),
        (EdgeKind.REPAIR_FIX, "tool_correction"),
        (EdgeKind.REPAIR_FIX, "rename_hypothesis"),
        (EdgeKind.VERIFY, None),
    ]
    assert result is not None and [c.name for c in result.changes] == [
        "lean3_trailing_commas",
        "tool_correction",
        "rename_hypothesis",
    ]
    # Tool correction tried the table in order before `omega` helped.
    tries = [e for e in graph.edges.values() if e.meta.get("rule") == "tool_correction"]
    assert [e.child is not None for e in tries] == [False, False, False, True]
    assert_statement_untouched(THEOREM, graph, outcome)


def test_an_irreparable_proof_ends_with_its_holes_listed(lean: LeanServer, store: Store) -> None:
    proof = "by\n  constructor\n  · linarith\n  · exact hpq hp"
    outcome, result, graph = repair(lean, store, FALSE, make_strategy("repair", proof=proof))
    assert not outcome.verdict.proved and outcome.verdict.reason == "holes_remain"
    assert result is not None and not result.repaired
    assert result.proof == "by\n  constructor\n  · sorry\n  · exact hpq hp"
    assert [(h.line, h.column) for h in result.holes] == [(3, 4)]
    assert result.holes[0].goal.endswith("⊢ x = 4")
    assert result.detail == "1 hole(s) remain"
    assert outcome.claim.proof is None
    assert_statement_untouched(FALSE, graph, outcome)


def test_a_statement_lean_rejects_is_not_repaired(lean: LeanServer, store: Store) -> None:
    broken = Theorem("b", HEADER, "theorem b (x : ℕ) : x = undefined_thing")
    outcome, result, _ = repair(lean, store, broken, make_strategy("repair", proof="by\n  simp"))
    assert outcome.verdict.reason == "statement_error"
    assert result is not None and "statement does not elaborate" in result.detail


def test_a_timeout_replaces_the_whole_proof_and_reproves_it(lean: LeanServer, store: Store) -> None:
    proof = "by\n  constructor\n  · standin_slow 5\n    omega\n  · exact hpq hp"
    limits = Limits(wall_s=60, expansions=20, tactic_timeout_s=1)
    outcome, _, graph = repair(lean, store, THEOREM, make_strategy("repair", proof=proof), limits)
    sorrify = [e for e in graph.edges.values() if e.kind is EdgeKind.SORRIFY]
    assert sorrify[0].meta["error_class"] == "timeout" and sorrify[0].meta["action"] == "whole"
    assert outcome.verdict.proved


def test_without_a_proof_or_a_model_there_is_nothing_to_repair(
    lean: LeanServer, store: Store
) -> None:
    outcome, result, _ = repair(lean, store, THEOREM, make_strategy("repair"))
    assert outcome.verdict.reason is not None
    assert outcome.verdict.reason.startswith("nothing_to_repair")
    assert result is None


# --- conjecture correction with a scripted model --------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def chat(request: Any) -> list[dict[str, str]]:
    return request.body["messages"]


def test_conjecture_correction_recurses_on_the_error_until_the_hole_is_closed(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    # Automation cannot swap a disjunction on the stand-in; search is off.
    server.enqueue(
        Reply(texts=("Try this:\n```lean4\nrcases h with hp' | hq'\n· right\n  exact hq'\n```",)),
        Reply(texts=("```lean4\n· right; exact hp'\n· left; exact hq',\n```",)),
    )
    model = OpenAIModel("fake", server.base_url, logprobs=False)
    strategy = make_strategy(
        "repair", proof="by\n  exact h", model=model, search=None, closers=("omega",)
    )
    outcome, result, graph = repair(lean, store, SWAP, strategy)
    assert outcome.verdict.proved, result
    assert (
        outcome.verdict.proof
        == "by\n  rcases h with hp' | hq'\n  · right; exact hp'\n  · left; exact hq'"
    )
    first, second = (chat(r) for r in server.requests)
    assert [m["role"] for m in first] == ["system", "user", "assistant", "user"]
    assert "exact h" in first[2]["content"]  # the previous proof, as the model's answer
    assert (
        "The step\n```lean4\nexact h\n```\nfailed with type_mismatch: type mismatch h has type"
        in first[3]["content"]
    )
    assert "⊢ q ∨ p" in first[3]["content"]
    # Level 2: the error of level 1's failing step, from the state its prefix reached.
    assert (
        "failed with type_mismatch" in second[3]["content"] or "failed with" in second[3]["content"]
    )
    assert "· right\n  exact hq'" in second[3]["content"]
    assert "case inl" in second[3]["content"] and "hp' : p" in second[3]["content"]
    model_edges = [
        e for e in graph.edges.values() if e.kind is EdgeKind.TACTIC and e.model == "openai:fake"
    ]
    assert [e.meta["conjecture_correction_level"] for e in model_edges] == [1, 1, 2, 2]
    assert [e.child is not None for e in model_edges] == [True, False, True, True]
    assert outcome.spent.generator_calls == 2 and outcome.spent.tokens_out > 0
    kinds = path_kinds(graph)
    assert {EdgeKind.SORRIFY, EdgeKind.SUBGOAL, EdgeKind.RECOMBINE, EdgeKind.VERIFY} <= set(kinds)


def test_a_model_writes_the_proof_when_none_is_given(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    server.on(
        "Prove this theorem",
        f"```lean4\n{THEOREM.statement} := by\n  constructor,\n  · omega\n  · exact hpq hq\n```",
    )
    strategy = make_strategy(
        "repair", model=OpenAIModel("fake", server.base_url, logprobs=False), search=None
    )
    outcome, result, graph = repair(lean, store, THEOREM, strategy)
    assert outcome.verdict.proved, result
    draft = next(e for e in graph.edges.values() if e.kind is EdgeKind.DRAFT)
    assert draft.generator == "prover" and draft.model == "openai:fake"
    assert json.dumps(result.changes[0].as_dict())  # the report serialises
