"""pass@k, the coverage curve, the exponentiated power-law fit and cost per solve."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import pytest

from prover.eval.passk import (
    PowerLawFit,
    Price,
    ProblemSamples,
    coverage_curve,
    fit_power_law,
    k_values,
    mean_pass_at_k,
    money_per_solved,
    money_spent,
    pass_at_k,
    tokens_per_solved,
)

# Four problems with 4 samples each; correct samples per problem: 0, 1, 2, 4.
PROBLEMS = [ProblemSamples(4, 0), ProblemSamples(4, 1), ProblemSamples(4, 2), ProblemSamples(4, 4)]


def test_pass_at_k_by_hand() -> None:
    # Per problem, 1 − C(4−c, k)/C(4, k), worked out on paper:
    #   c=0: 0, 0, 0, 0      (k = 1, 2, 3, 4)
    #   c=1: 1/4, 1 − 3/6 = 1/2, 1 − 1/4 = 3/4, 1
    #   c=2: 1/2, 1 − 1/6 = 5/6, 1 (n−c = 2 < 3), 1
    #   c=4: 1, 1, 1, 1
    by_hand = {
        1: (0 + Fraction(1, 4) + Fraction(1, 2) + 1) / 4,
        2: (0 + Fraction(1, 2) + Fraction(5, 6) + 1) / 4,
        3: (0 + Fraction(3, 4) + 1 + 1) / 4,
        4: Fraction(3, 4),
    }
    for k, expected in by_hand.items():
        assert mean_pass_at_k(PROBLEMS, k) == pytest.approx(float(expected), abs=1e-12)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert pass_at_k(4, 2, 3) == 1.0


def test_pass_at_one_is_the_share_correct() -> None:
    for n in range(1, 40):
        for c in range(n + 1):
            assert pass_at_k(n, c, 1) == pytest.approx(c / n, abs=1e-12)


def test_running_product_equals_the_binomial_formula() -> None:
    for n in range(1, 25):
        for c in range(n + 1):
            for k in range(1, n + 1):
                exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
                assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-12)


def test_large_n_stays_finite_and_exact() -> None:
    n, c, k = 10_000, 3, 5_000
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    value = pass_at_k(n, c, k)
    assert math.isfinite(value) and value == pytest.approx(float(exact), rel=1e-9)
    assert pass_at_k(n, 0, k) == 0.0 and pass_at_k(n, n - k + 1, k) == 1.0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="1 ≤ k ≤ n"):
        pass_at_k(4, 1, 5)
    with pytest.raises(ValueError, match="1 ≤ k ≤ n"):
        pass_at_k(4, 1, 0)
    with pytest.raises(ValueError, match="0 ≤ c ≤ n"):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError, match="0 ≤ correct ≤ n"):
        ProblemSamples(3, 4)
    with pytest.raises(ValueError, match="no problems"):
        mean_pass_at_k([], 1)


def test_k_values_and_curve() -> None:
    assert k_values(8) == [1, 2, 4, 8]
    assert k_values(10) == [1, 2, 4, 8, 10]
    assert k_values(1) == [1]
    assert k_values(0) == []
    curve = coverage_curve(PROBLEMS)
    assert [k for k, _ in curve] == [1, 2, 4]
    assert curve[-1][1] == pytest.approx(0.75)
    # Problems with different sample counts: k stops at the fewest.
    mixed = coverage_curve([ProblemSamples(8, 1), ProblemSamples(5, 0)])
    assert [k for k, _ in mixed] == [1, 2, 4, 5]
    assert coverage_curve([]) == []


def test_power_law_fit_recovers_known_parameters() -> None:
    a, b = -1.7, -0.32
    curve = [(k, math.exp(a * k**b)) for k in k_values(4096)]
    fit = fit_power_law(curve)
    assert fit is not None
    assert fit.a == pytest.approx(a, rel=1e-9) and fit.b == pytest.approx(b, rel=1e-9)
    assert fit.points == len(curve)
    assert fit.coverage(100) == pytest.approx(math.exp(a * 100**b), rel=1e-9)
    target_k = fit.k_for(0.6)
    assert target_k is not None and fit.coverage(target_k) == pytest.approx(0.6, rel=1e-9)


def test_saturated_and_empty_points_are_left_out() -> None:
    a, b = -2.0, -0.5
    curve = [(1, 0.0), *[(k, math.exp(a * k**b)) for k in (2, 4, 8, 16)], (32, 1.0)]
    fit = fit_power_law(curve)
    assert fit is not None and fit.points == 4
    assert fit.a == pytest.approx(a, rel=1e-9) and fit.b == pytest.approx(b, rel=1e-9)
    assert fit_power_law([(1, 0.2), (1, 0.3), (2, 1.0)]) is None
    assert fit_power_law([(1, 0.0), (2, 0.0)]) is None
    assert fit_power_law([]) is None


def test_a_curve_that_does_not_grow_predicts_no_k() -> None:
    flat = PowerLawFit(a=-1.0, b=0.2, points=3)
    assert flat.k_for(0.5) is None
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        flat.k_for(1.0)


def test_tokens_and_money_per_solved_problem() -> None:
    assert tokens_per_solved(12_000, 4) == 3_000
    assert tokens_per_solved(12_000, 0) is None
    prices = {"deepseek-prover-v2": Price(0.5, 2.0), "kimina": Price(1.0, 4.0)}
    usage = {"deepseek-prover-v2": (2_000_000, 500_000), "kimina": (1_000_000, 250_000)}
    # 2·0.5 + 0.5·2 = 2.0, and 1·1 + 0.25·4 = 2.0
    assert money_spent(usage, prices) == pytest.approx(4.0)
    assert money_per_solved(usage, prices, 8) == pytest.approx(0.5)
    assert money_per_solved(usage, prices, 0) is None
    assert money_spent({**usage, "unpriced": (10, 10)}, prices) is None
    assert money_spent({**usage, "unused": (0, 0)}, prices) == pytest.approx(4.0)


def test_importing_passk_does_not_import_numpy() -> None:
    code = "import sys, prover.eval.passk; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
