"""Every recorded REPL transcript, replayed through the real bridge code.

For each `NAME.in` / `NAME.expected.out` pair, `replay_repl.py` is launched as the
REPL command of a `ReplProcess`; the requests of `NAME.in` (read with the REPL's
own line-joining rules) go through the bridge's request path (validation,
encoding, framing, reading, decoding) and the replay checks that each one arrives
intact before answering with the recorded bytes. Every typed result is then
compared with the recorded JSON, parsed independently, and some transcripts get
assertions about what they are known to show.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TRANSCRIPTS_DIR
from replay_repl import recorded_replies, transcript_requests

from prover.lean.process import ReplProcess
from prover.lean.protocol import ReplyShape, reply_shape, request_kind, split_goals, typed_result
from prover.types import (
    CallStatus,
    CheckResult,
    Message,
    Position,
    Sorry,
    TacticResult,
    TacticStatus,
)

REPLAY_SCRIPT = Path(__file__).resolve().parent / "replay_repl.py"
STEMS = sorted(p.name.removesuffix(".in") for p in TRANSCRIPTS_DIR.glob("*.in"))


@pytest.fixture
def replay(transcripts_dir: Path) -> Iterator[Any]:
    """Replays one transcript through a `ReplProcess`: returns (requests, payloads, results)."""
    processes: list[ReplProcess] = []

    def run(stem: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
        base = transcripts_dir / stem
        if not base.with_name(f"{stem}.expected.out").is_file():
            pytest.skip(f"{stem}.in has no recorded output upstream (see the transcripts README)")
        requests = [
            json.loads(q) for q in transcript_requests(base.with_suffix(".in").read_text("utf-8"))
        ]
        raw = recorded_replies(base.with_name(f"{stem}.expected.out").read_bytes())
        payloads = [json.loads(chunk) for chunk in raw]
        assert len(requests) == len(payloads), f"{stem}: one recorded reply per request"
        process = ReplProcess([sys.executable, str(REPLAY_SCRIPT), str(base)])
        processes.append(process)
        results = []
        for request in requests:
            reply = process.request(request, timeout=20)
            assert reply.status is CallStatus.OK, reply.error
            assert process.incarnation is not None
            results.append(typed_result(request_kind(request), reply, process.incarnation))
        return requests, payloads, results

    yield run
    for process in processes:
        process.stop()


def as_position(data: dict[str, int] | None) -> Position | None:
    return None if data is None else Position(data["line"], data["column"])


def assert_messages(typed: tuple[Message, ...], recorded: list[dict[str, Any]]) -> None:
    assert len(typed) == len(recorded)
    for message, data in zip(typed, recorded, strict=True):
        assert message.severity.value == data["severity"]
        assert message.pos == as_position(data["pos"])
        assert message.end_pos == as_position(data.get("endPos"))
        assert message.text == data["data"]


def assert_sorries(typed: tuple[Sorry, ...], recorded: list[dict[str, Any]]) -> None:
    assert len(typed) == len(recorded)
    for sorry, data in zip(typed, recorded, strict=True):
        assert sorry.goal == data["goal"]
        assert sorry.proof_state == data.get("proofState")
        assert sorry.pos == as_position(data.get("pos"))
        assert sorry.end_pos == as_position(data.get("endPos"))


def assert_faithful(result: Any, payload: dict[str, Any], tactic_mode: bool) -> None:
    """The typed result carries every field of the recorded reply, and a fitting status."""
    shape = reply_shape(payload)
    if shape is ReplyShape.ERROR:
        assert result.error == payload["message"]
        if tactic_mode:
            assert isinstance(result, TacticResult)
            assert result.state is None
            assert result.status in (TacticStatus.LEAN_ERROR, TacticStatus.UNKNOWN_STATE)
        else:
            assert isinstance(result, CheckResult)
            assert result.status is CallStatus.REPL_ERROR
        return
    assert_messages(result.messages, payload.get("messages", []))
    assert_sorries(result.sorries, payload.get("sorries", []))
    if shape is ReplyShape.COMMAND:
        assert isinstance(result, CheckResult)
        assert result.status is CallStatus.OK
        assert result.env == payload["env"]
        return
    assert isinstance(result, TacticResult)
    assert result.state is not None
    assert result.state.id == payload["proofState"]
    assert result.state.goals == tuple(payload["goals"])
    assert result.proof_status == payload["proofStatus"]
    errors = any(m["severity"] == "error" for m in payload.get("messages", []))
    assert (result.status is TacticStatus.ERROR_RECOVERED) == errors
    assert result.solved == (
        payload["proofStatus"] == "Completed" and not payload["goals"] and not errors
    )
    assert (result.status is TacticStatus.OPEN_GOALS) == (
        payload["proofStatus"] == "Incomplete: open goals remain"
        and not errors
        and not payload.get("sorries")
    )


@pytest.mark.parametrize("stem", STEMS or [pytest.param("", id="no-transcripts")])
def test_transcript_replays_faithfully(stem: str, replay: Any) -> None:
    requests, payloads, results = replay(stem)
    for request, payload, result in zip(requests, payloads, results, strict=True):
        assert_faithful(result, payload, request_kind(request).is_tactic_mode)


def statuses(results: list[Any]) -> list[Any]:
    return [r.status for r in results]


def test_readme_walkthrough(replay: Any) -> None:
    _, _, (check, step, done) = replay("readme")
    assert check.sorries[0].proof_state == 0
    assert check.sorries[0].goal == "x : Unit\n⊢ Nat"
    assert step.status is TacticStatus.OPEN_GOALS
    assert step.state.goals == ("x : Unit\n⊢ Int",)
    assert done.status is TacticStatus.COMPLETED and done.solved
    assert done.state.goals == ()


@pytest.mark.parametrize("stem", ["invalid_tactic", "mathlib_20240209"])
def test_error_with_empty_goals_is_not_solved(stem: str, replay: Any) -> None:
    *_, step = replay(stem)[2]
    assert step.status is TacticStatus.ERROR_RECOVERED
    assert step.state.goals == ()
    assert step.proof_status == "Incomplete: contains sorry"
    assert not step.solved and not step.status.is_progress


def test_parse_failure_is_a_lean_error(replay: Any) -> None:
    _, _, (_, step) = replay("unknown_tactic")
    assert step.status is TacticStatus.LEAN_ERROR
    assert step.error == "Lean error:\n<input>:1:1: unknown tactic"
    assert step.state is None


@pytest.mark.parametrize(
    "stem", ["self_proof_apply_check", "self_proof_exact_check", "self_proof_rw"]
)
def test_self_referential_proof_is_kernel_rejected(stem: str, replay: Any) -> None:
    _, _, results = replay(stem)
    assert TacticStatus.KERNEL_REJECTED in statuses(results)
    assert TacticStatus.COMPLETED not in statuses(results)
    rejected = next(r for r in results if r.status is TacticStatus.KERNEL_REJECTED)
    assert rejected.proof_status.startswith("Error: kernel type check failed")


def test_tactic_sorry_contains_sorry(replay: Any) -> None:
    _, _, (_, step) = replay("tactic_mode_sorry")
    assert step.status is TacticStatus.CONTAINS_SORRY
    assert step.state.goals == ()
    assert step.sorries[0].proof_state == 1 and step.sorries[0].pos is None


def test_sorry_written_by_a_step_is_not_progress(replay: Any) -> None:
    _, _, (_, step) = replay("sorry_hypotheses")
    assert step.proof_status == "Incomplete: open goals remain"
    assert step.status is TacticStatus.CONTAINS_SORRY
    assert step.state.goals == ("x : Int\nh : x = 1\n⊢ x = x",)


def test_metavariables(replay: Any) -> None:
    _, _, results = replay("app_type_mismatch")
    assert results[0].errors[0].text == "(kernel) declaration has metavariables '_example'"
    assert statuses(results)[2:] == [
        TacticStatus.OPEN_GOALS,
        TacticStatus.OPEN_GOALS,
        TacticStatus.CONTAINS_METAVARIABLES,
    ]


def test_unknown_proof_state(replay: Any) -> None:
    _, _, (_, step) = replay("unknown_proof_state")
    assert step.status is TacticStatus.UNKNOWN_STATE
    assert step.error == "Unknown proof state."


def test_unknown_environment(replay: Any) -> None:
    _, _, (check,) = replay("unknown_environment")
    assert check.status is CallStatus.REPL_ERROR
    assert check.error == "Unknown environment."
    assert check.env is None and not check.clean


def test_columns_count_code_points(replay: Any) -> None:
    requests, _, results = replay("proof_branching")
    cmd = requests[0]["cmd"]
    sorry = results[0].sorries[0]
    assert sorry.pos == Position(1, cmd.index("sorry")) == Position(1, 75)
    assert len(cmd[: cmd.index("sorry")].encode()) == 81  # the byte offset differs
    assert results[1].state.goals[0].startswith("case left")
    assert results[1].state.goals[1].startswith("case right")
    assert results[-1].status is TacticStatus.COMPLETED


def test_exact_question_mark(replay: Any) -> None:
    _, _, results = replay("mathlib_exact")
    found, missing = results[2], results[4]
    assert found.status is TacticStatus.COMPLETED
    assert found.messages[0].text.startswith("Try this:")
    assert missing.status is TacticStatus.LEAN_ERROR
    assert "could not close the goal" in missing.error


@pytest.mark.parametrize("stem", ["dup_msg", "incomplete"])
def test_errors_still_give_a_new_env(stem: str, replay: Any) -> None:
    _, _, results = replay(stem)
    failed = results[-1]
    assert failed.status is CallStatus.OK and failed.errors and not failed.clean
    assert failed.env == len(results) - 1


def test_line_breaks_join_like_the_repl(transcripts_dir: Path, replay: Any) -> None:
    joined = transcript_requests((transcripts_dir / "line_breaks.in").read_text("utf-8"))
    assert json.loads(joined[0])["cmd"] == "theorem foo : 1 = 1 := by\nsorry"
    assert json.loads(joined[1])["cmd"] == "theorem foo : 1 = 1 := by\n  sorry"
    glued = transcript_requests((transcripts_dir / "invalid_line_break.in").read_text("utf-8"))
    assert json.loads(glued[0])["cmd"] == "theorem foo : 1 = 1 := bysorry"
    _, _, results = replay("invalid_line_break")
    assert results[0].errors[0].text == "Unknown identifier `bysorry`"


def test_goal_lists_split_back_into_goals(transcripts_dir: Path) -> None:
    """Every multi-goal list in the transcripts survives joining with "\\n" or a blank line."""
    lists = []
    for path in sorted(transcripts_dir.glob("*.expected.out")):
        for chunk in recorded_replies(path.read_bytes()):
            goals = json.loads(chunk).get("goals")
            if isinstance(goals, list) and goals:
                lists.append(tuple(goals))
    assert sum(len(g) > 1 for g in lists) >= 5
    for goals in lists:
        assert split_goals("\n".join(goals)) == goals
        assert split_goals("\n\n".join(goals)) == goals
