"""Is a difference between two eval runs more than chance? McNemar's exact test.

Paired outcomes on the problems both runs attempted: only the discordant pairs
(proved by one run, not the other) carry information. Under the null hypothesis
that both runs are equally strong, each discordant pair goes either way with
probability 1/2, so the count `b` of pairs won by run A is Binomial(b + c, 1/2).
The two-sided exact p-value is twice the smaller tail, at most 1. Computed with
integers (`math.comb`), so it is exact for any count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

ALPHA = 0.05


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact p-value of McNemar's test for `only_a` and `only_b` discordant pairs."""
    if only_a < 0 or only_b < 0:
        raise ValueError("counts of discordant pairs are never negative")
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


@dataclass(frozen=True)
class PairedTest:
    """McNemar's exact test on the problems both runs attempted."""

    pairs: int  # problems both runs attempted
    only_a: int
    only_b: int

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.only_a, self.only_b)

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    def describe(self) -> str:
        verdict = (
            f"significant at {ALPHA:.0%}" if self.significant else f"not significant at {ALPHA:.0%}"
        )
        return (
            f"{self.only_a} vs {self.only_b} of {self.pairs} paired problems proved by one run "
            f"only: p = {self.p_value:.3g}, {verdict}"
        )

    def as_dict(self) -> dict[str, float | int | bool]:
        return {
            "pairs": self.pairs,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "p_value": self.p_value,
            "significant": self.significant,
        }
