"""Routes through a provenance graph: how the statement led to a node.

An edge may join several inputs, so a route is a small sub-DAG (a hyperpath): the
edge chosen for each node needs all of its parents routed too. The cheapest routes
of all nodes come from one pass of Knuth's generalisation of Dijkstra's algorithm
to such graphs, with cost(child) = 1 + the sum of its parents' costs.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

from prover.graph.queries import Graph
from prover.protocols import EdgeKind, NodeKind, NodeStatus
from prover.types import NO_GOALS


@dataclass(frozen=True)
class Derivations:
    """For each node reachable from the roots: its cheapest incoming edge and that cost."""

    best_edge: dict[int, int]
    cost: dict[int, int]


@dataclass(frozen=True)
class Route:
    """Node and edge ids from the statement to a target, parents before children."""

    nodes: tuple[int, ...] = ()
    edges: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.nodes)


def derivations(graph: Graph) -> Derivations:
    cost = dict.fromkeys(graph.roots, 0)
    best: dict[int, int] = {}
    waiting = {
        edge.id: len(set(edge.parents))
        for edge in graph.edges.values()
        if edge.child is not None and edge.child not in graph.roots
    }
    heap = [(0, root) for root in graph.roots]
    settled: set[int] = set()
    while heap:
        _, node = heapq.heappop(heap)
        if node in settled:
            continue
        settled.add(node)
        for edge_id in graph.edges_out_of.get(node, ()):
            if edge_id not in waiting:
                continue
            waiting[edge_id] -= 1
            if waiting[edge_id]:
                continue
            edge = graph.edges[edge_id]
            child = edge.child
            assert child is not None
            candidate = 1 + sum(cost[p] for p in set(edge.parents))
            if child not in settled and candidate < cost.get(child, candidate + 1):
                cost[child] = candidate
                best[child] = edge_id
                heapq.heappush(heap, (candidate, child))
    return Derivations(best_edge=best, cost=cost)


def route_to(graph: Graph, found: Derivations, target: int) -> Route:
    """The cheapest route from the roots to `target` (only `target` when none reaches it)."""
    order: list[int] = []
    edges: list[int] = []
    seen: set[int] = set()
    # Iterative post-order over the chosen edges, so parents come before children.
    stack: list[tuple[int, bool]] = [(target, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            edge_id = found.best_edge.get(node)
            if edge_id is not None:
                edges.append(edge_id)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        edge_id = found.best_edge.get(node)
        if edge_id is not None:
            for parent in reversed(graph.edges[edge_id].parents):
                if parent not in seen:
                    stack.append((parent, False))
    return Route(nodes=tuple(order), edges=tuple(edges))


def proof_target(graph: Graph, found: Derivations) -> int | None:
    """The solved proof text a VERIFY edge produced: the attempt's checked proof if it is
    among them, else the one with the cheapest route."""
    verified = {
        edge.child
        for edge in graph.edges.values()
        if edge.kind is EdgeKind.VERIFY
        and edge.child is not None
        and graph.nodes[edge.child].status == NodeStatus.SOLVED.value
        and edge.child in found.cost
    }
    if not verified:
        return None
    attempt = graph.attempt
    if attempt.proof is not None:
        checked = attempt.theorem.with_proof(attempt.proof)
        matching = {n for n in verified if graph.nodes[n].text == checked}
        verified = matching or verified
    return min(verified, key=lambda n: (found.cost[n], n))


def proof_path(graph: Graph, found: Derivations | None = None) -> Route:
    """The route from the statement to the verified proof, with the proof of every solved
    subgoal on it (a recombination takes the subgoal, not its proof, as input); empty
    when there is no verified proof."""
    found = found or derivations(graph)
    target = proof_target(graph, found)
    if target is None:
        return Route()
    route = route_to(graph, found, target)
    subproofs = {
        node: _subproof(graph, node)
        for node in route.nodes
        if graph.nodes[node].kind is NodeKind.SUBGOAL
    }
    # Each subgoal's proof follows the subgoal, so parents still come before children.
    nodes: list[int] = []
    for node in route.nodes:
        nodes.append(node)
        for step in subproofs.get(node, ()):
            child = graph.edges[step].child
            if child is not None and child not in nodes and child not in route.nodes:
                nodes.append(child)
    edges: list[int] = []
    for edge_id in route.edges:
        edges.append(edge_id)
        edges.extend(subproofs.get(graph.edges[edge_id].child or -1, ()))
    return Route(nodes=tuple(nodes), edges=tuple(dict.fromkeys(edges)))


def _subproof(graph: Graph, subgoal: int) -> list[int]:
    """The shortest chain of edges through solved nodes from a solved subgoal to a
    `no goals` state (its proof); empty when it has none."""
    if graph.nodes[subgoal].status != NodeStatus.SOLVED.value:
        return []
    came_by: dict[int, int | None] = {subgoal: None}
    queue = deque([subgoal])
    while queue:
        node = queue.popleft()
        if node != subgoal and graph.nodes[node].text == NO_GOALS:
            chain: list[int] = []
            while (edge_id := came_by[node]) is not None:
                chain.append(edge_id)
                node = graph.edges[edge_id].parents[0]
            return chain[::-1]
        for edge_id in graph.edges_out_of.get(node, ()):
            child = graph.edges[edge_id].child
            if (
                child is not None
                and child not in came_by
                and graph.nodes[child].status == NodeStatus.SOLVED.value
            ):
                came_by[child] = edge_id
                queue.append(child)
    return []


@dataclass(frozen=True)
class FinalProof:
    """The text an attempt ended with: its verified proof, else its best near-miss."""

    node: int
    text: str
    proved: bool


def final_proof(graph: Graph, found: Derivations | None = None) -> FinalProof | None:
    """The verified proof text (as `proof_target` picks it); else the proof text with the
    fewest errors Lean reported on it, the latest of equals (the most repaired); None
    when the attempt wrote no proof text."""
    found = found or derivations(graph)
    target = proof_target(graph, found)
    if target is not None:
        return FinalProof(target, graph.nodes[target].text, True)
    candidates = [n for n in graph.nodes.values() if n.kind is NodeKind.PROOF_TEXT]
    if not candidates:
        return None

    def errors(node_id: int) -> int:
        return sum(
            1
            for edge_id in graph.edges_into.get(node_id, ())
            for message in graph.edges[edge_id].lean_messages
            if message.get("severity") == "error"
        )

    best = min(candidates, key=lambda n: (errors(n.id), -n.id))
    return FinalProof(best.id, best.text, False)
