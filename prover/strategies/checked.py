"""The soundness gate behind the check cache: identical proof text is judged once.

`gate` judges a proof body of a theorem with `prover.verify.verify`, unless the context's
`CheckAnswers` already holds the answer for its key (`prover.proof_key`: Lean pin, header,
statement, normalised body). Only definitive verdicts are kept: the gate's own
judgement and Lean's errors, never a timeout, a crash or another failure a second try
could change.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prover.proof_key import proof_key
from prover.protocols import CheckAnswers
from prover.strategies.base import ProofContext
from prover.types import (
    CheckResult,
    Message,
    Position,
    ProofState,
    Severity,
    StartResult,
    TacticResult,
    Theorem,
    Verdict,
    VerdictKind,
)

# Failed verdicts that say something about the text, not about the moment it was checked.
DEFINITIVE_FAILURES = frozenset({"lean_error", "header_error"})


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    key: str | None  # the check's key (None without a cache)
    cached: bool  # served from the cache: no Lean call was made
    # The messages' positions refer to this very text: always for a fresh check; for a
    # cached answer only when the text first checked was identical (the key ignores
    # comments and blank lines, which move positions).
    exact_text: bool = True


def definitive(verdict: Verdict) -> bool:
    return verdict.kind is not VerdictKind.FAILED or verdict.reason in DEFINITIVE_FAILURES


def check_key(cache: CheckAnswers, theorem: Theorem, body: str) -> str:
    return proof_key(
        lean_pin=cache.pin, header=theorem.header, statement=theorem.statement, body=body
    )


def gate(
    theorem: Theorem,
    body: str,
    ctx: ProofContext,
    lean: MeteredLean | None = None,
    key: str | None = None,
) -> Judged:
    """The gate's verdict on `body`, from the cache when it holds it. `lean` (default: the
    context) is what checks it; pass one `MeteredLean` to check from several threads.
    `key` is the body's `check_key` when the caller has it already."""
    from prover.verify import verify  # the gate imports the bridge; keep this module light

    cache = ctx.checks
    if cache is not None and key is None:
        key = check_key(cache, theorem, body)
    if cache is not None and key is not None:
        answer = cache.lookup(key)
        if answer is not None and answer.get("allow_native_decide") == ctx.allow_native_decide:
            exact = answer.get("body") == body
            return Judged(verdict_from_answer(answer, body), key, True, exact)
    verdict = verify(
        theorem,
        body,
        lean or ctx,
        allow_native_decide=ctx.allow_native_decide,
        timeout=ctx.budget.limits.tactic_timeout_s,
    )
    if cache is not None and key is not None and definitive(verdict):
        cache.store(key, verdict_answer(verdict, ctx.allow_native_decide, body))
    return Judged(verdict, key, False)


def verdict_answer(verdict: Verdict, allow_native_decide: bool, body: str) -> dict[str, Any]:
    return {
        "body": body,
        "kind": verdict.kind.value,
        "reason": verdict.reason,
        "detail": verdict.detail,
        "axioms": list(verdict.axioms),
        "messages": [m.as_dict() for m in verdict.messages],
        "allow_native_decide": allow_native_decide,
    }


def verdict_from_answer(answer: Mapping[str, Any], body: str) -> Verdict:
    return Verdict(
        VerdictKind(answer["kind"]),
        reason=answer.get("reason"),
        detail=str(answer.get("detail", "")),
        axioms=tuple(answer.get("axioms", ())),
        proof=body,
        messages=tuple(_message(m) for m in answer.get("messages", ())),
    )


def _message(data: Mapping[str, Any]) -> Message:
    end = (
        Position(int(data["end_line"]), int(data["end_column"]))
        if data.get("end_line") is not None and data.get("end_column") is not None
        else None
    )
    position = Position(int(data["line"]), int(data["column"]))
    return Message(Severity(data["severity"]), position, end, str(data["text"]))


class MeteredLean:
    """The context's Lean for checks made from several threads: each call is charged to
    the budget under one lock."""

    def __init__(self, ctx: ProofContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()

    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        result = self._ctx.lean.check(
            header, body, timeout=timeout or self._ctx.budget.tactic_timeout()
        )
        with self._lock:
            self._ctx.budget.charge_lean(result.elapsed_s)
        return result

    def start(self, theorem: Theorem, timeout: float | None = None) -> StartResult:
        return self._ctx.start(theorem, timeout)  # not used from threads

    def run_tactic(
        self, state: ProofState, tactic: str, timeout: float | None = None
    ) -> TacticResult:
        return self._ctx.run_tactic(state, tactic, timeout)  # not used from threads
