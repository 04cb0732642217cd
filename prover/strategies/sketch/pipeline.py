"""The `sketch` strategy: draft, sketch, mask, prove the holes, recombine.

For each of `drafts` attempts (each gets 1/(drafts - i) of what is left of the
budget, so an attempt that fails early leaves more to the next):

1. **Draft** — the drafter model writes numbered steps from the formal statement
   (`prompts.draft_prompt`); its reasoning trace is dropped.
2. **Sketch** — the sketcher model turns them into a Lean proof whose steps are
   `have hN : … := by sorry`, read into a structured `Sketch`.
3. **Mask** — Lean elaborates the sketch; failing lines are rewritten by the rules of
   `masking` until it elaborates with only `sorry` holes (or cannot be repaired).
4. **Prove** — each hole is a subgoal for `prover.strategies.subgoals` (automation, then bfs/mps
   search from its state with a share of the budget); holes whose state a REPL
   restart took are re-extracted and retried; the scripts are pasted back and the
   assembled proof is elaborated once more before it is claimed (the soundness gate
   in `prover.strategies.attempt.prove` then has the last word).

The graph of an attempt is one connected piece: statement -DRAFT-> draft -SKETCH->
sketch -MASK-> masked sketch … -SUBGOAL-> each hole (its AUTOMATION and TACTIC edges
below it) and -RECOMBINE-> the assembled proof, which the gate's VERIFY edge joins.
Model calls and Lean calls are charged to the budget as they happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prover.errors import GenerationError
from prover.generate.llm import LanguageModel
from prover.generate.prompts import lean_code_block
from prover.proof_text import locate
from prover.protocols import EdgeKind, Generator, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.automation import CLOSERS
from prover.strategies.base import Claim, ProofContext, Repairer, first_line
from prover.strategies.holes import Hole, fill_holes, find_holes, holes_of
from prover.strategies.search.engine import TacticSearch
from prover.strategies.sketch import masking
from prover.strategies.sketch.masking import LeanError, Unrepairable
from prover.strategies.sketch.prompts import draft_prompt, read_draft, sketch_prompt
from prover.strategies.sketch.sketch import Sketch, SketchError, parse_sketch
from prover.strategies.subgoals import SubgoalProver
from prover.types import CallStatus, CheckResult, StopReason, Theorem

SKETCH = "sketch"
DRAFT_TEMPERATURE = 0.6  # DSP+'s drafting and sketching temperatures
SKETCH_TEMPERATURE = 0.7
DRAFT_MAX_TOKENS = 8192
SKETCH_MAX_TOKENS = 8192
MAX_MASK_ROUNDS = 8
REPAIR_SHARE = 0.25  # of the budget, kept back from the drafts for that repair
LOST_STATE_RETRIES = 2


class _Stop(Exception):
    """Ends one draft's attempt with a reason, and the near-miss proof if it got one."""

    def __init__(
        self, reason: StopReason, detail: str = "", near_miss: tuple[str, int] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.near_miss = near_miss


@dataclass(frozen=True)
class _Elaborated:
    """A sketch that elaborates with only `sorry` holes, its graph node and Lean's reply."""

    sketch: Sketch
    text: str
    node: int
    check: CheckResult


class SketchStrategy:
    """Draft → sketch → mask → prove subgoals → recombine (see the module docstring)."""

    name = SKETCH

    def __init__(
        self,
        *,
        drafter: LanguageModel | None = None,
        sketcher: LanguageModel | None = None,
        drafts: int = 1,
        prover_generator: Generator | None = None,
        search: TacticSearch | None = None,
        repairer: Repairer | None = None,
        closers: Sequence[str] = CLOSERS,
        max_mask_rounds: int = MAX_MASK_ROUNDS,
        draft_max_tokens: int = DRAFT_MAX_TOKENS,
        sketch_max_tokens: int = SKETCH_MAX_TOKENS,
        draft_temperature: float = DRAFT_TEMPERATURE,
        sketch_temperature: float = SKETCH_TEMPERATURE,
    ) -> None:
        """The sketcher defaults to the drafter; the prover generator to the context's.
        `search` proves the holes after automation (None: automation only); `repairer`,
        when given, gets the best near-miss of the drafts."""
        if drafts < 1 or max_mask_rounds < 1:
            raise ValueError("drafts and max_mask_rounds must be at least 1")
        self.drafter = drafter
        self.sketcher = sketcher or drafter
        self.drafts = drafts
        self.prover_generator = prover_generator
        self.search = search
        self.repairer = repairer
        self.closers = tuple(closers)
        self.max_mask_rounds = max_mask_rounds
        self.draft_max_tokens = draft_max_tokens
        self.sketch_max_tokens = sketch_max_tokens
        self.draft_temperature = draft_temperature
        self.sketch_temperature = sketch_temperature

    def config(self) -> dict[str, object]:
        return {
            "strategy": self.name,
            "drafter": self.drafter.name if self.drafter else None,
            "sketcher": self.sketcher.name if self.sketcher else None,
            "drafts": self.drafts,
            "prover_generator": self.prover_generator.name if self.prover_generator else None,
            "search": self.search.config() if self.search is not None else None,
            "closers": list(self.closers),
            "max_mask_rounds": self.max_mask_rounds,
            "repair": self.repairer is not None,
        }

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        if self.drafter is None or self.sketcher is None:
            return Claim(
                None, StopReason.NO_DRAFTER, detail="the sketch strategy needs a drafter model"
            )
        ctx.recorder.event("sketch_start", self.name, self.config())
        claim = Claim(None, StopReason.NO_DRAFTER)
        near_miss: Claim | None = None
        # With repair on, the drafts leave REPAIR_SHARE of the budget for their near-miss.
        drafts_share = 1 - REPAIR_SHARE if self.repairer is not None else 1.0
        for index in range(self.drafts):
            limit = ctx.budget.exhausted()
            if limit is not None:
                return Claim(None, limit)
            child = ctx.budget.child(drafts_share / (self.drafts - index))
            try:
                claim = _DraftAttempt(self, theorem, ctx.with_budget(child), root, index).run()
            finally:
                ctx.budget.absorb(child)
            ctx.recorder.event("sketch_draft_end", claim.reason, {"draft": index + 1})
            if claim.proof is not None:
                return claim
            near_miss = claim if claim.near_miss is not None else near_miss
        if near_miss is None:
            return claim
        return self._repair(theorem, ctx, near_miss)

    def _repair(self, theorem: Theorem, ctx: ProofContext, near_miss: Claim) -> Claim:
        """Hand the best near-miss (a proof with unproved holes, or one Lean refused) to
        compiler-guided repair; the sketcher corrects what automation and search cannot."""
        assert near_miss.near_miss is not None and near_miss.node is not None
        if self.repairer is None or ctx.budget.exhausted() is not None:
            return near_miss
        ctx.recorder.event("sketch_repair", near_miss.reason)
        repaired = self.repairer(
            theorem,
            near_miss.near_miss,
            ctx,
            node=near_miss.node,
            model=self.sketcher,
            generator=self.prover_generator,
            strategy=SKETCH,
        )
        if repaired.proof is not None:
            return repaired
        detail = f"{near_miss.reason} ({near_miss.detail}); repair: {repaired.detail}"
        return Claim(
            None,
            repaired.reason,
            repaired.node,
            near_miss=repaired.near_miss,
            detail=detail,
            report=repaired.report,
        )


class _DraftAttempt:
    """One draft → sketch → prove attempt; all its state lives here."""

    def __init__(
        self, strategy: SketchStrategy, theorem: Theorem, ctx: ProofContext, root: int, index: int
    ) -> None:
        self.strategy = strategy
        self.theorem = theorem
        self.ctx = ctx
        self.root = root
        self.index = index
        self.recorder = ctx.recorder

    def run(self) -> Claim:
        try:
            draft, draft_node = self._draft()
            sketch, sketch_node = self._sketch(draft, draft_node)
            elaborated = self._mask(sketch, sketch_node)
            return self._prove(elaborated)
        except _Stop as stop:
            if stop.near_miss is None:
                return Claim(None, stop.reason, detail=stop.detail)
            text, node = stop.near_miss
            return Claim(None, stop.reason, node, near_miss=text, detail=stop.detail)
        except GenerationError as exc:
            return Claim(None, StopReason(exc.code), detail=first_line(str(exc)))

    def _progress(self, note: str) -> None:
        self.ctx.progress(SKETCH, 0, 0, f"draft {self.index + 1}/{self.strategy.drafts}: {note}")

    def _check_budget(self) -> None:
        limit = self.ctx.budget.exhausted()
        if limit is not None:
            raise _Stop(limit)

    # -- draft and sketch ------------------------------------------------------------

    def _draft(self) -> tuple[str, int]:
        self._check_budget()
        self._progress("drafting")
        strategy = self.strategy
        assert strategy.drafter is not None
        reply = self.ctx.ask(
            strategy.drafter,
            "drafter",
            draft_prompt(self.theorem),
            max_tokens=strategy.draft_max_tokens,
            temperature=strategy.draft_temperature,
        )
        draft = read_draft(reply.text)
        node = self.recorder.node(NodeKind.DRAFT, draft, key=f"draft:{draft}") if draft else None
        self.recorder.edge(
            EdgeKind.DRAFT,
            [self.root],
            node,
            f"draft {self.index + 1}",
            strategy=SKETCH,
            proposer=reply.provenance,
            meta=reply.meta(),
        )
        if node is None:
            raise _Stop(
                StopReason.EMPTY_DRAFT, "the drafter's reply held no draft after its reasoning"
            )
        return draft, node

    def _sketch(self, draft: str, draft_node: int) -> tuple[Sketch, int]:
        self._check_budget()
        self._progress("sketching")
        strategy = self.strategy
        assert strategy.sketcher is not None
        reply = self.ctx.ask(
            strategy.sketcher,
            "sketcher",
            sketch_prompt(self.theorem, draft),
            max_tokens=strategy.sketch_max_tokens,
            temperature=strategy.sketch_temperature,
        )
        code = lean_code_block(reply.text)
        meta: dict[str, Any] = {**reply.meta(), "code": code}
        try:
            sketch = parse_sketch(code)
            if sketch.is_empty:
                raise SketchError("the sketch has no step besides `sorry`")
        except SketchError as exc:
            meta["error"] = str(exc)
            self.recorder.edge(
                EdgeKind.SKETCH,
                [draft_node],
                None,
                "sketch",
                strategy=SKETCH,
                proposer=reply.provenance,
                meta=meta,
            )
            raise _Stop(StopReason.NO_SKETCH, str(exc)) from None
        node = self._sketch_node(sketch, {"hints": _hints(sketch)})
        self.recorder.edge(
            EdgeKind.SKETCH,
            [draft_node],
            node,
            "sketch",
            strategy=SKETCH,
            proposer=reply.provenance,
            meta=meta,
        )
        return sketch, node

    def _sketch_node(self, sketch: Sketch, meta: dict[str, Any]) -> int:
        text = self.theorem.with_proof(sketch.render())
        return self.recorder.node(NodeKind.SKETCH, text, key=f"sketch:{text}", meta=meta)

    # -- masking ---------------------------------------------------------------------

    def _mask(self, sketch: Sketch, node: int) -> _Elaborated:
        seen: set[frozenset[tuple[str, str]]] = set()
        for round_number in range(1, self.strategy.max_mask_rounds + 1):
            self._check_budget()
            self._progress(f"checking the sketch (round {round_number})")
            text = sketch.render()
            check = self.ctx.check(self.theorem.header, self.theorem.with_proof(text))
            if check.status is not CallStatus.OK:
                detail = first_line(check.error or check.status.value)
                raise _Stop(StopReason.LEAN_FAILED, f"{check.status.value}: {detail}")
            if not check.errors:
                return _Elaborated(sketch, text, node, check)
            errors = self._locate(text, check)
            key = masking.signature(sketch, errors)
            strict = key in seen
            seen.add(key)
            masks = masking.plan(sketch, errors, strict=strict)
            meta: dict[str, Any] = {
                "round": round_number,
                "strict": strict,
                "masks": [mask.as_dict() for mask in masks],
            }
            action = ", ".join(dict.fromkeys(mask.rule.value for mask in masks))
            try:
                masked = masking.apply(sketch, masks)
            except Unrepairable as exc:
                self._mask_edge(node, None, action, check, {**meta, "unrepairable": str(exc)})
                raise _Stop(StopReason.SKETCH_UNREPAIRABLE, str(exc)) from None
            masked_node = self._sketch_node(
                masked, {"masked": True, "round": round_number, "hints": _hints(masked)}
            )
            self._mask_edge(node, masked_node, action, check, meta)
            sketch, node = masked, masked_node
        raise _Stop(
            StopReason.SKETCH_UNREPAIRABLE,
            f"the sketch still fails after {self.strategy.max_mask_rounds} masking rounds",
        )

    def _locate(self, text: str, check: CheckResult) -> list[LeanError]:
        errors: list[LeanError] = []
        for message in check.errors:
            where = locate(self.theorem, text, message.pos)
            if where is None:
                raise _Stop(StopReason.STATEMENT_ERROR, first_line(message.text))
            errors.append(LeanError(where[0], where[1], message.text))
        return errors

    def _mask_edge(
        self, parent: int, child: int | None, action: str, check: CheckResult, meta: dict[str, Any]
    ) -> None:
        self.recorder.edge(
            EdgeKind.MASK,
            [parent],
            child,
            action,
            strategy=SKETCH,
            lean=LeanOutcome.of(check),
            meta=meta,
        )

    # -- proving the holes -----------------------------------------------------------

    def _prove(self, elaborated: _Elaborated) -> Claim:
        theorem, ctx = self.theorem, self.ctx
        holes = holes_of(
            theorem, elaborated.text, elaborated.check, ctx, parent=elaborated.node, strategy=SKETCH
        )
        if not holes:
            if elaborated.check.clean:  # the sketch proves the theorem by itself
                return Claim(elaborated.text, StopReason.PROVED, elaborated.node)
            raise _Stop(
                StopReason.SUBGOALS_UNPROVED, "Lean reported holes it did not place in the proof"
            )
        self._progress(f"proving {len(holes)} subgoal(s)")
        prover = self._hole_prover(len(holes))
        filled = fill_holes(
            theorem, elaborated.text, holes, ctx, prover, parent=elaborated.node, strategy=SKETCH
        )
        proof, node, remaining = filled.proof, filled.node or elaborated.node, filled.remaining
        for _ in range(LOST_STATE_RETRIES):
            lost = {hole.goal for hole in prover.lost}
            if not remaining or not lost or ctx.budget.exhausted() is not None:
                break
            check, fresh = find_holes(theorem, proof, ctx, parent=node, strategy=SKETCH)
            if check.status is not CallStatus.OK:
                break
            retry = [hole for hole in fresh if hole.goal in lost]
            prover = self._hole_prover(len(retry), prover)
            refilled = fill_holes(theorem, proof, retry, ctx, prover, parent=node, strategy=SKETCH)
            proof, node = refilled.proof, refilled.node or node
            remaining = [hole for hole in fresh if hole.goal not in lost] + refilled.remaining
        if remaining:
            self._check_budget()
            raise _Stop(
                StopReason.SUBGOALS_UNPROVED,
                f"{len(remaining)} of {len(holes)} subgoal(s) unproved ({_goals(remaining)})",
                near_miss=(proof, node),
            )
        return self._claim(proof, node)

    def _hole_prover(self, holes: int, previous: SubgoalProver | None = None) -> SubgoalProver:
        strategy = self.strategy
        return SubgoalProver(
            strategy.search,
            theorem=self.theorem,
            strategy=SKETCH,
            holes=holes,
            closers=strategy.closers,
            generator=strategy.prover_generator,
            timed_out=previous.timed_out if previous is not None else None,
        )

    def _claim(self, proof: str, node: int) -> Claim:
        """Claim the assembled proof once it elaborates cleanly as a whole."""
        check = self.ctx.check(self.theorem.header, self.theorem.with_proof(proof))
        if not check.clean:
            self.recorder.set_status(node, NodeStatus.FAILED)
            problem = check.errors[0].text if check.errors else check.error or "it has holes"
            raise _Stop(StopReason.RECOMBINED_ERROR, first_line(problem), near_miss=(proof, node))
        return Claim(proof, StopReason.PROVED, node)


def _hints(sketch: Sketch) -> dict[str, list[str]]:
    """The hypotheses each hole's `prove_with` named, by the hole's first line."""
    return {step.head: list(step.hints) for step in sketch.holes if step.hints}


def _goals(holes: Sequence[Hole]) -> str:
    return "; ".join(first_line(hole.goal.rsplit("⊢", 1)[-1]) for hole in holes[:3])
