"""Benchmark manifests and the JSONL loader (rows -> problems)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prover.eval.datasets import (
    DatasetError,
    category_of,
    find_manifest,
    list_manifests,
    load_jsonl,
    strip_proof_ending,
)

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
    assert {"minif2f", "proofnet"} <= set(manifests)
    assert manifests["minif2f"].splits == {"valid": 244, "test": 244}
    assert manifests["proofnet"].splits == {"valid": 185, "test": 186}
    for manifest in manifests.values():
        assert manifest.file.url.startswith("https://")
        assert manifest.revision in manifest.file.url
        assert len(manifest.file.sha256) == 64
        assert manifest.license and manifest.mathlib and manifest.lean_version
    assert find_manifest("minif2f") == manifests["minif2f"]
    with pytest.raises(DatasetError, match="no dataset named"):
        find_manifest("nope")


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
