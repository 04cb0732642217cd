"""Routes through provenance graphs (the proof path, "why is this here") and the layout."""

from __future__ import annotations

from itertools import combinations

import pytest
from synthetic_graphs import record_composite_proof

from prover.budget import Spent
from prover.graph import layout as layout_module
from prover.graph.layout import layered_layout, layout_graph
from prover.graph.paths import derivations, proof_path, route_to
from prover.graph.queries import Graph, load_graph
from prover.graph.recorder import SqlRecorder
from prover.graph.store import Store
from prover.protocols import EdgeKind, NodeKind, NodeStatus
from prover.types import Theorem, Verdict, VerdictKind

THEOREM = Theorem("close", "import Mathlib", "theorem close (a b : ℕ) : a ≤ b + 1 ∧ b ≤ a + 1")


def attempt(store: Store) -> SqlRecorder:
    return store.begin_attempt(store.begin_run("prove", {}), THEOREM, "auto")


def chain(rec: SqlRecorder, start: int, length: int, label: str) -> int:
    node = start
    for i in range(length):
        child = rec.node(NodeKind.PROOF_STATE, f"⊢ {label}{i}")
        rec.edge(EdgeKind.TACTIC, [node], child, f"{label}{i}", strategy="search")
        node = child
    return node


def verify(rec: SqlRecorder, source: int, proof: str, solved: bool = True) -> int:
    status = NodeStatus.SOLVED if solved else NodeStatus.FAILED
    text = rec.node(NodeKind.PROOF_TEXT, THEOREM.with_proof(proof), status=status)
    rec.edge(EdgeKind.VERIFY, [source], text, "soundness gate", strategy="auto")
    return text


def finish(store: Store, rec: SqlRecorder, proof: str | None) -> Graph:
    kind = VerdictKind.PROVED if proof else VerdictKind.FAILED
    store.finish_attempt(rec.attempt_id, Verdict(kind, proof=proof), Spent())
    return load_graph(store, rec.attempt_id)


def test_a_sketch_search_repair_proof_is_one_connected_path(store: Store) -> None:
    attempt_id = record_composite_proof(store, store.begin_run("prove", {}), THEOREM)
    graph = load_graph(store, attempt_id)
    path = proof_path(graph)
    kinds = [graph.edges[e].kind for e in path.edges]
    assert path.nodes[0] == graph.roots[0]
    final = graph.nodes[path.nodes[-1]]
    assert final.status == "solved" and final.text == THEOREM.with_proof(graph.attempt.proof or "")
    assert set(kinds) == {
        EdgeKind.DRAFT,
        EdgeKind.SKETCH,
        EdgeKind.SUBGOAL,
        EdgeKind.TACTIC,
        EdgeKind.AUTOMATION,
        EdgeKind.RECOMBINE,
        EdgeKind.REPAIR_FIX,
        EdgeKind.VERIFY,
    }
    assert kinds.count(EdgeKind.SUBGOAL) == 2  # the recombination needs both holes
    # Every path node but the root is produced by exactly one path edge, whose
    # parents all come before it: the path is a derivation, not a loose set.
    position = {node: i for i, node in enumerate(path.nodes)}
    produced = [graph.edges[e].child for e in path.edges]
    assert sorted(n for n in produced if n is not None) == sorted(path.nodes[1:])
    for edge_id in path.edges:
        edge = graph.edges[edge_id]
        assert edge.child is not None
        assert all(position[p] < position[edge.child] for p in edge.parents)
    # The search looped back to the first hole; the path takes the hole's own edge.
    hole = next(graph.edges[e].child for e in path.edges if graph.edges[e].kind is EdgeKind.SUBGOAL)
    assert hole is not None
    into_hole = [graph.edges[e] for e in graph.edges_into[hole]]
    assert [e.kind for e in into_hole] == [EdgeKind.SUBGOAL, EdgeKind.TACTIC]
    assert [e.id in path.edges for e in into_hole] == [True, False]


def test_the_cheapest_route_wins_and_a_join_needs_all_its_inputs(store: Store) -> None:
    rec = attempt(store)
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    deep = chain(rec, root, 4, "long")
    left, right = chain(rec, root, 1, "left"), chain(rec, root, 1, "right")
    target = rec.node(NodeKind.PROOF_STATE, "no goals", status=NodeStatus.SOLVED)
    rec.edge(EdgeKind.TACTIC, [deep], target, "done", strategy="search")
    join = rec.edge(EdgeKind.RECOMBINE, [left, right], target, "join", strategy="sketch")
    verify(rec, target, "by done")
    graph = finish(store, rec, "by done")
    path = proof_path(graph)
    assert join in path.edges
    assert {left, right} <= set(path.nodes) and deep not in path.nodes
    assert len(path.edges) == 4  # root→left, root→right, the join, the verify step


def test_a_shortcut_beats_a_join_of_deep_inputs(store: Store) -> None:
    rec = attempt(store)
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    left, right = chain(rec, root, 3, "left"), chain(rec, root, 3, "right")
    target = rec.node(NodeKind.PROOF_STATE, "no goals", status=NodeStatus.SOLVED)
    rec.edge(EdgeKind.RECOMBINE, [left, right], target, "join", strategy="sketch")
    shortcut = rec.edge(EdgeKind.AUTOMATION, [root], target, "omega", strategy="automation")
    verify(rec, target, "by omega")
    path = proof_path(finish(store, rec, "by omega"))
    assert path.edges[0] == shortcut and path.nodes == (root, target, path.nodes[-1])


def test_the_checked_proof_is_preferred_over_a_cheaper_one(store: Store) -> None:
    rec = attempt(store)
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    cheap = verify(rec, root, "by simp")
    deep = chain(rec, root, 3, "step")
    checked = verify(rec, deep, "by omega")
    graph = finish(store, rec, "by omega")
    assert proof_path(graph).nodes[-1] == checked
    assert proof_path(graph).nodes[-1] != cheap


def test_no_verified_proof_means_no_path(store: Store) -> None:
    rec = attempt(store)
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    solved_state = chain(rec, root, 2, "s")
    rec.set_status(solved_state, NodeStatus.SOLVED)
    verify(rec, solved_state, "by simp", solved=False)  # the gate said no
    graph = finish(store, rec, None)
    assert not proof_path(graph)
    assert proof_path(graph).edges == ()


def test_why_routes_reach_every_node_from_the_statement(store: Store) -> None:
    rec = attempt(store)
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    a = chain(rec, root, 2, "a")
    back = rec.node(NodeKind.PROOF_STATE, "⊢ a0")  # unkeyed: a distinct node
    rec.edge(EdgeKind.TACTIC, [a], back, "undo", strategy="search")
    orphan = rec.node(NodeKind.DRAFT, "never linked")
    rec.flush()
    graph = load_graph(store, rec.attempt_id)
    found = derivations(graph)
    route = route_to(graph, found, back)
    assert route.nodes[0] == root and route.nodes[-1] == back and len(route.edges) == 3
    assert found.cost[back] == 3
    assert route_to(graph, found, orphan).nodes == (orphan,)
    assert route_to(graph, found, root).edges == ()


# ---- layout ---------------------------------------------------------------------------


def crossings(arcs: list[tuple[int, int]], layer: dict[int, int], order: dict[int, int]) -> int:
    """Pairs of arcs between the same two adjacent layers that cross."""
    adjacent = [(u, v) for u, v in arcs if layer[v] == layer[u] + 1]
    return sum(
        1
        for (u1, v1), (u2, v2) in combinations(adjacent, 2)
        if layer[u1] == layer[u2] and (order[u1] - order[u2]) * (order[v1] - order[v2]) < 0
    )


def test_layers_follow_the_arcs_and_loops_are_broken() -> None:
    arcs = [(1, 2), (2, 3), (3, 1), (2, 4), (4, 4), (1, 4)]
    result = layered_layout([1, 2, 3, 4, 5], arcs, roots=[1])
    assert result.layer[1] == 0 and result.layer[5] == 0  # 5 has no parent: a root too
    assert result.layer[2] == 1 and result.layer[3] == 2
    assert result.layer[4] == 2  # longest path: below 2, not beside it
    for members in ({1, 5}, {2}, {3, 4}):
        assert sorted(result.order[n] for n in members) == list(range(len(members)))


def test_a_state_stays_where_its_cheapest_derivation_puts_it(store: Store) -> None:
    rec = attempt(store)
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    early = chain(rec, root, 1, "early")
    deep = chain(rec, early, 4, "deep")
    rec.edge(EdgeKind.TACTIC, [deep], early, "back to an early state", strategy="search")
    late_join = rec.node(NodeKind.PROOF_TEXT, "joined")
    rec.edge(EdgeKind.RECOMBINE, [early, deep], late_join, "join", strategy="sketch")
    rec.flush()
    graph = load_graph(store, rec.attempt_id)
    result = layout_graph(graph, derivations(graph))
    assert result.layer[root] == 0 and result.layer[early] == 1
    assert result.layer[deep] == 5
    assert result.layer[late_join] == 6  # below the lowest of the inputs it joins
    plain = layered_layout(list(graph.nodes), [(early, deep), (deep, early)], roots=[early])
    assert plain.layer[deep] == 1  # without derivations: depth-first, the loop dropped


def test_pinned_nodes_lead_their_layer() -> None:
    arcs = [(0, 1), (0, 2), (0, 3), (3, 4), (1, 5)]
    result = layered_layout(list(range(6)), arcs, roots=[0], pinned={3, 4})
    assert result.order[3] == 0 and result.order[4] == 0


def test_barycentre_sweeps_remove_avoidable_crossings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Roots u, v, w; u's second child c is also w's, so discovery order crosses v→b and w→c.
    u, v, w, a, b, c = range(6)
    arcs = [(u, a), (u, c), (v, b), (w, c)]
    nodes = [u, v, w, a, b, c]
    monkeypatch.setattr(layout_module, "ROUNDS", 0)
    naive = layered_layout(nodes, arcs, roots=[u, v, w])
    assert crossings(arcs, naive.layer, naive.order) == 1
    monkeypatch.undo()
    swept = layered_layout(nodes, arcs, roots=[u, v, w])
    assert crossings(arcs, swept.layer, swept.order) == 0


def test_layout_of_a_recorded_graph_puts_the_proof_path_on_the_left(store: Store) -> None:
    attempt_id = record_composite_proof(store, store.begin_run("prove", {}), THEOREM)
    graph = load_graph(store, attempt_id)
    path = proof_path(graph)
    result = layout_graph(graph, derivations(graph), pinned=path.nodes)
    assert set(result.layer) == set(graph.nodes)
    for node in path.nodes:
        same_layer_path = [n for n in path.nodes if result.layer[n] == result.layer[node]]
        assert result.order[node] < len(same_layer_path)
