"""A Python 3.12+ environment holding `kimina-client` 0.2.1, to test the server against it.

The client needs Python >= 3.12 (its models use `typing.TypedDict` with pydantic) and
imports `pygments` without declaring it. `scripts/test.sh` creates `.venv-kimina/` beside
the checkout's `.venv/`; where it is missing, the first test that needs it creates it (which
needs the package index), and skips with a message where no Python 3.12+ is found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT

KIMINA_VENV = REPO_ROOT / ".venv-kimina"
KIMINA_REQUIREMENTS = ("kimina-client==0.2.1", "pygments")


def _version(python: Path | str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor = done.stdout.split()
    return int(major), int(minor)


def find_python312() -> Path | None:
    """A Python >= 3.12 interpreter: on PATH, else under pyenv."""
    candidates: list[Path] = []
    for name in ("python3.14", "python3.13", "python3.12", "python3"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(pyenv_root.glob("versions/3.*/bin/python3"), reverse=True)
    for candidate in candidates:
        version = _version(candidate)
        if version is not None and version >= (3, 12):
            return candidate
    return None


def _has_client(python: Path) -> bool:
    probe = "import kimina_client, pygments; print(kimina_client.__name__)"
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def kimina_python() -> Path:
    """The interpreter of `.venv-kimina/`, created if needed; skips the test when impossible."""
    python = KIMINA_VENV / "bin" / "python"
    if python.exists() and _has_client(python):
        return python
    base = find_python312()
    if base is None:
        pytest.skip("kimina-client 0.2.1 needs Python >= 3.12 and none was found (PATH, pyenv)")
    try:
        subprocess.run([str(base), "-m", "venv", str(KIMINA_VENV)], check=True, timeout=300)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *KIMINA_REQUIREMENTS],
            check=True,
            timeout=600,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot install kimina-client into {KIMINA_VENV}: {exc}")
    return python
