"""Goals: a local context of hypotheses, a target, and an optional case tag."""

from __future__ import annotations

from dataclasses import dataclass, replace

from standin.expr import Expr, free_vars, subst


@dataclass(frozen=True)
class Hyp:
    name: str
    type: Expr
    accessible: bool = True

    @property
    def display_name(self) -> str:
        return self.name if self.accessible else f"{self.name}✝"


@dataclass(frozen=True)
class Goal:
    hyps: tuple[Hyp, ...]
    target: Expr
    tag: str = ""

    def lookup(self, name: str) -> Hyp | None:
        for hyp in reversed(self.hyps):
            if hyp.accessible and hyp.name == name:
                return hyp
        return None

    def with_hyp(self, name: str, type_: Expr, accessible: bool = True) -> Goal:
        """Add a hypothesis; an older one with the same name becomes inaccessible (`h✝`)."""
        hyps = tuple(
            replace(h, accessible=False) if h.name == name and accessible else h for h in self.hyps
        )
        return replace(self, hyps=(*hyps, Hyp(name, type_, accessible)))

    def with_target(self, target: Expr) -> Goal:
        return replace(self, target=target)

    def with_tag(self, tag: str) -> Goal:
        return replace(self, tag=tag)

    def without(self, name: str) -> Goal:
        return replace(self, hyps=tuple(h for h in self.hyps if h.name != name or not h.accessible))

    def replace_hyp(self, name: str, type_: Expr) -> Goal:
        hyps = tuple(
            Hyp(h.name, type_, True) if h.accessible and h.name == name else h for h in self.hyps
        )
        return replace(self, hyps=hyps)

    def substitute(self, var: str, value: Expr) -> Goal:
        """Eliminate variable `var` everywhere in favour of `value` (what `subst` does)."""
        mapping = {var: value}
        hyps = tuple(
            replace(h, type=subst(h.type, mapping))
            for h in self.hyps
            if not (h.accessible and h.name == var)
        )
        return Goal(hyps, subst(self.target, mapping), self.tag)

    @property
    def names(self) -> set[str]:
        return {h.name for h in self.hyps}

    def var_types(self) -> dict[str, Expr]:
        return {h.name: h.type for h in self.hyps if h.accessible}

    def mentions(self, name: str) -> bool:
        return name in free_vars(self.target) or any(name in free_vars(h.type) for h in self.hyps)
