"""`leanwb serve` answers `kimina-client` 0.2.1 itself: statuses, the cache, the API key.

The client runs in its own Python >= 3.12 environment (`tests/kimina_env.py`) against a
real `leanwb serve --port 0` on the stand-in REPL; every request the stand-in receives is
logged ($STANDIN_LOG), so a cached answer is seen to cost no REPL request.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import TESTS_DIR
from kimina_env import kimina_python
from serve_process import running_server

SNIPPETS = [
    {"id": "valid", "code": "import Mathlib\n\ntheorem two : 1 + 1 = 2 := by norm_num"},
    {"id": "sorry", "code": "theorem s (p : Prop) (hp : p) : p := by\n  sorry"},
    {"id": "error", "code": "import Mathlib\ntheorem three : 1 + 1 = 3 := by norm_num"},
]


@pytest.fixture(scope="module")
def client_python() -> Path:
    return kimina_python()


def client_check(
    python: Path,
    url: str,
    snippets: list[dict[str, str]],
    key: str | None = None,
    *,
    use_async: bool = False,
) -> dict[str, Any]:
    script = [str(python), str(TESTS_DIR / "kimina_check.py"), *(["--async"] if use_async else [])]
    argv = [*script, url, json.dumps(snippets)]
    done = subprocess.run(
        [*argv, *([key] if key else [])], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def requests_logged(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


def test_kimina_client_gets_valid_sorry_and_error_then_cached(
    client_python: Path, tmp_path: Path
) -> None:
    log = tmp_path / "standin.log"
    with running_server(tmp_path / "db.sqlite", env={"STANDIN_LOG": str(log)}) as (url, _):
        first = client_check(client_python, url, SNIPPETS)
        assert first["statuses"] == {"valid": "valid", "sorry": "sorry", "error": "lean_error"}
        assert first["health"] == {"status": "ok"}
        by_id = {r["id"]: r for r in first["results"]}
        # Positions count the snippet's lines, header included (as Kimina's server does).
        error = by_id["error"]["response"]["messages"][0]
        assert error["severity"] == "error" and error["pos"]["line"] == 2
        sorry = by_id["sorry"]["response"]["sorries"][0]
        assert sorry["pos"]["line"] == 2 and "⊢ p" in sorry["goal"]
        sent = requests_logged(log)
        assert sent >= 3  # headers and bodies

        second = client_check(client_python, url, SNIPPETS)
        assert requests_logged(log) == sent  # no REPL request at all
        assert second["statuses"] == first["statuses"]
        assert second["results"] == first["results"]


def test_the_async_client_gets_the_same_answers_and_the_cache(
    client_python: Path, tmp_path: Path
) -> None:
    log = tmp_path / "standin.log"
    with running_server(tmp_path / "db.sqlite", env={"STANDIN_LOG": str(log)}) as (url, _):
        first = client_check(client_python, url, SNIPPETS, use_async=True)
        assert first["statuses"] == {"valid": "valid", "sorry": "sorry", "error": "lean_error"}
        sent = requests_logged(log)
        second = client_check(client_python, url, SNIPPETS, use_async=True)
        assert sent >= 3
        assert requests_logged(log) == sent  # answered from the cache
        assert second["results"] == first["results"]


def test_kimina_client_is_refused_without_the_key(client_python: Path, tmp_path: Path) -> None:
    key = "s3cret-key"
    log = tmp_path / "standin.log"
    env = {"LEANWB_SERVER_KEY": key, "STANDIN_LOG": str(log)}
    with running_server(tmp_path / "db.sqlite", env=env) as (url, _):
        refused = client_check(client_python, url, SNIPPETS[:1])
        assert refused["statuses"] == {"valid": "server_error"}
        assert (
            "401" in refused["results"][0]["error"] or "retries" in refused["results"][0]["error"]
        )
        assert requests_logged(log) == 0
        wrong = client_check(client_python, url, SNIPPETS[:1], key="not-the-key")
        assert wrong["statuses"] == {"valid": "server_error"}
        accepted = client_check(client_python, url, SNIPPETS[:1], key=key)
        assert accepted["statuses"] == {"valid": "valid"}


def test_verify_answers_the_older_route_in_the_clients_shape(
    client_python: Path, tmp_path: Path
) -> None:
    body = {
        "codes": [
            {"custom_id": "p", "proof": SNIPPETS[0]["code"]},
            {"custom_id": 7, "code": SNIPPETS[2]["code"]},
            {"custom_id": "host", "proof": "#eval 1"},
        ],
        "timeout": 60,
    }
    with running_server(tmp_path / "db.sqlite") as (url, _):
        argv = [str(client_python), str(TESTS_DIR / "kimina_check.py"), "--verify", url]
        done = subprocess.run(
            [*argv, json.dumps(body)], capture_output=True, text=True, timeout=120, check=True
        )
    results = {r["custom_id"]: r for r in json.loads(done.stdout)}
    assert set(results) == {"p", "7", "host"}
    assert results["p"]["response"]["env"] is not None and "time" in results["p"]["response"]
    assert results["7"]["response"]["messages"][0]["severity"] == "error"
    assert results["host"]["error"].startswith("refused by the soundness gate")
