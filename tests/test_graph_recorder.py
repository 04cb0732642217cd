"""The recorder: what it writes, when it commits, and what a SIGKILL can cost."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from prover.budget import Spent
from prover.graph import recorder as recorder_module
from prover.graph.queries import load_graph
from prover.graph.recorder import RecorderClosedError, SqlRecorder
from prover.graph.store import Store
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus, Recorder
from prover.types import (
    Message,
    Position,
    Premise,
    Provenance,
    Severity,
    Theorem,
    Verdict,
    VerdictKind,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
THEOREM = Theorem("t", "import Mathlib", "theorem t (p : Prop) (hp : p) : p")


def committed(path: Path, query: str) -> int:
    """A count, read by another connection: only committed rows are visible to it."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute(query).fetchone()[0])


def test_implements_the_recorder_protocol(store: Store) -> None:
    recorder: Recorder = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "bfs")
    assert isinstance(recorder, SqlRecorder)
    assert recorder.attempt_id == store.attempts_for_run(1)[0].id


def test_a_key_names_one_node_per_attempt(store: Store) -> None:
    run_id = store.begin_run("prove", {})
    first = store.begin_attempt(run_id, THEOREM, "bfs")
    second = store.begin_attempt(run_id, THEOREM, "mps")
    a = first.node(NodeKind.PROOF_STATE, "⊢ p", key="⊢ p", goals=["⊢ p"])
    assert first.node(NodeKind.PROOF_STATE, "⊢ p", key="⊢ p") == a
    assert second.node(NodeKind.PROOF_STATE, "⊢ p", key="⊢ p") != a
    assert first.node(NodeKind.PROOF_STATE, "⊢ p") != a  # no key, no dedup
    # Reaching a keyed node again with a verdict raises its status.
    assert first.node(NodeKind.PROOF_STATE, "⊢ p", key="⊢ p", status=NodeStatus.SOLVED) == a
    first.flush()
    graph = load_graph(store, first.attempt_id)
    assert graph.nodes[a].status == "solved" and graph.nodes[a].goals == ("⊢ p",)
    assert len(graph.nodes) == 2


def test_edges_keep_parents_in_order_provenance_premises_and_lean(store: Store) -> None:
    rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "sketch")
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement, key="statement")
    sketch = rec.node(NodeKind.SKETCH, "by\n  have h := sorry\n  exact h")
    hole = rec.node(NodeKind.SUBGOAL, "⊢ p", goals=["⊢ p"], status=NodeStatus.SOLVED)
    rec.edge(EdgeKind.SKETCH, [root], sketch, "sketch", strategy="sketch")
    rec.edge(EdgeKind.SUBGOAL, [sketch], hole, "hole h", strategy="sketch")
    proposer = Provenance(
        "openai",
        "model-x",
        (("temperature", 0.7), ("n", 4)),
        "abc123",
        (Premise("foo", "theorem foo : True", "M", 0.9), Premise("bar", "theorem bar", None, 0.5)),
    )
    error = Message(Severity.ERROR, Position(3, 4), Position(3, 9), "type mismatch")
    joined = rec.node(NodeKind.PROOF_TEXT, "theorem t … := by exact hp", status=NodeStatus.FAILED)
    edge = rec.edge(
        EdgeKind.RECOMBINE,
        [hole, sketch, root],
        joined,
        "by exact hp",
        strategy="sketch",
        proposer=proposer,
        score=-0.25,
        lean=LeanOutcome("lean_error", 12.5, (error,)),
        meta={"round": 2},
    )
    failed = rec.edge(EdgeKind.TACTIC, [hole], None, "simp", strategy="search")
    graph = load_graph(store, rec.attempt_id)
    recorded = graph.edges[edge]
    assert recorded.parents == (hole, sketch, root) and recorded.child == joined
    assert (recorded.generator, recorded.model, recorded.prompt_hash) == (
        "openai",
        "model-x",
        "abc123",
    )
    assert recorded.settings == {"temperature": 0.7, "n": 4}
    assert [(p.name, p.rank, p.score, p.module) for p in recorded.premises] == [
        ("foo", 0, 0.9, "M"),
        ("bar", 1, 0.5, None),
    ]
    assert recorded.score == -0.25 and recorded.meta == {"round": 2}
    assert (recorded.lean_status, recorded.lean_elapsed_ms) == ("lean_error", 12.5)
    assert recorded.lean_messages == (
        {
            "severity": "error",
            "line": 3,
            "column": 4,
            "end_line": 3,
            "end_column": 9,
            "text": "type mismatch",
        },
    )
    assert graph.edges[failed].child is None and graph.edges[failed].lean_status is None
    assert graph.edges_into[joined] == [edge]
    assert failed in graph.edges_out_of[hole]


def test_bad_node_ids_are_refused_before_anything_is_written(store: Store) -> None:
    rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "bfs")
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement)
    with pytest.raises(ValueError, match="node 12345 was not recorded"):
        rec.edge(EdgeKind.TACTIC, [root], 12345, "simp", strategy="bfs")
    with pytest.raises(ValueError, match="at least one parent"):
        rec.edge(EdgeKind.TACTIC, [], root, "simp", strategy="bfs")
    with pytest.raises(ValueError, match="node 777 was not recorded"):
        rec.set_status(777, NodeStatus.SOLVED)
    other = store.begin_attempt(1, THEOREM, "bfs")
    with pytest.raises(ValueError, match=f"not recorded in attempt {other.attempt_id}"):
        other.edge(EdgeKind.TACTIC, [root], None, "simp", strategy="bfs")
    assert committed(store.path, "SELECT count(*) FROM edges") == 0


def test_nodes_wait_for_their_step_then_commit_together(store: Store) -> None:
    rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "bfs")
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement)
    child = rec.node(NodeKind.PROOF_STATE, "⊢ p")
    assert committed(store.path, "SELECT count(*) FROM nodes") == 0
    rec.edge(EdgeKind.TACTIC, [root], child, "intro", strategy="bfs")
    assert committed(store.path, "SELECT count(*) FROM nodes") == 2
    assert committed(store.path, "SELECT count(*) FROM edge_parents") == 1
    rec.node(NodeKind.PROOF_STATE, "⊢ q")
    rec.set_status(child, NodeStatus.FAILED)  # a status change ends a step too
    assert committed(store.path, "SELECT count(*) FROM nodes") == 3
    assert (
        committed(store.path, f"SELECT count(*) FROM nodes WHERE id={child} AND status='failed'")
        == 1
    )
    rec.node(NodeKind.PROOF_STATE, "⊢ r")
    rec.event("phase", "search done", {"expansions": 3})
    assert committed(store.path, "SELECT count(*) FROM nodes") == 4
    assert committed(store.path, "SELECT count(*) FROM events WHERE run_id=1 AND attempt_id=1") == 1
    rec.node(NodeKind.PROOF_STATE, "⊢ s")
    rec.flush()
    assert committed(store.path, "SELECT count(*) FROM nodes") == 5


def test_many_nodes_without_an_edge_are_committed_in_batches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder_module, "PENDING_LIMIT", 10)
    rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "bfs")
    for i in range(25):
        rec.node(NodeKind.PROOF_STATE, f"⊢ goal {i}")
    assert committed(store.path, "SELECT count(*) FROM nodes") == 20


def test_a_finished_attempt_takes_no_more_writes(store: Store) -> None:
    rec = store.begin_attempt(store.begin_run("prove", {}), THEOREM, "bfs")
    root = rec.node(NodeKind.STATEMENT, THEOREM.statement)
    store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "budget"), Spent())
    assert committed(store.path, "SELECT count(*) FROM nodes") == 1
    with pytest.raises(RecorderClosedError, match="is finished"):
        rec.edge(EdgeKind.TACTIC, [root], None, "simp", strategy="bfs")


def test_two_writers_on_one_database_get_distinct_ids(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store(path) as one, Store(path) as two:
        run_id = one.begin_run("eval", {})
        recorders = [
            one.begin_attempt(run_id, THEOREM, "bfs"),
            two.begin_attempt(run_id, THEOREM, "mps"),
        ]
        parents = [r.node(NodeKind.STATEMENT, THEOREM.statement) for r in recorders]
        for i in range(300):  # more than one block of ids each, interleaved
            for rec, parent in zip(recorders, parents, strict=True):
                child = rec.node(NodeKind.PROOF_STATE, f"⊢ {i}")
                rec.edge(EdgeKind.TACTIC, [parent], child, f"t{i}", strategy="x")
        for rec in recorders:
            rec.flush()
        graphs = [load_graph(one, r.attempt_id) for r in recorders]
    assert [len(g.nodes) for g in graphs] == [301, 301]
    assert not set(graphs[0].nodes) & set(graphs[1].nodes)
    assert not set(graphs[0].edges) & set(graphs[1].edges)


# ---- SIGKILL -------------------------------------------------------------------------

WRITER = """
import sys, time
from pathlib import Path
from prover.graph.store import Store
from prover.protocols import EdgeKind, NodeKind
from prover.types import Premise, Provenance, Theorem

store = Store(Path(sys.argv[1]))
pause_at = int(sys.argv[2])
run = store.begin_run("writer", {})
rec = store.begin_attempt(run, Theorem("t", "", "theorem t : True"), "search")
parent = rec.node(NodeKind.STATEMENT, "theorem t : True", key="statement")
proposer = Provenance("gen", "m", (("temperature", 0.5),), "h", (Premise("p", "s"),) * 3)
rec.event("start", "writer")
print("ready", flush=True)
step = 0
while True:
    step += 1
    child = rec.node(NodeKind.PROOF_STATE, f"goal {step}", key=f"g{step}")
    if step == pause_at:
        print(f"in flight {step}", flush=True)
        time.sleep(120)  # waiting on Lean, say: the step is in flight
    rec.edge(EdgeKind.TACTIC, [parent], child, f"t{step}", strategy="search", proposer=proposer)
    print(f"done {step}", flush=True)
    parent = child
"""


def start_writer(db: Path, pause_at: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(pause_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_until(proc: subprocess.Popen[str], prefix: str, timeout: float = 60.0) -> str:
    """The first line starting with `prefix`. A reader thread does the blocking reads:
    select() on a buffered text pipe misses lines already in Python's buffer."""
    assert proc.stdout is not None
    found: queue.Queue[str | None] = queue.Queue()

    def scan() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(prefix):
                found.put(line.strip())
                return
        found.put(None)

    threading.Thread(target=scan, daemon=True).start()
    try:
        line = found.get(timeout=timeout)
    except queue.Empty:
        line = None
    if line is None:
        proc.kill()
        raise AssertionError(
            f"the writer never printed {prefix!r}: {proc.stderr.read() if proc.stderr else ''}"
        )
    return line


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def assert_sound_and_whole_steps(db: Path) -> tuple[int, int]:
    """The killed writer's database passes integrity_check, reopens, and holds only
    whole steps: every edge with its child node, parents and premises, and no node
    whose edge was lost. Returns (nodes, edges)."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    with Store(db) as store:
        (attempt,) = store.attempts_for_run(1)
        graph = load_graph(store, attempt.id)
    edges = len(graph.edges)
    assert len(graph.nodes) == edges + 1  # the statement, plus one child per step
    assert all(len(e.premises) == 3 and e.child in graph.nodes for e in graph.edges.values())
    return len(graph.nodes), edges


def test_sigkill_mid_run_loses_at_most_the_step_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    proc = start_writer(db, pause_at=0)
    read_until(proc, "ready")
    acknowledged = int(read_until(proc, "done 300").split()[1])
    kill(proc)  # while it is still writing as fast as it can
    _, edges = assert_sound_and_whole_steps(db)
    assert edges >= acknowledged


def test_sigkill_during_a_step_loses_exactly_that_step(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    proc = start_writer(db, pause_at=40)
    read_until(proc, "in flight 40")
    kill(proc)
    nodes, edges = assert_sound_and_whole_steps(db)
    assert (nodes, edges) == (40, 39)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM nodes WHERE key = 'g40'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    with Store(db) as store:  # and the database takes new writes
        store.abandon_running(1)
        recorder = store.begin_attempt(1, THEOREM, "bfs")
        recorder.event("resumed", "after a crash")
