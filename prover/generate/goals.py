"""Parse a pretty-printed Lean goal state into goals, hypotheses and targets.

The input is what the REPL prints (and `ProofState.text` joins): one block per goal,
blocks separated by a blank line, each block

    case left            -- optional tag
    x y : ℕ              -- hypotheses; names sharing a type are grouped
    n : ℕ := 5           -- a `let` hypothesis carries its value
    h : a very long type
        that Lean wrapped -- continuation lines are indented
    ⊢ target
      wrapped target

`no goals` (and the empty string) parse to no goals; LeanDojo's `2 goals` prefix is
ignored. Types and targets are stored with runs of whitespace collapsed to one space,
so two printings of the same term compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prover.proof_text import top_level_assign

TURNSTILE = "⊢"
INACCESSIBLE_MARK = "✝"

_IDENTIFIER = re.compile(r"[A-Za-z_\u00C0-\u024F\u0370-\u03FF\u1D00-\u1DBF][\w'!?₀-₉ₐ-ₜ.]*")
_GOAL_COUNT = re.compile(r"^\s*\d+ goals?\s*\n")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Collapse runs of whitespace (including Lean's line wrapping) to single spaces."""
    return _WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Hypothesis:
    names: tuple[str, ...]
    type: str
    value: str | None = None

    @property
    def usable_names(self) -> tuple[str, ...]:
        """Names a tactic can mention: Lean prints inaccessible ones with `✝`."""
        return tuple(name for name in self.names if INACCESSIBLE_MARK not in name)


@dataclass(frozen=True)
class Goal:
    target: str
    hypotheses: tuple[Hypothesis, ...] = ()
    case: str | None = None

    @property
    def names(self) -> frozenset[str]:
        """Every hypothesis name in scope, inaccessible ones included."""
        return frozenset(name for hyp in self.hypotheses for name in hyp.names)

    def named(self) -> list[tuple[str, Hypothesis]]:
        """(name, hypothesis) for each usable name, in order; a later name shadows an earlier."""
        latest: dict[str, Hypothesis] = {}
        for hyp in self.hypotheses:
            for name in hyp.usable_names:
                latest.pop(name, None)
                latest[name] = hyp
        return list(latest.items())

    def type_of(self, name: str) -> str | None:
        found = None
        for hyp in self.hypotheses:
            if name in hyp.names:
                found = hyp.type
        return found


def parse_state(state: str) -> list[Goal]:
    """All goals of a pretty-printed state, main goal first; blocks without `⊢` are skipped."""
    text = state.strip()
    if not text or text == "no goals":
        return []
    text = _GOAL_COUNT.sub("", text + "\n", count=1)
    goals = (parse_goal(block) for block in _BLANK_LINE.split(text))
    return [goal for goal in goals if goal is not None]


def parse_goal(block: str) -> Goal | None:
    """One goal block, or None when it has no `⊢` line."""
    case: str | None = None
    items: list[list[str]] = []  # logical lines: a head line plus its indented continuations
    for line in block.splitlines():
        if not line.strip():
            continue
        if line[0].isspace() and items:
            items[-1].append(line.strip())
        elif line.startswith("case ") and not items:
            case = line[len("case ") :].strip() or None
        else:
            items.append([line.strip()])

    hypotheses: list[Hypothesis] = []
    target: str | None = None
    for parts in items:
        item = normalize(" ".join(parts))
        if item.startswith(TURNSTILE):
            target = normalize(item[len(TURNSTILE) :])
        elif target is None:
            hyp = _parse_hypothesis(item)
            if hyp is not None:
                hypotheses.append(hyp)
            elif hypotheses:  # an unindented continuation: keep it with the previous type
                last = hypotheses[-1]
                joined = normalize(f"{last.type} {item}")
                hypotheses[-1] = Hypothesis(last.names, joined, last.value)
        else:  # an unindented continuation of the target
            target = normalize(f"{target} {item}")
    if target is None:
        return None
    return Goal(target=target, hypotheses=tuple(hypotheses), case=case)


def _parse_hypothesis(item: str) -> Hypothesis | None:
    head, sep, rest = item.partition(" : ")
    if not sep:
        return None
    names = tuple(head.split())
    if not names or not all(_looks_like_name(name) for name in names):
        return None
    type_, value = rest, None
    assign = top_level_assign(rest)
    if assign is not None:
        type_, value = rest[:assign].strip(), rest[assign + len(":=") :].strip()
    return Hypothesis(names=names, type=type_, value=value)


def _looks_like_name(token: str) -> bool:
    return not any(ch in token for ch in "()[]{}:,⊢") and token not in {"fun", "∀", "∃"}


def words(text: str) -> set[str]:
    """The identifiers in a term (dotted names count as one)."""
    return set(_IDENTIFIER.findall(text))


def occurs(fragment: str, text: str) -> bool:
    """Whether `fragment` occurs in `text` as a whole term (not inside a longer name)."""
    pattern = rf"(?<![\w'₀-₉.]){re.escape(fragment)}(?![\w'₀-₉])"
    return re.search(pattern, text) is not None


def fresh_name(base: str, taken: set[str]) -> str:
    """`base`, or `base1`, `base2`, … whichever is not taken yet; reserves the result."""
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}{k}"
    taken.add(name)
    return name
