"""The syntax refiner: small named rules for the mistakes models make most often.

Each rule rewrites the proof body (never the statement: it is not even given the
statement's text to edit) and only matches text that cannot be a valid Lean 4 proof
as written: Lean 3 syntax (`begin … end`, trailing commas, `λ x, e`, `assume`,
`cases h with a b`, `rw h`, …), Markdown fences, Unicode look-alikes, a stray or
missing `by`. So running every rule before Lean is asked costs nothing on a good
proof (after APOLLO's syntax refiner, §4.1 of /work/shared/research/algorithms.md,
but rewriting tokens, not raw substrings: `split_ifs` is never touched by a rule
about `split`). `refine` applies them in order and reports each one that changed
something, so every rule becomes its own step in the proof graph.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prover.types import Theorem

_OPEN = {"(": ")", "[": "]", "⟨": "⟩", "⦃": "⦄"}
_CLOSE = frozenset(_OPEN.values())
_WORD = r"[A-Za-z_][\w'.!?₀-₉]*"
# Where a tactic starts: after a line's indentation and block openers, or after `by`,
# `;`, `<;>`, `=>` or `{` anywhere on it.
_TACTIC_PREFIX = re.compile(r"^\s*(?:(?:·|\.|by|<;>|;|=>|\{)\s+)*")
_INNER_START = re.compile(r"(?:(?<![\w.'])by|<;>|;|=>|\{)\s+")


@dataclass(frozen=True)
class RuleContext:
    """What a rule may read besides the proof (it edits only the proof)."""

    theorem: Theorem


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str
    rewrite: Callable[[str, RuleContext], str]


@dataclass(frozen=True)
class Rewrite:
    """One rule that changed the proof: the text before and after, and the lines of
    `before` it touched (0-based)."""

    rule: Rule
    before: str
    after: str
    lines: tuple[int, ...]


def refine(proof: str, theorem: Theorem) -> list[Rewrite]:
    """Apply every rule in order; the rewrites that changed something, in order."""
    context = RuleContext(theorem)
    applied: list[Rewrite] = []
    for rule in RULES:
        after = rule.rewrite(proof, context)
        if after != proof:
            applied.append(Rewrite(rule, proof, after, changed_lines(proof, after)))
            proof = after
    return applied


def refined(proof: str, theorem: Theorem) -> str:
    """The proof after every rule."""
    rewrites = refine(proof, theorem)
    return rewrites[-1].after if rewrites else proof


def changed_lines(before: str, after: str) -> tuple[int, ...]:
    """Lines of `before` that `after` changed or deleted (an insertion counts at the
    line it was inserted before)."""
    old, new = before.splitlines(), after.splitlines()
    touched: set[int] = set()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            touched.update(range(i1, i2) if i2 > i1 else [min(i1, max(0, len(old) - 1))])
    return tuple(sorted(touched))


def line_map(before: str, after: str) -> dict[int, int]:
    """Where each line of `before` went in `after` (lines a rewrite deleted are absent;
    a block of lines replaced by a block maps line by line, as far as both go)."""
    old, new = before.splitlines(), after.splitlines()
    mapping: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            mapping.update((i1 + k, j1 + k) for k in range(min(i2 - i1, j2 - j1)))
    return mapping


# --- text helpers -----------------------------------------------------------------


def _code_and_comment(line: str) -> tuple[str, str]:
    """A line split before its `--` comment (strings are rare in proofs; not handled)."""
    cut = line.find("--")
    return (line, "") if cut < 0 else (line[:cut], line[cut:])


def _map_lines(proof: str, edit: Callable[[str], str]) -> str:
    out = []
    for line in proof.split("\n"):
        code, comment = _code_and_comment(line)
        out.append(edit(code) + comment)
    return "\n".join(out)


def _depth_scan(text: str, depth: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, bracket depth before it) over `text`; `{}` are not counted,
    since in tactic blocks they enclose tactics, not terms."""
    for index, char in enumerate(text):
        if char in _CLOSE:
            depth = max(0, depth - 1)
        yield index, char, depth
        if char in _OPEN:
            depth += 1


def _tactic_starts(code: str) -> list[int]:
    """Offsets in `code` where a tactic may start."""
    first = _TACTIC_PREFIX.match(code)
    starts = {first.end() if first else 0}
    starts.update(match.end() for match in _INNER_START.finditer(code))
    return sorted(starts)


def _replace_tactic(
    code: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
) -> str:
    """Apply `pattern` (anchored) at every place a tactic starts on the line."""
    for start in reversed(_tactic_starts(code)):
        match = pattern.match(code, start)
        if match is not None:
            code = code[:start] + repl(match) + code[match.end() :]
    return code


# --- the rules ----------------------------------------------------------------------

_FENCE_LINE = re.compile(r"^\s*```[\w-]*\s*$")


def _markdown_fences(proof: str, _: RuleContext) -> str:
    return "\n".join(line for line in proof.split("\n") if not _FENCE_LINE.match(line))


LOOKALIKES = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash
    "\u2217": "*",  # asterisk operator
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00a0": " ",  # no-break space
    "\u2009": " ",  # thin space
    "\u3000": " ",  # ideographic space
    "\u200b": "",  # zero-width space
    "\ufeff": "",  # byte-order mark
    "\uff08": "(",  # fullwidth parentheses, colon, comma
    "\uff09": ")",
    "\uff1a": ":",
    "\uff0c": ",",
    "\u2266": "≤",  # less-than over equal
    "\u2267": "≥",
    "\u2a7d": "≤",  # slanted less-than-or-equal
    "\u2a7e": "≥",
    "\u21d2": "=>",  # rightwards double arrow, as in `fun x ⇒ e`
}
_LOOKALIKE = re.compile("|".join(map(re.escape, LOOKALIKES)))


def _unicode_lookalikes(proof: str, _: RuleContext) -> str:
    return _LOOKALIKE.sub(lambda m: LOOKALIKES[m.group(0)], proof)


_BEGIN = re.compile(r"(?<![\w.'])begin(?![\w.'])")
_END_LINE = re.compile(r"^\s*end\s*,?\s*$")


def _lean3_begin_end(proof: str, _: RuleContext) -> str:
    if not _BEGIN.search(proof):
        return proof
    kept = [line for line in proof.split("\n") if not _END_LINE.match(line)]
    return _BEGIN.sub("by", "\n".join(kept))


def _lean3_trailing_commas(proof: str, _: RuleContext) -> str:
    out, depth = [], 0
    for line in proof.split("\n"):
        code, comment = _code_and_comment(line)
        stripped = code.rstrip()
        depth = _depth_after(stripped, depth)
        if stripped.endswith(",") and depth == 0:
            code = stripped[:-1] + code[len(stripped) :]
        out.append(code + comment)
    return "\n".join(out)


def _depth_after(text: str, depth: int) -> int:
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
    return depth


_BRACE_BLOCK = re.compile(r"^(?P<lead>\s*(?:·\s*)?)\{(?P<inner>.*)\}(?P<tail>\s*,?\s*)$")


def _lean3_brace_blocks(proof: str, _: RuleContext) -> str:
    def edit(code: str) -> str:
        match = _BRACE_BLOCK.match(code)
        if match is None:
            return code
        inner = match.group("inner")
        parts = _split_top_level(inner, ",")
        if len(parts) == 1 and not match.group("tail").strip():
            return code
        tactics = [p.strip() for p in parts if p.strip()]
        return f"{match.group('lead')}{{ {'; '.join(tactics)} }}"

    return _map_lines(proof, edit)


def _split_top_level(text: str, separator: str) -> list[str]:
    parts, start = [], 0
    for index, char, depth in _depth_scan(text):
        if char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


_LAMBDA = re.compile(r"(?<![\w.'])(?:λ|fun)(?![\w.'])")


def _lean3_lambda(proof: str, _: RuleContext) -> str:
    """`λ x, e` and `fun x, e` become `fun x => e` (the comma at the binders' depth)."""
    text, search_from = proof, 0
    while match := _LAMBDA.search(text, search_from):
        rest = text[match.end() :]
        cut = None
        for index, char, depth in _depth_scan(rest):
            if depth == 0 and (rest.startswith("=>", index) or char in "↦\n"):
                break
            if depth == 0 and char == ",":
                cut = index
                break
        if cut is None:
            search_from = match.end()
            continue
        binders = rest[:cut].rstrip()
        text = f"{text[: match.start()]}fun{binders} =>{rest[cut + 1 :]}"
        search_from = match.start() + 3
    return text


_ASSUME = re.compile(r"assume(?![\w.'])\s*(?P<rest>[^,]*?)\s*,?\s*$")


def _lean3_assume(proof: str, _: RuleContext) -> str:
    def repl(match: re.Match[str]) -> str:
        rest = match.group("rest").strip()
        if ":" in rest and not rest.startswith("("):
            rest = f"({rest})"
        return f"intro {rest}".rstrip()

    return _map_lines(proof, lambda code: _replace_tactic(code, _ASSUME, repl))


_CASES_WITH = re.compile(r"cases\s+(?P<target>[^\s,]+)\s+with\s+(?P<names>[\w'₀-₉ ]+?)\s*$")


def _lean3_cases_with(proof: str, context: RuleContext) -> str:
    """`cases h with a b` (Lean 3) names the constructor arguments in order: an
    ∧/∃/↔ hypothesis becomes `obtain ⟨a, b⟩ := h`, an ∨ one `rcases h with a | b`,
    anything else Mathlib's `cases' h with a b`."""
    lines = proof.split("\n")
    for number, line in enumerate(lines):
        code, comment = _code_and_comment(line)

        def repl(match: re.Match[str], number: int = number) -> str:
            target, names = match.group("target"), match.group("names").split()
            shape = _connective(hypothesis_type(target, context.theorem, lines[:number]))
            if shape == "tuple":
                return f"obtain ⟨{', '.join(names)}⟩ := {target}"
            if shape == "or" and len(names) == 2:
                return f"rcases {target} with {names[0]} | {names[1]}"
            return f"cases' {target} with {' '.join(names)}"

        lines[number] = _replace_tactic(code, _CASES_WITH, repl) + comment
    return "\n".join(lines)


_RW = re.compile(r"(?P<tac>rw|rewrite|rwa|erw)\s+(?!\[)(?P<arrow>←\s*|<-\s*)?(?P<term>[^\s,\[\]]+)")


def _lean3_rw_brackets(proof: str, _: RuleContext) -> str:
    def repl(match: re.Match[str]) -> str:
        arrow = "← " if match.group("arrow") else ""
        return f"{match.group('tac')} [{arrow}{match.group('term')}]"

    return _map_lines(proof, lambda code: _replace_tactic(code, _RW, repl))


_SIMP_STAR = re.compile(r"(?P<tac>simp|simp_all|norm_num|field_simp)\s+\*(?=\s|$)")


def _lean3_simp_star(proof: str, _: RuleContext) -> str:
    return _map_lines(
        proof,
        lambda code: _replace_tactic(code, _SIMP_STAR, lambda m: f"{m.group('tac')} [*]"),
    )


_HAVE_COMMA = re.compile(
    r"(?P<head>(?:have|show|suffices)\b.*?)\s*,\s*(?P<kind>from|by)(?![\w.'])\s*(?P<rest>.*)$"
)
_FROM = re.compile(r"from(?![\w.'])\s*")


def _lean3_have_comma(proof: str, _: RuleContext) -> str:
    """`have h : P, from e` → `have h : P := e`; `have h : P, by tac` → `:= by tac`;
    a tactic `from e` → `exact e`."""

    def have(match: re.Match[str]) -> str:
        rest = match.group("rest")
        if match.group("kind") == "by":
            return f"{match.group('head')} := by {rest}".rstrip()
        return f"{match.group('head')} := {rest}".rstrip()

    def edit(code: str) -> str:
        code = _replace_tactic(code, _HAVE_COMMA, have)
        return _replace_tactic(code, _FROM, lambda _: "exact ")

    return _map_lines(proof, edit)


LEAN3_TACTICS = {
    "refl": "rfl",
    "existsi": "use",
    "by_contradiction": "by_contra",
    "rintros": "rintro",
    "library_search": "exact?",
    "apply_instance": "infer_instance",
    "tidy": "aesop",
    "norm_num1": "norm_num",
}
_LEAN3_TACTIC = re.compile(rf"(?P<name>{'|'.join(map(re.escape, LEAN3_TACTICS))})(?![\w.'!?])")


def _lean3_tactic_names(proof: str, _: RuleContext) -> str:
    return _map_lines(
        proof,
        lambda code: _replace_tactic(code, _LEAN3_TACTIC, lambda m: LEAN3_TACTICS[m.group("name")]),
    )


def _stray_by(proof: str, _: RuleContext) -> str:
    """A `by` alone on a line right after a line that already ends in `by` (or opens
    the proof) is dropped; `by by` is one `by`."""
    text = re.sub(r"(?<![\w.'])by\s+by(?![\w.'])", "by", proof)
    out: list[str] = []
    for line in text.split("\n"):
        previous = next((kept for kept in reversed(out) if kept.strip()), None)
        if (
            line.strip() == "by"
            and previous is not None
            and re.search(r"(?<![\w.'])by\s*$", _code_and_comment(previous)[0])
        ):
            continue
        out.append(line)
    return "\n".join(out)


AUTOMATION_WORDS = (
    "linarith",
    "nlinarith",
    "norm_num",
    "simp",
    "simp_all",
    "omega",
    "positivity",
    "ring",
    "ring_nf",
    "field_simp",
    "aesop",
    "tauto",
    "polyrith",
    "norm_cast",
    "push_cast",
    "exact_mod_cast",
)
_MISSING_BY = re.compile(rf":=\s*(?P<tac>(?:{'|'.join(AUTOMATION_WORDS)})(?![\w.'?!]))")


def _missing_by(proof: str, _: RuleContext) -> str:
    """`have h : P := linarith` (a tactic where a term belongs) → `:= by linarith`."""
    return _map_lines(proof, lambda code: _MISSING_BY.sub(r":= by \g<tac>", code))


RULES: tuple[Rule, ...] = (
    Rule("markdown_fences", "drop Markdown code fence lines (```lean … ```)", _markdown_fences),
    Rule(
        "unicode_lookalikes",
        "replace Unicode look-alikes (− ’ “ no-break spaces, fullwidth ( ) : ,) with Lean's",
        _unicode_lookalikes,
    ),
    Rule("lean3_begin_end", "turn Lean 3 `begin … end` into a `by` block", _lean3_begin_end),
    Rule(
        "lean3_brace_blocks",
        "separate the tactics of a one-line Lean 3 `{ t1, t2 }` block with `;`",
        _lean3_brace_blocks,
    ),
    Rule("lean3_lambda", "turn `λ x, e` and `fun x, e` into `fun x => e`", _lean3_lambda),
    Rule(
        "lean3_trailing_commas",
        "drop the Lean 3 comma that ends a tactic line (outside brackets)",
        _lean3_trailing_commas,
    ),
    Rule("lean3_assume", "turn Lean 3 `assume x y` into `intro x y`", _lean3_assume),
    Rule(
        "lean3_cases_with",
        "turn Lean 3 `cases h with a b` into `obtain ⟨a, b⟩ := h` (∧ ∃ ↔), "
        "`rcases h with a | b` (∨) or `cases' h with a b`",
        _lean3_cases_with,
    ),
    Rule("lean3_rw_brackets", "turn `rw h` into `rw [h]` (also rwa, erw, ←)", _lean3_rw_brackets),
    Rule("lean3_simp_star", "turn `simp * at *` into `simp [*] at *`", _lean3_simp_star),
    Rule(
        "lean3_have_comma",
        "turn `have h : P, from e` / `, by tac` into `:= e` / `:= by tac`, `from e` into `exact e`",
        _lean3_have_comma,
    ),
    Rule(
        "lean3_tactic_names",
        "rename Lean 3 tactics (refl, existsi, by_contradiction, library_search, …)",
        _lean3_tactic_names,
    ),
    Rule("stray_by", "drop a `by` repeated on its own line or written twice", _stray_by),
    Rule("missing_by", "add the `by` missing before a tactic after `:=`", _missing_by),
)


# --- hypothesis types, read from the statement and the proof text ------------------------

_HAVE_TYPE = re.compile(
    r"^\s*(?:·\s*)?(?:have|obtain)\s+(?P<name>[\w'₀-₉]+)\s*:\s*(?P<type>.*?)\s*:="
)


def hypothesis_type(name: str, theorem: Theorem, earlier_lines: list[str]) -> str | None:
    """The type of hypothesis `name` as written in the statement's binders or in an
    earlier `have name : T :=` line of the proof (None when neither says)."""
    for line in reversed(earlier_lines):
        match = _HAVE_TYPE.match(line)
        if match and match.group("name") == name:
            return match.group("type")
    for names, type_ in binders(theorem.statement):
        if name in names:
            return type_
    return None


def binders(statement: str) -> list[tuple[list[str], str]]:
    """The `(a b : T)`-style binder groups of a declaration, as (names, type)."""
    found: list[tuple[list[str], str]] = []
    depth, start = 0, -1
    for index, char in enumerate(statement):
        if char in "({[⦃" and depth == 0:
            start = index + 1
        if char in "({[⦃":
            depth += 1
        elif char in ")}]⦄":
            depth -= 1
            if depth == 0 and start >= 0:
                names, colon, type_ = statement[start:index].partition(":")
                if colon and not type_.startswith("="):
                    found.append((names.split(), type_.strip()))
                start = -1
    return found


def _connective(type_: str | None) -> str | None:
    """ "tuple" for a top-level ∧/∃/↔, "or" for ∨, None otherwise (or unknown)."""
    if type_ is None:
        return None
    text = type_.strip()
    seen: set[str] = set()
    for _, char, depth in _depth_scan(text):
        if depth == 0:
            seen.add(char)
    if "→" in seen:
        return None
    if "↔" in seen:
        return "tuple"
    if "∨" in seen:
        return "or"
    if "∧" in seen or text.startswith("∃"):
        return "tuple"
    return None
