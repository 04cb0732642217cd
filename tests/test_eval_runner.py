"""`leanwb eval` end to end on the stand-in REPL: parallel workers, SIGKILL, Ctrl-C and
resume, Ray local mode and unreachable clusters, statement errors, bad input."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prover.budget import Limits
from prover.cli import app
from prover.config import load_settings
from prover.eval.batch import DatasetChoice, RunPlan, execute, finish_if_complete, start_run
from prover.eval.datasets import load_jsonl
from prover.eval.results import ProblemOutcome, final_results, run_counts
from prover.graph.store import Store
from prover.session import SessionOptions

PROVABLE = {
    "mathd_algebra_add": "theorem mathd_algebra_add (x : ℕ) (h : x = 3) : x + 2 = 5 := by\n",
    "induction_conj": "theorem induction_conj (p q : Prop) (hp : p) (hq : q) : p ∧ q :=",
}
FALSE = {
    f"amc_false{i}": f"theorem amc_false{i} (x : ℕ) : x + {i + 1} = x := by sorry" for i in range(4)
}
BROKEN = {"imo_broken": "theorem imo_broken : no_such_constant = 0 := by\n"}


def write_problems(path: Path, statements: dict[str, str]) -> Path:
    rows = [
        {"name": name, "split": "test", "header": "", "formal_statement": statement}
        for name, statement in statements.items()
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def cli(*args: str) -> tuple[int, str]:
    """Exit code and output, with rich's line wrapping undone."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def report(run_id: int) -> dict:
    code, output = cli("eval", "report", str(run_id), "--format", "json")
    assert code == 0, output
    return json.loads(output)


def outcomes(payload: dict) -> dict[str, str]:
    return {p["key"]: p["outcome"] for p in payload["problems"]}


def latest_run(db: Path) -> int:
    with Store(db) as store:
        return max(r.id for r in store.runs())


def test_two_workers_run_to_the_end(standin_env: Path, tmp_path: Path) -> None:
    path = write_problems(tmp_path / "set.jsonl", {**PROVABLE, **FALSE, **BROKEN})
    code, output = cli(
        "eval",
        "--from-file",
        str(path),
        "--workers",
        "2",
        "--budget",
        "wall=1,tactic_timeout=5",
    )
    assert code == 0, output
    payload = report(latest_run(standin_env))
    assert outcomes(payload) == {
        **dict.fromkeys(PROVABLE, "proved"),
        **dict.fromkeys(FALSE, "failed"),
        "imo_broken": "statement_error",
    }
    assert payload["overall"]["judged"] == len(PROVABLE) + len(FALSE)
    assert payload["overall"]["pass_rate"] == pytest.approx(2 / 6)
    assert {p["worker"] for p in payload["problems"]} == {"w0", "w1"}
    assert payload["config"]["dataset"]["sha256"] == load_jsonl(path).sha256
    assert payload["config"]["lean"]["pin"].endswith("(custom REPL command)")
    assert payload["config"]["command"] == (
        f"leanwb eval --from-file {path} --strategy auto --budget wall=1,tactic_timeout=5 "
        "--workers 2"
    )
    broken = next(p for p in payload["problems"] if p["key"] == "imo_broken")
    assert broken["reason"] == "statement_error" and broken["detail"]


def test_sigkill_then_resume_finishes_each_problem_once(standin_env: Path, tmp_path: Path) -> None:
    problems = {**PROVABLE, **FALSE, **{f"amc_more{i}": s for i, s in enumerate(FALSE.values())}}
    path = write_problems(tmp_path / "set.jsonl", problems)
    command = [
        sys.executable,
        "-c",
        "from prover.cli import main; main()",
        "eval",
        "--from-file",
        str(path),
        "--workers",
        "2",
        "--set",
        'closers=["standin_slow 0.3"]',  # every problem spends 0.3 s in the REPL first
        "--budget",
        "wall=1.5,tactic_timeout=5",
    ]
    run = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while finished_results(standin_env) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the whole run: parent, workers and their REPLs
        run.wait()
    run_id = latest_run(standin_env)
    with Store(standin_env) as store:
        before = {r.key: r.attempt_id for r in final_results(store.engine, run_id)}
        assert 2 <= len(before) < len(problems), "the kill came too late to test resume"
        assert any(a.status == "running" for a in store.attempts_for_run(run_id))

    code, output = cli("eval", "--resume", str(run_id), "--workers", "2")
    assert code == 0, output

    with Store(standin_env) as store:
        finals = final_results(store.engine, run_id)
        attempts = store.attempts_for_run(run_id)
        ended = store.run(run_id).ended_at
    assert sorted(r.key for r in finals) == sorted(problems)  # no loss, no duplicate
    assert {r.key: r.attempt_id for r in finals if r.key in before} == before  # not redone
    assert not [a for a in attempts if a.status == "running"]
    final_attempts = {r.attempt_id for r in finals}
    for attempt in attempts:
        if attempt.status == "abandoned":
            assert attempt.id not in final_attempts
    assert Counter(a.theorem.name for a in attempts if a.id in final_attempts) == Counter(
        list(problems)
    )
    assert ended is not None


def finished_results(db: Path) -> int:
    """Final results so far, read without opening (and so migrating) the store."""
    if not db.exists():
        return 0
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        try:
            return conn.execute(
                "SELECT count(*) FROM eval_problems WHERE status = 'final'"
            ).fetchone()[0]
        except sqlite3.OperationalError:  # the run has not created its tables yet
            return 0


def test_resume_refuses_new_settings_and_unknown_runs(standin_env: Path, tmp_path: Path) -> None:
    path = write_problems(tmp_path / "set.jsonl", PROVABLE)
    code, output = cli("eval", "--from-file", str(path), "--strategy", "bfs")
    assert code == 0, output
    run_id = latest_run(standin_env)
    code, output = cli("eval", "--resume", str(run_id), "--strategy", "mps")
    assert code == 2 and "drop --strategy" in output
    code, output = cli("eval", "--resume", "999")
    assert code == 2 and "no run 999" in output
    assert "--resume 999`" not in output  # no advice to resume a run that does not exist
    code, output = cli("eval", "--resume", str(run_id))
    assert code == 0, output  # nothing left to do
    assert "1 worker(s)" in output
    assert run_counts_for(standin_env, run_id) == (2, 2)
    code, output = cli("eval", "--resume", str(run_id), "--workers", "3")
    assert code == 0 and "3 worker(s)" in output, output
    assert report(run_id)["config"]["workers"] == 3  # an explicit count is recorded


def test_ctrl_c_stops_quietly_and_resume_finishes_with_the_recorded_workers(
    standin_env: Path, tmp_path: Path
) -> None:
    # Every problem spends 0.4 s in the REPL (the first closer), then search proves it.
    problems = {
        f"mathd_algebra_p{i}": f"theorem p{i} (x : ℕ) (h : x = {i}) : x + 2 = {i + 2} := by\n"
        for i in range(8)
    }
    path = write_problems(tmp_path / "set.jsonl", problems)
    command = [
        sys.executable,
        "-c",
        "from prover.cli import main; main()",
        "eval",
        "--from-file",
        str(path),
        "--workers",
        "2",
        "--set",
        'closers=["standin_slow 0.4"]',
        "--budget",
        "wall=5,tactic_timeout=5",
    ]
    run = subprocess.Popen(
        command,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while finished_results(standin_env) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    run_id = latest_run(standin_env)
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert f"interrupted; finish with `leanwb eval run --resume {run_id}`" in stderr
    assert 1 <= finished_results(standin_env) < len(problems), "Ctrl-C came too late to test"

    code, output = cli("eval", "--resume", str(run_id))
    assert code == 0, output
    assert "2 worker(s)" in output  # the run's own count, not the option's default
    payload = report(run_id)
    assert payload["config"]["workers"] == 2
    assert sorted(outcomes(payload)) == sorted(problems)  # one final result per problem
    assert set(outcomes(payload).values()) == {"proved"}


def run_counts_for(db: Path, run_id: int) -> tuple[int, int]:
    with Store(db) as store:
        counts = run_counts(store.engine, run_id)
    return counts.total, counts.done


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-file", "{bad}"], ":2: not valid JSON"),
        (["--from-file", "{good}", "--budget", "walls=3"], "is not KEY=VALUE"),
        (["--from-file", "{good}", "--budget", "wall=soon"], "is not a number"),
        (["--from-file", "{good}", "--strategy", "magic"], "unknown strategy 'magic'"),
        (["nosuchset"], "no dataset named 'nosuchset'"),
        (["minif2f", "--cache-dir", "{empty}"], "leanwb datasets fetch minif2f"),
    ],
)
def test_bad_input_is_one_sentence(
    standin_env: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    good = write_problems(tmp_path / "good.jsonl", PROVABLE)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text(encoding="utf-8").splitlines()[0] + "\n{oops\n", "utf-8")
    paths = {"good": str(good), "bad": str(bad), "empty": str(tmp_path / "cache")}
    code, output = cli("eval", *(a.format(**paths) for a in args))
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_statements_written_for_another_lean_get_a_note(standin_env: Path, tmp_path: Path) -> None:
    path = write_problems(tmp_path / "set.jsonl", {"induction_conj": PROVABLE["induction_conj"]})
    code, output = cli("eval", "minif2f", "--from-file", str(path), "--strategy", "bfs")
    assert code == 0, output
    assert (
        "note: minif2f was written for Lean 4.9.0, this setup pins 4.24.0; statements written "
        "for another Mathlib may fail to elaborate and are reported as statement errors"
    ) in output
    code, output = cli("eval", "minif2f-v4.24", "--from-file", str(path), "--strategy", "bfs")
    assert code == 0, output
    assert "note:" not in output


def test_shared_minif2f_rows_run_and_statement_errors_stay_out_of_the_rate(
    standin_env: Path, shared_dir: Path
) -> None:
    path = shared_dir / "datasets" / "minif2f.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    code, output = cli(
        "eval",
        "minif2f",
        "--from-file",
        str(path),
        "--split",
        "test",
        "--limit",
        "3",
        "--strategy",
        "bfs",
        "--budget",
        "wall=2",
    )
    assert code == 0, output
    payload = report(latest_run(standin_env))
    # The stand-in knows only a sliver of Mathlib: rows it cannot elaborate are statement
    # errors, left out of the pass rate instead of counting as prover failures.
    assert len(payload["problems"]) == 3
    errors = [p for p in payload["problems"] if p["outcome"] == "statement_error"]
    assert all(p["detail"] and p["lean_calls"] == 1 for p in errors)
    overall = payload["overall"]
    assert overall["statement_errors"] == len(errors)
    assert overall["judged"] == 3 - len(errors)
    assert payload["overall"]["judged"] == 3 - len(errors)
    assert payload["config"]["dataset"]["written_for"].startswith("Lean 4.9.0")
    assert payload["config"]["dataset"]["matches_manifest"] is False  # the annotated copy
    assert payload["config"]["dataset"]["split"] == "test"


def test_unreachable_ray_fails_at_once_without_leaving_a_run(
    standin_env: Path, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    path = write_problems(tmp_path / "set.jsonl", PROVABLE)
    code, output = cli("eval", "--from-file", str(path), "--ray", f"127.0.0.1:{closed}")
    assert code == 2
    assert f"cannot reach Ray at 127.0.0.1:{closed}" in output
    assert "--resume" not in output and "Traceback" not in output
    with Store(standin_env) as store:
        assert store.runs() == []
    code, output = cli("eval", "--from-file", str(path), "--ray", "127.0.0.1:port")
    assert code == 2 and "is not HOST:PORT" in output


def test_ray_local_mode(standin_env: Path, tmp_path: Path) -> None:
    path = write_problems(tmp_path / "set.jsonl", {**PROVABLE, **BROKEN})
    settings = load_settings()
    plan = RunPlan("auto", SessionOptions(limits=Limits(wall_s=2.0)))
    choice = DatasetChoice("ray-test", load_jsonl(path), None, False, None)
    seen = []
    with Store(settings.db_path) as store:
        job, problems = start_run(store, settings, choice, plan, "test", workers=2)
        assert execute(job, problems, 2, seen.append, ray_address="local") == 3
        assert finish_if_complete(store, job.run_id)
        finals = final_results(store.engine, job.run_id)
    assert {r.key: r.outcome for r in finals} == {
        **dict.fromkeys(PROVABLE, ProblemOutcome.PROVED),
        "imo_broken": ProblemOutcome.STATEMENT_ERROR,
    }
    assert {r.worker for r in finals} <= {"ray0", "ray1"}
    assert sorted(r.key for r in seen) == sorted(r.key for r in finals)
