"""repair.tools: the tool-correction table, its rendering, and its documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from repair.fixes import call_span
from repair.tools import ALTERNATIVES, TOOLS, AutomationCall, alternatives, parse_call

DOCS = Path(__file__).resolve().parent.parent / "docs" / "repair.md"


def test_linarith_escalates_as_the_issue_describes() -> None:
    assert alternatives("linarith")[:5] == [
        "nlinarith",
        "positivity",
        "norm_num",
        "omega",
        "simp_all",
    ]


def test_hint_terms_are_kept_by_tools_that_take_them() -> None:
    found = alternatives("linarith [h₀, sq_nonneg (x - 1)]")
    assert found[0] == "nlinarith [h₀, sq_nonneg (x - 1)]"
    assert "positivity" in found and "omega" in found  # they take no terms: dropped
    assert "norm_num [h₀, sq_nonneg (x - 1)]" in found


def test_a_location_is_kept_and_tools_without_one_are_skipped() -> None:
    found = alternatives("simp at h")
    assert found[0] == "norm_num at h"
    assert "simp_all" in found  # acts on every hypothesis anyway
    assert not any(option.startswith(("omega", "linarith", "decide")) for option in found)


def test_simp_only_loses_only_but_keeps_its_lemmas() -> None:
    assert parse_call("simp only [foo, bar] at h ⊢") == AutomationCall("simp", "foo, bar", "h ⊢")
    assert alternatives("simp only [foo]")[0] == "norm_num [foo]"


@pytest.mark.parametrize("text", ["exact h", "apply foo", "intro x", "rw [h]", "linarith_foo"])
def test_non_automation_has_no_alternatives(text: str) -> None:
    assert parse_call(text) is None
    assert alternatives(text) == []


def test_the_table_only_names_known_tools_and_never_native_decide() -> None:
    for name, options in ALTERNATIVES.items():
        assert name in TOOLS and set(options) <= TOOLS.keys()
        assert name not in options and len(set(options)) == len(options)
        assert "native_decide" not in options


@pytest.mark.parametrize(
    ("line", "column", "call"),
    [
        ("  · linarith [h]", 4, "linarith [h]"),
        ("  have h2 : x = 4 := by omega", 24, "omega"),
        ("  exact (by nlinarith [sq_nonneg (a - b)])", 12, "nlinarith [sq_nonneg (a - b)]"),
        ("  constructor <;> simp -- both", 18, "simp"),
        ("  norm_num; linarith", 2, "norm_num"),
    ],
)
def test_call_span_stops_where_the_call_ends(line: str, column: int, call: str) -> None:
    start, end = call_span(line, column)
    assert line[start:end] == call


def test_the_docs_print_the_table_as_it_is() -> None:
    text = DOCS.read_text(encoding="utf-8").split("## Tool correction", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (`.*`) \|$", text, re.MULTILINE)
    documented = {name: tuple(re.findall(r"`([^`]+)`", options)) for name, options in rows}
    assert documented == ALTERNATIVES
