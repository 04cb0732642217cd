"""Multi-perspective search, after MPS-Prover (design in docs/search.md).

No single score decides what to expand. Several perspectives each rank the open
nodes, and expansions are handed out among them by quota, interleaved (smooth
weighted round-robin), so every bias gets its share and none dominates:

| perspective      | prefers                                            | quota |
|------------------|----------------------------------------------------|-------|
| `critic`         | smallest predicted distance to `no goals`          | 2     |
| `policy`         | best log-prob per step (cumulative / depth ** 0.5) | 1     |
| `fewest_splits`  | fewest open goals and branching tactics on the path | 1     |
| `shortest_state` | shortest pretty-printed state                      | 1     |

A node picked by one perspective is expanded once and leaves every other list.

Guards, applied under every perspective (`prover.strategies.search.rules`):

- transpositions are merged (one node per state, expanded once), so a tactic that
  returns to a known state, the parent's included, adds an edge but no work, and no
  tactic is ever run twice on the same state;
- the candidates of an expansion are interleaved by tactic family, from a pool
  `oversample` times the width, so the width is spent on different ideas;
- a path repeating one tactic head three times in a row, or making no progress (no
  goal closed, targets not shorter) for two steps, is demoted below every other node.

The critic is pluggable (`prover.strategies.search.critic.Critic`); the default is the
heuristic distance from goal count and target size, so the search needs no model. A
model critic's tokens are charged to the attempt's budget.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from prover.strategies.base import ProofContext
from prover.strategies.search.critic import Critic, HeuristicCritic
from prover.strategies.search.engine import Frontier, TacticSearch, distinct
from prover.strategies.search.rules import PathFeatures, diversify
from prover.strategies.search.tree import Node
from prover.types import Candidate

DEFAULT_QUOTAS: Mapping[str, int] = {
    "critic": 2,
    "policy": 1,
    "fewest_splits": 1,
    "shortest_state": 1,
}

Scorer = Callable[[Node, PathFeatures], float]


@dataclass(frozen=True)
class Perspective:
    name: str
    quota: int
    score: Scorer  # higher is better


def interleave(quotas: Sequence[int]) -> list[int]:
    """Smooth weighted round-robin: indices in proportion to `quotas`, spread out evenly."""
    total = sum(quotas)
    current = [0] * len(quotas)
    order: list[int] = []
    for _ in range(total):
        for i, quota in enumerate(quotas):
            current[i] += quota
        pick = max(range(len(quotas)), key=lambda i: current[i])
        current[pick] -= total
        order.append(pick)
    return order


class PerspectiveFrontier:
    """One ranked list per perspective; pops follow the interleaved quota schedule."""

    def __init__(self, perspectives: Sequence[Perspective]) -> None:
        self.perspectives = [p for p in perspectives if p.quota > 0]
        self._schedule = interleave([p.quota for p in self.perspectives])
        self._turn = 0
        self._heaps: list[list[tuple[int, float, int, Node]]] = [[] for _ in self.perspectives]
        self._features: dict[Node, PathFeatures] = {}
        self._order = itertools.count()
        self._waiting = 0

    def features(self, node: Node) -> PathFeatures:
        return self._features[node]

    def push(self, node: Node) -> None:
        edge = node.parent
        if edge is None:
            features = PathFeatures.of_root(node.state.goals)
        else:
            features = self._features[edge.parent].step(edge.tactic, node.state.goals)
        self._features[node] = features
        order = next(self._order)
        for heap, perspective in zip(self._heaps, self.perspectives, strict=True):
            rank = (features.demotion, -perspective.score(node, features), order, node)
            heapq.heappush(heap, rank)
        self._waiting += 1

    def pop(self) -> tuple[Node, str] | None:
        for offset in range(len(self._schedule)):
            slot = (self._turn + offset) % len(self._schedule)
            index = self._schedule[slot]
            node = self._pop_open(self._heaps[index])
            if node is not None:
                self._turn = (slot + 1) % len(self._schedule)
                self._waiting -= 1
                return node, self.perspectives[index].name
        return None

    @staticmethod
    def _pop_open(heap: list[tuple[int, float, int, Node]]) -> Node | None:
        while heap:
            node = heapq.heappop(heap)[3]
            if not node.expanded:
                return node
        return None

    def __len__(self) -> int:
        return self._waiting


class MultiPerspectiveSearch(TacticSearch):
    name = "mps"

    def __init__(
        self,
        *,
        width: int = 8,
        quotas: Mapping[str, int] | None = None,
        critic: Critic | None = None,
        policy_alpha: float = 0.5,
        split_weight: float = 0.5,
        oversample: int = 2,
    ) -> None:
        super().__init__(width=width)
        chosen = dict(DEFAULT_QUOTAS if quotas is None else quotas)
        unknown = sorted(set(chosen) - set(DEFAULT_QUOTAS))
        if unknown:
            raise ValueError(
                f"unknown perspective(s) {', '.join(unknown)}; "
                f"choose among {', '.join(DEFAULT_QUOTAS)}"
            )
        if any(q < 0 for q in chosen.values()) or not any(chosen.values()):
            raise ValueError("perspective quotas must be non-negative, with at least one above 0")
        if oversample < 1:
            raise ValueError("oversample must be at least 1")
        self.quotas = chosen
        self.critic = critic or HeuristicCritic()
        self.policy_alpha = policy_alpha
        self.split_weight = split_weight
        self.oversample = oversample

    def new_frontier(self, ctx: ProofContext) -> Frontier:
        scorers: dict[str, Scorer] = {
            "critic": lambda node, _: -self._metered_estimate(node, ctx),
            "policy": lambda node, _: node.logprob / max(1, node.depth) ** self.policy_alpha,
            "fewest_splits": lambda _, f: -f.goals - self.split_weight * f.splits,
            "shortest_state": lambda node, _: -len(node.key),
        }
        return PerspectiveFrontier(
            [Perspective(name, self.quotas.get(name, 0), scorers[name]) for name in scorers]
        )

    def _metered_estimate(self, node: Node, ctx: ProofContext) -> float:
        with ctx.metered(self.critic.usage):
            return self.critic.estimate(node.state)

    def request_size(self) -> int:
        return self.width * self.oversample

    def choose(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        return diversify(distinct(candidates), self.width)

    def config(self) -> dict[str, object]:
        return {
            **super().config(),
            "quotas": self.quotas,
            "critic": self.critic.name,
            "policy_alpha": self.policy_alpha,
            "split_weight": self.split_weight,
            "oversample": self.oversample,
        }
