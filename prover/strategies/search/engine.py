"""The expansion loop shared by best-first and multi-perspective search.

A strategy supplies two things: a frontier (which open node to expand next, and why)
and a candidate policy (which proposed tactics to run, in what order). The loop does
the rest: open the theorem, ask the generator, run tactics through the budgeted
context, merge equal states, record every step, rebuild states whose REPL process
was restarted (after a timeout or a crash), and assemble the shortest proof found.

Recording conventions (one graph per attempt):

- every distinct state is a PROOF_STATE node keyed `goals:<normalised goals>`; all
  closing tactics lead to the one `no goals` node, created SOLVED;
- the statement node is joined to the first state by a TACTIC edge `start`;
- every tactic run is a TACTIC edge carrying the candidate's provenance, its score
  and Lean's outcome; a tactic that gives no usable state has child None; a tactic
  reaching a known state is an edge to that node with `merged: true` in its meta;
- nodes proved to be dead ends are set FAILED, and the nodes of the claimed proof
  SOLVED. The claim's node is the `no goals` node, where the VERIFY edge attaches.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

from prover.errors import GenerationError
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.base import Claim, ProofContext, first_line
from prover.strategies.search.script import tactic_script
from prover.strategies.search.tree import Node, SearchTree, normalise_goals
from prover.types import (
    Candidate,
    CheckResult,
    ProofState,
    StartResult,
    StopReason,
    TacticResult,
    TacticStatus,
    Theorem,
)

# After these the pool restarts the process, so every state it held is gone.
_PROCESS_LOST = (TacticStatus.TIMEOUT, TacticStatus.CRASH, TacticStatus.STALE_STATE)


class Frontier(Protocol):
    """The open nodes waiting for expansion."""

    def push(self, node: Node) -> None: ...

    def pop(self) -> tuple[Node, str] | None:
        """The next node to expand and the rule that chose it, or None when empty."""
        ...

    def __len__(self) -> int: ...


class TacticSearch(ABC):
    """Base of the step-level strategies; subclasses choose frontier and candidates."""

    name: str

    def __init__(self, *, width: int = 8) -> None:
        if width < 1:
            raise ValueError("width (candidates per expansion) must be at least 1")
        self.width = width

    @abstractmethod
    def new_frontier(self, ctx: ProofContext) -> Frontier:
        """A fresh, empty frontier for one attempt (`ctx` meters any model it calls)."""

    def request_size(self) -> int:
        """How many candidates to ask the generator for at each expansion."""
        return self.width

    def choose(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates to run, in order: best score first, at most `width`."""
        return sorted(distinct(candidates), key=lambda c: -c.score)[: self.width]

    def config(self) -> dict[str, object]:
        """The settings recorded with each attempt."""
        return {"strategy": self.name, "width": self.width}

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        return SearchRun(self, theorem, ctx, root).run()


def distinct(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Drop empty and repeated tactic texts, keeping the best-scored copy of each."""
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        text = candidate.text.strip()
        if text and (text not in best or candidate.score > best[text].score):
            best[text] = candidate
    return list(best.values())


def start_failure(check: CheckResult, opened: bool) -> str:
    """Why the statement gave no state to search from, for a person."""
    if opened:  # a state with no goals: nothing for tactics to act on
        return "Lean reported no goals for the statement"
    detail = check.errors[0].text if check.errors else (check.error or check.status.value)
    return first_line(detail) if detail.strip() else check.status.value


class SearchRun:
    """One attempt of a `TacticSearch` on one theorem: all per-attempt state lives here."""

    # What the `start` edge says was done to reach the first state.
    start_step = "open the statement in tactic mode (`:= by sorry`)"

    def __init__(
        self, search: TacticSearch, theorem: Theorem, ctx: ProofContext, root: int
    ) -> None:
        self.search = search
        self.theorem = theorem
        self.ctx = ctx
        self.statement_id = root
        self.frontier = search.new_frontier(ctx)
        self.recorder = ctx.recorder
        self.tree: SearchTree
        self.expansions = 0
        self._dead_sessions: set[str] = set()

    def open_root(self) -> StartResult:
        """The state the search starts from, and rebuilds from after a REPL restart.

        `prover.strategies.search.from_state` overrides it to start from a given proof state.
        """
        return self.ctx.start(self.theorem)

    def run(self) -> Claim:
        self.recorder.event("search_start", self.search.name, self.search.config())
        opened = self.open_root()
        state = opened.state
        if state is None or not state.goals:
            self._record_start(None, opened.check)
            detail = start_failure(opened.check, opened=state is not None)
            self.recorder.event(
                "search_end", StopReason.START_FAILED, {"expansions": 0, "nodes": 0}
            )
            return Claim(None, StopReason.START_FAILED, detail=detail)
        self.tree = SearchTree(state, self._state_node(state, depth=0))
        self._record_start(self.tree.root.graph_id, opened.check)
        self.frontier.push(self.tree.root)
        while self.tree.root.status is NodeStatus.OPEN:
            limit = self.ctx.budget.exhausted()
            if limit is not None:
                return self._stop(limit)
            picked = self.frontier.pop()
            if picked is None:
                return self._stop(StopReason.SEARCH_EXHAUSTED)
            node, rule = picked
            try:
                self._expand(node, rule)
            except GenerationError as exc:
                return self._stop(StopReason(exc.code), first_line(str(exc)))
        if self.tree.root.status is NodeStatus.SOLVED:
            return self._claim()
        return self._stop(StopReason.SEARCH_EXHAUSTED)

    # -- one expansion ----------------------------------------------------------------

    def _expand(self, node: Node, rule: str) -> None:
        proposed = self.ctx.suggest(node.state.text, self.search.request_size())
        complete = True
        for rank, candidate in enumerate(self.search.choose(proposed)):
            if self.ctx.budget.exhausted() is not None:
                complete = False
                break
            result = self._run_tactic(node, candidate.text.strip())
            self._add_result(node, rank, rule, candidate, result)
            if result.solved:
                break
        for changed in self.tree.close(node, complete=complete):
            if changed.status is NodeStatus.FAILED:
                self.recorder.set_status(changed.graph_id, NodeStatus.FAILED)
        self.ctx.budget.charge_expansion()
        self.expansions += 1
        self.ctx.progress(
            self.search.name,
            self.expansions,
            self.tree.max_depth,
            f"queue {len(self.frontier)}, nodes {len(self.tree)}",
        )

    def _add_result(
        self, node: Node, rank: int, rule: str, candidate: Candidate, result: TacticResult
    ) -> None:
        child_state = self._usable_state(result)
        known = self.tree.get(child_state.goals) if child_state is not None else None
        child_id = None
        if child_state is not None:
            child_id = known.graph_id if known else self._state_node(child_state, node.depth + 1)
        edge, created = self.tree.add_edge(
            node, candidate.text.strip(), candidate.score, child_state, child_id
        )
        if created and edge.child is not None and not edge.child.is_terminal:
            self.frontier.push(edge.child)
        meta: dict[str, object] = {"rank": rank, "selected_by": rule, "merged": known is not None}
        if result.proof_status:
            meta["proof_status"] = result.proof_status
        if result.error:
            meta["error"] = result.error
        self.recorder.edge(
            EdgeKind.TACTIC,
            [node.graph_id],
            child_id,
            edge.tactic,
            strategy=self.search.name,
            proposer=candidate.provenance,
            score=candidate.score,
            lean=LeanOutcome.of(result),
            meta=meta,
        )

    @staticmethod
    def _usable_state(result: TacticResult) -> ProofState | None:
        """The state to continue from: a real new state, or `no goals` on a completed proof."""
        if result.solved:
            return result.state or ProofState((), id=-1, session="")
        if result.status is TacticStatus.OPEN_GOALS and result.state and result.state.goals:
            return result.state
        return None

    # -- Lean calls that survive restarts ---------------------------------------------

    def _run_tactic(self, node: Node, tactic: str) -> TacticResult:
        state = self._live_state(node)
        if state is None:
            return TacticResult(TacticStatus.STALE_STATE, error="state lost in a REPL restart")
        result = self.ctx.run_tactic(state, tactic)
        if result.status is TacticStatus.STALE_STATE:
            self._dead_sessions.add(state.session)
            state = self._live_state(node)
            if state is None:
                return result
            result = self.ctx.run_tactic(state, tactic)
        if result.status in _PROCESS_LOST:
            self._dead_sessions.add(state.session)
        return result

    def _live_state(self, node: Node) -> ProofState | None:
        """`node`'s state, replaying its path on a live process if its own process died."""
        if node.state.session not in self._dead_sessions:
            return node.state
        path = node.path()
        chain = [self.tree.root, *(edge.child for edge in path if edge.child is not None)]
        live = max(
            (i for i, n in enumerate(chain) if n.state.session not in self._dead_sessions),
            default=None,
        )
        if live is None:
            reopened = self.open_root().state
            if reopened is None or normalise_goals(reopened.goals) != self.tree.root.key:
                return None
            self.tree.root.state = reopened
            live = 0
        for edge in path[live:]:
            assert edge.child is not None
            result = self.ctx.run_tactic(edge.parent.state, edge.tactic)
            if result.status in _PROCESS_LOST:
                self._dead_sessions.add(edge.parent.state.session)
            state = result.state
            if result.status is not TacticStatus.OPEN_GOALS or state is None:
                return None
            if normalise_goals(state.goals) != edge.child.key:
                return None
            edge.child.state = state
        self.recorder.event(
            "replay",
            f"rebuilt a state at depth {node.depth} after a REPL restart",
            {"node": node.graph_id, "steps": len(path) - live},
        )
        return node.state

    # -- recording and the result -----------------------------------------------------

    def _state_node(self, state: ProofState, depth: int) -> int:
        key = normalise_goals(state.goals)
        return self.recorder.node(
            NodeKind.PROOF_STATE,
            state.text,
            key=f"goals:{key}",
            goals=state.goals,
            status=NodeStatus.SOLVED if not state.goals else NodeStatus.OPEN,
            meta={"depth": depth},
        )

    def _record_start(self, first: int | None, check: CheckResult) -> None:
        self.recorder.edge(
            EdgeKind.TACTIC,
            [self.statement_id],
            first,
            "start",
            strategy=self.search.name,
            lean=LeanOutcome.of(check),
            meta={"step": self.start_step},
        )

    def _claim(self) -> Claim:
        edges = self.tree.proof_edges()
        for edge in edges:
            self.recorder.set_status(edge.parent.graph_id, NodeStatus.SOLVED)
        terminal = edges[-1].child
        assert terminal is not None
        proof = tactic_script([edge.tactic for edge in edges])
        self._finish(StopReason.PROVED, proof_steps=len(edges))
        return Claim(proof, StopReason.PROVED, node=terminal.graph_id)

    def _stop(self, reason: StopReason, detail: str = "") -> Claim:
        self._finish(reason)
        return Claim(None, reason, detail=detail)

    def _finish(self, reason: StopReason, **extra: object) -> None:
        self.recorder.event(
            "search_end",
            reason,
            {
                "expansions": self.expansions,
                "nodes": len(self.tree),
                "max_depth": self.tree.max_depth,
                **extra,
            },
        )
