"""Core and Mathlib constants the stand-in knows, written as Lean signatures and parsed lazily."""

from __future__ import annotations

from functools import cache

from standin.env import Decl
from standin.expr import FALSE, INT, NAT, PROP, REAL, TRUE, TYPE, Const, Expr, Op

SORT_NAMES: dict[str, Expr] = {
    "Prop": PROP,
    "Nat": NAT,
    "ℕ": NAT,
    "Int": INT,
    "ℤ": INT,
    "True": TRUE,
    "False": FALSE,
    "Type": TYPE,
    "Real": REAL,
    "ℝ": REAL,
    "Rat": Const("Rat"),
    "ℚ": Const("Rat"),
    "Complex": Const("Complex"),
    "ℂ": Const("Complex"),
    "Unit": Const("Unit"),
    "Bool": Const("Bool"),
    "String": Const("String"),
}

CLASSICAL = frozenset({"Classical.choice", "propext", "Quot.sound"})

_SIGNATURES = """
And.intro : ∀ {a b : Prop}, a → b → a ∧ b
And.left : ∀ {a b : Prop}, a ∧ b → a
And.right : ∀ {a b : Prop}, a ∧ b → b
And.symm : ∀ {a b : Prop}, a ∧ b → b ∧ a
Or.inl : ∀ {a b : Prop}, a → a ∨ b
Or.inr : ∀ {a b : Prop}, b → a ∨ b
Or.elim : ∀ {a b c : Prop}, a ∨ b → (a → c) → (b → c) → c
Or.symm : ∀ {a b : Prop}, a ∨ b → b ∨ a
Iff.intro : ∀ {a b : Prop}, (a → b) → (b → a) → (a ↔ b)
Iff.mp : ∀ {a b : Prop}, (a ↔ b) → a → b
Iff.mpr : ∀ {a b : Prop}, (a ↔ b) → b → a
Iff.symm : ∀ {a b : Prop}, (a ↔ b) → (b ↔ a)
absurd : ∀ {a b : Prop}, a → ¬a → b
False.elim : ∀ {a : Prop}, False → a
Not.elim : ∀ {a b : Prop}, ¬a → a → b
mt : ∀ {a b : Prop}, (a → b) → ¬b → ¬a
trivial : True
True.intro : True
id : ∀ {a : Prop}, a → a
rfl : ∀ {α : Type} {a : α}, a = a
Eq.refl : ∀ {α : Type} (a : α), a = a
Eq.symm : ∀ {α : Type} {a b : α}, a = b → b = a
Eq.trans : ∀ {α : Type} {a b c : α}, a = b → b = c → a = c
Ne.symm : ∀ {α : Type} {a b : α}, a ≠ b → b ≠ a
Nat.zero_le : ∀ (n : ℕ), 0 ≤ n
Int.natAbs : ℤ → ℕ
Nat.succ : ℕ → ℕ
Nat.le_refl : ∀ (n : ℕ), n ≤ n
Nat.lt_irrefl : ∀ (n : ℕ), ¬n < n
Nat.succ_pos : ∀ (n : ℕ), 0 < n + 1
Nat.succ_ne_zero : ∀ (n : ℕ), n + 1 ≠ 0
Nat.one_pos : 0 < 1
Nat.add_comm : ∀ (n m : ℕ), n + m = m + n
Nat.mul_comm : ∀ (n m : ℕ), n * m = m * n
Nat.add_assoc : ∀ (n m k : ℕ), n + m + k = n + (m + k)
Nat.mul_assoc : ∀ (n m k : ℕ), n * m * k = n * (m * k)
Nat.add_zero : ∀ (n : ℕ), n + 0 = n
Nat.zero_add : ∀ (n : ℕ), 0 + n = n
Nat.mul_one : ∀ (n : ℕ), n * 1 = n
Nat.one_mul : ∀ (n : ℕ), 1 * n = n
Nat.mul_zero : ∀ (n : ℕ), n * 0 = 0
Nat.zero_mul : ∀ (n : ℕ), 0 * n = 0
Nat.le_of_lt : ∀ {n m : ℕ}, n < m → n ≤ m
Nat.le_trans : ∀ {n m k : ℕ}, n ≤ m → m ≤ k → n ≤ k
Nat.lt_trans : ∀ {n m k : ℕ}, n < m → m < k → n < k
Nat.lt_of_lt_of_le : ∀ {n m k : ℕ}, n < m → m ≤ k → n < k
Nat.lt_of_le_of_lt : ∀ {n m k : ℕ}, n ≤ m → m < k → n < k
Nat.not_lt_zero : ∀ (n : ℕ), ¬n < 0
Nat.lt_succ_self : ∀ (n : ℕ), n < n + 1
Nat.le_succ : ∀ (n : ℕ), n ≤ n + 1
Nat.pos_of_ne_zero : ∀ {n : ℕ}, n ≠ 0 → 0 < n
Nat.le_antisymm : ∀ {n m : ℕ}, n ≤ m → m ≤ n → n = m
le_refl : ∀ (a : ℕ), a ≤ a
le_rfl : ∀ {a : ℕ}, a ≤ a
lt_irrefl : ∀ (a : ℕ), ¬a < a
lt_trans : ∀ {a b c : ℕ}, a < b → b < c → a < c
le_antisymm : ∀ {a b : ℕ}, a ≤ b → b ≤ a → a = b
ne_of_gt : ∀ {a b : ℕ}, a > b → a ≠ b
ne_of_lt : ∀ {a b : ℕ}, a < b → a ≠ b
lt_of_le_of_ne : ∀ {a b : ℕ}, a ≤ b → a ≠ b → a < b
add_pos : ∀ {a b : ℕ}, 0 < a → 0 < b → 0 < a + b
mul_pos : ∀ {a b : ℕ}, 0 < a → 0 < b → 0 < a * b
add_assoc : ∀ (a b c : ℕ), a + b + c = a + (b + c)
mul_assoc : ∀ (a b c : ℕ), a * b * c = a * (b * c)
two_mul : ∀ (a : ℕ), 2 * a = a + a
mul_two : ∀ (a : ℕ), a * 2 = a + a
pow_two : ∀ (a : ℕ), a ^ 2 = a * a
sq : ∀ (a : ℕ), a ^ 2 = a * a
left_distrib : ∀ (a b c : ℕ), a * (b + c) = a * b + a * c
right_distrib : ∀ (a b c : ℕ), (a + b) * c = a * c + b * c
mul_add : ∀ (a b c : ℕ), a * (b + c) = a * b + a * c
add_mul : ∀ (a b c : ℕ), (a + b) * c = a * c + b * c
Nat.succ_le_of_lt : ∀ {n m : ℕ}, n < m → n + 1 ≤ m
Nat.lt_of_succ_le : ∀ {n m : ℕ}, n + 1 ≤ m → n < m
le_trans : ∀ {a b c : ℕ}, a ≤ b → b ≤ c → a ≤ c
lt_of_lt_of_le : ∀ {a b c : ℕ}, a < b → b ≤ c → a < c
lt_of_le_of_lt : ∀ {a b c : ℕ}, a ≤ b → b < c → a < c
le_of_lt : ∀ {a b : ℕ}, a < b → a ≤ b
add_comm : ∀ (a b : ℕ), a + b = b + a
mul_comm : ∀ (a b : ℕ), a * b = b * a
add_zero : ∀ (a : ℕ), a + 0 = a
zero_add : ∀ (a : ℕ), 0 + a = a
mul_one : ∀ (a : ℕ), a * 1 = a
one_mul : ∀ (a : ℕ), 1 * a = a
LT.lt.le : ∀ {a b : ℕ}, a < b → a ≤ b
LT.lt.ne : ∀ {a b : ℕ}, a < b → a ≠ b
LT.lt.trans : ∀ {a b c : ℕ}, a < b → b < c → a < c
LE.le.trans : ∀ {a b c : ℕ}, a ≤ b → b ≤ c → a ≤ c
"""

_CLASSICAL_SIGNATURES = """
Classical.em : ∀ (p : Prop), p ∨ ¬p
em : ∀ (p : Prop), p ∨ ¬p
Classical.byContradiction : ∀ {p : Prop}, (¬p → False) → p
Classical.not_not : ∀ {a : Prop}, ¬¬a ↔ a
not_not : ∀ {a : Prop}, ¬¬a ↔ a
"""

# Head symbol of a hypothesis' type -> namespace searched by dot notation (`h.mp`, `h.le`).
_NAMESPACES = {"∧": "And", "∨": "Or", "↔": "Iff", "=": "Eq", "≠": "Ne", "<": "LT.lt", "≤": "LE.le"}
_FIELD_ALIASES = {("And", "1"): "left", ("And", "2"): "right", ("Iff", "1"): "mp"}


@cache
def _table() -> dict[str, Decl]:
    # Parsed with the stand-in's own elaborator, which itself consults this table.
    from standin.context import Context
    from standin.elab import Elaborator
    from standin.env import Environment
    from standin.goals import Goal
    from standin.lexer import Source, tokenize
    from standin.syntax import Parser

    table: dict[str, Decl] = {}
    for block, axioms in ((_SIGNATURES, frozenset()), (_CLASSICAL_SIGNATURES, CLASSICAL)):
        for line in block.strip().splitlines():
            name, _, signature = line.partition(" : ")
            source = Source(signature)
            stx = Parser(source, tokenize(signature)).term(0)
            elaborator = Elaborator(Context(Environment(), source))
            type_ = elaborator.to_expr(stx, Goal((), TRUE))
            table[name] = Decl(name, "builtin", (), type_, axioms)
    return table


class _Builtins:
    def get(self, name: str) -> Decl | None:
        return _table().get(name)


BUILTINS = _Builtins()


def dotted_builtin(base_type: Expr, field: str) -> Decl | None:
    """The constant `h.field` denotes, given the type of `h` (its first explicit argument)."""
    if base_type == FALSE and field == "elim":
        return _table()["False.elim"]
    if isinstance(base_type, Op) and base_type.op == "→" and base_type.args[1] == FALSE:
        return _table().get(f"Not.{field}")
    if not isinstance(base_type, Op):
        return None
    namespace = _NAMESPACES.get(base_type.op)
    if namespace is None:
        return None
    field = _FIELD_ALIASES.get((namespace, field), field)
    return _table().get(f"{namespace}.{field}")


def builtin_names() -> list[str]:
    return list(_table())
