"""Environments: imports, declarations (each remembering its axioms), options, variables.

Never mutated: every command builds a new one (copy on write), so old env ids stay valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from standin.expr import NUMERIC_TYPES, PROP, TYPE, Binder, Expr, Op, free_vars


@dataclass(frozen=True)
class Param:
    name: str
    type: Expr
    explicit: bool = True


@dataclass(frozen=True)
class Decl:
    name: str
    kind: str  # "theorem" | "axiom" | "def" | "builtin"
    params: tuple[Param, ...]
    type: Expr
    axioms: frozenset[str] = frozenset()
    value: Expr | None = None  # the body of a data `def`

    def full_type(self) -> Expr:
        """The statement as one term: `∀ (x : ℕ) {p : Prop}, P → Q` (implicit binders as `∀i`)."""
        result = self.type
        for param in reversed(self.params):
            if param.explicit and param.name not in free_vars(result) and is_proof_type(param.type):
                result = Op("→", (param.type, result))
            else:
                result = Binder("∀" if param.explicit else "∀i", param.name, param.type, result)
        return result


def is_proof_type(type_: Expr) -> bool:
    """Whether a binder of this type is a hypothesis (its type is a proposition)."""
    return type_ not in (*NUMERIC_TYPES, PROP, TYPE) and not (
        isinstance(type_, Op) and type_.op == "→" and type_.args[0] in NUMERIC_TYPES
    )


@dataclass(frozen=True)
class Environment:
    imports: tuple[str, ...] = ()
    decls: Mapping[str, Decl] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    variables: tuple[Param, ...] = ()

    @property
    def mathlib(self) -> bool:
        return any(m == "Mathlib" or m.startswith("Mathlib.") for m in self.imports)

    def with_decl(self, decl: Decl) -> Environment:
        return replace(self, decls={**self.decls, decl.name: decl})

    def with_option(self, name: str, value: str) -> Environment:
        return replace(self, options={**self.options, name: value})

    def with_variables(self, params: tuple[Param, ...]) -> Environment:
        return replace(self, variables=(*self.variables, *params))
