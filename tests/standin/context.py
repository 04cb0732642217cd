"""What one elaboration collects: messages, sorries, axioms, and whether errors were admitted."""

from __future__ import annotations

from dataclasses import dataclass, field

from standin.env import Decl, Environment
from standin.goals import Goal
from standin.lexer import Source


@dataclass
class Message:
    severity: str
    text: str
    start: int | None = None  # code-point offsets into the request text; None in tactic mode
    end: int | None = None


@dataclass
class SorryRecord:
    goals: tuple[Goal, ...]
    start: int | None = None
    end: int | None = None


class ElabError(Exception):
    """An elaboration error at a span. `recoverable`: Lean logs it and continues with `sorry`."""

    def __init__(self, text: str, start: int, end: int, recoverable: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.start = start
        self.end = end
        self.recoverable = recoverable


@dataclass
class Context:
    env: Environment
    source: Source
    tactic_mode: bool = False  # messages at 0:0, sorries without positions
    self_decl: Decl | None = None  # the declaration being proved, visible as a recursive reference
    messages: list[Message] = field(default_factory=list)
    sorries: list[SorryRecord] = field(default_factory=list)
    axioms: set[str] = field(default_factory=set)
    admitted: bool = False  # an error was recovered by admitting a goal (sorryAx)
    used_sorry: bool = False  # an explicit `sorry`/`admit`
    self_used: bool = False

    def log(self, severity: str, text: str, start: int | None, end: int | None) -> None:
        if self.tactic_mode:
            start = end = None
        self.messages.append(Message(severity, text, start, end))

    def error(self, text: str, start: int | None, end: int | None) -> None:
        self.log("error", text, start, end)

    def log_error(self, exc: ElabError) -> None:
        self.error(exc.text, exc.start, exc.end)

    def admit(self) -> None:
        self.admitted = True
        self.axioms.add("sorryAx")

    def record_sorry(self, goals: tuple[Goal, ...], start: int, end: int) -> None:
        self.used_sorry = True
        self.axioms.add("sorryAx")
        if self.tactic_mode:
            self.sorries.append(SorryRecord(goals))
        else:
            self.sorries.append(SorryRecord(goals, start, end))

    def snapshot(self) -> tuple[int, int, frozenset[str], bool, bool, bool]:
        return (
            len(self.messages),
            len(self.sorries),
            frozenset(self.axioms),
            self.admitted,
            self.used_sorry,
            self.self_used,
        )

    def restore(self, snap: tuple[int, int, frozenset[str], bool, bool, bool]) -> None:
        """Backtrack (`try`, `first`): forget what was logged since the snapshot."""
        messages, sorries, axioms, self.admitted, self.used_sorry, self.self_used = snap
        del self.messages[messages:]
        del self.sorries[sorries:]
        self.axioms = set(axioms)

    @property
    def has_errors(self) -> bool:
        return any(m.severity == "error" for m in self.messages)
