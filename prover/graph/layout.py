"""Sugiyama-style layering of a provenance graph, computed once at export time.

1. Layer: each node sits one row below the lowest parent of its cheapest derivation
   (`spine`, from `prover.graph.paths`), so a state appears where it was first
   reached and every route from the statement runs downwards. Nodes no derivation
   reaches are layered by longest path over the arcs left after a depth-first search
   drops those that close a loop. Arcs that do not point down are drawn as links back.
2. Order each layer: start from the depth-first discovery order, then sweep down
   and up a few times sorting by the barycentre of the neighbours in the direction
   of the sweep. Pinned nodes (the proof path) go first in their layer, so the path
   runs down the left edge of the picture.

The page turns (layer, order) into coordinates itself, which keeps collapsing a
branch cheap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from prover.graph.paths import Derivations
from prover.graph.queries import Graph

ROUNDS = 3


@dataclass(frozen=True)
class Layout:
    layer: dict[int, int]
    order: dict[int, int]  # position within the layer, from the left


def layout_graph(graph: Graph, found: Derivations, pinned: Collection[int] = ()) -> Layout:
    arcs = [
        (parent, edge.child)
        for edge in graph.edges.values()
        if edge.child is not None
        for parent in edge.parents
    ]
    spine = {node: graph.edges[edge].parents for node, edge in found.best_edge.items()}
    return layered_layout(list(graph.nodes), arcs, graph.roots, pinned, spine)


def layered_layout(
    nodes: Sequence[int],
    arcs: Iterable[tuple[int, int]],
    roots: Sequence[int],
    pinned: Collection[int] = (),
    spine: Mapping[int, Sequence[int]] | None = None,
) -> Layout:
    """`spine` maps a node to the parents of its cheapest derivation (they must form a
    DAG, as cheapest derivations do)."""
    arcs = [(parent, child) for parent, child in arcs if parent != child]
    successors: dict[int, list[int]] = defaultdict(list)
    for parent, child in arcs:
        successors[parent].append(child)
    forward, discovery = _acyclic(nodes, roots, successors)
    below: dict[int, list[int]] = defaultdict(list)  # node -> the nodes that fix its layer
    for parent, children in forward.items():
        for child in children:
            if spine is None or child not in spine:
                below[child].append(parent)
    for child, parents in (spine or {}).items():
        below[child] = list(parents)
    for root in roots:
        below.pop(root, None)
    layer = _longest_path_layers(nodes, below)

    predecessors: dict[int, list[int]] = defaultdict(list)
    downward: dict[int, list[int]] = defaultdict(list)
    for parent, child in arcs:
        if layer[child] > layer[parent]:
            predecessors[child].append(parent)
            downward[parent].append(child)
    layers: dict[int, list[int]] = defaultdict(list)
    for node in sorted(nodes, key=discovery.__getitem__):
        layers[layer[node]].append(node)
    position = {node: i for members in layers.values() for i, node in enumerate(members)}
    pinned_set = set(pinned)
    depth = max(layers, default=0)

    def sweep(indices: Iterable[int], neighbours: dict[int, list[int]]) -> None:
        for index in indices:
            members = layers[index]

            def key(node: int) -> float:
                if node in pinned_set:
                    return -1.0
                around = neighbours.get(node)
                if not around:
                    return float(position[node])
                return sum(position[n] for n in around) / len(around)

            members.sort(key=key)
            for i, node in enumerate(members):
                position[node] = i

    for _ in range(ROUNDS):
        sweep(range(1, depth + 1), predecessors)
        sweep(range(depth - 1, -1, -1), downward)
    sweep(range(depth + 1), predecessors)
    return Layout(layer=layer, order=position)


def _acyclic(
    nodes: Sequence[int], roots: Sequence[int], successors: dict[int, list[int]]
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """The arcs that do not close a cycle, and each node's depth-first discovery index."""
    forward: dict[int, list[int]] = defaultdict(list)
    discovery: dict[int, int] = {}
    finished: set[int] = set()
    for start in (*roots, *nodes):
        if start in discovery:
            continue
        discovery[start] = len(discovery)
        stack = [(start, iter(successors.get(start, ())))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                finished.add(node)
                stack.pop()
            elif child not in discovery:
                forward[node].append(child)
                discovery[child] = len(discovery)
                stack.append((child, iter(successors.get(child, ()))))
            elif child in finished:
                forward[node].append(child)  # a cross or forward arc: still downwards
            # else: the child is on the stack, and this arc closes a loop
    return forward, discovery


def _longest_path_layers(nodes: Sequence[int], below: dict[int, list[int]]) -> dict[int, int]:
    """layer(v) = 1 + the largest layer of the nodes `below[v]` names (0 for none)."""
    above: dict[int, list[int]] = defaultdict(list)
    waiting = dict.fromkeys(nodes, 0)
    for child, parents in below.items():
        for parent in parents:
            above[parent].append(child)
            waiting[child] += 1
    layer = dict.fromkeys(nodes, 0)
    ready = [node for node in nodes if waiting[node] == 0]
    while ready:
        node = ready.pop()
        for child in above.get(node, ()):
            layer[child] = max(layer[child], layer[node] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return layer
