"""Corpus loading (LeanDojo, premise and module records), validation, and accessibility."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from retrieval.access import Accessibility
from retrieval.corpus import (
    Corpus,
    CorpusPremise,
    TextFormat,
    load_corpus,
    module_from_path,
    premise_text,
    write_corpus,
)
from retrieval.errors import CorpusError, UnknownModuleError

# A LeanDojo Benchmark 4 corpus in miniature: Basic imports Init.Prelude, Group imports Basic.
LEANDOJO_FILES = [
    {
        "path": ".lake/packages/lean4/src/lean/Init/Prelude.lean",
        "imports": [],
        "premises": [
            {
                "full_name": "Eq.symm",
                "code": "theorem Eq.symm {a b : α} (h : a = b) : b = a := h ▸ rfl",
                "start": [10, 0],
                "end": [10, 60],
                "kind": "commanddeclaration",
            },
            {"full_name": None, "code": "", "start": [1, 0], "end": [1, 1], "kind": "x"},
        ],
    },
    {
        "path": "Mathlib/Algebra/Group/Basic.lean",
        "imports": ["Mathlib/Logic/Basic.lean"],
        "premises": [
            {
                "full_name": "mul_one",
                "code": "theorem mul_one (a : M) : a * 1 = a := MulOneClass.mul_one a",
                "start": [20, 0],
                "end": [21, 30],
                "kind": "commanddeclaration",
            },
            {
                "full_name": "one_mul",
                "code": "theorem one_mul (a : M) : 1 * a = a := MulOneClass.one_mul a",
                "start": [30, 0],
                "end": [31, 30],
                "kind": "commanddeclaration",
            },
            {
                "full_name": "[mutual_a, mutual_b]",
                "code": "mutual ... end",
                "start": [40, 0],
                "end": [50, 3],
                "kind": "mutual",
            },
        ],
    },
    {
        "path": "Mathlib/Logic/Basic.lean",
        "imports": [".lake/packages/lean4/src/lean/Init/Prelude.lean"],
        "premises": [
            {
                "full_name": "not_not",
                "code": "theorem not_not : ¬¬a ↔ a := Decidable.not_not",
                "start": [5, 0],
                "end": [5, 45],
                "kind": "commanddeclaration",
            }
        ],
    },
    {"path": "Mathlib/Unrelated.lean", "imports": [], "premises": []},
]


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.fixture
def leandojo(tmp_path: Path) -> Corpus:
    return load_corpus(write_jsonl(tmp_path / "corpus.jsonl", LEANDOJO_FILES))


def test_leandojo_files_become_premises_with_modules_and_imports(leandojo: Corpus) -> None:
    assert [p.name for p in leandojo.premises] == ["Eq.symm", "mul_one", "one_mul", "not_not"]
    assert leandojo.skipped == 2  # the unnamed premise and the mutual block, as ReProver skips
    mul_one = leandojo.premises[1]
    assert mul_one.module == "Mathlib.Algebra.Group.Basic"
    assert mul_one.path == "Mathlib/Algebra/Group/Basic.lean"
    assert (mul_one.start, mul_one.end) == ((20, 0), (21, 30))
    assert leandojo.imports["Mathlib.Algebra.Group.Basic"] == ("Mathlib.Logic.Basic",)
    assert leandojo.imports["Mathlib.Logic.Basic"] == ("Init.Prelude",)
    assert mul_one.to_premise(0.5).statement.startswith("theorem mul_one")


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("Mathlib/Logic/Basic.lean", "Mathlib.Logic.Basic"),
        (".lake/packages/batteries/Batteries/Data/List/Basic.lean", "Batteries.Data.List.Basic"),
        (".lake/packages/lean4/src/lean/Init/Prelude.lean", "Init.Prelude"),
        ("lake-packages/std/Std/Data/Nat.lean", "Std.Data.Nat"),
    ],
)
def test_module_from_path(path: str, module: str) -> None:
    assert module_from_path(path) == module


def test_written_corpus_reads_back_identically(leandojo: Corpus, tmp_path: Path) -> None:
    target = tmp_path / "out" / "corpus.jsonl"
    write_corpus(leandojo, target)
    again = load_corpus(target)
    assert again.premises == leandojo.premises
    assert dict(again.imports) == dict(leandojo.imports)
    assert again.fingerprint == leandojo.fingerprint


def test_fingerprint_changes_with_any_premise_field(leandojo: Corpus) -> None:
    changed = Corpus(
        premises=(*leandojo.premises[:-1], CorpusPremise("not_not", "theorem not_not : True")),
        imports=leandojo.imports,
    )
    assert changed.fingerprint != leandojo.fingerprint


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2 is not valid JSON"),
        ("[1, 2]", "line 2 is not a JSON object"),
        ('{"name": "x"}', "line 2: 'statement' must be a non-empty string"),
        ('{"name": "x", "statement": "s", "start": [1]}', "line 2: 'start' must be [line, column]"),
        ('{"path": "A.lean", "premises": [{"full_name": "a", "code": 3}]}', "line 2, premise 0"),
        ('{"module": "A", "imports": "B"}', "line 2: 'imports' must be a list"),
        ('{"statement": "s"}', "line 2 is neither"),
    ],
)
def test_malformed_lines_are_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"name": "ok", "statement": "theorem ok : True"}\n' + line + "\n")
    with pytest.raises(CorpusError, match=re.escape(message)):
        load_corpus(path)


def test_missing_and_empty_corpus_files(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "absent.jsonl")
    with pytest.raises(CorpusError, match="contains no premises"):
        load_corpus(write_jsonl(tmp_path / "empty.jsonl", [{"module": "A", "imports": []}]))


def test_premise_text_formats() -> None:
    premise = CorpusPremise(
        "Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n", doc="Commutativity."
    )
    assert premise_text(premise, TextFormat.PLAIN) == (
        "Nat.add_comm\ntheorem Nat.add_comm (n m : ℕ) : n + m = m + n\nCommutativity."
    )
    assert "<a>Nat.add_comm</a>" in premise_text(premise, TextFormat.REPROVER)


# Accessibility -------------------------------------------------------------------------


def visible(access: Accessibility, corpus: Corpus, accessible_from: str | None) -> set[str]:
    mask = access.mask(accessible_from)
    if mask is None:
        return {p.name for p in corpus.premises}
    return {p.name for p, keep in zip(corpus.premises, mask, strict=True) if keep}


def test_header_sees_transitive_imports_only(leandojo: Corpus) -> None:
    access = Accessibility(leandojo)
    assert visible(access, leandojo, "import Mathlib.Logic.Basic\nopen Nat") == {
        "Eq.symm",
        "not_not",
    }
    assert visible(access, leandojo, "import Mathlib.Algebra.Group.Basic") == {
        "Eq.symm",
        "not_not",
        "mul_one",
        "one_mul",
    }
    # Unknown imports are ignored as long as one import is known.
    assert visible(access, leandojo, "import Aesop\nimport Mathlib.Logic.Basic") == {
        "Eq.symm",
        "not_not",
    }


def test_header_without_imports_sees_init_unless_prelude(tmp_path: Path) -> None:
    corpus = load_corpus(
        write_jsonl(
            tmp_path / "c.jsonl",
            [
                {"module": "Init", "imports": []},
                {"name": "init_fact", "statement": "theorem init_fact : True", "module": "Init"},
                {"name": "lib_fact", "statement": "theorem lib_fact : True", "module": "Lib"},
                {"name": "loose_fact", "statement": "theorem loose_fact : True"},
            ],
        )
    )
    access = Accessibility(corpus)
    assert visible(access, corpus, "open Nat\nset_option maxHeartbeats 0") == {
        "init_fact",
        "loose_fact",  # premises without a module are visible from everywhere
    }
    assert visible(access, corpus, "prelude\nopen Nat") == {"loose_fact"}


def test_position_in_a_file_sees_earlier_declarations(leandojo: Corpus) -> None:
    access = Accessibility(leandojo)
    at_25 = "Mathlib/Algebra/Group/Basic.lean:25:0"
    assert visible(access, leandojo, at_25) == {"Eq.symm", "not_not", "mul_one"}
    assert visible(access, leandojo, "Mathlib.Algebra.Group.Basic:21:30") == {
        "Eq.symm",
        "not_not",
        "mul_one",  # ends exactly at the position
    }
    assert visible(access, leandojo, "Mathlib.Algebra.Group.Basic:21:29") == {"Eq.symm", "not_not"}
    # A module without a position means "a file importing it": its own premises included.
    assert visible(access, leandojo, "Mathlib.Logic.Basic") == {"Eq.symm", "not_not"}


def test_unknown_targets_are_errors(leandojo: Corpus) -> None:
    access = Accessibility(leandojo)
    with pytest.raises(UnknownModuleError, match="None of the header's imports"):
        access.mask("import Mathlib\nimport Aesop")
    with pytest.raises(UnknownModuleError, match=re.escape("'Nope.Module' is neither")):
        access.mask("Nope.Module:3:0")


def test_corpus_without_modules_disables_the_filter(tmp_path: Path) -> None:
    corpus = load_corpus(
        write_jsonl(tmp_path / "flat.jsonl", [{"name": "a", "statement": "theorem a : True"}])
    )
    assert Accessibility(corpus).mask("import Mathlib") is None


def test_masks_are_cached_and_boolean(leandojo: Corpus) -> None:
    access = Accessibility(leandojo)
    first = access.mask("import Mathlib.Logic.Basic")
    assert first is not None and first.dtype == np.bool_ and first.shape == (len(leandojo),)
    assert access.mask("import Mathlib.Logic.Basic") is first
