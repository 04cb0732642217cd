"""Turn a path of tactics into the text of a `by` block."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

# `Theorem.with_proof` keeps `by` on the `:=` line; the tactics go one level in.
TACTIC_INDENT = "  "


def tactic_script(tactics: Sequence[str]) -> str:
    """`by` followed by each tactic on its own line, one level deeper.

    Each step of the path ran against all goals of its state, exactly as if it were
    written at that point of a `by` block, so the steps in order reproduce the path.
    A multi-line tactic keeps its own relative indentation under the common prefix.
    """
    if not tactics:
        raise ValueError("a tactic script needs at least one tactic")
    lines = ["by"]
    for tactic in tactics:
        body = textwrap.dedent(tactic).strip("\n").rstrip()
        if not body.strip():
            raise ValueError("a tactic in the script is empty")
        lines.append(textwrap.indent(body, TACTIC_INDENT))
    return "\n".join(lines)
