"""The gate's digest keys cached verdicts: any change to the gate's code changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

from prover.config import load_settings
from prover.gate_digest import GATE_SOURCES, PACKAGE, digest_of, gate_digest
from prover.lean.doctor import check_pin


def copy_of_the_gate(into: Path) -> Path:
    for name in GATE_SOURCES:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PACKAGE / name, into / name)
    return into


def test_the_digest_follows_every_gate_source(tmp_path: Path) -> None:
    copy = copy_of_the_gate(tmp_path)
    assert digest_of(copy) == gate_digest()
    seen = {gate_digest()}
    for name in GATE_SOURCES:
        source = copy / name
        original = source.read_bytes()
        source.write_bytes(original + b"\n# changed\n")
        seen.add(digest_of(copy))
        source.write_bytes(original)
    assert len(seen) == len(GATE_SOURCES) + 1
    assert digest_of(copy) == gate_digest()


def test_the_check_pin_holds_the_digest(tmp_path: Path) -> None:
    settings = load_settings(db=tmp_path / "store.sqlite")
    assert check_pin(settings).endswith(f" | gate {gate_digest()}")
