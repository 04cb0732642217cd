"""`leanwb prove`: search for a proof of one theorem and record the attempt.

    leanwb prove "theorem t (p : Prop) (hp : p) : p := by sorry" [--strategy mps] [--json]
    leanwb prove --file F.lean [--name N]
    leanwb prove --file Broken.lean --strategy repair [--model openai:<model>]
    leanwb prove --file F.lean --strategy sample --samples 32 -g openai:<model> [--mode auto]

Every model option (`--generator`, `--base-url`, `--drafter`, `--sketcher`) defaults to
the `[models]` table of the config file (see `prover.config`), then to the built-in
defaults; `--drafter`/`--sketcher` serve `sketch` and `auto`'s sketch stage. With
`--strategy repair` the theorem's own proof (unless it is just `sorry`) is the proof
to repair, and `--model` may correct it. The command parses, calls
`prover.api.Workbench.prove`, and renders its `ProveReport` (`--json` prints it).

Exit status: 0 when the soundness gate accepted a proof, 1 when none was found (or
the gate rejected it), 2 on bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from prover.api import Workbench
from prover.cli.common import (
    ApiKeyOption,
    BaseUrlOption,
    BudgetOption,
    DbOption,
    ExpansionsOption,
    HeaderTimeoutOption,
    JsonOption,
    ReplCmdOption,
    TimeOption,
    WidthOption,
    command_line,
    console,
    err_console,
    fail,
    limits_from,
    progress_line,
    say_wait,
)
from prover.lean_text import DEFAULT_HEADER
from prover.reports import ProveReport
from prover.strategies.base import Progress
from prover.strategies.registry import STRATEGY_NAMES
from prover.visible import visible_text

_STOP_TEXT = {
    "search_exhausted": "every reachable state was expanded without closing the goal",
    "wall_time": "the time budget (--time, --budget wall=…) ran out",
    "expansions": "the expansion budget (--expansions) ran out",
    "lean_calls": "the Lean call budget (--budget lean_calls=…) ran out",
    "tokens": "the token budget (--budget tokens=…) ran out",
}
# Which strategies take each strategy-specific option (auto passes them to its stages).
_OPTION_STRATEGIES = {
    "--critic": ("mps",),
    "--drafter": ("sketch", "auto"),
    "--sketcher": ("sketch", "auto"),
    "--drafts": ("sketch", "auto"),
    "--prover-generator": ("sketch", "auto"),
    "--model": ("repair", "auto"),
    "--samples": ("sample", "auto"),
    "--mode": ("sample", "auto"),
    "--prompt-format": ("sample", "auto"),
}


def register(app: typer.Typer) -> None:
    app.command("prove")(prove_command)


def prove_command(
    theorem_text: Annotated[
        str | None,
        typer.Argument(
            metavar="THEOREM",
            help='The declaration, e.g. "theorem t (p : Prop) (hp : p) : p := by sorry".',
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Read the theorem from this Lean file."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Which theorem of the text or file to prove.")
    ] = None,
    header: Annotated[
        str | None,
        typer.Option(
            "--header",
            help=f"Imports/opens for THEOREM if it has none (default {DEFAULT_HEADER!r}).",
        ),
    ] = None,
    strategy: Annotated[
        str, typer.Option("--strategy", "-s", help=f"One of: {', '.join(STRATEGY_NAMES)}.")
    ] = "bfs",
    generator: Annotated[
        str | None,
        typer.Option(
            "--generator",
            "-g",
            help="heuristic, hf:<model> or openai:<model> (default: the config file's "
            "[models] generator, else heuristic).",
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    critic: Annotated[
        str | None,
        typer.Option(
            "--critic",
            help="mps only: 'heuristic', or a model spec (hf:…, openai:…) asked for steps left.",
        ),
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Premise index directory: retrieve premises per state."),
    ] = None,
    budget: BudgetOption = None,
    time: TimeOption = None,
    expansions: ExpansionsOption = None,
    width: WidthOption = 8,
    drafter: Annotated[
        str | None,
        typer.Option(
            "--drafter",
            help="sketch and auto: the model drafting the proof (openai:…; default: the "
            "config file's [models] drafter).",
        ),
    ] = None,
    sketcher: Annotated[
        str | None,
        typer.Option(
            "--sketcher",
            help="sketch and auto: the model writing the Lean sketch (default: the config "
            "file's [models] sketcher, else the drafter).",
        ),
    ] = None,
    drafts: Annotated[
        int | None,
        typer.Option("--drafts", min=1, help="sketch and auto: draft-sketch-prove tries."),
    ] = None,
    prover_generator: Annotated[
        str | None,
        typer.Option(
            "--prover-generator", help="sketch and auto: generator searching the subgoals."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="repair and auto: the model that writes a proof to repair when none is "
            "given and corrects holes (openai:…, hf:…).",
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=1,
            help="sample and auto: whole proofs the generator model writes (default 8).",
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="sample and auto: plain, cot (chain of thought) or auto (plain first, "
            "chain of thought only if still open).",
        ),
    ] = None,
    prompt_format: Annotated[
        str | None,
        typer.Option(
            "--prompt-format",
            help="sample and auto: the whole-proof prompt format (default: from the model "
            "id; deepseek-prover-v1.5, deepseek-prover-v2, goedel-prover-v2, kimina-prover, "
            "generic).",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for sampling generators (search is deterministic).")
    ] = 0,
    json_output: JsonOption = False,
    db: DbOption = None,
    repl_cmd: ReplCmdOption = None,
    header_timeout: HeaderTimeoutOption = None,
) -> None:
    """Search for a proof, check it with the soundness gate, and record every step."""
    text = _read_text(theorem_text, file)
    given = {
        "--critic": critic,
        "--drafter": drafter,
        "--sketcher": sketcher,
        "--drafts": drafts,
        "--prover-generator": prover_generator,
        "--model": model,
        "--samples": samples,
        "--mode": mode,
        "--prompt-format": prompt_format,
    }
    for flag, value in given.items():
        if value is not None and strategy not in _OPTION_STRATEGIES[flag]:
            fail(f"{flag} applies to --strategy {' or '.join(_OPTION_STRATEGIES[flag])} only")
    options = _strategy_options(strategy, width, critic, drafts, prover_generator, model)
    sampling = sample_options(samples, mode, prompt_format)
    if strategy == "sample":
        options.update(sampling)
    elif strategy == "auto" and sampling:
        options["sample"] = sampling
    limits = limits_from(budget, time, expansions)
    with (
        Workbench(
            repl_cmd=repl_cmd,
            db=db,
            generator=generator,
            base_url=base_url,
            api_key=api_key,
            drafter=drafter,
            sketcher=sketcher,
            seed=seed,
            header_timeout=header_timeout,
            on_wait=say_wait,
        ) as workbench,
        progress_line(_describe, enabled=err_console.is_terminal) as show,
    ):
        report = workbench.prove(
            text,
            strategy,
            options=options,
            limits=limits,
            name=name,
            header=header,
            index=index,
            on_progress=show,
            command=command_line(),
        )
    if json_output:
        typer.echo(report.to_json())
    else:
        _print_result(report)
    if not report.proved:
        raise typer.Exit(1)


def _read_text(text: str | None, file: Path | None) -> str | Path:
    """The declaration text to prove, or the file."""
    if (text is None) == (file is None):
        fail("give either a THEOREM text or --file F.lean, not both and not neither")
    if file is not None:
        return file
    assert text is not None
    return text.strip()


def _strategy_options(
    strategy: str,
    width: int,
    critic: str | None,
    drafts: int | None,
    prover_generator: str | None,
    model: str | None,
) -> dict[str, Any]:
    """The options of `strategy` from the flags (the models of `[models]` are filled in
    by the Workbench)."""
    if strategy == "auto":
        sketch = {"drafts": drafts, "prover_generator": prover_generator}
        stages: dict[str, Any] = {"width": width}
        if any(value is not None for value in sketch.values()):
            stages["sketch"] = {k: v for k, v in sketch.items() if v is not None}
        if model is not None:
            stages["repair"] = {"model": model}
        return stages
    if strategy == "sketch":
        chosen = {"width": width, "drafts": drafts, "prover_generator": prover_generator}
        return {k: v for k, v in chosen.items() if v is not None}
    if strategy == "repair":
        return {"width": width, **({"model": model} if model else {})}
    if strategy == "sample":
        return {"width": width}
    return {"width": width, **({"critic": critic} if critic else {})}


def sample_options(
    samples: int | None, mode: str | None, prompt_format: str | None
) -> dict[str, Any]:
    """The sample strategy's options among the flags (those given)."""
    chosen = {"samples": samples, "mode": mode, "prompt_format": prompt_format}
    return {key: value for key, value in chosen.items() if value is not None}


def _describe(progress: Progress) -> str:
    note = f" · {progress.note}" if progress.note else ""
    return (
        f"{progress.strategy} · expansions {progress.expansions} · "
        f"best depth {progress.best_depth}{note} · {progress.elapsed_s:.1f}s"
    )


def _print_result(report: ProveReport) -> None:
    spent = report.spent
    cost = (
        f"{spent['expansions']} expansions, {spent['lean_calls']} Lean calls, "
        f"{spent['wall_s']:.1f}s; attempt {report.attempt_id}"
    )
    if report.samples is not None:
        cost = f"{report.samples['n']} samples, {report.samples['correct']} verified, {cost}"
    if report.proved and report.proof is not None:
        console.print(Text(f"proved {report.theorem} ({cost})", style="bold green"), soft_wrap=True)
        console.print(visible_text(f"{report.statement} := {report.proof}"), soft_wrap=True)
        return
    label = "rejected" if report.verdict == "rejected" else "not proved"
    reason = report.reason or "unknown"
    why = _STOP_TEXT.get(reason, report.detail or reason)
    console.print(Text(f"{label}: {reason}: {why} ({cost})", style="bold red"), soft_wrap=True)
    if report.claimed_proof is not None:
        console.print(visible_text("claimed proof:\n" + report.claimed_proof), soft_wrap=True)
