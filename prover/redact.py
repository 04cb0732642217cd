"""Secrets never reach the database, the pages or the terminal.

Every secret the process is configured with (API keys) is registered here by the code
that receives it; `redact` replaces each one, and the user-info part of any URL
(`http://user:password@host`), with `***` in a text before it is recorded or shown.
A server that echoes the key back in an error body or a completion is thus harmless.
"""

from __future__ import annotations

import re
import threading

MASK = "***"
# Shorter "secrets" would mask ordinary words; real keys are far longer.
MIN_SECRET_CHARS = 6
_URL_USERINFO = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/@?#]+@")

_secrets: tuple[str, ...] = ()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask `value` in everything `redact` sees from now on, in this process."""
    global _secrets
    if not value or len(value) < MIN_SECRET_CHARS:
        return
    with _lock:
        if value not in _secrets:
            # Longest first, so a secret that contains another is masked whole.
            _secrets = tuple(sorted((*_secrets, value), key=len, reverse=True))


def redact(text: str) -> str:
    """`text` with every registered secret and URL user-info replaced by `***`."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if "@" in text and "://" in text:
        text = _URL_USERINFO.sub(rf"\g<1>{MASK}@", text)
    return text


def has_userinfo(url: str) -> bool:
    return bool(_URL_USERINFO.search(url))
