"""Conjecture correction: the model re-proves a hole, told what went wrong there.

After Lyra's Conjecture Correction (§5.2 of /work/shared/research/algorithms.md), as a
chat of three turns: the theorem to prove; the previous proof, as the model's own
answer; and Lean's verdict on it: the failing step, its error class and the message
with its line breaks removed, and the goal still to be proved (the hole's, with its
local context). The reply's tactics run one by one on the hole's proof state. If they
do not close it, the next level asks again with the new failing step and error,
continuing from the state the successful prefix reached (so each level recurses into
what is left), down to `depth` levels. Every tactic run is a TACTIC edge under the
hole's SUBGOAL node, proposed by the model (its settings and prompt hash recorded).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from prover.errors import GenerationError
from prover.generate.llm import ChatMessage, LanguageModel
from prover.generate.prompts import lean_code_block
from prover.proof_text import fill_sorry, parse_steps, top_level_assign
from prover.protocols import EdgeKind, LeanOutcome, NodeKind
from prover.strategies.automation import no_goals_node
from prover.strategies.base import ModelReply, ProofContext
from prover.strategies.holes import Hole
from prover.strategies.search.tree import normalise_goals
from prover.types import ProofState, Provenance, TacticResult, TacticStatus, Theorem
from repair.diagnose import Diagnosis, classify
from repair.rules import refined

ROLE = "conjecture_correction"
DEFAULT_DEPTH = 2
DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_TOKENS = 2048

SYSTEM = (
    "You are an expert in Lean 4 and Mathlib. You repair proofs that Lean rejected, "
    "using Lean's error messages."
)
_DECLARATION = re.compile(r"^\s*(?:@\[[^\]]*\]\s*)?(?:theorem|lemma|example)(?![\w.'])")
_TERM = re.compile(r"^\s*(?:⟨|fun(?![\w.'])|λ)")  # bare code that can only be a term
_LEAN_ERROR_PREFIX = re.compile(r"^Lean error:\s*")


@dataclass(frozen=True)
class HoleContext:
    """What the model is told about a hole: the proof Lean rejected, the step that
    failed where the hole now is ("" when the proof itself left a `sorry` there), and
    the error; `holed_proof` is the proof with the hole, where a later level shows the
    model's own attempt in place."""

    previous_proof: str
    failing: str
    error: str
    holed_proof: str | None = None


def hole_context(
    previous_proof: str, failing: str, diagnosis: Diagnosis | None, holed_proof: str | None = None
) -> HoleContext:
    error = diagnosis.summary() if diagnosis else "the proof leaves this goal open (`sorry`)"
    return HoleContext(previous_proof, failing, error, holed_proof)


def correction_prompt(theorem: Theorem, context: HoleContext, goal: str) -> list[ChatMessage]:
    ask_proof = f"Prove this theorem in Lean 4:\n```lean4\n{theorem.statement} := by\n  sorry\n```"
    failing = (
        f"The step\n```lean4\n{context.failing.strip()}\n```\nfailed with {context.error}\n\n"
        if context.failing.strip()
        else f"Lean says: {context.error}\n\n"
    )
    feedback = (
        f"Lean rejected your proof.\n\n{failing}"
        f"Prove the goals at that point; their hypotheses are in scope:\n```\n{goal}\n```\n\n"
        "Reply with the Lean 4 tactics that prove this goal, in one ```lean4 block, "
        "without `by` and without restating the theorem."
    )
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": ask_proof},
        {
            "role": "assistant",
            "content": f"```lean4\n{theorem.with_proof(context.previous_proof)}\n```",
        },
        {"role": "user", "content": feedback},
    ]


def proof_from_reply(reply: str) -> str | None:
    """The proof body in a model's reply: what follows the declaration's `:=` when it
    wrote the whole theorem (its own statement is dropped), else the code itself: a
    term when it starts like one (`⟨`, `fun`), else tactics (a `by` block)."""
    code = lean_code_block(reply).strip("\n")
    if _DECLARATION.match(code):
        assign = top_level_assign(code)
        if assign is None:
            return None
        body = textwrap.dedent(code[assign + 2 :].strip(" ")).strip()
        return body or None
    body = textwrap.dedent(code).strip("\n")
    if not body.strip():
        return None
    if re.match(r"^\s*by(?![\w.'])", body) or _TERM.match(body):
        return body.strip()
    return "by\n" + textwrap.indent(body, "  ")


def script_from_reply(reply: str, theorem: Theorem) -> list[str]:
    """The reply's tactics, refined by the syntax rules, as top-level steps (each a
    possibly multi-line tactic, dedented); [] when there are none."""
    proof = proof_from_reply(reply)
    if proof is None:
        return []
    if not re.match(r"^by(?![\w.'])", proof):
        proof = f"by\n  exact {proof}"
    proof = refined(proof, theorem)
    lines = proof.split("\n")
    if lines[0].strip() != "by":
        lines = ["by", "  " + lines[0].strip()[2:].strip(), *lines[1:]]
    steps = parse_steps("\n".join(lines))
    return [
        textwrap.dedent("\n".join(lines[step.start : step.end + 1])).strip("\n") for step in steps
    ]


@dataclass(frozen=True)
class ScriptRun:
    """Tactics of one reply run on a state: how many succeeded, the state and graph node
    they reached, whether that closed the goal, and else the step that failed and why."""

    done: list[str]
    state: ProofState
    node: int
    solved: bool
    failing: str
    error: str


class ConjectureProver:
    """A `prover.strategies.holes.HoleProver` that asks `model` (see the module docstring)."""

    def __init__(
        self,
        model: LanguageModel,
        theorem: Theorem,
        contexts: Callable[[Hole], HoleContext],
        *,
        strategy: str,
        depth: int = DEFAULT_DEPTH,
        temperature: float = DEFAULT_TEMPERATURE,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self.model = model
        self.theorem = theorem
        self.contexts = contexts
        self.strategy = strategy
        self.depth = depth
        self.temperature = temperature
        self.max_tokens = max_tokens

    def __call__(self, hole: Hole, ctx: ProofContext) -> list[str] | None:
        if hole.state is None:
            return None
        context = self.contexts(hole)
        state, node, prefix = hole.state, hole.node, []
        for level in range(self.depth):
            if ctx.budget.exhausted() is not None:
                return None
            try:
                reply = ctx.ask(
                    self.model,
                    ROLE,
                    correction_prompt(self.theorem, context, state.text),
                    max_tokens=self.max_tokens,
                    temperature=self.temperature,
                )
            except GenerationError as exc:
                ctx.recorder.event("generator_error", f"{ROLE}: {exc}")
                return None
            script = script_from_reply(reply.text, self.theorem)
            if not script:
                return None
            run = self._run(script, state, node, ctx, reply, level)
            if run.solved:
                # One multi-line script: `fill_sorry` lays it out as lines (bullets
                # included) instead of joining one-line tactics with `;`.
                return ["\n".join([*prefix, *run.done])]
            attempt = _in_place(context.holed_proof, hole, [*prefix, *script])
            context = HoleContext(attempt, run.failing, run.error, context.holed_proof)
            prefix += run.done
            state, node = run.state, run.node
        return None

    def _run(
        self,
        script: list[str],
        state: ProofState,
        node: int,
        ctx: ProofContext,
        reply: ModelReply,
        level: int,
    ) -> ScriptRun:
        done: list[str] = []
        for tactic in script:
            result = ctx.run_tactic(state, tactic)
            child = self._record(tactic, result, node, ctx, reply.provenance, level)
            if result.solved:
                return ScriptRun([*done, tactic], state, node, True, "", "")
            if result.status is not TacticStatus.OPEN_GOALS or result.state is None:
                return ScriptRun(done, state, node, False, tactic, _error_of(result))
            assert child is not None
            done.append(tactic)
            state, node = result.state, child
        goals = "\n\n".join(state.goals)
        return ScriptRun(done, state, node, False, "", f"unsolved_goals: {' '.join(goals.split())}")

    def _record(
        self,
        tactic: str,
        result: TacticResult,
        parent: int,
        ctx: ProofContext,
        provenance: Provenance,
        level: int,
    ) -> int | None:
        if result.solved:
            child: int | None = no_goals_node(ctx)
        elif result.status is TacticStatus.OPEN_GOALS and result.state is not None:
            goals = result.state.goals
            child = ctx.recorder.node(
                NodeKind.PROOF_STATE,
                result.state.text,
                key=f"goals:{normalise_goals(goals)}",
                goals=goals,
            )
        else:
            child = None
        ctx.recorder.edge(
            EdgeKind.TACTIC,
            [parent],
            child,
            tactic,
            strategy=self.strategy,
            proposer=provenance,
            lean=LeanOutcome.of(result),
            meta={"conjecture_correction_level": level + 1},
        )
        return child


def _in_place(holed_proof: str | None, hole: Hole, script: list[str]) -> str:
    """The proof with `script` where the hole is (the script alone, as a whole proof,
    when the hole cannot be placed)."""
    if holed_proof is not None:
        try:
            return fill_sorry(holed_proof, hole.line, hole.column, ["\n".join(script)])
        except (ValueError, IndexError):
            pass
    return "by\n" + textwrap.indent("\n".join(script), "  ")


def _error_of(result: TacticResult) -> str:
    texts = [m.text for m in result.messages if m.is_error] or [result.error or ""]
    text = _LEAN_ERROR_PREFIX.sub("", texts[0]).strip() or result.status.value
    return f"{classify(text).kind.value}: {' '.join(text.split())}"
