"""`leanwb check` end to end: the CLI, the REPL pool, the stand-in REPL and the soundness gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prover.cli import app

STATEMENT = "theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q"
HONEST = "by\n  constructor\n  · omega\n  · exact hpq hp"
BROKEN = "by\n  constructor\n  · omega\n  · exact hp"
WITH_SORRY = "by\n  constructor\n  · omega\n  · sorry"
STANDARD_AXIOMS = {"propext", "Classical.choice", "Quot.sound"}

runner = CliRunner()


def check(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["check", "--json", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


def check_statement(proof: str, *extra: str) -> tuple[int, dict[str, Any]]:
    return check("--statement", STATEMENT, "--proof", proof, *extra)


@pytest.mark.usefixtures("standin_env")
def test_honest_proof_is_proved() -> None:
    code, out = check_statement(HONEST)
    assert (code, out["verdict"], out["reason"]) == (0, "proved", None)
    assert set(out["axioms"]) <= STANDARD_AXIOMS
    assert out["theorem"] == "t"
    assert isinstance(out["messages"], list)


@pytest.mark.usefixtures("standin_env")
def test_broken_proof_fails_with_lean_error() -> None:
    code, out = check_statement(BROKEN)
    assert (code, out["verdict"], out["reason"]) == (1, "failed", "lean_error")
    assert any(m["severity"] == "error" for m in out["messages"])


@pytest.mark.usefixtures("standin_env")
def test_proof_with_sorry_is_rejected() -> None:
    code, out = check_statement(WITH_SORRY)
    assert (code, out["verdict"], out["reason"]) == (1, "rejected", "contains_sorry")


@pytest.mark.usefixtures("standin_env")
def test_native_decide_needs_explicit_permission() -> None:
    statement = "theorem n : 2 + 2 = 4"
    code, out = check("--statement", statement, "--proof", "by native_decide")
    assert (code, out["verdict"], out["reason"]) == (1, "rejected", "native_decide")
    code, out = check(
        "--statement", statement, "--proof", "by native_decide", "--allow-native-decide"
    )
    assert (code, out["verdict"]) == (0, "proved"), out
    assert "Lean.ofReduceBool" in out["axioms"]


@pytest.mark.usefixtures("standin_env")
def test_axiom_declared_before_the_theorem_is_caught_by_the_audit(tmp_path: Path) -> None:
    source = tmp_path / "cheat.lean"
    source.write_text(f"axiom cheat (q : Prop) : q\n\n{STATEMENT} := by\n  exact cheat _\n")
    code, out = check(str(source))
    assert (code, out["verdict"], out["reason"]) == (1, "rejected", "forbidden_axiom")
    assert "cheat" in out["axioms"]


@pytest.mark.usefixtures("standin_env")
def test_file_mode_checks_the_named_theorem(tmp_path: Path) -> None:
    source = tmp_path / "proofs.lean"
    source.write_text(
        f"{STATEMENT} := {HONEST}\n\ntheorem u (p : Prop) (hp : p) : p := by\n  sorry\n"
    )
    code, out = check(str(source), "--name", "t")
    assert (code, out["verdict"], out["theorem"]) == (0, "proved", "t")
    code, out = check(str(source), "--name", "u")
    assert (code, out["verdict"], out["theorem"], out["reason"]) == (
        1,
        "rejected",
        "u",
        "contains_sorry",
    )


def test_several_theorems_without_name_are_not_chosen_silently(tmp_path: Path) -> None:
    source = tmp_path / "ok.lean"
    source.write_text("theorem a : True := trivial\n\ntheorem b : True := trivial\n")
    result = runner.invoke(app, ["check", str(source)])
    assert result.exit_code == 2
    error = " ".join(result.stderr.split())
    assert "2 theorems found (a, b); choose one with --name" in error, error
    assert result.stdout == ""


@pytest.mark.usefixtures("standin_env")
def test_unterminated_file_is_reported_at_its_end_in_file_positions(tmp_path: Path) -> None:
    line = "theorem t (p : Prop) (hp : p) : p := (by exact hp"
    source = tmp_path / "syn.lean"
    source.write_text(line + "\n")
    code, out = check(str(source))
    assert (code, out["verdict"], out["reason"]) == (1, "failed", "lean_error")
    assert [(m["source"], m["line"], m["column"], m["text"]) for m in out["messages"]] == [
        ("file", 1, len(line), "unexpected end of input; expected ')'")
    ]
    assert "#print" not in json.dumps(out)
    result = runner.invoke(app, ["check", str(source)])
    shown = " ".join(result.stdout.split())
    assert f"syn.lean:1:{len(line)} error: unexpected end of input" in shown, shown
    assert "#print" not in shown


@pytest.mark.usefixtures("standin_env")
def test_file_messages_carry_file_positions(tmp_path: Path) -> None:
    source = tmp_path / "f.lean"
    source.write_text(
        "import Mathlib\n\n/-- doc -/\ntheorem t (p : Prop) (hp : p) : p :=\n  by\n    exact hq\n"
    )
    code, out = check(str(source))
    assert (code, out["reason"]) == (1, "lean_error")
    error = out["messages"][0]
    assert (error["source"], error["line"], error["column"]) == ("file", 6, 10)
    assert (error["end_line"], error["end_column"]) == (6, 12)


@pytest.mark.usefixtures("standin_env")
def test_header_errors_carry_file_positions(tmp_path: Path) -> None:
    source = tmp_path / "h.lean"
    source.write_text("\n\nimport Mathlib\nfoo bar\n\ntheorem t (p : Prop) (hp : p) : p := hp\n")
    code, out = check(str(source))
    assert (code, out["reason"]) == (1, "header_error")
    error = out["messages"][0]
    assert (error["source"], error["line"], error["column"]) == ("file", 4, 0)


@pytest.mark.usefixtures("standin_env")
def test_option_messages_carry_positions_in_their_option() -> None:
    proof = "\n  by\n    constructor\n    · omega\n    · exact hp"
    code, out = check("--statement", "\n" + STATEMENT, "--proof", proof)
    assert (code, out["reason"]) == (1, "lean_error")
    error = out["messages"][0]
    assert (error["source"], error["line"], error["column"]) == ("proof", 5, 12)
    code, out = check("--statement", "theorem s (n : ℕ) : n = nn", "--proof", "rfl")
    assert code == 1
    positions = [(m["source"], m["line"], m["column"]) for m in out["messages"]]
    assert ("statement", 1, 24) in positions, out["messages"]
    code, out = check(
        "--header", "import Mathlib\nfoo bar", "--statement", STATEMENT, "--proof", HONEST
    )
    assert (code, out["reason"]) == (1, "header_error")
    assert [(m["source"], m["line"]) for m in out["messages"]] == [("header", 2)]


@pytest.mark.usefixtures("standin_env")
def test_failed_verdict_reports_the_axioms_lean_printed() -> None:
    code, out = check_statement(BROKEN)
    assert (code, out["verdict"]) == (1, "failed")
    assert "sorryAx" in out["axioms"]


@pytest.mark.usefixtures("standin_env")
def test_statement_ending_in_a_comment_keeps_its_proof() -> None:
    code, out = check("--statement", "theorem n : 2 + 2 = 4 -- note", "--proof", "by decide")
    assert (code, out["verdict"]) == (0, "proved"), out


@pytest.mark.usefixtures("standin_env")
def test_text_output_states_the_verdict() -> None:
    result = runner.invoke(app, ["check", "--statement", STATEMENT, "--proof", HONEST])
    assert result.exit_code == 0
    assert result.stdout.startswith("proved t (axioms:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a FILE, or both --statement"),
        (["--statement", STATEMENT], "give a FILE, or both --statement"),
        (["x.lean", "--proof", "rfl"], "not both"),
        (["--statement", STATEMENT, "--proof", "rfl", "--name", "t"], "--name selects"),
        (["/nonexistent/x.lean"], "cannot read /nonexistent/x.lean"),
        (["--statement", "1 + 1 = 2", "--proof", "rfl"], "--statement: the statement must"),
        (
            ["--statement", "theorem t : 1 + 1 = 2 := by decide", "--proof", "by decide"],
            "--statement must stop before `:=`; put the proof in --proof",
        ),
        (
            ["--statement", "theorem t : 1 + 1 = 2 :=", "--proof", "by decide"],
            "--statement must stop before `:=`",
        ),
        (["--statement", STATEMENT, "--proof", " \n"], "--proof is empty"),
        (["--statement", "", "--proof", "rfl"], "--statement is empty"),
        (["--statement", STATEMENT, "--proof", ":= rfl"], "leave the `:=` out"),
    ],
)
def test_bad_arguments_stop_with_one_sentence(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["check", *args])
    assert result.exit_code == 2
    error = " ".join(result.stderr.split())
    assert error.startswith("error: ") and message in error, error
    assert "Traceback" not in result.output


def test_unknown_theorem_name_lists_the_file_s_theorems(tmp_path: Path) -> None:
    source = tmp_path / "one.lean"
    source.write_text("theorem a : True := trivial\n")
    result = runner.invoke(app, ["check", str(source), "--name", "b"])
    assert result.exit_code == 2
    assert "no theorem named 'b' here (found: a)" in " ".join(result.stderr.split())


def test_missing_repl_command_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEANWB_REPL_CMD", "/nonexistent/repl")
    result = runner.invoke(app, ["check", "--statement", STATEMENT, "--proof", HONEST])
    assert result.exit_code == 2
    error = " ".join(result.stderr.split())
    assert error.startswith("error: cannot start the Lean REPL")
    assert "Traceback" not in result.output
