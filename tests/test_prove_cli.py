"""`leanwb prove` end to end: the CLI, the stand-in REPL, the gate and the graph store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prover.cli import app
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.protocols import EdgeKind

DONE = (
    "theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q := by sorry"
)
SWAP = "theorem swap (p q : Prop) (h : p ∨ q) : q ∨ p := by sorry"
FALSE = "theorem f (x : ℕ) (h : x = 3) : x + 2 = 6 ∧ x = 3 := by sorry"

runner = CliRunner()


def prove(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["prove", "--json", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


def graph(db: Path, attempt_id: int) -> Graph:
    with Store(db) as store:
        return load_graph(store, attempt_id)


def tactic_edges(g: Graph) -> list:
    return [e for e in g.edges.values() if e.kind is EdgeKind.TACTIC and e.action != "start"]


@pytest.mark.parametrize("strategy", ["bfs", "mps"])
def test_the_done_theorem_is_proved_and_every_expansion_is_in_the_graph(
    standin_env: Path, strategy: str
) -> None:
    code, out = prove(DONE, "--strategy", strategy)
    assert (code, out["verdict"], out["strategy"]) == (0, "proved", strategy)
    assert out["proof"] and out["proof"].strip().startswith("by")
    assert set(out["spent"]) >= {"expansions", "lean_calls", "wall_s", "tokens_in"}
    g = graph(standin_env, out["attempt_id"])
    edges = tactic_edges(g)
    # opening the theorem + one edge per tactic run + the gate's check
    assert len(edges) == out["spent"]["lean_calls"] - 2
    assert len({e.parents[0] for e in edges}) == out["spent"]["expansions"]
    assert g.attempt.verdict is not None and g.attempt.verdict.value == "proved"
    assert g.run.config["strategy"] == strategy


def test_human_output_ends_with_the_proof(standin_env: Path) -> None:
    result = runner.invoke(app, ["prove", SWAP])
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip().splitlines()
    assert lines[0].startswith("proved swap (")
    assert lines[1] == "theorem swap (p q : Prop) (h : p ∨ q) : q ∨ p := by"
    assert lines[-1].strip().startswith("exact")


def test_a_false_statement_ends_not_proved_with_its_reason(standin_env: Path) -> None:
    code, out = prove(FALSE, "--expansions", "10")
    assert (code, out["verdict"], out["proof"]) == (1, "failed", None)
    assert out["reason"] in ("search_exhausted", "expansions")
    assert out["spent"]["expansions"] <= 10
    human = runner.invoke(app, ["prove", FALSE, "--expansions", "10"])
    assert human.exit_code == 1
    assert human.stdout.startswith(f"not proved: {out['reason']}")


def test_a_file_theorem_is_chosen_by_name_with_the_file_s_header(
    standin_env: Path, tmp_path: Path
) -> None:
    source = tmp_path / "Swap.lean"
    source.write_text(
        f"import Mathlib\nopen Nat\n\ntheorem other : True := trivial\n\n{SWAP}\n",
        encoding="utf-8",
    )
    code, out = prove("--file", str(source), "--name", "swap", "--strategy", "mps")
    assert (code, out["verdict"], out["theorem"]) == (0, "proved", "swap")
    attempt = graph(standin_env, out["attempt_id"]).attempt
    assert attempt.theorem.header.startswith("import Mathlib\nopen Nat")
    assert attempt.theorem.source == str(source)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either a THEOREM"),
        ([SWAP, "--file", "x.lean"], "give either a THEOREM"),
        (["--file", "/no/such/file.lean"], "cannot read /no/such/file.lean"),
        (['theorem broken : "unterminated'], "cannot read the Lean text"),
        (["def f : ℕ := 3"], "no `theorem`"),
        ([SWAP, "--strategy", "dfs"], "unknown strategy 'dfs'"),
        ([SWAP, "--generator", "gpt:x"], "unknown generator"),
        ([SWAP, "--critic", "hf:some/model"], "--critic applies to --strategy mps only"),
        ([SWAP, "--repl-cmd", "/no/such/repl"], "cannot start the Lean REPL"),
    ],
)
def test_bad_input_is_one_clear_error_with_exit_code_2(
    standin_env: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["prove", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert message in " ".join(result.stderr.split())


def test_runs_with_the_same_seed_in_two_processes_search_alike(
    standin_env: Path, standin_cmd: str
) -> None:
    def run_in_process(hash_seed: str) -> int:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        leanwb = [sys.executable, "-c", "from prover.cli import main; main()"]
        args = [*leanwb, "prove", SWAP, "-s", "mps", "--seed", "3"]
        done = subprocess.run(
            [*args, "--json"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["attempt_id"]

    def trace(attempt_id: int) -> list[tuple[Any, ...]]:
        g = graph(standin_env, attempt_id)
        key = {n.id: n.key for n in g.nodes.values()}
        return [
            (key[e.parents[0]], e.action, e.child and key[e.child], e.lean_status)
            for e in g.edges.values()
        ]

    first, second = run_in_process("1"), run_in_process("2")
    assert first != second
    assert trace(first) == trace(second)


@pytest.mark.slow  # loads the MiniLM encoder
def test_premises_retrieved_for_each_state_are_recorded_on_the_edges(
    standin_env: Path, tmp_path: Path
) -> None:
    from retrieval.build import build_index
    from retrieval.cache import EmbeddingCache
    from retrieval.corpus import Corpus, CorpusPremise
    from retrieval.encoder import load_encoder

    corpus = Corpus(
        premises=(
            CorpusPremise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n"),
            CorpusPremise("or_comm", "theorem or_comm {a b : Prop} : a ∨ b ↔ b ∨ a"),
        )
    )
    index = tmp_path / "index"
    build_index(corpus, index, load_encoder(None), cache=EmbeddingCache(tmp_path / "cache"))
    code, out = prove(FALSE, "--index", str(index), "--expansions", "1", "--width", "64")
    assert code == 1 and out["spent"]["expansions"] == 1
    shown = {
        (e.action, premise.name)
        for e in tactic_edges(graph(standin_env, out["attempt_id"]))
        for premise in e.premises
    }
    assert ("simp [Nat.add_comm]", "Nat.add_comm") in shown
    assert {name for _, name in shown} == {"Nat.add_comm", "or_comm"}


def test_a_missing_index_is_a_clear_error(standin_env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["prove", SWAP, "--index", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "cannot load the premise index" in " ".join(result.stderr.split())
