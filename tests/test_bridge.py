"""The bridge against the stand-in REPL: pooling, failures, limits, threads.

Every request the stand-in receives is appended to $STANDIN_LOG (one JSON request
per line), so the tests count what was really sent. A process incarnation id
starts with the process id (`ReplProcess.incarnation`), which the memory and
cleanup tests use to look at the child itself.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prover.config import LeanSettings
from prover.lean import InvalidRequest, LeanServer, LeanUnavailableError, ReplProcess
from prover.lean import process as process_module
from prover.lean.protocol import encode_command, encode_request, encode_tactic, request_kind
from prover.types import CallStatus, CheckResult, ProofState, TacticStatus, Theorem

HEADER = "import Mathlib"
OTHER_HEADER = "import Mathlib\nopen Nat"
THEOREM = Theorem(
    name="t",
    header=HEADER,
    statement="theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q",
)
PROOF = ("constructor", "omega", "exact hpq hp")
BODY = "example : 2 + 2 = 4 := rfl"

MakeServer = Callable[..., LeanServer]


@pytest.fixture
def standin_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "standin.log"
    monkeypatch.setenv("STANDIN_LOG", str(log))
    return log


def sent(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def header_imports(log: Path) -> list[str]:
    return [r["cmd"] for r in sent(log) if "cmd" in r and "env" not in r]


@pytest.fixture
def make_server(
    standin_argv: tuple[str, ...], standin_log: Path, tmp_path: Path
) -> Iterator[MakeServer]:
    servers: list[LeanServer] = []
    base = LeanSettings(repl_cmd=standin_argv, project_dir=tmp_path, request_timeout_s=20.0)

    def make(**overrides: Any) -> LeanServer:
        server = LeanServer(replace(base, **overrides))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def pid_of(session: str) -> int:
    return int(session.split("-")[0])


def started(server: LeanServer, theorem: Theorem = THEOREM) -> ProofState:
    result = server.start(theorem)
    assert result.state is not None, result.check
    return result.state


def prove(server: LeanServer, state: ProofState) -> None:
    for tactic in PROOF:
        result = server.run_tactic(state, tactic)
        assert result.status.is_progress, result
        assert result.state is not None
        state = result.state
    assert result.status is TacticStatus.COMPLETED


# ------------------------------------------------------------------ protocol unit checks


def test_requests_are_compact_utf8_with_one_blank_line() -> None:
    data = encode_request({"cmd": "theorem t : ∀ x : ℕ, x = x :=\n  fun _ => rfl", "env": 0})
    assert data.endswith(b"}\n\n") and data.count(b"\n") == 2
    assert "ℕ".encode() in data and b"\\n  fun" in data
    assert b"\\u" not in data  # no ASCII escapes, no surrogate pairs


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"env": 0}, "fits no REPL form"),
        ({"cmd": "x", "path": "y"}, "mixes REPL forms"),
        ({"tactic": "rfl", "proofState": -1}, "non-negative integer"),
        ({"tactic": "rfl", "proofState": True}, "non-negative integer"),
        ({"tactic": "rfl"}, "needs 'proofState'"),
        ({"cmd": "x", "allTactic": True}, "unknown key 'allTactic'"),
        ({"cmd": 3}, "must be a string"),
        ({"cmd": "x", "env": "0"}, "non-negative integer"),
        ({"cmd": "x", "infotree": "everything"}, "must be one of"),
        ({"pickleTo": "a.olean"}, "exactly one of 'env' or 'proofState'"),
        ({"pickleTo": "a.olean", "env": 0, "proofState": 0}, "exactly one of"),
        ({"cmd": "bad \udc80 text"}, "lone surrogate"),
    ],
)
def test_invalid_requests_are_refused(bad: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        encode_request(bad)


def encoded(encode: Callable[[], bytes]) -> bytes | str:
    """The bytes, or the refusal's message."""
    try:
        return encode()
    except InvalidRequest as exc:
        return str(exc)


ANY_ID = st.one_of(st.integers(), st.booleans(), st.text(max_size=3), st.none())


@given(text=st.text(), proof_state=ANY_ID)
def test_the_pools_tactic_request_is_the_general_encoding(text: str, proof_state: Any) -> None:
    request = {"tactic": text, "proofState": proof_state}
    assert encoded(lambda: encode_tactic(text, proof_state)) == encoded(
        lambda: encode_request(request)
    )


@given(text=st.text(), env=ANY_ID)
def test_the_pools_command_request_is_the_general_encoding(text: str, env: Any) -> None:
    request = {"cmd": text} if env is None else {"cmd": text, "env": env}
    assert encoded(lambda: encode_command(text, env)) == encoded(lambda: encode_request(request))


def test_every_upstream_form_is_accepted() -> None:
    forms = [
        {"tactic": "rfl", "proofState": 0},
        {"pickleTo": "e.olean", "env": 0},
        {"unpickleEnvFrom": "e.olean"},
        {"pickleTo": "p.olean", "proofState": 0},
        {"unpickleProofStateFrom": "p.olean", "env": 1},
        {"cmd": "#check Nat", "env": 0, "allTactics": True, "rootGoals": False},
        {"path": "f.lean", "infotree": "substantive"},
    ]
    assert [request_kind(f).value for f in forms] == [
        "tactic",
        "pickle_env",
        "unpickle_env",
        "pickle_proof_state",
        "unpickle_proof_state",
        "command",
        "file",
    ]


# ------------------------------------------------------------------------- one process


def test_refused_requests_never_reach_the_process(
    standin_argv: tuple[str, ...], standin_log: Path
) -> None:
    process = ReplProcess(standin_argv)
    try:
        bad = [{"env": 0}, {"cmd": "x", "path": "y"}, {"tactic": "t", "proofState": -1}]
        for request in bad:
            reply = process.request(request, timeout=10)
            assert reply.status is CallStatus.PROTOCOL_ERROR and not reply.sent
            assert "refused" in (reply.error or "")
        assert process.incarnation is None  # not even started
        assert process.request({"cmd": HEADER}, timeout=10).payload == {"env": 0}
        incarnation = process.incarnation
        assert process.request({"cmd": "x", "env": -1}, timeout=10).status is (
            CallStatus.PROTOCOL_ERROR
        )
        assert process.incarnation == incarnation
        assert process.request({"cmd": BODY, "env": 0}, timeout=10).status is CallStatus.OK
        assert sent(standin_log) == [{"cmd": HEADER}, {"cmd": BODY, "env": 0}]
    finally:
        process.stop()


# What a broken REPL writes, as the text of a Python bytes literal.
FAKE_REPLIES = {
    "not JSON": r"garbage\n\n",
    "not valid UTF-8": r"\xff\xfe\n\n",
    "empty reply": r"\n\n",
    "more than one reply": r'{"env": 0}\n\n{"env": 1}\n\n',
}


@pytest.mark.parametrize("problem", FAKE_REPLIES)
def test_unreadable_replies_are_protocol_errors(problem: str) -> None:
    script = (
        "import sys\nfor line in sys.stdin.buffer:\n    if line.strip(): continue\n"
        f"    sys.stdout.buffer.write(b'{FAKE_REPLIES[problem]}'); sys.stdout.flush()\n"
    )
    process = ReplProcess([sys.executable, "-c", script])
    try:
        reply = process.request({"cmd": "x"}, timeout=10)
        assert reply.status is CallStatus.PROTOCOL_ERROR
        assert problem in (reply.error or "")
        assert process.incarnation is None  # killed; the next request starts afresh
    finally:
        process.stop()


@pytest.mark.parametrize(("cap", "status"), [(1000, CallStatus.OK), (999, CallStatus.OUTPUT_LIMIT)])
def test_output_cap_counts_the_reply_bytes(cap: int, status: CallStatus) -> None:
    reply = '{"env": 0, "pad": "' + "x" * (999 - len('{"env": 0, "pad": ""}')) + '"}\n'
    assert len(reply) == 1000
    script = (
        "import sys\nfor line in sys.stdin.buffer:\n    if line.strip(): continue\n"
        f"    sys.stdout.write({reply + chr(10)!r}); sys.stdout.flush()\n"
    )
    process = ReplProcess([sys.executable, "-c", script], max_output_bytes=cap)
    try:
        assert process.request({"cmd": "x"}, timeout=10).status is status
    finally:
        process.stop()


def test_a_repl_that_dies_at_once_points_to_doctor() -> None:
    process = ReplProcess(
        [sys.executable, "-c", "import sys; print('no olean', file=sys.stderr); sys.exit(3)"]
    )
    reply = process.request({"cmd": HEADER}, timeout=10)
    assert reply.status is CallStatus.CRASH
    assert "exited with code 3" in (reply.error or "")
    assert "leanwb doctor" in (reply.error or "") and "no olean" in (reply.error or "")


@pytest.mark.parametrize("argv", [("/nonexistent/lean-repl",), ("__file__",)])
def test_missing_executable_is_a_clear_error(
    argv: tuple[str, ...], make_server: MakeServer
) -> None:
    if argv == ("__file__",):
        argv = (__file__,)  # exists but is not executable
    server = make_server(repl_cmd=argv)
    with pytest.raises(LeanUnavailableError) as caught:
        server.check(HEADER, BODY)
    message = str(caught.value)
    assert argv[0] in message and "leanwb setup" in message and "leanwb doctor" in message


# ------------------------------------------------------------------------------- pool


def test_proof_and_branching_from_one_state(make_server: MakeServer) -> None:
    server = make_server()
    root = started(server)
    assert root.goals == ("x : ℕ\np q : Prop\nh : x = 3\nhp : p\nhpq : p → q\n⊢ x + 2 = 5 ∧ q",)
    left = server.run_tactic(root, "constructor")
    right = server.run_tactic(root, "constructor")
    assert left.status is right.status is TacticStatus.OPEN_GOALS
    assert left.state is not None and right.state is not None
    assert left.state == right.state and left.state.id != right.state.id
    assert len(left.state.goals) == 2
    failed = server.run_tactic(root, "exact hpq hp")
    assert failed.status is TacticStatus.LEAN_ERROR and failed.state is None
    prove(server, root)  # the root is untouched by its branches
    for branch in (left.state, right.state):
        done = server.run_tactic(server.run_tactic(branch, "omega").state, "exact hpq hp")
        assert done.solved


def test_headers_are_imported_once_per_process(make_server: MakeServer, standin_log: Path) -> None:
    server = make_server(pool_size=2)
    for _ in range(5):
        assert server.check(HEADER, BODY).clean
        failed = server.check(OTHER_HEADER, "example : True := trivial\nexample : 2 = 3 := rfl")
        assert failed.errors[0].pos.line == 2  # relative to the body, not the header
    assert sorted(header_imports(standin_log)) == sorted([HEADER, OTHER_HEADER])
    assert server.stats.header_imports == 2 and server.stats.restarts == 0
    assert len([r for r in sent(standin_log) if r.get("env") == 0]) == 10
    assert server.stats.requests == len(sent(standin_log)) == 12


def test_least_recently_used_process_is_evicted(make_server: MakeServer, standin_log: Path) -> None:
    server = make_server(pool_size=2)
    for header in ("import A", "import B", "import A", "import C", "import A", "import B"):
        assert server.check(header, BODY).clean
    # C evicted B (A was used after B); B then evicted C; A was never imported again.
    assert header_imports(standin_log) == ["import A", "import B", "import C", "import B"]
    assert server.stats.evictions == 2


def test_pinned_process_is_evicted_last(make_server: MakeServer, standin_log: Path) -> None:
    server = make_server(pool_size=2)
    state = started(server)  # pins the HEADER process
    session, state_id = state.session, state.id
    assert server.check("import B", BODY).clean
    assert server.check("import C", BODY).clean  # HEADER is older, but pinned: B goes
    assert server.run_tactic(state, "constructor").status is TacticStatus.OPEN_GOALS
    assert server.check("import C", BODY).clean
    del state
    gc.collect()
    assert server.check("import D", BODY).clean  # now the unpinned HEADER process goes
    assert header_imports(standin_log) == [HEADER, "import B", "import C", "import D"]
    ghost = ProofState((), id=state_id, session=session)
    assert server.run_tactic(ghost, "constructor").status is TacticStatus.STALE_STATE


def test_two_threads_on_a_pool_of_two(make_server: MakeServer) -> None:
    server = make_server(pool_size=2)
    barrier = threading.Barrier(2)
    sessions: list[str | None] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            slow = server.check(HEADER, "example : True := by\n  standin_slow 0.5\n  trivial")
            assert slow.clean, slow
            sessions.append(slow.session)
            prove(server, started(server))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(set(sessions)) == 2  # both processes served at once
    assert server.stats.header_imports == 2


def test_header_failure_is_reported_and_cached(make_server: MakeServer, standin_log: Path) -> None:
    server = make_server()
    header = "import Mathlib\nexample : 1 = 2 := rfl"
    first = server.check(header, BODY)
    again = server.check(header, "example : True := trivial")
    for result in (first, again):
        assert result.status is CallStatus.OK and result.env is None and not result.clean
        assert result.errors[0].pos.line == 2  # the header's own line
        assert "header failed to elaborate" in (result.error or "")
    assert sent(standin_log) == [{"cmd": header}]


def test_statement_that_does_not_elaborate_gives_no_state(make_server: MakeServer) -> None:
    server = make_server()
    bad = replace(THEOREM, statement="theorem bad (x : ℕ) : undefined_thing x")
    result = server.start(bad)
    assert result.state is None
    assert "undefined_thing" in result.check.errors[0].text


def test_recycled_after_max_requests_unless_pinned(make_server: MakeServer) -> None:
    server = make_server(max_requests_per_process=3)
    state = started(server)  # header + body: 2 requests
    assert server.run_tactic(state, "constructor").state is not None  # 3
    assert server.check(HEADER, BODY).clean  # worn out, but pinned: kept
    assert server.run_tactic(state, "constructor").status is TacticStatus.OPEN_GOALS
    session, state_id = state.session, state.id
    del state
    gc.collect()
    assert server.check(HEADER, BODY).clean  # unpinned: recycled first
    assert server.stats.restarts == 1 and server.stats.header_imports == 2
    ghost = ProofState((), id=state_id, session=session)
    assert server.run_tactic(ghost, "constructor").status is TacticStatus.STALE_STATE


# ---------------------------------------------------------------------------- failures


def test_timeout_kills_the_process_and_the_next_request_works(
    make_server: MakeServer,
) -> None:
    server = make_server()
    state = started(server)
    hung = server.run_tactic(state, "standin_hang", timeout=0.5)
    assert hung.status is TacticStatus.TIMEOUT
    assert 0.5 <= hung.elapsed_s < 5.0
    assert not psutil.pid_exists(pid_of(state.session))
    assert server.run_tactic(state, "constructor").status is TacticStatus.STALE_STATE
    check = server.check(HEADER, "example : True := by standin_hang", timeout=0.5)
    assert check.status is CallStatus.TIMEOUT
    assert server.check(HEADER, BODY).clean
    prove(server, started(server))
    stats = server.stats
    assert (stats.timeouts, stats.restarts, stats.header_imports) == (2, 2, 3)


def test_crash_is_reported_once_and_never_retried(
    make_server: MakeServer, standin_log: Path
) -> None:
    server = make_server()
    state = started(server)
    crashed = server.run_tactic(state, "standin_crash")
    assert crashed.status is TacticStatus.CRASH
    assert "exited with code 134" in (crashed.error or "")
    assert server.run_tactic(state, "constructor").status is TacticStatus.STALE_STATE
    prove(server, started(server))
    assert [r for r in sent(standin_log) if r.get("tactic") == "standin_crash"] == [
        {"tactic": "standin_crash", "proofState": state.id}
    ]
    assert server.stats.crashes == 1 and server.stats.restarts == 1


def test_huge_reply_hits_the_output_limit(make_server: MakeServer) -> None:
    server = make_server(max_output_bytes=50_000)
    state = started(server)
    small = server.run_tactic(state, "standin_spam 1000")
    assert small.status is TacticStatus.OPEN_GOALS and small.messages[0].text == "x" * 1000
    flood = server.run_tactic(state, "standin_spam 200000")
    assert flood.status is TacticStatus.OUTPUT_LIMIT
    assert "50000 bytes" in (flood.error or "")
    assert server.check(HEADER, BODY).clean
    assert server.stats.output_limits == 1


def test_lone_surrogates_are_refused_before_anything_is_sent(
    make_server: MakeServer, standin_log: Path
) -> None:
    server = make_server()
    refused = server.check(HEADER, "theorem t : \udc80 := sorry")
    assert refused.status is CallStatus.PROTOCOL_ERROR and "lone surrogate" in (refused.error or "")
    assert sent(standin_log) == [] and server.stats.requests == 0
    state = started(server)
    bad = server.run_tactic(state, "exact \ud800")
    assert bad.status is TacticStatus.PROTOCOL_ERROR and "lone surrogate" in (bad.error or "")
    assert server.run_tactic(state, "constructor").status is TacticStatus.OPEN_GOALS
    assert server.stats.restarts == 0 and len(sent(standin_log)) == 3
    assert server.stats.requests == 3 and server.stats.protocol_errors == 2


def test_unknown_and_foreign_proof_states(make_server: MakeServer) -> None:
    server = make_server()
    state = started(server)
    unknown = server.run_tactic(ProofState((), id=999, session=state.session), "rfl")
    assert unknown.status is TacticStatus.UNKNOWN_STATE
    foreign = server.run_tactic(ProofState((), id=0, session="elsewhere"), "rfl")
    assert foreign.status is TacticStatus.STALE_STATE


def test_address_space_cap_is_applied_in_the_child(make_server: MakeServer) -> None:
    server = make_server(memory_mb=300)
    state = started(server)
    limits = Path(f"/proc/{pid_of(state.session)}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert line.split()[3:5] == [str(300 << 20)] * 2
    over = server.run_tactic(state, "standin_alloc 400")
    # Lean (and the stand-in) dies when RLIMIT_AS bites: reported as MEMORY, not a crash.
    assert over.status is TacticStatus.MEMORY, over
    assert server.run_tactic(started(server), "constructor").status is TacticStatus.OPEN_GOALS


def test_resident_memory_over_the_threshold_recycles(make_server: MakeServer) -> None:
    server = make_server(memory_mb=300)  # recycled above 240 MiB resident
    state = started(server)
    grown = server.run_tactic(state, "standin_alloc 250")  # python itself takes ~20 MiB
    assert grown.status is TacticStatus.OPEN_GOALS  # the reply itself arrives
    assert not psutil.pid_exists(pid_of(state.session))
    assert server.run_tactic(state, "constructor").status is TacticStatus.STALE_STATE
    prove(server, started(server))
    assert server.stats.restarts == 1 and server.stats.memory_kills == 0


@pytest.mark.parametrize(("growth_per_s", "readings"), [(1.0, 1), (1e30, 4)])
def test_a_memory_reading_is_skipped_only_while_growth_cannot_reach_the_threshold(
    growth_per_s: float,
    readings: int,
    standin_argv: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken: list[int] = []
    read = ReplProcess.rss_bytes

    def counted(self: ReplProcess) -> int:
        taken.append(read(self))
        return taken[-1]

    monkeypatch.setattr(ReplProcess, "rss_bytes", counted)
    monkeypatch.setattr(process_module, "MAX_RSS_GROWTH_PER_S", growth_per_s)
    process = ReplProcess(standin_argv, rss_limit_mb=1024)
    try:
        for request in ({"cmd": HEADER}, *[{"cmd": BODY, "env": 0}] * 3):
            assert process.request(request, timeout=10).status is CallStatus.OK
        assert len(taken) == readings and all(0 < rss < 1 << 30 for rss in taken)
        assert process.starts == 1
    finally:
        process.stop()


def test_sigkill_we_did_not_send_is_a_crash_not_out_of_memory(make_server: MakeServer) -> None:
    server = make_server(memory_mb=4096)
    state = started(server)
    killer = threading.Timer(0.3, os.kill, (pid_of(state.session), signal.SIGKILL))
    killer.start()
    result = server.run_tactic(state, "standin_slow 10")
    killer.join()
    assert result.status is TacticStatus.CRASH
    assert "killed by SIGKILL from outside the workbench" in (result.error or "")
    assert "out of memory)" not in (result.error or "")
    assert (server.stats.memory_kills, server.stats.crashes) == (0, 1)


def test_close_terminates_every_process(make_server: MakeServer) -> None:
    server = make_server(pool_size=2)
    sessions = [started(server).session, server.check("import B", BODY).session]
    pids = [pid_of(s) for s in sessions if s is not None]
    assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
    server.close()
    assert not any(psutil.pid_exists(p) for p in pids)
    with pytest.raises(RuntimeError, match="closed"):
        server.check(HEADER, BODY)


def test_check_then_runs_the_follow_up_on_the_bodys_env_in_the_same_process(
    make_server: MakeServer, standin_log: Path
) -> None:
    server = make_server(pool_size=1)
    body = "theorem two : 2 + 2 = 4 := rfl"
    seen: list[CheckResult] = []

    def then(result: CheckResult) -> str | None:
        seen.append(result)
        return "#print axioms two"

    result, follow_up = server.check_then("", body, then)
    assert seen == [result] and result.env is not None
    assert follow_up is not None and follow_up.session == result.session
    assert [m.text for m in follow_up.messages] == ["'two' does not depend on any axioms"]
    assert sent(standin_log)[-1] == {"cmd": "#print axioms two", "env": result.env}
    requests = server.stats.requests

    # No command from `then`: no second request.
    result, follow_up = server.check_then("", "theorem t2 : 1 = 1 := rfl", lambda _: None)
    assert follow_up is None and result.status is CallStatus.OK
    assert server.stats.requests == requests + 1
