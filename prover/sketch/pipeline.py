"""The `sketch` strategy: draft, sketch, mask, prove the holes, recombine.

For each of `drafts` attempts (each gets 1/(drafts - i) of what is left of the
budget, so an attempt that fails early leaves more to the next):

1. **Draft** — the drafter model writes numbered steps from the formal statement
   (`prompts.draft_prompt`); its reasoning trace is dropped.
2. **Sketch** — the sketcher model turns them into a Lean proof whose steps are
   `have hN : … := by sorry`, read into a structured `Sketch`.
3. **Mask** — Lean elaborates the sketch; failing lines are rewritten by the rules of
   `masking` until it elaborates with only `sorry` holes (or cannot be repaired).
4. **Prove** — each hole is a subgoal for `prover.subgoals` (automation, then bfs/mps
   search from its state with a share of the budget); holes whose state a REPL
   restart took are re-extracted and retried; the scripts are pasted back and the
   assembled proof is elaborated once more before it is claimed (the soundness gate
   in `prover.attempt.prove` then has the last word).

The graph of an attempt is one connected piece: statement -DRAFT-> draft -SKETCH->
sketch -MASK-> masked sketch … -SUBGOAL-> each hole (its AUTOMATION and TACTIC edges
below it) and -RECOMBINE-> the assembled proof, which the gate's VERIFY edge joins.
Model calls and Lean calls are charged to the budget as they happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prover.attempt import Claim, ProofContext
from prover.automation import CLOSERS
from prover.generate.llm import GenerationError, LanguageModel
from prover.generate.registry import make_generator, make_language_model
from prover.holes import Hole, fill_holes, find_holes, holes_of
from prover.proof_text import locate
from prover.protocols import EdgeKind, Generator, LeanOutcome, NodeKind, NodeStatus
from prover.sketch import masking
from prover.sketch.masking import LeanError, Unrepairable
from prover.sketch.models import ask
from prover.sketch.prompts import draft_prompt, read_draft, read_sketch_code, sketch_prompt
from prover.sketch.sketch import Sketch, SketchError, parse_sketch
from prover.subgoals import SubgoalProver, make_hole_prover, tactic_search
from prover.types import CallStatus, CheckResult, Theorem
from repair.pipeline import RepairOptions, repair_proof

SKETCH = "sketch"
DRAFT_TEMPERATURE = 0.6  # DSP+'s drafting and sketching temperatures
SKETCH_TEMPERATURE = 0.7
DRAFT_MAX_TOKENS = 8192
SKETCH_MAX_TOKENS = 8192
MAX_MASK_ROUNDS = 8
REPAIR_ROUNDS = 2  # repair rounds on the best near-miss before giving up (0: no repair)
REPAIR_SHARE = 0.25  # of the budget, kept back from the drafts for that repair
LOST_STATE_RETRIES = 2

# Why an attempt ended without a proof (the claim's reason starts with one of these).
NO_DRAFTER = "no_drafter"
EMPTY_DRAFT = "empty_draft"
NO_SKETCH = "no_sketch"
LEAN_FAILED = "lean_failed"
STATEMENT_ERROR = "statement_error"
UNREPAIRABLE = "sketch_unrepairable"
SUBGOALS_UNPROVED = "subgoals_unproved"
RECOMBINED_ERROR = "recombined_error"
PROVED = "proved"


class _Stop(Exception):
    """Ends one draft's attempt with a reason, and the near-miss proof if it got one."""

    def __init__(self, reason: str, near_miss: tuple[str, int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
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
        drafter: LanguageModel | str | None = None,
        sketcher: LanguageModel | str | None = None,
        drafts: int = 1,
        prover_generator: Generator | str | None = None,
        search: str = "bfs",
        width: int = 8,
        closers: Sequence[str] = CLOSERS,
        base_url: str | None = None,
        api_key: str | None = None,
        max_mask_rounds: int = MAX_MASK_ROUNDS,
        draft_max_tokens: int = DRAFT_MAX_TOKENS,
        sketch_max_tokens: int = SKETCH_MAX_TOKENS,
        draft_temperature: float = DRAFT_TEMPERATURE,
        sketch_temperature: float = SKETCH_TEMPERATURE,
        repair_rounds: int = REPAIR_ROUNDS,
    ) -> None:
        """Models may be given built or as specs (`openai:<model>`, `hf:<model>`; the
        prover generator also `heuristic`), made with `base_url` and `api_key`. The
        sketcher defaults to the drafter; the prover generator to the context's."""
        if drafts < 1 or max_mask_rounds < 1:
            raise ValueError("drafts and max_mask_rounds must be at least 1")
        if isinstance(drafter, str):
            drafter = make_language_model(drafter, base_url=base_url, api_key=api_key)
        if isinstance(sketcher, str):
            sketcher = make_language_model(sketcher, base_url=base_url, api_key=api_key)
        if isinstance(prover_generator, str):
            prover_generator = make_generator(prover_generator, base_url=base_url, api_key=api_key)
        self.drafter = drafter
        self.sketcher = sketcher or drafter
        self.drafts = drafts
        self.prover_generator = prover_generator
        self.search = tactic_search(search, width)
        self.search_name, self.width = search, width
        self.repair_rounds = repair_rounds
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
            "search": self.search.config(),
            "closers": list(self.closers),
            "max_mask_rounds": self.max_mask_rounds,
            "repair_rounds": self.repair_rounds,
        }

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        if self.drafter is None or self.sketcher is None:
            return Claim(None, f"{NO_DRAFTER}: the sketch strategy needs a drafter model")
        ctx.recorder.event("sketch_start", self.name, self.config())
        claim = Claim(None, NO_DRAFTER)
        near_miss: Claim | None = None
        # With repair on, the drafts leave REPAIR_SHARE of the budget for their near-miss.
        drafts_share = 1 - REPAIR_SHARE if self.repair_rounds else 1.0
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
        if not self.repair_rounds or ctx.budget.exhausted() is not None:
            return near_miss
        ctx.recorder.event("sketch_repair", near_miss.reason)
        options = RepairOptions(
            rounds=self.repair_rounds,
            search=self.search_name,
            width=self.width,
            closers=self.closers,
        )
        result = repair_proof(
            theorem,
            near_miss.near_miss,
            ctx,
            node=near_miss.node,
            options=options,
            model=self.sketcher,
            generator=self.prover_generator,
            strategy=SKETCH,
        )
        if result.repaired:
            return Claim(result.proof, PROVED, result.node)
        return Claim(
            None,
            f"{near_miss.reason}; repair: {result.reason}",
            result.node,
            near_miss=result.proof,
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
                return Claim(None, stop.reason)
            text, node = stop.near_miss
            return Claim(None, stop.reason, node, near_miss=text)
        except GenerationError as exc:
            return Claim(None, f"{exc.code}: {_first_line(str(exc))}")

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
        reply = ask(
            strategy.drafter,
            "drafter",
            draft_prompt(self.theorem),
            self.ctx,
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
            raise _Stop(f"{EMPTY_DRAFT}: the drafter's reply held no draft after its reasoning")
        return draft, node

    def _sketch(self, draft: str, draft_node: int) -> tuple[Sketch, int]:
        self._check_budget()
        self._progress("sketching")
        strategy = self.strategy
        assert strategy.sketcher is not None
        reply = ask(
            strategy.sketcher,
            "sketcher",
            sketch_prompt(self.theorem, draft),
            self.ctx,
            max_tokens=strategy.sketch_max_tokens,
            temperature=strategy.sketch_temperature,
        )
        code = read_sketch_code(reply.text)
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
            raise _Stop(f"{NO_SKETCH}: {exc}") from None
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
                detail = _first_line(check.error or check.status.value)
                raise _Stop(f"{LEAN_FAILED}: {check.status.value}: {detail}")
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
                raise _Stop(f"{UNREPAIRABLE}: {exc}") from None
            masked_node = self._sketch_node(
                masked, {"masked": True, "round": round_number, "hints": _hints(masked)}
            )
            self._mask_edge(node, masked_node, action, check, meta)
            sketch, node = masked, masked_node
        raise _Stop(
            f"{UNREPAIRABLE}: the sketch still fails after {self.strategy.max_mask_rounds} "
            "masking rounds"
        )

    def _locate(self, text: str, check: CheckResult) -> list[LeanError]:
        errors: list[LeanError] = []
        for message in check.errors:
            where = locate(self.theorem, text, message.pos)
            if where is None:
                raise _Stop(f"{STATEMENT_ERROR}: {_first_line(message.text)}")
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
            lean=_outcome(check),
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
                return Claim(elaborated.text, PROVED, elaborated.node)
            raise _Stop(f"{SUBGOALS_UNPROVED}: Lean reported holes it did not place in the proof")
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
                f"{SUBGOALS_UNPROVED}: {len(remaining)} of {len(holes)} subgoal(s) unproved"
                f" ({_goals(remaining)})",
                near_miss=(proof, node),
            )
        return self._claim(proof, node)

    def _hole_prover(self, holes: int, previous: SubgoalProver | None = None) -> SubgoalProver:
        strategy = self.strategy
        return make_hole_prover(
            theorem=self.theorem,
            strategy=SKETCH,
            holes=holes,
            search=strategy.search,
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
            raise _Stop(f"{RECOMBINED_ERROR}: {_first_line(problem)}", near_miss=(proof, node))
        return Claim(proof, PROVED, node)


def _hints(sketch: Sketch) -> dict[str, list[str]]:
    """The hypotheses each hole's `prove_with` named, by the hole's first line."""
    return {step.head: list(step.hints) for step in sketch.holes if step.hints}


def _outcome(check: CheckResult) -> LeanOutcome:
    return LeanOutcome(check.status.value, round(check.elapsed_s * 1000.0, 3), check.messages)


def _goals(holes: Sequence[Hole]) -> str:
    return "; ".join(_first_line(hole.goal.rsplit("⊢", 1)[-1]) for hole in holes[:3])


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.split("\n", 1)[0][:200] if stripped else "no detail"
