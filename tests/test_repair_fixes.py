"""repair.fixes: the candidate edits proposed for each error class."""

from __future__ import annotations

from prover.types import CallStatus, CheckResult, Message, Position, Severity, Theorem
from repair.diagnose import Diagnosis, ErrorClass
from repair.fixes import names_in_scope, proposals
from repair.pipeline import improved

THEOREM = Theorem(
    "t",
    "import Mathlib",
    "theorem t (x : ℕ) (p q : Prop) (hp : p) (hpq : p → q) (h₀ : x % 2 = 1) : x ≠ 4 ∧ q",
)
NO_CHECK = CheckResult(CallStatus.OK)


def diagnosis(
    kind: ErrorClass,
    line: int,
    column: int,
    subject: str | None = None,
    replacement: str | None = None,
) -> Diagnosis:
    message = Message(Severity.ERROR, Position(1, 0), None, kind.value)
    return Diagnosis(kind, message, line, column, subject=subject, replacement=replacement)


def edits(proof: str, found: Diagnosis, check: CheckResult = NO_CHECK) -> list[tuple[str, str]]:
    return [(e.rule, e.proof) for e in proposals(THEOREM, proof, found, check)]


def test_an_unknown_hypothesis_is_renamed_to_similar_proofs_in_scope_first() -> None:
    proof = "by\n  constructor\n  · omega\n  · exact hpq hp2"
    found = edits(proof, diagnosis(ErrorClass.UNKNOWN_IDENTIFIER, 3, 14, "hp2"))
    renamed = [p.split("\n")[3] for rule, p in found if rule == "rename_hypothesis"]
    # `p` and `q` are bound to `Prop`: values, never a hypothesis's new name
    assert renamed == ["  · exact hpq hp", "  · exact hpq hpq", "  · exact hpq h₀"]


def test_names_come_from_binders_goals_and_earlier_lines() -> None:
    proof = "by\n  intro a b\n  obtain ⟨c, d⟩ := h\n  have h5 : p := hp\n  exact foo"
    check = CheckResult(
        CallStatus.OK,
        messages=(
            Message(
                Severity.ERROR, Position(1, 0), None, "unsolved goals\nx y✝ : ℕ\nhz : y✝ = 2\n⊢ q"
            ),
        ),
    )
    scope = names_in_scope(THEOREM, proof, 4, check)
    assert {"x", "p", "q", "hp", "hpq", "h₀", "a", "b", "c", "d", "h5", "hz"} <= scope.keys()
    assert "y" not in scope and "y✝" not in scope  # inaccessible
    assert scope["hp"] == "p" and scope["hz"] == "y✝ = 2"
    assert "a" not in names_in_scope(THEOREM, proof, 1, NO_CHECK)  # introduced on line 1


def test_lean3_namespaces_are_capitalised() -> None:
    proof = "by\n  exact nat.succ_le_of_lt h"
    found = edits(proof, diagnosis(ErrorClass.UNKNOWN_IDENTIFIER, 1, 8, "nat.succ_le_of_lt"))
    assert found[0] == ("lean3_namespace", "by\n  exact Nat.succ_le_of_lt h")


def test_an_unknown_hint_is_dropped_from_its_list() -> None:
    proof = "by\n  norm_num [foo, h₀]\n  simp [foo]"
    found = dict(edits(proof, diagnosis(ErrorClass.UNKNOWN_IDENTIFIER, 1, 12, "foo")))
    assert found["drop_unknown_hint"] == "by\n  norm_num [h₀]\n  simp [foo]"
    alone = dict(edits("by\n  simp [foo]", diagnosis(ErrorClass.UNKNOWN_IDENTIFIER, 1, 8, "foo")))
    assert alone["drop_unknown_hint"] == "by\n  simp"


def test_a_deprecated_name_becomes_lean_s_suggestion() -> None:
    proof = "by\n  exact Nat.pos_of_ne_zero' h"
    found = edits(
        proof, diagnosis(ErrorClass.DEPRECATED, 1, 8, "Nat.pos_of_ne_zero'", "Nat.pos_of_ne_zero")
    )
    assert found == [("deprecated_name", "by\n  exact Nat.pos_of_ne_zero h")]


def test_a_step_after_the_goal_was_closed_is_removed() -> None:
    proof = "by\n  omega\n  simp [h₀]\n    "
    assert edits(proof, diagnosis(ErrorClass.NO_GOALS, 2, 2)) == [
        ("drop_closed_step", "by\n  omega\n    ")
    ]


def test_lean3_split_becomes_constructor() -> None:
    proof = "by\n  split\n  · omega"
    found = edits(proof, diagnosis(ErrorClass.OTHER, 1, 2))
    assert found == [("split_to_constructor", "by\n  constructor\n  · omega")]
    assert edits("by\n  split_ifs", diagnosis(ErrorClass.TACTIC_FAILED, 1, 2, "split_ifs")) == []


def test_a_failing_automation_call_gets_the_table_s_alternatives_in_place() -> None:
    proof = "by\n  constructor\n  · linarith [h₀] -- first\n  · simp"
    found = edits(proof, diagnosis(ErrorClass.TACTIC_FAILED, 2, 4, "linarith"))
    lines = [p.split("\n")[2] for rule, p in found if rule == "tool_correction"]
    assert lines[:3] == [
        "  · nlinarith [h₀] -- first",
        "  · positivity -- first",
        "  · norm_num [h₀] -- first",
    ]


def test_statement_errors_get_no_fix() -> None:
    message = Message(Severity.ERROR, Position(1, 0), None, "Unknown identifier `foo`")
    assert (
        proposals(
            THEOREM,
            "by\n  simp",
            Diagnosis(ErrorClass.UNKNOWN_IDENTIFIER, message, None, None, subject="foo"),
            NO_CHECK,
        )
        == []
    )


def test_improvement_means_the_line_is_clean_and_the_errors_fewer_or_later() -> None:
    target = diagnosis(ErrorClass.UNKNOWN_IDENTIFIER, 3, 14, "hp2")
    later = diagnosis(ErrorClass.TACTIC_FAILED, 5, 2)
    earlier = diagnosis(ErrorClass.UNSOLVED_GOALS, 0, 0)
    same_line = diagnosis(ErrorClass.TYPE_MISMATCH, 3, 14)
    assert improved([target], [], target)
    assert improved([target], [later], target)  # the frontier moved past the line
    assert not improved([target], [same_line], target)  # a wrong name: a type mismatch there
    assert not improved([target], [earlier], target)  # e.g. a closer that left goals
    assert improved([target, earlier], [earlier], target)
    deprecated = diagnosis(ErrorClass.DEPRECATED, 1, 8, "old", "new")
    assert improved([deprecated, later], [later], deprecated)
    assert not improved([deprecated], [deprecated], deprecated)
