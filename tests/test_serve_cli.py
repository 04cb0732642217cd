"""`leanwb serve` and `leanwb mcp` as commands: lazy imports, a taken port, the bind address."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from serve_process import LEANWB, leanwb_env, running_server

SERVICE_MODULES = ("fastapi", "uvicorn", "mcp", "starlette")


def test_help_loads_no_service_library(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from prover.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SERVICE_MODULES!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"],
        env=leanwb_env(tmp_path / "db.sqlite"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "serve" in done.stdout and "mcp" in done.stdout


def test_default_bind_is_loopback(tmp_path: Path) -> None:
    with running_server(tmp_path / "db.sqlite") as (url, _):
        assert url.startswith("http://127.0.0.1:")


def test_a_taken_port_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*LEANWB, "serve", "--port", str(port)],
            env=leanwb_env(tmp_path / "db.sqlite"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
