"""`leanwb setup` and `leanwb doctor`, run as the real command line.

This machine has no Lean: doctor must say so and how to fix it; setup must stop
with one sentence when it cannot download elan. A fake `lake` (a Python script
put on PATH) stands in for Lake to check the order and argv of setup's steps.
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

from prover.lean.setup import manifest_has

REPO_ROOT = Path(__file__).resolve().parent.parent
LEAN_PROJECT = REPO_ROOT / "lean_project"
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
with open(os.environ["FAKE_LAKE_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
print("fake lake:", *sys.argv[1:], flush=True)
if sys.argv[1:] == os.environ.get("FAKE_LAKE_FAIL", "").split():
    print("curl: (6) Could not resolve host: lakecache.blob.core.windows.net")
    sys.exit(1)
if sys.argv[1:] == ["build", "repl"]:
    binary = Path(".lake/packages/REPL/.lake/build/bin/repl")
    binary.parent.mkdir(parents=True)
    binary.write_text("")
"""


@pytest.fixture
def fake_lake_env(no_lean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lake = bin_dir / "lake"
    lake.write_text(f"#!{sys.executable}\n{FAKE_LAKE}")
    lake.chmod(lake.stat().st_mode | stat.S_IEXEC)
    project = tmp_path / "lean_project"
    project.mkdir()
    for name in ("lakefile.toml", "lean-toolchain", "lake-manifest.json"):
        shutil.copy(LEAN_PROJECT / name, project / name)
    return {
        **no_lean_env,
        "PATH": f"{bin_dir}{os.pathsep}{no_lean_env['PATH']}",
        "LEANWB_LEAN_PROJECT": str(project),
        "FAKE_LAKE_LOG": str(tmp_path / "lake.log"),
    }


def test_setup_runs_lake_steps_in_order(fake_lake_env: dict[str, str]) -> None:
    result = run_cli("setup", env=fake_lake_env)
    assert result.returncode == 0, result.stderr
    calls = Path(fake_lake_env["FAKE_LAKE_LOG"]).read_text().splitlines()
    project = Path(fake_lake_env["LEANWB_LEAN_PROJECT"])
    # A manifest without the REPL's commit gets it resolved first, touching nothing else.
    resolve = [] if manifest_has(project, "REPL") else ["update REPL"]
    assert calls == [*resolve, "exe cache get", "build repl", "build dump_corpus"]
    assert f"[1/{len(calls)}]" in result.stdout
    assert "ready: REPL built at" in result.stdout


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
