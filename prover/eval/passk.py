"""pass@k from repeated samples, the coverage curve, its scaling-law fit, and cost per solve.

Sources, checked against what they state:

- Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code",
  arXiv:2107.03374, §2.1): draw n ≥ k samples of a problem, c of them correct; then
  pass@k = 1 − C(n−c, k) / C(n, k), which is 1 when n − c < k, and the benchmark's pass@k
  is the mean over problems. The binomials overflow for large n, so (as in the paper's
  numpy reference code) the ratio is taken as the running product
  C(n−c, k)/C(n, k) = ∏_{i=n−c+1}^{n} (1 − k/i), every factor in [0, 1].
  pass@1 is c/n.
- Coverage scaling (Brown et al. 2024, "Large Language Monkeys: Scaling Inference Compute
  with Repeated Sampling", arXiv:2407.21787): coverage, the share of problems solved by at
  least one of k samples (pass@k with a perfect checker such as Lean), grows roughly
  log-linearly in k and "can be modelled with an exponentiated power law",
  log c ≈ a·k^b, i.e. c ≈ exp(a·k^b) with a < 0, b < 0. Schaeffer et al. 2025 ("How Do
  Large Language Monkeys Get Their Power (Laws)?", arXiv:2502.17578) state the same law as
  "the negative log of the average success rate scales as a power law in the number of
  attempts", −log c = (−a)·k^b.

The fit: log(−log c) = log(−a) + b·log k is linear in log k, so a and b come from an
ordinary least-squares line through the measured points (numpy `lstsq`). Points with
c = 0 (nothing solved: −log c is infinite) or c = 1 (everything solved: −log c = 0 has
no logarithm) carry no finite value on that scale and are left out; the fit needs two
points at distinct k that remain. The k predicted for a target coverage t solves
exp(a·k^b) = t: k = (log t / a)^(1/b).

Cost: tokens per solved problem (all tokens spent, on solved and unsolved problems alike,
divided by the problems solved), and money per solved problem from per-model prices per
million input and output tokens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemSamples:
    """One problem's samples: `n` drawn, `correct` of them verified."""

    n: int
    correct: int

    def __post_init__(self) -> None:
        if self.n < 0 or not 0 <= self.correct <= self.n:
            raise ValueError(f"need 0 ≤ correct ≤ n, got n={self.n}, correct={self.correct}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with `c` correct out of `n` samples (n ≥ k ≥ 1)."""
    if k < 1 or k > n:
        raise ValueError(f"pass@{k} needs 1 ≤ k ≤ n samples, and this problem has n={n}")
    if not 0 <= c <= n:
        raise ValueError(f"need 0 ≤ c ≤ n, got n={n}, c={c}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def mean_pass_at_k(problems: Sequence[ProblemSamples], k: int) -> float:
    """pass@k of a benchmark: the mean of its problems' pass@k."""
    if not problems:
        raise ValueError("pass@k of no problems is undefined")
    return sum(pass_at_k(p.n, p.correct, k) for p in problems) / len(problems)


def k_values(n: int) -> list[int]:
    """k = 1, 2, 4, … up to n, and n itself."""
    if n < 1:
        return []
    ks = [1 << e for e in range(n.bit_length()) if 1 << e <= n]
    return ks if ks[-1] == n else [*ks, n]


def coverage_curve(problems: Sequence[ProblemSamples]) -> list[tuple[int, float]]:
    """(k, pass@k) for k = 1, 2, 4, … up to the fewest samples any problem has."""
    if not problems:
        return []
    return [(k, mean_pass_at_k(problems, k)) for k in k_values(min(p.n for p in problems))]


@dataclass(frozen=True)
class PowerLawFit:
    """Coverage modelled as c(k) = exp(a·k^b), fitted on `points` of the measured curve."""

    a: float
    b: float
    points: int

    def coverage(self, k: float) -> float:
        return math.exp(self.a * k**self.b)

    def k_for(self, target: float) -> float | None:
        """The k at which the fit reaches coverage `target` (0 < target < 1); None when
        the fitted curve never rises to it (it does not grow with k)."""
        if not 0.0 < target < 1.0:
            raise ValueError(f"a target coverage lies strictly between 0 and 1, not {target}")
        if self.a >= 0.0 or self.b >= 0.0:
            return None
        return (math.log(target) / self.a) ** (1.0 / self.b)


def fit_power_law(curve: Sequence[tuple[int, float]]) -> PowerLawFit | None:
    """Least-squares fit of log(−log c) = log(−a) + b·log k on the points with 0 < c < 1;
    None with fewer than two such points at distinct k."""
    usable = [(k, c) for k, c in curve if k >= 1 and 0.0 < c < 1.0]
    if len({k for k, _ in usable}) < 2:
        return None
    import numpy as np  # only the fit needs it

    log_k = np.log(np.array([k for k, _ in usable], dtype=float))
    log_neg_log_c = np.log(-np.log(np.array([c for _, c in usable], dtype=float)))
    design = np.column_stack([np.ones_like(log_k), log_k])
    (intercept, slope), *_ = np.linalg.lstsq(design, log_neg_log_c, rcond=None)
    return PowerLawFit(a=-math.exp(float(intercept)), b=float(slope), points=len(usable))


def tokens_per_solved(tokens: int, solved: int) -> float | None:
    """All tokens spent divided by the problems solved (None when none was solved)."""
    return tokens / solved if solved > 0 else None


@dataclass(frozen=True)
class Price:
    """A model's price in money per million input and per million output tokens."""

    input_per_million: float
    output_per_million: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input_per_million + tokens_out * self.output_per_million) / 1e6


def money_spent(usage: Mapping[str, tuple[int, int]], prices: Mapping[str, Price]) -> float | None:
    """The cost of `usage` (model → (tokens in, tokens out)); None when a model that used
    tokens has no price, so that a partial sum is never shown as the whole cost."""
    total = 0.0
    for model, (tokens_in, tokens_out) in usage.items():
        if tokens_in == tokens_out == 0:
            continue
        price = prices.get(model)
        if price is None:
            return None
        total += price.cost(tokens_in, tokens_out)
    return total


def money_per_solved(
    usage: Mapping[str, tuple[int, int]], prices: Mapping[str, Price], solved: int
) -> float | None:
    """Money spent divided by the problems solved (None if unpriced or nothing solved)."""
    spent = money_spent(usage, prices)
    return spent / solved if spent is not None and solved > 0 else None
