"""Budgets: what an attempt may spend, and what it has spent.

Every strategy stops on the first exhausted limit and reports its `Spent`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from prover.errors import BudgetError
from prover.types import StopReason

BUDGET_KEYS = {
    "time": "wall_s",
    "wall": "wall_s",
    "wall_s": "wall_s",
    "lean": "lean_calls",
    "lean_calls": "lean_calls",
    "tokens": "tokens",
    "expansions": "expansions",
    "tactic_timeout": "tactic_timeout_s",
    "tactic_timeout_s": "tactic_timeout_s",
}
UNBOUNDED = ("none", "unbounded")
_SECONDS = ("wall_s", "tactic_timeout_s")


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one attempt; `None` means unbounded."""

    wall_s: float | None = 300.0
    lean_calls: int | None = None
    tokens: int | None = None
    expansions: int | None = None
    tactic_timeout_s: float = 30.0

    def share(self, fraction: float) -> Limits:
        """A sub-budget holding `fraction` of every bounded limit (for portfolios and subgoals)."""

        def part(value: float | int | None) -> Any:
            if value is None:
                return None
            scaled = value * fraction
            return max(1, int(scaled)) if isinstance(value, int) else scaled

        return replace(
            self,
            wall_s=part(self.wall_s),
            lean_calls=part(self.lean_calls),
            tokens=part(self.tokens),
            expansions=part(self.expansions),
        )


def parse_budget(spec: str | None, defaults: Limits | None = None) -> Limits:
    """`wall=60,lean_calls=200,tokens=none,expansions=64,tactic_timeout=10` -> Limits.

    Keys not given keep `defaults` (`Limits()` unless given). Every number must be a
    finite positive number (`nan`, `inf` and `-0` are refused); `none` lifts a limit.
    Raises BudgetError with one sentence saying what is wrong.
    """
    limits: dict[str, Any] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, raw = part.partition("=")
        name = BUDGET_KEYS.get(key.strip())
        if not sep or name is None:
            raise BudgetError(
                f"budget part {part.strip()!r} is not KEY=VALUE with KEY one of "
                f"{', '.join(sorted(set(BUDGET_KEYS)))}"
            )
        value = raw.strip().lower()
        if value in UNBOUNDED:
            if name == "tactic_timeout_s":
                raise BudgetError("budget tactic_timeout needs a number of seconds")
            limits[name] = None
            continue
        limits[name] = budget_number(
            key.strip(),
            value.removesuffix("s") if name in _SECONDS else value,
            seconds=name in _SECONDS,
        )
    return replace(defaults or Limits(), **limits)


def budget_number(key: str, text: str, *, seconds: bool) -> float | int:
    """One budget value: a finite number above zero (seconds may be fractional)."""
    try:
        number = float(text)
    except ValueError:
        raise BudgetError(f"budget {key}={text!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise BudgetError(f"budget {key}={text!r} must be a finite number above zero")
    if seconds:
        return number
    if not number.is_integer():
        raise BudgetError(f"budget {key}={text!r} must be a whole number")
    return int(number)


@dataclass
class Spent:
    lean_calls: int = 0
    lean_s: float = 0.0
    generator_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    expansions: int = 0
    wall_s: float = 0.0

    def add(self, other: Spent) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass
class Budget:
    """Limits plus a running account. Not thread-safe: one per attempt."""

    limits: Limits = field(default_factory=Limits)
    spent: Spent = field(default_factory=Spent)
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining_wall(self) -> float | None:
        if self.limits.wall_s is None:
            return None
        return max(0.0, self.limits.wall_s - self.elapsed())

    def tactic_timeout(self) -> float:
        """Per-call Lean timeout, never beyond the wall time left (but at least 1 s)."""
        left = self.remaining_wall()
        timeout = self.limits.tactic_timeout_s
        return timeout if left is None else max(1.0, min(timeout, left))

    def charge_lean(self, elapsed_s: float) -> None:
        self.spent.lean_calls += 1
        self.spent.lean_s += elapsed_s

    def charge_generator(self, calls: int, tokens_in: int, tokens_out: int) -> None:
        self.spent.generator_calls += calls
        self.spent.tokens_in += tokens_in
        self.spent.tokens_out += tokens_out

    def charge_expansion(self) -> None:
        self.spent.expansions += 1

    def exhausted(self) -> StopReason | None:
        """The first exhausted limit, or None while work may go on."""
        lim, sp = self.limits, self.spent
        if lim.wall_s is not None and self.elapsed() >= lim.wall_s:
            return StopReason.WALL_TIME
        if lim.lean_calls is not None and sp.lean_calls >= lim.lean_calls:
            return StopReason.LEAN_CALLS
        if lim.tokens is not None and sp.tokens_in + sp.tokens_out >= lim.tokens:
            return StopReason.TOKENS
        if lim.expansions is not None and sp.expansions >= lim.expansions:
            return StopReason.EXPANSIONS
        return None

    def remaining(self) -> Limits:
        """What is left on every bounded axis."""
        lim, sp = self.limits, self.spent

        def left(limit: float | int | None, used: float | int) -> Any:
            return None if limit is None else max(0, limit - used)

        return replace(
            lim,
            wall_s=self.remaining_wall(),
            lean_calls=left(lim.lean_calls, sp.lean_calls),
            tokens=left(lim.tokens, sp.tokens_in + sp.tokens_out),
            expansions=left(lim.expansions, sp.expansions),
        )

    def child(self, fraction: float) -> Budget:
        """A sub-budget with `fraction` of what is left, starting now, accounted separately.

        The caller merges the child's `spent` back with `absorb` when it is done.
        """
        return Budget(limits=self.remaining().share(fraction))

    def absorb(self, child: Budget) -> None:
        wall = self.spent.wall_s
        self.spent.add(child.spent)
        self.spent.wall_s = wall  # wall time is measured by the parent itself

    def finish(self) -> Spent:
        self.spent.wall_s = self.elapsed()
        return self.spent
