"""The eval report's proof texts, node links and money, and `eval compare`'s test of
significance (McNemar's exact test, computed here) with legends clear of the lines."""

from __future__ import annotations

import math
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from rich.console import Console
from synthetic_graphs import record_composite_proof
from test_eval_report import ROWS, record_run

from prover.budget import Limits, Spent
from prover.config import Price
from prover.eval.compare import OVERALL, compare_runs, render_compare_html, render_compare_table
from prover.eval.datasets import Problem
from prover.eval.html_report import render_html
from prover.eval.money import pricing, run_models
from prover.eval.plots import Series, step_chart
from prover.eval.report import load_summary
from prover.eval.report_site import write_html_report
from prover.eval.results import (
    ProblemOutcome,
    ProblemResult,
    commit_result,
    ensure_schema,
    register_problems,
)
from prover.eval.significance import PairedTest, mcnemar_exact
from prover.graph.paths import final_proof
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.protocols import EdgeKind, LeanOutcome, NodeKind
from prover.types import Message, Position, Severity, Theorem, Verdict, VerdictKind

THEOREM = Theorem("close", "import Mathlib", "theorem close (a b : ℕ) : a ≤ b + 1 ∧ b ≤ a + 1")


# ---- McNemar's exact test --------------------------------------------------------------


def binomial_two_sided(b: int, c: int) -> float:
    """The same p-value by another route: floating-point binomial tails, both sides."""
    n = b + c
    pmf = [math.comb(n, i) * 0.5**n for i in range(n + 1)]
    low = sum(pmf[: min(b, c) + 1])
    high = sum(pmf[max(b, c) :])
    return min(1.0, low + high) if b != c else 1.0


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (0, 0, 1.0),
        (0, 6, 2 / 64),  # 0.03125: significant
        (0, 5, 2 / 32),  # 0.0625: not, however lopsided
        (1, 9, 22 / 1024),
        (2, 10, 158 / 4096),
        (5, 5, 1.0),
        (7, 3, 2 * (1 + 10 + 45 + 120) / 1024),
    ],
)
def test_mcnemar_exact_p_values(b: int, c: int, expected: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)
    assert mcnemar_exact(c, b) == mcnemar_exact(b, c)
    assert mcnemar_exact(b, c) == pytest.approx(binomial_two_sided(b, c), rel=1e-9)


def test_mcnemar_exact_holds_for_large_counts() -> None:
    p = mcnemar_exact(400, 520)  # 2**920 overflows a float; integers do not
    assert 0 < p < 1e-4 and math.isfinite(p)
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


def record_outcomes(store: Store, outcomes: dict[str, tuple[str, bool]]) -> int:
    """A run whose problem `key` (category, proved) is as given."""
    ensure_schema(store.engine)
    run_id = store.begin_run("eval", {"strategy": "bfs", "limits": {}}, kind="eval")
    problems = [
        Problem(key, "test", category, Theorem(key, "", f"theorem {key} : True"))
        for key, (category, _) in outcomes.items()
    ]
    register_problems(store.engine, run_id, problems)
    for problem in problems:
        proved = outcomes[problem.key][1]
        outcome = ProblemOutcome.PROVED if proved else ProblemOutcome.FAILED
        result = ProblemResult(
            problem.key, "test", problem.category, outcome, None, "", None, Spent(), "w0"
        )
        commit_result(store.engine, run_id, result)
    return run_id


def test_compare_says_which_differences_are_significant(store: Store) -> None:
    # algebra: B proves 8 that A misses, A none that B misses -> p = 2/256, significant.
    # number theory: 2 against 1 -> p = 1, not significant.
    a = {f"alg{i}": ("algebra", i < 4) for i in range(12)}
    a |= {f"nt{i}": ("number_theory", i in (0, 1, 5)) for i in range(6)}
    b = {f"alg{i}": ("algebra", True) for i in range(12)}
    b |= {f"nt{i}": ("number_theory", i in (2, 5)) for i in range(6)}
    b["extra"] = ("algebra", True)  # attempted by B only: not paired
    comparison = compare_runs(
        load_summary(store, record_outcomes(store, a)),
        load_summary(store, record_outcomes(store, b)),
    )
    assert comparison.tests["algebra"] == PairedTest(pairs=12, only_a=0, only_b=8)
    assert comparison.tests["number_theory"] == PairedTest(pairs=6, only_a=2, only_b=1)
    assert comparison.tests[OVERALL] == PairedTest(pairs=18, only_a=2, only_b=9)
    # Overall, 2 against 9 of 11 discordant: p = 2 (1 + 11 + 55) / 2^11 = 0.065, not
    # significant, though one category is: the test says which.
    assert comparison.tests[OVERALL].p_value == pytest.approx(134 / 2048)
    assert comparison.significant == ["algebra"]
    assert comparison.tests["algebra"].p_value == pytest.approx(2 / 256)
    assert comparison.as_dict()["mcnemar_exact"]["number_theory"]["significant"] is False

    console = Console(record=True, width=160)
    render_compare_table(comparison, console)
    text = console.export_text()
    assert "McNemar" in text and "0.00781" in text
    row = next(line for line in text.splitlines() if line.startswith("│ number_theory"))
    assert row.rstrip().rstrip("│ ").endswith("no")

    html = render_compare_html(comparison)
    assert "Which differences are significant" in html
    assert "<td>algebra</td><td class='num'>0</td><td class='num'>8</td>" in html
    assert html.count("<strong class='proved'>yes</strong>") == 1


def test_legends_sit_above_the_lines() -> None:
    lines = [
        Series("run 1", [(1.0, 80.0), (2.0, 95.0)]),  # near the top-left, where a legend was
        Series("run 2", [(0.5, 90.0), (3.0, 100.0)]),
    ]
    svg = ElementTree.fromstring(step_chart("t", "x", "y", lines, y_max=100.0))
    ns = {"s": "http://www.w3.org/2000/svg"}
    legend = svg.find("s:g[@class='legend']", ns)
    assert legend is not None
    legend_bottom = max(
        float(r.get("y")) + float(r.get("height")) for r in legend.findall("s:rect", ns)
    )
    legend_bottom = max(legend_bottom, *(float(t.get("y")) for t in legend.findall("s:text", ns)))
    tops = [
        float(point.split(",")[1])
        for line in svg.findall("s:polyline", ns)
        for point in line.get("points").split()
    ]
    assert legend_bottom < min(tops)  # every line point lies below the legend
    labels = [t.text for t in legend.findall("s:text", ns)]
    assert labels == ["run 1", "run 2"]


# ---- the report: final proofs, links to nodes, money ------------------------------------


def test_final_proof_is_the_verified_text_else_the_least_wrong(store: Store) -> None:
    proved = record_composite_proof(store, store.begin_run("prove", {}), THEOREM)
    final = final_proof(load_graph(store, proved))
    assert final is not None and final.proved and final.text.endswith("  omega")

    rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "repair")
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    texts = []
    for errors in (2, 0, 1):  # the middle one: fewest errors
        body = f"by\n  tac{errors}"
        node = rec.node(NodeKind.PROOF_TEXT, THEOREM.with_proof(body))
        messages = tuple(
            Message(Severity.ERROR, Position(2, 2), None, f"e{i}") for i in range(errors)
        )
        rec.edge(
            EdgeKind.REPAIR_FIX,
            [root],
            node,
            "try",
            strategy="repair",
            lean=LeanOutcome("lean_error" if errors else "contains_sorry", 1.0, messages),
        )
        texts.append(node)
    rec.flush()
    store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "no"), Spent())
    near = final_proof(load_graph(store, rec.attempt_id))
    assert near is not None and not near.proved and near.node == texts[1]
    assert near.text.endswith("tac0")


def test_report_links_to_nodes_and_shows_proofs_inline(store: Store, tmp_path: Path) -> None:
    run_id = record_run(store, ROWS[:2], budget=Limits(wall_s=10.0))
    summary = load_summary(store, run_id)
    attempt = summary.results[0].attempt_id
    assert attempt is not None
    index = write_html_report(store, summary, tmp_path / "report", graphs=True)
    html = index.read_text(encoding="utf-8")
    # Attempts with no proof text link to their page only.
    assert f"href='graphs/attempt-{attempt}.html'" in html

    proved_run = store.begin_run("eval", dict(summary.config), kind="eval")
    ensure_schema(store.engine)
    register_problems(store.engine, proved_run, [Problem("close", "test", "algebra", THEOREM)])
    attempt_id = record_composite_proof(store, proved_run, THEOREM)
    commit_result(
        store.engine,
        proved_run,
        ProblemResult(
            "close", "test", "algebra", ProblemOutcome.PROVED, None, "", attempt_id,
            Spent(tokens_in=2_000_000, tokens_out=500_000), "w0",
        ),
    )  # fmt: skip
    summary = load_summary(store, proved_run)
    verified = final_proof(load_graph(store, attempt_id))
    assert verified is not None
    index = write_html_report(store, summary, tmp_path / "proved", graphs=True)
    html = index.read_text(encoding="utf-8")
    assert f"href='graphs/attempt-{attempt_id}.html#node-{verified.node}'" in html
    assert f"attempt {attempt_id} · node {verified.node}" in html
    proof = re.search(r"<details class='proof proved'><summary>proof · (\d+) lines</summary>"
                      r"<pre>(.*?)</pre>", html, re.S)  # fmt: skip
    assert proof is not None and proof.group(1) == "4"
    assert "have h2 : b ≤ a + 1 := by omega\n  omega" in proof.group(2)
    assert "Model cost" not in html  # no prices configured


def test_money_cost_per_problem_and_in_total(store: Store) -> None:
    config_one = {"generator": "openai:prover", "strategy": "bfs", "limits": {}}
    config_two = {
        "generator": "openai:prover",
        "strategy": "auto",
        "strategy_options": {"sketch": {"drafter": "openai:qwq", "sketcher": "openai:qwq"}},
        "limits": {},
    }
    assert run_models(config_two) == {"openai:prover", "openai:qwq"}
    assert run_models({"generator": "heuristic"}) == set()
    prices = {"openai:prover": Price(0.5, 2.0), "openai:qwq": Price(1.0, 4.0)}
    result = ProblemResult(
        "p", "test", "x", ProblemOutcome.PROVED, None, "", None,
        Spent(tokens_in=3_000_000, tokens_out=250_000), "w0",
    )  # fmt: skip
    one = pricing(config_one, prices)
    assert one is not None and one.exact and one.cost(result) == pytest.approx(1.5 + 0.5)
    two = pricing(config_two, prices)
    assert two is not None and not two.exact and two.cost(result) == pytest.approx(3.0 + 1.0)
    assert two.describe(4.0) == "at most $4.00"
    missing = pricing(config_two, {"openai:prover": Price(0.5, 2.0)})
    assert missing is not None and missing.cost(result) is None
    assert missing.describe(None) == "no prices for openai:qwq"
    assert pricing(config_one, {}) is None

    ensure_schema(store.engine)
    run_id = store.begin_run("eval", config_one, kind="eval")
    register_problems(store.engine, run_id, [Problem("p", "test", "x", THEOREM)])
    commit_result(store.engine, run_id, result)
    html = render_html(load_summary(store, run_id), {}, {}, prices)
    assert "<th>cost</th>" in html and "<td class='num'>$2.00</td>" in html
    assert "Model cost: $2.00" in html
