"""Heuristic rules of the multi-perspective search: pure functions of states and paths.

Which rules and why (also in docs/search.md):

- Fewest case splits (named by MPS-Prover): every open goal and every branching tactic
  on the path (`cases`, `induction`, `by_cases`, `constructor`, ...) is work still to
  be paid for, so paths that split less are preferred.
- Shortest state (named by MPS-Prover): a short pretty-printed state is usually close
  to `no goals` and cheap for a model to read.
- Tactic diversity by family: candidates are interleaved by tactic head (the first
  token), so one family (say ten `nlinarith [...]` variants) cannot fill an expansion.
- Repetition penalty: a path that applies the same tactic head three or more times in
  a row is demoted (it is usually looping: `rw` after `rw` after `rw`).
- Stale-path demotion: a path whose last two steps neither closed a goal nor shortened
  the targets is demoted, since it is not heading towards `no goals`.

Demotion is a rank, not a number added to a score: a demoted node comes after every
non-demoted node in every perspective, so the rule works whatever the scale of the
perspective's score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from prover.types import Candidate

BRANCHING_HEADS = frozenset(
    {
        "cases",
        "cases'",
        "rcases",
        "induction",
        "induction'",
        "interval_cases",
        "fin_cases",
        "by_cases",
        "split_ifs",
        "split",
        "constructor",
    }
)
REPEAT_LIMIT = 2  # runs longer than this (3 in a row) are demoted
STALE_LIMIT = 1  # more consecutive no-progress steps than this are demoted

_HEAD = re.compile(r"[^\s\[\](){}⟨⟩;,<]+")


def tactic_head(tactic: str) -> str:
    """The tactic's family: its first token (`simp [h] at h'` -> `simp`)."""
    match = _HEAD.search(tactic)
    return match.group(0) if match else ""


def target_size(goals: Sequence[str]) -> int:
    """Characters in the goals' targets (the text after `⊢`), whitespace-insensitive."""
    return sum(len(" ".join(goal.rpartition("⊢")[2].split())) for goal in goals)


def diversify(candidates: Sequence[Candidate], width: int) -> list[Candidate]:
    """Up to `width` candidates, taken round-robin across tactic heads.

    Within a head the better score goes first; heads take turns in the order of their
    best candidate, so the result is deterministic for a given input order.
    """
    by_head: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: -c.score):
        by_head.setdefault(tactic_head(candidate.text), []).append(candidate)
    chosen: list[Candidate] = []
    turn = 0
    while len(chosen) < width and any(turn < len(group) for group in by_head.values()):
        chosen.extend(group[turn] for group in by_head.values() if turn < len(group))
        turn += 1
    return chosen[:width]


@dataclass(frozen=True)
class PathFeatures:
    """What the rules know about a node, computed once along the path that created it."""

    goals: int
    size: int
    splits: int = 0
    head: str = ""
    head_run: int = 0
    stale: int = 0

    @classmethod
    def of_root(cls, goals: Sequence[str]) -> PathFeatures:
        return cls(goals=len(goals), size=target_size(goals))

    def step(self, tactic: str, goals: Sequence[str]) -> PathFeatures:
        head = tactic_head(tactic)
        size = target_size(goals)
        progress = len(goals) < self.goals or size < self.size
        return PathFeatures(
            goals=len(goals),
            size=size,
            splits=self.splits + (head in BRANCHING_HEADS),
            head=head,
            head_run=self.head_run + 1 if head == self.head else 1,
            stale=0 if progress else self.stale + 1,
        )

    @property
    def demotion(self) -> int:
        return max(0, self.head_run - REPEAT_LIMIT) + max(0, self.stale - STALE_LIMIT)
