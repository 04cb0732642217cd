"""`SqlRecorder`: the only writer of an attempt's provenance graph.

Batch policy. A *step* is everything a strategy records about one action it took:
the nodes for what the action produced, then the `edge` that links them to their
parents; or one `set_status`; or one `event`. Nodes wait in memory until their step
ends, and each step is written in one short transaction when it ends (also on
`flush`, and whenever `PENDING_LIMIT` rows wait). So a process killed with SIGKILL
loses at most the step in flight, i.e. the nodes recorded since the last edge,
status change or event, and SQLite's WAL leaves a database that opens cleanly.

Ids are handed out at once from blocks reserved in the `id_blocks` table, so no
write transaction stays open while a strategy waits on Lean or a model, and
several processes can record into one database. Steps are written through the
recorder's own DB-API connection with SQL derived from the models: SQLAlchemy's
per-statement overhead would otherwise cost more than SQLite's commit.

Every text is recorded through `prover.graph.clip`: secrets masked, and capped per
message and per edge (head and tail kept around a marker giving the full size).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Engine

from prover.graph.clip import EDGE_CHARS, clip, clip_value, count_strings, share
from prover.graph.engine import json_dumps
from prover.graph.models import Base, Edge, EdgeParent, EdgePremise, Event, IdBlock, Node
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.types import Message, Provenance

PENDING_LIMIT = 500
ID_BLOCK_SIZE = 256


def message_json(message: Message, limit: int | None = None) -> dict[str, Any]:
    """A message as JSON; with `limit`, its text as recorded (`prover.graph.clip.clip`)."""
    shown = message.as_dict()
    return shown if limit is None else {**shown, "text": clip(message.text, limit)}


def recorded_messages(messages: Sequence[Message], others: int = 0) -> list[dict[str, Any]]:
    """`messages` as recorded, sharing one edge's cap with `others` texts."""
    limit = share(len(messages) + others)
    return [message_json(m, limit) for m in messages]


class _Insert:
    """An INSERT of whole rows of one model's table, given as dictionaries."""

    def __init__(self, model: type[Base]) -> None:
        columns = model.__table__.columns
        self.columns = [column.name for column in columns]
        self.json = [i for i, column in enumerate(columns) if isinstance(column.type, JSON)]
        marks = ", ".join("?" * len(self.columns))
        names = ", ".join(self.columns)
        self.sql = f"INSERT INTO {model.__tablename__} ({names}) VALUES ({marks})"

    def params(self, rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
        params = []
        for row in rows:
            values = [row.get(c) for c in self.columns]
            for i in self.json:
                if values[i] is not None:
                    values[i] = json_dumps(values[i])
            params.append(values)
        return params


_NODES, _EDGES, _PARENTS, _PREMISES, _EVENTS = (
    _Insert(m) for m in (Node, Edge, EdgeParent, EdgePremise, Event)
)
_SET_STATUS = f"UPDATE {Node.__tablename__} SET status = ? WHERE id = ?"
_RESERVE_IDS = (
    f"UPDATE {IdBlock.__tablename__} SET next_id = next_id + ? WHERE name = ? RETURNING next_id"
)


@dataclass
class _IdRange:
    next: int = 0
    stop: int = 0


@dataclass
class _Pending:
    nodes: dict[int, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    parents: list[dict[str, Any]] = field(default_factory=list)
    premises: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.nodes)
            + len(self.edges)
            + len(self.parents)
            + len(self.premises)
            + len(self.statuses)
            + len(self.events)
        )


class RecorderClosedError(RuntimeError):
    """A write to an attempt that has been finished."""


class SqlRecorder:
    """Records one attempt's graph; implements `prover.protocols.Recorder`. Thread-safe."""

    def __init__(self, engine: Engine, run_id: int, attempt_id: int) -> None:
        self.attempt_id = attempt_id
        self.run_id = run_id
        self._connection = engine.raw_connection()
        self._lock = threading.RLock()
        self._keys: dict[str, int] = {}
        self._recorded: set[int] = set()
        self._ids = {"nodes": _IdRange(), "edges": _IdRange()}
        self._pending = _Pending()
        self._closed = False

    def node(
        self,
        kind: NodeKind,
        text: str,
        *,
        key: str | None = None,
        goals: Sequence[str] = (),
        status: NodeStatus = NodeStatus.OPEN,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        """A new node, or the attempt's node with this `key` (its status is raised to
        `status` when that is solved or failed)."""
        with self._lock:
            self._check_open()
            if key is not None and key in self._keys:
                node_id = self._keys[key]
                if status is not NodeStatus.OPEN:
                    self._set_status(node_id, status)
                return node_id
            node_id = self._take_id("nodes")
            self._pending.nodes[node_id] = {
                "id": node_id,
                "attempt_id": self.attempt_id,
                "key": key,
                "kind": NodeKind(kind).value,
                "text": clip(text, EDGE_CHARS),
                "goals": [clip(goal, share(len(goals))) for goal in goals],
                "status": NodeStatus(status).value,
                "meta": clip_value(meta) if meta else {},
                "created_at": time.time(),
            }
            if key is not None:
                self._keys[key] = node_id
            self._recorded.add(node_id)
            if len(self._pending) >= PENDING_LIMIT:
                self._commit()
            return node_id

    def edge(
        self,
        kind: EdgeKind,
        parents: Sequence[int],
        child: int | None,
        action: str,
        *,
        strategy: str,
        proposer: Provenance | None = None,
        score: float | None = None,
        lean: LeanOutcome | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        """Record a step from `parents` to `child` (None: it produced nothing) and commit it."""
        with self._lock:
            self._check_open()
            if not parents:
                raise ValueError(f"a {kind} edge needs at least one parent node")
            for node_id in (*parents, *(() if child is None else (child,))):
                self._check_recorded(node_id)
            edge_id = self._take_id("edges")
            meta_texts = count_strings(meta) if meta else 0
            messages = recorded_messages(lean.messages, meta_texts) if lean else None
            self._pending.edges.append(
                {
                    "id": edge_id,
                    "attempt_id": self.attempt_id,
                    "kind": EdgeKind(kind).value,
                    "child_id": child,
                    "action": clip(action),
                    "strategy": strategy,
                    "generator": proposer.generator if proposer else None,
                    "model": proposer.model if proposer else None,
                    "settings": dict(proposer.settings) if proposer else None,
                    "prompt_hash": proposer.prompt_hash if proposer else None,
                    "score": score,
                    "lean_status": lean.status if lean else None,
                    "lean_elapsed_ms": lean.elapsed_ms if lean else None,
                    "lean_messages": messages,
                    "meta": clip_value(meta, share(meta_texts)) if meta else {},
                    "created_at": time.time(),
                }
            )
            self._pending.parents.extend(
                {"edge_id": edge_id, "position": i, "node_id": node_id}
                for i, node_id in enumerate(parents)
            )
            if proposer is not None:
                self._pending.premises.extend(
                    {
                        "edge_id": edge_id,
                        "rank": rank,
                        "name": premise.name,
                        "score": premise.score,
                        "module": premise.module,
                        "statement": premise.statement,
                    }
                    for rank, premise in enumerate(proposer.premises)
                )
            self._commit()
            return edge_id

    def set_status(self, node_id: int, status: NodeStatus) -> None:
        with self._lock:
            self._check_open()
            self._check_recorded(node_id)
            self._set_status(node_id, status)
            self._commit()

    def event(self, kind: str, message: str, data: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            self._check_open()
            self._pending.events.append(
                {
                    "run_id": self.run_id,
                    "attempt_id": self.attempt_id,
                    "kind": kind,
                    "message": clip(message),
                    "data": clip_value(data) if data else {},
                    "created_at": time.time(),
                }
            )
            self._commit()

    def flush(self) -> None:
        with self._lock:
            self._commit()

    def close(self) -> None:
        """Write what is pending; later writes raise `RecorderClosedError`."""
        with self._lock:
            if self._closed:
                return
            self._commit()
            self._closed = True
            self._connection.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise RecorderClosedError(
                f"attempt {self.attempt_id} is finished; nothing more can be recorded"
            )

    def _check_recorded(self, node_id: int) -> None:
        if node_id not in self._recorded:
            raise ValueError(f"node {node_id} was not recorded in attempt {self.attempt_id}")

    def _set_status(self, node_id: int, status: NodeStatus) -> None:
        value = NodeStatus(status).value
        pending = self._pending.nodes.get(node_id)
        if pending is not None:
            pending["status"] = value
        else:
            self._pending.statuses[node_id] = value

    def _take_id(self, table: str) -> int:
        ids = self._ids[table]
        if ids.next >= ids.stop:
            with self._transaction() as cursor:
                (stop,) = cursor.execute(_RESERVE_IDS, (ID_BLOCK_SIZE, table)).fetchone()
            ids.next, ids.stop = stop - ID_BLOCK_SIZE, stop
        ids.next += 1
        return ids.next - 1

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        cursor = self._connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        else:
            cursor.execute("COMMIT")
        finally:
            cursor.close()

    def _commit(self) -> None:
        """Write the pending rows in one transaction; on failure they stay pending."""
        pending = self._pending
        if not len(pending):
            return
        with self._transaction() as cursor:
            for insert, rows in (
                (_NODES, pending.nodes.values()),
                (_EDGES, pending.edges),
                (_PARENTS, pending.parents),
                (_PREMISES, pending.premises),
                (_EVENTS, pending.events),
            ):
                if rows:
                    cursor.executemany(insert.sql, insert.params(rows))
            if pending.statuses:
                cursor.executemany(_SET_STATUS, [(s, n) for n, s in pending.statuses.items()])
        self._pending = _Pending()
