"""Core value types shared by every layer of the workbench.

Everything that crosses a module boundary is one of these frozen dataclasses:
raw REPL dictionaries never leave `prover.lean`, and strategies never see SQL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Theorem:
    """A statement to prove.

    `statement` is the declaration up to (not including) `:=`, for example
    `theorem t (p : Prop) (hp : p) : p`. `header` holds the imports, `open`s and
    options that must precede it.
    """

    name: str
    header: str
    statement: str
    informal_statement: str | None = None
    informal_proof: str | None = None
    source: str | None = None

    def with_proof(self, proof: str) -> str:
        """The declaration text with `proof` (the text after `:=`) attached.

        The proof starts on the `:=` line, so a `by` block keeps Lean's layout
        (`:= by` then the tactics indented on the following lines).
        """
        return f"{self.statement} := {proof}"

    @property
    def statement_hash(self) -> str:
        return hashlib.sha256(f"{self.header}\x00{self.statement}".encode()).hexdigest()


@dataclass(frozen=True)
class Position:
    """Lean position: 1-based line, 0-based column counted in Unicode code points."""

    line: int
    column: int


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    severity: Severity
    pos: Position
    end_pos: Position | None
    text: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, Any]:
        """The message as the database and `--json` outputs store it."""
        end = self.end_pos
        return {
            "severity": self.severity.value,
            "line": self.pos.line,
            "column": self.pos.column,
            "end_line": end.line if end else None,
            "end_column": end.column if end else None,
            "text": self.text,
        }


@dataclass(frozen=True)
class Sorry:
    """A `sorry` the REPL reported, with the proof state that continues from it."""

    goal: str
    proof_state: int | None
    pos: Position | None = None
    end_pos: Position | None = None


class CallStatus(StrEnum):
    """How a single request to a REPL process ended, independent of Lean's verdict."""

    OK = "ok"  # a well-formed reply arrived (it may still carry Lean errors)
    REPL_ERROR = "repl_error"  # the REPL answered with a top-level {"message": ...}
    TIMEOUT = "timeout"  # wall-clock limit hit; the process was killed and will be restarted
    CRASH = "crash"  # the process died (EOF on stdout, non-zero exit)
    MEMORY = "memory"  # the process exceeded its memory cap and was killed
    OUTPUT_LIMIT = "output_limit"  # the reply exceeded the output size cap
    PROTOCOL_ERROR = "protocol_error"  # the reply could not be parsed, or a bad request was refused
    STALE_STATE = "stale_state"  # the proof state belonged to a process that has since restarted


@dataclass(frozen=True)
class CheckResult:
    """The reply to a command-mode request (`{"cmd": ...}` on top of a header env)."""

    status: CallStatus
    env: int | None = None
    messages: tuple[Message, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    error: str | None = None
    elapsed_s: float = 0.0
    # The process incarnation that produced the sorries' proof states (see ProofState.session).
    session: str | None = None

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.is_error)

    @property
    def clean(self) -> bool:
        """Elaborated with no error message and no sorry (axioms are the gate's job)."""
        return (
            self.status is CallStatus.OK
            and not self.errors
            and not self.sorries
            and not any(is_sorry_warning(m) for m in self.messages)
        )


def is_sorry_warning(message: Message) -> bool:
    """Lean's "declaration uses sorry" notice, in any of its quoting styles."""
    text = message.text
    return message.severity is Severity.WARNING and "declaration uses" in text and "sorry" in text


NO_GOALS = "no goals"  # how a solved state reads, in Lean and in the graph


@dataclass(frozen=True)
class ProofState:
    """A tactic-mode proof state living in one REPL process.

    `session` identifies the process incarnation that owns `id`; the pool routes
    tactics there and refuses states whose process has since been restarted.
    Equality ignores ids: two states with the same goals are the same state.
    """

    goals: tuple[str, ...]
    id: int = field(compare=False)
    session: str = field(compare=False)

    @property
    def text(self) -> str:
        """Pretty-printed goals, one block per goal, as a model or a person reads them."""
        return "\n\n".join(self.goals) if self.goals else NO_GOALS


class TacticStatus(StrEnum):
    """Every shape a tactic-mode reply can take (see PROTOCOL.md §2.3 and §3.5)."""

    OPEN_GOALS = "open_goals"  # progress: a new state with goals left, no error logged
    COMPLETED = "completed"  # proofStatus "Completed" and no error message: the proof is done
    LEAN_ERROR = "lean_error"  # top-level {"message": "Lean error: ..."}: no new state
    ERROR_RECOVERED = "error_recovered"  # new state, but Lean logged an error: [] is NOT solved
    KERNEL_REJECTED = "kernel_rejected"  # proofStatus "Error: ...": the kernel refused the term
    CONTAINS_SORRY = "contains_sorry"  # proofStatus "Incomplete: contains sorry"
    CONTAINS_METAVARIABLES = "contains_metavariables"  # "Incomplete: contains metavariable(s)"
    NOT_VERIFIED = "not_verified"  # "Not verified: ..." (several root goals)
    UNKNOWN_STATE = "unknown_state"  # the REPL does not know the proof state id
    TIMEOUT = "timeout"
    CRASH = "crash"
    STALE_STATE = "stale_state"
    # The process-level failures of CallStatus, so a tactic reply never hides one as a crash.
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    PROTOCOL_ERROR = "protocol_error"

    @property
    def is_progress(self) -> bool:
        """A step a search may continue from."""
        return self in (TacticStatus.OPEN_GOALS, TacticStatus.COMPLETED)


@dataclass(frozen=True)
class TacticResult:
    status: TacticStatus
    state: ProofState | None = None
    messages: tuple[Message, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    proof_status: str | None = None
    error: str | None = None
    elapsed_s: float = 0.0

    @property
    def solved(self) -> bool:
        return self.status is TacticStatus.COMPLETED


@dataclass(frozen=True)
class StartResult:
    """Outcome of opening a theorem in tactic mode (`statement := by sorry`)."""

    state: ProofState | None
    check: CheckResult


@dataclass(frozen=True)
class Premise:
    name: str
    statement: str
    module: str | None = None
    score: float = 0.0


@dataclass(frozen=True)
class Provenance:
    """Who proposed a step and how: enough to reproduce or audit it."""

    generator: str
    model: str | None = None
    settings: tuple[tuple[str, Any], ...] = ()
    prompt_hash: str | None = None
    premises: tuple[Premise, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "model": self.model,
            "settings": dict(self.settings),
            "prompt_hash": self.prompt_hash,
            "premises": [
                {"name": p.name, "rank": i, "score": p.score} for i, p in enumerate(self.premises)
            ],
        }


@dataclass(frozen=True)
class Candidate:
    """One proposed tactic (or proof text) with its score, higher is better (a log-prob)."""

    text: str
    score: float
    provenance: Provenance


@dataclass
class Usage:
    """Cumulative generator usage, kept by each generator and read by the budget."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


class StopReason(StrEnum):
    """Why a strategy stopped: the one vocabulary of claims, verdicts and the database.

    Stored verbatim (a failed verdict's `reason` is its claim's); what a person should
    read about it goes in a separate `detail`, never after a colon in the code.
    """

    PROVED = "proved"
    REPAIRED = "repaired"
    # a budget limit ran out (`Budget.exhausted`)
    WALL_TIME = "wall_time"
    LEAN_CALLS = "lean_calls"
    TOKENS = "tokens"
    EXPANSIONS = "expansions"
    # search
    SEARCH_EXHAUSTED = "search_exhausted"
    START_FAILED = "start_failed"
    GENERATOR_ERROR = "generator_error"
    GENERATOR_TIMEOUT = "generator_timeout"
    # sketch
    NO_DRAFTER = "no_drafter"
    EMPTY_DRAFT = "empty_draft"
    NO_SKETCH = "no_sketch"
    SKETCH_UNREPAIRABLE = "sketch_unrepairable"
    SUBGOALS_UNPROVED = "subgoals_unproved"
    RECOMBINED_ERROR = "recombined_error"
    # repair
    NOTHING_TO_REPAIR = "nothing_to_repair"
    HOLES_REMAIN = "holes_remain"
    STATEMENT_ERROR = "statement_error"
    LEAN_FAILED = "lean_failed"
    # portfolio
    NO_STAGE = "no_stage_available"
    NO_CLOSER = "no_closer_worked"
    # the attempt itself
    INTERRUPTED = "interrupted"
    INTERNAL_ERROR = "internal_error"


class VerdictKind(StrEnum):
    PROVED = "proved"
    FAILED = "failed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Verdict:
    """The soundness gate's judgement of a claimed proof.

    `reason` is a short machine-readable code (e.g. `contains_sorry`,
    `forbidden_axiom`, `lean_error`); `detail` says it for a person.
    """

    kind: VerdictKind
    reason: str | None = None
    detail: str = ""
    axioms: tuple[str, ...] = ()
    proof: str | None = None
    messages: tuple[Message, ...] = ()

    @property
    def proved(self) -> bool:
        return self.kind is VerdictKind.PROVED


def prompt_hash(text: str) -> str:
    """Short stable hash of a prompt, recorded as provenance."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]
