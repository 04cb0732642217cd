"""The REPL's wire protocol: request framing, dispatch, fatal input errors, reply printing."""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, BinaryIO, TextIO

from standin.session import Reply, Session

_WHITESPACE = " \t\r\n"


class FatalInput(Exception):
    """Input the real REPL dies on: it prints `uncaught exception: …` to stderr and exits 1."""


def read_request(stream: BinaryIO) -> str:
    """Lean's `getLines`: lines are right-trimmed and glued with no separator until a blank one.

    The blank line itself is kept, so a blank line right after a request is a request of its
    own ("\\n") that fails to parse as JSON. At end of input the result is "" (or the last,
    unterminated request).
    """
    parts: list[str] = []
    while True:
        raw = stream.readline()
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FatalInput(f"invalid UTF-8 on stdin: {exc}") from exc
        if not line.strip(_WHITESPACE):
            parts.append(line)
            return "".join(parts)
        parts.append(line.rstrip(_WHITESPACE))


def _is_nat(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _optional(obj: dict[str, Any], key: str, check: Any) -> bool:
    return obj.get(key) is None or check(obj[key])


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _command_options_ok(obj: dict[str, Any]) -> bool:
    return (
        _optional(obj, "env", _is_nat)
        and _optional(obj, "allTactics", lambda v: isinstance(v, bool))
        and _optional(obj, "rootGoals", lambda v: isinstance(v, bool))
        and _optional(obj, "infotree", _is_str)
    )


def dispatch(session: Session, query: str) -> Reply:
    """Decode one request and run it, trying the request forms in the REPL's order."""
    try:
        obj = json.loads(query)
    except json.JSONDecodeError as exc:
        raise FatalInput(json.dumps({"message": f"Could not parse JSON:\n{exc}"})) from exc
    if isinstance(obj, dict):
        if _is_str(obj.get("tactic")) and _is_nat(obj.get("proofState")):
            return session.tactic(obj["tactic"], obj["proofState"])
        if _is_nat(obj.get("env")) and _is_str(obj.get("pickleTo")):
            return session.pickle_env(obj["env"], obj["pickleTo"])
        if _is_str(obj.get("unpickleEnvFrom")):
            return session.unpickle_env(obj["unpickleEnvFrom"])
        if _is_nat(obj.get("proofState")) and _is_str(obj.get("pickleTo")):
            return session.pickle_state(obj["proofState"], obj["pickleTo"])
        if _is_str(obj.get("unpickleProofStateFrom")) and _optional(obj, "env", _is_nat):
            return session.unpickle_state(obj["unpickleProofStateFrom"], obj.get("env"))
        if _is_str(obj.get("cmd")) and _command_options_ok(obj):
            return session.command(obj["cmd"], obj.get("env"))
        if _is_str(obj.get("path")) and _command_options_ok(obj):
            return session.file(obj["path"], obj.get("env"))
    detail = json.dumps({"message": f"Could not parse as a valid JSON command:\n{query.strip()}"})
    raise FatalInput(detail)


def _reverse_keys(value: Any) -> Any:
    """Lean's printer emits object keys in reverse lexicographic order; mimic it for realism."""
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in sorted(value, reverse=True)}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


def write_reply(out: TextIO, reply: Reply) -> None:
    out.write(json.dumps(_reverse_keys(reply), ensure_ascii=False, indent=1))
    out.write("\n\n")
    out.flush()


def main() -> int:
    session = Session()
    log_path = os.environ.get("STANDIN_LOG")
    stdin = sys.stdin.buffer
    stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    while True:
        try:
            query = read_request(stdin)
            if query == "":
                return 0
            if log_path:
                with open(log_path, "a", encoding="utf-8") as log:
                    log.write(query.rstrip("\n") + "\n")
            if query.startswith(("#", "--")):
                continue
            try:
                reply = dispatch(session, query)
            except FatalInput:
                raise
            except Exception as exc:  # an internal bug: report it and stay alive
                traceback.print_exc(file=sys.stderr)
                reply = {"message": f"stand-in REPL internal error: {type(exc).__name__}: {exc}"}
            write_reply(stdout, reply)
        except FatalInput as exc:
            sys.stderr.write(f"uncaught exception: {exc}\n")
            sys.stderr.flush()
            return 1
