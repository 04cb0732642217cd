"""Reading the theorem to check (header, statement, proof) out of a .lean file."""

from __future__ import annotations

import re

import pytest

from prover.verify_file import read_theorem

FILE = """\
import Mathlib
open Nat Real
set_option maxHeartbeats 400000

/-- A helper the main theorem may use. -/
lemma helper (p : Prop) (hp : p) : p := hp

@[simp]
theorem foo (x : ℕ) (h : x = 3) : x + 2 = 5 := by
  omega

/-- The main one: binders with defaults hold `:=` too. -/
theorem t (x : ℕ) (p q : Prop) (n : ℕ := 2) (h : x = 3) (hp : p) (hpq : p → q) :
    x + 2 = 5 ∧ q := by
  constructor
  · omega
  · exact hpq hp

#print axioms t
"""


def test_last_theorem_by_default_with_earlier_declarations_in_the_header() -> None:
    found = read_theorem(FILE)
    theorem = found.theorem
    assert theorem.name == "t"
    assert theorem.statement.startswith("/-- The main one")
    assert theorem.statement.endswith(":\n    x + 2 = 5 ∧ q")
    assert "(n : ℕ := 2)" in theorem.statement
    assert found.proof == "by\n  constructor\n  · omega\n  · exact hpq hp"
    assert theorem.header.startswith("import Mathlib\nopen Nat Real")
    assert "lemma helper" in theorem.header and "theorem foo" in theorem.header
    assert "/-- The main one" not in theorem.header, "a doc comment stays with its declaration"
    assert "#print" not in found.proof


def test_named_theorem_keeps_its_attribute_and_stops_before_the_next_doc_comment() -> None:
    found = read_theorem(FILE, "foo")
    assert found.theorem.statement == "@[simp]\ntheorem foo (x : ℕ) (h : x = 3) : x + 2 = 5"
    assert found.proof == "by\n  omega"
    assert found.theorem.header.endswith("lemma helper (p : Prop) (hp : p) : p := hp")


def test_first_declaration_has_only_the_header_lines_before_it() -> None:
    found = read_theorem(FILE, "helper")
    assert found.theorem.header == "import Mathlib\nopen Nat Real\nset_option maxHeartbeats 400000"
    assert found.proof == "hp"


def test_open_in_prefix_belongs_to_the_theorem() -> None:
    found = read_theorem("import Mathlib\nopen Real in\ntheorem s : π > 3 := by\n  positivity\n")
    assert found.theorem.header == "import Mathlib"
    assert found.theorem.statement == "open Real in\ntheorem s : π > 3"


def test_example_is_checked_when_it_is_the_only_candidate() -> None:
    found = read_theorem("example (p : Prop) (hp : p) : p := hp\n")
    assert (found.theorem.name, found.proof) == ("example", "hp")


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("import Mathlib\ndef f : ℕ := 3\n", None, "no `theorem`"),
        (FILE, "missing", "no theorem named 'missing' (it has: helper, foo, t)"),
        ("theorem t : True\n  | _ => trivial\n", None, "has no `:=`"),
        ("theorem t : True := /- unterminated\n", None, "cannot be read as Lean"),
    ],
)
def test_unusable_files_say_why(text: str, name: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        read_theorem(text, name)
