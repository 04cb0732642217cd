"""The Kimina Lean server's wire shapes, written from `kimina-client` 0.2.1's models.

Source read (project-numina/kimina-lean-server, `client/kimina_client/models.py`, the
same file as the 0.2.1 wheel's apart from its `typing_extensions` fallback, and
`server/routers/{check,backward,health}.py`, `server/split.py` at commit fb2393d):

* `POST /api/check` takes a `CheckRequest`: `snippets` (non-empty, unique `id`s, each
  with `code`), `timeout` (seconds, int, ≥ 0, default 30), `debug`, `reuse` (default
  true), `infotree`. It answers `{"results": [ReplResponse]}` without null fields, one
  per snippet: `id`, `time`, and exactly one of `error` (a string; the client counts
  one containing "timed out" as a timeout) and `response` (the REPL's command reply:
  `env`, `messages` [{severity, pos, endPos, data}], `sorries` [{pos, endPos, goal,
  proofState}], or `{"message": …}` for a REPL-level error); `diagnostics` only with
  `debug`. Message positions count lines of the whole snippet: the server splits the
  leading `import` and blank lines off as the header and adds their count to the line
  numbers of the body's reply.
* `POST /verify` (older, also `/one_pass_verify_batch`) takes `codes` [{custom_id,
  proof or code}], `timeout` (default 300), `infotree_type`, `disable_cache`; answers
  `{"results": [{custom_id, error?, response?}]}` where `response` also carries `time`.
* `GET /health` answers `{"status": "ok"}`.

Our additions the client ignores (its models do not forbid extra fields): `cached` and
`gate` (the soundness gate's verdict, `prover.verify_snippet`) on every result, the
request field `allow_native_decide`, and the gate's refusal of snippets that would run
code on the host, answered as an `error`. `infotree` is accepted and ignored: the pool
does not ask the REPL for info trees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prover.types import CallStatus, CheckResult, Message, Position, Sorry

InfotreeLevel = Literal["full", "tactics", "original", "substantive"]


class Snippet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="Identifier to trace the snippet")
    code: str = Field(description="A Lean 4 file: imports, then commands")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    snippets: list[Snippet]
    timeout: float = Field(30, ge=0, description="Seconds per snippet (capped by the server's)")
    debug: bool = False
    reuse: bool = Field(True, description="False: do not answer from the cache")
    infotree: InfotreeLevel | None = None
    allow_native_decide: bool = Field(False, description="Ours: the gate accepts native_decide")

    @model_validator(mode="after")
    def _distinct_ids(self) -> CheckRequest:
        if not self.snippets:
            raise ValueError("`snippets` must be non empty")
        if len({s.id for s in self.snippets}) != len(self.snippets):
            raise ValueError("`snippets` must have unique ids")
        return self


class Code(BaseModel):
    model_config = ConfigDict(extra="ignore")

    custom_id: str | int
    proof: str | None = None
    code: str | None = None

    @model_validator(mode="after")
    def _has_text(self) -> Code:
        if self.proof is None and self.code is None:
            raise ValueError(f"code {self.custom_id!r} has neither `proof` nor `code`")
        return self

    @property
    def text(self) -> str:
        text = self.proof if self.proof is not None else self.code
        assert text is not None  # the validator saw to it
        return text


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    codes: list[Code] = Field(min_length=1)
    timeout: float = Field(300, ge=0)
    infotree_type: InfotreeLevel | None = None
    disable_cache: bool = False
    allow_native_decide: bool = Field(False, description="Ours: the gate accepts native_decide")


@dataclass(frozen=True)
class SplitSnippet:
    header: str
    body: str
    header_lines: int  # lines of the snippet before the body's first line


def split_snippet(code: str) -> SplitSnippet:
    """The leading `import` and blank lines as the header (kept verbatim), the rest as the
    body: the Kimina server's split, without its rewriting of `import Mathlib.X` lines."""
    lines = code.split("\n")
    count = 0
    while count < len(lines) and (
        not lines[count].strip() or lines[count].strip().startswith("import ")
    ):
        count += 1
    return SplitSnippet("\n".join(lines[:count]), "\n".join(lines[count:]), count)


def _pos(pos: Position, shift: int) -> dict[str, int]:
    return {"line": pos.line + shift, "column": pos.column}


def _message(message: Message, shift: int) -> dict[str, Any]:
    return {
        "severity": message.severity.value,
        "pos": _pos(message.pos, shift),
        "endPos": _pos(message.end_pos, shift) if message.end_pos else None,
        "data": message.text,
    }


def _sorry(sorry: Sorry, shift: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"goal": sorry.goal, "proofState": sorry.proof_state}
    if sorry.pos is not None:
        entry["pos"] = _pos(sorry.pos, shift)
    if sorry.end_pos is not None:
        entry["endPos"] = _pos(sorry.end_pos, shift)
    return entry


def snippet_answer(split: SplitSnippet, result: CheckResult, timeout: float) -> dict[str, Any]:
    """`time` and `response` or `error` of one result (no `id`): positions in the snippet."""
    answer: dict[str, Any] = {"time": round(result.elapsed_s, 6)}
    if result.status is CallStatus.OK:
        # A header that failed to elaborate answers with its own messages, already placed
        # in the snippet (the header is its first lines), and no env.
        shift = split.header_lines if result.env is not None else 0
        response: dict[str, Any] = {} if result.env is None else {"env": result.env}
        if result.messages:
            response["messages"] = [_message(m, shift) for m in result.messages]
        if result.sorries:
            response["sorries"] = [_sorry(s, shift) for s in result.sorries]
        answer["response"] = response
    elif result.status is CallStatus.REPL_ERROR:
        answer["response"] = {"message": result.error or "the REPL refused the request"}
    elif result.status is CallStatus.TIMEOUT:
        answer["error"] = f"Lean REPL command timed out in {timeout:g} seconds"
    else:
        answer["error"] = f"{result.status.value}: {result.error or 'no answer from Lean'}"
    return answer


def verify_result(custom_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    """A `/verify` result from an `/api/check` one: `time` moves into the response."""
    result: dict[str, Any] = {
        "custom_id": custom_id,
        "cached": answer["cached"],
        "gate": answer["gate"],
    }
    if "error" in answer:
        result["error"] = answer["error"]
    else:
        result["response"] = {**answer["response"], "time": answer["time"]}
    return result
