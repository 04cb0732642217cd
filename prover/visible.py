"""Invisible characters made visible, for pages and the terminal alike.

Text a model wrote can hold characters that change how the rest of a line reads
without showing themselves: bidirectional overrides and isolates (a "trojan source"
spoof makes `admit` look like a comment), zero-width spaces and joiners, and other
format (Cf) and control (Cc) characters. Wherever such text is shown, each of these
characters is written as an escape instead (`\\u202E`), styled apart from the text.
Newlines and tabs stay as they are.

One definition serves everyone: `CONTROL` for Python, `js_control_class()` for the
graph page's script (the exporter hands it over), `visible_html` for the eval
report, and `visible_text` for rich output in the terminal.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

_KEPT = {"\n", "\t"}
_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
# Where format characters live (the BMP, the SMP's few, and the tags block); scanning
# these instead of all of Unicode keeps the first call cheap.
_SCAN = (range(0x0, 0x20000), range(0xE0000, 0xE1000))
STYLE = "bold white on magenta"  # the terminal's style for an escape
HTML_CLASS = "ctl"  # the pages' class for an escape


@functools.cache
def _ranges() -> tuple[tuple[int, int], ...]:
    ranges: list[list[int]] = []
    for block in _SCAN:
        for code in block:
            char = chr(code)
            if char in _KEPT or unicodedata.category(char) not in _CATEGORIES:
                continue
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return tuple((low, high) for low, high in ranges)


def _class(one: str) -> str:
    parts = [one.format(low) if low == high else one.format(low) + "-" + one.format(high)
             for low, high in _ranges()]  # fmt: skip
    return "[" + "".join(parts) + "]"


@functools.cache
def _pattern() -> re.Pattern[str]:
    return re.compile(_class("\\U{:08X}"))


@functools.cache
def js_control_class() -> str:
    """The same characters as a JavaScript regular expression class (for the `u` flag)."""
    return _class("\\u{{{:X}}}")


def escape_char(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def parts(text: str) -> Iterator[tuple[str, bool]]:
    """`text` cut into (piece, is_escape) pairs; escapes are one character each."""
    start = 0
    for match in _pattern().finditer(text):
        if match.start() > start:
            yield text[start : match.start()], False
        yield escape_char(match.group()), True
        start = match.end()
    if start < len(text):
        yield text[start:], False


def visible(text: str) -> str:
    """`text` with every invisible character written as its escape."""
    return "".join(piece for piece, _ in parts(text))


def visible_html(text: str) -> str:
    """`text` as HTML-escaped markup, each escape in a `<span class="ctl">`."""
    return "".join(
        f'<span class="{HTML_CLASS}" title="invisible character">{piece}</span>'
        if is_escape
        else escape(piece)
        for piece, is_escape in parts(text)
    )


def visible_text(text: str, style: str = "") -> Text:
    """`text` as rich `Text` (never markup), each escape in `STYLE`."""
    from rich.text import Text

    out = Text(style=style)
    for piece, is_escape in parts(text):
        out.append(piece, style=STYLE if is_escape else "")
    return out
