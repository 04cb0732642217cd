"""`leanwb setup` and `leanwb doctor`, run as the real command line.

This machine has no Lean: doctor must say so and how to fix it; setup must stop
with one sentence when it cannot download elan. A fake `lake` (a Python script
put on PATH) stands in for Lake to check the order and argv of setup's steps; its
`lake env REPL` starts the stand-in REPL, so the `doctor --deep` that ends setup runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from prover.config import PROJECT_TEMPLATE_DIR
from prover.lean.template import template_files

REPO_ROOT = Path(__file__).resolve().parent.parent
STANDIN = REPO_ROOT / "tests" / "standin" / "repl.py"
CLI = (sys.executable, "-c", "from prover.cli import main; main()")


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=env, timeout=120, cwd=REPO_ROOT
    )


@pytest.fixture
def no_lean_env(tmp_path: Path) -> dict[str, str]:
    """An environment where no elan/lake can be found and nothing is configured."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LEANWB_") and k not in ("ELAN_HOME", "COLUMNS")
    }
    system_bins = [p for p in ("/usr/local/bin", "/usr/bin", "/bin") if Path(p).is_dir()]
    env["PATH"] = os.pathsep.join(system_bins)
    env["ELAN_HOME"] = str(tmp_path / "elan-home")
    env["HOME"] = str(tmp_path / "home")
    env["LEANWB_DB"] = str(tmp_path / "db" / "leanwb.sqlite")
    env["LEANWB_CONFIG"] = ""
    env["COLUMNS"] = "400"  # one sentence stays on one line
    for tool in ("lake", "elan"):
        assert shutil.which(tool, path=env["PATH"]) is None, f"{tool} is installed here"
    return env


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_doctor_says_lean_is_missing_and_how_to_get_it(no_lean_env: dict[str, str]) -> None:
    result = run_cli("doctor", env=no_lean_env)
    assert result.returncode == 1, result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    assert "Lean is not installed" in text
    assert "run `leanwb setup`" in text
    assert "not ready to prove" in text
    assert "Traceback" not in result.stderr


def test_doctor_json_names_each_missing_piece(no_lean_env: dict[str, str]) -> None:
    result = run_cli("doctor", "--json", env=no_lean_env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ready"] is False
    assert set(checks) == {"toolchain", "mathlib", "repl", "python", "models", "database"}
    for name in ("toolchain", "mathlib", "repl"):
        assert checks[name]["ok"] is False and checks[name]["required"] is True
        assert "leanwb setup" in checks[name]["fix"]
    assert "neither `elan` nor `lake`" in checks["toolchain"]["detail"]
    assert checks["python"]["ok"] is True
    assert checks["database"]["ok"] is True


def test_doctor_with_the_standin_repl_reports_the_protocol(
    no_lean_env: dict[str, str], standin_cmd: str
) -> None:
    result = run_cli("doctor", "--json", "--repl-cmd", standin_cmd, env=no_lean_env)
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["repl"]["ok"] is True, checks["repl"]
    assert "speaks the REPL protocol" in checks["repl"]["detail"]
    assert re.search(r"header `import Mathlib` took \d+\.\d s", checks["repl"]["detail"])
    assert "header_timeout_s = 900 s" in checks["repl"]["detail"]
    assert checks["mathlib"]["required"] is False
    assert "not required" in checks["mathlib"]["detail"]
    assert checks["toolchain"]["required"] is False
    assert report["ready"] is True
    assert result.returncode == 0


def test_doctor_rejects_a_command_that_is_not_a_repl(no_lean_env: dict[str, str]) -> None:
    not_a_repl = f"{sys.executable} -c \"print('hello')\""
    result = run_cli("doctor", "--json", "--repl-cmd", not_a_repl, env=no_lean_env)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["repl"]["ok"] is False
    assert "did not answer" in checks["repl"]["detail"]
    assert result.returncode == 1


def test_doctor_reports_a_repl_command_that_cannot_start(no_lean_env: dict[str, str]) -> None:
    result = run_cli("doctor", "--json", "--repl-cmd", "/nonexistent/repl", env=no_lean_env)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["repl"]["ok"] is False
    assert "cannot start" in checks["repl"]["detail"]


def test_setup_without_network_stops_with_one_sentence(no_lean_env: dict[str, str]) -> None:
    env = {
        **no_lean_env,
        "LEANWB_ELAN_INSTALLER_URL": f"http://127.0.0.1:{closed_port()}/elan-init.sh",
    }
    result = run_cli("setup", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert error.count("\n") == 0, error
    assert error.startswith("error: could not download the elan installer from http://127.0.0.1:")
    assert "check the network connection" in error
    assert not Path(env["ELAN_HOME"]).exists(), "nothing may be installed"


FAKE_LAKE = """\
import os, sys
from pathlib import Path
if sys.argv[1:2] == ["env"]:  # `lake env REPL`: the stand-in answers in the REPL's place
    os.execv(sys.executable, [sys.executable, os.environ["FAKE_LAKE_REPL"]])
with open(os.environ["FAKE_LAKE_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
print("fake lake:", *sys.argv[1:], flush=True)
if sys.argv[1:] == os.environ.get("FAKE_LAKE_FAIL", "").split():
    print("curl: (6) Could not resolve host: lakecache.blob.core.windows.net")
    sys.exit(1)
if sys.argv[1:] == ["exe", "cache", "get"]:
    olean = Path(".lake/packages/mathlib/.lake/build/lib/lean/Mathlib.olean")
    olean.parent.mkdir(parents=True, exist_ok=True)
    olean.write_text("")
if sys.argv[1:] == ["build", "repl"]:
    binary = Path(".lake/packages/REPL/.lake/build/bin/repl")
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_text("")
"""


@pytest.fixture
def fake_lake_env(no_lean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lake = bin_dir / "lake"
    lake.write_text(f"#!{sys.executable}\n{FAKE_LAKE}")
    lake.chmod(lake.stat().st_mode | stat.S_IEXEC)
    return {
        **no_lean_env,
        "PATH": f"{bin_dir}{os.pathsep}{no_lean_env['PATH']}",
        "LEANWB_LEAN_PROJECT": str(tmp_path / "lean_project"),  # setup writes it
        "LEANWB_DATASETS_CACHE": str(tmp_path / "datasets"),
        "FAKE_LAKE_LOG": str(tmp_path / "lake.log"),
        "FAKE_LAKE_REPL": str(STANDIN),
    }


def test_setup_writes_the_project_runs_lake_steps_then_the_deep_check(
    fake_lake_env: dict[str, str],
) -> None:
    result = run_cli("setup", env=fake_lake_env)
    assert result.returncode == 0, result.stdout + result.stderr
    project = Path(fake_lake_env["LEANWB_LEAN_PROJECT"])
    for relative in template_files():
        assert (project / relative).read_bytes() == (PROJECT_TEMPLATE_DIR / relative).read_bytes()
    calls = Path(fake_lake_env["FAKE_LAKE_LOG"]).read_text().splitlines()
    # The REPL's commit is committed in lake-manifest.json: nothing to resolve first.
    assert calls == ["exe cache get", "build repl", "build dump_corpus"]
    assert "[1/3]" in result.stdout
    assert "ready: REPL built at" in result.stdout
    text = " ".join(result.stdout.split())
    assert "leanwb doctor --deep" in text
    assert "11 of 11 deep checks passed" in text
    # A second run finds the project up to date and writes nothing.
    again = run_cli("setup", env=fake_lake_env)
    assert again.returncode == 0 and "from the package's template" not in again.stdout


def test_setup_only_warns_when_the_corpus_dumper_does_not_build(
    fake_lake_env: dict[str, str],
) -> None:
    env = {**fake_lake_env, "FAKE_LAKE_FAIL": "build dump_corpus"}
    result = run_cli("setup", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    assert "warning: building the corpus dumper failed (exit status 1)" in text
    assert "only `leanwb index dump-corpus` needs it" in text
    assert "ready: REPL built at" in text


def test_setup_refuses_a_folder_holding_another_lake_project(
    fake_lake_env: dict[str, str], tmp_path: Path
) -> None:
    other = tmp_path / "theirs"
    other.mkdir()
    (other / "lakefile.toml").write_text('name = "Theirs"\n')
    result = run_cli("setup", "--project", str(other), env=fake_lake_env)
    assert result.returncode == 2
    error = result.stderr.strip()
    assert error.count("\n") == 0, error
    assert "already holds the Lake project 'Theirs'" in error
    assert (other / "lakefile.toml").read_text() == 'name = "Theirs"\n'
    assert not Path(fake_lake_env["FAKE_LAKE_LOG"]).exists(), "no step may run"


def test_doctor_deep_says_lean_is_missing(no_lean_env: dict[str, str]) -> None:
    result = run_cli("doctor", "--deep", env=no_lean_env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    text = " ".join(result.stdout.split())
    assert "Lean is not installed" in text
    assert "deep checks not run: Lean is missing" in text
    payload = json.loads(run_cli("doctor", "--deep", "--json", env=no_lean_env).stdout)
    assert payload["ready"] is False and payload["deep"] is None


def test_setup_step_failure_names_the_step_and_what_to_do(fake_lake_env: dict[str, str]) -> None:
    env = {**fake_lake_env, "FAKE_LAKE_FAIL": "exe cache get"}
    result = run_cli("setup", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert error.count("\n") == 0, error
    assert "fetching Mathlib's build cache failed (exit status 1)" in error
    assert "Could not resolve host" in error
    assert "rerun `leanwb setup`" in error
    calls = Path(env["FAKE_LAKE_LOG"]).read_text().splitlines()
    assert "build repl" not in calls, "setup must stop at the failed step"
