"""Session state (environments, proof states) and one handler per request kind."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standin.commands import CommandRunner
from standin.context import Context, Message, SorryRecord
from standin.elab import Elaborator
from standin.env import Decl, Environment
from standin.goals import Goal
from standin.lexer import LexError, Source, tokenize
from standin.pretty import notation, show_goal, show_goals
from standin.runner import Runner, TacticError
from standin.syntax import ParseError, Parser
from standin.tactic_syntax import parse_block

Reply = dict[str, Any]
SELF_REFERENCE = (
    "Error: kernel type check failed: (kernel) declaration has free variables '[anonymous]', "
    "expression: \n  _fvar.2"
)


@dataclass(frozen=True)
class ProofState:
    goals: tuple[Goal, ...]
    env: Environment
    owner: Decl | None  # the declaration being proved: citing it is a recursive reference
    has_sorry: bool = False
    self_used: bool = False


class Session:
    def __init__(self) -> None:
        self.envs: list[Environment] = []
        self.states: list[ProofState] = []

    # ------------------------------------------------------------ command / file

    def command(self, text: str, env_id: int | None) -> Reply:
        if env_id is not None and not 0 <= env_id < len(self.envs):
            return {"message": "Unknown environment."}
        base = self.envs[env_id] if env_id is not None else Environment()
        with notation(base.mathlib or _imports_mathlib(text)):
            result = CommandRunner(text, base, fresh=env_id is None).run()
            source = Source(text)
            # Sorries' proof states live in the environment from before this command.
            proof_env = base if env_id is not None else Environment(imports=result.env.imports)
            sorries = [
                self._sorry_json(record, source, proof_env, owner)
                for record, owner in result.sorries
            ]
            messages = [_message_json(m, source) for m in result.messages]
        self.envs.append(result.env)
        reply: Reply = {"env": len(self.envs) - 1}
        if messages:
            reply["messages"] = messages
        if sorries:
            reply["sorries"] = sorries
        return reply

    def file(self, path: str, env_id: int | None) -> Reply:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            return {
                "message": f"no such file or directory (error code: 2)\n  file: {path}"
                if isinstance(exc, FileNotFoundError)
                else str(exc)
            }
        return self.command(text, env_id)

    def _sorry_json(
        self, record: SorryRecord, source: Source, env: Environment, owner: Decl | None
    ) -> Reply:
        state_id = self._new_state(ProofState(record.goals, env, owner))
        entry: Reply = {"proofState": state_id, "goal": show_goals(record.goals)}
        if record.start is not None and record.end is not None:
            entry["pos"] = _pos(source, record.start)
            entry["endPos"] = _pos(source, record.end)
        return entry

    def _new_state(self, state: ProofState) -> int:
        self.states.append(state)
        return len(self.states) - 1

    # ------------------------------------------------------------ tactic mode

    def tactic(self, text: str, state_id: int) -> Reply:
        if not 0 <= state_id < len(self.states):
            return {"message": "Unknown proof state."}
        state = self.states[state_id]
        with notation(state.env.mathlib):
            return self._tactic(text, state)

    def _tactic(self, text: str, state: ProofState) -> Reply:
        source = Source(text)
        try:
            tokens = tokenize(text)
        except LexError as exc:
            return _lean_error(_input_error(source, exc.offset, exc.message))
        parser = Parser(source, tokens)
        first = parser.peek()
        try:
            block = parse_block(parser, -1)
            if parser.failure is not None:
                raise parser.failure
            if parser.peek().kind != "eof" or not block.tactics:
                tok = parser.peek()
                raise ParseError(f"{tok.describe()}; expected end of input", tok.start, tok.end)
        except ParseError as exc:
            if exc.message == "unknown tactic" and exc.start == first.start:
                return _lean_error("<input>:1:1: unknown tactic")
            return _lean_error(_input_error(source, exc.start, exc.message))
        ctx = Context(state.env, source, tactic_mode=True, self_decl=state.owner)
        try:
            goals = Runner(Elaborator(ctx)).run_block(block, list(state.goals))
        except TacticError as exc:
            return _lean_error(exc.text)
        sorries = [self._sorry_json(s, source, state.env, state.owner) for s in ctx.sorries]
        new_state = ProofState(
            tuple(goals),
            state.env,
            state.owner,
            has_sorry=state.has_sorry or ctx.admitted or ctx.used_sorry,
            self_used=state.self_used or ctx.self_used,
        )
        return self._state_reply(new_state, ctx.messages, sorries, source)

    def _state_reply(
        self, state: ProofState, messages: list[Message], sorries: list[Reply], source: Source
    ) -> Reply:
        state_id = self._new_state(state)
        reply: Reply = {"proofState": state_id, "goals": [show_goal(g) for g in state.goals]}
        if messages:
            reply["messages"] = [_message_json(m, source) for m in messages]
        if sorries:
            reply["sorries"] = sorries
        reply["proofStatus"] = _proof_status(state)
        return reply

    # ------------------------------------------------------------ pickling (Python pickles)

    def pickle_env(self, env_id: int, path: str) -> Reply:
        if not 0 <= env_id < len(self.envs):
            return {"message": "Unknown environment."}
        _dump(path, self.envs[env_id])
        return {"env": env_id}

    def unpickle_env(self, path: str) -> Reply:
        env = _load(path, Environment)
        if env is None:
            return {"message": f"the stand-in REPL cannot read an environment pickle from {path}"}
        self.envs.append(env)
        return {"env": len(self.envs) - 1}

    def pickle_state(self, state_id: int, path: str) -> Reply:
        if not 0 <= state_id < len(self.states):
            return {"message": "Unknown proof State."}
        state = self.states[state_id]
        _dump(path, state)
        with notation(state.env.mathlib):
            return self._state_reply(state, [], [], Source(""))

    def unpickle_state(self, path: str, env_id: int | None) -> Reply:
        if env_id is not None and not 0 <= env_id < len(self.envs):
            return {"message": "Unknown environment."}
        state = _load(path, ProofState)
        if state is None:
            return {"message": f"the stand-in REPL cannot read a proof-state pickle from {path}"}
        if env_id is not None:
            state = ProofState(state.goals, self.envs[env_id], state.owner, state.has_sorry)
        with notation(state.env.mathlib):
            return self._state_reply(state, [], [], Source(""))


def _dump(path: str, value: object) -> None:
    Path(path).write_bytes(pickle.dumps(value))


def _load(path: str, kind: type) -> Any:
    try:
        value = pickle.loads(Path(path).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return None
    return value if isinstance(value, kind) else None


def _proof_status(state: ProofState) -> str:
    if state.goals:
        return "Incomplete: open goals remain"
    if state.self_used:
        return SELF_REFERENCE
    if state.has_sorry:
        return "Incomplete: contains sorry"
    return "Completed"


def _imports_mathlib(text: str) -> bool:
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["import"] and len(words) > 1 and words[1].startswith("Mathlib"):
            return True
    return False


def _pos(source: Source, offset: int) -> Reply:
    line, column = source.position(offset)
    return {"line": line, "column": column}


def _message_json(message: Message, source: Source) -> Reply:
    if message.start is None or message.end is None:
        pos = end = {"line": 0, "column": 0}
    else:
        pos, end = _pos(source, message.start), _pos(source, message.end)
    return {"severity": message.severity, "pos": pos, "endPos": end, "data": message.text.strip()}


def _lean_error(text: str) -> Reply:
    return {"message": f"Lean error:\n{text}"}


def _input_error(source: Source, offset: int, message: str) -> str:
    line, column = source.position(offset)
    return f"<input>:{line}:{column}: {message}"
