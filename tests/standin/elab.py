"""Term elaboration: syntax -> propositions, and checking proof terms against expected types."""

from __future__ import annotations

from standin.builtins import BUILTINS, SORT_NAMES, dotted_builtin
from standin.context import Context, ElabError
from standin.env import Decl
from standin.expr import (
    ARITH,
    CONNECTIVES,
    FALSE,
    INT,
    NAT,
    NUMERIC_TYPES,
    OPAQUE_NUMERIC_TYPES,
    PROP,
    RELATIONS,
    TYPE,
    App,
    Binder,
    Const,
    Expr,
    MVar,
    Num,
    Op,
    Var,
    defeq,
    free_vars,
    fresh_mvar,
    instantiate,
    mvars,
    retype_numerals,
    subst,
    subterms,
    unfold,
)
from standin.goals import Goal
from standin.pretty import show, show_goal
from standin.syntax import (
    SAnon,
    SApp,
    SBin,
    SBy,
    SCalc,
    SFun,
    SHole,
    SIdent,
    SNum,
    SParam,
    SProj,
    SQuant,
    SShow,
    SSorry,
    SStr,
    STyped,
    SUn,
    Syn,
)
from standin.unify import unify

_PROJECTIONS = {1: "left", 2: "right"}


class Elaborator:
    """Elaborates terms in the local context of a goal; `ctx` collects sorries and axioms."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.holes: list[Goal] | None = None  # while `refine` runs: `?_` becomes a new goal

    # ------------------------------------------------------------ types / data terms

    def to_expr(self, stx: Syn, goal: Goal, bound: Bound | None = None) -> Expr:
        """Elaborate a type, proposition or data term; `bound` maps binder names to types."""
        bound = bound or {}
        if isinstance(stx, SNum):
            return Num(stx.value)
        if isinstance(stx, SIdent):
            return self._ident_expr(stx, goal, bound)
        if isinstance(stx, SBin):
            lhs, rhs = self.to_expr(stx.lhs, goal, bound), self.to_expr(stx.rhs, goal, bound)
            return self._numeric_context(Op(stx.op, (lhs, rhs)), goal, bound)
        if isinstance(stx, SUn):
            return self._numeric_context(
                Op(stx.op, (self.to_expr(stx.arg, goal, bound),)), goal, bound
            )
        if isinstance(stx, SQuant):
            return self._quant_expr(stx, goal, bound)
        if isinstance(stx, STyped):
            inner = self.to_expr(stx.term, goal, bound)
            target = self.to_expr(stx.type, goal, bound)
            if not isinstance(target, Const) or target == NAT:
                return inner
            if target not in (*NUMERIC_TYPES, *OPAQUE_NUMERIC_TYPES):
                return inner
            sort = self.sort_of(inner, goal, bound)
            if sort == target:
                return inner
            if sort == NAT and not free_vars(inner):
                return retype_numerals(inner, target)
            return Op("cast", (inner, target))
        if isinstance(stx, SApp):
            fn = self.to_expr(stx.fn, goal, bound)
            args = [self.to_expr(a, goal, bound) for a in stx.args]
            fn_type: Expr | None = None
            if isinstance(fn, Var):
                hyp = goal.lookup(fn.name)
                fn_type = bound.get(fn.name) if fn.name in bound else (hyp.type if hyp else None)
            for i, arg in enumerate(args):
                if not (isinstance(fn_type, Op) and fn_type.op == "→"):
                    break
                domain, fn_type = fn_type.args
                if isinstance(domain, Const) and domain != NAT and self.sort_of(arg, goal) == NAT:
                    args[i] = retype_numerals(arg, domain)
            return App(fn, tuple(args))
        if isinstance(stx, SHole):
            return fresh_mvar(stx.name or "m")
        raise ElabError("type expected", stx.start, stx.end)

    def _numeric_context(self, e: Op, goal: Goal, bound: Bound) -> Expr:
        """Numerals take the number type of the variables next to them (`x + 1` with x : ℝ)."""
        if e.op not in ARITH and e.op not in RELATIONS and e.op != "neg":
            return e
        sorts = {self.sort_of(a, goal, bound) for a in e.args} - {None, NAT}
        numeric = [s for s in sorts if s in (*NUMERIC_TYPES, *OPAQUE_NUMERIC_TYPES)]
        if len(numeric) != 1 or not isinstance(numeric[0], Const):
            return e
        return retype_numerals(e, numeric[0])

    def _ident_expr(self, stx: SIdent, goal: Goal, bound: Bound) -> Expr:
        name = stx.name
        if name in bound or goal.lookup(name) is not None:
            return Var(name)
        if name in SORT_NAMES:
            return SORT_NAMES[name]
        decl = self.ctx.env.decls.get(name)
        if decl is not None and decl.kind == "def":
            return Const(name)
        raise ElabError(f"Unknown identifier `{name}`", stx.start, stx.end, recoverable=True)

    def _quant_expr(self, stx: SQuant, goal: Goal, bound: Bound) -> Expr:
        types: list[Expr | None] = []
        scope = dict(bound)
        for param in stx.params:
            type_ = self.to_expr(param.type, goal, scope) if param.type else None
            types.append(type_)
            scope[param.name] = type_
        body = self.to_expr(stx.body, goal, scope)
        for param, type_ in zip(reversed(stx.params), reversed(types), strict=True):
            quant = stx.quant if param.explicit else "∀i"
            body = Binder(quant, param.name, type_ or _guess_type(param, body), body)
        return body

    def prop(self, stx: Syn, goal: Goal, allow_types: bool = False) -> Expr:
        """Elaborate a statement; it must be a proposition (or a type, if `allow_types`)."""
        expr = self.to_expr(stx, goal)
        sort = self.sort_of(expr, goal)
        if sort not in (PROP, None) and not (allow_types and sort == TYPE):
            raise ElabError(
                f"type expected, got\n  ({show(expr)} : {show(sort)})", stx.start, stx.end
            )
        return expr

    def sort_of(self, e: Expr, goal: Goal, bound: Bound | None = None) -> Expr | None:
        """PROP for propositions, the number type for numeric terms, None when unknown."""
        bound = bound or {}
        if isinstance(e, Num):
            return e.type
        if isinstance(e, Var):
            known = (*NUMERIC_TYPES, *OPAQUE_NUMERIC_TYPES, PROP)
            if e.name in bound:
                type_ = bound[e.name]
            else:
                hyp = goal.lookup(e.name)
                type_ = hyp.type if hyp else None
            return type_ if type_ in known else None
        if isinstance(e, Const):
            if e.name in ("True", "False"):
                return PROP
            if e in (*NUMERIC_TYPES, *OPAQUE_NUMERIC_TYPES, PROP) or e.name in _DATA_TYPES:
                return TYPE
            decl = self.ctx.env.decls.get(e.name)
            return decl.type if decl else None
        if isinstance(e, Op):
            if e.op == "cast":
                return e.args[1]
            if e.op == "neg":
                inner = self.sort_of(e.args[0], goal, bound)
                return inner if inner not in (NAT, None) else INT
            if e.op in ("+", "-", "*", "/", "%", "^"):
                operands = e.args[: 1 if e.op == "^" else 2]
                sorts = {self.sort_of(a, goal, bound) for a in operands} - {None}
                return next(iter(sorts - {NAT}), NAT) if sorts else NAT
            return PROP
        if isinstance(e, Binder):
            return PROP
        if isinstance(e, App) and isinstance(e.fn, Var):
            fn_type = bound.get(e.fn.name) if e.fn.name in bound else None
            hyp = goal.lookup(e.fn.name)
            fn_type = fn_type or (hyp.type if hyp else None)
            if isinstance(fn_type, Op) and fn_type.op == "→":
                return fn_type.args[-1]
        return None

    # ------------------------------------------------------------ proofs

    def check(self, stx: Syn, expected: Expr, goal: Goal, nested: bool = False) -> None:
        """Check that `stx` proves `expected` (or has that type, for data) in `goal`'s context."""
        if isinstance(stx, SSorry):
            self.ctx.record_sorry((goal.with_target(expected),), stx.start, stx.end)
            return
        if isinstance(stx, SBy):
            from standin.runner import run_term_block  # tactics elaborate terms: a cycle

            run_term_block(self, stx, goal.with_target(expected).with_tag(""))
            return
        if expected in (*NUMERIC_TYPES, PROP):
            self._check_data(stx, expected, goal)
            return
        if isinstance(stx, SAnon):
            self._check_anonymous(stx, expected, goal)
            return
        if isinstance(stx, SFun):
            self._check_fun(stx, expected, goal)
            return
        if isinstance(stx, SCalc):
            self._expect(stx, self._calc(stx, goal), expected, nested)
            return
        if isinstance(stx, SShow):
            shown = self.prop(stx.type, goal)
            self._expect(stx, shown, expected, nested)
            self.check(stx.proof, shown, goal, nested=True)
            return
        if isinstance(stx, SHole):
            if self.holes is not None:
                self.holes.append(goal.with_target(expected))
                return
            raise ElabError(
                "don't know how to synthesize placeholder\ncontext:\n" + _goal_text(goal, expected),
                stx.start,
                stx.end,
                recoverable=True,
            )
        actual = self.infer(stx, goal, expected)
        self._expect(stx, actual, expected, nested)

    def _expect(self, stx: Syn, actual: Expr, expected: Expr, nested: bool) -> None:
        if defeq(actual, expected):
            return
        raise ElabError(
            f"type mismatch\n  {self.source_text(stx)}\nhas type\n  {show(actual)} : Prop\n"
            f"but is expected to have type\n  {show(expected)} : Prop",
            stx.start,
            stx.end,
            recoverable=nested,
        )

    def source_text(self, stx: Syn) -> str:
        return " ".join(self.ctx.source.text[stx.start : stx.end].split())

    def _check_data(self, stx: Syn, expected: Expr, goal: Goal) -> None:
        value = self.to_expr(stx, goal)
        sort = self.sort_of(value, goal)
        if (
            sort is not None
            and sort != expected
            and not (sort == NAT and expected in NUMERIC_TYPES)
        ):
            raise ElabError(
                f"type mismatch\n  {show(value)}\nhas type\n  {show(sort)} : Type\n"
                f"but is expected to have type\n  {show(expected)} : Type",
                stx.start,
                stx.end,
            )

    def _check_anonymous(self, stx: SAnon, expected: Expr, goal: Goal) -> None:
        target = instantiate(expected, {})
        items = stx.items
        if isinstance(target, Const) and target.name == "True" and not items:
            return
        if isinstance(target, Op) and target.op in ("∧", "↔") and len(items) >= 2:
            left, right = target.args
            if target.op == "↔":
                left, right = Op("→", (left, right)), Op("→", (right, left))
            self.check(items[0], left, goal, nested=True)
            rest = items[1] if len(items) == 2 else SAnon(items[1].start, stx.end, items[1:])
            self.check(rest, right, goal, nested=True)
            return
        if isinstance(target, Binder) and target.quant == "∃" and len(items) >= 2:
            witness = self.to_expr(items[0], goal)
            body = subst(target.body, {target.name: witness})
            rest = items[1] if len(items) == 2 else SAnon(items[1].start, stx.end, items[1:])
            self.check(rest, body, goal, nested=True)
            return
        raise ElabError(
            "invalid constructor ⟨...⟩, expected type must be an inductive type \n  "
            + show(target),
            stx.start,
            stx.end,
            recoverable=True,
        )

    def _check_fun(self, stx: SFun, expected: Expr, goal: Goal) -> None:
        target = expected
        inner = goal
        for param in stx.params:
            target = unfold_head(target)
            if isinstance(target, Op) and target.op == "→":
                domain, target = target.args
            elif isinstance(target, Binder) and target.quant in ("∀", "∀i"):
                domain = target.type
                target = subst(target.body, {target.name: Var(param.name)})
            else:
                raise ElabError(
                    f"type mismatch\n  {self.source_text(stx)}\nhas a function type, but is "
                    f"expected to have type\n  {show(expected)}",
                    stx.start,
                    stx.end,
                )
            if param.type is not None:
                declared = self.to_expr(param.type, inner)
                if not defeq(declared, domain):
                    raise ElabError(
                        f"type mismatch\n  {param.name}\nhas type\n  {show(declared)}\n"
                        f"but is expected to have type\n  {show(domain)}",
                        param.start,
                        param.end,
                    )
            inner = inner.with_hyp(param.name, domain)
        self.check(stx.body, target, inner, nested=True)

    def infer(self, stx: Syn, goal: Goal, expected: Expr | None = None) -> Expr:
        """The proposition a proof term proves (the type, for data)."""
        if isinstance(stx, SIdent):
            return self._apply(stx, stx, (), goal, expected)
        if isinstance(stx, SApp):
            return self._apply(stx, stx.fn, stx.args, goal, expected)
        if isinstance(stx, SProj):
            base = unfold_head(self.infer(stx.base, goal))
            if isinstance(base, Op) and base.op in ("∧", "↔") and stx.index in (1, 2):
                left, right = base.args
                if base.op == "↔":
                    return Op("→", (left, right) if stx.index == 1 else (right, left))
                return left if stx.index == 1 else right
            raise ElabError(
                f"invalid projection, structure expected\n  {self.source_text(stx.base)}\n"
                f"has type\n  {show(base)}",
                stx.start,
                stx.end,
                recoverable=True,
            )
        if isinstance(stx, STyped):
            type_ = self.prop(stx.type, goal)
            self.check(stx.term, type_, goal, nested=True)
            return type_
        if isinstance(stx, SCalc):
            return self._calc(stx, goal)
        if isinstance(stx, SShow):
            shown = self.prop(stx.type, goal)
            self.check(stx.proof, shown, goal, nested=True)
            return shown
        if isinstance(stx, (SNum, SBin, SUn)):
            return self.sort_of(self.to_expr(stx, goal), goal) or NAT
        if isinstance(stx, SStr):
            return Const("String")
        raise ElabError(
            "invalid constructor ⟨...⟩, expected type must be known"
            if isinstance(stx, SAnon)
            else "don't know how to synthesize placeholder",
            stx.start,
            stx.end,
            recoverable=True,
        )

    def _calc(self, stx: SCalc, goal: Goal) -> Expr:
        """Check each step and chain the relations (`=` is neutral, `<` absorbs `≤`)."""
        first: Expr | None = None
        previous: Expr | None = None
        total = "="
        for relation_stx, proof in stx.steps:
            relation = self.to_expr(relation_stx, goal)
            if not (isinstance(relation, Op) and relation.op in _CALC_RELATIONS):
                raise ElabError(
                    f"invalid 'calc' step, relation expected\n  {show(relation)}",
                    relation_stx.start,
                    relation_stx.end,
                )
            lhs, rhs = relation.args
            if isinstance(lhs, MVar) and previous is not None:
                relation = Op(relation.op, (previous, rhs))
            elif previous is not None and not defeq(lhs, previous):
                raise ElabError(
                    f"invalid 'calc' step, left-hand side is\n  {show(lhs)}\nbut previous "
                    f"right-hand side is\n  {show(previous)}",
                    relation_stx.start,
                    relation_stx.end,
                )
            self.check(proof, relation, goal, nested=True)
            combined = _chain(total, relation.op)
            if combined is None:
                raise ElabError(
                    "invalid 'calc' step, failed to synthesize `Trans` instance",
                    relation_stx.start,
                    relation_stx.end,
                )
            total = combined
            first = relation.args[0] if first is None else first
            previous = rhs
        assert first is not None and previous is not None
        return Op(total, (first, previous))

    # ------------------------------------------------------------ applications

    def head_type(self, fn: Syn, goal: Goal) -> tuple[Expr, list[Syn]]:
        """Type of an application head, plus arguments implied by dot notation (`h.mp`)."""
        if isinstance(fn, SIdent):
            hyp = goal.lookup(fn.name)
            if hyp is not None:
                return hyp.type, []
            decl = self.lookup_decl(fn.name)
            if decl is not None:
                return decl.full_type(), []
            base_name, _, field_name = fn.name.rpartition(".")
            base = goal.lookup(base_name) if base_name else None
            if base is not None:
                builtin = dotted_builtin(unfold_head(base.type), field_name)
                if builtin is not None:
                    self.ctx.axioms |= builtin.axioms
                    end = fn.start + len(base_name)
                    return builtin.full_type(), [SIdent(fn.start, end, base_name)]
                raise ElabError(
                    f"Invalid field `{field_name}`: The environment does not contain "
                    f"`{_namespace(base.type)}.{field_name}`",
                    fn.start,
                    fn.end,
                    recoverable=True,
                )
            raise ElabError(f"Unknown identifier `{fn.name}`", fn.start, fn.end, recoverable=True)
        return self.infer(fn, goal), []

    def lookup_decl(self, name: str) -> Decl | None:
        ctx = self.ctx
        if ctx.self_decl is not None and name == ctx.self_decl.name:
            ctx.self_used = True
            return ctx.self_decl
        decl = ctx.env.decls.get(name) or BUILTINS.get(name)
        if decl is not None:
            ctx.axioms |= decl.axioms
        return decl

    def _apply(
        self, stx: Syn, fn: Syn, args: tuple[Syn, ...], goal: Goal, expected: Expr | None
    ) -> Expr:
        fn_type, implied = self.head_type(fn, goal)
        queue = [*implied, *args]
        assignment: dict[str, Expr] = {}
        pending: list[tuple[Syn, Expr]] = []
        current = fn_type
        while True:
            current = unfold_head(current)
            if isinstance(current, Binder) and current.quant == "∀i":
                current = subst(current.body, {current.name: fresh_mvar(current.name)})
                continue
            if not queue:
                break
            arg = queue.pop(0)
            if isinstance(current, Binder) and current.quant == "∀":
                value = self.to_expr(arg, goal)
                current = subst(current.body, {current.name: value})
            elif isinstance(current, Op) and current.op == "→":
                pending.append((arg, current.args[0]))
                current = current.args[1]
            else:
                raise ElabError(
                    f"Function expected at\n  {self.source_text(fn)}\nbut this term has type\n  "
                    f"{show(instantiate(fn_type, assignment))}",
                    stx.start,
                    stx.end,
                    recoverable=True,
                )
        if expected is not None:
            unify(current, expected, assignment)
        for arg, domain in pending:
            domain = instantiate(domain, assignment)
            if mvars(domain):
                actual = self.infer(arg, goal)
                if not unify(domain, actual, assignment):
                    raise self._arg_mismatch(stx, arg, actual, domain)
            else:
                try:
                    self.check(arg, domain, goal, nested=True)
                except ElabError as exc:
                    if not exc.text.startswith("type mismatch\n"):
                        raise
                    raise self._arg_mismatch(stx, arg, self.infer(arg, goal), domain) from exc
        return instantiate(current, assignment)

    def _arg_mismatch(self, app: Syn, arg: Syn, actual: Expr, expected: Expr) -> ElabError:
        return ElabError(
            f"Application type mismatch: The argument\n  {self.source_text(arg)}\nhas type\n  "
            f"{show(actual)} : Prop\nbut is expected to have type\n  {show(expected)} : Prop\n"
            f"in the application\n  {self.source_text(app)}",
            arg.start,
            arg.end,
            recoverable=True,
        )


Bound = dict[str, Expr | None]
_DATA_TYPES = ("Unit", "Bool", "String")
_CALC_RELATIONS = frozenset({"=", "<", "≤", ">", "≥", "↔", "→"})


def _chain(first: str, second: str) -> str | None:
    if first == "=":
        return second
    if second == "=":
        return first
    if first == second:
        return first
    strict = {("<", "≤"): "<", ("≤", "<"): "<", (">", "≥"): ">", ("≥", ">"): ">"}
    return strict.get((first, second))


def unfold_head(e: Expr) -> Expr:
    """Expose an implication behind `¬p` / `a ≠ b`, as Lean's whnf does."""
    if isinstance(e, Op) and e.op in ("¬", "≠"):
        return unfold(e) if e.op == "¬" else Op("→", (Op("=", e.args), FALSE))
    return e


def _guess_type(param: SParam, body: Expr) -> Expr:
    for sub in subterms(body):
        connective = isinstance(sub, Op) and (sub.op in CONNECTIVES or sub.op == "¬")
        if connective and Var(param.name) in sub.args:
            return PROP
    return NAT


def _namespace(type_: Expr) -> str:
    if isinstance(type_, Op):
        return {"∧": "And", "∨": "Or", "↔": "Iff", "=": "Eq", "→": "Not"}.get(type_.op, type_.op)
    return show(type_)


def _goal_text(goal: Goal, target: Expr) -> str:
    return show_goal(goal.with_target(target).with_tag(""))
