"""`leanwb repair`: turn Lean's errors on a broken proof into targeted fixes.

    leanwb repair broken.lean [--theorem NAME] [--rounds N] [--json]
    leanwb repair broken.lean --model openai:<model> --base-url URL   # conjecture correction

`--generator` and `--base-url` default to the `[models]` table of the config file
(see `prover.config`), then to the built-in defaults.

The repaired proof (or the best partial one, with `sorry` in its remaining holes) is
written to FILE.repaired.lean, or to `-o PATH`, or over FILE with `--in-place`; the
rest of the file is left as it was. Every fix, sorry and re-proof is recorded in the
attempt's graph. Exit status: 0 when the soundness gate accepted the repaired proof,
1 when it did not (or no repair was found), 2 on bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from prover.attempt import Progress
from prover.cli.common import (
    ApiKeyOption,
    BaseUrlOption,
    DbOption,
    ExpansionsOption,
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
from prover.lean_text import Declaration, TheoremTextError
from prover.session import AttemptResult, SessionOptions
from prover.visible import visible_text
from repair.pipeline import DEFAULT_ROUNDS, RepairResult, RepairStrategy
from repair.source import read_source


def register(app: typer.Typer) -> None:
    app.command("repair")(repair_command)


def repair_command(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE.lean", help="The Lean file with the broken proof."),
    ],
    theorem_name: Annotated[
        str | None,
        typer.Option("--theorem", "--name", help="Which theorem of the file to repair."),
    ] = None,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Repair rounds (check, fix, sorrify, re-prove).")
    ] = DEFAULT_ROUNDS,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the result here (default FILE.repaired.lean)."),
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Overwrite FILE with the result.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", help="openai:<model> or hf:<model> for conjecture correction."),
    ] = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    depth: Annotated[
        int, typer.Option("--depth", min=1, help="Model calls per hole (correction levels).")
    ] = 2,
    search: Annotated[
        str, typer.Option("--search", help="Search on holes after automation: bfs, mps or none.")
    ] = "bfs",
    generator: Annotated[
        str | None,
        typer.Option(
            "--generator",
            "-g",
            help="Tactic generator for that search (default: the config file's [models] "
            "generator, else heuristic).",
        ),
    ] = None,
    width: WidthOption = 8,
    wall: WallOption = 300.0,
    expansions: ExpansionsOption = None,
    lean_calls: LeanCallsOption = None,
    tokens: TokensOption = None,
    tactic_timeout: TacticTimeoutOption = 30.0,
    json_output: JsonOption = False,
    db: DbOption = None,
    repl_cmd: ReplCmdOption = None,
) -> None:
    """Repair a broken proof: rule fixes, tool correction, sorrify, re-prove, recombine."""
    if output is not None and in_place:
        fail("give either --output or --in-place, not both")
    text = _read(file)
    resolved = settings(repl_cmd, db)
    generator = generator or resolved.models.generator
    base_url = base_url or resolved.models.base_url
    try:
        source = read_source(text, name=theorem_name, source=str(file))
    except TheoremTextError as exc:
        fail(f"{file}: {exc}")
    try:
        strategy = RepairStrategy(
            proof=source.proof,
            model=model,
            base_url=base_url,
            api_key=api_key,
            rounds=rounds,
            depth=depth,
            search=search,
            width=width,
        )
    except ValueError as exc:
        fail(str(exc))
    budget = limits(wall, expansions, lean_calls, tokens, tactic_timeout)
    options = SessionOptions(generator=generator, base_url=base_url, api_key=api_key, limits=budget)
    config = {
        **strategy.config(),
        "generator": generator,
        "base_url": base_url,
        "theorem": source.theorem.name,
        "file": str(file),
    }
    result = prove_and_record(
        resolved, options, source.theorem, strategy, config, kind="repair", describe=_describe
    )
    repair = strategy.last
    target = output or (file if in_place else file.with_suffix(".repaired.lean"))
    written = _write(text, source, repair, target)
    if json_output:
        emit_json(_summary(source, result, repair, written, resolved.db_path))
    else:
        _print(source, result, repair, written)
    if not result.outcome.verdict.proved:
        raise typer.Exit(1)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")


def _write(
    text: str, source: Declaration, repair: RepairResult | None, target: Path
) -> Path | None:
    """Write the file with the result's proof, when there is one and it differs."""
    if repair is None or repair.proof == source.proof:
        return None
    try:
        target.write_text(source.with_proof_replaced(text, repair.proof), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc}")
    return target


def _describe(progress: Progress) -> str:
    note = f" · {progress.note}" if progress.note else ""
    return f"{progress.strategy}{note} · {progress.elapsed_s:.1f}s"


def _summary(
    source: Declaration,
    result: AttemptResult,
    repair: RepairResult | None,
    written: Path | None,
    db: Path,
) -> dict[str, Any]:
    verdict = result.outcome.verdict
    return {
        "theorem": source.theorem.name,
        "file": source.theorem.source,
        "verdict": verdict.kind.value,
        "reason": verdict.reason,
        "detail": repair.detail if repair is not None and repair.detail else verdict.detail,
        "proof": result.outcome.claim.proof if verdict.proved else None,
        "best_proof": repair.proof if repair is not None else None,
        "output": str(written) if written else None,
        "rounds": repair.rounds if repair is not None else 0,
        "changes": [c.as_dict() for c in repair.changes] if repair is not None else [],
        "holes": (
            [{"line": h.line, "column": h.column, "goal": h.goal} for h in repair.holes]
            if repair is not None
            else []
        ),
        "axioms": list(verdict.axioms),
        "attempt_id": result.attempt_id,
        "run_id": result.run_id,
        "spent": result.outcome.spent.as_dict(),
        "db": str(db),
    }


def _print(
    source: Declaration, result: AttemptResult, repair: RepairResult | None, written: Path | None
) -> None:
    verdict, spent = result.outcome.verdict, result.outcome.spent
    cost = f"{spent.lean_calls} Lean calls, {spent.wall_s:.1f}s; attempt {result.attempt_id}"
    where = f" -> {written}" if written else ""
    name = source.theorem.name
    if verdict.proved:
        console.print(Text(f"repaired {name} ({cost}){where}", style="bold green"), soft_wrap=True)
    else:
        why = repair.detail if repair is not None and repair.detail else verdict.detail
        label = f"not repaired: {verdict.reason or 'unknown'}"
        console.print(Text(f"{label}: {why} ({cost}){where}", style="bold red"), soft_wrap=True)
    if repair is None:
        return
    # Lines count from the proof's first line (its `by`), as the proof was at that step.
    for change in repair.changes:
        line = f"proof line {change.line}" if change.line is not None else ""
        error = f" [{change.error_class}]" if change.error_class else ""
        console.print(Text(f"  {line:>14}  {change.name}{error}: {change.detail}"), soft_wrap=True)
    for hole in repair.holes:
        goal = " ".join(hole.goal.split())
        console.print(Text(f"  open hole at proof line {hole.line}: {goal}"), soft_wrap=True)
    console.print(visible_text(source.theorem.with_proof(repair.proof)), soft_wrap=True)
