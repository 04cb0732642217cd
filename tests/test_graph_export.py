"""Offline HTML export: one self-contained page per attempt, a site per run, and every
untrusted string kept as text."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from synthetic_graphs import record_composite_proof

from prover.budget import Spent
from prover.graph.export import (
    attempt_page_name,
    export_attempt_html,
    export_run_site,
    graph_data,
    script_json,
)
from prover.graph.queries import load_graph
from prover.graph.store import Store, StoreError
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.types import (
    Message,
    Position,
    Premise,
    Provenance,
    Severity,
    Theorem,
    Verdict,
    VerdictKind,
)

EVIL_NAME = "<script>alert(1)</script>"
EVIL_TACTIC = "simp [foo] </script><script>alert(2)</script>"
EVIL_PREMISE = "<img src=x onerror=alert(3)>"
DATA_BLOCK = re.compile(
    r'<script type="application/json" id="graph-data">(.*?)</script>', re.DOTALL
)


def record_hostile(store: Store, run_id: int) -> int:
    """An attempt where every string a model, Lean or a dataset controls is hostile."""
    theorem = Theorem(
        EVIL_NAME,
        "import Mathlib -- </script><!--",
        f"theorem evil : True -- {EVIL_NAME} & \u2028 \u2029",
        source="<b>dataset</b>",
    )
    rec = store.begin_attempt(run_id, theorem, "bfs")
    root = rec.node(NodeKind.STATEMENT, theorem.statement, key="statement")
    goal = "h : a < b && b > c\n⊢ </script><script>alert(4)</script>"
    state = rec.node(NodeKind.PROOF_STATE, goal, goals=[goal], meta={"note": "</script><!--"})
    proposer = Provenance(
        "gen<img src=x onerror=alert(6)>",
        "model\u2028</script>",
        (("prompt</script>", "v & <b>"),),
        "</script>",
        (Premise(EVIL_PREMISE, "theorem p : </script>", "M<>"),),
    )
    error = Message(Severity.ERROR, Position(1, 2), None, "unexpected '</script>' & <div>")
    rec.edge(
        EdgeKind.TACTIC,
        [root],
        state,
        EVIL_TACTIC,
        strategy="bfs",
        proposer=proposer,
        score=-1.0,
        lean=LeanOutcome("open_goals", 3.0, (error,)),
    )
    rec.edge(EdgeKind.TACTIC, [state], None, "exact ⟨_, _⟩ </SCRIPT >", strategy="bfs")
    done = rec.node(NodeKind.PROOF_STATE, "no goals", status=NodeStatus.SOLVED)
    rec.edge(EdgeKind.TACTIC, [state], done, "trivial -- </script>", strategy="bfs")
    proof = "by\n  trivial -- </script>"
    checked = rec.node(NodeKind.PROOF_TEXT, theorem.with_proof(proof), status=NodeStatus.SOLVED)
    rec.edge(EdgeKind.VERIFY, [done], checked, "soundness gate", strategy="bfs")
    store.finish_attempt(
        rec.attempt_id, Verdict(VerdictKind.PROVED, proof=proof, axioms=("</script>",)), Spent()
    )
    return rec.attempt_id


def test_script_json_escapes_what_could_end_a_script() -> None:
    value = {"a": "</script><!-- & \u2028\u2029 <b>", "list": ["<", ">", "&"]}
    text = script_json(value)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value


def test_hostile_strings_stay_data(store: Store, tmp_path: Path) -> None:
    attempt_id = record_hostile(store, store.begin_run("prove", {}))
    page = export_attempt_html(store, attempt_id, tmp_path / "out" / "evil.html").read_text()
    assert len(re.findall(r"<script", page, re.IGNORECASE)) == 2  # the data block and ours
    assert len(re.findall(r"</script", page, re.IGNORECASE)) == 2
    for raw in (EVIL_NAME, EVIL_PREMISE, "alert(2)</script>", "<!--", "\u2028", "\u2029", "<div>"):
        assert raw not in page
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; — attempt" in page
    (block,) = DATA_BLOCK.findall(page)
    data = json.loads(block)
    assert data["summary"]["theorem"]["name"] == EVIL_NAME
    assert data["summary"]["theorem"]["source"] == "<b>dataset</b>"
    assert EVIL_TACTIC in [e["a"] for e in data["edges"]]
    assert data["premises"] == [[EVIL_PREMISE, "M<>", "theorem p : </script>"]]


def test_the_page_is_self_contained_and_admits_only_its_own_code(
    store: Store, tmp_path: Path
) -> None:
    attempt_id = record_composite_proof(store, store.begin_run("prove", {}), THEOREM)
    page = export_attempt_html(store, attempt_id, tmp_path / "p.html").read_text()
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "@import" not in page and "url(" not in page
    (csp,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)

    def digest(source: str) -> str:
        return base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()

    assert "default-src 'none'" in csp
    assert f"script-src 'sha256-{digest(script)}'" in csp
    assert f"style-src 'sha256-{digest(style)}'" in csp
    assert "unsafe-inline" not in csp


THEOREM = Theorem("close", "import Mathlib", "theorem close (a b : ℕ) : a ≤ b + 1 ∧ b ≤ a + 1")


def test_graph_data_carries_layout_path_and_provenance(store: Store) -> None:
    attempt_id = record_composite_proof(store, store.begin_run("prove", {}), THEOREM)
    graph = load_graph(store, attempt_id)
    data = graph_data(graph)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == set(graph.nodes)
    assert all("L" in n and "O" in n for n in nodes.values())
    assert data["path"]["nodes"][0] == graph.roots[0]
    assert all("b" in nodes[n] for n in data["path"]["nodes"][1:])  # each knows its route
    tactic = next(e for e in data["edges"] if e["k"] == "tactic" and e.get("pm"))
    who = data["proposers"][tactic["pr"]]
    assert who["model"] == "demo/tactic-model-1.3b" and who["settings"]["temperature"] == 0.8
    assert [data["premises"][i][0] for i, _, _ in tactic["pm"]] == [
        "Nat.add_comm",
        "Nat.succ_le_of_lt",
        "sq_nonneg",
    ]
    assert len(data["proposers"]) == 2  # repeated settings are sent once


def test_run_site_has_one_row_per_theorem_linking_existing_pages(
    store: Store, tmp_path: Path
) -> None:
    run_id = store.begin_run("leanwb eval minif2f", {})
    failed = store.begin_attempt(run_id, THEOREM, "bfs")
    store.finish_attempt(failed.attempt_id, Verdict(VerdictKind.FAILED, "budget"), Spent())
    proved = record_composite_proof(store, run_id, THEOREM)
    evil = record_hostile(store, run_id)
    index = export_run_site(store, run_id, tmp_path / "site")
    page = index.read_text()
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>.*?</tr>", body, re.DOTALL)
    assert len(rows) == 2
    assert EVIL_NAME not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    close_row = next(r for r in rows if ">close<" in r)
    assert f'href="{attempt_page_name(proved)}"' in close_row.split("</td>")[0]
    assert "proved" in close_row and f'href="{attempt_page_name(failed.attempt_id)}"' in close_row
    for attempt in (failed.attempt_id, proved, evil):
        assert (tmp_path / "site" / attempt_page_name(attempt)).is_file()
    assert "<strong>2</strong> of <strong>2</strong> theorems proved" in page


def test_unknown_ids_raise_store_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no attempt 5"):
        export_attempt_html(store, 5, tmp_path / "x.html")
    with pytest.raises(StoreError, match="no run 9"):
        export_run_site(store, 9, tmp_path / "site")
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "site").exists()
