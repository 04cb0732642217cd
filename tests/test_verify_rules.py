"""The soundness gate's static rules: a table of cheating proofs, each rejected for its reason.

No REPL is involved: these run on the proof text alone.
"""

from __future__ import annotations

import pytest

from prover.verify_lexer import LexError, TokenKind, tokenize
from prover.verify_rules import parse_declaration, proof_violation

THEOREM_PARTS = ("t",)

CHEATS: list[tuple[str, str, str]] = [
    # (id, proof text, expected reason)
    ("bare sorry", "sorry", "contains_sorry"),
    ("by sorry", "by sorry", "contains_sorry"),
    ("sorry in a bullet", "by\n  constructor\n  · omega\n  · sorry", "contains_sorry"),
    ("sorry in a have", "by\n  have h : False := sorry\n  exact h.elim", "contains_sorry"),
    ("sorry in an anonymous constructor", "⟨sorry, by simp⟩", "contains_sorry"),
    ("sorry after a line comment", "by\n  -- /-\n  sorry\n  -- -/", "contains_sorry"),
    ("sorry after a block comment holding --", "by\n  /- -- -/ sorry", "contains_sorry"),
    ("sorry after nested comments close", "by\n  /- /- -/ -/ sorry", "contains_sorry"),
    ("sorry after a char literal quote", "by\n  let c := '\"'\n  sorry -- \"", "contains_sorry"),
    ("sorry after an escaped quote", 'by\n  let s := "a\\"b"\n  sorry', "contains_sorry"),
    (
        "decreasing_by sorry",
        "by\n  exact h\ntermination_by n\ndecreasing_by sorry",
        "contains_sorry",
    ),
    ("sorryAx by name", "by exact @sorryAx _ false", "contains_sorry"),
    ("escaped «sorry»", "by exact «sorry»", "contains_sorry"),
    ("Cyrillic look-alike sorry", "by ѕоrry", "contains_sorry"),
    ("fullwidth sorry", "by ｓｏｒｒｙ", "contains_sorry"),
    ("admit", "by\n  intro h\n  admit", "contains_admit"),
    ("axiom after the proof", "by\n  exact cheat\naxiom cheat : False", "declares_axiom"),
    ("native_decide", "by native_decide", "native_decide"),
    ("decide +native", "by decide +native", "native_decide"),
    ("ofReduceBool by name", "by exact Lean.ofReduceBool _ _ rfl", "native_decide"),
    ("bv_decide", "by bv_decide", "native_decide"),
    ("#exit", "by\n  trivial\n#exit", "runs_code"),
    ("#eval", 'by\n  trivial\n#eval IO.println "x"', "runs_code"),
    (
        "fake axioms message",
        "by\n  exact hp\n#print \"'t' does not depend on any axioms\"",
        "runs_code",
    ),
    ("run_tac", "by\n  run_tac Lean.Elab.Tactic.evalTactic (← `(tactic| trivial))", "runs_code"),
    ("by_elab", "by exact (by_elab return Lean.mkConst ``True.intro)", "runs_code"),
    (
        "macro redefining a tactic",
        "by\n  omega\nmacro_rules | `(tactic| omega) => `(tactic| sorry)",
        "runs_code",
    ),
    ("local notation", 'by\n  trivial\nlocal notation "ok" => True', "runs_code"),
    ("attribute command", "by\n  simp\nattribute [simp] Nat.add_comm", "runs_code"),
    ("import", "by\n  trivial\nimport Mathlib", "runs_code"),
    (
        "set_option debug.skipKernelTC in",
        "set_option debug.skipKernelTC true in\nby trivial",
        "debug_option",
    ),
    (
        "set_option debug command",
        "by\n  trivial\nset_option debug.skipKernelTC true",
        "debug_option",
    ),
    ("unsafe term", "by exact unsafe (unsafeCast ())", "unsafe_code"),
    (
        "implemented_by attribute",
        "by\n  trivial\n@[implemented_by f] def g : Nat := 0",
        "unsafe_code",
    ),
    (
        "redeclaring the theorem",
        "by\n  trivial\ntheorem t (x : ℕ) : True := trivial",
        "statement_mismatch",
    ),
    (
        "changing the statement in a namespace",
        "by\n  exact hp\nnamespace X\ntheorem t : True := trivial",
        "statement_mismatch",
    ),
    ("closing with end", "by\n  trivial\nend", "statement_mismatch"),
    ("indented new command", "by\n  trivial\n  example : True := trivial", "statement_mismatch"),
    ("open without in", "by\n  trivial\nopen Nat", "statement_mismatch"),
    (
        "command unknown to the gate, at column 0",
        'by\n  trivial\ndeclare_simp_like_tactic cheat "cheat" with trivial',
        "statement_mismatch",
    ),
    # A `sorry` is named even where the layout rules also refuse the text.
    (
        "unknown command at column 0 installing sorry",
        'by\n  trivial\ndeclare_simp_like_tactic cheat "cheat" with sorry',
        "contains_sorry",
    ),
    ("sorry flush left after the proof", "by exact hp\nsorry", "contains_sorry"),
    ("admit flush left after the proof", "by\n  intro h\nadmit", "contains_admit"),
    ("look-alike sorry flush left", "by exact hp\nѕоrry", "contains_sorry"),
    ("sorry after a new command", "by\n  trivial\nend\nexample : False := sorry", "contains_sorry"),
    (
        "flush-left set_option in",
        "by\n  trivial\nset_option maxHeartbeats 0 in\n  simp",
        "statement_mismatch",
    ),
    ("set_option without in", "by\n  trivial\nset_option maxHeartbeats 0", "statement_mismatch"),
    ("unterminated comment", "by\n  trivial\n/- hide the rest", "cannot_tokenise"),
    ("interpolated string", 'by\n  have := s!"{sorry}"\n  trivial', "cannot_tokenise"),
    ("bidi override", "by\n  trivial -- \u202e hidden", "cannot_tokenise"),
]


@pytest.mark.parametrize(("proof", "reason"), [c[1:] for c in CHEATS], ids=[c[0] for c in CHEATS])
def test_cheat_is_rejected_for_its_reason(proof: str, reason: str) -> None:
    violation = proof_violation(proof, THEOREM_PARTS)
    assert violation is not None, f"accepted: {proof!r}"
    assert violation.code == reason, violation.detail
    assert violation.detail


def test_redeclaration_detail_names_the_theorem() -> None:
    violation = proof_violation("by\n  trivial\ntheorem t : True := trivial", THEOREM_PARTS)
    assert violation is not None
    assert "redeclares" in violation.detail


HONEST: list[tuple[str, str]] = [
    ("standin example", "by\n  constructor\n  · omega\n  · exact hpq hp"),
    ("sorry in a line comment", "by simp -- no sorry here"),
    ("sorry in nested block comments", "by\n  /- sorry /- admit -/ still a comment -/\n  exact hp"),
    ("sorry in a string", 'by\n  have h : "sorry" = "sorry" := rfl\n  exact hp'),
    ("sorry in a doc comment", "by\n  /-- sorry -/\n  exact hp"),
    ("open in", "by\n  open Nat in simp"),
    ("open scoped in", "by\n  open scoped BigOperators in\n  simp"),
    ("set_option in", "by\n  set_option maxHeartbeats 400000 in\n  omega"),
    ("term mode", "fun h => h.elim"),
    ("identifiers with primes and subscripts", "by\n  obtain ⟨h₁, h'⟩ := h\n  exact h₁.trans h'"),
    ("termination_by", "by\n  exact hp\ntermination_by n"),
    ("where clause", "by\n  exact aux\nwhere\n  aux : True := trivial"),
    ("array literal", "by\n  have : #[1, 2].size = 2 := rfl\n  exact hp"),
    ("names containing sorry", "by exact sorry_free_lemma hp"),
]


@pytest.mark.parametrize("proof", [h[1] for h in HONEST], ids=[h[0] for h in HONEST])
def test_honest_proof_passes(proof: str) -> None:
    assert proof_violation(proof, THEOREM_PARTS) is None


def test_native_decide_passes_when_explicitly_allowed() -> None:
    assert proof_violation("by native_decide", THEOREM_PARTS, allow_native_decide=True) is None
    # Allowing native evaluation allows nothing else.
    violation = proof_violation("by native_decide; sorry", THEOREM_PARTS, allow_native_decide=True)
    assert violation is not None and violation.code == "contains_sorry"


def test_most_specific_reason_wins() -> None:
    proof = 'by\n  omega\nmacro "omega" : tactic => `(tactic| sorry)'
    violation = proof_violation(proof, THEOREM_PARTS)
    assert violation is not None and violation.code == "runs_code"


def test_lexer_drops_comments_and_keeps_literals_whole() -> None:
    tokens = tokenize('a /- x /- y -/ z -/ "s -- t" -- u\nb')
    assert [(t.kind, t.text) for t in tokens] == [
        (TokenKind.IDENT, "a"),
        (TokenKind.STRING, '"s -- t"'),
        (TokenKind.IDENT, "b"),
    ]
    assert (tokens[2].line, tokens[2].column) == (2, 0)


def test_lexer_reports_where_it_gives_up() -> None:
    with pytest.raises(LexError, match="line 2, column 2"):
        tokenize('ok\n  "never closed')


def test_parse_declaration_skips_attributes_and_modifiers() -> None:
    head = parse_declaration("@[simp] private theorem Foo.bar (x : ℕ) : x = x")
    assert (head.keyword, head.name, head.name_parts) == ("theorem", "Foo.bar", ("Foo", "bar"))
    unnamed = parse_declaration("example : True")
    assert (unnamed.keyword, unnamed.name) == ("example", None)
    with pytest.raises(ValueError, match="must start with"):
        parse_declaration("x + 1 = 2")


def test_flush_left_proof_lines_are_refused() -> None:
    # Conservative: column 0 is where commands begin, so a proof must be indented.
    violation = proof_violation("by\nsimp", THEOREM_PARTS)
    assert violation is not None and violation.code == "statement_mismatch"
    assert "indent the proof" in violation.detail
    assert proof_violation("by\n  simp", THEOREM_PARTS) is None
