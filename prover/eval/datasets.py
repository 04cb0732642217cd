"""Benchmark manifests and the JSONL loader that turns rows into problems.

A manifest (`prover/data/datasets/<name>.json`, shipped in the package) says where a
benchmark file comes from (URL, revision, sha256, licence) and which Lean/Mathlib its
statements were written for. The loader reads the row format of DeepSeek-Prover-V1.5's
files and the project's shared copies (name, split, header, formal_statement, optional
helper/informal fields), and the spellings of yangky11/miniF2F-lean4 and
ProofNet-Verified (`formal_stmt`, `informal_stmt`, `textbook`, no split), and yields
one `Problem` per row.

What the loader changes, it counts (`LoadedDataset.load_notes`): optional text that is
the bare JSON `NaN` or empty is treated as missing; a manifest's `header_override`
replaces every row's header; statements in the removed `∑ x in s` spelling are
rewritten (`prover.eval.big_operators`), the original kept on the problem.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prover.config import MANIFEST_DIR
from prover.errors import DatasetError
from prover.eval.big_operators import rewrite_big_operators
from prover.types import Theorem

# `:=`, optionally followed by `by` and/or `sorry`: every ending the benchmark files use.
_PROOF_ENDING = re.compile(r"\s*:=\s*(?:by\b\s*)?(?:sorry\s*)?\Z")
# A Lean release as manifests give it: `4.9.0`, `4.24.0`, `4.9.0-rc2`.
_LEAN_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-rc\d+)?")
# Other files' names for the row fields (yangky11/miniF2F-lean4, ProofNet-Verified).
FIELD_ALIASES: dict[str, str] = {
    "formal_stmt": "formal_statement",
    "informal_stmt": "informal_statement",
    "textbook": "book",
}
# The split of rows from a file that has none (ProofNet-Verified upstream).
NO_SPLIT = "all"
# Optional text fields: NaN (a bare JSON token Python reads as a float) or empty is missing.
OPTIONAL_TEXT = ("split", "helper", "informal_statement", "informal_proof", "source", "book")

# miniF2F categories by name prefix; the first match wins, so the longer prefixes come first.
MINIF2F_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("mathd_algebra", "mathd_algebra"),
    ("mathd_numbertheory", "mathd_numbertheory"),
    ("amc", "amc"),
    ("aime", "aime"),
    ("imo", "imo"),
    ("induction", "induction"),
    ("algebra", "algebra"),
    ("numbertheory", "numbertheory"),
)


@dataclass(frozen=True)
class DatasetFile:
    url: str
    sha256: str
    filename: str
    size: int | None = None


@dataclass(frozen=True)
class HeaderOverride:
    """A header that replaces every row's own (a file whose headers no longer import)."""

    header: str
    source: str  # where this header comes from
    reason: str  # why the file's own header is not used

    def as_dict(self) -> dict[str, str]:
        return {"header": self.header, "source": self.source, "reason": self.reason}


@dataclass(frozen=True)
class Manifest:
    name: str
    description: str
    file: DatasetFile
    repository: str
    revision: str
    license: str
    lean_version: str
    mathlib: str
    splits: dict[str, int]
    notes: str = ""
    header_override: HeaderOverride | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str) -> Manifest:
        try:
            file = data["file"]
            override = data.get("header_override")
            return cls(
                name=str(data["name"]),
                description=str(data["description"]),
                file=DatasetFile(
                    url=str(file["url"]),
                    sha256=str(file["sha256"]).lower(),
                    filename=str(file["filename"]),
                    size=int(file["size"]) if file.get("size") is not None else None,
                ),
                repository=str(data["repository"]),
                revision=str(data["revision"]),
                license=str(data["license"]),
                lean_version=_lean_version(data["lean_version"]),
                mathlib=str(data["mathlib"]),
                splits={str(k): int(v) for k, v in dict(data["splits"]).items()},
                notes=str(data.get("notes", "")),
                header_override=(
                    HeaderOverride(
                        header=str(override["header"]),
                        source=str(override["source"]),
                        reason=str(override["reason"]),
                    )
                    if override is not None
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DatasetError(f"{origin} is not a valid manifest ({exc!r})") from exc


def _lean_version(value: object) -> str:
    text = str(value)
    if not _LEAN_VERSION.fullmatch(text):
        raise ValueError(f"lean_version {text!r} is not a release such as 4.24.0")
    return text


def toolchain_version(toolchain: str) -> str:
    """`leanprover/lean4:v4.24.0` -> `4.24.0`, the form a manifest's `lean_version` takes."""
    return toolchain.rpartition(":")[2].removeprefix("v")


def list_manifests(directory: Path = MANIFEST_DIR) -> list[Manifest]:
    return [load_manifest_file(path) for path in sorted(directory.glob("*.json"))]


def load_manifest_file(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"cannot read manifest {path}: {exc}") from exc
    return Manifest.from_dict(data, str(path))


def find_manifest(name_or_path: str, directory: Path = MANIFEST_DIR) -> Manifest:
    """A manifest by its name (`minif2f`) or by the path of its JSON file."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.is_file():
        return load_manifest_file(path)
    for manifest in list_manifests(directory):
        if manifest.name == name_or_path:
            return manifest
    known = ", ".join(m.name for m in list_manifests(directory)) or "none"
    raise DatasetError(f"no dataset named {name_or_path!r} (known: {known})")


@dataclass(frozen=True)
class Problem:
    """One benchmark row, ready to prove. `key` is unique within its file."""

    key: str
    split: str
    category: str
    theorem: Theorem
    revised: bool = False
    line: int = 0
    original_statement: str | None = None  # the file's text, when the loader rewrote it

    def as_dict(self) -> dict[str, Any]:
        t = self.theorem
        return {
            "key": self.key,
            "split": self.split,
            "category": self.category,
            "revised": self.revised,
            "line": self.line,
            "original_statement": self.original_statement,
            "theorem": {
                "name": t.name,
                "header": t.header,
                "statement": t.statement,
                "informal_statement": t.informal_statement,
                "informal_proof": t.informal_proof,
                "source": t.source,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(
            key=data["key"],
            split=data["split"],
            category=data["category"],
            revised=bool(data["revised"]),
            line=int(data["line"]),
            theorem=Theorem(**data["theorem"]),
            original_statement=data.get("original_statement"),
        )


@dataclass
class LoadedDataset:
    path: Path
    sha256: str
    problems: list[Problem]
    revised_used: int = 0
    renamed: list[str] = field(default_factory=list)
    missing_text: dict[str, int] = field(default_factory=dict)  # field -> rows NaN or empty
    header_override: HeaderOverride | None = None
    headers_replaced: int = 0  # rows whose own header differed from the override

    def splits(self) -> Counter[str]:
        return Counter(p.split for p in self.problems)

    def categories(self) -> Counter[str]:
        return Counter(p.category for p in self.problems)

    @property
    def notation_rewritten(self) -> int:
        """Problems whose statement was rewritten from the removed `∑ x in s` spelling."""
        return sum(p.original_statement is not None for p in self.problems)

    def load_notes(self) -> dict[str, Any]:
        """What the loader changed, for `datasets info` and a run's recorded config."""
        override = self.header_override
        return {
            "missing_text": dict(self.missing_text),
            "notation_rewritten": self.notation_rewritten,
            "header_override": (
                {**override.as_dict(), "rows_replaced": self.headers_replaced} if override else None
            ),
        }


def strip_proof_ending(formal_statement: str) -> str | None:
    """The statement without its trailing `:=` / `:= by` / `:= by sorry` / `:= sorry`."""
    match = _PROOF_ENDING.search(formal_statement)
    if match is None:
        return None
    return formal_statement[: match.start()].rstrip()


def canonical_row(row: dict[str, Any]) -> dict[str, Any]:
    """`row` with the other files' field names (`FIELD_ALIASES`) renamed to ours."""
    canonical = dict(row)
    for alias, name in FIELD_ALIASES.items():
        if alias in canonical and name not in canonical:
            canonical[name] = canonical.pop(alias)
    return canonical


def category_of(row: dict[str, Any]) -> str:
    """ProofNet rows carry their textbook; miniF2F rows are grouped by name prefix."""
    book = row.get("book")
    if isinstance(book, str) and book:
        return book
    name = str(row.get("name", ""))
    for prefix, category in MINIF2F_CATEGORIES:
        if name.startswith(prefix):
            return category
    return "other"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def blank_optional_text(row: dict[str, Any]) -> list[str]:
    """The optional text fields of `row` that are NaN or empty (so count as missing)."""
    blank: list[str] = []
    for key in OPTIONAL_TEXT:
        value = row.get(key)
        is_nan = isinstance(value, float) and math.isnan(value)
        if is_nan or (isinstance(value, str) and not value.strip()):
            blank.append(key)
    return blank


def _optional(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DatasetError(f"field {key!r} must be a string")
    return value


def _required(row: dict[str, Any], key: str) -> str:
    value = _optional(row, key)
    if value is None:
        raise DatasetError(f"missing field {key!r}")
    return value


def _problem(
    row: dict[str, Any],
    line: int,
    key: str,
    *,
    revised: bool,
    header_override: HeaderOverride | None,
) -> Problem:
    split = _optional(row, "split") or NO_SPLIT
    header = row.get("header")
    if not isinstance(header, str):
        raise DatasetError("missing field 'header' (a string, may be empty)")
    if header_override is not None:
        header = header_override.header
    use_revised = revised and bool(row.get("revised_formal_statement"))
    field_name = "revised_formal_statement" if use_revised else "formal_statement"
    written = strip_proof_ending(_required(row, field_name))
    if not written:
        raise DatasetError(f"{field_name} does not end with ':=' (or ':= by', 'sorry')")
    statement, rewrites = rewrite_big_operators(written)
    helper = _optional(row, "helper")
    if helper:
        header = f"{header.rstrip()}\n\n{helper.strip()}\n"
    theorem = Theorem(
        name=key,
        header=header,
        statement=statement,
        informal_statement=_optional(row, "informal_statement"),
        informal_proof=_optional(row, "informal_proof"),
        source=_optional(row, "source"),
    )
    return Problem(
        key=key,
        split=split,
        category=category_of(row),
        theorem=theorem,
        revised=use_revised,
        line=line,
        original_statement=written if rewrites else None,
    )


def _rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text ({exc.reason})") from exc
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise DatasetError(f"{path}:{number}: expected a JSON object")
        yield number, row


def load_jsonl(
    path: Path,
    *,
    splits: Sequence[str] = (),
    revised: bool = False,
    header_override: HeaderOverride | None = None,
) -> LoadedDataset:
    """Load every row of `path` (or only those in `splits`).

    Optional text that is NaN or empty counts as missing (`missing_text` says how many
    rows per field); `header_override` (a manifest's) replaces each row's header;
    statements are rewritten by `rewrite_big_operators`, the original kept.

    Keys are `full_name` when the row has one, else `name`; a key seen again in the
    file gets `#2`, `#3`, ... (ProofNet reuses exercise names across books), so
    keys stay the same whichever split is selected. A row identical to an earlier one
    (same name, split, header and statement) is an error: it would be run twice and
    counted twice in the pass rate. Rows of a file without splits are in split `all`;
    a file that gives a split on some rows only is an error.
    """
    seen: Counter[str] = Counter()
    first_line: dict[tuple[str, str, str, str], int] = {}
    split_given: dict[bool, int] = {}  # whether a row names its split -> first such line
    problems: list[Problem] = []
    renamed: list[str] = []
    missing_text: Counter[str] = Counter()
    headers_replaced = 0
    for number, raw in _rows(path):
        row = canonical_row(raw)
        for key in blank_optional_text(row):
            missing_text[key] += 1
            row[key] = None
        base = row.get("full_name") or row.get("name")
        if not isinstance(base, str) or not base:
            raise DatasetError(f"{path}:{number}: missing field 'name'")
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        try:
            problem = _problem(row, number, key, revised=revised, header_override=header_override)
        except DatasetError as exc:
            raise DatasetError(f"{path}:{number}: {exc}") from exc
        identity = (base, problem.split, problem.theorem.header, problem.theorem.statement)
        if identity in first_line:
            raise DatasetError(
                f"{path}:{number}: repeats line {first_line[identity]} (same name, split, "
                "header and statement); remove one of the two"
            )
        first_line[identity] = number
        split_given.setdefault(bool(row.get("split")), number)
        if len(split_given) == 2:
            raise DatasetError(
                f"{path}: line {split_given[True]} names its split and line "
                f"{split_given[False]} does not; give every row a split or none"
            )
        if key != base:
            renamed.append(key)
        if not splits or problem.split in splits:
            problems.append(problem)
            headers_replaced += header_override is not None and row["header"] != (
                header_override.header
            )
    if not problems:
        wanted = f" in split {', '.join(splits)}" if splits else ""
        raise DatasetError(f"{path} has no problems{wanted}")
    return LoadedDataset(
        path=path,
        sha256=sha256_file(path),
        problems=problems,
        revised_used=sum(p.revised for p in problems),
        renamed=renamed,
        missing_text=dict(sorted(missing_text.items())),
        header_override=header_override,
        headers_replaced=headers_replaced,
    )
