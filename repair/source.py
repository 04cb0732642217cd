"""The theorem and the proof to repair, as they stand in a Lean file.

Reading is `prover.lean_text.declaration_from_text`, the parser every command shares;
this only insists that there is a proof to repair.
"""

from __future__ import annotations

from prover.lean_text import Declaration, TheoremTextError, declaration_from_text


def read_source(text: str, *, name: str | None = None, source: str | None = None) -> Declaration:
    """The theorem called `name` (or the only one) in `text`, with its proof and where
    it lies. Raises TheoremTextError with one sentence saying what is wrong."""
    found = declaration_from_text(text, name=name, default_header="", source=source)
    if found.proof is None or not found.proof.strip():
        raise TheoremTextError(f"`{found.theorem.name}` has no proof after `:=` to repair")
    return found
