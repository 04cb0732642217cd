"""The loader on the upstream row shapes (tests/data/upstream_shapes): a NaN text field, the
2023 header the `minif2f-v4.24` manifest overrides, and the removed `∑ x in s` spelling;
the counts are reported by `datasets info` and recorded in an eval run's config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prover.cli import app
from prover.eval.big_operators import rewrite_big_operators
from prover.eval.datasets import Problem, find_manifest, load_jsonl
from prover.graph.store import Store

SHAPES = Path(__file__).resolve().parent / "data" / "upstream_shapes"
YANGKY11 = SHAPES / "yangky11_minif2f_lean4.jsonl"
DEEPSEEK_MINIF2F = SHAPES / "deepseek_minif2f.jsonl"
DEEPSEEK_PROOFNET = SHAPES / "deepseek_proofnet.jsonl"
OLD_BINDER = re.compile(r"[∑∏][^,]*? in ")
# Mathlib's pinned header, as every per-problem file of yangky11/miniF2F-lean4 @ 5746b7d has it.
PINNED_HEADER = (
    "import Mathlib\n\nset_option maxHeartbeats 0\n\nopen BigOperators Real Nat Topology Rat"
)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_the_fixture_has_the_upstream_quirks() -> None:
    raw = YANGKY11.read_text(encoding="utf-8")
    assert '"informal_proof": NaN' in raw  # the bare token, as upstream writes it
    header = json.loads(raw.splitlines()[0])["header"]
    assert "import Mathlib.Algebra.BigOperators.Basic" in header
    assert "import Mathlib.Data.Nat.Digits\n" in header


def test_nan_and_empty_text_are_missing_and_counted() -> None:
    loaded = load_jsonl(YANGKY11)
    by_key = {p.key: p for p in loaded.problems}
    assert by_key["shape_and"].theorem.informal_proof is None  # NaN
    assert by_key["shape_sum"].theorem.informal_proof is None  # ""
    assert by_key["shape_add"].theorem.informal_proof == "Substitute."
    assert loaded.missing_text == {"informal_proof": 2}
    assert loaded.load_notes()["missing_text"] == {"informal_proof": 2}


def test_the_manifest_header_override_replaces_the_2023_header() -> None:
    override = find_manifest("minif2f-v4.24").header_override
    assert override is not None
    assert override.header == PINNED_HEADER
    assert "5746b7d6c47855ce1294bed87329618ff7f1bc31" in override.source
    plain = load_jsonl(YANGKY11)
    assert all("Mathlib.Data.Nat.Digits" in p.theorem.header for p in plain.problems)
    assert plain.load_notes()["header_override"] is None
    loaded = load_jsonl(YANGKY11, header_override=override)
    assert {p.theorem.header for p in loaded.problems} == {PINNED_HEADER}
    assert loaded.headers_replaced == 3
    notes = loaded.load_notes()["header_override"]
    assert notes["rows_replaced"] == 3 and notes["header"] == PINNED_HEADER
    # The other manifests keep each row's own header.
    assert find_manifest("minif2f").header_override is None


def test_removed_binder_spelling_is_rewritten_and_the_original_kept() -> None:
    loaded = load_jsonl(DEEPSEEK_MINIF2F)
    by_key = {p.key: p for p in loaded.problems}
    assert loaded.notation_rewritten == 3
    summed = by_key["shape_sum_in"]
    assert summed.theorem.statement == (
        "theorem shape_sum_in (n : ℕ) (h₀ : n = 4) :\n    ∑ k ∈ Finset.range n, k = 6"
    )
    assert summed.original_statement is not None
    assert "∑ k in Finset.range n, k = 6" in summed.original_statement
    # The typed binder keeps its type, as Mathlib's own deprecated macro expanded it.
    typed = by_key["shape_typed_in"].theorem.statement
    assert "(∑ k ∈ (Finset.Icc 1 3 : Finset ℤ), k)" in typed
    assert "∏ i ∈ Finset.filter (fun x => 2 ∣ x) (Finset.range 5), (i + 1)" in typed
    nested = by_key["shape_nested_in"].theorem.statement
    assert "∑ i ∈ Finset.range n, ∑ j ∈ Finset.range (i + 1), f j" in nested
    assert "∑ j ∈ Finset.range n, (n - j) * f j" in nested
    assert by_key["shape_plain"].original_statement is None
    for problem in loaded.problems:
        assert not OLD_BINDER.search(problem.theorem.statement)
    assert Problem.from_dict(summed.as_dict()) == summed


def test_proofnet_shape_rewrites_after_open_finset() -> None:
    loaded = load_jsonl(DEEPSEEK_PROOFNET)
    first = loaded.problems[0]
    assert "∑ i ∈ range n, (a (i + 1) - a i)" in first.theorem.statement
    assert loaded.notation_rewritten == 1
    assert loaded.missing_text == {"informal_proof": 1}
    assert [p.key for p in loaded.problems] == ["Book_exercise_shape_1", "Other_exercise_shape_1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("∑ x in s, f x", "∑ x ∈ s, f x"),
        ("∏ x in s, f x", "∏ x ∈ s, f x"),
        ("∑ k:ℤ in Finset.Icc 1 119, (k:ℝ)", "∑ k ∈ (Finset.Icc 1 119 : Finset ℤ), (k:ℝ)"),
        ("∑ y in (f ⁻¹' {7}).toFinset, y", "∑ y ∈ (f ⁻¹' {7}).toFinset, y"),
        ("∑ x ∈ s, f x", "∑ x ∈ s, f x"),  # already current: untouched
        ("∑ i : Fin n, f i", "∑ i : Fin n, f i"),  # a type, no set: untouched
    ],
)
def test_binder_rewrite_cases(text: str, expected: str) -> None:
    assert rewrite_big_operators(text)[0] == expected


def test_datasets_info_reports_what_the_loader_changed() -> None:
    code, output = cli("datasets", "info", "--from-file", str(DEEPSEEK_MINIF2F))
    assert code == 0, output
    assert "3 statement(s) rewritten from the removed `∑ x in s` spelling" in output
    code, output = cli("datasets", "info", "--from-file", str(YANGKY11), "--json")
    assert code == 0, output
    summary = json.loads(output)
    assert summary["missing_text"] == {"informal_proof": 2}
    assert summary["notation_rewritten"] == 0


def test_eval_records_the_override_and_counts_in_the_run_config(
    standin_env: Path, tmp_path: Path
) -> None:
    code, output = cli(
        "eval",
        "minif2f-v4.24",
        "--from-file",
        str(YANGKY11),
        "--budget",
        "wall=5,tactic_timeout=5",
    )
    assert code == 0, output
    with Store(standin_env) as store:
        run_id = max(r.id for r in store.runs())
    code, output = cli("eval", "report", str(run_id), "--format", "json")
    assert code == 0, output
    dataset = json.loads(output)["config"]["dataset"]
    assert dataset["missing_text"] == {"informal_proof": 2}
    assert dataset["notation_rewritten"] == 0
    assert dataset["header_override"]["header"] == PINNED_HEADER
    assert dataset["header_override"]["rows_replaced"] == 3


def test_eval_config_counts_rewritten_statements(standin_env: Path) -> None:
    code, output = cli(
        "eval", "--from-file", str(DEEPSEEK_MINIF2F), "--budget", "wall=5,tactic_timeout=5"
    )
    assert code == 0, output
    with Store(standin_env) as store:
        run_id = max(r.id for r in store.runs())
    code, output = cli("eval", "report", str(run_id), "--format", "json")
    dataset = json.loads(output)["config"]["dataset"]
    assert dataset["notation_rewritten"] == 3
    assert dataset["header_override"] is None


def shared_rows(shared_dir: Path, name: str) -> Path:
    path = shared_dir / "datasets" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def test_shared_deepseek_sets_count_the_removed_spelling(shared_dir: Path) -> None:
    minif2f = load_jsonl(shared_rows(shared_dir, "minif2f.jsonl"))
    assert minif2f.notation_rewritten == 64  # of 488
    proofnet = load_jsonl(shared_rows(shared_dir, "proofnet.jsonl"))
    assert proofnet.notation_rewritten == 13
    for problem in [*minif2f.problems, *proofnet.problems]:
        assert not OLD_BINDER.search(problem.theorem.statement), problem.key
        if problem.original_statement is not None:
            assert OLD_BINDER.search(problem.original_statement)
    typed = [
        p for p in minif2f.problems if ": Finset ℤ)" in p.theorem.statement and p.original_statement
    ]
    assert len(typed) == 2  # `∑ k : ℤ in …` and `∑ k:ℤ in …`
    current = load_jsonl(shared_rows(shared_dir, "minif2f_lean_v4.24.jsonl"))
    assert current.notation_rewritten == 0  # written for the pinned Mathlib already
