"""`leanwb datasets list|info|fetch`: benchmark manifests, local files and the download cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from prover.cli.common import JsonOption, console, emit_json, err_console, fail, settings
from prover.eval.batch import pinned_lean_version
from prover.eval.datasets import (
    find_manifest,
    list_manifests,
    load_jsonl,
)
from prover.eval.fetch import default_cache_dir, fetch, import_file, verified_cached

CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Download cache (default: $LEANWB_DATASETS_CACHE, else the user cache dir).",
    ),
]


def lean_cell(lean: str, pinned: str | None) -> str:
    """The manifest's Lean beside the pinned one, marked where they differ."""
    if pinned is None:
        return f"{lean} (no pin found)"
    return f"{lean} = pinned" if lean == pinned else f"[bold yellow]{lean} ≠ pinned {pinned}[/]"


def list_cmd(cache_dir: CacheDirOption = None, as_json: JsonOption = False) -> None:
    """List the benchmark manifests, the Lean each was written for against the pinned
    one, and whether each file is cached and verified."""
    cache = cache_dir or default_cache_dir()
    pinned = pinned_lean_version(settings())
    manifests = list_manifests()
    rows = [
        {
            "name": m.name,
            "splits": m.splits,
            "lean": m.lean_version,
            "pinned_lean": pinned,
            "matches_pin": m.lean_version == pinned,
            "mathlib": m.mathlib,
            "license": m.license,
            "url": m.file.url,
            "sha256": m.file.sha256,
            "cached": str(path) if (path := verified_cached(m, cache)) else None,
        }
        for m in manifests
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"benchmark manifests (the Lake project pins Lean {pinned or '?'})")
    table.add_column("name", no_wrap=True)
    for column in ("splits", "statements' Lean", "cached"):
        table.add_column(column)
    for row in rows:
        splits = ", ".join(f"{k} {v}" for k, v in row["splits"].items())
        table.add_row(row["name"], splits, lean_cell(row["lean"], pinned), row["cached"] or "no")
    console.print(table)
    if any(not row["matches_pin"] for row in rows):
        console.print(
            "≠: statements written for another Lean/Mathlib than the pinned one; those that no "
            "longer elaborate are reported as statement errors, outside the pass rate."
        )


def info_cmd(
    name: Annotated[str | None, typer.Argument(help="Manifest name (see `datasets list`).")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="A local JSONL file to check instead.")
    ] = None,
    cache_dir: CacheDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load a benchmark file and count its problems per split and category."""
    override = None
    if from_file is not None:
        path = from_file
    elif name is not None:
        manifest = find_manifest(name)
        cached = verified_cached(manifest, cache_dir or default_cache_dir())
        if cached is None:
            fail(f"{name} is not downloaded yet; run `leanwb datasets fetch {name}`")
        path = cached
        override = manifest.header_override
    else:
        fail("give a dataset name or --from-file PATH")
    dataset = load_jsonl(path, header_override=override)
    summary = {
        "path": str(dataset.path),
        "sha256": dataset.sha256,
        "problems": len(dataset.problems),
        "splits": dict(dataset.splits()),
        "categories": dict(sorted(dataset.categories().items())),
        "renamed_duplicates": dataset.renamed,
        **dataset.load_notes(),
    }
    if as_json:
        emit_json(summary)
        return
    console.print(f"{summary['path']}  sha256 {summary['sha256']}")
    console.print(f"{summary['problems']} problems; splits: {summary['splits']}")
    table = Table("category", "problems")
    for category, count in summary["categories"].items():
        table.add_row(category, str(count))
    console.print(table)
    if dataset.renamed:
        console.print(f"repeated names keyed as: {', '.join(dataset.renamed)}")
    for field_name, rows in dataset.missing_text.items():
        console.print(f"{field_name}: NaN or empty in {rows} row(s), treated as missing")
    if dataset.notation_rewritten:
        console.print(
            f"{dataset.notation_rewritten} statement(s) rewritten from the removed "
            "`∑ x in s` spelling to `∑ x ∈ s` (originals kept with each problem)"
        )
    if dataset.header_override is not None:
        console.print(
            f"header replaced on {dataset.headers_replaced} row(s) by the manifest's "
            f"(from {dataset.header_override.source}): {dataset.header_override.reason}"
        )


def fetch_cmd(
    name: Annotated[str, typer.Argument(help="Manifest name, or the path of a manifest JSON.")],
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            help="Cache this copy (downloaded elsewhere) instead, if its sha256 matches.",
        ),
    ] = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Download a benchmark file into the cache, resuming a partial download, and verify it."""
    cache = cache_dir or default_cache_dir()
    manifest = find_manifest(name)
    if from_file is not None:
        path = import_file(manifest, from_file, cache)
        console.print(f"{manifest.name}: {path} (sha256 verified)")
        return
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(manifest.name, total=manifest.file.size)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        path = fetch(manifest, cache, update)  # a DatasetError leaves the bar first
    console.print(f"{manifest.name}: {path} (sha256 verified)")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Benchmark manifests, local benchmark files and the download cache.")
    group.command("list")(list_cmd)
    group.command("info")(info_cmd)
    group.command("fetch")(fetch_cmd)
    app.add_typer(group, name="datasets")
