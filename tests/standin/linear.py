"""A small, sound linear-arithmetic prover over ℕ/ℤ (omega, linarith and nlinarith stand in on it).

Facts become linear constraints over atoms (variables and non-linear subterms, all integer
valued). A goal is proved when every branch of the disjunctive normal form of the facts plus
the negated goal is infeasible. Infeasibility is shown by Fourier-Motzkin elimination over the
rationals with integer tightening (`Σ aᵢxᵢ ≤ c` becomes `Σ (aᵢ/g)xᵢ ≤ ⌊c/g⌋`), which can only
ever under-approximate what is provable, so the procedure never claims a false goal.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from standin.expr import (
    FALSE,
    INT,
    NAT,
    TRUE,
    Binder,
    Const,
    Expr,
    Num,
    Op,
    Var,
    eval_closed,
    mentions_int,
    opaque_numeric,
)

Form = dict[object, Fraction]  # atom -> coefficient; the key `1` holds the constant
ONE = 1
MAX_BRANCHES = 256
MAX_CONSTRAINTS = 400


@dataclass(frozen=True)
class Constraint:
    form: tuple[tuple[object, Fraction], ...]
    equality: bool  # form = 0, else form ≤ 0


def _constraint(form: Form, equality: bool) -> Constraint:
    return Constraint(tuple(sorted(((k, v) for k, v in form.items() if v), key=repr)), equality)


@dataclass
class Linearizer:
    """Turns terms into linear forms, inventing atoms (with side conditions) as it goes."""

    var_types: dict[str, Expr]
    split_truncation: bool  # omega: case-split ℕ subtraction and bound div/mod by literals
    side: list[list[list[Constraint]]] = field(default_factory=list)  # extra facts, as DNF
    atoms: dict[object, bool] = field(default_factory=dict)  # atom -> is it a natural number
    _quotients: dict[tuple[Expr, int], object] = field(default_factory=dict)

    def is_int(self, e: Expr) -> bool:
        return mentions_int(e, self.var_types)

    def form(self, e: Expr, integer: bool) -> Form:
        """Linear form of `e`, read in ℤ (`integer`) or ℕ (truncated `-`, floor `/`)."""
        value = eval_closed(e, integer)
        if value is not None:
            return {ONE: Fraction(value)}
        if isinstance(e, Var):
            return self._atom(e, natural=self.var_types.get(e.name) != INT)
        if isinstance(e, Op):
            if e.op == "neg":
                return _scale(self.form(e.args[0], integer), Fraction(-1))
            a, b = e.args[0], e.args[-1]
            if e.op == "+":
                return _add(self.form(a, integer), self.form(b, integer))
            if e.op == "-":
                if integer:
                    return _add(self.form(a, integer), _scale(self.form(b, integer), Fraction(-1)))
                return self._nat_sub(e, a, b)
            if e.op == "*":
                fa, fb = self.form(a, integer), self.form(b, integer)
                if set(fa) <= {ONE}:
                    return _scale(fb, fa.get(ONE, Fraction(0)))
                if set(fb) <= {ONE}:
                    return _scale(fa, fb.get(ONE, Fraction(0)))
            if e.op in ("/", "%") and isinstance(b, Num) and b.value > 0 and not integer:
                return self._div_mod(e.op, a, b.value)
        return self._atom(e, natural=not integer)

    def _atom(self, e: Expr, natural: bool) -> Form:
        key = e.name if isinstance(e, Var) else e
        self.atoms.setdefault(key, natural)
        return {key: Fraction(1)}

    def _nat_sub(self, e: Expr, a: Expr, b: Expr) -> Form:
        result = self._atom(e, natural=True)
        if self.split_truncation:
            fa, fb, ft = self.form(a, False), self.form(b, False), result
            diff = _add(ft, _add(_scale(fa, Fraction(-1)), fb))  # t - (a - b)
            le = _add(fb, _scale(fa, Fraction(-1)))  # b - a ≤ 0
            lt = _add(_add(fa, _scale(fb, Fraction(-1))), {ONE: Fraction(1)})  # a - b + 1 ≤ 0
            self.side.append(
                [
                    [_constraint(diff, True), _constraint(le, False)],
                    [_constraint(ft, True), _constraint(lt, False)],
                ]
            )
        return result

    def _div_mod(self, name: str, a: Expr, k: int) -> Form:
        key = (a, k)
        if key not in self._quotients:
            quotient = Op("/", (a, Num(k)))
            self._quotients[key] = quotient
            q = self._atom(quotient, natural=True)
            fa = self.form(a, False)
            kq = _scale(q, Fraction(k))
            lower = _add(kq, _scale(fa, Fraction(-1)))  # k*q - a ≤ 0
            upper = _add(_add(fa, _scale(kq, Fraction(-1))), {ONE: Fraction(1 - k)})
            self.side.append([[_constraint(lower, False), _constraint(upper, False)]])
        q_form = {self._quotients[key]: Fraction(1)}
        if name == "/":
            return q_form
        return _add(self.form(a, False), _scale(q_form, Fraction(-k)))

    # ---------------------------------------------------------------- propositions -> DNF

    def dnf(self, prop: Expr, positive: bool = True) -> list[list[Constraint]] | None:
        """Branches (conjunctions of constraints); None if `prop` is not linear arithmetic."""
        if isinstance(prop, Const) and prop in (TRUE, FALSE):
            holds = (prop == TRUE) == positive
            return [[]] if holds else []
        if not isinstance(prop, Op):
            return None
        if prop.op == "¬":
            return self.dnf(prop.args[0], not positive)
        if prop.op in ("∧", "∨"):
            left = self.dnf(prop.args[0], positive)
            right = self.dnf(prop.args[1], positive)
            if left is None or right is None:
                return None
            conjunctive = (prop.op == "∧") == positive
            if conjunctive:
                return [a + b for a, b in itertools.product(left, right)][:MAX_BRANCHES]
            return left + right
        if prop.op == "→":
            return self.dnf(Op("∨", (Op("¬", (prop.args[0],)), prop.args[1])), positive)
        if prop.op == "↔":
            a, b = prop.args
            both = Op("∧", (Op("→", (a, b)), Op("→", (b, a))))
            return self.dnf(both, positive)
        if prop.op in ("=", "≠", "<", "≤", ">", "≥"):
            if opaque_numeric(prop, self.var_types):
                return None
            return self._relation(prop, positive)
        return None

    def _relation(self, prop: Op, positive: bool) -> list[list[Constraint]]:
        rel = prop.op
        if not positive:
            rel = {"=": "≠", "≠": "=", "<": "≥", "≤": ">", ">": "≤", "≥": "<"}[rel]
        integer = self.is_int(prop.args[0]) or self.is_int(prop.args[1])
        lhs, rhs = self.form(prop.args[0], integer), self.form(prop.args[1], integer)
        if rel in (">", "≥"):
            lhs, rhs = rhs, lhs
            rel = "<" if rel == ">" else "≤"
        diff = _add(lhs, _scale(rhs, Fraction(-1)))  # lhs - rhs
        one = {ONE: Fraction(1)}
        if rel == "=":
            return [[_constraint(diff, True)]]
        if rel == "≤":
            return [[_constraint(diff, False)]]
        if rel == "<":
            return [[_constraint(_add(diff, one), False)]]
        # ≠: lhs < rhs or rhs < lhs
        return [
            [_constraint(_add(diff, one), False)],
            [_constraint(_add(_scale(diff, Fraction(-1)), one), False)],
        ]


def _atom_types(e: Expr, var_types: dict[str, Expr]) -> Iterable[Expr]:
    if isinstance(e, Var):
        yield var_types.get(e.name, NAT)
    elif isinstance(e, (Op, Binder)):
        for child in e.args if isinstance(e, Op) else (e.type, e.body):
            yield from _atom_types(child, var_types)


def _add(a: Form, b: Form) -> Form:
    result = dict(a)
    for k, v in b.items():
        result[k] = result.get(k, Fraction(0)) + v
    return {k: v for k, v in result.items() if v}


def _scale(a: Form, c: Fraction) -> Form:
    return {k: v * c for k, v in a.items() if v * c}


# ---------------------------------------------------------------- feasibility


def infeasible(constraints: list[Constraint], tighten: bool) -> bool:
    """True when the constraints have no integer solution (sound, incomplete)."""
    eqs = [dict(c.form) for c in constraints if c.equality]
    ineqs = [dict(c.form) for c in constraints if not c.equality]
    while eqs:
        eq = eqs.pop()
        variables = [k for k in eq if k != ONE]
        if not variables:
            if eq.get(ONE, 0) != 0:
                return True
            continue
        if tighten and _gcd_rules_out(eq):
            return True
        pivot = min(variables, key=lambda k: (abs(eq[k]) != 1, repr(k)))
        coef = eq[pivot]
        solution = {k: -v / coef for k, v in eq.items() if k != pivot}  # pivot = solution
        eqs = [_substitute(e, pivot, solution) for e in eqs]
        ineqs = [_substitute(e, pivot, solution) for e in ineqs]
    return _fourier_motzkin([_normalize(i, tighten) for i in ineqs], tighten)


def _gcd_rules_out(eq: Form) -> bool:
    scaled = _integral(eq)
    g = 0
    for k, v in scaled.items():
        if k != ONE:
            g = math.gcd(g, int(v))
    return g > 1 and int(scaled.get(ONE, 0)) % g != 0


def _integral(form: Form) -> Form:
    lcm = 1
    for v in form.values():
        lcm = lcm * v.denominator // math.gcd(lcm, v.denominator)
    return {k: v * lcm for k, v in form.items()}


def _substitute(form: Form, pivot: object, solution: Form) -> Form:
    if pivot not in form:
        return form
    coef = form[pivot]
    rest = {k: v for k, v in form.items() if k != pivot}
    return _add(rest, _scale(solution, coef))


def _normalize(form: Form, tighten: bool) -> Form:
    if not tighten:
        return form
    scaled = _integral(form)
    g = 0
    for k, v in scaled.items():
        if k != ONE:
            g = math.gcd(g, int(v))
    if g <= 1:
        return scaled
    result = {k: v / g for k, v in scaled.items() if k != ONE}
    const = scaled.get(ONE, Fraction(0))
    # Σ aᵢxᵢ + c ≤ 0  ⇔  Σ (aᵢ/g)xᵢ ≤ -c/g  ⇒  Σ (aᵢ/g)xᵢ ≤ ⌊-c/g⌋
    result[ONE] = Fraction(-math.floor(-const / g))
    return {k: v for k, v in result.items() if v}


def _fourier_motzkin(ineqs: list[Form], tighten: bool) -> bool:
    while True:
        for form in ineqs:
            if all(k == ONE for k in form) and form.get(ONE, 0) > 0:
                return True
        ineqs = [f for f in ineqs if any(k != ONE for k in f)]
        if not ineqs:
            return False
        variables = {k for f in ineqs for k in f if k != ONE}
        pivot = min(variables, key=lambda k: _elimination_cost(ineqs, k))
        pos = [f for f in ineqs if f.get(pivot, 0) > 0]
        neg = [f for f in ineqs if f.get(pivot, 0) < 0]
        rest = [f for f in ineqs if pivot not in f]
        for p, n in itertools.product(pos, neg):
            combined = _add(_scale(p, -n[pivot]), _scale(n, p[pivot]))
            rest.append(_normalize(combined, tighten))
        if len(rest) > MAX_CONSTRAINTS:
            return False
        ineqs = _dedupe(rest)


def _elimination_cost(ineqs: list[Form], k: object) -> tuple[int, str]:
    pos = sum(1 for f in ineqs if f.get(k, 0) > 0)
    neg = sum(1 for f in ineqs if f.get(k, 0) < 0)
    return pos * neg - pos - neg, repr(k)


def _dedupe(forms: list[Form]) -> list[Form]:
    seen: set[tuple[tuple[str, Fraction], ...]] = set()
    result = []
    for f in forms:
        key = tuple(sorted((repr(k), v) for k, v in f.items()))
        if key not in seen:
            seen.add(key)
            result.append(f)
    return result


# ---------------------------------------------------------------- the provers


def prove(
    hyps: list[Expr],
    goal: Expr,
    var_types: dict[str, Expr],
    *,
    split_truncation: bool,
    split_hypotheses: bool,
    tighten: bool = True,
    products: bool = False,
) -> bool:
    """Whether `hyps ⊢ goal` follows by linear arithmetic (goal None-like `False` allowed)."""
    lin = Linearizer(var_types, split_truncation)
    facts: list[list[list[Constraint]]] = []
    for hyp in hyps:
        branches = lin.dnf(hyp)
        if branches is None or (len(branches) > 1 and not split_hypotheses):
            continue
        facts.append(branches)
    negated = lin.dnf(goal, positive=False) if goal != FALSE else [[]]
    if negated is None:
        negated = [[]]
    facts.append(negated)
    if products:
        facts.extend(_product_facts(lin, facts))
    facts.extend(lin.side)
    nonneg = [
        _constraint({atom: Fraction(-1)}, False) for atom, natural in lin.atoms.items() if natural
    ]
    branch_count = 1
    for fact in facts:
        branch_count *= max(len(fact), 1)
        if branch_count > MAX_BRANCHES:
            return False
    for combination in itertools.product(*facts):
        constraints = [c for branch in combination for c in branch] + nonneg
        if not infeasible(constraints, tighten):
            return False
    return True


def _product_facts(lin: Linearizer, facts: list[list[list[Constraint]]]) -> list:
    """nlinarith's extra facts: products of pairs of hypotheses (as non-linear atoms)."""
    singles = [f[0][0] for f in facts if len(f) == 1 and len(f[0]) == 1 and not f[0][0].equality]
    extra = []
    for a, b in itertools.combinations_with_replacement(singles, 2):
        product = _multiply(dict(a.form), dict(b.form), lin)
        if product is not None:
            # a ≤ 0 and b ≤ 0 give a*b ≥ 0, i.e. -(a*b) ≤ 0
            extra.append([[_constraint(_scale(product, Fraction(-1)), False)]])
    return extra


def _multiply(a: Form, b: Form, lin: Linearizer) -> Form | None:
    result: Form = {}
    for (ka, va), (kb, vb) in itertools.product(a.items(), b.items()):
        if ka == ONE:
            key = kb
        elif kb == ONE:
            key = ka
        else:
            key = ("*", *sorted((repr(ka), repr(kb))))
            lin.atoms.setdefault(key, all(lin.atoms.get(k, False) for k in (ka, kb)))
        result = _add(result, {key: va * vb})
    return result


def linear_facts(hyps: list[Expr], var_types: dict[str, Expr]) -> list[Expr]:
    """The hypotheses omega/linarith would use (for failure messages)."""
    lin = Linearizer(var_types, split_truncation=False)
    return [h for h in hyps if lin.dnf(h) is not None and h not in (TRUE, FALSE)]
