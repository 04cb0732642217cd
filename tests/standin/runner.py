"""The tactic interpreter: runs parsed tactic blocks on goals, with Lean's error recovery.

Tactics register themselves with `on_main` / `on_goals`; the modules defining them are
imported at the bottom of this file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from standin.context import ElabError
from standin.expr import Expr
from standin.goals import Goal
from standin.pretty import show_goals
from standin.syntax import SBy
from standin.tactic_syntax import Block, Tactic

if TYPE_CHECKING:
    from standin.elab import Elaborator


class TacticError(Exception):
    """A tactic threw: the rest of its sequence is skipped (command mode) or the step fails."""

    def __init__(self, text: str, start: int, end: int) -> None:
        super().__init__(text)
        self.text = text
        self.start = start
        self.end = end


def run_term_block(elab: Elaborator, stx: SBy, goal: Goal) -> None:
    """Elaborate `by …` against `goal`; failures are logged and the goal admitted, as Lean does."""
    ctx = elab.ctx
    runner = Runner(elab)
    try:
        goals = runner.run_block(stx.block, [goal])
    except TacticError as exc:
        ctx.error(exc.text, exc.start, exc.end)
        ctx.admit()
        return
    if stx.block.incomplete:
        ctx.admit()  # Lean elaborates the partial syntax silently after a parse error
    elif goals:
        ctx.error("unsolved goals\n" + show_goals(goals), stx.start, stx.end)
        ctx.admit()


Handler = Callable[["Runner", Tactic, list[Goal]], list[Goal]]
MainHandler = Callable[["Runner", Tactic, Goal], list[Goal]]
_HANDLERS: dict[str, Handler] = {}


def on_goals(*kinds: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for kind in kinds:
            _HANDLERS[kind] = fn
        return fn

    return register


def on_main(*kinds: str) -> Callable[[MainHandler], MainHandler]:
    """Register a tactic acting on the main goal only."""

    def register(fn: MainHandler) -> MainHandler:
        def handler(runner: Runner, tac: Tactic, goals: list[Goal]) -> list[Goal]:
            if not goals:
                raise TacticError("No goals to be solved", tac.start, tac.end)
            return fn(runner, tac, goals[0]) + goals[1:]

        for kind in kinds:
            _HANDLERS[kind] = handler
        return fn

    return register


class Runner:
    def __init__(self, elab: Elaborator) -> None:
        self.elab = elab
        self.ctx = elab.ctx

    def run_block(self, block: Block, goals: list[Goal]) -> list[Goal]:
        for tac in block.tactics:
            goals = self.run(tac, goals)
        return goals

    def run(self, tac: Tactic, goals: list[Goal]) -> list[Goal]:
        handler = _HANDLERS.get(tac.kind)
        if handler is None:
            name = tac.arg if tac.kind == "unsupported" else tac.kind
            raise TacticError(
                f"the stand-in REPL does not implement the tactic `{name}`", tac.start, tac.end
            )
        return handler(self, tac, goals)

    # ------------------------------------------------------------ helpers used by handlers

    def recover(self, block: Block, goal: Goal, start: int, end: int) -> None:
        """Run a focused block; errors and leftover goals are reported and the goal admitted."""
        try:
            left = self.run_block(block, [goal])
        except TacticError as exc:
            self.ctx.error(exc.text, exc.start, exc.end)
            self.ctx.admit()
            return
        if left and not block.incomplete:
            self.ctx.error("unsolved goals\n" + show_goals(left), start, end)
        if left or block.incomplete:
            self.ctx.admit()

    def elab_check(self, tac: Tactic, goal: Goal, target: Expr) -> None:
        """`exact`-style elaboration: nested errors are logged (goal admitted), others thrown."""
        try:
            self.elab.check(tac.terms[0], target, goal)
        except ElabError as exc:
            if not exc.recoverable:
                raise TacticError(exc.text, exc.start, exc.end) from exc
            self.ctx.log_error(exc)
            self.ctx.admit()

    def prop(self, tac: Tactic, goal: Goal, allow_types: bool = False) -> Expr:
        assert tac.type is not None
        try:
            return self.elab.prop(tac.type, goal, allow_types)
        except ElabError as exc:
            raise TacticError(exc.text, exc.start, exc.end) from exc

    def infer(self, tac: Tactic, goal: Goal, index: int = 0) -> Expr:
        try:
            return self.elab.infer(tac.terms[index], goal)
        except ElabError as exc:
            raise TacticError(exc.text, exc.start, exc.end) from exc


def fail(tac: Tactic, text: str) -> TacticError:
    return TacticError(text, tac.start, tac.end)


# Importing these registers their tactics.
from standin import automation, destruct, inject, tactics  # noqa: E402, F401
