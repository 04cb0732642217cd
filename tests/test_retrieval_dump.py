"""The Lean declaration dump, without Lean.

Lean cannot run here, so `lean_project/WorkbenchTools/DumpCorpus.lean` itself is untested:
these tests parse output constructed to match what that program writes, and drive the
subprocess path with a stand-in `lake` executable that writes such output.
"""

from __future__ import annotations

import json
import re
import stat
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from prover.cli import app as leanwb
from retrieval.access import Accessibility
from retrieval.corpus import load_corpus
from retrieval.dump import parse_dump, run_dump
from retrieval.errors import CorpusError, DumpError

# What `lake exe dump_corpus OUT Mathlib.Logic.Basic` writes, in miniature (unsorted, as the
# environment's hash map yields declarations).
DUMP = [
    {"record": "module", "module": "Init.Prelude", "imports": []},
    {"record": "module", "module": "Init.Core", "imports": ["Init.Prelude"]},
    {"record": "module", "module": "Mathlib.Logic.Basic", "imports": ["Init.Core"]},
    {
        "record": "decl",
        "name": "not_not",
        "kind": "theorem",
        "type": "∀ {a : Prop}, ¬¬a ↔ a",
        "module": "Mathlib.Logic.Basic",
        "doc": "  Double negation elimination.  ",
        "start": [120, 0],
        "end": [121, 40],
    },
    {
        "record": "decl",
        "name": "Classical.em",
        "kind": "theorem",
        "type": "∀ (p : Prop), p ∨ ¬p",
        "module": "Mathlib.Logic.Basic",
        "doc": None,
        "start": [12, 0],
        "end": [13, 20],
    },
    {
        "record": "decl",
        "name": "Nat",
        "kind": "inductive",
        "type": "Type",
        "module": "Init.Prelude",
        "doc": "The natural numbers.",
        "start": None,
        "end": None,
    },
    {
        "record": "decl",
        "name": "instAddNat",
        "kind": "instance",
        "type": "Add ℕ",
        "module": "Init.Prelude",
        "doc": None,
        "start": [300, 0],
        "end": [301, 12],
    },
]


def dump_lines(records: list[dict[str, object]]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) + "\n" for r in records]


def test_dump_output_becomes_a_corpus() -> None:
    corpus = parse_dump(dump_lines(DUMP), "dump")
    assert [p.name for p in corpus.premises] == ["Nat", "instAddNat", "Classical.em", "not_not"]
    em = corpus.premises[2]
    assert em.code == "theorem Classical.em : ∀ (p : Prop), p ∨ ¬p"
    assert (em.module, em.path, em.kind) == (
        "Mathlib.Logic.Basic",
        "Mathlib/Logic/Basic.lean",
        "theorem",
    )
    assert (em.start, em.end, em.doc) == ((12, 0), (13, 20), None)
    assert corpus.premises[3].doc == "Double negation elimination."
    assert corpus.premises[0].start is None
    assert corpus.imports["Mathlib.Logic.Basic"] == ("Init.Core",)
    mask = Accessibility(corpus).mask("Mathlib.Logic.Basic:100:0")
    assert mask is not None
    assert [p.name for p, keep in zip(corpus.premises, mask, strict=True) if keep] == [
        "Nat",
        "instAddNat",
        "Classical.em",  # declared before line 100 of the same file
    ]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"record": "decl", "name": "x", "kind": "theorem", "module": "M"}, "'type' must be"),
        ({"record": "constant", "name": "x"}, '\'record\' must be "module" or "decl"'),
        ({"record": "module", "module": "M", "imports": [1]}, "'imports' must be a list"),
        (
            {
                "record": "decl",
                "name": "x",
                "kind": "def",
                "type": "T",
                "module": "M",
                "start": [1],
            },
            "'start' must be [line, column]",
        ),
    ],
)
def test_malformed_dump_lines_are_named(record: dict[str, object], message: str) -> None:
    with pytest.raises(CorpusError, match=re.escape(f"dump line 8: {message}")):
        parse_dump([*dump_lines(DUMP), json.dumps(record)], "dump")


def test_dump_without_declarations_is_an_error() -> None:
    with pytest.raises(CorpusError, match="lists no declarations"):
        parse_dump(dump_lines(DUMP[:3]), "dump")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "lean_project"
    directory.mkdir()
    (directory / "lakefile.toml").write_text('name = "P"\n')
    return directory


def install_fake_lake(bin_dir: Path, body: str) -> None:
    """A `lake` that checks its argv and working directory, then runs `body`."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "lake"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "assert sys.argv[1:3] == ['exe', 'dump_corpus'], sys.argv\n"
        "assert os.path.isfile('lakefile.toml'), os.getcwd()\n"
        "out, roots = sys.argv[3], sys.argv[4:]\n" + body
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_run_dump_invokes_lake_without_a_shell(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_lake(
        tmp_path / "bin",
        f"assert roots == ['Mathlib.Logic.Basic'], roots\n"
        f"print('dump_corpus: 20000 declarations', flush=True)\n"
        f"open(out, 'w', encoding='utf-8').write({''.join(dump_lines(DUMP))!r})\n",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    seen: list[str] = []
    corpus = run_dump(project, ["Mathlib.Logic.Basic"], on_output=seen.append)
    assert len(corpus) == 4 and seen == ["dump_corpus: 20000 declarations"]


def test_failed_dump_reports_its_last_line(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_lake(
        tmp_path / "bin", "print('error: unknown module prefix Mathlib'); sys.exit(1)\n"
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(DumpError, match="exit code 1: error: unknown module prefix Mathlib"):
        run_dump(project)
    with pytest.raises(DumpError, match="Not a Lean module name: --help"):
        run_dump(project, ["--help"])
    with pytest.raises(DumpError, match="not a Lake project"):
        run_dump(tmp_path)


@pytest.fixture
def cli() -> typer.Typer:
    return leanwb  # the real command line: its one handler turns errors into a sentence


def test_dump_corpus_without_lean_fails_cleanly(
    cli: typer.Typer, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path))
    out = tmp_path / "corpus.jsonl"
    result = CliRunner().invoke(
        cli, ["index", "dump-corpus", "-o", str(out), "--project", str(project)]
    )
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert message.startswith("error: Lean's build tool `lake` is not installed")
    assert message.endswith("install Lean with elan and build lean_project.")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_dump_corpus_command_writes_a_loadable_corpus(
    cli: typer.Typer, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_lake(
        tmp_path / "bin",
        f"open(out, 'w', encoding='utf-8').write({''.join(dump_lines(DUMP))!r})\n",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    out = tmp_path / "corpus.jsonl"
    result = CliRunner().invoke(
        cli, ["index", "dump-corpus", "-o", str(out), "--project", str(project)]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 4 declarations from 3 modules" in result.stdout
    assert load_corpus(out).premises == parse_dump(dump_lines(DUMP), "dump").premises
