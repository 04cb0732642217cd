"""`leanwb doctor --deep`: a first real run, in seconds instead of an hour into an eval.

Through the configured REPL and the soundness gate (`prover.verify.verify`) it

* proves a handful of facts every working setup proves (omega, subst then norm_num,
  linarith, a proof term, numerals, `native_decide` where it is allowed);
* checks that the gate refuses `sorry`, a new `axiom`, `native_decide` (not allowed)
  and a proof that changes the statement, each for its own reason;
* elaborates the first `SAMPLE_SIZE` statements of every fetched benchmark with
  `sorry` (header, Mathlib names and notation), with the loader's rewrites applied.

Each check is one `DeepCheck` row; the command prints them as one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from prover.eval.datasets import DatasetError, Manifest, Problem, load_jsonl
from prover.eval.fetch import verified_cached
from prover.lean.process import LeanUnavailableError
from prover.protocols import Lean
from prover.types import CallStatus, Theorem, VerdictKind
from prover.verify import verify

SAMPLE_SIZE = 5
MATHLIB_HEADER = "import Mathlib"


@dataclass(frozen=True)
class KnownProof:
    """A proof with a known verdict: `refusal` None means it must be proved, else the
    gate must reject it with that reason code."""

    label: str
    statement: str
    proof: str
    refusal: str | None = None
    header: str = MATHLIB_HEADER
    allow_native_decide: bool = False


PROOFS: tuple[KnownProof, ...] = (
    KnownProof("omega", "theorem leanwb_deep_add_comm (a b : ℕ) : a + b = b + a", "by omega"),
    KnownProof(
        "subst, then norm_num",
        "theorem leanwb_deep_subst (x : ℕ) (h₀ : x = 3) : x + 2 = 5",
        "by\n  subst h₀\n  norm_num",
    ),
    KnownProof(
        "linarith",
        "theorem leanwb_deep_linarith (x y : ℤ) (h₀ : x < y) (h₁ : y < 3) : x < 3",
        "by linarith",
    ),
    KnownProof(
        "a proof term", "theorem leanwb_deep_swap (p q : Prop) (h : p ∧ q) : q ∧ p", "⟨h.2, h.1⟩"
    ),
    KnownProof("norm_num on numerals", "theorem leanwb_deep_pow : 2 ^ 10 = 1024", "by norm_num"),
    KnownProof(
        "native_decide where allowed",
        "theorem leanwb_deep_native_ok : 2 + 2 = 4",
        "by native_decide",
        allow_native_decide=True,
    ),
)

REFUSALS: tuple[KnownProof, ...] = (
    KnownProof("sorry", "theorem leanwb_deep_sorry (p : Prop) : p", "by sorry", "contains_sorry"),
    KnownProof(
        "a new axiom",
        "theorem leanwb_deep_axiom (p : Prop) : p",
        "by exact leanwb_deep_cheat _",
        "forbidden_axiom",
        header=f"{MATHLIB_HEADER}\n\naxiom leanwb_deep_cheat (q : Prop) : q",
    ),
    KnownProof(
        "native_decide",
        "theorem leanwb_deep_native : 2 + 2 = 4",
        "by native_decide",
        "native_decide",
    ),
    KnownProof(
        "a changed statement",
        "theorem leanwb_deep_changed (p : Prop) : p",
        "by\n  trivial\ntheorem leanwb_deep_changed : True := trivial",
        "statement_mismatch",
    ),
)


@dataclass(frozen=True)
class DeepCheck:
    group: str  # "proves", "refuses" or "dataset"
    name: str
    ok: bool
    detail: str


def check_known(known: KnownProof, lean: Lean, timeout: float | None) -> DeepCheck:
    """Run one known proof through the gate and compare the verdict with the expected one."""
    name = known.statement.split(":")[0].split()[1]
    theorem = Theorem(name=name, header=known.header, statement=known.statement)
    verdict = verify(
        theorem, known.proof, lean, allow_native_decide=known.allow_native_decide, timeout=timeout
    )
    said = verdict.kind.value + (f" ({verdict.reason})" if verdict.reason else "")
    if known.refusal is None:
        ok = verdict.kind is VerdictKind.PROVED
        detail = said if ok else f"{said}: {verdict.detail}"
        return DeepCheck("proves", known.label, ok, detail)
    ok = verdict.kind is VerdictKind.REJECTED and verdict.reason == known.refusal
    detail = said if ok else f"{said}, expected rejected ({known.refusal}): {verdict.detail}"
    return DeepCheck("refuses", known.label, ok, detail)


def fetched_samples(
    manifests: Iterable[Manifest], cache_dir: Path, size: int = SAMPLE_SIZE
) -> list[tuple[str, list[Problem] | str]]:
    """For every manifest whose file is cached and verified: its first `size` problems as the
    loader gives them, or why they could not be loaded."""
    samples: list[tuple[str, list[Problem] | str]] = []
    for manifest in manifests:
        path = verified_cached(manifest, cache_dir)
        if path is None:
            continue
        try:
            loaded = load_jsonl(path, header_override=manifest.header_override)
        except DatasetError as exc:
            samples.append((manifest.name, str(exc)))
            continue
        samples.append((manifest.name, loaded.problems[:size]))
    return samples


def check_sample(
    name: str, sample: Sequence[Problem] | str, lean: Lean, timeout: float | None
) -> DeepCheck:
    """Elaborate each statement of `sample` with `sorry`: the first that fails says why."""
    if isinstance(sample, str):
        return DeepCheck("dataset", name, False, f"does not load: {sample}")
    for problem in sample:
        theorem = problem.theorem
        result = lean.check(theorem.header, theorem.with_proof("by sorry"), timeout)
        if result.status is not CallStatus.OK:
            why = f"{result.status.value}: {result.error or ''}".rstrip(": ")
            return DeepCheck("dataset", name, False, f"{problem.key}: {why}")
        if result.env is None and result.error is not None:
            return DeepCheck(
                "dataset",
                name,
                False,
                f"{problem.key}: the header does not elaborate: "
                f"{result.error.partition(chr(10))[0]}",
            )
        if result.errors:
            first = result.errors[0]
            where = f"line {first.pos.line}" if first.pos else "?"
            text = first.text.partition("\n")[0]
            return DeepCheck("dataset", name, False, f"{problem.key} ({where}): {text}")
    return DeepCheck(
        "dataset", name, True, f"the first {len(sample)} statements elaborate with `sorry`"
    )


def run_deep_checks(
    lean: Lean,
    samples: Sequence[tuple[str, Sequence[Problem] | str]],
    timeout: float | None = None,
) -> list[DeepCheck]:
    """Every check, in table order; a REPL that cannot start fails the remaining ones."""
    rows: list[DeepCheck] = []
    try:
        for known in (*PROOFS, *REFUSALS):
            rows.append(check_known(known, lean, timeout))
        for name, sample in samples:
            rows.append(check_sample(name, sample, lean, timeout))
    except LeanUnavailableError as exc:
        rows.append(DeepCheck("repl", "start", False, f"the REPL cannot start: {exc}"))
        return rows
    if not samples:
        rows.append(
            DeepCheck("dataset", "(none fetched)", True, "`leanwb datasets fetch NAME` first")
        )
    return rows
