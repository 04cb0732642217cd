"""Reading fields of JSONL records, with errors that say which line and which field.

`where` is a location such as "corpus.jsonl line 7"; every failure is a `CorpusError`
whose message starts with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from retrieval.errors import CorpusError

Position = tuple[int, int]  # (1-based line, 0-based column), compared lexicographically


def parse_object(line: str, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where} is not valid JSON ({exc.msg}).") from exc
    if not isinstance(record, dict):
        raise CorpusError(f"{where} is not a JSON object.")
    return record


def text(record: Mapping[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise CorpusError(f"{where}: '{key}' must be a non-empty string.")
    return value


def optional_text(record: Mapping[str, Any], key: str, where: str) -> str | None:
    """The string, or None when the field is absent, null or empty."""
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CorpusError(f"{where}: '{key}' must be a string.")
    return value


def names(record: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A list of non-empty strings; an absent field is an empty list."""
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CorpusError(f"{where}: '{key}' must be a list of non-empty strings.")
    return tuple(value)


def position(record: Mapping[str, Any], key: str, where: str) -> Position | None:
    value = record.get(key)
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    ):
        return (value[0], value[1])
    raise CorpusError(f"{where}: '{key}' must be [line, column] with two natural numbers.")
