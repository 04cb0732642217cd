"""The sketch strategy end to end: a scripted OpenAI-compatible server drafts and
sketches, the stand-in REPL elaborates, the soundness gate judges, the SQLite store
keeps the graph."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer
from typer.testing import CliRunner

from prover.budget import Budget, Limits
from prover.cli import app
from prover.generate.registry import make_generator, make_language_model
from prover.graph.export import graph_data
from prover.graph.paths import derivations, proof_path
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.lean_text import theorem_from_text
from prover.protocols import EdgeKind, NodeKind
from prover.strategies.attempt import Outcome, prove
from prover.strategies.base import Claim, ProofContext, Strategy
from prover.strategies.registry import make_strategy
from prover.strategies.sketch.pipeline import SketchStrategy
from prover.strategies.sketch.prompts import DRAFT_SYSTEM, SKETCH_SYSTEM
from prover.types import StopReason, Theorem

DRAFT_RULE = DRAFT_SYSTEM[:40]
SKETCH_RULE = SKETCH_SYSTEM[:40]
STATEMENT = "theorem t (a b : ℕ) (h₀ : a = 2) (h₁ : b = a + 3) : a * b = 10"
ARITH = theorem_from_text(f"{STATEMENT} := by sorry")
DRAFT = "<think>b is 5, surely</think>\n1. b = 2 + 3 = 5.\n2. a * b = 2 * 5 = 10."
# `sq_nonneg` is unknown to the stand-in and `cases … with` is Lean 3: two broken lines.
BROKEN = f"""Here is the sketch.
```lean4
import Mathlib
{STATEMENT} := by
  have h2 : b = 5 := by prove_with [h₀, h₁]
  have h3 : a * b = 10 := by nlinarith [sq_nonneg (a - b)]
  cases h3 with x hx
  rw [h₀, h2]
```"""
UNREPAIRABLE = "```lean4\nby\n  exact foo_bar\n```"
SWAP = theorem_from_text("theorem s (p q r : Prop) (h : p ∨ q) (hr : r) : (q ∨ p) ∧ r := by sorry")
SWAP_SKETCH = "```lean4\nby\n  have h1 : q ∨ p := by sorry\n  exact ⟨h1, hr⟩\n```"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def script(server: FakeOpenAIServer, *sketches: str, draft: str = DRAFT) -> None:
    server.on(DRAFT_RULE, draft)
    server.on(SKETCH_RULE, *sketches)


def attempt(
    lean: LeanServer,
    store: Store,
    theorem: Theorem,
    strategy: SketchStrategy,
    limits: Limits | None = None,
) -> tuple[Outcome, Graph]:
    run_id = store.begin_run("test", {}, kind="test")
    recorder = store.begin_attempt(run_id, theorem, strategy.name)
    ctx = ProofContext(
        lean=lean,
        generator=make_generator("heuristic"),
        recorder=recorder,
        budget=Budget(limits or Limits(wall_s=60, tactic_timeout_s=5)),
    )
    outcome = prove(theorem, strategy, ctx)
    store.finish_attempt(recorder.attempt_id, outcome.verdict, outcome.spent)
    return outcome, load_graph(store, recorder.attempt_id)


def sketcher(server: FakeOpenAIServer, **options: object) -> Strategy:
    return make_strategy("sketch", drafter="openai:drafter", base_url=server.base_url, **options)


def edges(graph: Graph, kind: EdgeKind) -> list:
    return [e for e in graph.edges.values() if e.kind is kind]


def kinds_on_path(graph: Graph) -> list[NodeKind]:
    return [graph.nodes[n].kind for n in proof_path(graph).nodes]


def test_a_sketch_with_broken_lines_is_masked_proved_and_one_graph(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, BROKEN)
    outcome, graph = attempt(lean, store, ARITH, sketcher(server))
    assert outcome.verdict.proved, outcome.verdict
    assert "sorry" not in outcome.claim.proof and "nlinarith" not in outcome.claim.proof
    assert outcome.claim.proof.endswith("rw [h₀, h2]")

    (mask,) = edges(graph, EdgeKind.MASK)
    assert [m["rule"] for m in mask.meta["masks"]] == ["sorry_have_proof", "drop_step"]
    assert "sq_nonneg" in mask.meta["masks"][0]["error"]
    masked = graph.nodes[mask.child]
    assert "have h3 : a * b = 10 := by sorry" in masked.text and "cases" not in masked.text
    assert masked.meta["hints"] == {"have h2 : b = 5 := by sorry": ["h₀", "h₁"]}

    (draft_edge,) = edges(graph, EdgeKind.DRAFT)
    assert draft_edge.model == "openai:drafter" and draft_edge.prompt_hash
    assert graph.nodes[draft_edge.child].text.startswith("1. b = 2 + 3")  # reasoning dropped
    (sketch_edge,) = edges(graph, EdgeKind.SKETCH)
    assert sketch_edge.parents == (draft_edge.child,) and sketch_edge.child == mask.parents[0]

    # One connected graph: every node derives from the statement, and the route to the
    # verified proof passes through the draft, both sketches and every subgoal.
    assert set(derivations(graph).cost) == set(graph.nodes)
    path = kinds_on_path(graph)
    assert path[:4] == [NodeKind.STATEMENT, NodeKind.DRAFT, NodeKind.SKETCH, NodeKind.SKETCH]
    subgoals = [n for n in graph.nodes.values() if n.kind is NodeKind.SUBGOAL]
    assert len(subgoals) == 2 and path.count(NodeKind.SUBGOAL) == 2
    highlighted = set(proof_path(graph).edges)
    for subgoal in subgoals:  # each subgoal's proof hangs under it, on the proof path
        closing = [e for e in edges(graph, EdgeKind.AUTOMATION) if e.parents == (subgoal.id,)]
        assert graph.nodes[closing[-1].child].text == "no goals"
        assert subgoal.status == "solved"
        assert closing[-1].id in highlighted
    (recombine,) = edges(graph, EdgeKind.RECOMBINE)
    assert recombine.parents == (mask.child, *(s.id for s in subgoals))
    assert recombine.child == outcome.claim.node

    # Accounting: two model calls with the server's token counts; every Lean call is the
    # two sketch checks, the closers, the check of the assembled proof and the gate.
    spent = outcome.spent
    assert spent.generator_calls == 2 and len(server.requests) == 2
    assert spent.tokens_in == server.usage_reported["prompt_tokens"]
    assert spent.tokens_out == server.usage_reported["completion_tokens"]
    assert spent.lean_calls == 2 + len(edges(graph, EdgeKind.AUTOMATION)) + 1 + 1


def test_a_subgoal_no_closer_proves_is_searched_under_its_node(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, SWAP_SKETCH)
    outcome, graph = attempt(lean, store, SWAP, sketcher(server, search="mps", width=4))
    assert outcome.verdict.proved, outcome.verdict
    (subgoal,) = [n for n in graph.nodes.values() if n.kind is NodeKind.SUBGOAL]
    (start,) = [e for e in edges(graph, EdgeKind.TACTIC) if e.action == "start"]
    assert start.parents == (subgoal.id,) and start.strategy == "mps"
    assert not edges(graph, EdgeKind.MASK)
    assert set(derivations(graph).cost) == set(graph.nodes)
    assert NodeKind.SUBGOAL in kinds_on_path(graph)


def test_an_unrepairable_sketch_fails_with_the_reason(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, UNREPAIRABLE)
    outcome, graph = attempt(lean, store, ARITH, sketcher(server))
    assert not outcome.verdict.proved
    assert outcome.verdict.reason == "sketch_unrepairable"
    assert outcome.verdict.detail.startswith("masking removed every step")
    assert "foo_bar" in outcome.verdict.detail
    (mask,) = edges(graph, EdgeKind.MASK)
    assert mask.child is None and "unrepairable" in mask.meta
    assert not edges(graph, EdgeKind.VERIFY) and not edges(graph, EdgeKind.SUBGOAL)


def test_a_reply_with_nothing_but_sorry_is_no_sketch(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, "```lean4\nby\n  sorry\n```")
    outcome, graph = attempt(lean, store, ARITH, sketcher(server))
    assert outcome.verdict.reason == "no_sketch"
    assert outcome.verdict.detail == "the sketch has no step besides `sorry`"
    (sketch_edge,) = edges(graph, EdgeKind.SKETCH)
    assert sketch_edge.child is None and outcome.spent.lean_calls == 0


def test_a_later_draft_gets_what_an_earlier_one_left(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, UNREPAIRABLE, BROKEN)
    strategy = make_strategy(
        "sketch",
        drafter="openai:drafter",
        sketcher="openai:sketcher",
        base_url=server.base_url,
        drafts=3,
    )
    outcome, graph = attempt(lean, store, ARITH, strategy)
    assert outcome.verdict.proved, outcome.verdict
    assert len(edges(graph, EdgeKind.DRAFT)) == 2 and len(server.requests) == 4  # third unused
    assert {e.model for e in edges(graph, EdgeKind.SKETCH)} == {"openai:sketcher"}
    ends = [e.message for e in graph.events if e.kind == "sketch_draft_end"]
    assert ends[0].startswith("sketch_unrepairable") and ends[1] == "proved"


def test_an_exhausted_budget_stops_the_drafts(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, BROKEN)
    limits = Limits(wall_s=60, tokens=5, tactic_timeout_s=5)
    outcome, _ = attempt(lean, store, ARITH, sketcher(server, drafts=3), limits)
    assert outcome.verdict.reason == "tokens"
    assert len(server.requests) == 1 and outcome.spent.lean_calls == 0
    # The first of three drafts may spend a third of the 5 tokens: the request is capped.
    assert server.requests[0].body["max_tokens"] == 1


def test_a_failing_model_ends_the_attempt_with_its_error(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    server.fail(503, times=1)
    drafter = make_language_model("openai:drafter", base_url=server.base_url, max_retries=0)
    outcome, _ = attempt(lean, store, ARITH, make_strategy("sketch", drafter=drafter))
    assert outcome.verdict.reason == "generator_error" and "503" in outcome.verdict.detail
    assert outcome.spent.lean_calls == 0


def test_without_a_drafter_nothing_is_spent(lean: LeanServer, store: Store) -> None:
    outcome, _ = attempt(lean, store, ARITH, SketchStrategy())
    assert outcome.verdict.reason == "no_drafter"
    assert outcome.spent.lean_calls == 0 and outcome.spent.generator_calls == 0


def test_a_statement_that_does_not_elaborate_is_named(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, "```lean4\nby\n  have h : x = 4 := by sorry\n  exact h\n```")
    bad = theorem_from_text("theorem bad (x : ℝ) (h : Real.sqrt x = 2) : x = 4 := by sorry")
    outcome, _ = attempt(lean, store, bad, sketcher(server))
    assert "Real.sqrt" in outcome.verdict.detail


def test_holes_lost_to_a_restart_are_elaborated_again_and_retried(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, "```lean4\nby\n  have h2 : b = 5 := by sorry\n  subst h₀\n  omega\n```")
    limits = Limits(wall_s=60, tactic_timeout_s=0.5)
    strategy = sketcher(server, closers=("standin_hang", "omega"))
    outcome, graph = attempt(lean, store, ARITH, strategy, limits)
    assert outcome.verdict.proved, outcome.verdict
    tries = [(e.action, e.lean_status) for e in edges(graph, EdgeKind.AUTOMATION)]
    assert tries == [("standin_hang", "timeout"), ("omega", "completed")]
    assert len(edges(graph, EdgeKind.SUBGOAL)) == 2  # the hole, found again after the restart


def test_prove_cli_proves_a_broken_sketch_and_exports_its_graph(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    script(server, BROKEN)
    result = CliRunner().invoke(
        app,
        [
            *("prove", "--json", f"{STATEMENT} := by sorry", "--strategy", "sketch"),
            *("--drafter", "openai:drafter", "--sketcher", "openai:sketcher"),
            *("--base-url", server.base_url, "--drafts", "2", "--prover-generator", "heuristic"),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["verdict"] == "proved" and summary["spent"]["generator_calls"] == 2
    with Store(standin_env) as store:
        graph = load_graph(store, summary["attempt_id"])
        assert graph.run.config["drafter"] == "openai:drafter"
    data = graph_data(graph)
    kind_of = {node["id"]: node for node in data["nodes"]}
    assert data["path"]["nodes"] and data["edges"]
    on_path = {graph.nodes[n].kind for n in data["path"]["nodes"]}
    assert {NodeKind.DRAFT, NodeKind.SKETCH, NodeKind.SUBGOAL} <= on_path
    assert kind_of.keys() == graph.nodes.keys()
    exported = {EdgeKind(e.kind) for e in graph.edges.values()}
    assert {EdgeKind.DRAFT, EdgeKind.SKETCH, EdgeKind.MASK, EdgeKind.SUBGOAL} <= exported
    assert {EdgeKind.AUTOMATION, EdgeKind.RECOMBINE, EdgeKind.VERIFY} <= exported


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--strategy", "sketch"), "it needs a drafter: --drafter openai:<model>"),
        (("--strategy", "bfs", "--drafts", "2"), "--drafts applies to --strategy sketch or auto"),
    ],
)
def test_prove_cli_refuses_sketch_options_that_do_not_fit(
    standin_env: Path, args: tuple[str, ...], message: str
) -> None:
    result = CliRunner().invoke(app, ["prove", f"{STATEMENT} := by sorry", *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split())


FALSE_HOLE = "```lean4\nby\n  have h2 : b = 6 := by sorry\n  rw [h₀, h2]\n```"


def test_a_near_miss_is_handed_to_repair_with_the_sketcher(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    handed: list[tuple[str, object]] = []

    def fake_repair(theorem: Theorem, proof: str, ctx: object, **kwargs: object) -> Claim:
        handed.append((proof, kwargs["model"]))
        node = kwargs["node"]
        assert isinstance(node, int)
        return Claim("by\n  rw [h₁, h₀]", StopReason.REPAIRED, node)

    script(server, FALSE_HOLE)
    strategy = sketcher(server)
    assert isinstance(strategy, SketchStrategy) and strategy.repairer is not None
    strategy.repairer = fake_repair
    outcome, _ = attempt(lean, store, ARITH, strategy, Limits(wall_s=20, tactic_timeout_s=5))
    ((near_miss, model),) = handed
    assert "have h2 : b = 6 := by sorry" in near_miss and model is strategy.sketcher
    assert outcome.verdict.proved and outcome.verdict.proof == "by\n  rw [h₁, h₀]"


def test_without_repair_rounds_the_near_miss_is_the_failure(
    lean: LeanServer, store: Store, server: FakeOpenAIServer
) -> None:
    script(server, FALSE_HOLE)
    outcome, _ = attempt(
        lean, store, ARITH, sketcher(server, repair_rounds=0), Limits(wall_s=20, tactic_timeout_s=5)
    )
    assert outcome.verdict.reason == "subgoals_unproved"
    assert "have h2 : b = 6" in (outcome.claim.near_miss or "")
