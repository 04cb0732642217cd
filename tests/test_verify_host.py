"""The rule that keeps host code out of whole snippets sent to `leanwb serve`."""

from __future__ import annotations

import pytest

from prover.verify_host import HostCodeError, ensure_no_host_code

ALLOWED = [
    "import Mathlib\n\ntheorem t : 1 + 1 = 2 := by norm_num",
    "#check Nat.add_comm\n#print axioms Nat.add_comm\n#reduce 2 + 2",
    "open Nat in\ntheorem t (n : ℕ) : n + 0 = n := by simp",
    "@[simp] theorem a : (1 : ℕ) = 1 := rfl\nattribute [local simp] Nat.add_comm",
    'notation "𝟙" => (1 : ℕ)\nmacro "triv" : tactic => `(tactic| trivial)',
    "def f (n : ℕ) : ℕ := n + 1\n-- #eval f 1\n/- run_cmd pure () -/",
    'def s : String := "#eval IO.println 1"',
    "set_option maxHeartbeats 400000 in\ntheorem t : True := trivial",
]
REFUSED = [
    ("#eval IO.println 1", "`#eval`"),
    ("#eval! 1", "`#eval!`"),
    ("#guard 1 = 1", "`#guard`"),
    ("#some_new_command", "`#some_new_command`"),
    ('run_cmd Lean.logInfo "x"', "`run_cmd`"),
    ('def f (n : Nat) : String := s!"{n}"', "interpolated string"),  # code the lexer cannot see
    ('elab "x" : term => pure (Lean.mkNatLit 1)', "`elab`"),
    ("initialize counter : IO.Ref Nat ← IO.mkRef 0", "`initialize`"),
    ("unsafe def f : Nat := 1", "`unsafe`"),
    ("@[implemented_by g] def f : Nat := 1", "implemented_by"),
    ('@[extern "c_fn"] opaque f : Nat → Nat', "extern"),
    (
        "@[command_elab foo] def f : Lean.Elab.Command.CommandElab := fun _ => pure ()",
        "command_elab",
    ),
    ("attribute [tactic my] myTac", "`tactic`"),
    ("theorem t : True := by\n  run_tac pure ()", "`run_tac`"),
    ("def x := 1 /- unterminated", "cannot be tokenised"),
]


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_lean_passes(text: str) -> None:
    ensure_no_host_code(text)


@pytest.mark.parametrize(("text", "named"), REFUSED)
def test_code_that_would_run_on_the_host_is_refused(text: str, named: str) -> None:
    with pytest.raises(HostCodeError) as refused:
        ensure_no_host_code(text)
    assert named in str(refused.value)
