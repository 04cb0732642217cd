"""A digest of the code that decides a cached check's answer: the soundness gate and the
shapes its answers are stored in.

The check cache (`prover.graph.check_cache`) keys every answer by a pin that holds this
digest, so a verdict is only ever served by the code that gave it: after an upgrade that
changes a rule, every cached verdict is judged again instead of being served as it was.
The Kimina routes rely on it to skip reading a snippet whose answer is cached (a snippet
refused for host code is never cached).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
GATE_SOURCES = (
    "verify.py",
    "verify_host.py",
    "verify_lexer.py",
    "verify_rules.py",
    "verify_snippet.py",
    "proof_key.py",
    "strategies/checked.py",
    "serve/kimina.py",
    "serve/checker.py",
)


def digest_of(package: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the gate's sources under `package`."""
    hasher = hashlib.sha256()
    for name in GATE_SOURCES:
        hasher.update(name.encode("utf-8") + b"\0")
        hasher.update((package / name).read_bytes() + b"\0")
    return hasher.hexdigest()[:16]


@cache
def gate_digest() -> str:
    """`digest_of` the installed package (read once per process)."""
    return digest_of(PACKAGE)
