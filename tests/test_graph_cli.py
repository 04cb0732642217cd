"""`leanwb graph list | show | export`, and the whole loop: `leanwb prove` against the
stand-in REPL, then `leanwb graph export` of what it recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from synthetic_graphs import record_composite_proof, record_search_tree
from typer.testing import CliRunner

from prover.budget import Spent
from prover.cli import app as leanwb
from prover.graph.store import Store
from prover.types import Theorem, Verdict, VerdictKind

THEOREM = Theorem("close", "import Mathlib", "theorem close (a b : ℕ) : a ≤ b + 1 ∧ b ≤ a + 1")
MARKUP = Theorem("[red]oops[/red]", "", "theorem oops : True")
DATA_BLOCK = re.compile(r'<script type="application/json" id="graph-data">(.*?)</script>', re.S)


@pytest.fixture
def app() -> typer.Typer:
    return leanwb  # the real command line: its one handler turns errors into a sentence


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with one run: a composite proof, a search tree, and an odd name."""
    path = tmp_path / "leanwb.sqlite"
    monkeypatch.setenv("LEANWB_DB", str(path))
    monkeypatch.delenv("LEANWB_CONFIG", raising=False)
    with Store(path) as store:
        run_id = store.begin_run("leanwb prove close.lean", {"strategy": "auto"})
        record_composite_proof(store, run_id, THEOREM)
        rec = store.begin_attempt(run_id, MARKUP, "bfs")
        record_search_tree(rec, MARKUP, 40, seed=2)
        store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "budget"), Spent())
        store.end_run(run_id)
    return path


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["graph", *args], env={"COLUMNS": "160"})
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_runs_then_attempts(app: typer.Typer, db: Path) -> None:
    code, out, _ = run(app, "list")
    assert code == 0 and "leanwb prove close.lean" in out and re.search(r"│\s+1 │ prove", out)
    code, out, _ = run(app, "list", "--run", "1")
    assert code == 0
    assert re.search(r"│\s+1 │ close\s+│ auto\s+│ proved", out)
    assert "[red]oops[/red]" in out  # names are text, not markup
    code, out, _ = run(app, "list", "--run", "1", "--json")
    rows = json.loads(out)
    assert [(r["theorem"], r["verdict"], r["spent"]["lean_calls"]) for r in rows] == [
        ("close", "proved", 9),
        ("[red]oops[/red]", "failed", 0),
    ]


def test_show_prints_the_tree_with_the_proof_path_marked(app: typer.Typer, db: Path) -> None:
    code, out, _ = run(app, "show", "1")
    assert code == 0
    assert out.splitlines()[0].startswith("close  proved")
    starred = [line for line in out.splitlines() if "★" in line]
    # The ten steps of the proof path; the recombination is listed under each of its inputs.
    assert len(starred) == 12 and sum("★ recombine" in line for line in starred) == 3
    assert "✗ 1 tried without a result: linarith" in out
    assert "↺ #4 (shown elsewhere)" in out  # the loop back to the first hole
    code, out, _ = run(app, "show", "2", "--path-only")
    assert code == 0 and "[red]oops[/red]" in out
    assert "tried without a result" not in out
    code, full, _ = run(app, "show", "2", "--max-nodes", "5")
    assert "… more" in full


def test_export_writes_a_page_or_a_site(app: typer.Typer, db: Path, tmp_path: Path) -> None:
    code, out, _ = run(app, "export", "1", "-o", str(tmp_path / "proof.html"))
    assert code == 0 and "proof.html" in out
    page = (tmp_path / "proof.html").read_text()
    data = json.loads(DATA_BLOCK.findall(page)[0])
    assert data["summary"]["attempt"]["verdict"] == "proved" and len(data["path"]["edges"]) == 10
    folder = tmp_path / "pages"
    folder.mkdir()
    code, _, _ = run(app, "export", "2", "-o", str(folder))
    assert code == 0 and (folder / "attempt-2.html").is_file()
    code, out, _ = run(app, "export", "--run", "1", "-o", str(tmp_path / "site"))
    assert code == 0 and "index.html" in out
    assert {p.name for p in (tmp_path / "site").iterdir()} == {
        "index.html",
        "attempt-1.html",
        "attempt-2.html",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "99"), "there is no attempt 99"),
        (("list", "--run", "7"), "there is no run 7"),
        (("export", "42"), "there is no attempt 42"),
        (("export", "--run", "7"), "there is no run 7"),
        (("export",), "give either an ATTEMPT id or --run R"),
        (("export", "1", "--run", "1"), "give either an ATTEMPT id or --run R"),
    ],
)
def test_bad_ids_are_one_sentence_and_exit_2(
    app: typer.Typer, db: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(app, *args)
    assert code == 2
    assert message in " ".join(err.split()) and "Traceback" not in err + out


def test_a_missing_database_is_reported_not_created(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nothing-here.sqlite"
    monkeypatch.setenv("LEANWB_DB", str(tmp_path / "other.sqlite"))
    code, _, err = run(app, "list", "--db", str(missing))
    assert code == 2 and "there is no database at" in err and "nothing-here.sqlite" in err
    assert not missing.exists() and not (tmp_path / "other.sqlite").exists()


def test_an_unusable_database_is_reported(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not sqlite at all " * 200)
    code, _, err = run(app, "list", "--db", str(bad))
    assert code == 2 and "not a usable leanwb database" in " ".join(err.split())


def test_prove_then_export_records_a_connected_proof(standin_env: Path, tmp_path: Path) -> None:
    theorem = "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"
    proved = CliRunner().invoke(leanwb, ["prove", theorem])
    assert proved.exit_code == 0, proved.output
    exported = CliRunner().invoke(leanwb, ["graph", "export", "1", "-o", str(tmp_path / "t.html")])
    assert exported.exit_code == 0, exported.output
    data = json.loads(DATA_BLOCK.findall((tmp_path / "t.html").read_text())[0])
    assert data["summary"]["attempt"]["verdict"] == "proved"
    nodes = {n["id"]: n for n in data["nodes"]}
    edges = {e["id"]: e for e in data["edges"]}
    path = data["path"]
    assert nodes[path["nodes"][0]]["k"] == "statement"
    assert (
        nodes[path["nodes"][-1]]["k"] == "proof_text" and nodes[path["nodes"][-1]]["s"] == "solved"
    )
    assert [edges[e]["k"] for e in path["edges"]][-1] == "verify"
    for edge in edges.values():  # every step says who took it and what Lean made of it
        assert edge["st"]
        assert edge.get("ls") or edge["k"] not in ("tactic", "verify")
