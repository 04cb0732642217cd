"""The Lean REPL's wire format: requests out, replies in, typed results beyond.

Requests (PROTOCOL.md §1-2). Every request is checked against the seven upstream
forms before it is sent, because the REPL dies on one it cannot decode and
silently drops keys it does not know: a request that fits no form, mixes two
forms, carries an unknown key, a negative or non-integer id, or text that is not
encodable as UTF-8 (a lone surrogate) raises `InvalidRequest` and is never sent.
A valid request goes out as compact JSON with raw UTF-8 (`ensure_ascii=False`, so
characters above U+FFFF are not split into surrogate escapes) and exactly one
blank line after it. JSON escapes every line break inside a string, so Lean text
never meets the REPL's line-gluing reader. The pool builds only two forms itself
(`encode_tactic`, `encode_command`): those check just their own fields and write
the same bytes as `encode_request`, without matching the other forms.

Replies (§3) are read up to the first empty line, decoded as strict UTF-8 and
parsed as one JSON object; three shapes exist, told apart by their keys: `env`
(command), `proofState` + `goals` (proof step), `message` (REPL error object).
Raw dictionaries stop here: callers get `CheckResult` and `TacticResult`.

Tactic-mode classification, first rule that applies wins:

1. `{"message": ...}`: "Unknown proof state." -> UNKNOWN_STATE; anything else
   (normally "Lean error:\\n...", the tactic threw) -> LEAN_ERROR.
2. An error-severity message came with the new state -> ERROR_RECOVERED. Lean
   logged the error and went on, usually by inserting an error-`sorry`, so even
   `goals == []` is not solved (transcripts `invalid_tactic`, `mathlib_20240209`).
3. proofStatus "Error..." -> KERNEL_REJECTED (e.g. a self-referential proof).
4. The step reported sorries, or proofStatus "Incomplete: contains sorry" ->
   CONTAINS_SORRY. A step that writes `sorry` can never lead to a finished proof,
   even while goals remain (transcript `sorry_hypotheses`), so it is not progress.
5. "Incomplete: contains metavariable(s)" -> CONTAINS_METAVARIABLES.
6. "Not verified..." -> NOT_VERIFIED.
7. "Completed" with no goals left -> COMPLETED: the only finished proof.
8. Goals left -> OPEN_GOALS.
9. No goals and a status we do not recognise (or none) -> NOT_VERIFIED: an
   unknown verdict is never read as success.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from prover.types import (
    CallStatus,
    CheckResult,
    Message,
    Position,
    ProofState,
    Severity,
    Sorry,
    TacticResult,
    TacticStatus,
)

REPLY_TERMINATOR = b"\n\n"
INFOTREE_MODES = frozenset({"full", "tactics", "original", "substantive"})
UNKNOWN_PROOF_STATE = "unknown proof state."  # compared case-folded: pickling says "State"
OPEN_GOALS_STATUS = "Incomplete: open goals remain"


class InvalidRequest(ValueError):
    """A request the REPL would die on or silently misread; refused before sending."""


class MalformedReply(ValueError):
    """A reply that is not one JSON object of a known shape."""


class RequestKind(StrEnum):
    TACTIC = "tactic"
    PICKLE_ENV = "pickle_env"
    UNPICKLE_ENV = "unpickle_env"
    PICKLE_PROOF_STATE = "pickle_proof_state"
    UNPICKLE_PROOF_STATE = "unpickle_proof_state"
    COMMAND = "command"
    FILE = "file"

    @property
    def is_tactic_mode(self) -> bool:
        """Requests answered with a proof-step reply."""
        return self in _TACTIC_MODE


_TACTIC_MODE = frozenset(
    {RequestKind.TACTIC, RequestKind.PICKLE_PROOF_STATE, RequestKind.UNPICKLE_PROOF_STATE}
)


class ReplyShape(StrEnum):
    COMMAND = "command"
    PROOF_STEP = "proof_step"
    ERROR = "error"


class Reply(NamedTuple):
    """One request's fate at the process level; `payload` is set only when status is OK.

    A named tuple rather than a frozen dataclass: it is built on every request, and
    this is several times cheaper.
    """

    status: CallStatus
    payload: dict[str, Any] | None = None
    error: str | None = None
    elapsed_s: float = 0.0
    sent: bool = True  # False when the request was refused locally


# ---------------------------------------------------------------------------- requests


def _nat(key: str, value: Any) -> None:
    if type(value) is not int or value < 0:
        raise InvalidRequest(f"{key!r} must be a non-negative integer, not {value!r}")


def _text(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidRequest(f"{key!r} must be a string, not {type(value).__name__}")


def _flag(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidRequest(f"{key!r} must be true or false, not {value!r}")


def _infotree(key: str, value: Any) -> None:
    if value not in INFOTREE_MODES:
        modes = ", ".join(sorted(INFOTREE_MODES))
        raise InvalidRequest(f"{key!r} must be one of {modes}, not {value!r}")


Validator = Callable[[str, Any], None]
_COMMAND_OPTIONS: dict[str, Validator] = {
    "env": _nat,
    "allTactics": _flag,
    "rootGoals": _flag,
    "infotree": _infotree,
}
# kind -> (required keys, every allowed key with its check)
_FORMS: dict[RequestKind, tuple[tuple[str, ...], dict[str, Validator]]] = {
    RequestKind.TACTIC: (("tactic", "proofState"), {"tactic": _text, "proofState": _nat}),
    RequestKind.PICKLE_ENV: (("pickleTo", "env"), {"pickleTo": _text, "env": _nat}),
    RequestKind.UNPICKLE_ENV: (("unpickleEnvFrom",), {"unpickleEnvFrom": _text}),
    RequestKind.PICKLE_PROOF_STATE: (
        ("pickleTo", "proofState"),
        {"pickleTo": _text, "proofState": _nat},
    ),
    RequestKind.UNPICKLE_PROOF_STATE: (
        ("unpickleProofStateFrom",),
        {"unpickleProofStateFrom": _text, "env": _nat},
    ),
    RequestKind.COMMAND: (("cmd",), {"cmd": _text, **_COMMAND_OPTIONS}),
    RequestKind.FILE: (("path",), {"path": _text, **_COMMAND_OPTIONS}),
}
# The key that names each form; `pickleTo` names two, told apart by `env` / `proofState`.
_ANCHORS = ("tactic", "cmd", "path", "pickleTo", "unpickleEnvFrom", "unpickleProofStateFrom")
_KIND_OF_ANCHOR = {
    "tactic": RequestKind.TACTIC,
    "cmd": RequestKind.COMMAND,
    "path": RequestKind.FILE,
    "unpickleEnvFrom": RequestKind.UNPICKLE_ENV,
    "unpickleProofStateFrom": RequestKind.UNPICKLE_PROOF_STATE,
}


def request_kind(request: Mapping[str, Any]) -> RequestKind:
    """The one upstream form `request` fits exactly, or `InvalidRequest` saying why not."""
    if type(request) is not dict and not isinstance(request, Mapping):
        raise InvalidRequest(f"a request is a JSON object, not {type(request).__name__}")
    anchors = [key for key in _ANCHORS if key in request]
    if not anchors:
        keys = ", ".join(sorted(map(str, request))) or "none"
        raise InvalidRequest(
            f"the request fits no REPL form (keys: {keys}); it needs one of {', '.join(_ANCHORS)}"
        )
    if len(anchors) > 1:
        raise InvalidRequest(
            f"the request mixes REPL forms ({', '.join(anchors)}); the REPL would run only one"
        )
    anchor = anchors[0]
    if anchor == "pickleTo":
        if ("env" in request) == ("proofState" in request):
            raise InvalidRequest("a 'pickleTo' request needs exactly one of 'env' or 'proofState'")
        kind = RequestKind.PICKLE_ENV if "env" in request else RequestKind.PICKLE_PROOF_STATE
    else:
        kind = _KIND_OF_ANCHOR[anchor]
    required, allowed = _FORMS[kind]
    missing = [key for key in required if key not in request]
    if missing:
        raise InvalidRequest(f"a {kind} request needs {', '.join(map(repr, missing))}")
    for key, value in request.items():
        check = allowed.get(key)
        if check is None:
            raise InvalidRequest(
                f"unknown key {key!r} in a {kind} request (the REPL would ignore it silently)"
            )
        check(key, value)
    return kind


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _unencodable(text: str, exc: UnicodeEncodeError, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"the {what} is not valid Unicode text: {text[exc.start]!r} at index {exc.start} is a "
        "lone surrogate, which UTF-8 cannot carry; nothing was sent"
    )


def ensure_encodable(text: str, what: str) -> None:
    """Refuse text that cannot travel as UTF-8, before any process is touched."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _unencodable(text, exc, what) from None


def encode_request(request: Mapping[str, Any]) -> bytes:
    """The bytes to write for `request`: validated, compact UTF-8 JSON, one blank line."""
    request_kind(request)
    return _framed(_ENCODER.encode(request if type(request) is dict else dict(request)))


# The two forms the pool sends on every request, spelt out: `_ENCODER.encode` builds a
# new C encoder per call, and `encode_basestring` is the string escaper it would use.
def encode_tactic(tactic: str, proof_state: int) -> bytes:
    """`encode_request({"tactic": tactic, "proofState": proof_state})`, checking only those."""
    _text("tactic", tactic)
    _nat("proofState", proof_state)
    return _framed(f'{{"tactic":{encode_basestring(tactic)},"proofState":{proof_state}}}')


def encode_command(cmd: str, env: int | None = None) -> bytes:
    """`encode_request({"cmd": cmd, "env": env})` (no `env` key when None), checking only those."""
    _text("cmd", cmd)
    if env is None:
        return _framed(f'{{"cmd":{encode_basestring(cmd)}}}')
    _nat("env", env)
    return _framed(f'{{"cmd":{encode_basestring(cmd)},"env":{env}}}')


def _framed(text: str) -> bytes:
    try:
        return text.encode("utf-8") + REPLY_TERMINATOR
    except UnicodeEncodeError as exc:
        raise _unencodable(text, exc, "request") from None


def refusal(exc: InvalidRequest) -> Reply:
    """The reply to a request refused locally: never written, the process untouched."""
    return Reply(CallStatus.PROTOCOL_ERROR, error=f"request refused: {exc}", sent=False)


# ----------------------------------------------------------------------------- replies


def decode_reply(raw: bytes | bytearray) -> dict[str, Any]:
    """One framed reply (its lines, with or without the blank line) as a JSON object."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedReply(f"the reply is not valid UTF-8 (byte {exc.start})") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedReply(f"the reply is not JSON ({exc}): {text[:200]!r}") from None
    if not isinstance(payload, dict):
        raise MalformedReply(f"the reply is not a JSON object: {text[:200]!r}")
    return payload


def reply_shape(payload: Mapping[str, Any]) -> ReplyShape:
    if "env" in payload:
        return ReplyShape.COMMAND
    if "proofState" in payload and "goals" in payload:
        return ReplyShape.PROOF_STEP
    if "message" in payload:
        return ReplyShape.ERROR
    raise MalformedReply(f"a reply of unknown shape (keys: {', '.join(sorted(payload))})")


_SEVERITIES = {
    "info": Severity.INFO,
    "warning": Severity.WARNING,
    "error": Severity.ERROR,
    "trace": Severity.INFO,  # admitted by the REPL's record, never emitted in practice
}


def _int(value: Any) -> int:
    if type(value) is not int:
        raise MalformedReply(f"expected an integer, got {value!r}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedReply(f"expected a string, got {value!r}")
    return value


def _position(data: Any) -> Position:
    return Position(line=_int(data["line"]), column=_int(data["column"]))


def _message(data: Mapping[str, Any]) -> Message:
    severity = _SEVERITIES.get(data["severity"])
    if severity is None:
        raise MalformedReply(f"unknown message severity {data['severity']!r}")
    end = data.get("endPos")
    return Message(
        severity=severity,
        pos=_position(data["pos"]),
        end_pos=None if end is None else _position(end),
        text=_str(data["data"]),
    )


def _sorry(data: Mapping[str, Any]) -> Sorry:
    state = data.get("proofState")
    pos, end = data.get("pos"), data.get("endPos")
    return Sorry(
        goal=_str(data["goal"]),
        proof_state=None if state is None else _int(state),
        pos=None if pos is None else _position(pos),
        end_pos=None if end is None else _position(end),
    )


def _messages(payload: Mapping[str, Any]) -> tuple[Message, ...]:
    raw = payload.get("messages")
    return tuple(_message(m) for m in raw) if raw else ()


def _sorries(payload: Mapping[str, Any]) -> tuple[Sorry, ...]:
    raw = payload.get("sorries")
    return tuple(_sorry(s) for s in raw) if raw else ()


_PARSE_ERRORS = (MalformedReply, KeyError, TypeError, ValueError, AttributeError)


def check_result(reply: Reply, session: str | None = None) -> CheckResult:
    """A command-style reply (or its failure) as a `CheckResult`.

    `session` names the process incarnation that answered; it is kept only on a
    reply that arrived, so the sorries' proof states can be routed back to it.
    """
    if reply.status is not CallStatus.OK or reply.payload is None:
        return CheckResult(reply.status, error=reply.error, elapsed_s=reply.elapsed_s)
    payload = reply.payload
    try:
        shape = reply_shape(payload)
        if shape is ReplyShape.ERROR:
            return CheckResult(
                CallStatus.REPL_ERROR,
                error=_str(payload["message"]),
                elapsed_s=reply.elapsed_s,
                session=session,
            )
        if shape is ReplyShape.PROOF_STEP:
            raise MalformedReply("a proof-step reply where a command reply was due")
        return CheckResult(
            CallStatus.OK,
            env=_int(payload["env"]),
            messages=_messages(payload),
            sorries=_sorries(payload),
            elapsed_s=reply.elapsed_s,
            session=session,
        )
    except _PARSE_ERRORS as exc:
        return CheckResult(
            CallStatus.PROTOCOL_ERROR, error=f"malformed reply: {exc!r}", elapsed_s=reply.elapsed_s
        )


_TACTIC_STATUS_OF_CALL = {
    CallStatus.TIMEOUT: TacticStatus.TIMEOUT,
    CallStatus.CRASH: TacticStatus.CRASH,
    CallStatus.MEMORY: TacticStatus.MEMORY,
    CallStatus.OUTPUT_LIMIT: TacticStatus.OUTPUT_LIMIT,
    CallStatus.PROTOCOL_ERROR: TacticStatus.PROTOCOL_ERROR,
    CallStatus.STALE_STATE: TacticStatus.STALE_STATE,
    CallStatus.REPL_ERROR: TacticStatus.LEAN_ERROR,
}


def classify_step(
    goals: tuple[str, ...], messages: tuple[Message, ...], sorries: tuple[Sorry, ...], status: str
) -> TacticStatus:
    """Rules 2-9 of the module docstring, for a reply that carries a new proof state."""
    if messages and any(m.severity is Severity.ERROR for m in messages):
        return TacticStatus.ERROR_RECOVERED
    if status == OPEN_GOALS_STATUS and goals and not sorries:
        return TacticStatus.OPEN_GOALS  # the common case, settled early (rules 3-7 cannot apply)
    if status.startswith("Error"):
        return TacticStatus.KERNEL_REJECTED
    if sorries or status.startswith("Incomplete: contains sorry"):
        return TacticStatus.CONTAINS_SORRY
    if status.startswith("Incomplete: contains metavariable"):
        return TacticStatus.CONTAINS_METAVARIABLES
    if status.startswith("Not verified"):
        return TacticStatus.NOT_VERIFIED
    if status == "Completed" and not goals:
        return TacticStatus.COMPLETED
    if goals:
        return TacticStatus.OPEN_GOALS
    return TacticStatus.NOT_VERIFIED


def tactic_result(reply: Reply, session: str) -> TacticResult:
    """A proof-step reply (or its failure) as a `TacticResult` whose state lives in `session`."""
    if reply.status is not CallStatus.OK or reply.payload is None:
        return TacticResult(
            _TACTIC_STATUS_OF_CALL[reply.status], error=reply.error, elapsed_s=reply.elapsed_s
        )
    payload = reply.payload
    try:
        shape = reply_shape(payload)
        if shape is ReplyShape.ERROR:
            text = _str(payload["message"])
            unknown = text.strip().casefold() == UNKNOWN_PROOF_STATE
            return TacticResult(
                TacticStatus.UNKNOWN_STATE if unknown else TacticStatus.LEAN_ERROR,
                error=text,
                elapsed_s=reply.elapsed_s,
            )
        if shape is ReplyShape.COMMAND:
            raise MalformedReply("a command reply where a proof-step reply was due")
        goals = tuple(payload["goals"])
        for goal in goals:
            _str(goal)
        messages = _messages(payload)
        sorries = _sorries(payload)
        proof_status = payload.get("proofStatus")
        if proof_status is not None:
            _str(proof_status)
        state = ProofState(goals, id=_int(payload["proofState"]), session=session)
        return TacticResult(
            classify_step(goals, messages, sorries, proof_status or ""),
            state=state,
            messages=messages,
            sorries=sorries,
            proof_status=proof_status,
            elapsed_s=reply.elapsed_s,
        )
    except _PARSE_ERRORS as exc:
        return TacticResult(
            TacticStatus.PROTOCOL_ERROR,
            error=f"malformed reply: {exc!r}",
            elapsed_s=reply.elapsed_s,
        )


def typed_result(kind: RequestKind, reply: Reply, session: str) -> CheckResult | TacticResult:
    """The typed result of any request form: proof-step forms give `TacticResult`."""
    if kind.is_tactic_mode:
        return tactic_result(reply, session)
    return check_result(reply, session)


# ------------------------------------------------------------------------------- goals


def split_goals(text: str) -> tuple[str, ...]:
    """Split a pretty-printed goal list (a sorry's `goal`) into one string per goal.

    Lean separates goals by a line break or a blank line, so blank lines alone
    cannot be trusted. A goal is an optional `case` line, hypothesis lines and
    one `⊢` target; continuation lines of a long hypothesis or target are
    indented. A goal therefore ends at the first blank or unindented line after
    its `⊢` line (another `⊢` included); a blank line before the `⊢` stays
    inside the goal, so a hypothesis printed over a blank line is not cut off.
    """
    if text.strip() in ("", "no goals"):
        return ()
    goals: list[str] = []
    current: list[str] = []
    has_target = False
    for line in text.split("\n"):
        if has_target and (not line.strip() or not line[0].isspace()):
            goals.append("\n".join(current).strip("\n"))
            current, has_target = [], False
        if current or line.strip():
            current.append(line)
        has_target = has_target or line.startswith("⊢")
    if current:
        goals.append("\n".join(current).strip("\n"))
    return tuple(goals)
