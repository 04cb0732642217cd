"""The bridge and the recorder against a REPL that never imports its header, floods its
replies or is killed from outside (issue 14, items 6, 7 and 8): the stand-in's fault
injection (`import StandinHang`, `standin_spam`, `standin_sigkill`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prover.cli import app
from prover.config import LeanSettings, load_settings
from prover.graph.clip import EDGE_CHARS, MESSAGE_CHARS, clip
from prover.graph.export import export_attempt_html
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.lean import LeanServer
from prover.protocols import EdgeKind
from prover.session import SessionOptions, open_session
from prover.strategies.registry import make_strategy
from prover.types import CallStatus, TacticStatus, Theorem

HANGING_HEADER = "import StandinHang"
THEOREM = Theorem(name="t", header="import Mathlib", statement="theorem t (p : Prop) (hp : p) : p")


@pytest.fixture
def server(standin_argv: tuple[str, ...], tmp_path: Path) -> Iterator[LeanServer]:
    settings = LeanSettings(repl_cmd=standin_argv, project_dir=tmp_path, header_timeout_s=1.5)
    notices: list[str] = []
    with LeanServer(settings, on_wait=notices.append) as lean:
        lean.notices = notices  # type: ignore[attr-defined]
        yield lean


def test_a_header_that_never_imports_is_bounded_by_its_own_timeout(server: LeanServer) -> None:
    started = time.monotonic()
    result = server.check(HANGING_HEADER, "example : True := trivial", timeout=30)
    assert time.monotonic() - started < 5
    assert result.status is CallStatus.TIMEOUT
    assert "the header import did not finish within header_timeout_s = 1.5 s" in (
        result.error or ""
    )
    assert "--header-timeout" in (result.error or "")
    notices = server.notices  # type: ignore[attr-defined]
    assert len(notices) == 1 and "up to 1.5 s: header_timeout_s" in notices[0]
    fine = server.check("import Mathlib", "example : True := trivial", timeout=30)
    assert fine.status is CallStatus.OK and not fine.errors  # the pool goes on
    assert len(server.notices) == 1  # type: ignore[attr-defined]  # a quick import: no notice


def test_check_says_which_bound_it_waits_on_and_keeps_to_it(standin_env: Path) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        [
            "check", "--json", "--header", HANGING_HEADER, "--statement", "theorem t : True",
            "--proof", "trivial", "--timeout", "5", "--header-timeout", "2",
        ],
    )  # fmt: skip
    assert time.monotonic() - started < 8
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["reason"] == "timeout"
    assert "header_timeout_s = 2 s" in payload["detail"]
    assert "waiting for the REPL to import the header (up to 2 s" in result.stderr


def test_a_sigkill_from_outside_is_a_crash_not_out_of_memory(server: LeanServer) -> None:
    state = server.start(THEOREM).state
    assert state is not None
    result = server.run_tactic(state, "standin_sigkill")
    assert result.status is TacticStatus.CRASH, result
    assert "killed by SIGKILL from outside the workbench" in (result.error or "")
    assert "out of memory)" not in (result.error or "")
    assert (server.stats.memory_kills, server.stats.crashes) == (0, 1)


def test_clip_keeps_head_and_tail_and_the_full_size() -> None:
    text = "HEAD" + "x" * 100_000 + "TAIL"
    clipped = clip(text, 1000)
    assert clipped.startswith("HEAD") and clipped.endswith("TAIL")
    assert f"[{len(text) - 1000} of {len(text)} characters cut]" in clipped
    assert len(clipped) < 1100
    assert clip("short", 1000) == "short"


def test_a_flooding_reply_is_recorded_capped_and_the_page_stays_light(
    standin_env: Path, tmp_path: Path
) -> None:
    flood = 5_000_000
    settings = load_settings()  # replies up to 64 MiB are read (`max_output_bytes`)
    strategy = make_strategy(
        "auto", closers=[f"standin_spam {flood}"], stages=[{"name": "automation", "share": 1}]
    )
    with open_session(settings, SessionOptions()) as session:
        run_id = session.begin_run("test", {})
        result = session.prove(THEOREM, strategy, run_id=run_id)
    with Store(standin_env) as store:
        graph = load_graph(store, result.attempt_id)
        page = export_attempt_html(store, result.attempt_id, tmp_path / "page.html")
    [edge] = [e for e in graph.edges.values() if e.kind is EdgeKind.AUTOMATION]
    [message] = [m["text"] for m in edge.lean_messages if len(m["text"]) > 1000]
    assert len(message) < MESSAGE_CHARS + 200
    assert message.startswith("xxxx") and message.endswith("xxxx")
    assert f"of {flood} characters cut" in message
    assert page.stat().st_size < 4 * EDGE_CHARS + 500_000
    assert f"of {flood} characters cut" in page.read_text(encoding="utf-8")
    assert standin_env.stat().st_size < 2_000_000  # the whole database (closed: no WAL)
