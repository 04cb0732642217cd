"""Load one attempt's provenance graph into plain dataclasses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import select

from prover.graph.models import Edge, EdgeParent, EdgePremise, Event, Node
from prover.graph.store import AttemptRow, RunRow, Store
from prover.protocols import EdgeKind, NodeKind

_NODE_KINDS = {kind.value: kind for kind in NodeKind}  # faster than NodeKind(value)
_EDGE_KINDS = {kind.value: kind for kind in EdgeKind}


@dataclass(frozen=True)
class GraphNode:
    id: int
    kind: NodeKind
    text: str
    goals: tuple[str, ...]
    status: str
    key: str | None
    meta: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class ShownPremise:
    rank: int
    name: str
    score: float
    module: str | None
    statement: str | None


@dataclass(frozen=True)
class GraphEdge:
    id: int
    kind: EdgeKind
    parents: tuple[int, ...]
    child: int | None
    action: str
    strategy: str
    generator: str | None
    model: str | None
    settings: dict[str, Any] | None
    prompt_hash: str | None
    score: float | None
    lean_status: str | None
    lean_elapsed_ms: float | None
    lean_messages: tuple[dict[str, Any], ...]
    premises: tuple[ShownPremise, ...]
    meta: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class GraphEvent:
    kind: str
    message: str
    data: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class Graph:
    """An attempt's graph; `nodes` and `edges` are keyed by id, in recording order."""

    attempt: AttemptRow
    run: RunRow
    nodes: dict[int, GraphNode]
    edges: dict[int, GraphEdge]
    events: tuple[GraphEvent, ...]

    @cached_property
    def edges_into(self) -> dict[int, list[int]]:
        """Node id -> ids of the edges that produce it."""
        index: dict[int, list[int]] = defaultdict(list)
        for edge in self.edges.values():
            if edge.child is not None:
                index[edge.child].append(edge.id)
        return dict(index)

    @cached_property
    def edges_out_of(self) -> dict[int, list[int]]:
        """Node id -> ids of the edges that take it as an input."""
        index: dict[int, list[int]] = defaultdict(list)
        for edge in self.edges.values():
            for parent in dict.fromkeys(edge.parents):
                index[parent].append(edge.id)
        return dict(index)

    @cached_property
    def roots(self) -> tuple[int, ...]:
        """The statement node(s), or, in a graph without one, the nodes nothing produces."""
        statements = tuple(n.id for n in self.nodes.values() if n.kind is NodeKind.STATEMENT)
        if statements:
            return statements
        return tuple(n for n in self.nodes if n not in self.edges_into)


def load_graph(store: Store, attempt_id: int) -> Graph:
    """The graph of `attempt_id` (raises `StoreError` if there is no such attempt)."""
    attempt = store.attempt(attempt_id)
    run = store.run(attempt.run_id)
    with store.engine.connect() as conn:
        node_rows = conn.execute(
            select(Node.__table__).where(Node.attempt_id == attempt_id).order_by(Node.id)
        ).all()
        edge_rows = conn.execute(
            select(Edge.__table__).where(Edge.attempt_id == attempt_id).order_by(Edge.id)
        ).all()
        parent_rows = conn.execute(
            select(EdgeParent.edge_id, EdgeParent.node_id)
            .join(Edge, Edge.id == EdgeParent.edge_id)
            .where(Edge.attempt_id == attempt_id)
            .order_by(EdgeParent.edge_id, EdgeParent.position)
        ).all()
        premise_rows = conn.execute(
            select(EdgePremise.__table__)
            .join(Edge, Edge.id == EdgePremise.edge_id)
            .where(Edge.attempt_id == attempt_id)
            .order_by(EdgePremise.edge_id, EdgePremise.rank)
        ).all()
        event_rows = conn.execute(
            select(Event.__table__).where(Event.attempt_id == attempt_id).order_by(Event.id)
        ).all()

    parents: dict[int, list[int]] = defaultdict(list)
    for row in parent_rows:
        parents[row.edge_id].append(row.node_id)
    premises: dict[int, list[ShownPremise]] = defaultdict(list)
    for row in premise_rows:
        premises[row.edge_id].append(
            ShownPremise(row.rank, row.name, row.score, row.module, row.statement)
        )
    nodes = {
        row.id: GraphNode(
            id=row.id,
            kind=_NODE_KINDS[row.kind],
            text=row.text,
            goals=tuple(row.goals or ()),
            status=row.status,
            key=row.key,
            meta=row.meta or {},
            created_at=row.created_at,
        )
        for row in node_rows
    }
    edges = {
        row.id: GraphEdge(
            id=row.id,
            kind=_EDGE_KINDS[row.kind],
            parents=tuple(parents[row.id]),
            child=row.child_id,
            action=row.action,
            strategy=row.strategy,
            generator=row.generator,
            model=row.model,
            settings=row.settings,
            prompt_hash=row.prompt_hash,
            score=row.score,
            lean_status=row.lean_status,
            lean_elapsed_ms=row.lean_elapsed_ms,
            lean_messages=tuple(row.lean_messages or ()),
            premises=tuple(premises[row.id]),
            meta=row.meta or {},
            created_at=row.created_at,
        )
        for row in edge_rows
    }
    events = tuple(
        GraphEvent(row.kind, row.message, row.data or {}, row.created_at) for row in event_rows
    )
    return Graph(attempt=attempt, run=run, nodes=nodes, edges=edges, events=events)
