"""Benchmark manifests and the JSONL loader (rows -> problems)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prover.cli import app
from prover.config import MANIFEST_DIR, PROJECT_TEMPLATE_DIR
from prover.eval.datasets import (
    NO_SPLIT,
    DatasetError,
    category_of,
    find_manifest,
    list_manifests,
    load_jsonl,
    load_manifest_file,
    strip_proof_ending,
    toolchain_version,
)
from prover.lean.setup import pinned_toolchain

SHARED_FILES = {
    "minif2f.jsonl": {"valid": 244, "test": 244},
    "minif2f_lean_v4.24.jsonl": {"valid": 244, "test": 244},
    "proofnet.jsonl": {"valid": 185, "test": 186},
    "proofnet_verified_lean_v4.28.jsonl": {"valid": 182, "test": 185},
}


def write_rows(path: Path, rows: list[dict[str, object] | str]) -> Path:
    path.write_text(
        "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n",
        encoding="utf-8",
    )
    return path


def row(name: str, statement: str, split: str = "test", **extra: object) -> dict[str, object]:
    return {"name": name, "split": split, "header": "", "formal_statement": statement, **extra}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("theorem a : 1 = 1 := by\n", "theorem a : 1 = 1"),
        ("theorem a : 1 = 1 := by sorry", "theorem a : 1 = 1"),
        ("theorem a : 1 = 1 :=", "theorem a : 1 = 1"),
        ("theorem a : 1 = 1 := by\n  sorry", "theorem a : 1 = 1"),
        ("theorem a : 1 = 1 := sorry\n", "theorem a : 1 = 1"),
        ("theorem abby : 1 = 1 := by", "theorem abby : 1 = 1"),
        ("theorem a : 1 = 1", None),
    ],
)
def test_strip_proof_ending(text: str, expected: str | None) -> None:
    assert strip_proof_ending(text) == expected


@pytest.mark.parametrize(
    ("fields", "category"),
    [
        ({"name": "mathd_algebra_48"}, "mathd_algebra"),
        ({"name": "mathd_numbertheory_3"}, "mathd_numbertheory"),
        ({"name": "amc12a_2019_p21"}, "amc"),
        ({"name": "aimeI_2000_p7"}, "aime"),
        ({"name": "imosl_2007_algebra_p6"}, "imo"),
        ({"name": "induction_12dvd4expnp1p20"}, "induction"),
        ({"name": "algebra_sqineq_at2malt1"}, "algebra"),
        ({"name": "numbertheory_2dvd4expn"}, "numbertheory"),
        ({"name": "exercise_1_13a", "book": "Shakarchi"}, "Shakarchi"),
        ({"name": "my_lemma"}, "other"),
    ],
)
def test_categories(fields: dict[str, object], category: str) -> None:
    assert category_of(fields) == category


def test_loader_builds_theorems_with_helpers_and_unique_keys(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "set.jsonl",
        [
            row("exercise_1", "theorem exercise_1 : True :=", book="Rudin"),
            row(
                "exercise_1",
                "theorem exercise_1 : 1 = 1 := by\n  sorry",
                book="Artin",
                helper="def f := 1",
                informal_statement="one is one",
            ),
            row("p", "theorem p : 2 = 2 := by", split="valid"),
        ],
    )
    loaded = load_jsonl(path)
    keys = [p.key for p in loaded.problems]
    assert keys == ["exercise_1", "exercise_1#2", "p"]
    second = loaded.problems[1].theorem
    assert second.statement == "theorem exercise_1 : 1 = 1"
    assert second.header.endswith("def f := 1\n")
    assert second.informal_statement == "one is one"
    assert loaded.renamed == ["exercise_1#2"]
    # keys do not depend on which split is selected
    assert [p.key for p in load_jsonl(path, splits=["test"]).problems] == keys[:2]


def test_an_identical_repeated_row_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    same = row("s1", "theorem s1 : 1 = 1 := by\n")
    path = write_rows(tmp_path / "set.jsonl", [same, row("s2", "theorem s2 : 2 = 2 :="), same])
    with pytest.raises(DatasetError) as caught:
        load_jsonl(path)
    assert f"{path}:3: repeats line 1" in str(caught.value)
    # only the proof ending differs: the same theorem, run twice
    other_ending = row("s1", "theorem s1 : 1 = 1 := by sorry")
    with pytest.raises(DatasetError, match="repeats line 1"):
        load_jsonl(write_rows(tmp_path / "ending.jsonl", [same, other_ending]))


def test_rows_sharing_a_name_but_not_the_theorem_are_kept(tmp_path: Path) -> None:
    base = row("s1", "theorem s1 : 1 = 1 := by\n")
    path = write_rows(
        tmp_path / "set.jsonl",
        [
            base,
            {**base, "split": "valid"},
            {**base, "header": "open Nat"},
            {**base, "helper": "def f := 1"},
        ],
    )
    assert [p.key for p in load_jsonl(path).problems] == ["s1", "s1#2", "s1#3", "s1#4"]


def test_other_spellings_and_files_without_splits(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "verified.jsonl",
        [
            {
                "name": "Rudin_exercise_1",
                "textbook": "Rudin",
                "header": "import Mathlib",
                "helper": "def g := 2",
                "formal_stmt": "theorem Rudin_exercise_1 : g = 2 := by\n  sorry",
                "informal_stmt": "g is two",
            },
            {
                "name": "Rudin_exercise_1",
                "textbook": "Rudin",
                "header": "import Mathlib",
                "helper": "",
                "formal_stmt": "theorem Rudin_exercise_1 : 2 = 2 := by\n  sorry",
            },
        ],
    )
    loaded = load_jsonl(path)
    first = loaded.problems[0]
    assert [p.key for p in loaded.problems] == ["Rudin_exercise_1", "Rudin_exercise_1#2"]
    assert first.split == NO_SPLIT and first.category == "Rudin"
    assert first.theorem.statement == "theorem Rudin_exercise_1 : g = 2"
    assert first.theorem.header == "import Mathlib\n\ndef g := 2\n"
    assert first.theorem.informal_statement == "g is two"
    assert load_jsonl(path, splits=[NO_SPLIT]).problems == loaded.problems

    mixed = write_rows(
        tmp_path / "mixed.jsonl",
        [row("a", "theorem a : 1 = 1 :="), {**row("b", "theorem b : 2 = 2 :="), "split": None}],
    )
    with pytest.raises(DatasetError, match="line 1 names its split and line 2 does not"):
        load_jsonl(mixed)


def test_revised_statement_is_used_only_when_asked_and_present(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "set.jsonl",
        [
            row(
                "a",
                "theorem a : 1 = 2 := by\n",
                revised_formal_statement="theorem a : 2 = 2 := by\n",
            ),
            row("b", "theorem b : 3 = 3 := by\n", revised_formal_statement=None),
        ],
    )
    verbatim = load_jsonl(path)
    revised = load_jsonl(path, revised=True)
    assert verbatim.problems[0].theorem.statement == "theorem a : 1 = 2"
    assert revised.problems[0].theorem.statement == "theorem a : 2 = 2"
    assert [p.revised for p in revised.problems] == [True, False]
    assert revised.revised_used == 1


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"name": "x", "split": "test", ', "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"name": "x", "split": "test", "header": ""}', "missing field 'formal_statement'"),
        (
            '{"name": "x", "split": "test", "header": "", "formal_statement": "theorem x : 1 = 1"}',
            "does not end with",
        ),
        (
            '{"split": "test", "header": "", "formal_statement": "theorem x : 1 = 1 :="}',
            "missing field 'name'",
        ),
    ],
)
def test_malformed_lines_are_reported_with_their_line_number(
    tmp_path: Path, bad_line: str, message: str
) -> None:
    path = write_rows(tmp_path / "bad.jsonl", [row("ok", "theorem ok : 1 = 1 :="), "", bad_line])
    with pytest.raises(DatasetError) as caught:
        load_jsonl(path)
    assert f"{path}:3:" in str(caught.value)
    assert message in str(caught.value)


def test_empty_selection_and_unreadable_file_are_errors(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "set.jsonl", [row("a", "theorem a : 1 = 1 :=")])
    with pytest.raises(DatasetError, match="no problems in split valid"):
        load_jsonl(path, splits=["valid"])
    with pytest.raises(DatasetError, match="cannot read"):
        load_jsonl(tmp_path / "absent.jsonl")


def test_manifests_are_complete() -> None:
    manifests = {m.name: m for m in list_manifests()}
    assert {"minif2f", "minif2f-v4.24", "proofnet", "proofnet-verified"} <= set(manifests)
    assert manifests["minif2f"].splits == {"valid": 244, "test": 244}
    assert manifests["minif2f-v4.24"].splits == {"valid": 244, "test": 244}
    assert manifests["proofnet"].splits == {"valid": 185, "test": 186}
    assert manifests["proofnet-verified"].splits == {NO_SPLIT: 367}
    assert manifests["minif2f"].lean_version == "4.9.0"
    assert manifests["proofnet-verified"].lean_version == "4.28.0"
    # the v4.24 set is the one written for the Lean the project pins
    pinned = toolchain_version(pinned_toolchain(PROJECT_TEMPLATE_DIR))
    assert manifests["minif2f-v4.24"].lean_version == pinned
    for manifest in manifests.values():
        assert manifest.file.url.startswith("https://")
        assert manifest.revision in manifest.file.url
        assert len(manifest.file.sha256) == 64
        assert manifest.license and manifest.mathlib and manifest.lean_version
    assert find_manifest("minif2f") == manifests["minif2f"]
    with pytest.raises(DatasetError, match="no dataset named"):
        find_manifest("nope")


def test_a_manifest_needs_a_plain_lean_release(tmp_path: Path) -> None:
    data = json.loads((MANIFEST_DIR / "minif2f.json").read_text(encoding="utf-8"))
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**data, "lean_version": "4.9.0 (or so)"}), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"is not a release such as 4\.24\.0"):
        load_manifest_file(path)
    assert toolchain_version("leanprover/lean4:v4.24.0") == "4.24.0"


def test_datasets_list_marks_the_lean_the_statements_were_written_for(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["datasets", "list", "--json", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["minif2f-v4.24"]["pinned_lean"] == "4.24.0"
    assert rows["minif2f-v4.24"]["matches_pin"] is True
    assert rows["minif2f"]["matches_pin"] is False
    table = CliRunner().invoke(app, ["datasets", "list", "--cache-dir", str(tmp_path)]).output
    assert "4.9.0 ≠ pinned 4.24.0" in table
    assert "4.24.0 = pinned" in table


def upstream_copy(source: Path, target: Path, change: dict[str, str | None]) -> Path:
    """`source` with fields renamed (old -> new) or dropped (old -> None), as upstream has them."""
    rows = []
    for line in source.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        for old, new in change.items():
            value = data.pop(old)
            if new is not None:
                data[new] = value
        rows.append(json.dumps(data, ensure_ascii=False))
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


def shared_file(shared_dir: Path, name: str) -> Path:
    path = shared_dir / "datasets" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def test_proofnet_names_shared_by_several_books_stay_distinct(
    shared_dir: Path, tmp_path: Path
) -> None:
    # DeepSeek's upstream rows have no full_name: 349 names for 371 distinct problems.
    source = shared_file(shared_dir, "proofnet.jsonl")
    path = upstream_copy(source, tmp_path / "proofnet.jsonl", {"full_name": None})
    loaded = load_jsonl(path)
    assert len(loaded.problems) == 371
    assert len({p.key.partition("#")[0] for p in loaded.problems}) == 349
    assert len(loaded.renamed) == 371 - 349


def test_upstream_spellings_of_the_newer_sets_load(shared_dir: Path, tmp_path: Path) -> None:
    minif2f = upstream_copy(
        shared_file(shared_dir, "minif2f_lean_v4.24.jsonl"),
        tmp_path / "minif2f_lean4.jsonl",
        {"informal_statement": "informal_stmt"},
    )
    loaded = load_jsonl(minif2f)
    assert dict(loaded.splits()) == {"valid": 244, "test": 244}
    assert all(p.theorem.informal_statement for p in loaded.problems)

    verified = upstream_copy(
        shared_file(shared_dir, "proofnet_verified_lean_v4.28.jsonl"),
        tmp_path / "proofnet-verified.jsonl",
        {
            "split": None,
            "id": None,
            "book": "textbook",
            "formal_statement": "formal_stmt",
            "informal_statement": "informal_stmt",
        },
    )
    loaded = load_jsonl(verified)
    assert dict(loaded.splits()) == {NO_SPLIT: 367}
    assert "Rudin_exercise_4_8a#2" in {p.key for p in loaded.problems}
    assert "other" not in loaded.categories()
    with_helper = [
        json.loads(line)
        for line in verified.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["helper"].strip()
    ]
    assert with_helper, "the file has rows with helper definitions"
    by_key = {p.key: p for p in loaded.problems}
    for data in with_helper:
        header = by_key[data["name"]].theorem.header
        assert header.startswith(data["header"].rstrip())
        assert data["helper"].strip() in header


@pytest.mark.parametrize("name", sorted(SHARED_FILES))
def test_shared_files_load(shared_dir: Path, name: str) -> None:
    path = shared_dir / "datasets" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    loaded = load_jsonl(path)
    assert dict(loaded.splits()) == SHARED_FILES[name]
    assert len({p.key for p in loaded.problems}) == len(loaded.problems)
    for problem in loaded.problems:
        statement = problem.theorem.statement
        assert re.search(r"\b(theorem|lemma|def) ", statement)
        assert not statement.endswith((":=", "sorry", "by"))
        assert problem.category != "other"
    if name.startswith("minif2f"):
        assert {"mathd_algebra", "amc", "aime", "imo", "induction"} <= set(loaded.categories())


def test_shared_minif2f_revised(shared_dir: Path) -> None:
    path = shared_dir / "datasets" / "minif2f.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    revised = load_jsonl(path, revised=True)
    assert revised.revised_used == 24  # 21 test + 3 valid rows carry a revision
