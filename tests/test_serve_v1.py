"""`leanwb serve`'s own routes: `/v1/check` is `leanwb check --json` over HTTP, cached;
`/v1/attempts/{id}/graph` and `graph.html` are `leanwb graph show --json` and `export`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from serve_process import running_server
from typer.testing import CliRunner

from prover.cli import app as leanwb

STATEMENT = "theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q"
PROOFS = {
    "honest": "by\n  constructor\n  · omega\n  · exact hpq hp",
    "broken": "by\n  constructor\n  · omega\n  · exact hp",
    "sorry": "by\n  constructor\n  · omega\n  · sorry",
}


def cli_check(proof: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        leanwb, ["check", "--json", "--statement", STATEMENT, "--proof", proof]
    )
    return json.loads(result.stdout)


def test_v1_check_is_the_cli_json_and_is_cached(standin_env: Path, tmp_path: Path) -> None:
    log = tmp_path / "standin.log"
    with running_server(standin_env, env={"STANDIN_LOG": str(log)}) as (url, _):
        for kind, proof in PROOFS.items():
            body = {"statement": STATEMENT, "proof": proof}
            answer = httpx.post(f"{url}/v1/check", json=body, timeout=60)
            assert answer.status_code == 200
            assert answer.headers["x-leanwb-cache"] == "miss"
            assert answer.json() == cli_check(proof), kind
        verdicts = {
            kind: httpx.post(f"{url}/v1/check", json={"statement": STATEMENT, "proof": p}).json()[
                "verdict"
            ]
            for kind, p in PROOFS.items()
        }
        assert verdicts == {"honest": "proved", "broken": "failed", "sorry": "rejected"}
        sent = len(log.read_text().splitlines())
        again = httpx.post(
            f"{url}/v1/check", json={"statement": STATEMENT, "proof": PROOFS["honest"]}
        )
        assert again.headers["x-leanwb-cache"] == "hit"
        assert len(log.read_text().splitlines()) == sent
        bypass = {"statement": STATEMENT, "proof": PROOFS["honest"], "disable_cache": True}
        fresh = httpx.post(f"{url}/v1/check", json=bypass)
        assert fresh.headers["x-leanwb-cache"] == "miss"
        assert len(log.read_text().splitlines()) > sent
        assert fresh.json() == again.json()
        # The gate's options are part of the key.
        native = {"statement": STATEMENT, "proof": PROOFS["honest"], "allow_native_decide": True}
        assert httpx.post(f"{url}/v1/check", json=native).headers["x-leanwb-cache"] == "miss"


def test_v1_check_refuses_bad_texts_with_422(standin_env: Path) -> None:
    with running_server(standin_env) as (url, _):
        empty = httpx.post(f"{url}/v1/check", json={"statement": " ", "proof": "by simp"})
        assert empty.status_code == 422 and "--statement is empty" in empty.json()["detail"]
        extra = httpx.post(
            f"{url}/v1/check",
            json={"statement": "theorem t : True", "proof": "by trivial", "oops": 1},
        )
        assert extra.status_code == 422 and "oops" in extra.json()["detail"]


def test_the_cache_survives_a_restart(standin_env: Path, tmp_path: Path) -> None:
    log = tmp_path / "standin.log"
    body = {"statement": STATEMENT, "proof": PROOFS["honest"]}
    snippet = {"snippets": [{"id": "a", "code": f"{STATEMENT} := {PROOFS['honest']}"}]}
    with running_server(standin_env) as (url, process):
        first = httpx.post(f"{url}/v1/check", json=body).json()
        first_snippet = httpx.post(f"{url}/api/check", json=snippet).json()["results"][0]
        process.terminate()  # a clean stop writes what the cache still queues
        process.wait(timeout=20)
    with running_server(standin_env, env={"STANDIN_LOG": str(log)}) as (url, _):
        again = httpx.post(f"{url}/v1/check", json=body)
        again_snippet = httpx.post(f"{url}/api/check", json=snippet).json()["results"][0]
    assert again.headers["x-leanwb-cache"] == "hit" and again.json() == first
    assert again_snippet == {**first_snippet, "cached": True}
    assert not log.exists()  # the second server never started a REPL


def test_graph_routes_serve_a_recorded_attempt(standin_env: Path) -> None:
    theorem = "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"
    proved = CliRunner().invoke(leanwb, ["prove", theorem, "--json"])
    attempt = json.loads(proved.stdout)["attempt_id"]
    shown = CliRunner().invoke(leanwb, ["graph", "show", str(attempt), "--json"])
    with running_server(standin_env) as (url, _):
        graph = httpx.get(f"{url}/v1/attempts/{attempt}/graph")
        page = httpx.get(f"{url}/v1/attempts/{attempt}/graph.html")
        missing = httpx.get(f"{url}/v1/attempts/999/graph")
        not_a_number = httpx.get(f"{url}/v1/attempts/abc/graph")
    served, expected = graph.json(), json.loads(shown.stdout)
    assert served.pop("exported") >= expected.pop("exported")  # when each was made
    assert served == expected
    assert page.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in page.text and str(attempt) in page.text
    assert missing.status_code == 404 and "999" in missing.json()["detail"]
    assert not_a_number.status_code == 422


def poll(url: str, job: str, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = httpx.get(f"{url}/v1/jobs/{job}").json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job} did not finish: {state}")


def test_v1_prove_runs_a_recorded_job(standin_env: Path) -> None:
    theorem = "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"
    with running_server(standin_env) as (url, _):
        body = {"theorem": theorem, "strategy": "bfs", "budget": {"wall_s": 30}}
        submitted = httpx.post(f"{url}/v1/prove", json=body)
        assert submitted.status_code == 202
        assert submitted.json()["status"] in ("queued", "running")
        done = poll(url, submitted.json()["id"])
        assert done["status"] == "done", done
        assert done["result"]["verdict"] == "proved"
        attempt = done["attempt_id"]
        assert attempt == done["result"]["attempt_id"]
        graph = httpx.get(f"{url}/v1/attempts/{attempt}/graph").json()
        assert graph["summary"]["attempt"]["verdict"] == "proved"
        unknown = httpx.post(f"{url}/v1/prove", json={"theorem": theorem, "strategy": "nope"})
        assert unknown.status_code == 422 and "unknown strategy" in unknown.json()["detail"]
        no_theorem = httpx.post(f"{url}/v1/prove", json={"theorem": "hello"})
        assert no_theorem.status_code == 422
        assert httpx.get(f"{url}/v1/jobs/999").status_code == 404
