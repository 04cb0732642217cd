"""The `auto` portfolio on the stand-in REPL: stages in order, budget shares honoured."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.budget import Budget, Limits
from prover.config import load_settings
from prover.errors import StrategyError
from prover.graph.models import Edge
from prover.graph.store import Store
from prover.session import SessionOptions, open_session
from prover.strategies.attempt import prove
from prover.strategies.base import Claim
from prover.strategies.portfolio import Portfolio, Stage
from prover.strategies.registry import make_strategy
from prover.strategies.repair import RepairStrategy
from prover.strategies.search.bfs import BestFirstSearch
from prover.types import StopReason, Theorem

EASY = Theorem("easy", "", "theorem easy (x : ℕ) (h : x = 3) : x + 2 = 5")
FALSE = Theorem("false", "", "theorem false (x : ℕ) : x + 1 = x")


def edges_of(store: Store, attempt_id: int) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            Edge.__table__.select().where(Edge.attempt_id == attempt_id).order_by(Edge.id)
        ).all()
    return [(row.kind, row.action) for row in rows]


def run(theorem: Theorem, portfolio: object, limits: Limits, db: Path):
    settings = load_settings()
    with (
        open_session(settings, SessionOptions(limits=limits)) as session,
        Store(db) as store,
    ):
        run_id = store.begin_run("test", {}, kind="eval")
        recorder = store.begin_attempt(run_id, theorem, portfolio.name)
        outcome = prove(theorem, portfolio, session.context(recorder))
        store.finish_attempt(recorder.attempt_id, outcome.verdict, outcome.spent)
        return outcome, edges_of(store, recorder.attempt_id)


def test_cheap_automation_closes_an_easy_goal_first(standin_env: Path) -> None:
    outcome, edges = run(EASY, make_strategy("auto"), Limits(wall_s=10), standin_env)
    assert outcome.verdict.proved
    automation = [action for kind, action in edges if kind == "automation"]
    assert automation[-1] == outcome.claim.proof  # the first closer Lean accepted
    assert not any(kind == "tactic" for kind, _ in edges)  # search never started


def test_stage_shares_bound_each_stage(standin_env: Path) -> None:
    # 20 Lean calls: automation may use 10% (2 calls) before search gets the rest.
    outcome, edges = run(
        FALSE, make_strategy("auto"), Limits(wall_s=20, lean_calls=20), standin_env
    )
    assert not outcome.verdict.proved
    assert [kind for kind, _ in edges].count("automation") == 2
    assert any(kind == "tactic" for kind, _ in edges)  # bfs ran after automation
    assert outcome.spent.lean_calls <= 20


def test_remaining_budget() -> None:
    budget = Budget(limits=Limits(wall_s=None, lean_calls=100, expansions=40))
    budget.spent.lean_calls = 30
    budget.spent.expansions = 10
    left = budget.remaining()
    assert (left.lean_calls, left.expansions, left.tokens, left.wall_s) == (70, 30, None, None)


def test_plan_passes_missing_stages_shares_forward() -> None:
    plan = Portfolio(
        [
            (Stage("automation", 0.1), None),
            (Stage("bfs", 0.5), BestFirstSearch()),
            (Stage("sketch", 0.4), None),  # no drafter: it cannot run
        ]
    ).plan()
    assert [(stage.name, fraction) for stage, _, fraction in plan] == [
        ("automation", pytest.approx(0.10)),
        ("bfs", 1.0),
    ]
    three = Portfolio(
        [
            (Stage("automation", 0.2), None),
            (Stage("bfs", 0.4), BestFirstSearch()),
            (Stage("sketch", 0.1), None),
            (Stage("mps", 0.3), make_strategy("mps")),
        ]
    ).plan()
    assert [fraction for _, _, fraction in three] == [
        pytest.approx(0.2),
        pytest.approx(0.4 / 0.8),
        1.0,
    ]


def test_options_reach_their_stage_and_bad_ones_are_refused() -> None:
    portfolio = make_strategy(
        "auto",
        stages=[{"name": "automation", "share": 0.1}, {"name": "bfs", "share": 0.9}],
        width=3,
        bfs={"length_alpha": 0.5},
    )
    assert isinstance(portfolio, Portfolio)
    search = portfolio.plan()[1][1]
    assert search is not None and search.config() == {
        "strategy": "bfs",
        "width": 3,
        "length_alpha": 0.5,
    }
    with pytest.raises(ValueError, match="positive shares"):
        Portfolio([(Stage("bfs", 0.0), BestFirstSearch())])
    with pytest.raises(StrategyError, match="mapped to option dictionaries"):
        make_strategy("auto", bsf={"width": 2})
    with pytest.raises(StrategyError, match="not a strategy"):
        make_strategy("auto", stages=[{"name": "nope", "share": 1.0}])


class _NearMiss:
    """A stage that fails one identifier short of a proof, as a sketch might."""

    name = "near_miss"

    def attempt(self, theorem: Theorem, ctx: object, root: int) -> Claim:
        return Claim(
            None,
            StopReason.HOLES_REMAIN,
            near_miss="by\n  constructor\n  · omega\n  · exact hpq hq",
        )


def test_repair_stage_starts_from_the_near_miss_of_an_earlier_stage(standin_env: Path) -> None:
    theorem = Theorem(
        "t", "", "theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q"
    )
    portfolio = Portfolio(
        [
            (Stage("near_miss", 0.5), _NearMiss()),
            (Stage("repair", 0.5), RepairStrategy(search=BestFirstSearch())),
        ]
    )
    outcome, edges = run(theorem, portfolio, Limits(wall_s=60), standin_env)
    assert outcome.verdict.proved, outcome
    assert "exact hpq hp" in (outcome.verdict.proof or "")
    fixes = [action for kind, action in edges if kind == "repair_fix"]
    assert fixes and all("hq" in action or "hp" in action for action in fixes[-1:]), edges


def test_repair_stage_is_skipped_without_a_near_miss_or_model(standin_env: Path) -> None:
    portfolio = make_strategy(
        "auto", stages=[{"name": "automation", "share": 0.5}, {"name": "repair", "share": 0.5}]
    )
    outcome, edges = run(FALSE, portfolio, Limits(wall_s=20), standin_env)
    assert not outcome.verdict.proved
    assert not any(kind == "repair_fix" for kind, _ in edges)
    assert outcome.claim.reason is StopReason.NO_CLOSER
