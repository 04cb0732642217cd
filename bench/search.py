"""Search speed and memory: bfs and mps side by side, on the stand-in REPL.

    python bench/search.py [--expansions 200] [--width 8] [--repl-cmd CMD]

The generator is instant (canned `have` steps, each making a new state), so the
search never closes the goal and runs its whole expansion budget. Printed per
strategy:

- nodes/s: distinct states created per wall-clock second (Lean included);
- Lean ms/call: the bridge's own timing of each request;
- overhead ms/expansion: wall time minus Lean time, per expansion, once with the
  SQLite recorder (what `leanwb prove` pays) and once with a recorder that keeps
  nothing (the search alone);
- memory KiB/node: Python memory held by the finished search (tree, states, frontier),
  measured with tracemalloc in a separate run, per node.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prover.budget import Budget, Limits
from prover.config import LeanSettings
from prover.graph.store import Store
from prover.lean.pool import LeanServer
from prover.protocols import EdgeKind, NodeKind, NodeStatus, Recorder
from prover.strategies.attempt import statement_node
from prover.strategies.base import ProofContext
from prover.strategies.registry import make_strategy
from prover.strategies.search.engine import SearchRun, TacticSearch
from prover.types import Candidate, Premise, Provenance, Theorem, Usage

REPO = Path(__file__).resolve().parent.parent

THEOREM = Theorem("bench", "import Mathlib", "theorem bench (p : Prop) (hp : p → p) : p")
STANDIN = shlex.join([sys.executable, str(REPO / "tests" / "standin" / "repl.py")])


class InstantGenerator:
    """Canned candidates at no cost: `have` steps whose names make every child a new state."""

    name = "instant"

    def __init__(self) -> None:
        self.usage = Usage()
        self.provenance = Provenance(self.name)

    def suggest(self, state: str, premises: Sequence[Premise], n: int) -> list[Candidate]:
        self.usage.calls += 1
        depth = state.count("\n")
        return [
            Candidate(f"have h{depth}_{k} : True := trivial", -0.1 * (k + 1), self.provenance)
            for k in range(n)
        ]


class DiscardingRecorder:
    """A Recorder that keeps nothing: the search's cost without the database's."""

    attempt_id = 0

    def __init__(self) -> None:
        self._next = 0

    def node(self, kind: NodeKind, text: str, **_: Any) -> int:
        self._next += 1
        return self._next

    def edge(
        self,
        kind: EdgeKind,
        parents: Sequence[int],
        child: int | None,
        action: str,
        **_: Any,
    ) -> int:
        self._next += 1
        return self._next

    def set_status(self, node_id: int, status: NodeStatus) -> None:
        pass

    def event(self, kind: str, message: str, data: Mapping[str, Any] | None = None) -> None:
        pass

    def flush(self) -> None:
        pass


@dataclass(frozen=True)
class Figures:
    expansions: int
    nodes: int
    wall_s: float
    lean_calls: int
    lean_s: float

    @property
    def overhead_ms(self) -> float:
        return 1000.0 * (self.wall_s - self.lean_s) / max(1, self.expansions)


def search_once(
    strategy: str, lean: LeanServer, recorder: Recorder, expansions: int, width: int
) -> tuple[Figures, SearchRun]:
    ctx = ProofContext(
        lean=lean,
        generator=InstantGenerator(),
        recorder=recorder,
        budget=Budget(Limits(wall_s=None, expansions=expansions)),
    )
    search = make_strategy(strategy, width=width)
    assert isinstance(search, TacticSearch)
    run = SearchRun(search, THEOREM, ctx, statement_node(THEOREM, recorder))
    started = time.perf_counter()
    claim = run.run()
    wall = time.perf_counter() - started
    if claim.reason != "expansions":
        raise SystemExit(f"{strategy}: the search stopped early ({claim.reason})")
    spent = ctx.budget.spent
    return Figures(spent.expansions, len(run.tree), wall, spent.lean_calls, spent.lean_s), run


def memory_per_node(strategy: str, lean: LeanServer, expansions: int, width: int) -> float:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    figures, run = search_once(strategy, lean, DiscardingRecorder(), expansions, width)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del run
    return held / figures.nodes / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--expansions", type=int, default=200)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--repl-cmd", default=STANDIN)
    args = parser.parse_args()
    settings = LeanSettings(repl_cmd=tuple(shlex.split(args.repl_cmd)), project_dir=REPO)
    rows = []
    with LeanServer(settings) as lean, tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite")
        run_id = store.begin_run("bench/search.py", vars(args), kind="bench")
        search_once("bfs", lean, DiscardingRecorder(), 5, args.width)  # start the REPL, import
        for strategy in ("bfs", "mps"):
            recorder = store.begin_attempt(run_id, THEOREM, strategy)
            recorded, _ = search_once(strategy, lean, recorder, args.expansions, args.width)
            bare, _ = search_once(strategy, lean, DiscardingRecorder(), args.expansions, args.width)
            memory = memory_per_node(strategy, lean, args.expansions, args.width)
            rows.append((strategy, recorded, bare, memory))
        store.close()
    print(
        f"search on the stand-in REPL: {args.expansions} expansions, width {args.width}, "
        "instant generator"
    )
    header = (
        f"{'strategy':<9}{'nodes':>7}{'nodes/s':>10}{'Lean ms/call':>14}"
        f"{'overhead ms/exp':>17}{'(no recording)':>16}{'KiB/node':>10}"
    )
    print(header)
    for strategy, recorded, bare, memory in rows:
        print(
            f"{strategy:<9}{recorded.nodes:>7}{recorded.nodes / recorded.wall_s:>10.1f}"
            f"{1000.0 * recorded.lean_s / max(1, recorded.lean_calls):>14.2f}"
            f"{recorded.overhead_ms:>17.2f}{bare.overhead_ms:>16.2f}{memory:>10.2f}"
        )


if __name__ == "__main__":
    main()
