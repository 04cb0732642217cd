"""The interfaces the layers talk through.

Concrete classes live in their own packages (`prover.lean.pool.LeanServer`,
`prover.generate.*`, `retrieval.retriever.Retriever`, `prover.graph.recorder.SqlRecorder`);
everything above them depends only on these protocols, so a test double or a
new backend plugs in without touching the callers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from prover.types import (
    Candidate,
    CheckResult,
    Message,
    Premise,
    ProofState,
    Provenance,
    StartResult,
    TacticResult,
    Theorem,
    Usage,
    Verdict,
)


class Lean(Protocol):
    """A Lean checker: command mode on a header, and tactic mode on proof states."""

    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        """Elaborate `body` on top of the (cached) environment of `header`."""
        ...

    def start(self, theorem: Theorem, timeout: float | None = None) -> StartResult:
        """Open `theorem` in tactic mode: its initial proof state, or why it failed."""
        ...

    def run_tactic(
        self, state: ProofState, tactic: str, timeout: float | None = None
    ) -> TacticResult:
        """Run `tactic` on `state` (on the process that owns it)."""
        ...


class Generator(Protocol):
    """Proposes candidate tactics (or proof texts) for a pretty-printed goal state."""

    name: str
    usage: Usage

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]: ...


class Retriever(Protocol):
    def search(self, query: str, k: int, accessible_from: str | None = None) -> list[Premise]: ...

    def for_header(self, header: str) -> Retriever:
        """This retriever limited to the premises `header` makes accessible (where known)."""
        ...


class CheckAnswers(Protocol):
    """Definitive answers of earlier checks, by key (`prover.proof_key`), kept across
    attempts and runs so that identical text is never checked twice
    (`prover.graph.check_cache.CheckCache`). `pin` names the Lean the answers hold for; it
    is part of every key."""

    pin: str

    def lookup(self, key: str) -> Mapping[str, Any] | None: ...

    def prefetch(self, keys: Iterable[str]) -> None:
        """Fetch the stored answers of `keys` at once, so that their lookups cost no I/O."""
        ...

    def store(self, key: str, answer: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


class NodeKind(StrEnum):
    STATEMENT = "statement"  # the theorem as asked: every graph's root
    PROOF_STATE = "proof_state"  # tactic-mode goals
    PROOF_TEXT = "proof_text"  # a whole candidate proof
    DRAFT = "draft"  # informal draft
    SKETCH = "sketch"  # Lean skeleton with `sorry` holes
    SUBGOAL = "subgoal"  # one hole of a sketch or a sorrified proof
    SAMPLE = "sample"  # one whole-proof sample as a model wrote it (strategy `sample`)
    CHECK = "check"  # one Lean check of a distinct proof text; identical samples share it


class NodeStatus(StrEnum):
    OPEN = "open"
    SOLVED = "solved"
    FAILED = "failed"


class EdgeKind(StrEnum):
    TACTIC = "tactic"
    DRAFT = "draft"
    SKETCH = "sketch"
    MASK = "mask"
    SUBGOAL = "subgoal"
    AUTOMATION = "automation"
    REPAIR_FIX = "repair_fix"
    SORRIFY = "sorrify"
    RECOMBINE = "recombine"
    VERIFY = "verify"
    SAMPLE = "sample"  # statement -> a sample the model wrote
    CHECK = "check"  # sample -> the check of its proof text


@dataclass(frozen=True)
class LeanOutcome:
    """What Lean said about one step, as stored on its edge."""

    status: str
    elapsed_ms: float
    messages: tuple[Message, ...] = ()

    @classmethod
    def of(
        cls,
        result: CheckResult | TacticResult,
        *,
        status: str | None = None,
        messages: Sequence[Message] | None = None,
    ) -> LeanOutcome:
        """The outcome of a Lean reply: its status (unless `status` names it, e.g.
        `clean`), its time in ms and its messages (unless `messages` picks some)."""
        return cls(
            status if status is not None else result.status.value,
            round(result.elapsed_s * 1000.0, 3),
            tuple(result.messages if messages is None else messages),
        )

    @classmethod
    def of_verdict(cls, verdict: Verdict, elapsed_s: float) -> LeanOutcome:
        """The outcome of a whole-proof check by the soundness gate: the verdict's kind
        as status, the Lean time it took and Lean's messages on the proof."""
        return cls(verdict.kind.value, round(elapsed_s * 1000.0, 3), verdict.messages)


class Recorder(Protocol):
    """The only way strategies write to the provenance graph of one attempt.

    `node` with a `key` returns the existing node for that key within the attempt,
    so a state reached twice is one node. `edge` may join several parents
    (recombination); `child` may be None for a step that produced nothing.
    """

    attempt_id: int

    def node(
        self,
        kind: NodeKind,
        text: str,
        *,
        key: str | None = None,
        goals: Sequence[str] = (),
        status: NodeStatus = NodeStatus.OPEN,
        meta: Mapping[str, Any] | None = None,
    ) -> int: ...

    def edge(
        self,
        kind: EdgeKind,
        parents: Sequence[int],
        child: int | None,
        action: str,
        *,
        strategy: str,
        proposer: Provenance | None = None,
        score: float | None = None,
        lean: LeanOutcome | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int: ...

    def set_status(self, node_id: int, status: NodeStatus) -> None: ...

    def event(self, kind: str, message: str, data: Mapping[str, Any] | None = None) -> None: ...

    def flush(self) -> None: ...
