"""Reading theorems out of Lean text: the statement/proof split, names and file headers."""

from __future__ import annotations

import re

import pytest

from prover.lean_text import TheoremTextError, declaration_from_text, theorem_from_text


def test_the_statement_stops_before_the_proof_and_the_default_header_applies() -> None:
    theorem = theorem_from_text("theorem t (p : Prop) (hp : p) : p := by sorry")
    assert (theorem.name, theorem.statement) == ("t", "theorem t (p : Prop) (hp : p) : p")
    assert theorem.header == "import Mathlib"
    assert theorem_from_text("lemma l : True := by\n  sorry", default_header="").header == ""


def test_a_colon_equals_inside_brackets_or_a_top_level_let_is_not_the_proof() -> None:
    text = "theorem t (n : ℕ := 3) : let x := 3\n  x = n := by\n  sorry"
    assert theorem_from_text(text).statement == "theorem t (n : ℕ := 3) : let x := 3\n  x = n"
    given = theorem_from_text("theorem u (h : {x : ℕ // x = 1}) : True := by simp")
    assert given.statement == "theorem u (h : {x : ℕ // x = 1}) : True"


def test_comments_and_strings_never_hold_the_split() -> None:
    text = 'theorem t : "a := b" = "a := b" -- := sorry\n  := sorry'
    assert theorem_from_text(text).statement == 'theorem t : "a := b" = "a := b"'


def test_an_example_gets_a_stable_generated_name() -> None:
    first = theorem_from_text("example : 1 = 1 := rfl")
    again = theorem_from_text("example : 1 = 1 := by decide")
    assert first.name.startswith("example_") and first.name == again.name
    assert first.statement == "example : 1 = 1"


def test_a_file_gives_its_prefix_as_header_without_the_theorem_s_doc_comment() -> None:
    source = (
        "import Mathlib\nopen Real\n\n@[simp] theorem helper : True := trivial\n\n"
        "/-- The one we want. -/\n@[simp]\ntheorem goal (x : ℝ) :\n    x = x := by\n  rfl\n"
        "theorem after : True := trivial\n"
    )
    theorem = theorem_from_text(source, name="goal", default_header="", source="F.lean")
    assert theorem.statement == "@[simp]\ntheorem goal (x : ℝ) :\n    x = x"
    assert theorem.header == (
        "import Mathlib\nopen Real\n\n@[simp] theorem helper : True := trivial"
    )
    assert theorem.source == "F.lean"


def test_open_in_prefixes_become_header_lines() -> None:
    source = (
        "import Mathlib\nopen Nat in\nset_option maxRecDepth 1000 in\ntheorem t : True := by sorry"
    )
    theorem = theorem_from_text(source, default_header="")
    assert theorem.statement == "theorem t : True"
    assert theorem.header == "import Mathlib\nopen Nat\nset_option maxRecDepth 1000"


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("def f : ℕ := 3", None, "no `theorem`"),
        ("  theorem t : True := trivial", None, "column 0"),
        ('theorem t : "open', None, "cannot read the Lean text"),
        ("theorem a : True := trivial\ntheorem b : True := trivial", None, "choose one with"),
        ("theorem a : True := trivial", "b", "no theorem named 'b' here (found: a)"),
    ],
)
def test_unusable_text_says_why(text: str, name: str | None, message: str) -> None:
    with pytest.raises(TheoremTextError, match=re.escape(message)):
        theorem_from_text(text, name=name)


FILE = """\
import Mathlib
open Nat Real

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


def test_declarations_come_with_their_proofs_and_earlier_ones_join_the_header() -> None:
    found = declaration_from_text(FILE, last_by_default=True)
    assert found.theorem.name == "t"
    assert "(n : ℕ := 2)" in found.theorem.statement
    assert found.theorem.statement.endswith(":\n    x + 2 = 5 ∧ q")
    assert found.proof == "by\n  constructor\n  · omega\n  · exact hpq hp"
    assert "lemma helper" in found.theorem.header and "theorem foo" in found.theorem.header
    assert "#print" not in (found.proof or "")
    named = declaration_from_text(FILE, name="foo")
    assert (named.theorem.name, named.proof) == ("foo", "by\n  omega")
    assert declaration_from_text(FILE, name="helper").proof == "hp"


def test_several_theorems_need_a_name_unless_the_last_is_wanted() -> None:
    with pytest.raises(TheoremTextError, match="choose one with --name"):
        declaration_from_text(FILE)


def test_a_statement_without_proof_has_none() -> None:
    assert declaration_from_text("theorem t : True").proof is None
