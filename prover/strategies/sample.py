"""`sample`: whole proofs written by a model, many samples, each judged by the gate.

The model writes the entire proof (`prover.generate.whole_proof_prompts`, the prompt of
its family); each reply is read (`prover.generate.whole_proof_reply`: reasoning dropped,
last complete `lean4` block, the statement always the theorem's own) and its body goes
through the soundness gate behind the check cache (`prover.strategies.checked`), so
identical proofs are checked once, in this attempt and in any later one.

- Samples are asked `batch` at a time (`n` per request where the server honours it) and
  checked as they arrive, `workers` at once across the REPL pool (the pool reuses the
  header's environment).
- The attempt stops at the first verified sample, unless `all_samples`: then it draws
  all `samples`, so that pass@k is measured honestly.
- `mode`: `plain` (no chain of thought, `plain_max_tokens`), `cot` (the family's
  chain-of-thought prompt, `cot_max_tokens`), or `auto`, an escalation: the first
  `plain_share` of the samples are plain, and only a theorem still open after them
  switches to chain-of-thought samples. (With `all_samples`, a theorem a plain sample
  proved draws the rest plain: chain-of-thought tokens go only to open theorems.)
- When no sample verifies, the `repair` closest failed samples (fewest errors, then the
  latest first error) go to the `repairer` within what is left of the budget; without a
  repairer (inside `auto`, whose repair stage follows) the closest is the near-miss.

Graph: every sample is a `sample` node under the statement (a `sample` edge carrying the
proposer and tokens), and every distinct proof text one `check` node, which the `check`
edges of all identical samples point to (see `docs/whole-proof.md`).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from prover.errors import GenerationError
from prover.generate.llm import LanguageModel
from prover.generate.whole_proof_prompts import (
    WholeProofFormat,
    WholeProofPrompt,
    detect_whole_proof_format,
    make_whole_proof_format,
)
from prover.generate.whole_proof_reply import ProofBody, ReplyReading, read_reply
from prover.proof_key import proof_key
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus
from prover.strategies.base import Claim, ModelReply, ProofContext, Repairer, first_line
from prover.strategies.checked import Judged, MeteredLean, check_key, gate
from prover.types import Message, StopReason, Theorem, Verdict, VerdictKind

SAMPLE = "sample"
SAMPLER = "sampler"  # the proposer's role in the graph
REFUSED = "refused"  # a sample's verdict when its reply offered no proof to check
REPLY_CHARS = 20_000  # of a reply's raw text kept in its node's meta


class Mode(StrEnum):
    PLAIN = "plain"
    COT = "cot"
    AUTO = "auto"


@dataclass
class ModeTally:
    """What one mode's samples cost and achieved in one attempt."""

    samples: int = 0
    correct: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    checks: int = 0  # Lean checks made (not served from the cache, not a duplicate)
    cached: int = 0  # answers served from the check cache
    refused: int = 0  # replies with nothing to check (no block, changed statement, …)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SampleOutcome:
    index: int
    mode: str
    verdict: str  # proved, failed, rejected or refused
    reason: str | None

    @property
    def correct(self) -> bool:
        return self.verdict == VerdictKind.PROVED.value


@dataclass(frozen=True)
class SampleReport:
    """The account of one attempt's samples: how many, which were correct, per mode."""

    requested: int
    all_samples: bool
    outcomes: tuple[SampleOutcome, ...]
    modes: dict[str, ModeTally]
    repaired: bool = False

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def correct(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def complete(self) -> bool:
        """Every requested sample was drawn (what an honest pass@k needs)."""
        return self.n >= self.requested

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "all_samples": self.all_samples,
            "n": self.n,
            "correct": self.correct,
            "complete": self.complete,
            "repaired": self.repaired,
            "modes": {name: tally.as_dict() for name, tally in self.modes.items()},
            "outcomes": [o.verdict if o.reason is None else o.reason for o in self.outcomes],
        }


@dataclass
class _Sample:
    index: int
    mode: Mode
    reply: ModelReply
    body: str | None
    key: str | None
    refusal: str = ""
    node: int | None = None


@dataclass
class _Check:
    future: Future[tuple[Judged, float]]
    node: int | None = None
    waiting: list[_Sample] = field(default_factory=list)


class SampleStrategy:
    """See the module docstring."""

    name = SAMPLE

    def __init__(
        self,
        *,
        model: LanguageModel,
        samples: int = 8,
        batch: int = 4,
        mode: str = Mode.PLAIN,
        prompt_format: str | None = None,
        plain_share: float = 0.5,
        plain_max_tokens: int = 1024,
        cot_max_tokens: int = 8192,
        temperature: float = 1.0,
        all_samples: bool = False,
        repair: int = 1,
        repairer: Repairer | None = None,
        workers: int = 4,
    ) -> None:
        if samples < 1 or batch < 1 or workers < 1 or repair < 0:
            raise ValueError("samples, batch and workers must be at least 1, repair at least 0")
        if not 0.0 < plain_share <= 1.0:
            raise ValueError(f"plain_share must lie in (0, 1], not {plain_share}")
        if min(plain_max_tokens, cot_max_tokens) < 1:
            raise ValueError("token caps must be at least 1")
        self.model = model
        self.samples = samples
        self.batch = batch
        self.mode = Mode(mode)
        self.format: WholeProofFormat = (
            make_whole_proof_format(prompt_format)
            if prompt_format
            else detect_whole_proof_format(model.model)
        )
        self.plain_share = plain_share
        self.max_tokens = {Mode.PLAIN: plain_max_tokens, Mode.COT: cot_max_tokens}
        self.temperature = temperature
        self.all_samples = all_samples
        self.repair = repair
        self.repairer = repairer
        self.workers = workers

    def config(self) -> dict[str, object]:
        return {
            "strategy": self.name,
            "model": self.model.name,
            "samples": self.samples,
            "batch": self.batch,
            "mode": self.mode.value,
            "prompt_format": self.format.name,
            "plain_share": self.plain_share,
            "plain_max_tokens": self.max_tokens[Mode.PLAIN],
            "cot_max_tokens": self.max_tokens[Mode.COT],
            "temperature": self.temperature,
            "all_samples": self.all_samples,
            "repair": self.repair if self.repairer is not None else 0,
        }

    def schedule(self) -> list[tuple[Mode, int]]:
        """The phases of the attempt: (mode, samples)."""
        if self.mode is not Mode.AUTO:
            return [(self.mode, self.samples)]
        plain = max(1, math.ceil(self.samples * self.plain_share))
        phases = [(Mode.PLAIN, min(plain, self.samples))]
        return [*phases, (Mode.COT, self.samples - plain)] if plain < self.samples else phases

    def attempt(self, theorem: Theorem, ctx: ProofContext, root: int) -> Claim:
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sample") as pool:
            run = _Run(self, theorem, ctx, root, pool)
            return run.go()


class _Run:
    """One attempt of the sample strategy."""

    def __init__(
        self,
        strategy: SampleStrategy,
        theorem: Theorem,
        ctx: ProofContext,
        root: int,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.s = strategy
        self.theorem = theorem
        self.ctx = ctx
        self.root = root
        self.pool = pool
        self.lean = MeteredLean(ctx)
        self.samples: list[_Sample] = []
        self.outcomes: dict[int, SampleOutcome] = {}
        self.tallies: dict[str, ModeTally] = {}
        self.checks: dict[str, _Check] = {}
        self.readings: dict[tuple[str, str | None], ReplyReading] = {}
        self.keys: dict[str, str] = {}  # proof body -> its check key
        self.open: list[_Check] = []
        self.proof: _Sample | None = None
        self.verdicts: dict[int, Verdict] = {}
        self.stop: StopReason | None = None
        self.error: GenerationError | None = None

    def go(self) -> Claim:
        for mode, count in self.s.schedule():
            if mode is Mode.COT:
                self._harvest(block=True)  # escalate only if no plain sample proved it
            if mode is Mode.COT and self.proof is not None:
                if not self.s.all_samples:
                    break
                mode = Mode.PLAIN  # proved already: the rest need no chain of thought
            self._phase(mode, count)
            if self.stop is not None or self.error is not None:
                break
        self._harvest(block=True)
        report = self._report()
        if self.proof is not None:
            assert self.proof.body is not None
            return Claim(self.proof.body, StopReason.PROVED, self.proof.node, report=report)
        if self.error is not None and not self.samples:
            detail = first_line(str(self.error))
            return Claim(None, StopReason(self.error.code), detail=detail, report=report)
        return self._repair_closest(report)

    # -- sampling ---------------------------------------------------------------------------

    def _phase(self, mode: Mode, count: int) -> None:
        prompt = self.s.format.render(self.theorem, cot=mode is Mode.COT)
        drawn = 0
        while drawn < count:
            self._harvest(block=not self.s.all_samples)
            if self.proof is not None and not self.s.all_samples:
                return
            self.stop = self.ctx.budget.exhausted()
            if self.stop is not None:
                return
            want = min(self.s.batch, count - drawn)
            try:
                replies = self.ctx.ask_many(
                    self.s.model,
                    SAMPLER,
                    prompt.prompt,
                    n=want,
                    max_tokens=self.s.max_tokens[mode],
                    temperature=self.s.temperature,
                    stop=prompt.stop,
                )
            except GenerationError as exc:
                self.error = exc
                self.ctx.recorder.event("sample_generation_failed", first_line(str(exc)))
                return
            drawn += min(len(replies), want)
            if self.ctx.checks is not None:  # one query for the batch's stored answers
                readings = (self._read(reply, prompt) for reply in replies[:want])
                bodies = [r.body for r in readings if isinstance(r, ProofBody)]
                self.ctx.checks.prefetch(self._key(body) for body in bodies)
            for reply in replies[:want]:
                self._take(reply, mode, prompt)
            self.ctx.progress(SAMPLE, len(self.samples), 0, f"{mode.value} samples")

    def _take(self, reply: ModelReply, mode: Mode, prompt: WholeProofPrompt) -> None:
        tally = self.tallies.setdefault(mode.value, ModeTally())
        tally.samples += 1
        tally.tokens_in += reply.tokens_in
        tally.tokens_out += reply.tokens_out
        reading = self._read(reply, prompt)
        index = len(self.samples)
        if not isinstance(reading, ProofBody):
            sample = _Sample(index, mode, reply, None, None, refusal=reading.reason.value)
            self.samples.append(sample)
            tally.refused += 1
            self._record_refused(sample, reading.detail)
            return
        key = self._key(reading.body)
        sample = _Sample(index, mode, reply, reading.body, key)
        self.samples.append(sample)
        check = self.checks.get(key)
        if check is None:
            check = _Check(self.pool.submit(self._judge, reading.body, key))
            self.checks[key] = check
            self.open.append(check)
        check.waiting.append(sample)
        if check.node is not None:  # judged already: a duplicate of an earlier sample
            self._record_checked(sample, check)

    def _read(self, reply: ModelReply, prompt: WholeProofPrompt) -> ReplyReading:
        reading = self.readings.get((reply.text, reply.finish_reason))
        if reading is None:  # a reply written again is read once
            reading = read_reply(
                reply.text,
                self.theorem,
                continues_block=prompt.continues_block,
                finish_reason=reply.finish_reason,
            )
            self.readings[(reply.text, reply.finish_reason)] = reading
        return reading

    def _key(self, body: str) -> str:
        key = self.keys.get(body)
        if key is None:  # a body written again is hashed once
            cache = self.ctx.checks
            key = (
                check_key(cache, self.theorem, body)
                if cache is not None
                else proof_key(
                    lean_pin="",
                    header=self.theorem.header,
                    statement=self.theorem.statement,
                    body=body,
                )
            )
            self.keys[body] = key
        return key

    def _judge(self, body: str, key: str) -> tuple[Judged, float]:
        started = time.monotonic()
        cached_key = key if self.ctx.checks is not None else None
        judged = gate(self.theorem, body, self.ctx, self.lean, cached_key)
        return judged, time.monotonic() - started

    def _harvest(self, *, block: bool) -> None:
        """Record the checks that have finished (all of them when `block`)."""
        while self.open:
            done = [c for c in self.open if c.future.done()]
            if not done:
                if not block:
                    return
                wait([c.future for c in self.open], return_when=FIRST_COMPLETED)
                continue
            for check in done:
                self.open.remove(check)
                for sample in check.waiting:
                    self._record_checked(sample, check)

    # -- the graph ----------------------------------------------------------------------------

    def _sample_node(
        self, sample: _Sample, verdict: str, reason: str | None, meta: dict[str, Any]
    ) -> int:
        reply = sample.reply
        text = self.theorem.with_proof(sample.body) if sample.body is not None else reply.text
        node = self.ctx.recorder.node(
            NodeKind.SAMPLE,
            text,
            key=f"sample:{sample.index}",
            status=NodeStatus.SOLVED if verdict == VerdictKind.PROVED.value else NodeStatus.FAILED,
            meta={
                "index": sample.index,
                "mode": sample.mode.value,
                "format": self.s.format.name,
                "tokens_in": reply.tokens_in,
                "tokens_out": reply.tokens_out,
                "finish_reason": reply.finish_reason,
                "verdict": verdict,
                "reason": reason,
                "reply": reply.text[:REPLY_CHARS],
                **meta,
            },
        )
        self.ctx.recorder.edge(
            EdgeKind.SAMPLE,
            [self.root],
            node,
            f"sample {sample.index} ({sample.mode.value})",
            strategy=SAMPLE,
            proposer=reply.provenance,
            meta={
                "mode": sample.mode.value,
                "tokens_in": reply.tokens_in,
                "tokens_out": reply.tokens_out,
            },
        )
        sample.node = node
        return node

    def _record_refused(self, sample: _Sample, detail: str) -> None:
        reason = sample.refusal.replace(" ", "_")
        self._sample_node(sample, REFUSED, reason, {"detail": detail, "check_s": 0.0})
        self._outcome(sample, REFUSED, reason)

    def _record_checked(self, sample: _Sample, check: _Check) -> None:
        if sample.node is not None:
            return
        judged, elapsed = check.future.result()
        verdict = judged.verdict
        first = check.node is None
        duplicate = not first
        spent = 0.0 if duplicate or judged.cached else elapsed
        meta = {
            "detail": verdict.detail,
            "check_key": sample.key,
            "cached": judged.cached,
            "duplicate": duplicate,
            "check_s": round(spent, 6),
        }
        node = self._sample_node(sample, verdict.kind.value, verdict.reason, meta)
        if first:
            check.node = self.ctx.recorder.node(
                NodeKind.CHECK,
                self.theorem.with_proof(sample.body or ""),
                key=f"check:{sample.key}",
                status=NodeStatus.SOLVED if verdict.proved else NodeStatus.FAILED,
                meta={
                    "check_key": sample.key,
                    "verdict": verdict.kind.value,
                    "reason": verdict.reason,
                    "detail": verdict.detail,
                    "axioms": list(verdict.axioms),
                    "cached": judged.cached,
                    "check_s": round(0.0 if judged.cached else elapsed, 6),
                },
            )
        self.ctx.recorder.edge(
            EdgeKind.CHECK,
            [node],
            check.node,
            "check cache" if judged.cached else ("duplicate" if duplicate else "lean check"),
            strategy=SAMPLE,
            lean=LeanOutcome.of_verdict(verdict, spent) if first and judged.exact_text else None,
            meta={"cached": judged.cached, "duplicate": duplicate},
        )
        tally = self.tallies[sample.mode.value]
        if first and not judged.cached:
            tally.checks += 1
        if judged.cached and first:
            tally.cached += 1
        self.verdicts[sample.index] = verdict
        self._outcome(sample, verdict.kind.value, verdict.reason)
        if verdict.proved:
            tally.correct += 1
            if self.proof is None:
                self.proof = sample

    def _outcome(self, sample: _Sample, verdict: str, reason: str | None) -> None:
        self.outcomes[sample.index] = SampleOutcome(
            sample.index, sample.mode.value, verdict, reason
        )

    def _report(self, repaired: bool = False) -> SampleReport:
        return SampleReport(
            requested=self.s.samples,
            all_samples=self.s.all_samples,
            outcomes=tuple(self.outcomes[i] for i in sorted(self.outcomes)),
            modes=self.tallies,
            repaired=repaired,
        )

    # -- near-misses --------------------------------------------------------------------------

    def _closest(self) -> list[_Sample]:
        """Failed samples Lean answered with errors, closest first: fewest errors, then
        the latest first error; one per distinct proof."""
        seen: set[str] = set()
        ranked: list[tuple[tuple[int, int, int], _Sample]] = []
        for sample in self.samples:
            verdict = self.verdicts.get(sample.index)
            if verdict is None or verdict.reason != "lean_error" or sample.key in seen:
                continue
            assert sample.key is not None
            seen.add(sample.key)
            ranked.append((_distance(verdict.messages), sample))
        ranked.sort(key=lambda pair: pair[0])
        return [sample for _, sample in ranked]

    def _repair_closest(self, report: SampleReport) -> Claim:
        closest = self._closest()
        detail = f"{report.correct} of {report.n} sample(s) verified"
        reason = self.stop or StopReason.NO_SAMPLE_VERIFIED
        near = closest[0] if closest else None
        if self.s.repairer is not None and self.s.repair > 0:
            chosen = closest[: self.s.repair]
            for position, sample in enumerate(chosen):
                if self.ctx.budget.exhausted() is not None:
                    break
                assert sample.body is not None and sample.node is not None
                child = self.ctx.budget.child(1.0 / (len(chosen) - position))
                self.ctx.recorder.event("sample_repair", f"sample {sample.index}")
                claim = self.s.repairer(
                    self.theorem,
                    sample.body,
                    self.ctx.with_budget(child),
                    node=sample.node,
                    model=None,
                    generator=None,
                    strategy=SAMPLE,
                )
                self.ctx.budget.absorb(child)
                if claim.proof is not None:
                    return Claim(
                        claim.proof, StopReason.REPAIRED, claim.node, report=self._report(True)
                    )
                near = sample
        if near is None:
            return Claim(None, reason, detail=detail, report=report)
        return Claim(
            None, reason, node=near.node, near_miss=near.body, detail=detail, report=report
        )


def _distance(messages: tuple[Message, ...]) -> tuple[int, int, int]:
    errors = [m for m in messages if m.is_error]
    if not errors:
        return (0, 0, 0)
    first = min(errors, key=lambda m: (m.pos.line, m.pos.column))
    return (len(errors), -first.pos.line, -first.pos.column)
