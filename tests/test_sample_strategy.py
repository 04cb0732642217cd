"""The `sample` strategy on the stand-in REPL with the scripted OpenAI-compatible server:
whole proofs in batches, only honest ones counted, pass@k against the estimator computed
by hand, the check cache across runs, and the plain → chain-of-thought escalation."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from math import comb
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from typer.testing import CliRunner

from prover.api import Workbench
from prover.cli import app
from prover.generate.whole_proof_prompts import GENERIC_COT, detect_whole_proof_format
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.protocols import EdgeKind, NodeKind
from prover.types import Theorem

runner = CliRunner()

T1 = "theorem t1 (x : Nat) (h : x = 3) : x + 2 = 5"
T2 = "theorem t2 (p q : Prop) (hp : p) (hq : q) : p ∧ q"
T3 = "theorem t3 (a : Nat) (h : a = 2) : a * 3 = 6"


def block(statement: str, tactics: str, before: str = "") -> str:
    return f"{before}```lean4\n{statement} := by\n  {tactics}\n```"


def right(statement: str) -> str:
    """A proof the stand-in accepts for each theorem here."""
    return block(statement, "omega" if "Nat" in statement else "exact ⟨hp, hq⟩")


def wrong(statement: str, tactic: str = "rfl") -> str:
    return block(statement, tactic)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(default=Reply(texts=("OK",))) as fake:  # OK answers the probe
        yield fake


def graph_of(db: Path, attempt_id: int) -> Any:
    with Store(db) as store:
        return load_graph(store, attempt_id)


def samples_of(graph: Any) -> list[Any]:
    nodes = [n for n in graph.nodes.values() if n.kind is NodeKind.SAMPLE]
    return sorted(nodes, key=lambda n: n.meta["index"])


def prove_cli(server: FakeOpenAIServer, statement: str, *extra: str) -> dict[str, Any]:
    result = runner.invoke(
        app,
        [
            "prove",
            f"{statement} := by sorry",
            "--header",
            "",
            "--strategy",
            "sample",
            "--generator",
            "openai:fake",
            "--base-url",
            server.base_url,
            "--json",
            *extra,
        ],
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_prove_finds_one_of_the_two_correct_proofs_among_eight(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    replies = [wrong(T1, t) for t in ("rfl", "simp", "decide")]
    replies += [right(T1), wrong(T1, "norm_num"), wrong(T1, "trivial")]
    replies += [block(T1, "omega", "Here is the proof.\n"), wrong(T1, "exact h")]
    server.on("t1", *replies)
    report = prove_cli(server, T1, "--samples", "8")
    assert report["verdict"] == "proved" and report["strategy"] == "sample"
    assert report["proof"].strip() == "by\n  omega"
    samples = report["samples"]
    assert samples["correct"] == 1 and samples["n"] == 4  # stopped after the first batch
    assert samples["outcomes"] == ["lean_error", "lean_error", "lean_error", "proved"]
    assert [r.body["n"] for r in server.requests if r.path.endswith("/chat/completions")][-1] == 4
    graph = graph_of(standin_env, report["attempt_id"])
    sample_nodes = samples_of(graph)
    assert [n.meta["verdict"] for n in sample_nodes] == ["failed"] * 3 + ["proved"]
    assert all(n.meta["mode"] == "plain" and n.meta["tokens_out"] > 0 for n in sample_nodes)
    sample_edges = [e for e in graph.edges.values() if e.kind is EdgeKind.SAMPLE]
    assert {e.model for e in sample_edges} == {"openai:fake"} and len(sample_edges) == 4


def test_prove_without_a_model_says_what_to_give(standin_env: Path) -> None:
    result = runner.invoke(app, ["prove", f"{T1} := by sorry", "--strategy", "sample"])
    assert result.exit_code == 2
    assert "needs a model" in result.output and "Traceback" not in result.output


def test_only_honest_replies_count(standin_env: Path, server: FakeOpenAIServer) -> None:
    honest_after_thinking = "<think>Use omega; ```lean4\nnot this```</think>\n" + right(T1)
    two_blocks = wrong(T1, "simp") + "\nBetter:\n" + right(T1)
    changed = block(T1.replace("x + 2 = 5", "x + 2 = 5 ∨ True"), "simp")
    with_sorry = block(T1, "sorry")
    native = block(T1, "native_decide")
    axiom = f"```lean4\naxiom cheat : False\n{T1} := by\n  exact cheat.elim\n```"
    no_block = "I think omega works."
    cut_off = "```lean4\n" + T1 + " := by\n  om"
    server.on(
        "t1", honest_after_thinking, two_blocks, changed, with_sorry, native, axiom, no_block,
        cut_off,
    )  # fmt: skip
    with Workbench(generator="openai:fake", base_url=server.base_url) as workbench:
        report = workbench.prove(
            f"{T1} := by sorry", "sample", options={"samples": 8, "all_samples": True}, header=""
        )
    assert report.proved and report.samples is not None
    outcomes = report.samples["outcomes"]
    assert outcomes[:2] == ["proved", "proved"]
    assert outcomes[2] == "changed_statement"
    assert outcomes[3] == "contains_sorry"
    assert outcomes[4] == "native_decide"
    assert outcomes[5] == "lean_error"  # the axiom is never sent: `cheat` is unknown
    assert outcomes[6:] == ["no_block", "incomplete_block"]
    assert report.samples["correct"] == 2


def test_identical_proofs_are_checked_once_and_a_rerun_pays_nothing(
    standin_env: Path, server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "repl.log"
    monkeypatch.setenv("STANDIN_LOG", str(log))
    layouts = [wrong(T1, "simp"), wrong(T1, "simp  -- again"), wrong(T1, "rfl"), right(T1)]
    server.on("t1", *layouts)
    first = prove_cli(server, T1, "--samples", "4")
    first_log = log.read_text(encoding="utf-8").splitlines()
    simp_checks = [line for line in first_log if "  simp" in line]
    assert len(simp_checks) == 1  # two samples, one text up to the comment: one check
    graph = graph_of(standin_env, first["attempt_id"])
    checks = [n for n in graph.nodes.values() if n.kind is NodeKind.CHECK]
    assert len(checks) == 3
    to_check = {e.parents[0]: e.child for e in graph.edges.values() if e.kind is EdgeKind.CHECK}
    simp_samples = [n.id for n in samples_of(graph)[:2]]
    assert to_check[simp_samples[0]] == to_check[simp_samples[1]]
    log.write_text("", encoding="utf-8")
    second = prove_cli(server, T1, "--samples", "4")
    second_log = log.read_text(encoding="utf-8").splitlines()
    assert second["verdict"] == "proved"
    # Only the final soundness gate on the winner reaches Lean; every sample is a cache hit.
    assert not [line for line in second_log if "  simp" in line or "  rfl" in line]
    assert len([line for line in second_log if "omega" in line]) == 1
    rerun = graph_of(standin_env, second["attempt_id"])
    reused = samples_of(rerun)
    assert all(n.meta["cached"] for n in reused)
    # A cached answer for the very same text keeps Lean's messages on its check step.
    cached_steps = {e.parents[0]: e for e in rerun.edges.values() if e.kind is EdgeKind.CHECK}
    simp_step = cached_steps[reused[0].id]
    assert simp_step.lean_messages and simp_step.lean_elapsed_ms == 0.0
    modes = second["samples"]["modes"]["plain"]
    assert modes["checks"] == 0 and modes["cached"] == 3


def dataset(tmp_path: Path, statements: list[str]) -> Path:
    path = tmp_path / "set.jsonl"
    rows = [
        {
            "name": s.split()[1],
            "split": "test",
            "header": "",
            "formal_statement": f"{s} := by sorry",
        }
        for s in statements
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def estimator(n: int, c: int, k: int) -> float:
    """pass@k as Chen et al. define it, with exact binomials."""
    return 1.0 - comb(n - c, k) / comb(n, k)


def test_eval_all_samples_reports_the_unbiased_pass_at_k(
    standin_env: Path, server: FakeOpenAIServer, tmp_path: Path
) -> None:
    correct = {"t1": 2, "t2": 0, "t3": 5}  # of 8 samples each
    for statement in (T1, T2, T3):
        name = statement.split()[1]
        good = correct[name]
        server.on(
            rf"theorem {name} ",
            *[right(statement)] * good,
            *[wrong(statement, f"rfl  -- try {i}") for i in range(8 - good)],
        )
    result = runner.invoke(
        app,
        [
            "eval",
            "--from-file",
            str(dataset(tmp_path, [T1, T2, T3])),
            "--strategy",
            "sample",
            "--samples",
            "8",
            "--all-samples",
            "--generator",
            "openai:fake",
            "--base-url",
            server.base_url,
        ],
    )
    assert result.exit_code == 0, result.output
    report = runner.invoke(app, ["eval", "report", "1", "--format", "json"])
    summary = json.loads(report.stdout)
    by_key = {p["key"]: p["samples"] for p in summary["problems"]}
    recorded = {key: s["outcomes"].count("proved") for key, s in by_key.items()}
    assert recorded == correct and all(s["n"] == 8 for s in by_key.values())
    expected = {k: sum(estimator(8, c, k) for c in recorded.values()) / 3 for k in (1, 2, 4, 8)}
    got = {row["k"]: row["pass_at_k"] for row in summary["sampling"]["pass_at_k"]}
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k], abs=1e-12) for k in expected)
    assert got[1] == pytest.approx(7 / 24)  # (2 + 0 + 5) / 24 by hand
    assert summary["sampling"]["honest"] is True
    assert summary["sampling"]["tokens_per_solved"] == pytest.approx(
        sum(p["tokens"] for p in summary["problems"]) / summary["overall"]["proved"]
    )
    fit = summary["sampling"]["fit"]
    assert fit is not None and fit["a"] < 0
    csv_text = runner.invoke(app, ["eval", "report", "1", "--format", "csv"]).stdout
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [float(row["pass_at_2"]) for row in rows] == [
        pytest.approx(estimator(8, c, 2)) for c in correct.values()
    ]
    table = runner.invoke(app, ["eval", "report", "1"]).stdout
    assert "pass@k" in table and "fit c(k)" in table
    compared = json.loads(
        runner.invoke(app, ["eval", "compare", "1", "1", "--format", "json"]).stdout
    )
    assert compared["pass_at_k"]["4"] == [pytest.approx(expected[4])] * 2


def test_prices_give_money_per_solved_problem(
    standin_env: Path, server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "leanwb.toml"
    config.write_text('[prices."openai:fake"]\ninput = 1.0\noutput = 3.0\n', encoding="utf-8")
    monkeypatch.setenv("LEANWB_CONFIG", str(config))
    server.on("t1", right(T1), wrong(T1))
    with Workbench(generator="openai:fake", base_url=server.base_url) as workbench:
        report = workbench.evaluate(
            from_file=dataset(tmp_path, [T1]),
            strategy="sample",
            options={"samples": 2, "all_samples": True},
        )
    sampling = report.summary["sampling"]
    problem = report.summary["problems"][0]
    tokens = problem["samples"]["modes"]["plain"]
    money = (tokens["tokens_in"] * 1.0 + tokens["tokens_out"] * 3.0) / 1e6
    assert sampling["money_per_solved"] == pytest.approx(money)
    assert [row["k"] for row in sampling["pass_at_k"]] == [1, 2]
    assert sampling["pass_at_k"][0]["pass_at_k"] == pytest.approx(0.5)


def test_auto_mode_spends_chain_of_thought_only_where_plain_failed(
    standin_env: Path, server: FakeOpenAIServer, tmp_path: Path
) -> None:
    cot = GENERIC_COT.split(".")[0]  # the chain-of-thought instruction of the generic format
    server.on(rf"{cot}[\s\S]*|theorem t2 [\s\S]*{cot}", right(T2))
    server.on(r"theorem t1 ", right(T1))  # plain samples solve t1
    server.on(r"theorem t2 ", wrong(T2, "exact hp"))  # but not t2
    result = runner.invoke(
        app,
        [
            "eval",
            "--from-file",
            str(dataset(tmp_path, [T1, T2])),
            "--strategy",
            "sample",
            "--samples",
            "4",
            "--mode",
            "auto",
            "--set",
            "batch=2",
            "--set",
            "cot_max_tokens=900",
            "--set",
            "plain_max_tokens=100",
            "--generator",
            "openai:fake",
            "--base-url",
            server.base_url,
        ],
    )
    assert result.exit_code == 0, result.output
    asks = [r.body for r in server.requests if r.path.endswith("/chat/completions")]
    cot_asks = [b for b in asks if cot in b["messages"][-1]["content"]]
    assert cot_asks and all("theorem t2 " in b["messages"][-1]["content"] for b in cot_asks)
    assert {b["max_tokens"] for b in cot_asks} == {900}
    plain_asks = [b for b in asks if b not in cot_asks and "messages" in b and b["n"] > 0]
    assert {b["max_tokens"] for b in plain_asks if b["max_tokens"] > 1} == {100}
    summary = json.loads(runner.invoke(app, ["eval", "report", "1", "--format", "json"]).stdout)
    modes = summary["sampling"]["modes"]
    assert modes["plain"]["solved"] == 1 and modes["cot"]["solved"] == 1
    assert modes["cot"]["problems"] == 1  # t1 never paid for a chain of thought
    by_key = {p["key"]: p["samples"]["modes"] for p in summary["problems"]}
    assert set(by_key["t1"]) == {"plain"} and by_key["t2"]["cot"]["tokens_out"] > 0
    assert summary["overall"]["proved"] == 2


def test_the_closest_failed_sample_is_repaired(standin_env: Path, server: FakeOpenAIServer) -> None:
    server.on("t1", wrong(T1, "omega\n  simp"), wrong(T1, "simp\n  rfl\n  rfl"))
    report = prove_cli(server, T1, "--samples", "4")
    assert report["verdict"] == "proved" and report["samples"]["correct"] == 0
    assert report["samples"]["repaired"] is True
    assert report["proof"].strip() == "by\n  omega"


def test_the_strategy_sends_each_family_its_own_prompt(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    server.on(".", "  omega\n```")
    theorem = Theorem(name="t1", header="", statement=T1)
    for model in ("DeepSeek-Prover-V1.5-RL", "Kimina-Prover-Preview-Distill-7B"):
        before = len(server.requests)
        with Workbench(generator=f"openai:{model}", base_url=server.base_url) as workbench:
            workbench.prove(theorem, "sample", options={"samples": 2, "batch": 2})
        sent = server.requests[before].body
        wanted = detect_whole_proof_format(model).render(theorem, cot=False)
        if isinstance(wanted.prompt, str):
            assert sent["prompt"] == wanted.prompt and sent["stop"] == ["```"]
        else:
            assert sent["messages"] == [dict(m) for m in wanted.prompt]


def test_auto_gains_a_sample_stage_with_a_generator_model(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    statement = "theorem t5 (P : Nat → Prop) (h : ∀ n, P n → P (n + 1)) (h0 : P 0) : P 2"
    server.on("t5", block(statement, "exact h 1 (h 0 h0)"))  # no closer of automation does it
    with Workbench(generator="openai:fake", base_url=server.base_url) as workbench:
        report = workbench.prove(f"{statement} := by sorry", "auto", header="")
    assert report.proved and report.samples is not None
    with sqlite3.connect(standin_env) as conn:
        kinds = {row[0] for row in conn.execute("SELECT kind FROM nodes")}
        stages = [
            row[0]
            for row in conn.execute(
                "SELECT message FROM events WHERE kind = ?", ("portfolio_stage",)
            )
        ]
    assert {"sample", "check"} <= kinds
    assert stages == ["automation", "sample"]


def test_a_server_that_ignores_n_is_asked_again(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    server.on("t1", wrong(T1), wrong(T1, "simp"), right(T1), honour_n=False)
    with Workbench(generator="openai:fake", base_url=server.base_url) as workbench:
        report = workbench.prove(
            f"{T1} := by sorry", "sample", options={"samples": 3, "batch": 3}, header=""
        )
    asks = [r.body["n"] for r in server.requests if r.path.endswith("/chat/completions")]
    assert asks[-3:] == [3, 2, 1]  # one choice per answer: the client asks for the rest
    assert report.proved and report.samples is not None
    assert report.samples["outcomes"] == ["lean_error", "lean_error", "proved"]


def test_sampling_flags_belong_to_sample_and_auto(standin_env: Path, tmp_path: Path) -> None:
    prove = runner.invoke(app, ["prove", f"{T1} := by sorry", "--samples", "4"])
    assert prove.exit_code == 2 and "--samples applies to --strategy sample or auto" in " ".join(
        prove.output.split()
    )
    run = runner.invoke(
        app,
        ["eval", "--from-file", str(dataset(tmp_path, [T1])), "--strategy", "bfs", "--all-samples"],
    )
    assert run.exit_code == 2 and "apply to --strategy sample or auto" in " ".join(
        run.output.split()
    )
    bad_mode = runner.invoke(
        app,
        ["prove", f"{T1} := by sorry", "--strategy", "sample", "--mode", "deep", "-g", "openai:m",
         "--base-url", "http://127.0.0.1:9/v1"],
    )  # fmt: skip
    assert bad_mode.exit_code == 2 and "Traceback" not in bad_mode.output
    assert "deep" in bad_mode.output


def test_all_samples_in_auto_mode_keep_a_proved_theorem_on_plain_samples(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    cot = GENERIC_COT.split(".")[0]
    server.on(cot, right(T1))
    server.on("t1", wrong(T1), right(T1))  # the second plain sample proves it
    options = {"samples": 6, "batch": 2, "mode": "auto", "all_samples": True}
    with Workbench(generator="openai:fake", base_url=server.base_url) as workbench:
        report = workbench.prove(f"{T1} := by sorry", "sample", options=options, header="")
    assert report.proved and report.samples is not None
    assert set(report.samples["modes"]) == {"plain"} and report.samples["n"] == 6
    asks = [r.body for r in server.requests if r.path.endswith("/chat/completions")]
    assert not [b for b in asks if cot in b["messages"][-1]["content"]]
