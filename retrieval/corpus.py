"""The premise corpus: what can be retrieved, where each premise lives, and what imports what.

`load_corpus` reads JSONL whose lines take any of three shapes (they may be mixed):

* a LeanDojo Benchmark 4 file record, the format the field uses for `corpus.jsonl`:
  `{"path": "Mathlib/Algebra/Group/Basic.lean", "imports": [<paths>],
    "premises": [{"full_name", "code", "start": [line, col], "end": [line, col], "kind"}]}`;
  the module name is derived from the path (`Mathlib.Algebra.Group.Basic`);
* a premise record: `{"name", "statement"}` plus optional `module`, `path`, `kind`,
  `doc`, `start`, `end` (what `write_corpus` and `leanwb index dump-corpus` write);
* a module record: `{"module": "Mathlib.Logic.Basic", "imports": [<module names>]}`.

Module and import information is optional; without it every premise is accessible
from everywhere (see `retrieval.access`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from prover.generate.prompts import serialize_premise
from prover.types import Premise
from retrieval import records
from retrieval.errors import CorpusError
from retrieval.records import Position


@dataclass(frozen=True)
class CorpusPremise:
    """One retrievable declaration. `code` is its Lean text (source or `kind name : type`)."""

    name: str
    code: str
    module: str | None = None
    path: str | None = None
    kind: str | None = None
    start: Position | None = None
    end: Position | None = None
    doc: str | None = None

    def to_premise(self, score: float) -> Premise:
        return Premise(name=self.name, statement=self.code, module=self.module, score=score)

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"name": self.name, "statement": self.code}
        for key in ("module", "path", "kind", "doc"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        if self.start is not None:
            record["start"] = list(self.start)
        if self.end is not None:
            record["end"] = list(self.end)
        return record


@dataclass(frozen=True)
class Corpus:
    """Premises in a fixed order (the order of the index rows) and the module import graph."""

    premises: tuple[CorpusPremise, ...]
    imports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    skipped: int = 0  # ill-formed LeanDojo premises dropped on load, as ReProver drops them

    def __len__(self) -> int:
        return len(self.premises)

    @cached_property
    def modules(self) -> tuple[str, ...]:
        """Every module the corpus names, sorted."""
        return tuple(sorted(set(self.imports) | {p.module for p in self.premises if p.module}))

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the premises (every field, in order) and the import graph."""
        digest = hashlib.sha256()
        for premise in self.premises:
            digest.update(_canonical(premise.as_record()))
        for module in sorted(self.imports):
            digest.update(_canonical({"module": module, "imports": list(self.imports[module])}))
        return digest.hexdigest()


class TextFormat(StrEnum):
    """How a premise becomes the string an encoder embeds."""

    PLAIN = "plain"  # name, statement and docstring: for general sentence encoders
    REPROVER = "reprover"  # the statement with its name marked <a>…</a>: ReProver's retriever


def premise_text(premise: CorpusPremise, text_format: TextFormat) -> str:
    if text_format is TextFormat.REPROVER:
        return serialize_premise(Premise(name=premise.name, statement=premise.code))
    text = f"{premise.name}\n{premise.code}"
    return f"{text}\n{premise.doc}" if premise.doc else text


def module_from_path(path: str) -> str:
    """`Mathlib/Logic/Basic.lean` -> `Mathlib.Logic.Basic`, dropping Lake package prefixes.

    LeanDojo paths look like `Mathlib/…`, `.lake/packages/batteries/Batteries/…` or
    `.lake/packages/lean4/src/lean/Init/…`.
    """
    parts = PurePosixPath(path).with_suffix("").parts
    for marker in (".lake", "lake-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1 :]
            parts = rest[2:] if rest[:1] == ("packages",) else rest[1:]
            break
    if parts[:2] == ("src", "lean"):
        parts = parts[2:]
    return ".".join(parts)


def load_corpus(path: Path) -> Corpus:
    """Read a corpus file; a malformed line raises `CorpusError` naming its number."""
    if not path.is_file():
        raise CorpusError(f"Corpus file {path} does not exist.")
    reader = _CorpusReader(str(path))
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    reader.add(records.parse_object(line, f"{path} line {number}"), number)
    except UnicodeDecodeError as exc:
        raise CorpusError(f"Corpus file {path} is not UTF-8 text ({exc.reason}).") from exc
    corpus = reader.finish()
    if not corpus.premises:
        raise CorpusError(f"Corpus file {path} contains no premises.")
    return corpus


def write_corpus(corpus: Corpus, path: Path) -> None:
    """Write module records, then premise records; atomically (a crash leaves no half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        for module in sorted(corpus.imports):
            record = {"module": module, "imports": list(corpus.imports[module])}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        for premise in corpus.premises:
            handle.write(json.dumps(premise.as_record(), ensure_ascii=False) + "\n")
    os.replace(partial, path)


def _canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n"


class _CorpusReader:
    """Accumulates records of the three shapes and resolves file paths to modules at the end."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.premises: list[CorpusPremise] = []
        self.module_imports: dict[str, tuple[str, ...]] = {}
        self.file_imports: dict[str, tuple[str, ...]] = {}  # LeanDojo path -> imported paths
        self.path_modules: dict[str, str] = {}
        self.skipped = 0

    def add(self, record: Mapping[str, Any], number: int) -> None:
        where = f"{self.source} line {number}"
        if "premises" in record:
            self._add_file(record, where)
        elif "name" in record:
            self.premises.append(_premise_record(record, where))
        elif "module" in record:
            module = records.text(record, "module", where)
            self.module_imports[module] = records.names(record, "imports", where)
        else:
            raise CorpusError(
                f"{where} is neither a LeanDojo file record (with 'premises'), "
                "a premise record (with 'name') nor a module record (with 'module')."
            )

    def _add_file(self, record: Mapping[str, Any], where: str) -> None:
        path = records.text(record, "path", where)
        module = records.optional_text(record, "module", where) or module_from_path(path)
        self.path_modules[path] = module
        self.file_imports[path] = records.names(record, "imports", where)
        premises = record["premises"]
        if not isinstance(premises, list):
            raise CorpusError(f"{where}: 'premises' must be a list.")
        for index, raw in enumerate(premises):
            item_where = f"{where}, premise {index}"
            if not isinstance(raw, dict):
                raise CorpusError(f"{item_where} is not a JSON object.")
            name, code = raw.get("full_name"), raw.get("code")
            if _ill_formed(name, code):
                self.skipped += 1
                continue
            self.premises.append(
                CorpusPremise(
                    name=records.text(raw, "full_name", item_where),
                    code=records.text(raw, "code", item_where),
                    module=module,
                    path=path,
                    kind=records.optional_text(raw, "kind", item_where),
                    start=records.position(raw, "start", item_where),
                    end=records.position(raw, "end", item_where),
                    doc=records.optional_text(raw, "doc", item_where),
                )
            )

    def finish(self) -> Corpus:
        imports = dict(self.module_imports)
        for path, imported in self.file_imports.items():
            imports[self.path_modules[path]] = tuple(
                self.path_modules.get(p) or module_from_path(p) for p in imported
            )
        return Corpus(premises=tuple(self.premises), imports=imports, skipped=self.skipped)


def _ill_formed(name: object, code: object) -> bool:
    """LeanDojo premises ReProver also ignores: unnamed, empty, AST artefacts, mutual blocks."""
    if not isinstance(name, str) or not isinstance(code, str):
        return name is None
    return code == "" or "user__.n" in name or (name.startswith("[") and name.endswith("]"))


def _premise_record(record: Mapping[str, Any], where: str) -> CorpusPremise:
    return CorpusPremise(
        name=records.text(record, "name", where),
        code=records.text(record, "statement", where),
        module=records.optional_text(record, "module", where),
        path=records.optional_text(record, "path", where),
        kind=records.optional_text(record, "kind", where),
        start=records.position(record, "start", where),
        end=records.position(record, "end", where),
        doc=records.optional_text(record, "doc", where),
    )
