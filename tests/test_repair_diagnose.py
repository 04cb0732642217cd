"""repair.diagnose: Lean's message texts as typed errors tied to proof lines.

The texts come from real Lean (the recorded REPL transcripts in ../shared, read where
they are), from older Lean versions' wording, and from the stand-in REPL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from replay_repl import recorded_replies, transcript_requests

from prover.lean.protocol import Reply, check_result
from prover.types import CallStatus, CheckResult, Message, Position, Severity, Theorem
from repair.diagnose import ErrorClass, classify, diagnose, errors
from repair.source import read_source


@pytest.mark.parametrize(
    ("text", "kind", "subject", "replacement"),
    [
        ("Unknown identifier `hq`", ErrorClass.UNKNOWN_IDENTIFIER, "hq", None),
        (
            "unknown identifier 'nat.succ_le_iff'",
            ErrorClass.UNKNOWN_IDENTIFIER,
            "nat.succ_le_iff",
            None,
        ),
        ("Unknown hypothesis `h₁`", ErrorClass.UNKNOWN_IDENTIFIER, "h₁", None),
        ("unknown constant 'Nat.foo'", ErrorClass.UNKNOWN_CONSTANT, "Nat.foo", None),
        ("Unknown constant `Real.bar`", ErrorClass.UNKNOWN_CONSTANT, "Real.bar", None),
        (
            "type mismatch\n  h\nhas type\n  x = 3 : Prop\nbut is expected to have type\n"
            "  x = 4 : Prop",
            ErrorClass.TYPE_MISMATCH,
            None,
            None,
        ),
        ("Application type mismatch: The argument\n  hp", ErrorClass.TYPE_MISMATCH, None, None),
        ("unsolved goals\nx : ℕ\n⊢ x = 3", ErrorClass.UNSOLVED_GOALS, None, None),
        (
            "linarith failed to find a contradiction\n⊢ False\nfailed",
            ErrorClass.TACTIC_FAILED,
            "linarith",
            None,
        ),
        (
            "omega could not prove the goal:\nNo usable constraints",
            ErrorClass.TACTIC_FAILED,
            "omega",
            None,
        ),
        ("simp made no progress", ErrorClass.TACTIC_FAILED, "simp", None),
        ("norm_num failed to simplify", ErrorClass.TACTIC_FAILED, "norm_num", None),
        ("Tactic `assumption` failed\n\n⊢ p", ErrorClass.TACTIC_FAILED, "assumption", None),
        (
            "Tactic `introN` failed: There are no additional binders",
            ErrorClass.TACTIC_FAILED,
            "introN",
            None,
        ),
        ("The rfl tactic failed. Possible reasons:", ErrorClass.TACTIC_FAILED, "rfl", None),
        (
            "`exact?` could not close the goal. Try `apply?`",
            ErrorClass.TACTIC_FAILED,
            "exact?",
            None,
        ),
        ("not a positivity goal", ErrorClass.TACTIC_FAILED, "positivity", None),
        ("unexpected token ','; expected command", ErrorClass.SYNTAX, None, None),
        ("unexpected identifier; expected '['", ErrorClass.SYNTAX, None, None),
        ("unknown tactic", ErrorClass.SYNTAX, None, None),
        ("unexpected end of input; expected ':='", ErrorClass.SYNTAX, None, None),
        ("No goals to be solved", ErrorClass.NO_GOALS, None, None),
        ("no goals to be proved", ErrorClass.NO_GOALS, None, None),
        (
            "(deterministic) timeout at `whnf`, maximum number of heartbeats (200000) has been "
            "reached\nUse `set_option maxHeartbeats <num>` to set the limit.",
            ErrorClass.TIMEOUT,
            None,
            None,
        ),
        (
            "`Nat.pos_of_ne_zero'` has been deprecated: use `Nat.pos_of_ne_zero` instead",
            ErrorClass.DEPRECATED,
            "Nat.pos_of_ne_zero'",
            "Nat.pos_of_ne_zero",
        ),
        (
            "`Finset.sum_const_nat` has been deprecated, use `Finset.sum_const` instead",
            ErrorClass.DEPRECATED,
            "Finset.sum_const_nat",
            "Finset.sum_const",
        ),
        ("don't know how to synthesize placeholder\ncontext:\n⊢ Nat", ErrorClass.OTHER, None, None),
    ],
)
def test_messages_are_classified_with_their_subject(
    text: str, kind: ErrorClass, subject: str | None, replacement: str | None
) -> None:
    found = classify(text)
    assert (found.kind, found.subject, found.replacement) == (kind, subject, replacement)


THEOREM = Theorem("t", "import Mathlib", "theorem t (x : ℕ) (h : x = 3) : x + 2 = 5")
BY_COLUMN = len(THEOREM.statement) + len(" := ")  # where the proof starts on line 1
PROOF = "by\n  have h2 : x = 4 := by omega\n  linarith [foo]"


def message(line: int, column: int, text: str, severity: Severity = Severity.ERROR) -> Message:
    return Message(severity, Position(line, column), Position(line, column + 3), text)


def test_positions_map_into_proof_lines_and_the_statement_has_none() -> None:
    check = CheckResult(
        CallStatus.OK,
        env=1,
        messages=(
            message(3, 12, "Unknown identifier `foo`"),
            message(1, 8, "declaration uses `sorry`", Severity.WARNING),
            message(2, 24, "omega could not prove the goal"),
            message(1, 10, "type expected"),
            message(1, BY_COLUMN, "unsolved goals\n⊢ False"),
        ),
    )
    found = diagnose(THEOREM, PROOF, check)
    assert [(d.kind, d.line, d.column) for d in found] == [
        (ErrorClass.OTHER, None, None),  # inside the statement
        (ErrorClass.UNSOLVED_GOALS, 0, 0),  # the proof's `by`
        (ErrorClass.TACTIC_FAILED, 1, 24),
        (ErrorClass.UNKNOWN_IDENTIFIER, 2, 12),
    ]
    assert found[2].subject == "omega" and found[3].subject == "foo"
    assert found[0].in_statement and not found[1].in_statement


def test_a_failure_without_its_name_in_the_text_takes_the_word_at_its_position() -> None:
    check = CheckResult(CallStatus.OK, messages=(message(3, 2, "failed to prove positivity"),))
    (found,) = diagnose(THEOREM, "by\n  skip\n  nlinarith [h]", check)
    assert (found.kind, found.subject) == (ErrorClass.TACTIC_FAILED, "nlinarith")


def test_deprecations_are_kept_but_are_not_errors() -> None:
    check = CheckResult(
        CallStatus.OK,
        messages=(
            message(2, 8, "`foo` has been deprecated: use `bar` instead", Severity.WARNING),
            message(3, 2, "simp made no progress"),
        ),
    )
    found = diagnose(THEOREM, "by\n  exact foo\n  simp", check)
    assert [d.kind for d in found] == [ErrorClass.DEPRECATED, ErrorClass.TACTIC_FAILED]
    assert [d.kind for d in errors(found)] == [ErrorClass.TACTIC_FAILED]


def test_a_check_lean_did_not_finish_is_one_error_without_a_line() -> None:
    (timeout,) = diagnose(THEOREM, PROOF, CheckResult(CallStatus.TIMEOUT, error="timed out"))
    (crash,) = diagnose(THEOREM, PROOF, CheckResult(CallStatus.CRASH, error="died"))
    assert (timeout.kind, timeout.line, timeout.text) == (ErrorClass.TIMEOUT, None, "timed out")
    assert (crash.kind, crash.line) == (ErrorClass.OTHER, None)


def test_summary_is_one_line() -> None:
    check = CheckResult(CallStatus.OK, messages=(message(3, 2, "unsolved goals\nx : ℕ\n⊢ x = 3"),))
    (found,) = diagnose(THEOREM, PROOF, check)
    assert found.summary() == "unsolved_goals: unsolved goals x : ℕ ⊢ x = 3"


# --- real Lean, from the recorded transcripts ---------------------------------------------


def transcript(transcripts_dir: Path, stem: str) -> list[tuple[dict, dict]]:
    requests = transcript_requests((transcripts_dir / f"{stem}.in").read_text("utf-8"))
    replies = recorded_replies((transcripts_dir / f"{stem}.expected.out").read_bytes())
    return [(json.loads(q), json.loads(r)) for q, r in zip(requests, replies, strict=True)]


def test_every_error_text_in_the_transcripts_gets_the_class_its_wording_says(
    transcripts_dir: Path,
) -> None:
    expected_by_prefix = {
        "unsolved goals": ErrorClass.UNSOLVED_GOALS,
        "Unknown identifier": ErrorClass.UNKNOWN_IDENTIFIER,
        "unexpected token": ErrorClass.SYNTAX,
        "No goals to be solved": ErrorClass.NO_GOALS,
        "`exact?` could not close the goal": ErrorClass.TACTIC_FAILED,
        "Lean error:\n<input>:1:1: unknown tactic": ErrorClass.OTHER,
    }
    seen: dict[ErrorClass, int] = {}
    for path in sorted(transcripts_dir.glob("*.expected.out")):
        for raw in recorded_replies(path.read_bytes()):
            for item in json.loads(raw).get("messages", []):
                if item["severity"] != "error":
                    continue
                found = classify(item["data"])
                for prefix, kind in expected_by_prefix.items():
                    if item["data"].startswith(prefix):
                        assert found.kind is kind, (path.name, item["data"])
                        seen[kind] = seen.get(kind, 0) + 1
                if item["data"].startswith("Unknown identifier"):
                    assert f"`{found.subject}`" in item["data"]
    # The transcripts hold each of these classes at least once.
    assert {
        ErrorClass.UNSOLVED_GOALS,
        ErrorClass.UNKNOWN_IDENTIFIER,
        ErrorClass.SYNTAX,
        ErrorClass.NO_GOALS,
        ErrorClass.TACTIC_FAILED,
    } <= seen.keys()


@pytest.mark.parametrize(
    ("stem", "index", "expected"),
    [
        # `theorem foo (x : Int) : x = x := by` + a `have` proved by sorry: unsolved main goal
        ("have_by_sorry", 0, [(ErrorClass.UNSOLVED_GOALS, 0, 0)]),
        # `theorem ex : False := by exact?`
        ("self_proof_check", 0, [(ErrorClass.TACTIC_FAILED, 0, 3)]),
        # `example : True := by\n  sorry\n  sorry`: the second sorry has no goal left
        ("no_goal_sorry_2", 0, [(ErrorClass.NO_GOALS, 2, 2)]),
    ],
)
def test_real_lean_positions_land_on_the_proof_lines(
    transcripts_dir: Path, stem: str, index: int, expected: list[tuple[ErrorClass, int, int]]
) -> None:
    request, payload = transcript(transcripts_dir, stem)[index]
    source = read_source(request["cmd"])
    assert source.theorem.with_proof(source.proof) == request["cmd"]
    check = check_result(Reply(CallStatus.OK, payload), "recorded")
    found = errors(diagnose(source.theorem, source.proof, check))
    assert [(d.kind, d.line, d.column) for d in found] == expected


def test_the_stand_in_reports_what_real_lean_reports(
    standin_argv: tuple[str, ...], tmp_path: Path
) -> None:
    from prover.config import LeanSettings
    from prover.lean.pool import LeanServer

    proof = "by\n  have h2 : x = 4 := by omega\n  exact foo_bar h\n  rw h"
    with LeanServer(LeanSettings(repl_cmd=standin_argv, project_dir=tmp_path)) as lean:
        check = lean.check(THEOREM.header, THEOREM.with_proof(proof))
    found = errors(diagnose(THEOREM, proof, check))
    assert [(d.kind, d.line, d.column, d.subject) for d in found] == [
        (ErrorClass.TACTIC_FAILED, 1, 24, "omega"),
        (ErrorClass.UNKNOWN_IDENTIFIER, 2, 8, "foo_bar"),
        (ErrorClass.SYNTAX, 3, 5, None),
    ]
