"""`manifest.json`: what an index directory holds and how it was built.

The model fingerprint is what makes a cross-model query an error: vectors from any
other model (or the same model with other settings) are refused at search time.
"""

from __future__ import annotations

import json
import os
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from retrieval.errors import IndexLoadError

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    model: str
    model_source: str
    backend: str
    model_fingerprint: str
    dimension: int
    normalized: bool
    text_format: str
    max_length: int
    kind: str
    kind_reason: str
    premise_count: int
    module_count: int
    corpus_hash: str
    built_at: str  # ISO 8601, UTC
    build_seconds: float
    encode_seconds: float
    encoded_texts: int  # texts encoded for this build; the rest came from the embedding cache
    faiss_version: str
    metric: str = "inner_product"
    corpus_source: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def write(self, directory: Path) -> None:
        partial = directory / f".{MANIFEST_FILE}.partial"
        partial.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n")
        os.replace(partial, directory / MANIFEST_FILE)

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_FILE
        if not directory.is_dir():
            raise IndexLoadError(f"Index directory {directory} does not exist.")
        if not path.is_file():
            raise IndexLoadError(
                f"{directory} is not a premise index (it has no {MANIFEST_FILE}); "
                "build one with `leanwb index build`."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IndexLoadError(f"{path} is not readable JSON ({exc}).") from exc
        if not isinstance(data, dict):
            raise IndexLoadError(f"{path} is not a JSON object.")
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexLoadError(
                f"{path} has format version {data.get('format_version')!r}, this workbench "
                f"reads version {FORMAT_VERSION}; rebuild the index with `leanwb index build`."
            )
        names = {f.name for f in fields(cls)}
        missing = sorted(
            f.name
            for f in fields(cls)
            if f.name not in data and f.default is MISSING and f.default_factory is MISSING
        )
        if missing:
            raise IndexLoadError(f"{path} lacks {', '.join(missing)}; rebuild the index.")
        return cls(**{k: v for k, v in data.items() if k in names})
