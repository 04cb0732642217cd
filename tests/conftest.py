"""Fixtures shared by the whole suite.

`../shared` (real REPL transcripts, benchmark files) sits beside a checkout on the
project's machines and CI, but not in a user's fresh clone: tests that need it skip
with a message saying so.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from headless_chromium import HeadlessChromium, browser_or_skip
from synthetic_graphs import CLOSE_THEOREM, record_composite_proof

from prover.config import LeanSettings
from prover.graph.export import export_attempt_html
from prover.graph.queries import Graph, load_graph
from prover.graph.store import Store
from prover.lean import LeanServer

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
TRANSCRIPTS_DIR = SHARED_DIR / "lean-repl" / "transcripts"
STANDIN_SCRIPT = TESTS_DIR / "standin" / "repl.py"
STANDIN_ARGV = (sys.executable, str(STANDIN_SCRIPT))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"needs ../shared beside the checkout ({SHARED_DIR} is absent)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def transcripts_dir(shared_dir: Path) -> Path:
    if not TRANSCRIPTS_DIR.is_dir():
        pytest.skip(f"needs the recorded REPL transcripts at {TRANSCRIPTS_DIR}")
    return TRANSCRIPTS_DIR


@pytest.fixture(scope="session")
def standin_argv() -> tuple[str, ...]:
    """argv of the stand-in REPL (a test double speaking the REPL's JSON protocol)."""
    return STANDIN_ARGV


@pytest.fixture(scope="session")
def standin_cmd() -> str:
    """The stand-in REPL as an argv string, the form LEANWB_REPL_CMD and --repl-cmd take."""
    return shlex.join(STANDIN_ARGV)


@pytest.fixture
def standin_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, standin_cmd: str) -> Path:
    """Point the workbench at the stand-in REPL and a fresh database; returns the db path."""
    db = tmp_path / "leanwb.sqlite"
    monkeypatch.setenv("LEANWB_REPL_CMD", standin_cmd)
    monkeypatch.setenv("LEANWB_DB", str(db))
    monkeypatch.delenv("LEANWB_CONFIG", raising=False)
    return db


@pytest.fixture(scope="module")
def lean(
    standin_argv: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LeanServer]:
    """A bridge pool on the stand-in REPL, shared by the tests of one module."""
    project = tmp_path_factory.mktemp("project")
    with LeanServer(LeanSettings(repl_cmd=standin_argv, project_dir=project)) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh provenance database."""
    with Store(tmp_path / "graph.sqlite") as opened:
        yield opened


@pytest.fixture(scope="module")
def chromium() -> Iterator[HeadlessChromium]:
    """A headless Chromium for the module's page tests (skips where there is none)."""
    yield from browser_or_skip()


@pytest.fixture(scope="module")
def composite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Graph, Path]:
    """The graph and exported page of a proof found by sketch, search and repair."""
    folder = tmp_path_factory.mktemp("composite")
    with Store(folder / "db.sqlite") as store:
        attempt_id = record_composite_proof(store, store.begin_run("prove", {}), CLOSE_THEOREM)
        page = export_attempt_html(store, attempt_id, folder / "proof.html")
        return load_graph(store, attempt_id), page
