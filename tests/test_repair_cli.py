"""`leanwb repair` end to end: the CLI, the stand-in REPL, the gate and the graph store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prover.cli import app
from prover.graph.paths import proof_path
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.protocols import EdgeKind
from repair.source import read_source

runner = CliRunner()
STATEMENT = (
    "theorem t (x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) (h₀ : x % 2 = 1) :\n    x ≠ 4 ∧ q"
)
# A wrong automation call, a Lean 3 line and a wrong hypothesis name.
BROKEN = f"""import Mathlib

/-- The issue's example. -/
{STATEMENT} := by
  have hq : q := hpq hp,
  constructor
  · linarith
  · exact hpq hp2

theorem other : True := trivial
"""
IRREPARABLE = """import Mathlib

theorem f (x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) : x = 4 ∧ q := by
  constructor
  · linarith
  · exact hpq hp
"""


def repair(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["repair", "--json", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


def test_the_issue_s_broken_proof_becomes_a_verified_proof_with_each_step_in_the_graph(
    standin_env: Path, tmp_path: Path
) -> None:
    source = tmp_path / "broken.lean"
    source.write_text(BROKEN, encoding="utf-8")
    code, out = repair(str(source), "--theorem", "t")
    assert (code, out["verdict"], out["reason"]) == (0, "proved", None)
    assert out["proof"] == "by\n  have hq : q := hpq hp\n  constructor\n  · omega\n  · exact hpq hp"
    assert [(c["name"], c["error_class"], c["line"]) for c in out["changes"]] == [
        ("lean3_trailing_commas", "syntax_error", 2),
        ("tool_correction", "tactic_failed", 4),
        ("rename_hypothesis", "unknown_identifier", 5),
    ]
    assert out["holes"] == [] and out["output"] == str(tmp_path / "broken.repaired.lean")
    # The user's file is untouched; the repaired file differs only in the proof.
    assert source.read_text(encoding="utf-8") == BROKEN
    written = Path(out["output"]).read_text(encoding="utf-8")
    assert written == BROKEN.replace("hpq hp,", "hpq hp").replace("linarith", "omega").replace(
        "hp2", "hp"
    )
    assert read_source(written, name="t").theorem.statement == STATEMENT
    with Store(standin_env) as store:
        graph = load_graph(store, out["attempt_id"])
    route = proof_path(graph)
    kinds = [graph.edges[e].kind for e in route.edges]
    assert kinds == [
        EdgeKind.DRAFT,
        EdgeKind.REPAIR_FIX,
        EdgeKind.REPAIR_FIX,
        EdgeKind.REPAIR_FIX,
        EdgeKind.VERIFY,
    ]
    assert [graph.edges[e].meta.get("rule") for e in route.edges[1:4]] == [
        "lean3_trailing_commas",
        "tool_correction",
        "rename_hypothesis",
    ]
    assert graph.attempt.verdict is not None and graph.attempt.verdict.value == "proved"
    assert graph.run.kind == "repair"


def test_an_irreparable_proof_writes_the_best_partial_one_and_lists_its_holes(
    standin_env: Path, tmp_path: Path
) -> None:
    source = tmp_path / "f.lean"
    source.write_text(IRREPARABLE, encoding="utf-8")
    target = tmp_path / "out.lean"
    code, out = repair(str(source), "-o", str(target), "--search", "none", "--rounds", "2")
    assert (code, out["verdict"], out["reason"]) == (1, "failed", "holes_remain")
    assert out["proof"] is None
    assert out["best_proof"] == "by\n  constructor\n  · sorry\n  · exact hpq hp"
    assert [(h["line"], h["column"]) for h in out["holes"]] == [(3, 4)]
    assert out["holes"][0]["goal"].endswith("⊢ x = 4")
    assert target.read_text(encoding="utf-8") == IRREPARABLE.replace("linarith", "sorry")
    human = runner.invoke(app, ["repair", str(source), "--search", "none", "--in-place"])
    assert human.exit_code == 1
    assert human.stdout.startswith("not repaired: holes_remain: 1 hole(s) remain")
    assert "open hole at proof line 3: case left" in human.stdout
    assert source.read_text(encoding="utf-8") == IRREPARABLE.replace("linarith", "sorry")


def test_human_output_lists_the_changes_then_the_proof(standin_env: Path, tmp_path: Path) -> None:
    source = tmp_path / "broken.lean"
    source.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["repair", str(source), "--theorem", "t"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("repaired t (") and lines[0].endswith("broken.repaired.lean")
    assert (
        "tool_correction [tactic_failed]: replace the failing `linarith` with `omega`" in lines[2]
    )
    assert lines[-1] == "  · exact hpq hp"


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (None, [], "cannot read"),
        ("def f : ℕ := 3\n", [], "no `theorem`"),
        (BROKEN, ["--theorem", "nope"], "no theorem named 'nope'"),
        (BROKEN, [], "2 theorems found"),
        ("theorem t : True\n", [], "has no proof after `:=` to repair"),
        (IRREPARABLE, ["-o", "x.lean", "--in-place"], "either --output or --in-place"),
        (IRREPARABLE, ["--search", "dfs"], "hole search 'dfs'"),
        (IRREPARABLE, ["--model", "gpt:x"], "unknown generator"),
        (IRREPARABLE, ["--repl-cmd", "/no/such/repl"], "cannot start the Lean REPL"),
    ],
)
def test_bad_input_is_one_clear_error_with_exit_code_2(
    standin_env: Path, tmp_path: Path, text: str | None, args: list[str], message: str
) -> None:
    source = tmp_path / "in.lean"
    if text is not None:
        source.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["repair", str(source), *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in " ".join(result.stderr.split())
