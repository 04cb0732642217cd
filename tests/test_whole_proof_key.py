"""The check key of a whole proof: identical proofs up to what Lean never sees share it."""

from __future__ import annotations

from prover.proof_key import normalise_proof, proof_key

PIN = "leanprover/lean4:v4.19.0 mathlib@abc123"
HEADER = "import Mathlib"
STATEMENT = "theorem t (a b : ℕ) : a + b = b + a"
BODY = "by\n  rw [Nat.add_comm]"


def key(body: str, *, pin: str = PIN, header: str = HEADER, statement: str = STATEMENT) -> str:
    return proof_key(lean_pin=pin, header=header, statement=statement, body=body)


def test_comments_trailing_space_blank_lines_and_line_endings_do_not_count() -> None:
    variants = [
        "by\n  rw [Nat.add_comm]  ",
        "by -- commute\n\n  rw [Nat.add_comm] -- done\n",
        "by\r\n  rw [Nat.add_comm]\r\n",
        "by\n  /- a\n  long comment -/\n  rw [Nat.add_comm]",
        "by\n  rw [Nat.add_comm] /- why -/",
    ]
    for variant in variants:
        assert normalise_proof(variant) == BODY
        assert key(variant) == key(BODY)


def test_layout_that_lean_sees_counts() -> None:
    # Indentation and in-line columns decide tactic blocks, so they stay part of the proof.
    assert key("by\n    rw [Nat.add_comm]") != key(BODY)
    assert key("by\n  · simp\n    ring") != key("by\n  · simp\n  ring")
    assert normalise_proof("by\n  /- c -/ simp") == "by\n          simp"
    assert key("by\n  rw  [Nat.add_comm]") != key(BODY)


def test_different_text_pin_header_or_statement_differ() -> None:
    assert key("by\n  rw [add_comm]") != key(BODY)
    assert key(BODY, pin="leanprover/lean4:v4.20.0 mathlib@abc123") != key(BODY)
    assert key(BODY, header="import Mathlib\nopen Nat") != key(BODY)
    assert key(BODY, statement="theorem t (a b : ℤ) : a + b = b + a") != key(BODY)
    assert len(key(BODY)) == 64 and key(BODY) == key(BODY)


def test_fields_cannot_run_into_each_other() -> None:
    assert proof_key(lean_pin="a", header="bc", statement="d", body="by simp") != proof_key(
        lean_pin="ab", header="c", statement="d", body="by simp"
    )


def test_strings_are_kept_whole() -> None:
    body = 'by\n  have h : "a -- b\n  c" = "a -- b\n  c" := rfl  -- end\n  exact h'
    assert normalise_proof(body) == 'by\n  have h : "a -- b\n  c" = "a -- b\n  c" := rfl\n  exact h'


def test_unreadable_text_still_gets_a_stable_key() -> None:
    broken = "by\n  simp /- never closed\n\n"
    assert normalise_proof(broken) == "by\n  simp /- never closed"
    assert key(broken) == key("by\n  simp /- never closed")
