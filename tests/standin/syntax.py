"""Term syntax trees with source spans, and the token-stream parser shared by all grammars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from standin.lexer import COMMAND_WORDS, Source, Token

if TYPE_CHECKING:
    from standin.tactic_syntax import Block


@dataclass(frozen=True)
class SIdent:
    start: int
    end: int
    name: str


@dataclass(frozen=True)
class SNum:
    start: int
    end: int
    value: int


@dataclass(frozen=True)
class SStr:
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class SHole:
    start: int
    end: int
    name: str = ""  # `?succ` has a name, `_` has none


@dataclass(frozen=True)
class SSorry:
    start: int
    end: int


@dataclass(frozen=True)
class SApp:
    start: int
    end: int
    fn: Syn
    args: tuple[Syn, ...]


@dataclass(frozen=True)
class SBin:
    start: int
    end: int
    op: str
    lhs: Syn
    rhs: Syn


@dataclass(frozen=True)
class SUn:
    start: int
    end: int
    op: str  # "¬" or "neg"
    arg: Syn


@dataclass(frozen=True)
class SAnon:
    start: int
    end: int
    items: tuple[Syn, ...]


@dataclass(frozen=True)
class SParam:
    start: int
    end: int
    name: str
    type: Syn | None
    explicit: bool = True


@dataclass(frozen=True)
class SFun:
    start: int
    end: int
    params: tuple[SParam, ...]
    body: Syn


@dataclass(frozen=True)
class SQuant:
    start: int
    end: int
    quant: str
    params: tuple[SParam, ...]
    body: Syn


@dataclass(frozen=True)
class STyped:
    start: int
    end: int
    term: Syn
    type: Syn


@dataclass(frozen=True)
class SProj:
    start: int
    end: int
    base: Syn
    index: int


@dataclass(frozen=True)
class SShow:
    start: int
    end: int
    type: Syn
    proof: Syn


@dataclass(frozen=True)
class SCalc:
    start: int
    end: int
    steps: tuple[tuple[Syn, Syn], ...]  # (relation, proof); `_` stands for the previous rhs


@dataclass(frozen=True)
class SBy:
    start: int  # the `by` token
    end: int
    by_end: int
    block: Block


Syn = (
    SIdent
    | SNum
    | SStr
    | SHole
    | SSorry
    | SApp
    | SBin
    | SUn
    | SAnon
    | SFun
    | SQuant
    | STyped
    | SProj
    | SShow
    | SBy
    | SCalc
)

# token -> (operator, precedence, precedence of the right operand)
BINARY = {
    "↔": ("↔", 20, 21),
    "<->": ("↔", 20, 21),
    "→": ("→", 25, 25),
    "->": ("→", 25, 25),
    "∨": ("∨", 30, 30),
    "∧": ("∧", 35, 35),
    "=": ("=", 50, 51),
    "≠": ("≠", 50, 51),
    "!=": ("≠", 50, 51),
    "<": ("<", 50, 51),
    "≤": ("≤", 50, 51),
    "<=": ("≤", 50, 51),
    ">": (">", 50, 51),
    "≥": ("≥", 50, 51),
    ">=": ("≥", 50, 51),
    "∣": ("∣", 50, 51),
    "+": ("+", 65, 66),
    "-": ("-", 65, 66),
    "*": ("*", 70, 71),
    "/": ("/", 70, 71),
    "%": ("%", 70, 71),
    "^": ("^", 75, 75),
}

_NOT_ATOMS = frozenset({"by", "fun", "have", "show", "from", "at", "with", "then", "else", "in"})


class ParseError(Exception):
    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


def unexpected(tok: Token, expected: str) -> ParseError:
    return ParseError(f"{tok.describe()}; expected {expected}", tok.start, tok.end)


class Parser:
    """A cursor over tokens. `stop_col`: a token starting a line at or left of it ends a term."""

    def __init__(self, source: Source, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.i = 0
        self.stop_col = -1
        self.last_end = 0
        self.anchor = -1  # a line-starting token allowed to begin a term (`calc` steps)
        self.failure: ParseError | None = None  # first parse error inside a tactic block

    # -- cursor
    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.peek()
        if tok.kind != "eof":
            self.i += 1
            self.last_end = tok.end
        return tok

    def col(self, tok: Token) -> int:
        return self.source.column(tok.start)

    def available(self, tok: Token | None = None) -> bool:
        tok = tok or self.peek()
        if tok.kind == "eof":
            return False
        return not tok.line_start or self.col(tok) > self.stop_col or tok.start == self.anchor

    def term_here(self) -> Syn:
        """A term starting at the current token even if it begins a line at `stop_col`."""
        self.anchor = self.peek().start
        return self.term(0)

    @contextmanager
    def stop_at(self, col: int) -> Iterator[None]:
        saved = self.stop_col
        self.stop_col = col
        try:
            yield
        finally:
            self.stop_col = saved

    def at_sym(self, *texts: str) -> bool:
        return self.available() and self.peek().is_sym(*texts)

    def at_alternative(self) -> bool:
        """A `|` arm of `cases … with` / `first`: may sit at the column of the tactic itself."""
        tok = self.peek()
        return tok.is_sym("|") and (not tok.line_start or self.col(tok) >= self.stop_col)

    def at_word(self, *texts: str) -> bool:
        return self.available() and self.peek().is_word(*texts)

    def expect_sym(self, text: str) -> Token:
        if not self.at_sym(text):
            raise unexpected(self.peek(), f"'{text}'")
        return self.advance()

    def expect_ident(self) -> Token:
        tok = self.peek()
        if not self.available() or tok.kind != "ident" or tok.text in _NOT_ATOMS:
            raise unexpected(tok, "identifier")
        return self.advance()

    def binder_name(self) -> Token:
        """An identifier or `_`."""
        return self.expect_ident()

    # -- terms
    def term(self, min_prec: int = 0) -> Syn:
        lhs = self._prefix()
        while self.available():
            tok = self.peek()
            entry = BINARY.get(tok.text) if tok.kind == "sym" else None
            if entry is None or entry[1] < min_prec:
                break
            self.advance()
            rhs = self.term(entry[2])
            lhs = SBin(_start(lhs), _end(rhs), entry[0], lhs, rhs)
        return lhs

    def _prefix(self) -> Syn:
        tok = self.peek()
        if not self.available():
            raise unexpected(tok, "term")
        if tok.is_sym("∀", "∃"):
            self.advance()
            params = self._quant_params()
            self.expect_sym(",")
            body = self.term(0)
            return SQuant(tok.start, _end(body), tok.text, params, body)
        if tok.is_word("fun") or tok.is_sym("λ"):
            self.advance()
            params = self._fun_params()
            if not self.at_sym("=>", "↦"):
                raise unexpected(self.peek(), "'↦', '=>'")
            self.advance()
            body = self.term(0)
            return SFun(tok.start, _end(body), params, body)
        if tok.is_sym("¬"):
            self.advance()
            arg = self.term(40)
            return SUn(tok.start, _end(arg), "¬", arg)
        if tok.is_sym("-"):
            self.advance()
            arg = self.term(75)
            return SUn(tok.start, _end(arg), "neg", arg)
        if tok.is_word("by"):
            return self.by_block()
        if tok.is_word("calc"):
            return self._calc()
        if tok.is_word("show"):
            self.advance()
            type_ = self.term(0)
            if self.at_word("from"):
                self.advance()
                proof = self.term(0)
            elif self.at_word("by"):
                proof = self.by_block()
            else:
                raise unexpected(self.peek(), "'by' or 'from'")
            return SShow(tok.start, _end(proof), type_, proof)
        return self._application()

    def _calc(self) -> SCalc:
        """`calc a R b := p` then `_ R c := q` steps, each starting a line in one column."""
        calc_tok = self.advance()
        if not self.available():
            raise unexpected(self.peek(), "term")
        outer = self.stop_col
        col = self.col(self.peek())
        steps: list[tuple[Syn, Syn]] = []
        while True:
            with self.stop_at(col):
                relation = self.term_here()
                self.expect_sym(":=")
                proof = self.term(0)
            steps.append((relation, proof))
            nxt = self.peek()
            if not (nxt.line_start and nxt.is_word("_") and self.col(nxt) > outer):
                break
            if len(steps) > 1 and self.col(nxt) != col:
                break
            col = self.col(nxt)
        return SCalc(calc_tok.start, self.last_end, tuple(steps))

    def by_block(self) -> SBy:
        from standin.tactic_syntax import parse_block  # tactics contain terms: a cycle

        by_tok = self.advance()
        block = parse_block(self, self.stop_col)
        end = block.end if block.tactics else by_tok.end
        return SBy(by_tok.start, end, by_tok.end, block)

    def _application(self) -> Syn:
        fn = self._atom()
        args: list[Syn] = []
        while self.available() and self._starts_atom(self.peek()):
            args.append(self._atom())
        if not args:
            return fn
        return SApp(_start(fn), _end(args[-1]), fn, tuple(args))

    def _starts_atom(self, tok: Token) -> bool:
        if tok.kind in ("num", "str"):
            return True
        if tok.kind == "ident":
            return tok.text not in _NOT_ATOMS and not _is_command_word(tok.text)
        return tok.is_sym("(", "⟨", "?")

    def _atom(self) -> Syn:
        tok = self.peek()
        if not self.available():
            raise unexpected(tok, "term")
        result: Syn
        if tok.kind == "num":
            self.advance()
            result = SNum(tok.start, tok.end, int(tok.text))
        elif tok.kind == "str":
            self.advance()
            result = SStr(tok.start, tok.end, tok.text[1:-1])
        elif tok.is_word("sorry"):
            self.advance()
            result = SSorry(tok.start, tok.end)
        elif tok.is_word("_"):
            self.advance()
            result = SHole(tok.start, tok.end)
        elif tok.kind == "ident" and tok.text not in _NOT_ATOMS:
            self.advance()
            result = SIdent(tok.start, tok.end, tok.text)
        elif tok.is_sym("?"):
            self.advance()
            name = self.expect_ident()
            result = SHole(tok.start, name.end, name.text)
        elif tok.is_sym("("):
            self.advance()
            with self.stop_at(-1):
                inner = self.term(0)
                if self.at_sym(":"):
                    self.advance()
                    type_ = self.term(0)
                    close = self.expect_sym(")")
                    result = STyped(tok.start, close.end, inner, type_)
                else:
                    close = self.expect_sym(")")
                    result = _respan(inner, tok.start, close.end)
        elif tok.is_sym("⟨"):
            self.advance()
            items: list[Syn] = []
            with self.stop_at(-1):
                if not self.at_sym("⟩"):
                    items.append(self.term(0))
                    while self.at_sym(","):
                        self.advance()
                        items.append(self.term(0))
                close = self.expect_sym("⟩")
            result = SAnon(tok.start, close.end, tuple(items))
        else:
            raise unexpected(tok, "term")
        while self._at_projection():
            self.advance()
            index = self.advance()
            result = SProj(_start(result), index.end, result, int(index.text))
        return result

    def _at_projection(self) -> bool:
        dot, index = self.peek(), self.peek(1)
        return (
            dot.is_sym(".")
            and dot.start == self.last_end
            and index.kind == "num"
            and index.start == dot.end
        )

    def _quant_params(self) -> tuple[SParam, ...]:
        if self.at_sym("(", "{", "⦃", "["):
            params: list[SParam] = []
            while self.at_sym("(", "{", "⦃", "["):
                params.extend(self.bracketed_binder())
            return tuple(params)
        names = [self.binder_name()]
        while self.available() and self.peek().kind == "ident":
            names.append(self.binder_name())
        type_ = None
        if self.at_sym(":"):
            self.advance()
            type_ = self.term(0)
        return tuple(SParam(n.start, n.end, n.text, type_) for n in names)

    def _fun_params(self) -> tuple[SParam, ...]:
        params: list[SParam] = []
        while True:
            if self.at_sym("(", "{"):
                params.extend(self.bracketed_binder())
            elif self.available() and self.peek().kind == "ident":
                name = self.binder_name()
                params.append(SParam(name.start, name.end, name.text, None))
            else:
                break
        if not params:
            raise unexpected(self.peek(), "identifier")
        if self.at_sym(":"):
            self.advance()
            type_ = self.term(0)
            params = [SParam(p.start, p.end, p.name, type_) for p in params]
        return tuple(params)

    def bracketed_binder(self) -> list[SParam]:
        """`(x y : T)`, `{p : Prop}`, `[inst : C]` (instance binders are kept, never used)."""
        open_tok = self.advance()
        close = {"(": ")", "{": "}", "[": "]", "⦃": "⦄"}[open_tok.text]
        with self.stop_at(-1):
            names = [self.binder_name()]
            while self.available() and self.peek().kind == "ident":
                names.append(self.binder_name())
            type_ = None
            if self.at_sym(":"):
                self.advance()
                type_ = self.term(0)
            self.expect_sym(close)
        explicit = open_tok.text == "("
        return [SParam(n.start, n.end, n.text, type_, explicit) for n in names]


def _is_command_word(word: str) -> bool:
    return word in COMMAND_WORDS


def is_command_start(tok: Token) -> bool:
    if tok.kind == "ident":
        return tok.text in COMMAND_WORDS
    return tok.kind == "sym" and (
        (tok.text.startswith("#") and len(tok.text) > 1) or tok.text == "@["
    )


def _start(s: Syn) -> int:
    return s.start


def _end(s: Syn) -> int:
    return s.end


def _respan(s: Syn, start: int, end: int) -> Syn:
    return replace(s, start=start, end=end)


def source_text(source: Source, s: Syn) -> str:
    return source.text[s.start : s.end]
