"""Compiler-guided repair: the loop (the `repair` strategy, `prover.strategies.repair`,
runs it on a given or drafted proof).

Each round (at most `rounds`) of `repair_proof`:

1. **Check** the proof; a clean elaboration ends the loop (the soundness gate in
   `prover.strategies.attempt.prove` then has the last word).
2. **Refine** — the syntax rules of `repair.rules`, each that changes something a
   REPAIR_FIX edge (its rule, the error class Lean reported on the line, the line).
3. **Fix** — for each error Lean reports, the targeted fixes of `repair.fixes`
   (renames, tool correction, …), each candidate checked; the first that improves
   on the last check is kept (a REPAIR_FIX edge), the others are recorded as tries
   that led nowhere.
4. **Sorrify** what still fails (`repair.sorrify`, SORRIFY edges) so the proof
   elaborates with holes; each hole is a SUBGOAL with its own proof state.
5. **Re-prove** each hole: the one-shot closers, then tactic search from the hole's
   state (`prover.strategies.subgoals`, with half of what is left of the budget), then, when a
   model is configured, conjecture correction (`repair.conjecture`).
6. **Recombine** the scripts into the proof (a RECOMBINE edge) and go round again.

The result is the repaired proof, or the best partial one (the last that elaborated
with only holes) with its open holes, and the list of changes made on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prover.generate.llm import LanguageModel
from prover.proof_text import locate
from prover.protocols import EdgeKind, Generator, LeanOutcome, NodeKind
from prover.strategies.automation import CLOSERS
from prover.strategies.base import ProofContext
from prover.strategies.holes import Hole, fill_holes, holes_of
from prover.strategies.search.engine import TacticSearch
from prover.strategies.subgoals import SubgoalProver
from prover.types import CallStatus, CheckResult, StopReason, Theorem
from repair.conjecture import (
    DEFAULT_DEPTH,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    ConjectureProver,
    HoleContext,
    hole_context,
)
from repair.diagnose import Diagnosis, ErrorClass, diagnose, errors
from repair.fixes import Edit, proposals
from repair.rules import line_map, refine
from repair.sorrify import Sorrified, StatementError, sorrify

DEFAULT_ROUNDS = 3
SEARCH_SHARE = 0.5  # of what is left of the budget, for automation + search on the holes
MAX_FIX_TRIES = 40  # candidate checks per round


_FIXABLE = frozenset(
    {
        ErrorClass.UNKNOWN_IDENTIFIER,
        ErrorClass.UNKNOWN_CONSTANT,
        ErrorClass.DEPRECATED,
        ErrorClass.NO_GOALS,
        ErrorClass.TACTIC_FAILED,
        ErrorClass.OTHER,
    }
)


@dataclass(frozen=True)
class RepairOptions:
    rounds: int = DEFAULT_ROUNDS
    depth: int = DEFAULT_DEPTH  # model calls per hole (conjecture-correction levels)
    search: TacticSearch | None = None  # tactic search on holes after automation; None: none
    closers: tuple[str, ...] = CLOSERS
    temperature: float = DEFAULT_TEMPERATURE
    max_tokens: int = DEFAULT_MAX_TOKENS

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.depth < 1:
            raise ValueError("rounds and depth must be at least 1")


@dataclass(frozen=True)
class Change:
    """One step from the broken proof to the result, as the report lists it."""

    kind: str  # the graph edge kind: repair_fix, sorrify, subgoal, recombine
    name: str  # the rule, fix, sorrify action or hole prover
    detail: str
    line: int | None = None  # 1-based, in the proof the step changed
    error_class: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "line": self.line,
            "error_class": self.error_class,
        }


@dataclass(frozen=True)
class OpenHole:
    line: int  # 1-based, in the result's proof
    column: int
    goal: str


@dataclass(frozen=True)
class RepairResult:
    proof: str
    node: int
    repaired: bool
    reason: StopReason
    changes: tuple[Change, ...]
    holes: tuple[OpenHole, ...] = ()
    rounds: int = 0
    detail: str = ""


def repair_proof(
    theorem: Theorem,
    proof: str,
    ctx: ProofContext,
    *,
    node: int,
    options: RepairOptions | None = None,
    model: LanguageModel | None = None,
    generator: Generator | None = None,
    strategy: str,
) -> RepairResult:
    """Repair `proof` of `theorem`; `node` is its PROOF_TEXT node in the graph (the
    caller records it). `generator` replaces the context's for the holes' search;
    `model`, when given, re-proves holes by conjecture correction."""
    run = _Run(theorem, ctx, options or RepairOptions(), model, generator, strategy)
    return run.repair(proof, node)


@dataclass
class _State:
    proof: str
    node: int
    check: CheckResult


@dataclass
class _Run:
    theorem: Theorem
    ctx: ProofContext
    options: RepairOptions
    model: LanguageModel | None
    generator: Generator | None
    strategy: str
    changes: list[Change] = field(default_factory=list)
    failed_goals: set[str] = field(default_factory=set)

    def repair(self, proof: str, node: int) -> RepairResult:
        state = _State(proof, node, self._check(proof))
        best: _State | None = None
        seen = {proof}
        rounds = 0
        while rounds < self.options.rounds and not state.check.clean:
            rounds += 1
            stop = self._stop_reason(state.check)
            if stop is not None:
                return self._result(state, best, rounds, *stop)
            self._phase(rounds, "syntax rules")
            state = self._refine(state)
            if not state.check.clean:
                self._phase(rounds, "targeted fixes")
                state = self._fix(state)
            if state.check.clean:
                break
            self._phase(rounds, "sorrify")
            try:
                sorrified = sorrify(
                    self.theorem,
                    state.proof,
                    state.check,
                    self.ctx,
                    node=state.node,
                    strategy=self.strategy,
                )
            except StatementError as exc:
                return self._result(state, best, rounds, StopReason.STATEMENT_ERROR, str(exc))
            self._note_sorrify(sorrified)
            holed = _State(sorrified.proof, sorrified.node, sorrified.check)
            if errors(diagnose(self.theorem, holed.proof, holed.check)):
                detail = "the proof does not elaborate even with its failing steps sorried"
                return self._result(holed, best, rounds, StopReason.LEAN_FAILED, detail)
            best = holed
            self._phase(rounds, "re-prove holes")
            filled = self._reprove(sorrified, state.proof)
            if filled is None or filled.proof in seen:
                state = holed
                break
            seen.add(filled.proof)
            state = _State(filled.proof, filled.node, self._check(filled.proof))
            if not errors(diagnose(self.theorem, state.proof, state.check)):
                best = state
        if state.check.clean:
            return self._result(state, best, rounds, StopReason.REPAIRED)
        exhausted = self.ctx.budget.exhausted()
        return self._result(state, best, rounds, exhausted or StopReason.HOLES_REMAIN)

    # --- the steps -------------------------------------------------------------------

    def _phase(self, round_number: int, note: str) -> None:
        spent = self.ctx.budget.spent
        self.ctx.progress(
            self.strategy, spent.expansions, round_number, f"round {round_number}: {note}"
        )

    def _check(self, proof: str) -> CheckResult:
        return self.ctx.check(self.theorem.header, self.theorem.with_proof(proof))

    def _node(self, proof: str) -> int:
        return self.ctx.recorder.node(
            NodeKind.PROOF_TEXT, self.theorem.with_proof(proof), key=f"proof:{proof}"
        )

    def _stop_reason(self, check: CheckResult) -> tuple[StopReason, str] | None:
        exhausted = self.ctx.budget.exhausted()
        if exhausted is not None:
            return exhausted, f"the {exhausted} budget ran out"
        if check.status not in (CallStatus.OK, CallStatus.TIMEOUT):
            return (
                StopReason.LEAN_FAILED,
                check.error or f"Lean did not answer: {check.status.value}",
            )
        return None

    def _refine(self, state: _State) -> _State:
        rewrites = refine(state.proof, self.theorem)
        if not rewrites:
            return state
        # The error Lean reported on each line, followed through the rewrites.
        reported = {
            d.line: d
            for d in diagnose(self.theorem, state.proof, state.check)
            if d.line is not None
        }
        node = state.node
        for rewrite in rewrites:
            found = [reported[i] for i in rewrite.lines if i in reported]
            target = found[0] if found else None
            line = rewrite.lines[0] + 1 if rewrite.lines else None
            child = self._node(rewrite.after)
            self._fix_edge(node, child, rewrite.rule.summary, rewrite.rule.name, target, line)
            node = child
            moved = line_map(rewrite.before, rewrite.after)
            reported = {moved[i]: d for i, d in reported.items() if i in moved}
        proof = rewrites[-1].after
        return _State(proof, node, self._check(proof))

    def _fix(self, state: _State) -> _State:
        attempted: set[tuple[int | None, str, str | None]] = set()
        tries = 0
        while tries < MAX_FIX_TRIES and self.ctx.budget.exhausted() is None:
            diagnosed = diagnose(self.theorem, state.proof, state.check)
            targets = [
                d
                for d in diagnosed
                if d.kind in _FIXABLE
                and d.line is not None
                and (d.line, d.kind.value, d.subject) not in attempted
            ]
            if not targets:
                return state
            target = targets[0]
            attempted.add((target.line, target.kind.value, target.subject))
            for edit in proposals(self.theorem, state.proof, target, state.check):
                if tries >= MAX_FIX_TRIES or self.ctx.budget.exhausted() is not None:
                    break
                tries += 1
                accepted = self._try(state, edit, target, diagnosed)
                if accepted is not None:
                    state = accepted
                    break
        return state

    def _try(
        self, state: _State, edit: Edit, target: Diagnosis, diagnosed: list[Diagnosis]
    ) -> _State | None:
        check = self._check(edit.proof)
        after = diagnose(self.theorem, edit.proof, check)
        if not improved(diagnosed, after, target):
            self._fix_edge(state.node, None, edit.detail, edit.rule, target, edit.line + 1, check)
            return None
        child = self._node(edit.proof)
        self._fix_edge(state.node, child, edit.detail, edit.rule, target, edit.line + 1, check)
        return _State(edit.proof, child, check)

    def _fix_edge(
        self,
        parent: int,
        child: int | None,
        action: str,
        rule: str,
        target: Diagnosis | None,
        line: int | None,
        check: CheckResult | None = None,
    ) -> None:
        meta: dict[str, Any] = {
            "rule": rule,
            "error_class": target.kind.value if target else None,
            "line": line,
            "message": target.text if target else None,
            "accepted": child is not None,
        }
        lean = LeanOutcome.of(check) if check is not None else None
        self.ctx.recorder.edge(
            EdgeKind.REPAIR_FIX,
            [parent],
            child,
            action,
            strategy=self.strategy,
            lean=lean,
            meta=meta,
        )
        if child is not None:
            error_class = target.kind.value if target else None
            self.changes.append(Change(EdgeKind.REPAIR_FIX.value, rule, action, line, error_class))

    def _note_sorrify(self, sorrified: Sorrified) -> None:
        for edit, target in sorrified.edits:
            self.changes.append(
                Change(
                    EdgeKind.SORRIFY.value,
                    edit.action,
                    edit.describe(),
                    edit.start + 1,
                    target.kind.value,
                )
            )

    def _reprove(self, sorrified: Sorrified, previous_proof: str) -> _Filled | None:
        holes = holes_of(
            self.theorem,
            sorrified.proof,
            sorrified.check,
            self.ctx,
            parent=sorrified.node,
            strategy=self.strategy,
        )
        if not holes:
            return None
        prover = _HoleProver(self, sorrified, previous_proof, len(holes))
        filled = fill_holes(
            self.theorem,
            sorrified.proof,
            holes,
            self.ctx,
            prover,
            parent=sorrified.node,
            strategy=self.strategy,
        )
        if filled.node is None:
            return None
        solved = len(holes) - len(filled.remaining)
        self.changes.append(
            Change(
                EdgeKind.RECOMBINE.value,
                "recombine",
                f"paste {solved} subproof(s) into their holes; {len(filled.remaining)} open",
            )
        )
        return _Filled(filled.proof, filled.node)

    def _result(
        self,
        state: _State,
        best: _State | None,
        rounds: int,
        reason: StopReason,
        detail: str = "",
    ) -> RepairResult:
        if reason is StopReason.REPAIRED:
            changes = tuple(self.changes)
            return RepairResult(state.proof, state.node, True, reason, changes, (), rounds)
        elaborates = not errors(diagnose(self.theorem, state.proof, state.check))
        shown = state if elaborates or best is None else best
        holes = tuple(
            OpenHole(where[0] + 1, where[1], sorry.goal)
            for sorry in shown.check.sorries
            if sorry.pos is not None
            and (where := locate(self.theorem, shown.proof, sorry.pos)) is not None
        )
        if not detail:
            detail = f"{len(holes)} hole(s) remain"
            if reason is not StopReason.HOLES_REMAIN:  # a budget ran out
                detail = f"the {reason} budget ran out; {detail}"
        return RepairResult(
            shown.proof, shown.node, False, reason, tuple(self.changes), holes, rounds, detail
        )


@dataclass(frozen=True)
class _Filled:
    proof: str
    node: int


class _HoleProver:
    """Automation then search (with `SEARCH_SHARE` of the budget left), then the model;
    a goal that defeated them all is not tried again in a later round."""

    def __init__(self, run: _Run, sorrified: Sorrified, previous: str, count: int) -> None:
        self.run = run
        self.search = SubgoalProver(
            run.options.search,
            theorem=run.theorem,
            strategy=run.strategy,
            holes=count,
            closers=run.options.closers,
            generator=run.generator,
        )
        self.origins = sorrified.origins
        self.holed = sorrified.proof
        self.previous = previous
        self.conjecture = (
            ConjectureProver(
                run.model,
                run.theorem,
                self.context,
                strategy=run.strategy,
                depth=run.options.depth,
                temperature=run.options.temperature,
                max_tokens=run.options.max_tokens,
            )
            if run.model is not None
            else None
        )

    def context(self, hole: Hole) -> HoleContext:
        origin = self.origins.get((hole.line, hole.column))
        if origin is None:
            return hole_context(self.previous, "", None, self.holed)
        return hole_context(self.previous, origin.failing, origin.diagnosis, self.holed)

    def __call__(self, hole: Hole, ctx: ProofContext) -> list[str] | None:
        if hole.goal in self.run.failed_goals:
            return None
        child = ctx.budget.child(SEARCH_SHARE)
        script = self.search(hole, ctx.with_budget(child))
        ctx.budget.absorb(child)
        prover = "automation or search"
        if not script and self.conjecture is not None and ctx.budget.exhausted() is None:
            script = self.conjecture(hole, ctx)
            prover = "conjecture correction"
        if not script:
            if hole not in self.search.lost:  # a lost state gets a fresh try next round
                self.run.failed_goals.add(hole.goal)
            return None
        self.run.changes.append(
            Change(
                EdgeKind.SUBGOAL.value,
                prover,
                f"prove the hole at line {hole.line + 1}: {'; '.join(script)}",
                hole.line + 1,
            )
        )
        return script


def improved(before: list[Diagnosis], after: list[Diagnosis], target: Diagnosis) -> bool:
    """Whether a fix for `target` helped: for a deprecation, the warning is gone and no
    error was added; otherwise no error is left on the fixed line, and either there
    are fewer errors or every one left comes after that line."""
    old, new = errors(before), errors(after)
    if target.kind is ErrorClass.DEPRECATED:
        still = any(d.kind is ErrorClass.DEPRECATED and d.subject == target.subject for d in after)
        return not still and len(new) <= len(old)
    if any(d.line == target.line for d in new):
        return False
    if len(new) < len(old):
        return True
    return all(d.line is not None and target.line is not None and d.line > target.line for d in new)
