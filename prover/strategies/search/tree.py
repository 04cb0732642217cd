"""The search graph of one attempt: a DAG of proof states merged by normalised goals.

A node is one distinct tactic state (all open goals, so "no goals" means the whole
theorem is proved). A tactic that reaches a state already in the graph adds an edge
to the existing node instead of a new node, so the graph is a DAG with transpositions
merged (and, rarely, a cycle when a tactic undoes an earlier one; nodes are expanded
at most once, so cycles never loop the search).

Status and distance follow ReProver: after a node's expansion its out-edges are fixed;
it is SOLVED when some child is SOLVED, FAILED when it was fully expanded and every
child failed (or it has none). The distance to a proof (0 at "no goals", else 1 + the
best child's) is pushed up through every in-edge, so `proof_edges` extracts the
shortest known proof, not merely the first one found.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from prover.protocols import NodeStatus
from prover.types import NO_GOALS, ProofState


def normalise_goals(goals: Sequence[str]) -> str:
    """The merge key of a state: whitespace runs collapsed, goal order and case tags kept.

    Goal order matters (a tactic acts on the first goal), and so do hypothesis names
    (a later tactic may mention them): states that differ only by renaming are
    deliberately not merged, because a proof spliced from two such paths would not
    elaborate.
    """
    if not goals:
        return NO_GOALS
    return "\n\n".join(" ".join(goal.split()) for goal in goals)


@dataclass(eq=False)
class Node:
    """One distinct proof state. `parent` is the edge that first created it."""

    key: str
    state: ProofState
    graph_id: int
    depth: int
    logprob: float
    parent: Edge | None = None
    status: NodeStatus = NodeStatus.OPEN
    distance: float = math.inf
    expanded: bool = False
    # An expansion cut short by the budget never proves that a node is a dead end.
    partial: bool = False
    in_edges: list[Edge] = field(default_factory=list)
    out_edges: list[Edge] = field(default_factory=list)

    @property
    def is_terminal(self) -> bool:
        return self.key == NO_GOALS

    def path(self) -> list[Edge]:
        """The edges of the path that created this node, from the root."""
        edges: list[Edge] = []
        edge = self.parent
        while edge is not None:
            edges.append(edge)
            edge = edge.parent.parent
        edges.reverse()
        return edges


@dataclass(eq=False)
class Edge:
    """A tactic tried on `parent`; `child` is None when Lean gave no usable state."""

    parent: Node
    tactic: str
    score: float
    child: Node | None


class SearchTree:
    """Nodes by key, edges between them, and status/distance propagation."""

    def __init__(self, root_state: ProofState, root_graph_id: int) -> None:
        self._nodes: dict[str, Node] = {}
        self.max_depth = 0
        self.root = self._insert(root_state, root_graph_id, depth=0, logprob=0.0, parent=None)

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes.values())

    def get(self, goals: Sequence[str]) -> Node | None:
        return self._nodes.get(normalise_goals(goals))

    def tried(self, node: Node, tactic: str) -> bool:
        return any(edge.tactic == tactic for edge in node.out_edges)

    def add_edge(
        self,
        parent: Node,
        tactic: str,
        score: float,
        child_state: ProofState | None,
        child_graph_id: int | None = None,
    ) -> tuple[Edge, bool]:
        """Link `parent --tactic--> child_state`; returns the edge and whether the child is new.

        `child_graph_id` is the recorder's id for the child and is required only when
        the state is new (look it up with `get` first).
        """
        if parent.expanded:
            raise ValueError("a node's out-edges are fixed once its expansion is closed")
        if self.tried(parent, tactic):
            raise ValueError(f"tactic {tactic!r} was already tried on this state")
        edge = Edge(parent, tactic, score, None)
        created = False
        if child_state is not None:
            edge.child = self.get(child_state.goals)
            if edge.child is None:
                if child_graph_id is None:
                    raise ValueError("a new state needs its graph node id")
                edge.child = self._insert(
                    child_state,
                    child_graph_id,
                    depth=parent.depth + 1,
                    logprob=parent.logprob + score,
                    parent=edge,
                )
                created = True
        parent.out_edges.append(edge)
        if edge.child is not None:
            edge.child.in_edges.append(edge)
            if edge.child.status is NodeStatus.SOLVED:
                self._propagate(parent)
        return edge, created

    def close(self, node: Node, *, complete: bool = True) -> list[Node]:
        """End `node`'s expansion and propagate; returns the nodes whose status changed."""
        node.expanded = True
        node.partial = not complete
        return self._propagate(node)

    def proof_edges(self) -> list[Edge]:
        """The shortest known proof from the root, or [] while the root is unsolved."""
        if self.root.status is not NodeStatus.SOLVED:
            return []
        edges: list[Edge] = []
        node = self.root
        while not node.is_terminal:
            best = min(
                (e for e in node.out_edges if e.child and e.child.status is NodeStatus.SOLVED),
                key=lambda e: e.child.distance if e.child else math.inf,
            )
            assert best.child is not None
            edges.append(best)
            node = best.child
        return edges

    def _insert(
        self,
        state: ProofState,
        graph_id: int,
        *,
        depth: int,
        logprob: float,
        parent: Edge | None,
    ) -> Node:
        key = normalise_goals(state.goals)
        node = Node(key, state, graph_id, depth, logprob, parent)
        if node.is_terminal:
            node.status, node.distance, node.expanded = NodeStatus.SOLVED, 0.0, True
        self._nodes[key] = node
        self.max_depth = max(self.max_depth, depth)
        return node

    def _propagate(self, start: Node) -> list[Node]:
        changed: list[Node] = []
        pending = [start]
        while pending:
            node = pending.pop()
            status, distance = self._evaluate(node)
            if status is node.status and distance == node.distance:
                continue
            if status is not node.status:
                changed.append(node)
            node.status, node.distance = status, distance
            pending.extend(edge.parent for edge in node.in_edges)
        return changed

    @staticmethod
    def _evaluate(node: Node) -> tuple[NodeStatus, float]:
        if node.is_terminal:
            return NodeStatus.SOLVED, 0.0
        children = [edge.child for edge in node.out_edges]
        solved = [c.distance for c in children if c and c.status is NodeStatus.SOLVED]
        if solved:
            return NodeStatus.SOLVED, 1.0 + min(solved)
        dead_end = all(c is None or c.status is NodeStatus.FAILED for c in children)
        if node.expanded and not node.partial and dead_end:
            return NodeStatus.FAILED, math.inf
        return NodeStatus.OPEN, math.inf
