"""A replaying REPL: answers one recorded transcript's requests with its recorded replies.

    python tests/replay_repl.py /path/to/transcripts/NAME

reads `NAME.in` and `NAME.expected.out`. Requests arrive on stdin with the real
REPL's framing (`getLines` in upstream `REPL/Main.lean`, PROTOCOL.md §1): a line
that is empty after trimming ends a request, every other line is trimmed on the
right and glued to the previous ones with no separator, end of input ends the
last request; a query starting with `#` or `--` gets no answer. Each request must
equal, as parsed JSON, the next request of `NAME.in` read with the same rules;
it is answered with the next recorded reply, byte for byte, plus the blank line.

Like the real REPL, input that is not JSON ends the process with an uncaught
exception on stderr (exit 1). A request that differs from the transcript, or one
beyond the recording, ends it with exit 3, so a bridge under test sees a crash
whose stderr says what differed.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

LEAN_WHITESPACE = " \t\r\n"  # what Lean's String.trim removes


def read_query(readline: Callable[[], str]) -> str:
    """One query as the REPL's `getLines` builds it; "" means end of input."""
    parts: list[str] = []
    while True:
        line = readline()
        if not line.strip(LEAN_WHITESPACE):
            return "".join(parts) + line
        parts.append(line.rstrip(LEAN_WHITESPACE))


def is_comment(query: str) -> bool:
    return query.startswith(("#", "--"))


def transcript_requests(text: str) -> list[str]:
    """Every query of a `.in` text that the REPL would parse and answer, in order."""
    readline = io.StringIO(text).readline
    queries: list[str] = []
    while query := read_query(readline):
        if not is_comment(query):
            queries.append(query)
    return queries


def recorded_replies(data: bytes) -> list[bytes]:
    """The replies of an `.expected.out` file, each without its trailing blank line."""
    return [chunk for chunk in data.split(b"\n\n") if chunk.strip()]


def main(stem: str) -> int:
    expected = [
        json.loads(q) for q in transcript_requests(Path(f"{stem}.in").read_text(encoding="utf-8"))
    ]
    replies = recorded_replies(Path(f"{stem}.expected.out").read_bytes())
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer

    def readline() -> str:
        return stdin.readline().decode("utf-8")

    index = 0
    while query := read_query(readline):
        if is_comment(query):
            continue
        try:
            request = json.loads(query)
        except json.JSONDecodeError as exc:
            print(
                f'uncaught exception: {{"message": "Could not parse JSON: {exc}"}}', file=sys.stderr
            )
            return 1
        if index >= len(replies):
            print(f"replay: request {index} has no recorded reply", file=sys.stderr)
            return 3
        if request != expected[index]:
            print(
                f"replay: request {index} differs from the transcript: "
                f"expected {expected[index]!r}, got {request!r}",
                file=sys.stderr,
            )
            return 3
        out.write(replies[index] + b"\n\n")
        out.flush()
        index += 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
