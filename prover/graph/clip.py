"""What text may be recorded: secrets masked, and no more than a cap per message and per edge.

A REPL or a model may answer with megabytes (a 5 MB message, a flood of output); the
database and the pages built from it keep the head and the tail of such a text, with a
marker in the middle saying how much was cut and how long it was in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prover.redact import redact

MESSAGE_CHARS = 16_000  # one message, event, action or meta value
EDGE_CHARS = 64_000  # all messages and meta values of one edge (or node text) together
MIN_SHARE_CHARS = 1_000  # however many texts share an edge's cap, each keeps this much


def clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` redacted, and if longer than `limit` its head and tail around a marker."""
    text = redact(text)
    if len(text) <= limit:
        return text
    head = limit // 2
    tail = limit - head
    cut = len(text) - limit
    return f"{text[:head]}\n… [{cut} of {len(text)} characters cut] …\n{text[len(text) - tail :]}"


def clip_value(value: Any, limit: int = MESSAGE_CHARS) -> Any:
    """`clip` applied to every string inside JSON-like data (mappings become dicts)."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, Mapping):
        return {key: clip_value(item, limit) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clip_value(item, limit) for item in value]
    return value


def share(texts: int, total: int = EDGE_CHARS) -> int:
    """The cap of each of `texts` texts that share `total`."""
    return max(MIN_SHARE_CHARS, min(MESSAGE_CHARS, total // max(1, texts)))


def count_strings(value: Any) -> int:
    if isinstance(value, str):
        return 1
    if isinstance(value, Mapping):
        return sum(count_strings(item) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(count_strings(item) for item in value)
    return 0
