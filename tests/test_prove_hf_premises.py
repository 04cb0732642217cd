"""`leanwb prove --generator hf:… --index DIR`: a transformers generator fed with
premises retrieved by the real MiniLM model, every premise shown recorded on its edge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_models import build_byt5
from typer.testing import CliRunner

from prover.cli import app
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.protocols import EdgeKind

STATE = "x : ℕ\nh : x = 3\n⊢ x + 2 = 5"
THEOREM = "theorem a (x : ℕ) (h : x = 3) : x + 2 = 5 := by sorry"


@pytest.mark.slow
def test_hf_generator_sees_retrieved_premises_and_the_graph_records_them(
    standin_env: Path, tmp_path: Path
) -> None:
    from retrieval.build import build_index
    from retrieval.cache import EmbeddingCache
    from retrieval.corpus import Corpus, CorpusPremise
    from retrieval.encoder import load_encoder

    model = build_byt5(tmp_path / "tiny-byt5", {STATE: "omega"})
    corpus = Corpus(
        premises=(
            CorpusPremise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n"),
            CorpusPremise("Nat.succ_ne_zero", "theorem Nat.succ_ne_zero (n : ℕ) : n + 1 ≠ 0"),
        )
    )
    index = tmp_path / "index"
    build_index(corpus, index, load_encoder(None), cache=EmbeddingCache(tmp_path / "cache"))

    args = ["prove", THEOREM, "--generator", f"hf:{model}", "--index", str(index), "--json"]
    result = CliRunner().invoke(app, [*args, "--expansions", "2", "--width", "4"])
    assert result.exit_code in (0, 1), result.output
    out = json.loads(result.stdout)
    with Store(standin_env) as store:
        graph = load_graph(store, out["attempt_id"])
    tactics = [e for e in graph.edges.values() if e.kind is EdgeKind.TACTIC and e.action != "start"]
    assert tactics, "the model proposed nothing"
    for edge in tactics:
        assert edge.generator == f"hf:{model}"
        assert {p.name for p in edge.premises} == {"Nat.add_comm", "Nat.succ_ne_zero"}
    assert out["verdict"] == "proved" and "omega" in out["proof"]
