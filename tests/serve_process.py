"""Start `leanwb serve` (or `leanwb mcp`) on the stand-in REPL as a real process, for tests."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from conftest import REPO_ROOT, STANDIN_ARGV

LEANWB = (sys.executable, "-c", "from prover.cli import main; main()")


def leanwb_env(db: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a leanwb child: this checkout's code, the stand-in REPL, `db`."""
    env = dict(os.environ)
    env.pop("LEANWB_CONFIG", None)
    env.pop("LEANWB_SERVER_KEY", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["LEANWB_REPL_CMD"] = shlex.join(STANDIN_ARGV)
    env["LEANWB_DB"] = str(db)
    env.update(extra or {})
    return env


@contextmanager
def running_server(
    db: Path, *args: str, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`leanwb serve --port 0 ARGS`; yields its URL (from the first stdout line) and process."""
    process = subprocess.Popen(
        [*LEANWB, "serve", "--port", "0", *args],
        env=leanwb_env(db, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first.startswith("listening on http://"):
            process.kill()
            _, err = process.communicate(timeout=10)
            raise AssertionError(f"leanwb serve did not start: {first!r} {err}")
        yield first.removeprefix("listening on ").strip(), process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
