"""`leanwb serve`'s guards, against a real server process on the stand-in REPL: the API key,
body limit, full pool, capped timeouts, malformed JSON, host code, and SIGTERM."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import psutil
from serve_process import running_server

SLOW = "theorem slow : True := by\n  standin_slow {s}\n  trivial"


def snippet(code: str, id: str = "s") -> dict[str, object]:
    return {"snippets": [{"id": id, "code": code}]}


def test_key_is_required_everywhere_but_health(tmp_path: Path) -> None:
    key = "k-123"
    with running_server(tmp_path / "db.sqlite", env={"LEANWB_SERVER_KEY": key}) as (url, _):
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
        body = snippet("theorem t : True := trivial")
        missing = httpx.post(f"{url}/api/check", json=body)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert "missing API key" in missing.json()["detail"]
        for wrong in ("Bearer k-12", "Bearer k-1234", "k-123", f"Basic {key}"):
            answer = httpx.post(f"{url}/api/check", json=body, headers={"Authorization": wrong})
            assert answer.status_code == 401, wrong
        for path in ("/v1/jobs/1", "/nowhere", "/openapi.json"):
            assert httpx.get(f"{url}{path}").status_code == 401
        good = httpx.post(f"{url}/api/check", json=body, headers={"Authorization": f"Bearer {key}"})
        assert good.status_code == 200
        assert "response" in good.json()["results"][0]


def test_bodies_over_the_limit_get_413(tmp_path: Path) -> None:
    with running_server(tmp_path / "db.sqlite", "--max-body", "1000") as (url, _):
        big = snippet("theorem t : True := trivial -- " + "x" * 2000)
        assert httpx.post(f"{url}/api/check", json=big).status_code == 413

        def chunks():  # no Content-Length: the limit counts what arrives
            for _ in range(5):
                yield b" " * 400

        streamed = httpx.post(f"{url}/api/check", content=chunks())
        assert streamed.status_code == 413
        small = httpx.post(f"{url}/api/check", json=snippet("theorem t : True := trivial"))
        assert small.status_code == 200


def test_malformed_requests_get_422_with_a_message(tmp_path: Path) -> None:
    with running_server(tmp_path / "db.sqlite") as (url, _):
        bad_json = httpx.post(
            f"{url}/api/check",
            content=b'{"snippets": [',
            headers={"content-type": "application/json"},
        )
        assert bad_json.status_code == 422
        assert "JSON" in bad_json.json()["detail"]
        assert "Traceback" not in bad_json.text
        no_snippets = httpx.post(f"{url}/api/check", json={"snippets": []})
        assert no_snippets.status_code == 422
        assert "non empty" in no_snippets.json()["detail"]
        twice = httpx.post(
            f"{url}/api/check",
            json={"snippets": [{"id": "a", "code": "x"}, {"id": "a", "code": "y"}]},
        )
        assert twice.status_code == 422 and "unique" in twice.json()["detail"]
        wrong_type = httpx.post(
            f"{url}/api/check", json={"snippets": [{"id": "a"}], "timeout": "x"}
        )
        assert wrong_type.status_code == 422
        assert "code" in wrong_type.json()["detail"] and "timeout" in wrong_type.json()["detail"]


def test_host_code_is_refused_without_reaching_lean(tmp_path: Path) -> None:
    log = tmp_path / "standin.log"
    with running_server(tmp_path / "db.sqlite", env={"STANDIN_LOG": str(log)}) as (url, _):
        codes = (
            '#eval IO.Process.run {cmd := "touch", args := #["/tmp/pwned"]}',
            'run_cmd Lean.logInfo "hi"',
            "@[command_elab foo] def f := 1",
            "unsafe def g : Nat := 1",
            # In the header line, which the pool sends to Lean as a command of its own.
            "import Mathlib #eval IO.println 1\ntheorem t : True := trivial",
            # A header opening a comment that the body closes: the body, as Lean gets it
            # (a separate command), runs the `#eval`.
            "import Mathlib /-\n#eval IO.println 1 -/",
        )
        for _ in range(2):  # a refusal is never cached: the second time is refused as well
            for code in codes:
                result = httpx.post(f"{url}/api/check", json=snippet(code)).json()["results"][0]
                assert result["error"].startswith("refused by the soundness gate"), code
                assert result["cached"] is False
        placed = httpx.post(f"{url}/api/check", json=snippet("import Mathlib\n\n#eval 1"))
        # The refusal names the line in the snippet, header included.
        assert "at line 3, column 0" in placed.json()["results"][0]["error"]
        assert not log.exists() or log.read_text() == ""


def test_a_full_pool_answers_429_with_retry_after(tmp_path: Path) -> None:
    args = ("--pool", "1", "--queue", "1")
    with running_server(tmp_path / "db.sqlite", *args) as (url, _):
        slow_answer: list[httpx.Response] = []
        worker = threading.Thread(
            target=lambda: slow_answer.append(
                httpx.post(f"{url}/api/check", json=snippet(SLOW.format(s=1.5)), timeout=30)
            )
        )
        worker.start()
        time.sleep(0.7)  # the slow check holds the only place
        full = httpx.post(f"{url}/api/check", json=snippet("theorem t : True := trivial"))
        worker.join()
        assert full.status_code == 429
        assert int(full.headers["retry-after"]) >= 1
        assert slow_answer[0].status_code == 200
        assert "response" in slow_answer[0].json()["results"][0]
        again = httpx.post(f"{url}/api/check", json=snippet("theorem t : True := trivial"))
        assert again.status_code == 200


def test_request_timeouts_are_capped_by_the_servers(tmp_path: Path) -> None:
    with running_server(tmp_path / "db.sqlite", "--timeout", "1") as (url, _):
        body = {**snippet(SLOW.format(s=4)), "timeout": 100}
        started = time.monotonic()
        result = httpx.post(f"{url}/api/check", json=body, timeout=30).json()["results"][0]
        assert time.monotonic() - started < 3.5
        assert result["error"] == "Lean REPL command timed out in 1 seconds"
        retried = httpx.post(f"{url}/api/check", json=body, timeout=30).json()["results"][0]
        assert retried.get("cached") is False  # a timeout is never cached


def test_sigterm_finishes_the_check_in_flight_and_reaps_the_repls(tmp_path: Path) -> None:
    with running_server(tmp_path / "db.sqlite") as (url, server):
        httpx.post(f"{url}/api/check", json=snippet("theorem t : True := trivial"))
        answers: list[httpx.Response] = []
        worker = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{url}/api/check", json=snippet(SLOW.format(s=1.5), "x"), timeout=30)
            )
        )
        worker.start()
        time.sleep(0.5)
        repls = psutil.Process(server.pid).children(recursive=True)
        assert repls
        server.send_signal(signal.SIGTERM)
        worker.join()
        # uvicorn shuts down, then re-raises the signal it caught: the conventional status.
        assert server.wait(timeout=20) in (0, -signal.SIGTERM)
        assert answers[0].status_code == 200
        assert "response" in answers[0].json()["results"][0]
        for repl in repls:
            assert not repl.is_running() or repl.status() == psutil.STATUS_ZOMBIE
