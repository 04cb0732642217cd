"""The pass@k chart as SVG: one marker per measured k on a log₂ axis, the power-law fit
drawn where it says, the legend above every line, its parameters stated in words; a run
without samples shows none of it."""

from __future__ import annotations

import dataclasses
import itertools
import math
from xml.etree import ElementTree

from test_eval_report import ROWS, record_run

from prover.budget import Limits
from prover.eval.html_report import fit_statement, pass_at_k_chart, render_html
from prover.eval.passk import PowerLawFit, coverage_curve, fit_power_law
from prover.eval.passk import ProblemSamples as P
from prover.eval.report import load_summary
from prover.eval.sampling import SamplingStats
from prover.graph.store import Store

SVG = {"s": "http://www.w3.org/2000/svg"}


def stats_for(problems: list[P]) -> SamplingStats:
    curve = coverage_curve(problems)
    fitted = fit_power_law(curve)
    assert fitted is not None
    fit = {"a": fitted.a, "b": fitted.b, "points": fitted.points, "target": 0.9}
    fit["k_for_target"] = fitted.k_for(0.9)
    return SamplingStats(
        problems=len(problems),
        samples=sum(p.n for p in problems),
        correct=sum(p.correct for p in problems),
        honest=True,
        pass_at_k=curve,
        fit=fit,
        tokens_per_solved=None,
        money_per_solved=None,
    )


def points(line: ElementTree.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]


def test_the_chart_marks_each_k_on_a_log_axis_with_the_fit_and_a_clear_legend(
    store: Store,
) -> None:
    summary = load_summary(store, record_run(store, ROWS[:2], budget=Limits(wall_s=10.0)))
    a = stats_for([P(16, 1), P(16, 4), P(16, 0), P(16, 9)])  # k = 1, 2, 4, 8, 16
    b = stats_for([P(16, 3), P(16, 8), P(16, 1), P(16, 12)])
    svg = ElementTree.fromstring(
        pass_at_k_chart(
            [
                ("run 1", dataclasses.replace(summary, sampling=a)),
                ("run 2", dataclasses.replace(summary, sampling=b)),
            ]
        )
    )
    circles = svg.findall("s:circle[@class='point']", SVG)
    assert len(circles) == len(a.pass_at_k) + len(b.pass_at_k) == 10
    xs = [float(c.get("cx", 0)) for c in circles[:5]]
    gaps = [round(right - left, 1) for left, right in itertools.pairwise(xs)]
    assert len(set(gaps)) == 1 and gaps[0] > 0  # doubling k is one step: a log axis
    ys = [float(c.get("cy", 0)) for c in circles[:5]]
    assert ys == sorted(ys, reverse=True)  # coverage grows with k (up on the page)

    # The fit's ends are exp(a·k^b) at k = 1 and k = 16, on the measured points' scale.
    fit_a = PowerLawFit(a.fit["a"], a.fit["b"], a.fit["points"])
    first_fit = svg.findall("s:polyline[@class='fit']", SVG)[0]
    measured = svg.findall("s:polyline[@class='measured']", SVG)[0]
    (x0, y0), (x1, y1) = points(measured)[0], points(measured)[-1]
    scale = (y0 - y1) / (100 * (a.pass_at_k[-1][1] - a.pass_at_k[0][1]))  # px per percent
    baseline = y0 + scale * 100 * a.pass_at_k[0][1]
    fit_points = points(first_fit)
    assert fit_points[0][0] == x0 and fit_points[-1][0] == x1
    for (_, y), k in ((fit_points[0], 1), (fit_points[-1], 16)):
        assert math.isclose(baseline - y, scale * 100 * fit_a.coverage(k), abs_tol=0.2)

    legend = svg.find("s:g[@class='legend']", SVG)
    assert legend is not None
    assert [t.text for t in legend.findall("s:text", SVG)] == [
        "run 1",
        "run 1 fit",
        "run 2",
        "run 2 fit",
    ]
    legend_bottom = max(float(t.get("y", 0)) for t in legend.findall("s:text", SVG))
    lines = svg.findall("s:polyline", SVG)
    assert legend_bottom < min(y for line in lines for _, y in points(line))
    assert legend_bottom < min(y - 3.5 for y in (float(c.get("cy", 0)) for c in circles))


def test_the_fit_is_stated_and_a_run_without_samples_has_no_curve(store: Store) -> None:
    stats = stats_for([P(8, 1), P(8, 3), P(8, 0)])
    words = fit_statement("run 7", stats)
    assert f"a = {stats.fit['a']:.4g}" in words and f"b = {stats.fit['b']:.4g}" in words
    assert "90.0% coverage predicted at k ≈" in words
    never = dataclasses.replace(stats, fit={**stats.fit, "k_for_target": None})
    assert "the fit never reaches 90.0%" in fit_statement("run 7", never)
    assert "no power-law fit" in fit_statement("run 7", dataclasses.replace(stats, fit=None))

    summary = load_summary(store, record_run(store, ROWS[:2], budget=Limits(wall_s=10.0)))
    assert summary.sampling is None
    assert pass_at_k_chart([("run 1", summary)]) == ""
    page = render_html(summary, {})
    assert "Whole-proof samples" not in page and "pass@k" not in page
    assert "verified / samples" not in page
    sampled = render_html(dataclasses.replace(summary, sampling=stats), {})
    assert "Whole-proof samples" in sampled and sampled.count('class="point"') == 4
