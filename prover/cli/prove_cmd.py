"""`leanwb prove`: search for a proof of one theorem and record the attempt.

    leanwb prove "theorem t (p : Prop) (hp : p) : p := by sorry" [--strategy mps] [--json]
    leanwb prove --file F.lean [--name N]

`--generator`, `--base-url`, `--drafter` and `--sketcher` default to the `[models]`
table of the config file (see `prover.config`), then to the built-in defaults.

Exit status: 0 when the soundness gate accepted a proof, 1 when none was found (or
the gate rejected it), 2 on bad input.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from prover.attempt import Progress, Strategy
from prover.cli.common import (
    ApiKeyOption,
    BaseUrlOption,
    DbOption,
    ExpansionsOption,
    HeaderTimeoutOption,
    JsonOption,
    LeanCallsOption,
    ReplCmdOption,
    TacticTimeoutOption,
    TokensOption,
    WallOption,
    WidthOption,
    console,
    emit_json,
    fail,
    limits,
    prove_and_record,
    settings,
)
from prover.generate.registry import make_language_model
from prover.lean_text import DEFAULT_HEADER, TheoremTextError, theorem_from_text
from prover.search.critic import ModelCritic
from prover.session import AttemptResult, SessionOptions
from prover.strategies import STRATEGIES, make_strategy
from prover.types import Theorem, VerdictKind
from prover.visible import visible_text

_STOP_TEXT = {
    "search_exhausted": "every reachable state was expanded without closing the goal",
    "wall_time": "the time budget (--time) ran out",
    "expansions": "the expansion budget (--expansions) ran out",
    "lean_calls": "the Lean call budget (--lean-calls) ran out",
    "tokens": "the token budget (--tokens) ran out",
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
        str, typer.Option("--strategy", "-s", help=f"One of: {', '.join(STRATEGIES)}.")
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
        str,
        typer.Option(
            "--critic",
            help="mps only: 'heuristic', or a model spec (hf:…, openai:…) asked for steps left.",
        ),
    ] = "heuristic",
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Premise index directory: retrieve premises per state."),
    ] = None,
    wall: WallOption = 300.0,
    expansions: ExpansionsOption = None,
    lean_calls: LeanCallsOption = None,
    tokens: TokensOption = None,
    tactic_timeout: TacticTimeoutOption = 30.0,
    width: WidthOption = 8,
    drafter: Annotated[
        str | None,
        typer.Option(
            "--drafter",
            help="sketch only: the model drafting the proof (openai:…; default: the config "
            "file's [models] drafter).",
        ),
    ] = None,
    sketcher: Annotated[
        str | None,
        typer.Option(
            "--sketcher",
            help="sketch only: the model writing the Lean sketch (default: the config file's "
            "[models] sketcher, else the drafter).",
        ),
    ] = None,
    drafts: Annotated[
        int | None, typer.Option("--drafts", min=1, help="sketch only: draft-sketch-prove tries.")
    ] = None,
    prover_generator: Annotated[
        str | None,
        typer.Option("--prover-generator", help="sketch only: generator searching the subgoals."),
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
    theorem = _read_theorem(theorem_text, file, name, header)
    resolved = settings(repl_cmd, db, header_timeout)
    models = resolved.models
    generator = generator or models.generator
    base_url = base_url or models.base_url
    if strategy == "sketch":  # the configured drafting models serve the sketch strategy only
        drafter = drafter or models.drafter
        sketcher = sketcher or models.sketcher
    sketch_options = {
        "drafter": drafter,
        "sketcher": sketcher,
        "drafts": drafts,
        "prover_generator": prover_generator,
    }
    search = _build_strategy(strategy, width, critic, base_url, api_key, sketch_options)
    budget = limits(wall, expansions, lean_calls, tokens, tactic_timeout)
    options = SessionOptions(
        generator=generator,
        base_url=base_url,
        api_key=api_key,
        index_dir=index,
        limits=budget,
        seed=seed,
    )
    config = {
        "theorem": theorem.name,
        "strategy": strategy,
        "width": width,
        "generator": generator,
        "base_url": base_url,
        "critic": critic,
        **sketch_options,
        "index": str(index) if index else None,
        "limits": asdict(budget),
        "seed": seed,
    }
    result = prove_and_record(
        resolved, options, theorem, search, config, kind="prove", describe=_describe
    )
    if json_output:
        emit_json(_summary(theorem, strategy, result, resolved.db_path))
    else:
        _print_result(theorem, result)
    if not result.outcome.verdict.proved:
        raise typer.Exit(1)


def _read_theorem(
    text: str | None, file: Path | None, name: str | None, header: str | None
) -> Theorem:
    if (text is None) == (file is None):
        fail("give either a THEOREM text or --file F.lean, not both and not neither")
    if file is not None:
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {exc}")
        origin, default_header = str(file), header or ""
    else:
        assert text is not None
        source, origin, default_header = text.strip(), "cli", header or DEFAULT_HEADER
    try:
        return theorem_from_text(source, name=name, default_header=default_header, source=origin)
    except TheoremTextError as exc:
        fail(f"{origin}: {exc}")


def _build_strategy(
    name: str,
    width: int,
    critic: str,
    base_url: str | None,
    api_key: str | None,
    sketch_options: dict[str, Any],
) -> Strategy:
    options: dict[str, Any] = {"width": width}
    given = {key: value for key, value in sketch_options.items() if value is not None}
    try:
        if name == "sketch":
            if "drafter" not in given:
                fail(
                    "--strategy sketch needs --drafter (e.g. openai:<model> with --base-url) "
                    "or a drafter in the config file's [models] table"
                )
            options.update(given, base_url=base_url, api_key=api_key)
        elif given:
            fail("--drafter, --sketcher, --drafts, --prover-generator need --strategy sketch")
        if critic != "heuristic":
            if name != "mps":
                fail("--critic applies to --strategy mps only")
            model = make_language_model(critic, base_url=base_url, api_key=api_key)
            options["critic"] = ModelCritic(model)
        return make_strategy(name, **options)
    except ValueError as exc:
        fail(str(exc))


def _describe(progress: Progress) -> str:
    note = f" · {progress.note}" if progress.note else ""
    return (
        f"{progress.strategy} · expansions {progress.expansions} · "
        f"best depth {progress.best_depth}{note} · {progress.elapsed_s:.1f}s"
    )


def _summary(theorem: Theorem, strategy: str, result: AttemptResult, db: Path) -> dict[str, Any]:
    verdict, claim = result.outcome.verdict, result.outcome.claim
    return {
        "theorem": theorem.name,
        "strategy": strategy,
        "verdict": verdict.kind.value,
        "reason": verdict.reason,
        "detail": verdict.detail,
        "proof": verdict.proof if verdict.proved else None,
        "claimed_proof": claim.proof,
        "axioms": list(verdict.axioms),
        "attempt_id": result.attempt_id,
        "run_id": result.run_id,
        "spent": result.outcome.spent.as_dict(),
        "db": str(db),
    }


def _print_result(theorem: Theorem, result: AttemptResult) -> None:
    verdict, spent = result.outcome.verdict, result.outcome.spent
    cost = (
        f"{spent.expansions} expansions, {spent.lean_calls} Lean calls, "
        f"{spent.wall_s:.1f}s; attempt {result.attempt_id}"
    )
    if verdict.proved and verdict.proof is not None:
        console.print(Text(f"proved {theorem.name} ({cost})", style="bold green"), soft_wrap=True)
        console.print(visible_text(theorem.with_proof(verdict.proof)), soft_wrap=True)
        return
    label = "rejected" if verdict.kind is VerdictKind.REJECTED else "not proved"
    reason = verdict.reason or "unknown"
    why = f"{reason}: {_STOP_TEXT[reason]}" if reason in _STOP_TEXT else verdict.detail or reason
    console.print(Text(f"{label}: {why} ({cost})", style="bold red"), soft_wrap=True)
    if result.outcome.claim.proof is not None:
        console.print(visible_text("claimed proof:\n" + result.outcome.claim.proof), soft_wrap=True)
