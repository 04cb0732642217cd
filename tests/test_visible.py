"""Invisible characters (a "trojan source" spoof) are shown as escapes: the one helper,
its HTML and rich forms, the page's copy of its character class, and `graph show`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from prover.budget import Spent
from prover.cli import app
from prover.graph.store import Store
from prover.protocols import EdgeKind, NodeKind
from prover.types import Theorem, Verdict, VerdictKind
from prover.visible import (
    HTML_CLASS,
    STYLE,
    _ranges,
    js_control_class,
    parts,
    visible,
    visible_html,
    visible_text,
)

# Reads as `exact trivial -- admin` in an editor that applies the overrides.
TROJAN = "exact h \u202e-- \u2066nimda\u2069\u200b\ufeff\x1b[31m\r"
INVISIBLE = ("\u202e", "\u2066", "\u2069", "\u200b", "\ufeff", "\x1b", "\r")


def test_every_invisible_character_becomes_an_escape() -> None:
    shown = visible(TROJAN)
    assert not any(char in shown for char in INVISIBLE)
    assert shown == "exact h \\u202E-- \\u2066nimda\\u2069\\u200B\\uFEFF\\u001B[31m\\u000D"
    assert visible("a\n\tb ⊢ ℕ ∀ x, x ≤ x") == "a\n\tb ⊢ ℕ ∀ x, x ≤ x"  # text stays text
    assert visible("\U000e0041 \u2028") == "\\U000E0041 \\u2028"  # tag characters, separators
    assert list(parts("a\u202eb")) == [("a", False), ("\\u202E", True), ("b", False)]


def test_html_escapes_markup_and_marks_each_escape() -> None:
    html = visible_html("<b>\u202e</b>&")
    assert html == (
        f'&lt;b&gt;<span class="{HTML_CLASS}" title="invisible character">\\u202E</span>'
        "&lt;/b&gt;&amp;"
    )


def test_rich_text_styles_each_escape_and_never_reads_markup() -> None:
    text = visible_text("[red]x[/red]\u2066", style="dim")
    assert text.plain == "[red]x[/red]\\u2066"
    escaped = [text.plain[s.start : s.end] for s in text.spans if s.style == STYLE]
    assert escaped == ["\\u2066"]


def test_the_pages_character_class_is_the_same_set() -> None:
    """The JS class (handed to the page) names exactly the Python ranges."""
    pairs = re.findall(r"\\u\{([0-9A-F]+)\}(?:-\\u\{([0-9A-F]+)\})?", js_control_class())
    ranges = tuple((int(low, 16), int(high or low, 16)) for low, high in pairs)
    assert ranges == _ranges()
    assert (
        js_control_class()
        == "["
        + "".join(
            f"\\u{{{low:X}}}" + (f"-\\u{{{high:X}}}" if high != low else "") for low, high in ranges
        )
        + "]"
    )
    codes = {code for low, high in ranges for code in range(low, high + 1)}
    assert {0x202E, 0x2066, 0x2069, 0x200B, 0x200E, 0x061C, 0xFEFF, 0x1B, 0x7F} <= codes
    assert not {0x0A, 0x09, 0x20, 0x2200} & codes  # newline, tab, space, ∀


def test_graph_show_prints_escapes_not_the_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "leanwb.sqlite"
    monkeypatch.setenv("LEANWB_DB", str(db))
    monkeypatch.delenv("LEANWB_CONFIG", raising=False)
    theorem = Theorem("t", "", "theorem t : True")
    with Store(db) as store:
        rec = store.begin_attempt(store.begin_run("prove", {}), theorem, "search")
        root = rec.node(NodeKind.STATEMENT, theorem.statement, key="statement")
        state = rec.node(NodeKind.PROOF_STATE, f"⊢ {TROJAN}", key="s")
        rec.edge(EdgeKind.TACTIC, [root], state, TROJAN, strategy="search")
        rec.edge(EdgeKind.TACTIC, [state], None, TROJAN, strategy="search")
        rec.flush()
        store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "demo"), Spent())
    result = CliRunner().invoke(app, ["graph", "show", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not any(char in result.stdout for char in INVISIBLE)
    assert result.stdout.count("\\u202E") == 3  # the step, the state, the failed try


def test_rich_rendering_keeps_the_escape_visible_in_colour() -> None:
    console = Console(record=True, width=120, force_terminal=True, color_system="truecolor")
    console.print(visible_text(TROJAN))
    ansi = console.export_text(styles=True)
    assert "\u202e" not in ansi and "\\u202E" in ansi
    assert "\x1b[1;97;45m\\u202E" in ansi or "\x1b[1;37;45m\\u202E" in ansi
