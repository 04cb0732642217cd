"""What the public API returns: one frozen report per operation.

Every report is plain data (strings, numbers, tuples, dicts) with `as_dict()` and
`to_json()`; the `--json` output of the matching `leanwb` command is exactly
`to_json()`. `proved` says whether the soundness gate accepted a proof.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any


class _Report:
    def as_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    def to_json(self) -> str:
        """The report as one JSON object (what `leanwb … --json` prints)."""
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class CheckReport(_Report):
    """The soundness gate's verdict on one claimed proof.

    `messages` are Lean's, each placed where it lies in the input (`source`: file,
    header, statement or proof; `line`/`column` there).
    """

    verdict: str  # proved, failed or rejected
    reason: str | None
    detail: str
    theorem: str
    axioms: tuple[str, ...]
    messages: tuple[dict[str, Any], ...]
    proof: str | None

    @property
    def proved(self) -> bool:
        return self.verdict == "proved"


@dataclass(frozen=True)
class ProveReport(_Report):
    """One recorded attempt to prove a theorem: the verdict, the proof, what it cost and
    where its graph is (`attempt_id` in `db`)."""

    theorem: str
    statement: str  # the declaration up to `:=`
    strategy: str
    verdict: str
    reason: str | None  # a `StopReason` when no proof was found, a gate reason when rejected
    detail: str
    proof: str | None  # the accepted proof (the text after `:=`)
    claimed_proof: str | None  # what the strategy claimed, accepted or not
    axioms: tuple[str, ...]
    attempt_id: int
    run_id: int
    spent: dict[str, float | int]
    db: str
    samples: dict[str, Any] | None = None  # the sample strategy's account: n, correct, modes

    @property
    def proved(self) -> bool:
        return self.verdict == "proved"


@dataclass(frozen=True)
class RepairReport(_Report):
    """One recorded repair: the verdict, the repaired (or best partial) proof, every
    change on the way and the holes left open. `output` is the file a caller wrote the
    result to (the CLI), None otherwise."""

    theorem: str
    file: str | None
    verdict: str
    reason: str | None
    detail: str
    proof: str | None  # the accepted proof
    best_proof: str | None  # the repaired proof, or the best partial one with its holes
    output: str | None
    rounds: int
    changes: tuple[dict[str, Any], ...]
    holes: tuple[dict[str, Any], ...]
    axioms: tuple[str, ...]
    attempt_id: int
    run_id: int
    spent: dict[str, float | int]
    db: str

    @property
    def proved(self) -> bool:
        return self.verdict == "proved"


@dataclass(frozen=True)
class EvalReport:
    """An eval run's summary: `summary` is what `leanwb eval report RUN --format json`
    prints; `complete` is False while problems of the run have no result, `undone`
    counts those no live worker will finish (resume the run for them)."""

    run_id: int
    headline: str
    complete: bool
    undone: int = 0
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return self.summary

    def to_json(self) -> str:
        return json.dumps(self.summary, ensure_ascii=False, indent=2, default=str)
