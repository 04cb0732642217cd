"""Command mode: split a request text into commands and elaborate each on the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from standin import inject
from standin.builtins import BUILTINS
from standin.context import Context, ElabError, Message, SorryRecord
from standin.elab import Elaborator
from standin.env import Decl, Environment, Param, is_proof_type
from standin.expr import (
    NAT,
    TRUE,
    App,
    Const,
    Expr,
    Op,
    eval_closed,
    free_vars,
    subst,
)
from standin.goals import Goal
from standin.lexer import LexError, Source, Token, tokenize
from standin.pretty import show
from standin.syntax import ParseError, Parser, SParam, SStr, Syn, is_command_start, unexpected

_SKIPPED_COMMANDS = frozenset(
    [
        "macro",
        "macro_rules",
        "syntax",
        "notation",
        "infix",
        "infixl",
        "infixr",
        "prefix",
        "postfix",
        "elab",
        "run_cmd",
        "attribute",
        "instance",
        "structure",
        "inductive",
        "class",
        "universe",
    ]
)
_DECLARATIONS = frozenset({"theorem", "lemma", "example", "def", "abbrev", "axiom"})
_MODIFIERS = frozenset({"private", "protected", "noncomputable", "nonrec", "partial", "unsafe"})


@dataclass
class CommandResult:
    env: Environment
    messages: list[Message] = field(default_factory=list)
    sorries: list[tuple[SorryRecord, Decl | None]] = field(default_factory=list)


class _Exit(Exception):
    """`#exit`: ignore the rest of the text."""


class CommandRunner:
    def __init__(self, text: str, env: Environment, fresh: bool) -> None:
        self.source = Source(text)
        self.env = env
        self.header_open = fresh  # `import` allowed: no env given and nothing else seen yet
        self.result = CommandResult(env)
        self.parser: Parser | None = None

    # ------------------------------------------------------------ driver

    def run(self) -> CommandResult:
        try:
            tokens = tokenize(self.source.text)
        except LexError as exc:
            self._error(exc.message, exc.offset, exc.offset)
            return self._finish()
        p = self.parser = Parser(self.source, tokens)
        try:
            while p.peek().kind != "eof":
                tok = p.peek()
                if not is_command_start(tok):
                    self._error(f"{tok.describe()}; expected command", tok.start, tok.end)
                    self._skip_to_command(p, consume_first=True)
                    continue
                p.failure = None
                try:
                    self._command(p)
                except ParseError as exc:
                    self._error(exc.message, exc.start, exc.end)
                    self._skip_to_command(p, consume_first=False)
        except _Exit:
            pass
        return self._finish()

    def _finish(self) -> CommandResult:
        self.result.env = self.env
        return self.result

    def _skip_to_command(self, p: Parser, consume_first: bool) -> None:
        if consume_first:
            p.advance()
        while p.peek().kind != "eof" and not is_command_start(p.peek()):
            p.advance()

    def _error(self, text: str, start: int, end: int) -> None:
        self.result.messages.append(Message("error", text, start, end))

    def _info(self, text: str, start: int, end: int) -> None:
        self.result.messages.append(Message("info", text, start, end))

    # ------------------------------------------------------------ commands

    def _command(self, p: Parser) -> None:
        tok = p.peek()
        word = tok.text
        if word != "import":
            was_header = self.header_open
            self.header_open = False
        else:
            was_header = self.header_open
        with p.stop_at(p.col(tok)):
            if word == "import":
                self._import(p, was_header)
            elif word == "open":
                p.advance()
                while p.available() and p.peek().kind == "ident" and not is_command_start(p.peek()):
                    p.advance()
                self._maybe_in(p)
            elif word == "set_option":
                self._set_option(p)
            elif word in ("namespace", "section", "end"):
                p.advance()
                if p.available() and p.peek().kind == "ident" and not is_command_start(p.peek()):
                    p.advance()
            elif word == "variable":
                self._variable(p)
            elif word in _SKIPPED_COMMANDS or word == "@[":
                self._skip_or_attribute(p)
            elif word in _DECLARATIONS or word in _MODIFIERS:
                self._declaration(p)
            elif word == "#print":
                self._print(p)
            elif word == "#check":
                self._check(p)
            elif word == "#eval":
                self._eval(p)
            elif word == "#exit":
                raise _Exit
            else:
                p.advance()
                raise ParseError(
                    f"the stand-in REPL does not support the command `{word}`", tok.start, tok.end
                )

    def _import(self, p: Parser, allowed: bool) -> None:
        tok = p.advance()
        module = p.expect_ident()
        if not allowed:
            raise ParseError(
                "invalid 'import' command, it must be used in the beginning of the file",
                tok.start,
                module.end,
            )
        inject.on_import(module.text)
        self.env = Environment(imports=(*self.env.imports, module.text))

    def _maybe_in(self, p: Parser) -> None:
        if p.at_word("in"):
            p.advance()

    def _set_option(self, p: Parser) -> None:
        p.advance()
        name = p.expect_ident()
        value = p.advance()
        if value.kind not in ("ident", "num", "str"):
            raise unexpected(value, "option value")
        if p.at_word("in"):
            p.advance()
            return
        self.env = self.env.with_option(name.text, value.text)

    def _variable(self, p: Parser) -> None:
        p.advance()
        elab = Elaborator(Context(self.env, self.source))
        goal = _variables_goal(self.env)
        params: list[Param] = []
        while p.at_sym("(", "{", "[", "⦃"):
            for sp in p.bracketed_binder():
                param = self._param(elab, sp, goal)
                if param is None:
                    return
                params.append(param)
                goal = goal.with_hyp(param.name, param.type)
        self.env = self.env.with_variables(tuple(params))

    def _skip_or_attribute(self, p: Parser) -> None:
        tok = p.advance()
        if tok.text == "@[":
            while p.peek().kind != "eof" and not p.peek().is_sym("]"):
                p.advance()
            p.expect_sym("]")
            if p.peek().kind == "ident" and (p.peek().text in _DECLARATIONS | _MODIFIERS):
                self._declaration(p)
            return
        while p.peek().kind != "eof" and not is_command_start(p.peek()):
            p.advance()

    # ------------------------------------------------------------ declarations

    def _declaration(self, p: Parser) -> None:
        while p.peek().is_word(*_MODIFIERS):
            p.advance()
        kw = p.advance()
        if kw.text not in _DECLARATIONS:
            raise unexpected(kw, "declaration")
        name_tok = kw if kw.text == "example" else p.expect_ident()
        binders: list[SParam] = []
        while p.at_sym("(", "{", "[", "⦃"):
            binders.extend(p.bracketed_binder())
        type_stx: Syn | None = None
        if p.at_sym(":"):
            p.advance()
            type_stx = p.term(0)
        body: Syn | None = None
        if kw.text != "axiom":
            if p.at_sym("|"):
                raise ParseError(
                    "the stand-in REPL does not support definitions by pattern matching",
                    p.peek().start,
                    p.peek().end,
                )
            p.expect_sym(":=")
            body = p.term(0)
        elif type_stx is None:
            raise unexpected(p.peek(), "':'")
        parse_failure = p.failure
        if parse_failure is not None:
            self._error(parse_failure.message, parse_failure.start, parse_failure.end)
        self._elaborate_declaration(kw, name_tok, binders, type_stx, body)
        if parse_failure is not None:
            self._skip_to_command(p, consume_first=False)

    def _param(self, elab: Elaborator, sp: SParam, goal: Goal) -> Param | None:
        try:
            type_ = elab.to_expr(sp.type, goal) if sp.type is not None else NAT
        except ElabError as exc:
            self._error(exc.text, exc.start, exc.end)
            return None
        return Param(sp.name, type_, sp.explicit)

    def _elaborate_declaration(
        self,
        kw: Token,
        name_tok: Token,
        binders: list[SParam],
        type_stx: Syn | None,
        body: Syn | None,
    ) -> None:
        kind = {"lemma": "theorem", "abbrev": "def"}.get(kw.text, kw.text)
        name = "_example" if kind == "example" else name_tok.text
        if kind != "example" and (name in self.env.decls or BUILTINS.get(name) is not None):
            self._error(f"'{name}' has already been declared", name_tok.start, name_tok.end)
            return
        ctx = Context(self.env, self.source)
        elab = Elaborator(ctx)
        goal = _variables_goal(self.env)
        params: list[Param] = []
        for sp in binders:
            param = self._param(elab, sp, goal)
            if param is None:
                return
            params.append(param)
            goal = goal.with_hyp(param.name, param.type)
        try:
            if type_stx is None:
                statement = self._infer_def_type(elab, body, goal)
            elif kind == "def":
                statement = elab.to_expr(type_stx, goal)
            else:
                statement = elab.prop(type_stx, goal)
        except ElabError as exc:
            self._error(exc.text, exc.start, exc.end)
            return
        params, goal = self._with_variables(params, goal, statement)
        decl = Decl(name, kind, tuple(params), statement)
        ctx.self_decl = decl if kind != "example" else None
        value: Expr | None = None
        if body is not None:
            try:
                elab.check(body, statement, goal)
            except ElabError as exc:
                ctx.log_error(exc)
                ctx.admit()
            if kind == "def" and not ctx.has_errors:
                value = _data_value(elab, body, goal)
        self.result.messages.extend(ctx.messages)
        owner = decl if kind != "example" else None
        self.result.sorries.extend((s, owner) for s in ctx.sorries)
        if ctx.self_used:
            self._error(_termination_error(name, params), name_tok.start, name_tok.end)
            return
        if ctx.used_sorry and not ctx.has_errors:
            self.result.messages.append(
                Message("warning", "declaration uses `sorry`", name_tok.start, name_tok.end)
            )
        axioms = frozenset(ctx.axioms | ({name} if kind == "axiom" else set()))
        if kind != "example":
            final = Decl(name, kind, tuple(params), statement, axioms, value)
            self.env = self.env.with_decl(final)

    def _infer_def_type(self, elab: Elaborator, body: Syn | None, goal: Goal) -> Expr:
        if body is None:
            raise ElabError("type expected", 0, 0)
        return elab.sort_of(elab.to_expr(body, goal), goal) or NAT

    def _with_variables(
        self, params: list[Param], goal: Goal, statement: Expr
    ) -> tuple[list[Param], Goal]:
        """Lean includes the `variable`s the header mentions (and hypotheses about them)."""
        if not self.env.variables:
            return params, goal
        mentioned = free_vars(statement)
        for param in params:
            mentioned |= free_vars(param.type)
        included: list[Param] = []
        for var in reversed(self.env.variables):
            uses = var.name in mentioned or (
                is_proof_type(var.type)
                and free_vars(var.type) <= mentioned | {v.name for v in included}
            )
            if uses:
                included.insert(0, var)
                mentioned |= free_vars(var.type)
        new_goal = Goal((), goal.target)
        for param in (*included, *params):
            new_goal = new_goal.with_hyp(param.name, param.type)
        return [*included, *params], new_goal

    # ------------------------------------------------------------ #print / #check / #eval

    def _print(self, p: Parser) -> None:
        tok = p.advance()
        if not p.at_word("axioms"):
            target = p.peek()
            raise ParseError(
                "the stand-in REPL only supports `#print axioms NAME`", target.start, target.end
            )
        p.advance()
        name = p.expect_ident()
        decl = self.env.decls.get(name.text) or BUILTINS.get(name.text)
        if decl is None:
            self._error(f"Unknown constant `{name.text}`", name.start, name.end)
            return
        if not decl.axioms:
            self._info(f"'{decl.name}' does not depend on any axioms", tok.start, tok.end)
            return
        listed = ", ".join(sorted(decl.axioms, key=_name_order))
        self._info(f"'{decl.name}' depends on axioms: [{listed}]", tok.start, tok.end)

    def _check(self, p: Parser) -> None:
        tok = p.advance()
        term = p.term(0)
        elab = Elaborator(Context(self.env, self.source))
        goal = _variables_goal(self.env)
        try:
            name = getattr(term, "name", None)
            decl = self.env.decls.get(name) or BUILTINS.get(name) if name else None
            if decl is not None:
                self._info(signature(decl), tok.start, tok.end)
                return
            expr = elab.to_expr(term, goal)
            sort = elab.sort_of(expr, goal) or NAT
            self._info(f"{show(expr)} : {show(sort)}", tok.start, tok.end)
        except ElabError as exc:
            self._error(exc.text, exc.start, exc.end)

    def _eval(self, p: Parser) -> None:
        tok = p.advance()
        term = p.term(0)
        if isinstance(term, SStr):
            self._info(f'"{term.value}"', tok.start, tok.end)
            return
        elab = Elaborator(Context(self.env, self.source))
        try:
            expr = elab.to_expr(term, Goal((), TRUE))
        except ElabError as exc:
            self._error(exc.text, exc.start, exc.end)
            return
        value = eval_closed(_unfold_defs(expr, self.env))
        if value is None:
            self._error("the stand-in REPL cannot evaluate this expression", term.start, term.end)
            return
        self._info(str(value), tok.start, tok.end)


def _variables_goal(env: Environment) -> Goal:
    goal = Goal((), TRUE)
    for var in env.variables:
        goal = goal.with_hyp(var.name, var.type)
    return goal


def _data_value(elab: Elaborator, body: Syn, goal: Goal) -> Expr | None:
    try:
        return elab.to_expr(body, goal)
    except ElabError:
        return None


def _unfold_defs(expr: Expr, env: Environment, depth: int = 0) -> Expr:
    if depth > 50:
        return expr
    if isinstance(expr, Const):
        decl = env.decls.get(expr.name)
        if decl is not None and decl.value is not None and not decl.params:
            return _unfold_defs(decl.value, env, depth + 1)
        return expr
    if isinstance(expr, App) and isinstance(expr.fn, Const):
        decl = env.decls.get(expr.fn.name)
        if decl is not None and decl.value is not None and len(decl.params) == len(expr.args):
            mapping = {
                p.name: _unfold_defs(a, env, depth + 1)
                for p, a in zip(decl.params, expr.args, strict=True)
            }
            return _unfold_defs(subst(decl.value, mapping), env, depth + 1)
    if isinstance(expr, Op):
        return Op(expr.op, tuple(_unfold_defs(a, env, depth + 1) for a in expr.args))
    return expr


def _name_order(name: str) -> tuple[int, list[str]]:
    """Lean's `Name.lt`: shorter names first, then component-wise."""
    parts = name.split(".")
    return len(parts), parts


def signature(decl: Decl) -> str:
    """How `#check` shows a constant: `t (x : ℕ) (p q : Prop) (h : x = 3) : x + 2 = 5`."""
    if decl.kind == "builtin":
        return f"{decl.name} : {show(decl.type)}".replace("∀i", "∀")
    groups: list[tuple[list[str], Expr, bool]] = []
    for param in decl.params:
        if groups and groups[-1][1] == param.type and groups[-1][2] == param.explicit:
            groups[-1][0].append(param.name)
        else:
            groups.append(([param.name], param.type, param.explicit))
    parts = [decl.name]
    for names, type_, explicit in groups:
        opening, closing = ("(", ")") if explicit else ("{", "}")
        parts.append(f"{opening}{' '.join(names)} : {show(type_)}{closing}")
    return f"{' '.join(parts)} : {show(decl.type)}"


def _termination_error(name: str, params: list[Param]) -> str:
    if not any(p.explicit for p in params):
        detail = (
            f"well-founded recursion cannot be used, `{name}` does not take any (non-fixed) "
            "arguments"
        )
    else:
        detail = f"Could not find a decreasing measure for the recursive calls of `{name}`"
    return (
        f"fail to show termination for\n  {name}\nwith errors\nfailed to infer structural "
        f"recursion:\nno parameters suitable for structural recursion\n\n{detail}"
    )
