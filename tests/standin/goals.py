"""Goals: a local context of hypotheses, a target, and an optional case tag."""

from __future__ import annotations

from dataclasses import dataclass, replace

from standin.expr import Expr, Var, subst

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_DAGGER = "✝"


@dataclass(frozen=True)
class Hyp:
    """A hypothesis. Inaccessible ones carry Lean's display name (`h✝`, `h✝¹`) as their name,
    which no user text can spell, so terms mentioning them print the way Lean prints them."""

    name: str
    type: Expr

    @property
    def accessible(self) -> bool:
        return _DAGGER not in self.name


def _dagger_index(name: str, base: str) -> int | None:
    """0 for `base✝`, 1 for `base✝¹`, …; None for other names."""
    if not name.startswith(base + _DAGGER):
        return None
    suffix = name[len(base) + 1 :]
    digits = suffix.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
    if suffix == "":
        return 0
    return int(digits) if digits.isdigit() else None


def _dagger_name(base: str, index: int) -> str:
    return base + _DAGGER + (str(index).translate(_SUPERSCRIPTS) if index else "")


@dataclass(frozen=True)
class Goal:
    hyps: tuple[Hyp, ...]
    target: Expr
    tag: str = ""

    def lookup(self, name: str) -> Hyp | None:
        for hyp in reversed(self.hyps):
            if hyp.name == name:
                return hyp
        return None

    def with_hyp(self, name: str, type_: Expr, accessible: bool = True) -> Goal:
        return self.intro_hyp(name, type_, accessible)[0]

    def intro_hyp(self, base: str, type_: Expr, accessible: bool = True) -> tuple[Goal, str]:
        """Add a hypothesis and return its actual name.

        An inaccessible one is called `base✝`; an accessible one shadows an older `base`, which
        becomes `base✝`. Older `base✝…` names move up one superscript, as in Lean's display.
        """
        goal = self
        if not accessible or self.lookup(base) is not None:
            goal = goal._bump_daggers(base)
        if accessible and goal.lookup(base) is not None:
            goal = goal.rename(base, _dagger_name(base, 0))
        name = base if accessible else _dagger_name(base, 0)
        return replace(goal, hyps=(*goal.hyps, Hyp(name, type_))), name

    def _bump_daggers(self, base: str) -> Goal:
        taken = sorted(
            (i for h in self.hyps if (i := _dagger_index(h.name, base)) is not None),
            reverse=True,
        )
        goal = self
        for index in taken:
            goal = goal.rename(_dagger_name(base, index), _dagger_name(base, index + 1))
        return goal

    def rename(self, old: str, new: str) -> Goal:
        mapping = {old: Var(new)}
        hyps = tuple(
            Hyp(new if h.name == old else h.name, subst(h.type, mapping)) for h in self.hyps
        )
        return Goal(hyps, subst(self.target, mapping), self.tag)

    def with_target(self, target: Expr) -> Goal:
        return replace(self, target=target)

    def with_tag(self, tag: str) -> Goal:
        return replace(self, tag=tag)

    def without(self, name: str) -> Goal:
        return replace(self, hyps=tuple(h for h in self.hyps if h.name != name))

    def replace_hyp(self, name: str, type_: Expr) -> Goal:
        hyps = tuple(Hyp(h.name, type_) if h.name == name else h for h in self.hyps)
        return replace(self, hyps=hyps)

    def substitute(self, var: str, value: Expr) -> Goal:
        """Eliminate variable `var` everywhere in favour of `value` (what `subst` does)."""
        mapping = {var: value}
        hyps = tuple(replace(h, type=subst(h.type, mapping)) for h in self.hyps if h.name != var)
        return Goal(hyps, subst(self.target, mapping), self.tag)

    def var_types(self) -> dict[str, Expr]:
        return {h.name: h.type for h in self.hyps}
