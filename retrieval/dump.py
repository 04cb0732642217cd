"""A premise corpus dumped from the pinned Lean project itself.

`lake exe dump_corpus OUT MODULE…` (lean_project/WorkbenchTools/DumpCorpus.lean) imports
the modules (default `Mathlib`) and writes one JSON object per line to OUT:

    {"record": "module", "module": "Mathlib.Logic.Basic", "imports": ["Mathlib.Tactic.Lemma", …]}
    {"record": "decl", "name": "Nat.add_comm", "kind": "theorem",
     "type": "∀ (n m : ℕ), n + m = m + n", "module": "Init.Data.Nat.Basic",
     "doc": "…" or null, "start": [line, column] or null, "end": [line, column] or null}

`parse_dump` turns that into a `Corpus` (statement = `kind name : type`), which
`leanwb index dump-corpus` writes as corpus JSONL. The Lean program runs as an argv
list in the project directory, never through a shell.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from prover.lean.setup import find_tool, run_streaming
from retrieval import records
from retrieval.corpus import Corpus, CorpusPremise
from retrieval.errors import CorpusError, DumpError

DUMP_EXE = "dump_corpus"
DEFAULT_ROOTS = ("Mathlib",)
_MODULE_NAME = re.compile(r"^[^\W\d][\w'!?]*(\.[^\W\d][\w'!?]*)*$")
_TAIL_LINES = 20


def _ignore(line: str) -> None:
    del line


def run_dump(
    project_dir: Path,
    roots: Sequence[str] = DEFAULT_ROOTS,
    on_output: Callable[[str], None] | None = None,
) -> Corpus:
    """Run the dump in `project_dir` and parse its output; `on_output` sees each output line.

    `DumpError` when the dump cannot run or fails, `CorpusError` when its output is malformed.
    """
    lake = find_tool("lake")
    if lake is None:
        raise DumpError(
            "Lean's build tool `lake` is not installed (neither on PATH nor in ~/.elan/bin), "
            "so the declaration dump cannot run; install Lean with elan and build lean_project."
        )
    if not any((project_dir / f).is_file() for f in ("lakefile.toml", "lakefile.lean")):
        raise DumpError(f"{project_dir} is not a Lake project (it has no lakefile).")
    bad = [r for r in roots if not _MODULE_NAME.match(r)]
    if bad or not roots:
        raise DumpError(f"Not a Lean module name: {', '.join(bad) or '(none given)'}.")
    with tempfile.TemporaryDirectory(prefix="leanwb-dump-") as scratch:
        raw = Path(scratch) / "declarations.jsonl"
        argv = [str(lake), "exe", DUMP_EXE, str(raw), *roots]
        try:
            code, tail = run_streaming(argv, project_dir, on_output or _ignore, _TAIL_LINES)
        except OSError as exc:
            raise DumpError(f"Cannot start {lake} ({exc.strerror}).") from exc
        if code != 0:
            last = tail[-1] if tail else "no output"
            raise DumpError(f"`lake exe {DUMP_EXE}` failed with exit code {code}: {last}")
        if not raw.is_file():
            raise DumpError(f"`lake exe {DUMP_EXE}` finished but wrote no output file.")
        with raw.open(encoding="utf-8", errors="replace") as handle:
            return parse_dump(handle, f"`{DUMP_EXE}` output")


def parse_dump(lines: Iterable[str], source: str) -> Corpus:
    """Parse the dump's JSONL; a malformed line raises `CorpusError` naming its number."""
    imports: dict[str, tuple[str, ...]] = {}
    premises: list[CorpusPremise] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        record = records.parse_object(line, where)
        kind = record.get("record")
        if kind == "module":
            imports[records.text(record, "module", where)] = records.names(record, "imports", where)
        elif kind == "decl":
            premises.append(_declaration(record, where))
        else:
            raise CorpusError(f'{where}: \'record\' must be "module" or "decl", not {kind!r}.')
    if not premises:
        raise CorpusError(f"{source} lists no declarations.")
    premises.sort(key=lambda p: (p.module or "", p.start or (0, 0), p.name))
    return Corpus(premises=tuple(premises), imports=imports)


def _declaration(record: dict[str, Any], where: str) -> CorpusPremise:
    name = records.text(record, "name", where)
    kind = records.text(record, "kind", where)
    module = records.text(record, "module", where)
    doc = records.optional_text(record, "doc", where)
    return CorpusPremise(
        name=name,
        code=f"{kind} {name} : {records.text(record, 'type', where)}",
        module=module,
        path=module.replace(".", "/") + ".lean",
        kind=kind,
        start=records.position(record, "start", where),
        end=records.position(record, "end", where),
        doc=doc.strip() or None if doc else None,
    )
