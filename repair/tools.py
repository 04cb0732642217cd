"""Tool correction: the alternatives tried in place of a failing automation call.

After Lyra's Tool Correction (§5.1 of /work/shared/research/algorithms.md): when an
automation tactic fails, the call is replaced by each alternative of its row in
`ALTERNATIVES`, in order, and the first one Lean accepts stays. The table is data and
docs/repair.md prints it; a test keeps the two equal. An alternative keeps the
call's simp-set or hint terms (`linarith [h₁, h₂]` → `nlinarith [h₁, h₂]`) when it
takes terms, and its location (`simp at h` → `norm_num at h`) when it takes one; an
alternative that cannot act on the call's location is left out. `native_decide` is
never proposed: the soundness gate refuses it by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# tactic: (takes a `[terms]` list, takes an `at` location)
TOOLS: dict[str, tuple[bool, bool]] = {
    "linarith": (True, False),
    "nlinarith": (True, False),
    "positivity": (False, False),
    "norm_num": (True, True),
    "simp": (True, True),
    "simp_all": (True, False),
    "omega": (False, False),
    "decide": (False, False),
    "rfl": (False, False),
    "ring": (False, False),
    "ring_nf": (False, True),
    "field_simp": (True, True),
    "aesop": (False, False),
    "tauto": (False, False),
    "trivial": (False, False),
    "exact?": (False, False),
    "norm_cast": (False, True),
    "push_cast": (True, True),
    "contradiction": (False, False),
    "assumption": (False, False),
}

ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "linarith": ("nlinarith", "positivity", "norm_num", "omega", "simp_all", "aesop"),
    "nlinarith": ("linarith", "positivity", "norm_num", "omega", "simp_all"),
    "positivity": ("nlinarith", "linarith", "norm_num", "simp_all"),
    "omega": ("linarith", "nlinarith", "norm_num", "simp_all", "decide"),
    "norm_num": ("simp", "omega", "linarith", "nlinarith", "simp_all", "decide"),
    "simp": ("norm_num", "simp_all", "omega", "linarith", "decide", "aesop"),
    "simp_all": ("simp", "norm_num", "aesop", "omega", "linarith"),
    "decide": ("norm_num", "simp", "omega", "rfl"),
    "rfl": ("norm_num", "simp", "decide", "omega"),
    "ring": ("ring_nf", "norm_num", "linarith", "nlinarith", "omega", "simp"),
    "ring_nf": ("ring", "norm_num", "simp", "linarith", "nlinarith"),
    "field_simp": ("norm_num", "simp", "ring_nf", "linarith", "nlinarith"),
    "aesop": ("simp_all", "tauto", "omega", "linarith", "decide"),
    "tauto": ("aesop", "simp_all", "decide"),
    "trivial": ("simp", "decide", "norm_num", "aesop"),
    "exact?": ("aesop", "simp_all", "omega", "linarith", "norm_num"),
    "norm_cast": ("push_cast", "simp", "norm_num", "omega", "linarith"),
    "push_cast": ("norm_cast", "simp", "norm_num", "omega", "linarith"),
    "contradiction": ("simp_all", "omega", "linarith", "tauto"),
    "assumption": ("simp_all", "aesop", "tauto", "omega"),
}

_CALL = re.compile(
    r"^(?P<name>[A-Za-z_][\w']*\??)(?P<only>\s+only)?"
    r"(?:\s*\[(?P<terms>[^\]]*)\])?(?:\s+at\s+(?P<location>.+?))?\s*$"
)


@dataclass(frozen=True)
class AutomationCall:
    """A one-line call of a tactic in `TOOLS`: `name [terms] at location`."""

    name: str
    terms: str | None = None
    location: str | None = None


def parse_call(text: str) -> AutomationCall | None:
    """The automation call that `text` is (None if it is something else)."""
    match = _CALL.match(text.strip())
    if match is None or match.group("name") not in TOOLS:
        return None
    terms = match.group("terms")
    return AutomationCall(
        match.group("name"), terms.strip() if terms else None, match.group("location")
    )


def render(call: AutomationCall, name: str) -> str | None:
    """The call with tactic `name` instead, keeping what `name` can take; None when
    `name` cannot act on the call's location."""
    takes_terms, takes_location = TOOLS[name]
    text = name
    if call.terms and takes_terms:
        text += f" [{call.terms}]"
    if call.location:
        if takes_location:
            text += f" at {call.location}"
        elif name != "simp_all":  # simp_all works on every hypothesis anyway
            return None
    return text


def alternatives(text: str) -> list[str]:
    """What to try instead of the failing call `text`, in order (none when `text` is not
    an automation call of the table)."""
    call = parse_call(text)
    if call is None:
        return []
    rendered = (render(call, name) for name in ALTERNATIVES.get(call.name, ()))
    seen = {text.strip()}
    out: list[str] = []
    for option in rendered:
        if option is not None and option not in seen:
            seen.add(option)
            out.append(option)
    return out
