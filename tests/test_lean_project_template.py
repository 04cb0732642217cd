"""The Lake project template shipped in the package (prover/data/lean_project) and how
`leanwb setup` writes it out.

Recorded data: the revisions below were read from upstream at the tags the template pins
(leanprover-community/repl tag `v4.24.0` is commit 8fff855…, whose `lakefile.toml` names
the package `REPL`; the REPL's `test/Mathlib/lake-manifest.json` at that tag, a project
requiring Mathlib `v4.24.0`, lists exactly the Mathlib entries below, in Lake's manifest
format 1.1.0). No Lean runs here, so this pins the text Lake will read.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from prover.config import PROJECT_TEMPLATE_DIR
from prover.lean.template import (
    TemplateError,
    template_files,
    template_toolchain,
    write_project,
)

REPL_ENTRY = {
    "url": "https://github.com/leanprover-community/repl",
    "type": "git",
    "subDir": None,
    "scope": "",
    "rev": "8fff8552292860d349b459d6a811e6915671dc0d",
    "name": "REPL",
    "manifestFile": "lake-manifest.json",
    "inputRev": "v4.24.0",
    "inherited": False,
    "configFile": "lakefile.toml",
}
# name -> (rev, inputRev, inherited) as Lake recorded them for a project on Mathlib v4.24.0.
MATHLIB_ENTRIES = {
    "mathlib": ("f897ebcf72cd16f89ab4577d0c826cd14afaafc7", "v4.24.0", False),
    "plausible": ("dfd06ebfe8d0e8fa7faba9cb5e5a2e74e7bd2805", "main", True),
    "LeanSearchClient": ("99657ad92e23804e279f77ea6dbdeebaa1317b98", "main", True),
    "importGraph": ("d768126816be17600904726ca7976b185786e6b9", "main", True),
    "proofwidgets": ("556caed0eadb7901e068131d1be208dd907d07a2", "v0.0.74", True),
    "aesop": ("725ac8cd67acd70a7beaf47c3725e23484c1ef50", "master", True),
    "Qq": ("dea6a3361fa36d5a13f87333dc506ada582e025c", "master", True),
    "batteries": ("8da40b72fece29b7d3fe3d768bac4c8910ce9bee", "main", True),
    "Cli": ("91c18fa62838ad0ab7384c03c9684d99d306e1da", "main", True),
}


def manifest() -> dict:
    return json.loads((PROJECT_TEMPLATE_DIR / "lake-manifest.json").read_text(encoding="utf-8"))


def test_lake_manifest_records_the_repl_at_its_v4_24_0_commit() -> None:
    data = manifest()
    assert data["version"] == "1.1.0" and data["packagesDir"] == ".lake/packages"
    packages = {p["name"]: p for p in data["packages"]}
    assert packages["REPL"] == REPL_ENTRY
    assert len(data["packages"]) == len(packages), "one entry per package"


def test_lake_manifest_keeps_mathlibs_pins() -> None:
    packages = {p["name"]: p for p in manifest()["packages"]}
    assert set(packages) == {*MATHLIB_ENTRIES, "REPL"}
    for name, (rev, input_rev, inherited) in MATHLIB_ENTRIES.items():
        entry = packages[name]
        assert (entry["rev"], entry["inputRev"], entry["inherited"]) == (rev, input_rev, inherited)


def test_every_require_has_a_manifest_entry_at_its_rev() -> None:
    """Lake stops with "dependency … not in manifest" (or asks for `lake update`) otherwise."""
    lakefile = tomllib.loads((PROJECT_TEMPLATE_DIR / "lakefile.toml").read_text(encoding="utf-8"))
    packages = {p["name"]: p for p in manifest()["packages"]}
    for require in lakefile["require"]:
        entry = packages[require["name"]]
        assert entry["url"] == require["git"] and entry["inputRev"] == require["rev"]
        assert entry["inherited"] is False
    assert template_toolchain() == "leanprover/lean4:v4.24.0"


def test_write_project_copies_the_template_once(tmp_path: Path) -> None:
    target = tmp_path / "project"
    written = write_project(target)
    assert written == template_files()
    assert Path("lake-manifest.json") in written
    assert Path("WorkbenchTools/DumpCorpus.lean") in written
    for relative in written:
        assert (target / relative).read_bytes() == (PROJECT_TEMPLATE_DIR / relative).read_bytes()
    (target / ".lake").mkdir()
    (target / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    assert write_project(target) == [Path("lean-toolchain")]  # only what changed
    assert (target / ".lake").is_dir(), "the build is left alone"
    assert write_project(target) == []


def test_write_project_refuses_another_project_or_a_file(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "lakefile.lean").write_text("import Lake\n")
    with pytest.raises(TemplateError, match=r"already holds a lakefile\.lean project"):
        write_project(theirs)
    assert sorted(p.name for p in theirs.iterdir()) == ["lakefile.lean"]
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(TemplateError, match="is a file"):
        write_project(a_file)
