"""SQLAlchemy models of the provenance database.

One run holds many attempts (a theorem tried by a strategy); an attempt owns the
nodes and edges of its graph. An edge has ordered parents (`edge_parents`, so a
recombination can join several inputs) and at most one child; the premises shown
to the generator that proposed it are rows of `premises`.

Times are Unix seconds (floats). JSON columns hold small dictionaries and lists;
the engine serialises anything else with `str`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012  (SQLAlchemy reads this class attribute)
        dict[str, Any]: JSON,
        list[Any]: JSON,
        str: Text,
        float: Float,
    }


class Run(Base):
    """One invocation of a command that proves things (`leanwb prove`, `leanwb eval`)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    command: Mapped[str]
    config: Mapped[dict[str, Any]]
    package_version: Mapped[str | None]
    git_revision: Mapped[str | None]
    host: Mapped[str]
    started_at: Mapped[float]
    ended_at: Mapped[float | None]


class TheoremRow(Base):
    """A statement as asked; the same statement in several runs is one row."""

    __tablename__ = "theorems"
    __table_args__ = (UniqueConstraint("name", "statement_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    source: Mapped[str | None]
    header: Mapped[str]
    statement: Mapped[str]
    statement_hash: Mapped[str] = mapped_column(String(64))
    informal_statement: Mapped[str | None]
    informal_proof: Mapped[str | None]


class Attempt(Base):
    """One strategy on one theorem within a run, with its verdict and what it spent."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_run", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    theorem_id: Mapped[int] = mapped_column(ForeignKey("theorems.id"))
    strategy: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # running / done / abandoned
    verdict: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None]
    detail: Mapped[str | None]
    proof: Mapped[str | None]  # the checked proof text (the body after `:=`)
    axioms: Mapped[list[Any]] = mapped_column(default=list)
    messages: Mapped[list[Any]] = mapped_column(default=list)
    lean_calls: Mapped[int] = mapped_column(Integer, default=0)
    lean_s: Mapped[float] = mapped_column(default=0.0)
    generator_calls: Mapped[int] = mapped_column(Integer, default=0)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    expansions: Mapped[int] = mapped_column(Integer, default=0)
    wall_s: Mapped[float] = mapped_column(default=0.0)
    started_at: Mapped[float]
    ended_at: Mapped[float | None]


class Node(Base):
    """A proof state, proof text, draft, sketch or subgoal; `key` dedups within an attempt."""

    __tablename__ = "nodes"
    __table_args__ = (
        UniqueConstraint("attempt_id", "key"),
        Index("ix_nodes_attempt", "attempt_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    key: Mapped[str | None]
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str]
    goals: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(8))
    meta: Mapped[dict[str, Any]]
    created_at: Mapped[float]


class Edge(Base):
    """One step: the action, who proposed it and how, and what Lean said about it."""

    __tablename__ = "edges"
    __table_args__ = (
        Index("ix_edges_attempt", "attempt_id"),
        Index("ix_edges_child", "child_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"))
    action: Mapped[str]
    strategy: Mapped[str] = mapped_column(String(64))
    generator: Mapped[str | None]
    model: Mapped[str | None]
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prompt_hash: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None]
    lean_status: Mapped[str | None] = mapped_column(String(32))
    lean_elapsed_ms: Mapped[float | None]
    lean_messages: Mapped[list[Any] | None] = mapped_column(JSON)
    meta: Mapped[dict[str, Any]]
    created_at: Mapped[float]


class EdgeParent(Base):
    """The ordered inputs of an edge."""

    __tablename__ = "edge_parents"
    __table_args__ = (Index("ix_edge_parents_node", "node_id"),)

    edge_id: Mapped[int] = mapped_column(ForeignKey("edges.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"))


class EdgePremise(Base):
    """A premise the generator was shown when it proposed an edge, in retrieval order."""

    __tablename__ = "premises"

    edge_id: Mapped[int] = mapped_column(ForeignKey("edges.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str]
    score: Mapped[float]
    module: Mapped[str | None]
    statement: Mapped[str | None]


class Event(Base):
    """Something worth a line in the log of a run or an attempt."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_attempt", "attempt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str]
    data: Mapped[dict[str, Any]]
    created_at: Mapped[float]


class IdBlock(Base):
    """Next free id of `nodes` and `edges`: recorders reserve blocks of ids from here, so
    they can hand out ids at once and still write each step in one short transaction."""

    __tablename__ = "id_blocks"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_id: Mapped[int] = mapped_column(Integer)


class CheckCacheRow(Base):
    """A checked text's answer, reused while the key (Lean pin, header, body, options) is the
    same: see `prover.graph.check_cache`."""

    __tablename__ = "check_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer: Mapped[dict[str, Any]]
    created_at: Mapped[float]
