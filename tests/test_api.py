"""The public API: the README's Python runs on the stand-in, `import prover` is free of
side effects and heavy libraries, and `--json` prints exactly the reports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

import prover
from prover.cli import app
from prover.config import api_key
from prover.errors import BudgetError, TheoremTextError, WorkbenchError
from prover.graph.store import Store
from prover.reports import CheckReport, ProveReport

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers", "faiss", "ray")
runner = CliRunner()


def readme_python() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use from Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert blocks, "the README's 'Use from Python' section has no python block"
    return "\n".join(blocks)


def run_python(code: str, cwd: Path, standin_cmd: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEANWB_REPL_CMD": standin_cmd,
        "LEANWB_DB": str(cwd / "default.sqlite"),
    }
    env.pop("LEANWB_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_readme_snippet_checks_proves_and_repairs_on_the_standin(
    tmp_path: Path, standin_cmd: str
) -> None:
    done = run_python(readme_python(), tmp_path, standin_cmd)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "proved ()"
    assert re.fullmatch(r"proved [1-9]\d*", lines[1])  # bfs proved it with Lean calls
    assert lines[2].startswith("theorem t (x : ℕ) (h : x = 3) : x + 2 = 5 := by")
    repaired = json.loads(done.stdout[done.stdout.index("\n{") :])
    assert repaired["verdict"] == "proved" and repaired["changes"]
    assert (tmp_path / "runs.sqlite").is_file()  # the Workbench's own database


def test_import_prover_has_no_side_effects_and_loads_no_heavy_library(
    tmp_path: Path, standin_cmd: str
) -> None:
    code = f"""
import sys
before = set(sys.modules)
import prover
loaded = sorted(m for m in set(sys.modules) - before if m.startswith(("prover", "sqlalchemy")))
print(loaded)
report = prover.check("theorem t (p : Prop) (hp : p) : p := by exact hp")
found = prover.prove("theorem u (x : ℕ) (h : x = 3) : x + 2 = 5 := by sorry", "bfs",
                     db="u.sqlite", generator="heuristic")
print(report.verdict, found.verdict)
print(sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in {HEAVY!r}))
"""
    done = run_python(code, tmp_path, standin_cmd)
    assert done.returncode == 0, done.stderr
    imported, verdicts, heavy = done.stdout.splitlines()
    assert imported == "['prover']"  # no submodule, no database layer at import
    assert verdicts == "proved proved"
    assert heavy == "[]"
    assert sorted(tmp_path.iterdir()) == [tmp_path / "u.sqlite"]  # nothing else written


def test_the_public_surface_is_all_and_nothing_else() -> None:
    assert set(dir(prover)) == set(prover.__all__)
    for name in prover.__all__:
        assert getattr(prover, name) is not None
    with pytest.raises(AttributeError):
        prover.SketchStrategy  # noqa: B018  an internal name is not exported
    assert issubclass(BudgetError, WorkbenchError) and issubclass(TheoremTextError, ValueError)


def test_prove_json_is_exactly_the_report(standin_env: Path) -> None:
    text = "theorem t (x : ℕ) (h : x = 3) : x + 2 = 5 := by sorry"
    result = runner.invoke(app, ["prove", text, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == [f.name for f in fields(ProveReport)]
    report = ProveReport(**{**payload, "axioms": tuple(payload["axioms"])})
    assert json.loads(report.to_json()) == payload


def test_check_json_is_exactly_the_report(standin_env: Path) -> None:
    result = runner.invoke(
        app, ["check", "--statement", "theorem t : 1 = 1", "--proof", "rfl", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)) == [f.name for f in fields(CheckReport)]
    with prover.Workbench() as wb:
        report = wb.check("theorem t : 1 = 1", "rfl")
    assert report.to_json() == result.stdout.rstrip("\n")


def test_a_workbench_checks_a_theorem_value_and_refuses_one_without_a_proof(
    standin_env: Path,
) -> None:
    theorem = prover.Theorem("t", "", "theorem t (p : Prop) (hp : p) : p")
    with prover.Workbench() as wb:
        assert wb.check(theorem, "by exact hp").proved
        assert not wb.check(theorem, "by exact hq").proved
        with pytest.raises(TheoremTextError, match="give the proof"):
            wb.check(theorem)
    assert not standin_env.exists()  # checking records nothing


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        ("flag", {"LEANWB_API_KEY": "wb", "OPENAI_API_KEY": "oa"}, "flag"),
        (None, {"LEANWB_API_KEY": "wb", "OPENAI_API_KEY": "oa"}, "wb"),
        (None, {"OPENAI_API_KEY": "oa"}, "oa"),
        (None, {}, None),
    ],
)
def test_one_api_key_variable_for_every_command(
    monkeypatch: pytest.MonkeyPatch, flag: str | None, env: dict[str, str], expected: str | None
) -> None:
    for name in ("LEANWB_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert api_key(flag) == expected


def test_stop_reasons_are_stored_verbatim_with_the_detail_apart(standin_env: Path) -> None:
    with prover.Workbench() as wb:
        report = wb.prove(
            "theorem f (x : ℕ) : x + 1 = x := by sorry",
            options={"width": 2},
            limits=prover.parse_budget("expansions=3"),
        )
    assert report.reason in {reason.value for reason in prover.StopReason}
    with Store(standin_env) as store:
        (attempt,) = store.attempts_for_run(report.run_id)
    assert attempt.reason == report.reason == prover.StopReason(report.reason)
    assert ":" not in attempt.reason


@pytest.mark.slow  # loads the MiniLM encoder
def test_search_premises_asks_a_built_index(tmp_path: Path) -> None:
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
    with prover.Workbench(db=tmp_path / "unused.sqlite") as wb:
        found = wb.search_premises("⊢ a + b = b + a", k=1, index=index)
    assert [premise.name for premise in found] == ["Nat.add_comm"]
    assert not (tmp_path / "unused.sqlite").exists()
