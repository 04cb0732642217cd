"""Best-first search in the style of ReProver (with BFS-Prover's length normalisation).

A node's priority is the cumulative log-probability of the tactics on the path that
first created it, divided by `depth ** length_alpha` (α = 0, the default, is ReProver
exactly; BFS-Prover uses α > 0 so deep paths are not starved). Candidates run in
score order, equal states are merged, the search stops at the first closed proof and
the shortest known proof is extracted (see `prover.strategies.search.engine` and `.tree`).
"""

from __future__ import annotations

import heapq
import itertools

from prover.strategies.base import ProofContext
from prover.strategies.search.engine import Frontier, TacticSearch
from prover.strategies.search.tree import Node


def length_normalised(node: Node, alpha: float) -> float:
    return node.logprob / max(1, node.depth) ** alpha if alpha else node.logprob


class PriorityFrontier:
    """A max-priority queue; equal priorities leave in insertion order (deterministic)."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._heap: list[tuple[float, int, Node]] = []
        self._order = itertools.count()

    def push(self, node: Node) -> None:
        heapq.heappush(self._heap, (-length_normalised(node, self.alpha), next(self._order), node))

    def pop(self) -> tuple[Node, str] | None:
        while self._heap:
            node = heapq.heappop(self._heap)[2]
            if not node.expanded:
                return node, "best_first"
        return None

    def __len__(self) -> int:
        return len(self._heap)


class BestFirstSearch(TacticSearch):
    name = "bfs"

    def __init__(self, *, width: int = 8, length_alpha: float = 0.0) -> None:
        super().__init__(width=width)
        if length_alpha < 0:
            raise ValueError("length_alpha must be zero or positive")
        self.length_alpha = length_alpha

    def new_frontier(self, ctx: ProofContext) -> Frontier:
        return PriorityFrontier(self.length_alpha)

    def config(self) -> dict[str, object]:
        return {**super().config(), "length_alpha": self.length_alpha}
