"""Tactic blocks: indentation-sensitive tactic sequences, parsed with spans for error reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from standin.lexer import Token
from standin.syntax import ParseError, Parser, SIdent, Syn, unexpected


@dataclass(frozen=True)
class RPat:
    """An rcases pattern: a name (`_` and `-` included), a tuple ⟨…⟩, or alternatives a | b."""

    kind: str  # "name" | "tuple" | "alts"
    name: str = ""
    items: tuple[RPat, ...] = ()


@dataclass(frozen=True)
class Alt:
    """One `| ctor names => tactics` arm of `cases`/`induction … with`."""

    ctor: str
    names: tuple[str, ...]
    block: Block


@dataclass(frozen=True)
class Tactic:
    kind: str
    start: int
    end: int
    names: tuple[str, ...] = ()
    terms: tuple[Syn, ...] = ()
    blocks: tuple[Block, ...] = ()
    locs: tuple[str, ...] = ()  # `at h ⊢`; "*" for `at *`
    rules: tuple[tuple[bool, Syn], ...] = ()  # rw/simp rules: (reversed?, term)
    pattern: RPat | None = None
    patterns: tuple[RPat, ...] = ()  # intro/rintro arguments
    alts: tuple[Alt, ...] = ()
    subs: tuple[Tactic, ...] = ()
    type: Syn | None = None
    arg: str = ""


@dataclass(frozen=True)
class Block:
    tactics: tuple[Tactic, ...]
    start: int
    end: int
    incomplete: bool = False  # a parse error cut it short


NO_ARGS = frozenset(
    [
        "constructor",
        "left",
        "right",
        "exfalso",
        "assumption",
        "contradiction",
        "trivial",
        "rfl",
        "decide",
        "native_decide",
        "omega",
        "done",
        "skip",
        "sorry",
        "admit",
        "positivity",
        "exact?",
        "apply?",
        "tauto",
        "symm",
        "standin_hang",
        "standin_crash",
        "standin_sigkill",
        "infer_instance",
        "ring",
    ]
)
# Real Lean tactics the stand-in parses but cannot run: they fail with a clear error.
UNSUPPORTED = frozenset(
    [
        "ring_nf",
        "field_simp",
        "unfold",
        "aesop",
        "gcongr",
        "norm_cast",
        "push_cast",
        "exact_mod_cast",
        "interval_cases",
        "fin_cases",
        "nth_rewrite",
        "nth_rw",
        "conv",
        "split",
        "split_ifs",
        "ext",
        "funext",
        "congr",
        "refine'",
        "set",
        "let",
        "generalize",
        "induction'",
        "simp_rw",
        "change",
        "suffices",
        "revert",
        "bound",
    ]
)
SIMP_LIKE = frozenset({"simp", "norm_num", "simp_all", "simp_arith", "norm_num1", "simpa", "dsimp"})


def parse_block(p: Parser, enclosing_col: int) -> Block:
    """A tactic sequence whose tactics sit right of `enclosing_col` (or on the opening line)."""
    first = p.peek()
    if first.kind == "eof" or (first.line_start and p.col(first) <= enclosing_col):
        return Block((), first.start, first.start)
    col = p.col(first)
    tactics: list[Tactic] = []
    with p.stop_at(col):
        while True:
            try:
                tactics.append(parse_tactic(p))
            except ParseError as exc:
                p.failure = p.failure or exc
            if p.failure is not None:
                return _block(tactics, first, p, incomplete=True)
            nxt = p.peek()
            if nxt.is_sym(";") and p.available(nxt):
                p.advance()
                continue
            if nxt.line_start and nxt.kind != "eof" and p.col(nxt) >= col and starts_tactic(nxt):
                continue
            return _block(tactics, first, p, incomplete=False)


def _block(tactics: list[Tactic], first: Token, p: Parser, incomplete: bool) -> Block:
    end = tactics[-1].end if tactics else first.start
    return Block(tuple(tactics), first.start, end, incomplete)


def starts_tactic(tok: Token) -> bool:
    if tok.kind == "sym":
        return tok.text in ("·", ".", "{", "(")
    return tok.kind == "ident" and (tok.text in _PARSERS or tok.text in UNSUPPORTED)


def parse_tactic(p: Parser) -> Tactic:
    tactic = _parse_single(p)
    while p.at_sym("<;>"):
        p.advance()
        second = _parse_single(p)
        tactic = Tactic("<;>", tactic.start, second.end, subs=(tactic, second))
    return tactic


def _parse_single(p: Parser) -> Tactic:
    tok = p.peek()  # the caller has checked its column
    if tok.kind == "eof":
        raise unexpected(tok, "tactic")
    if tok.is_sym("·", "."):
        p.advance()
        block = _nested(p, tok)
        return Tactic("focus", tok.start, p.last_end, blocks=(block,))
    if tok.is_sym("{", "("):
        p.advance()
        close = "}" if tok.text == "{" else ")"
        with p.stop_at(-1):
            block = parse_block(p, -1)
            if p.failure is None:
                p.expect_sym(close)
        return Tactic(
            "bracket" if close == "}" else "paren", tok.start, p.last_end, blocks=(block,)
        )
    if tok.kind != "ident":
        raise unexpected(tok, "tactic")
    parser = _PARSERS.get(tok.text)
    if parser is None:
        if tok.text in UNSUPPORTED:
            return _skip_unsupported(p)
        raise ParseError("unknown tactic", tok.start, tok.end)
    p.advance()
    return parser(p, tok)


def _nested(p: Parser, opener: Token) -> Block:
    return parse_block(p, p.col(opener))


def _skip_unsupported(p: Parser) -> Tactic:
    tok = p.advance()
    while p.available() and not p.peek().is_sym(";", "<;>"):
        p.advance()
    return Tactic("unsupported", tok.start, p.last_end, arg=tok.text)


# ---------------------------------------------------------------- argument helpers


def _names(p: Parser) -> tuple[str, ...]:
    names: list[str] = []
    while p.available() and p.peek().kind == "ident" and p.peek().text not in ("at", "with"):
        names.append(p.advance().text)
    return tuple(names)


def _locations(p: Parser) -> tuple[str, ...]:
    if not p.at_word("at"):
        return ()
    p.advance()
    if p.at_sym("*"):
        p.advance()
        return ("*",)
    locs: list[str] = []
    while p.available() and (p.peek().kind == "ident" or p.peek().is_sym("⊢")):
        locs.append(p.advance().text)
    if not locs:
        raise unexpected(p.peek(), "identifier")
    return tuple(locs)


def _rules(p: Parser, required: bool) -> tuple[tuple[bool, Syn], ...]:
    if not p.at_sym("["):
        if required:
            raise unexpected(p.peek(), "'['")
        return ()
    p.advance()
    rules: list[tuple[bool, Syn]] = []
    with p.stop_at(-1):
        while not p.at_sym("]"):
            reverse = False
            if p.at_sym("←", "<-"):
                p.advance()
                reverse = True
            if p.at_sym("*"):
                star = p.advance()
                rules.append((False, SIdent(star.start, star.end, "*")))
            else:
                rules.append((reverse, p.term(0)))
            if not p.at_sym(","):
                break
            p.advance()
        p.expect_sym("]")
    return tuple(rules)


def _term_list(p: Parser) -> tuple[Syn, ...]:
    terms = [p.term(0)]
    while p.at_sym(","):
        p.advance()
        terms.append(p.term(0))
    return tuple(terms)


def _rpat(p: Parser) -> RPat:
    alts = [_rpat_atom(p)]
    while p.at_sym("|"):
        p.advance()
        alts.append(_rpat_atom(p))
    return alts[0] if len(alts) == 1 else RPat("alts", items=tuple(alts))


def _rpat_atom(p: Parser) -> RPat:
    if p.at_sym("⟨"):
        p.advance()
        items: list[RPat] = []
        with p.stop_at(-1):
            if not p.at_sym("⟩"):
                items.append(_rpat(p))
                while p.at_sym(","):
                    p.advance()
                    items.append(_rpat(p))
            p.expect_sym("⟩")
        return RPat("tuple", items=tuple(items))
    if p.at_sym("("):
        p.advance()
        with p.stop_at(-1):
            inner = _rpat(p)
            p.expect_sym(")")
        return inner
    if p.at_sym("-"):
        p.advance()
        return RPat("name", "-")
    return RPat("name", p.binder_name().text)


def _number(p: Parser) -> str:
    tok = p.peek()
    if tok.kind != "num" or not p.available():
        raise unexpected(tok, "numeral")
    p.advance()
    text = tok.text
    if p.peek().is_sym(".") and p.peek(1).kind == "num" and p.peek().start == tok.end:
        p.advance()
        text += "." + p.advance().text
    return text


# ---------------------------------------------------------------- one parser per tactic


def _no_args(p: Parser, tok: Token) -> Tactic:
    return Tactic(tok.text, tok.start, tok.end)


def _intro(p: Parser, tok: Token) -> Tactic:
    patterns: list[RPat] = []
    while p.available() and (p.peek().kind == "ident" or p.peek().is_sym("⟨", "(")):
        patterns.append(_rpat_atom(p))
    return Tactic(tok.text, tok.start, p.last_end, patterns=tuple(patterns))


def _with_names(p: Parser, tok: Token) -> Tactic:
    return Tactic(tok.text, tok.start, p.last_end, names=_names(p))


def _with_term(p: Parser, tok: Token) -> Tactic:
    term = p.term(0)
    return Tactic(tok.text, tok.start, p.last_end, terms=(term,))


def _with_terms(p: Parser, tok: Token) -> Tactic:
    return Tactic(tok.text, tok.start, p.last_end, terms=_term_list(p))


def _arith(p: Parser, tok: Token) -> Tactic:
    if p.at_sym("!"):
        p.advance()
    arg = ""
    if p.at_word("only"):
        p.advance()
        arg = "only"
    rules = _rules(p, required=False)
    return Tactic(tok.text, tok.start, p.last_end, rules=rules, arg=arg)


def _simp(p: Parser, tok: Token) -> Tactic:
    if p.at_sym("("):  # (config := …)
        depth = 0
        while p.available():
            t = p.advance()
            depth += t.is_sym("(") - t.is_sym(")")
            if depth == 0:
                break
    arg = ""
    if p.at_word("only"):
        p.advance()
        arg = "only"
    rules = _rules(p, required=False)
    terms: tuple[Syn, ...] = ()
    if tok.text == "simpa" and p.at_word("using"):
        p.advance()
        terms = (p.term(0),)
    locs = _locations(p)
    return Tactic(tok.text, tok.start, p.last_end, rules=rules, locs=locs, arg=arg, terms=terms)


def _rewrite(p: Parser, tok: Token) -> Tactic:
    rules = _rules(p, required=True)
    locs = _locations(p)
    return Tactic(tok.text, tok.start, p.last_end, rules=rules, locs=locs)


def _have(p: Parser, tok: Token) -> Tactic:
    names: tuple[str, ...] = ()
    if p.available() and p.peek().kind == "ident" and not p.peek().is_word("by"):
        names = (p.binder_name().text,)
    type_ = None
    if p.at_sym(":"):
        p.advance()
        type_ = p.term(0)
    terms: tuple[Syn, ...] = ()
    if p.at_sym(":="):
        p.advance()
        terms = (p.term(0),)
    elif type_ is None:
        raise unexpected(p.peek(), "':' or ':='")
    return Tactic("have", tok.start, p.last_end, names=names, type=type_, terms=terms)


def _calc(p: Parser, tok: Token) -> Tactic:
    p.i -= 1  # the term parser reads `calc` itself
    term = p.term_here()
    return Tactic("exact", tok.start, p.last_end, terms=(term,))


def _show(p: Parser, tok: Token) -> Tactic:
    return Tactic("show", tok.start, p.last_end, type=p.term(0))


def _obtain(p: Parser, tok: Token) -> Tactic:
    pattern = _rpat(p)
    type_ = None
    if p.at_sym(":"):
        p.advance()
        type_ = p.term(0)
    terms: tuple[Syn, ...] = ()
    if p.at_sym(":="):
        p.advance()
        terms = (p.term(0),)
    return Tactic("obtain", tok.start, p.last_end, pattern=pattern, type=type_, terms=terms)


def _rcases(p: Parser, tok: Token) -> Tactic:
    term = p.term(0)
    pattern = None
    if p.at_word("with"):
        p.advance()
        pattern = _rpat(p)
    return Tactic("rcases", tok.start, p.last_end, terms=(term,), pattern=pattern)


def _cases(p: Parser, tok: Token) -> Tactic:
    term = p.term(0)
    alts: list[Alt] = []
    if p.at_word("with"):
        p.advance()
        if not p.at_alternative():
            raise unexpected(p.peek(), "'|'")
        while p.at_alternative() and p.failure is None:
            bar = p.advance()
            ctor = p.binder_name().text
            names = _names(p)
            p.expect_sym("=>")
            alts.append(Alt(ctor, names, parse_block(p, p.col(bar))))
    return Tactic(tok.text, tok.start, p.last_end, terms=(term,), alts=tuple(alts))


def _by_cases(p: Parser, tok: Token) -> Tactic:
    names: tuple[str, ...] = ()
    if p.peek().kind == "ident" and p.peek(1).is_sym(":"):
        names = (p.advance().text,)
        p.advance()
    return Tactic("by_cases", tok.start, p.last_end, names=names, terms=(p.term(0),))


def _subst(p: Parser, tok: Token) -> Tactic:
    names = _names(p)
    if not names:
        raise unexpected(p.peek(), "term")
    return Tactic(tok.text, tok.start, p.last_end, names=names)


def _located(p: Parser, tok: Token) -> Tactic:
    return Tactic(tok.text, tok.start, p.last_end, locs=_locations(p))


def _with_block(p: Parser, tok: Token) -> Tactic:
    block = parse_block(p, p.col(tok))
    if not block.tactics and p.failure is None:
        raise unexpected(p.peek(), "tactic")
    return Tactic(tok.text, tok.start, p.last_end, blocks=(block,))


def _first(p: Parser, tok: Token) -> Tactic:
    blocks: list[Block] = []
    while p.at_alternative() and p.failure is None:
        bar = p.advance()
        blocks.append(parse_block(p, p.col(bar)))
    if not blocks:
        raise unexpected(p.peek(), "'|'")
    return Tactic("first", tok.start, p.last_end, blocks=tuple(blocks))


def _case(p: Parser, tok: Token) -> Tactic:
    names: tuple[str, ...] = ()
    names = (p.binder_name().text, *_names(p)) if tok.text == "case" else _names(p)
    p.expect_sym("=>")
    block = parse_block(p, p.col(tok))
    return Tactic(tok.text, tok.start, p.last_end, names=names, blocks=(block,))


def _numeric(p: Parser, tok: Token) -> Tactic:
    return Tactic(tok.text, tok.start, p.last_end, arg=_number(p))


_PARSERS: dict[str, Callable[[Parser, Token], Tactic]] = {
    **dict.fromkeys(NO_ARGS, _no_args),
    **dict.fromkeys(("intro", "intros", "rintro"), _intro),
    **dict.fromkeys(("by_contra", "clear"), _with_names),
    **dict.fromkeys(("exact", "apply", "refine", "specialize"), _with_term),
    **dict.fromkeys(("use", "exists", "existsi"), _with_terms),
    **dict.fromkeys(("linarith", "nlinarith"), _arith),
    **dict.fromkeys(SIMP_LIKE, _simp),
    **dict.fromkeys(("rw", "rewrite", "rwa"), _rewrite),
    **dict.fromkeys(("have", "haveI"), _have),
    "show": _show,
    "calc": _calc,
    "obtain": _obtain,
    "rcases": _rcases,
    **dict.fromkeys(("cases", "induction"), _cases),
    "by_cases": _by_cases,
    "subst": _subst,
    "push_neg": _located,
    **dict.fromkeys(("try", "all_goals", "any_goals", "repeat", "focus"), _with_block),
    "first": _first,
    **dict.fromkeys(("case", "next"), _case),
    **dict.fromkeys(("standin_spam", "standin_slow", "standin_alloc"), _numeric),
}
