"""`leanwb eval` and `leanwb prove` when what they stand on fails: a dead, failing,
hanging or lying model server, a REPL that cannot start, a record the database
refuses, two resumes of one run at once (issue 14, items 2, 3, 4, 10 and 11)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from sqlalchemy import select
from test_eval_runner import FALSE, cli, latest_run, report, write_problems
from typer.testing import CliRunner

from prover.budget import Limits, Spent
from prover.cli import app
from prover.config import load_settings
from prover.eval import solver as solver_module
from prover.eval.batch import DatasetChoice, RunPlan, start_run
from prover.eval.datasets import load_jsonl
from prover.eval.results import (
    ProblemResult,
    claim_owner,
    claim_problem,
    commit_result,
    final_results,
    release_stale_claims,
)
from prover.eval.solver import ProblemSolver
from prover.graph.models import Event
from prover.graph.store import SQLITE_MAX_INT, Store, storable_spent
from prover.session import SessionOptions

KEY = "sk-eval-secret-51c0de"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def runs_in(db: Path) -> int:
    if not db.exists():
        return 0
    with Store(db) as store:
        return len(store.runs())


def test_a_dead_server_is_refused_before_anything_is_recorded(
    standin_env: Path, tmp_path: Path
) -> None:
    path = write_problems(tmp_path / "set.jsonl", FALSE)
    dead = f"http://127.0.0.1:{free_port()}/v1"
    code, output = cli(
        "eval", "--from-file", str(path), "--generator", "openai:m", "--base-url", dead
    )
    assert code == 2, output
    assert "model server for openai:m does not work" in output and "cannot connect" in output
    assert "Traceback" not in output
    assert runs_in(standin_env) == 0


def test_a_base_url_with_a_key_in_it_is_refused_and_the_key_never_shown(
    standin_env: Path, tmp_path: Path, server: FakeOpenAIServer
) -> None:
    path = write_problems(tmp_path / "set.jsonl", FALSE)
    url = server.base_url.replace("http://", f"http://user:{KEY}@")
    code, output = cli(
        "eval", "--from-file", str(path), "--generator", "openai:m", "--base-url", url
    )
    assert code == 2 and "--api-key" in output, output
    assert KEY not in output
    assert runs_in(standin_env) == 0 and server.requests == []


def test_a_server_that_fails_mid_run_stops_it_and_resume_redoes_those_problems(
    standin_env: Path, tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEANWB_API_KEY", KEY)
    path = write_problems(tmp_path / "set.jsonl", FALSE)  # four problems nobody can prove
    server.enqueue(Reply(texts=("OK",)))  # the preflight request succeeds...
    server.default = Reply(status=401, error="key {key} is not valid")  # ...then nothing does
    args = ["--strategy", "bfs", "--generator", "openai:m", "--base-url", server.base_url]
    code, output = cli(
        "eval", "--from-file", str(path), *args, "--stop-after-failures", "2",
        "--budget", "wall=20,tactic_timeout=5",
    )  # fmt: skip
    run_id = latest_run(standin_env)
    assert code == 2, output
    assert "stopped after 2 infrastructure failures in a row" in output
    assert f"--resume {run_id}" in output
    assert KEY not in output and "key *** is not valid" in output
    payload = report(run_id)
    assert payload["overall"]["infrastructure_failures"] == 2
    assert payload["overall"]["judged"] == 0 and payload["overall"]["pass_rate"] is None
    assert payload["infrastructure_failures"] == {"generator_error": 2}
    assert payload["failure_reasons"] == {}
    assert "failed for the infrastructure's sake (generator_error)" in payload["headline"]
    assert KEY not in json.dumps(payload)

    server.default = Reply(texts=("simp",))  # the server is fixed
    code, output = cli("eval", "--resume", str(run_id))
    assert code == 0, output
    payload = report(run_id)
    assert payload["overall"]["infrastructure_failures"] == 0
    assert payload["overall"]["judged"] == len(FALSE)
    assert payload["pending"] == 0
    with Store(standin_env) as store:
        database = "\n".join(
            f"{a.detail} {a.reason}" for a in store.attempts_for_run(run_id)
        ) + json.dumps(store.run(run_id).config)
    assert KEY not in database


def test_absurd_token_counts_fail_one_problem_not_the_run(
    standin_env: Path, tmp_path: Path, server: FakeOpenAIServer
) -> None:
    path = write_problems(tmp_path / "set.jsonl", dict(list(FALSE.items())[:2]))
    server.enqueue(Reply(texts=("OK",)))
    absurd = {"usage": {"prompt_tokens": 3, "completion_tokens": 1e308}}
    server.default = Reply(texts=("simp",), fields=absurd)
    args = ["--strategy", "bfs", "--generator", "openai:m", "--base-url", server.base_url]
    code, output = cli("eval", "--from-file", str(path), *args, "--budget", "wall=20")
    assert code == 0, output
    payload = report(latest_run(standin_env))
    assert payload["pending"] == 0
    assert {p["reason"] for p in payload["problems"]} == {"generator_error"}
    assert all("usage.completion_tokens" in p["detail"] for p in payload["problems"])


def test_counts_beyond_sqlite_are_clamped_when_stored(store: Store) -> None:
    spent = Spent(tokens_out=10**400, tokens_in=-5, wall_s=float("inf"), lean_s=float("nan"))
    clamped = storable_spent(spent)
    assert (clamped.tokens_out, clamped.tokens_in) == (SQLITE_MAX_INT, 0)
    assert (clamped.wall_s, clamped.lean_s) == (0.0, 0.0)


def test_a_hanging_server_ends_the_attempt_on_time(
    standin_env: Path, server: FakeOpenAIServer
) -> None:
    server.default = Reply(texts=("simp",), delay_s=60)
    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        [
            "prove", "--json", "theorem t (x : ℕ) : x + 1 = x := by sorry", "--strategy", "bfs",
            "--generator", "openai:m", "--base-url", server.base_url, "--time", "2",
        ],
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.output, result.output
    out = json.loads(result.stdout)
    assert out["verdict"] == "failed" and out["reason"] == "generator_timeout", out
    assert elapsed < 6, elapsed


@pytest.mark.parametrize("choices", [["x"], {"a": 1}])
def test_prove_reports_a_malformed_reply_and_finishes_its_attempt(
    standin_env: Path, server: FakeOpenAIServer, choices: Any
) -> None:
    server.default = Reply(texts=("simp",), fields={"choices": choices})
    result = CliRunner().invoke(
        app,
        [
            "prove", "--json", "theorem t (x : ℕ) : x + 1 = x := by sorry", "--strategy", "bfs",
            "--generator", "openai:m", "--base-url", server.base_url, "--time", "20",
        ],
    )  # fmt: skip
    assert "Traceback" not in result.output, result.output
    out = json.loads(result.stdout)
    assert (out["verdict"], out["reason"]) == ("failed", "generator_error")
    assert "malformed reply: `choices" in out["detail"]
    with Store(standin_env) as store:
        assert store.attempt(out["attempt_id"]).status == "done"


def test_a_repl_that_cannot_start_records_no_run_and_prints_no_traceback(
    standin_env: Path, tmp_path: Path
) -> None:
    path = write_problems(tmp_path / "set.jsonl", FALSE)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(
        [sys.executable, "-c", "from prover.cli import main; main()", "eval", "--from-file",
         str(path), "--repl-cmd", "/nonexistent/repl"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "cannot start the Lean REPL" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert runs_in(standin_env) == 0


def _plan() -> RunPlan:
    closers: dict[str, Any] = {"closers": ["standin_slow 0.3"]}
    limits = Limits(wall_s=1.0, tactic_timeout_s=5.0)
    return RunPlan("auto", SessionOptions(limits=limits), strategy_options=closers)


def test_two_resumes_at_once_do_each_problem_once(standin_env: Path, tmp_path: Path) -> None:
    problems = {
        f"amc_false{i}": f"theorem f{i} (x : ℕ) : x + {i + 1} = x := by sorry" for i in range(8)
    }
    path = write_problems(tmp_path / "set.jsonl", problems)
    settings = load_settings()
    choice = DatasetChoice("set", load_jsonl(path), None, False, None)
    with Store(standin_env) as store:
        job, _ = start_run(store, settings, choice, _plan(), "leanwb eval (test)", 1)
    command = [sys.executable, "-c", "from prover.cli import main; main()", "eval", "--resume"]
    both = [
        subprocess.Popen(
            [*command, str(job.run_id)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    to_do = 0
    for process in both:
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err.decode()
        to_do += int(re.search(r"(\d+) problem\(s\) to do", err.decode()).group(1))
    assert to_do > len(problems), "the two resumes did not overlap: nothing was raced"
    with Store(standin_env) as store:
        attempts = store.attempts_for_run(job.run_id)
        finals = final_results(store.engine, job.run_id)
        ended = store.run(job.run_id).ended_at
    assert sorted(r.key for r in finals) == sorted(problems)
    # one attempt per problem, whichever process made it
    assert Counter(a.theorem.name for a in attempts) == Counter(list(problems))
    assert ended is not None


def test_a_claim_is_taken_once_and_released_only_when_its_owner_is_gone(
    standin_env: Path, tmp_path: Path
) -> None:
    path = write_problems(tmp_path / "set.jsonl", dict(list(FALSE.items())[:2]))
    choice = DatasetChoice("set", load_jsonl(path), None, False, None)
    first, second = sorted(FALSE)[:2]
    with Store(standin_env) as store:
        job, _ = start_run(store, load_settings(), choice, _plan(), "leanwb eval (test)", 1)
        engine = store.engine
        me = claim_owner()
        assert claim_problem(engine, job.run_id, first, me)
        assert not claim_problem(engine, job.run_id, first, me)  # taken: by anyone
        assert claim_problem(engine, job.run_id, second, "elsewhere:1:0.000")
        assert release_stale_claims(engine, job.run_id) == 1  # only the dead owner's
        assert claim_problem(engine, job.run_id, second, me)
        solver = ProblemSolver(job, "w9")
        try:
            assert solver.solve(load_jsonl(path).problems[0]) is None  # claimed by `me`...
        finally:
            solver.close()
        result = final_results(engine, job.run_id)
        assert result == []
        assert not commit_result(engine, job.run_id, _any_result(first), "someone-else")


def _any_result(key: str) -> Any:
    from prover.eval.results import ProblemOutcome, ProblemResult

    return ProblemResult(key, "test", "amc", ProblemOutcome.FAILED, "x", "", None, Spent(), "w")


def test_a_record_the_database_refuses_gives_that_problem_an_internal_error(
    standin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_problems(tmp_path / "set.jsonl", dict(list(FALSE.items())[:2]))
    loaded = load_jsonl(path)
    choice = DatasetChoice("set", loaded, None, False, None)
    with Store(standin_env) as store:
        job, problems = start_run(store, load_settings(), choice, _plan(), "leanwb eval (t)", 1)
    solver = ProblemSolver(job, "w0")
    real = solver.store.finish_attempt
    calls: list[int] = []

    def finish_once_refused(attempt_id: int, verdict: Any, spent: Spent) -> None:
        calls.append(attempt_id)
        if len(calls) == 1:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        real(attempt_id, verdict, spent)

    monkeypatch.setattr(solver.store, "finish_attempt", finish_once_refused)
    try:
        first = solver.solve(problems[0])
        second = solver.solve(problems[1])
    finally:
        solver.close()
    assert first is not None and first.reason == "internal_error"
    assert "OverflowError" in first.detail
    assert second is not None and second.reason != "internal_error"
    with Store(standin_env) as store:
        statuses = {a.id: a.status for a in store.attempts_for_run(job.run_id)}
    assert statuses[first.attempt_id] == "done"  # not left `running`


def test_a_problems_table_from_before_claims_gains_their_columns(store: Store) -> None:
    from sqlalchemy import inspect

    from prover.eval.results import ensure_schema

    ensure_schema(store.engine)
    with store.engine.begin() as conn:
        for column in ("claimed_by", "claimed_at"):
            conn.exec_driver_sql(f"ALTER TABLE eval_problems DROP COLUMN {column}")
    ensure_schema(store.engine)
    with store.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("eval_problems")}
    assert {"claimed_by", "claimed_at"} <= columns


def _solve_with_model(server: FakeOpenAIServer, path: Path, standin_env: Path) -> ProblemResult:
    """One problem of a fresh run through `bfs` with the fake's model and a 2 s budget."""
    session = SessionOptions(
        generator="openai:m",
        base_url=server.base_url,
        limits=Limits(wall_s=2.0, tactic_timeout_s=5.0),
    )
    choice = DatasetChoice("set", load_jsonl(path), None, False, None)
    with Store(standin_env) as store:
        job, problems = start_run(
            store, load_settings(), choice, RunPlan("bfs", session), "leanwb eval (t)", 1
        )
    solver = ProblemSolver(job, "w0")
    try:
        result = solver.solve(problems[0])
    finally:
        solver.close()
    assert result is not None
    return result


def test_a_server_that_stops_answering_mid_run_is_an_infrastructure_failure(
    standin_env: Path, server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(solver_module, "RECHECK_PROBE_S", 1.0)
    path = write_problems(tmp_path / "set.jsonl", dict(list(FALSE.items())[:1]))
    server.enqueue(Reply(texts=("OK",)))  # the run's pre-flight probe is answered...
    server.default = Reply(texts=("simp",), delay_s=30)  # ...then the server hangs
    result = _solve_with_model(server, path, standin_env)
    assert (result.reason, result.infrastructure_failure) == ("generator_error", True)
    assert "ran out of the attempt's time" in result.detail and "does not work" in result.detail
    with Store(standin_env) as store, store.engine.connect() as conn:
        kinds = set(conn.execute(select(Event.kind).where(Event.attempt_id == result.attempt_id)))
    assert ("generator_down",) in kinds


def test_a_model_too_slow_for_the_budget_stays_the_provers_failure(
    standin_env: Path, server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(solver_module, "RECHECK_PROBE_S", 1.0)
    path = write_problems(tmp_path / "set.jsonl", dict(list(FALSE.items())[:1]))
    server.on("Reply with OK", "OK")  # the server answers a short request at once...
    server.default = Reply(texts=("simp",), delay_s=30)  # ...but not the prover's
    result = _solve_with_model(server, path, standin_env)
    assert (result.reason, result.infrastructure_failure) == ("generator_timeout", False)
