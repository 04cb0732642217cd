"""The rough edges found by trying every command (issue 12), each pinned by a test."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from rich.console import Console
from typer.testing import CliRunner

import prover
from prover.api import EvalStart, Workbench
from prover.budget import parse_budget
from prover.cli import COMMANDS, app
from prover.config import load_settings
from prover.errors import BudgetError
from prover.eval.progress import LiveProgress
from prover.graph.store import Store
from prover.lean import doctor
from prover.lean.doctor import Finding

runner = CliRunner()
BINDERS = "(x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) (h₀ : x % 2 = 1) (h : p ∨ q)"
# Lean 3 syntax: the repair rules turn it into Lean 4 the stand-in accepts.
BROKEN = f"theorem t {BINDERS} : x ≠ 4 ∧ q := by\n  constructor,\n  {{ omega }},\n  exact hpq hp,\n"
FALSE = "theorem f (x : ℕ) : x + 1 = x := by sorry"


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(default=Reply(texts=("exact hp",))) as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "LEANWB_API_KEY", "LEANWB_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def run_config(db: Path, run_id: int) -> dict:
    with Store(db) as store:
        return store.run(run_id).config


def test_prove_with_the_repair_strategy_repairs_the_given_proof(
    standin_env: Path, tmp_path: Path
) -> None:
    source = tmp_path / "Broken.lean"
    source.write_text(BROKEN, encoding="utf-8")
    code, out, err = invoke("prove", "--file", str(source), "--strategy", "repair", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["verdict"] == "proved" and report["reason"] is None
    assert "exact hpq hp" in report["proof"]
    assert run_config(standin_env, report["run_id"])["proof"].startswith("by\n  constructor,")


def test_prove_with_the_repair_strategy_takes_a_model(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    statement = f"theorem t {BINDERS} : x ≠ 4 ∧ q"
    server.on("Prove this theorem", f"```lean4\n{statement} := by\n  constructor,\n  omega\n```")
    code, out, _ = invoke(
        "prove",
        f"{statement} := by sorry",
        "--strategy",
        "repair",
        "--model",
        "openai:fake",
        "--base-url",
        server.base_url,
        "--json",
    )
    report = json.loads(out)
    assert report["reason"] != "nothing_to_repair", report
    assert any("Prove this theorem" in json.dumps(r.body) for r in server.requests)
    assert code in (0, 1)


def test_auto_takes_the_drafter_to_its_sketch_stage(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    code, out, err = invoke(
        "prove",
        FALSE,
        "--strategy",
        "auto",
        "--drafter",
        "openai:fake",
        "--base-url",
        server.base_url,
        "--budget",
        "wall=20,expansions=4",
        "--json",
    )
    assert code == 1, err  # not refused (2): it ran, and the statement is false
    report = json.loads(out)
    config = run_config(standin_env, report["run_id"])
    assert config["sketch"]["drafter"] == "openai:fake"
    assert server.requests, "the sketch stage never asked the drafter"


def test_eval_set_model_is_made_with_the_base_url(
    standin_env: Path, tmp_path: Path, server: FakeOpenAIServer
) -> None:
    path = tmp_path / "set.jsonl"
    row = {"name": "f", "split": "test", "header": "", "formal_statement": FALSE}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    _, _, err = invoke(
        "eval",
        "--from-file",
        str(path),
        "--strategy",
        "repair",
        "--set",
        "model=openai:fake",
        "--base-url",
        server.base_url,
        "--budget",
        "wall=20",
    )
    assert "Traceback" not in err
    assert any("Prove this theorem" in json.dumps(r.body) for r in server.requests), err


def test_a_resumed_run_counts_from_what_it_had_done(standin_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    rows = [
        {"name": f"p{i}", "split": "test", "header": "", "formal_statement": statement}
        for i, statement in enumerate(
            [f"theorem p{i} (x : ℕ) (h : x = {i}) : x + 2 = {i + 2} := by" for i in range(3)]
        )
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    starts: list[EvalStart] = []

    def stop_after_one(result: object) -> None:
        raise KeyboardInterrupt  # as Ctrl-C after the first result

    with Workbench() as wb, pytest.raises(KeyboardInterrupt):
        wb.evaluate(
            from_file=path, strategy="bfs", on_start=starts.append, on_result=stop_after_one
        )
    run_id = starts[0].run_id
    with Workbench() as wb:
        report = wb.evaluate(resume=run_id, on_start=starts.append)
    resumed = starts[1]
    assert (resumed.counts.total, resumed.counts.done) == (3, 1)
    assert resumed.todo == 2 and report.complete
    bar = LiveProgress(resumed.counts, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    assert bar.tally.done == 1 and bar._progress.tasks[0].completed == 1


def test_ctrl_c_in_eval_run_names_the_resume_command(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "set.jsonl"
    row = {"name": "f", "split": "test", "header": "", "formal_statement": FALSE}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("prover.eval.batch.execute", interrupted)
    code, _, err = invoke("eval", "run", "--from-file", str(path))
    with closing(sqlite3.connect(standin_env)) as conn:
        (run_id,) = conn.execute("SELECT max(id) FROM runs").fetchone()
    assert code == 130
    assert f"interrupted; finish with `leanwb eval run --resume {run_id}`" in err


def test_eval_compare_out_folder_writes_the_page_inside(standin_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    row = {"name": "f", "split": "test", "header": "", "formal_statement": FALSE}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    for _ in range(2):
        assert invoke("eval", "--from-file", str(path), "--budget", "wall=5")[0] == 0
    target = tmp_path / "cmp"
    code, _, err = invoke("eval", "compare", "1", "2", "--format", "html", "--out", f"{target}/")
    assert code == 0, err
    assert (target / "eval-compare-1-2.html").is_file()
    file = tmp_path / "one.html"
    assert invoke("eval", "compare", "1", "2", "--format", "html", "--out", str(file))[0] == 0
    assert file.is_file()


def test_graph_list_shows_theorem_and_verdict(standin_env: Path) -> None:
    assert invoke("prove", "theorem swap (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry")[0] == 0
    assert invoke("prove", FALSE, "--expansions", "3")[0] == 1
    code, out, _ = invoke("graph", "list")
    assert code == 0
    lines = out.splitlines()
    assert any("swap" in line and "proved" in line for line in lines), out
    assert any(" f " in f" {line} " and "failed" in line for line in lines), out
    with Store(standin_env) as store:
        first = store.runs()[0]
    assert (first.theorem, first.verdict, first.theorems) == ("swap", "proved", 1)


def test_doctor_does_not_start_a_repl_whose_toolchain_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_probe(*args: object) -> tuple[bool, str]:
        raise AssertionError("the REPL was started")

    monkeypatch.setattr(doctor, "probe_repl", no_probe)
    settings = load_settings(repl_cmd="lake env repl", db=tmp_path / "x.sqlite")
    missing = Finding("toolchain", False, True, "Lean is not installed")
    finding = doctor._repl(settings, True, 1.0, needs=(missing,))
    assert not finding.ok and "not started (toolchain missing)" in finding.detail


def test_check_all_checks_every_theorem_of_a_file(standin_env: Path, tmp_path: Path) -> None:
    source = tmp_path / "Two.lean"
    source.write_text(
        "theorem good (p : Prop) (hp : p) : p := by exact hp\n\n"
        "theorem bad (p q : Prop) (hp : p) : q := by exact hp\n",
        encoding="utf-8",
    )
    code, out, err = invoke("check", str(source), "--all", "--json")
    assert code == 1, err
    reports = json.loads(out)
    assert [(r["theorem"], r["verdict"]) for r in reports] == [
        ("good", "proved"),
        ("bad", "failed"),
    ]
    assert reports[1]["messages"][0]["line"] == 3  # placed in the file
    code, out, _ = invoke("check", str(source), "--all")
    assert out.startswith("proved good") and "failed bad" in out
    assert invoke("check", str(source), "--all", "--name", "good")[0] == 2


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-0", "0", "1e400"])
def test_non_finite_and_non_positive_budgets_are_refused(value: str, standin_env: Path) -> None:
    with pytest.raises(BudgetError, match="finite number above zero"):
        parse_budget(f"wall={value}")
    code, _, err = invoke("prove", FALSE, "--budget", f"wall={value}")
    assert code == 2 and "finite number above zero" in err
    code, _, err = invoke("prove", FALSE, "--time", value)
    assert code == 2 and "finite number above zero" in err
    code, _, err = invoke("eval", "--from-file", "x.jsonl", "--budget", f"lean_calls={value}")
    assert code == 2 and "finite number above zero" in err
    assert not standin_env.exists()  # refused before anything was recorded


def test_one_budget_syntax_with_shorthands() -> None:
    limits = parse_budget("wall=60,lean_calls=200,tokens=none,expansions=64,tactic_timeout=10s")
    assert (limits.wall_s, limits.lean_calls, limits.tokens, limits.expansions) == (
        60.0,
        200,
        None,
        64,
    )
    assert limits.tactic_timeout_s == 10.0
    with pytest.raises(BudgetError, match="whole number"):
        parse_budget("expansions=2.5")


def test_version_prints_the_package_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and out.strip() == f"leanwb {prover.__version__}"


def test_help_lists_every_command_and_imports_none(tmp_path: Path) -> None:
    code = (
        "import sys\nsys.argv = ['leanwb', '--help']\nfrom prover.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.endswith('_cmd') or m.startswith("
        "('sqlalchemy', 'numpy', 'prover.api', 'prover.graph'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    *help_lines, loaded = done.stdout.strip().splitlines()
    assert loaded == "[]"
    listed = {line.split()[0] for line in help_lines if line.startswith("  ") and line.split()}
    assert set(COMMANDS) <= listed
