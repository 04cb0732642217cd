"""The Lake project template shipped inside the package, written out by `leanwb setup`.

The template (`prover/data/lean_project/`) pins the Lean toolchain, Mathlib and the
REPL together; an installed wheel carries it, so no checkout is needed. Writing it
into a folder adds missing files and brings changed ones back to the template's
text; everything else there (`.lake/`, the user's own files) is left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from prover.config import PROJECT_TEMPLATE_DIR

PROJECT_NAME = "LeanWorkbench"
_NAME_LINE = re.compile(r'^name\s*=\s*"(?P<name>[^"]*)"', re.MULTILINE)


class TemplateError(RuntimeError):
    """The template cannot be written there; the message says why and what to do."""


def template_files(template: Path = PROJECT_TEMPLATE_DIR) -> list[Path]:
    """The template's files, relative to its folder, in a stable order."""
    return sorted(
        path.relative_to(template)
        for path in template.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def template_toolchain(template: Path = PROJECT_TEMPLATE_DIR) -> str:
    """The toolchain the template pins (`leanprover/lean4:v4.24.0`)."""
    return (template / "lean-toolchain").read_text(encoding="utf-8").strip()


def _other_project(target: Path) -> str | None:
    """The name of a different Lake project already in `target`, if there is one."""
    if (target / "lakefile.lean").is_file():
        return "a lakefile.lean project"
    lakefile = target / "lakefile.toml"
    if not lakefile.is_file():
        return None
    match = _NAME_LINE.search(lakefile.read_text(encoding="utf-8", errors="replace"))
    name = match.group("name") if match else None
    return None if name == PROJECT_NAME else f"the Lake project {name or '(unnamed)'!r}"


def write_project(target: Path, template: Path = PROJECT_TEMPLATE_DIR) -> list[Path]:
    """Write the template into `target`; the files that were added or brought up to date."""
    if target.exists() and not target.is_dir():
        raise TemplateError(f"{target} is a file; give a folder for the Lean project")
    other = _other_project(target) if target.is_dir() else None
    if other is not None:
        raise TemplateError(
            f"{target} already holds {other}, not the workbench's; choose another folder "
            "with --project"
        )
    written: list[Path] = []
    try:
        for relative in template_files(template):
            content = (template / relative).read_bytes()
            destination = target / relative
            if destination.is_file() and destination.read_bytes() == content:
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
            written.append(relative)
    except OSError as exc:
        raise TemplateError(
            f"cannot write the Lean project into {target} ({exc.strerror or exc}); choose a "
            "writable folder with --project"
        ) from None
    return written
