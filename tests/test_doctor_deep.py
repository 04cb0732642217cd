"""`leanwb doctor --deep`'s checks: against the stand-in REPL (through the real pool and
the soundness gate) and against a scripted Lean that answers like a broken setup."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from typer.testing import CliRunner

from prover.cli import app
from prover.eval.datasets import DatasetFile, Manifest, find_manifest, load_jsonl, sha256_file
from prover.eval.fetch import cached_path
from prover.lean import LeanServer
from prover.lean.deep_check import (
    PROOFS,
    REFUSALS,
    SAMPLE_SIZE,
    fetched_samples,
    run_deep_checks,
)
from prover.types import CallStatus, CheckResult, Message, Position, Severity, Theorem

SHAPES = Path(__file__).resolve().parent / "data" / "upstream_shapes"


def fixture_rows(path: Path, count: int, broken: int | None = None) -> Path:
    """`count` small problems the stand-in can elaborate; row `broken` does not parse."""
    rows = []
    for i in range(count):
        statement = f"theorem deep_fixture_{i} (x : ℕ) (h₀ : x = {i}) : x + 1 = {i + 1} := by\n"
        if i == broken:
            statement = f"theorem deep_fixture_{i} (x : ℕ) : x + = 1 := by\n"
        rows.append(
            {
                "name": f"deep_fixture_{i}",
                "split": "test",
                "header": "import Mathlib",
                "formal_statement": statement,
            }
        )
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_every_check_passes_on_the_standin(lean: LeanServer, tmp_path: Path) -> None:
    problems = load_jsonl(fixture_rows(tmp_path / "set.jsonl", 7)).problems[:SAMPLE_SIZE]
    rows = run_deep_checks(lean, [("fixture", problems)], timeout=30)
    assert [(r.group, r.ok) for r in rows] == [
        *(("proves", True) for _ in PROOFS),
        *(("refuses", True) for _ in REFUSALS),
        ("dataset", True),
    ]
    details = {r.name: r.detail for r in rows}
    assert details["a new axiom"] == "rejected (forbidden_axiom)"  # Lean's audit, not a rule
    assert details["native_decide"] == "rejected (native_decide)"
    assert details["native_decide where allowed"] == "proved"
    assert details["fixture"] == "the first 5 statements elaborate with `sorry`"


def test_a_statement_that_does_not_elaborate_is_named(lean: LeanServer, tmp_path: Path) -> None:
    problems = load_jsonl(fixture_rows(tmp_path / "set.jsonl", 5, broken=3)).problems
    (row,) = [r for r in run_deep_checks(lean, [("fixture", problems)], 30) if r.group == "dataset"]
    assert not row.ok
    assert row.detail.startswith("deep_fixture_3 (line 1): unexpected token")


def test_no_fetched_dataset_is_said(lean: LeanServer) -> None:
    rows = run_deep_checks(lean, [], timeout=30)
    assert rows[-1].name == "(none fetched)"
    assert "leanwb datasets fetch" in rows[-1].detail


@dataclass
class ScriptedLean:
    """A Lean that answers every check with `reply(header, body)`."""

    reply: Callable[[str, str], CheckResult]
    bodies: list[str] = field(default_factory=list)

    def check(self, header: str, body: str, timeout: float | None = None) -> CheckResult:
        self.bodies.append(body)
        return self.reply(header, body)

    def start(self, theorem: Theorem, timeout: float | None = None) -> object:
        raise AssertionError("the deep check only uses check")

    def run_tactic(self, state: object, tactic: str, timeout: float | None = None) -> object:
        raise AssertionError("the deep check only uses check")


def test_a_header_that_does_not_import_fails_the_dataset_row() -> None:
    problems = load_jsonl(SHAPES / "yangky11_minif2f_lean4.jsonl").problems  # 2023 header
    unknown = "unknown module prefix 'Mathlib.Data.Nat.Digits'\n\nNo directory …"
    lean = ScriptedLean(lambda header, body: CheckResult(CallStatus.OK, env=None, error=unknown))
    row = run_deep_checks(lean, [("minif2f-v4.24", problems)])[-1]
    assert not row.ok
    assert row.detail == (
        "shape_add: the header does not elaborate: unknown module prefix 'Mathlib.Data.Nat.Digits'"
    )


def test_a_setup_that_accepts_anything_fails_the_known_proofs() -> None:
    """A REPL answering every command with nothing (no `#print axioms` reply): the gate
    cannot audit, so no known fact counts as proved; refusals by static rules still hold."""
    lean = ScriptedLean(lambda header, body: CheckResult(CallStatus.OK, env=1))
    rows = {r.name: r for r in run_deep_checks(lean, [])}
    for known in PROOFS:
        assert not rows[known.label].ok
        assert "rejected (axioms_unknown)" in rows[known.label].detail
    assert rows["sorry"].ok and rows["a changed statement"].ok
    assert not rows["a new axiom"].ok  # only Lean's audit can catch it


def test_a_lean_error_fails_a_known_proof() -> None:
    error = Message(Severity.ERROR, Position(2, 2), None, "linarith failed to find a contradiction")
    lean = ScriptedLean(lambda header, body: CheckResult(CallStatus.OK, env=1, messages=(error,)))
    row = next(r for r in run_deep_checks(lean, []) if r.name == "linarith")
    assert not row.ok and row.detail.startswith("failed (lean_error)")


def test_fetched_samples_load_the_cached_file_with_the_manifest_header(tmp_path: Path) -> None:
    source = SHAPES / "yangky11_minif2f_lean4.jsonl"
    manifest = Manifest(
        name="shapes",
        description="fixture",
        file=DatasetFile(url="https://example.invalid/x", sha256=sha256_file(source), filename="x"),
        repository="fixture",
        revision="0",
        license="MIT",
        lean_version="4.24.0",
        mathlib="v4.24.0",
        splits={"valid": 1, "test": 2},
        header_override=find_manifest("minif2f-v4.24").header_override,
    )
    absent = replace(manifest, name="absent")
    target = cached_path(manifest, tmp_path)
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    samples = fetched_samples([manifest, absent], tmp_path, size=2)
    assert [name for name, _ in samples] == ["shapes"]  # "absent" is not fetched
    (_, problems) = samples[0]
    assert not isinstance(problems, str)
    assert [p.key for p in problems] == ["shape_add", "shape_and"]
    assert manifest.header_override is not None
    assert {p.theorem.header for p in problems} == {manifest.header_override.header}


def test_doctor_deep_on_the_standin_prints_one_table(standin_env: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["doctor", "--deep", "--json"], env={"LEANWB_DATASETS_CACHE": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["ready"] is True
    assert all(row["ok"] for row in payload["deep"])
    assert len(payload["deep"]) == len(PROOFS) + len(REFUSALS) + 1
