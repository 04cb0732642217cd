"""The soundness gate's use of Lean's reply: errors, sorries and the `#print axioms` audit.

A scripted `Lean` double answers each check with the reply a test describes, so
every branch of the audit is exercised exactly; the end-to-end tests against the
stand-in REPL live in tests/test_check_cli.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes import FakeLean, LeanCheck, checks

from prover.types import (
    CallStatus,
    CheckResult,
    Message,
    Position,
    Severity,
    Sorry,
    Theorem,
    VerdictKind,
)
from prover.verify import parse_axioms, verify

THEOREM = Theorem(
    name="t",
    header="import Mathlib",
    statement="theorem t (p q : Prop) (hp : p) (hpq : p → q) : q",
)
PROOF = "by\n  exact hpq hp"


def axioms_line(body: str) -> int:
    """The line of the gate's own `#print axioms` command in `body`."""
    return next(i for i, line in enumerate(body.split("\n"), 1) if line.startswith("#print axioms"))


def info(line: int, text: str, column: int = 0) -> Message:
    return Message(Severity.INFO, Position(line, column), None, text)


def scripted(reply: Callable[[str], CheckResult]) -> FakeLean:
    """A Lean answering each check with `reply(body)` (the gate only checks)."""
    return FakeLean(checks(reply))


def calls(lean: FakeLean) -> list[tuple[str, str, float | None]]:
    return [(r.header, r.body, r.timeout) for r in lean.of_kind(LeanCheck)]


def answering(text: str, *extra: Message) -> FakeLean:
    """A Lean whose `#print axioms` answer is `text`, placed at the gate's own command."""
    return scripted(
        lambda body: CheckResult(
            CallStatus.OK, env=1, messages=(*extra, info(axioms_line(body), text))
        )
    )


def test_clean_proof_with_standard_axioms_is_proved() -> None:
    lean = answering("'t' depends on axioms: [propext, Classical.choice, Quot.sound]")
    verdict = verify(THEOREM, PROOF, lean, timeout=7.0)
    assert verdict.kind is VerdictKind.PROVED
    assert verdict.axioms == ("propext", "Classical.choice", "Quot.sound")
    header, body, timeout = calls(lean)[0]
    assert header == THEOREM.header and timeout == 7.0
    assert body.startswith(THEOREM.with_proof(PROOF))
    assert body.endswith("\n\n#print axioms t")


def test_proof_without_axioms_is_proved() -> None:
    verdict = verify(THEOREM, PROOF, answering("'t' does not depend on any axioms"))
    assert verdict.proved and verdict.axioms == ()
    assert verdict.messages == (), "the gate's own command is not reported as the user's"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("'t' depends on axioms: [propext,\n sorryAx]", "sorry_in_lean"),
        ("'t' depends on axioms: [Lean.ofReduceBool]", "native_decide"),
        ("'t' depends on axioms: [Lean.trustCompiler]", "native_decide"),
        ("'t' depends on axioms: [t._native.native_decide.ax_1_3]", "native_decide"),
        ("'t' depends on axioms: [propext,\n  cheat]", "forbidden_axiom"),
        ("'t' depends on axioms: [Classical.choice, Foo.«weird axiom»]", "forbidden_axiom"),
    ],
)
def test_axioms_beyond_the_standard_three_are_rejected(message: str, reason: str) -> None:
    verdict = verify(THEOREM, PROOF, answering(message))
    assert (verdict.kind, verdict.reason) == (VerdictKind.REJECTED, reason)


def test_native_axioms_pass_only_when_allowed() -> None:
    lean = answering(
        "'t' depends on axioms: [propext, Lean.ofReduceBool, t._native.native_decide.ax_1]"
    )
    verdict = verify(THEOREM, "by native_decide", lean, allow_native_decide=True)
    assert verdict.proved
    assert "Lean.ofReduceBool" in verdict.axioms
    refused = verify(THEOREM, "by native_decide", lean)
    assert (refused.kind, refused.reason) == (VerdictKind.REJECTED, "native_decide")
    assert len(calls(lean)) == 1, "a statically refused proof must not reach Lean"


def test_axioms_message_printed_elsewhere_does_not_count() -> None:
    # A message such as Mathlib's `trace` can print any text, but not at our command's line.
    lean = scripted(
        lambda body: CheckResult(
            CallStatus.OK,
            env=1,
            messages=(info(2, "'t' does not depend on any axioms", column=2),),
        )
    )
    verdict = verify(THEOREM, PROOF, lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.REJECTED, "axioms_unknown")


def test_axioms_message_about_another_declaration_does_not_count() -> None:
    verdict = verify(THEOREM, PROOF, answering("'other' does not depend on any axioms"))
    assert verdict.reason == "axioms_unknown"


def test_two_messages_at_the_audit_line_are_not_trusted() -> None:
    lean = scripted(
        lambda body: CheckResult(
            CallStatus.OK,
            env=1,
            messages=(
                info(axioms_line(body), "'t' does not depend on any axioms"),
                info(axioms_line(body), "'t' depends on axioms: [sorryAx]"),
            ),
        )
    )
    assert verify(THEOREM, PROOF, lean).reason == "axioms_unknown"


def test_name_inside_a_namespace_matches() -> None:
    verdict = verify(THEOREM, PROOF, answering("'Foo.t' depends on axioms: [propext]"))
    assert verdict.proved


def test_lean_error_fails() -> None:
    error = Message(Severity.ERROR, Position(2, 2), None, "unknown identifier 'hq'\nmore")
    lean = scripted(lambda body: CheckResult(CallStatus.OK, env=1, messages=(error,)))
    verdict = verify(THEOREM, "by\n  exact hq", lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.FAILED, "lean_error")
    assert verdict.detail == "unknown identifier 'hq'"
    assert verdict.messages == (error,)
    assert verdict.axioms == (), "no `#print axioms` answer came back"


def test_failed_verdict_carries_the_axioms_lean_reported() -> None:
    error = Message(Severity.ERROR, Position(2, 8), None, "unknown identifier 'hq'")
    lean = answering("'t' depends on axioms: [propext, sorryAx]", error)
    verdict = verify(THEOREM, "by\n  exact hq", lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.FAILED, "lean_error")
    assert verdict.axioms == ("propext", "sorryAx")
    assert verdict.messages == (error,), "the audit's answer is in `axioms`, not in messages"


def test_unterminated_proof_is_reported_at_its_end_not_at_the_gate_s_command() -> None:
    proof = "(by exact hpq hp"
    lean = scripted(
        lambda body: CheckResult(
            CallStatus.OK,
            env=1,
            messages=(
                Message(
                    Severity.ERROR,
                    Position(axioms_line(body), 0),
                    Position(axioms_line(body), 6),
                    "unexpected token '#print'; expected ')'",
                ),
                Message(
                    Severity.ERROR,
                    Position(axioms_line(body), 14),
                    None,
                    "Unknown constant `t`",
                ),
            ),
        )
    )
    verdict = verify(THEOREM, proof, lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.FAILED, "lean_error")
    end = Position(1, len(THEOREM.with_proof(proof)))
    assert verdict.messages == (
        Message(Severity.ERROR, end, None, "unexpected end of input; expected ')'"),
    )
    assert verdict.detail == "unexpected end of input; expected ')'"


def test_error_only_in_the_gate_s_command_is_not_shown_as_the_user_s() -> None:
    lean = scripted(
        lambda body: CheckResult(
            CallStatus.OK,
            env=1,
            messages=(
                Message(Severity.ERROR, Position(axioms_line(body), 14), None, "Unknown constant"),
            ),
        )
    )
    verdict = verify(THEOREM, PROOF, lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.FAILED, "lean_error")
    assert verdict.messages == ()
    assert "`#print axioms`" in verdict.detail


def test_unnamed_declaration_messages_are_positioned_in_the_user_s_text() -> None:
    theorem = Theorem("ex", "", "example (p : Prop) (hp : p) : p")
    proof = "by\n  exact hq"

    def reply(body: str) -> CheckResult:
        first = body.split("\n")[0]
        name = body.rsplit("#print axioms ", 1)[1]
        return CheckResult(
            CallStatus.OK,
            env=1,
            messages=(
                Message(Severity.ERROR, Position(1, first.index("(hp")), None, "binder"),
                Message(Severity.WARNING, Position(1, first.index(name) + 3), None, "name"),
                Message(Severity.ERROR, Position(2, 8), Position(2, 10), "unknown 'hq'"),
                info(axioms_line(body), f"'{name}' depends on axioms: [sorryAx]"),
            ),
        )

    verdict = verify(theorem, proof, scripted(reply))
    user = theorem.with_proof(proof).split("\n")[0]
    assert [(m.text, m.pos, m.end_pos) for m in verdict.messages] == [
        ("binder", Position(1, user.index("(hp")), None),
        ("name", Position(1, 0), None),  # inside the gate's name: the user's `example`
        ("unknown 'hq'", Position(2, 8), Position(2, 10)),
    ]
    assert verdict.axioms == ("sorryAx",)


def test_sorry_reported_by_lean_is_rejected() -> None:
    warning = Message(Severity.WARNING, Position(1, 8), None, "declaration uses `sorry`")
    lean = answering("'t' depends on axioms: [sorryAx]", warning)
    verdict = verify(THEOREM, PROOF, lean)
    assert (verdict.reason, verdict.axioms, verdict.messages) == (
        "sorry_in_lean",
        ("sorryAx",),
        (warning,),
    )
    with_hole = scripted(lambda body: CheckResult(CallStatus.OK, env=1, sorries=(Sorry("⊢ q", 0),)))
    assert verify(THEOREM, PROOF, with_hole).reason == "sorry_in_lean"


@pytest.mark.parametrize(
    "status", [CallStatus.TIMEOUT, CallStatus.CRASH, CallStatus.MEMORY, CallStatus.REPL_ERROR]
)
def test_no_answer_from_lean_fails_with_the_call_status(status: CallStatus) -> None:
    lean = scripted(lambda body: CheckResult(status, error="details"))
    verdict = verify(THEOREM, PROOF, lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.FAILED, status.value)
    assert "details" in verdict.detail


def test_header_failure_fails_with_header_error() -> None:
    error = Message(Severity.ERROR, Position(1, 0), None, "unknown module prefix 'Mathlb'")
    lean = scripted(
        lambda body: CheckResult(
            CallStatus.OK, env=None, messages=(error,), error="the header failed to elaborate"
        )
    )
    verdict = verify(THEOREM, PROOF, lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.FAILED, "header_error")


def test_example_is_audited_under_a_fresh_name() -> None:
    seen: list[str] = []

    def reply(body: str) -> CheckResult:
        name = body.rsplit("#print axioms ", 1)[1]
        seen.append(name)
        return CheckResult(
            CallStatus.OK,
            env=1,
            messages=(info(axioms_line(body), f"'{name}' depends on axioms: [propext]"),),
        )

    theorem = Theorem("ex", "", "example (p : Prop) (hp : p) : p")
    verdict = verify(theorem, "hp", scripted(reply))
    assert verdict.proved
    assert seen[0].startswith("leanwb_checked_")
    other = verify(theorem, "by exact hp", scripted(reply))
    assert other.proved and seen[1] != seen[0], "the name depends on the proof text"


def test_header_switching_off_the_kernel_is_rejected() -> None:
    theorem = Theorem("t", "set_option debug.skipKernelTC true", THEOREM.statement)
    lean = answering("'t' does not depend on any axioms")
    verdict = verify(theorem, PROOF, lean)
    assert (verdict.kind, verdict.reason) == (VerdictKind.REJECTED, "debug_option")
    assert calls(lean) == []


def test_unreadable_statement_is_rejected() -> None:
    verdict = verify(Theorem("t", "", "1 + 1 = 2"), "rfl", answering("unused"))
    assert (verdict.kind, verdict.reason) == (VerdictKind.REJECTED, "bad_statement")


def test_static_rejection_names_its_reason_and_keeps_the_proof() -> None:
    lean = answering("'t' does not depend on any axioms")
    verdict = verify(THEOREM, "by sorry", lean)
    assert (verdict.kind, verdict.reason, verdict.proof) == (
        VerdictKind.REJECTED,
        "contains_sorry",
        "by sorry",
    )
    assert calls(lean) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'t' does not depend on any axioms", ("t", ())),
        ("'a.b' depends on axioms: [propext]", ("a.b", ("propext",))),
        (
            "'x' depends on axioms: [propext,\n Classical.choice,\n"
            " x._native.native_decide.ax_1_2]",
            ("x", ("propext", "Classical.choice", "x._native.native_decide.ax_1_2")),
        ),
        ("unknown constant 'x'", None),
    ],
)
def test_parse_axioms(text: str, expected: tuple[str, tuple[str, ...]] | None) -> None:
    assert parse_axioms(text) == expected
