"""Strategies by name: the one place that knows them all.

Only the public API (`prover.api`), the CLI and the batch runner import this module;
strategies themselves never look each other up. `make_strategy` turns plain options
(what a command line, a config file or a recorded run holds) into a built strategy:
model specs (`openai:<model>`, `hf:<model>`) become models made with the given
`base_url` and `api_key`, search names become tactic searches, and the composite
strategies receive their collaborators (the sketch its hole search and repairer, the
portfolio its stages). Bad options raise `StrategyError` with a sentence for a person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prover.config import ModelSettings
from prover.errors import StrategyError
from prover.strategies.base import Strategy
from prover.strategies.portfolio import AUTOMATION, DEFAULT_STAGES, Portfolio, Stage
from prover.strategies.search.bfs import BestFirstSearch
from prover.strategies.search.engine import TacticSearch
from prover.strategies.search.mps import MultiPerspectiveSearch

SEARCHES: dict[str, Callable[..., TacticSearch]] = {
    "bfs": BestFirstSearch,
    "mps": MultiPerspectiveSearch,
}
STRATEGY_NAMES = ("bfs", "mps", "auto", "sketch", "repair", "sample")
# Options that name models, per strategy: the registry builds them (with base_url).
MODEL_OPTIONS: dict[str, tuple[str, ...]] = {
    "sketch": ("drafter", "sketcher"),
    "repair": ("model",),
    "mps": ("critic",),
    "sample": ("model",),
}
SKETCH_REPAIR_ROUNDS = 2  # repair rounds on a sketch's best near-miss (0: no repair)
SAMPLE_REPAIR_ROUNDS = 2  # repair rounds on each of a sample run's closest failures
# `auto` with a generator model: a `sample` stage right after automation, with this share.
SAMPLE_STAGE = Stage("sample", 0.30)
MODEL_SCHEMES = ("openai:", "hf:")
# Model ids of the tactic-step families (`prover.generate.prompts`): no sample stage for them.
TACTIC_MODEL = re.compile(r"step[-_]?prover|bfs[-_]?prover|byt5|tacgen|reprover", re.IGNORECASE)


def make_strategy(
    name: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    **options: Any,
) -> Strategy:
    """Build the strategy `name` from plain `options`; model specs among them are made
    with `base_url` and `api_key` (an option `base_url` of its own wins)."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise StrategyError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGY_NAMES)}")
    base_url = options.pop("base_url", None) or base_url
    try:
        return builder(_Models(base_url, api_key), **options)
    except TypeError as exc:
        raise StrategyError(f"bad option for strategy {name!r}: {exc}") from exc
    except ValueError as exc:
        raise StrategyError(f"strategy {name!r}: {exc}") from exc


def tactic_search(name: str | None, width: int = 8) -> TacticSearch | None:
    """The tactic search `name` (bfs, mps) built with `width`; None for `none`/None."""
    if name in (None, "none"):
        return None
    factory = SEARCHES.get(str(name))
    if factory is None:
        raise StrategyError(f"hole search {name!r} is not a tactic search; use bfs, mps or none")
    return factory(width=width)


class _Models:
    """Makes the models a strategy's options name, all with one base URL and key."""

    def __init__(self, base_url: str | None, api_key: str | None) -> None:
        self.base_url = base_url
        self.api_key = api_key

    def language_model(self, spec: Any) -> Any:
        if spec is None or not isinstance(spec, str):
            return spec
        from prover.generate.registry import make_language_model

        return make_language_model(spec, base_url=self.base_url, api_key=self.api_key)

    def generator(self, spec: Any) -> Any:
        if spec is None or not isinstance(spec, str):
            return spec
        from prover.generate.registry import make_generator

        return make_generator(spec, base_url=self.base_url, api_key=self.api_key)


def _bfs(models: _Models, **options: Any) -> Strategy:
    return BestFirstSearch(**options)


def _mps(models: _Models, *, critic: Any = "heuristic", **options: Any) -> Strategy:
    if isinstance(critic, str) and critic != "heuristic":
        from prover.strategies.search.critic import ModelCritic

        critic = ModelCritic(models.language_model(critic))
    elif critic == "heuristic":
        critic = None
    return MultiPerspectiveSearch(critic=critic, **options)


def _sketch(
    models: _Models,
    *,
    drafter: Any = None,
    sketcher: Any = None,
    prover_generator: Any = None,
    search: str | None = "bfs",
    width: int = 8,
    repair_rounds: int = SKETCH_REPAIR_ROUNDS,
    **options: Any,
) -> Strategy:
    from prover.strategies.repair import ProofRepairer
    from prover.strategies.sketch.pipeline import SketchStrategy
    from repair.pipeline import RepairOptions

    if drafter is None:
        raise ValueError(
            "it needs a drafter: --drafter openai:<model> (with --base-url), "
            "or a drafter in the config file's [models] table"
        )
    hole_search = tactic_search(search, width)
    closers = options.get("closers")
    repairer = (
        ProofRepairer(
            RepairOptions(
                rounds=repair_rounds,
                search=hole_search,
                **({"closers": tuple(closers)} if closers is not None else {}),
            )
        )
        if repair_rounds
        else None
    )
    return SketchStrategy(
        drafter=models.language_model(drafter),
        sketcher=models.language_model(sketcher),
        prover_generator=models.generator(prover_generator),
        search=hole_search,
        repairer=repairer,
        **options,
    )


def _repair(
    models: _Models,
    *,
    model: Any = None,
    generator: Any = None,
    search: str | None = "bfs",
    width: int = 8,
    **options: Any,
) -> Strategy:
    from prover.strategies.repair import RepairStrategy

    return RepairStrategy(
        model=models.language_model(model),
        generator=models.generator(generator),
        search=tactic_search(search, width),
        **options,
    )


def _sample(
    models: _Models,
    *,
    model: Any = None,
    search: str | None = "bfs",
    width: int = 8,
    repair_rounds: int = SAMPLE_REPAIR_ROUNDS,
    **options: Any,
) -> Strategy:
    """`repair_rounds` 0 leaves the closest failures to a later stage (auto's repair)."""
    from prover.strategies.repair import ProofRepairer
    from prover.strategies.sample import SampleStrategy
    from repair.pipeline import RepairOptions

    if model is None:
        raise ValueError(
            "it needs a model: --generator openai:<model> (with --base-url) or hf:<model>, "
            "or a generator in the config file's [models] table"
        )
    repairer = (
        ProofRepairer(RepairOptions(rounds=repair_rounds, search=tactic_search(search, width)))
        if repair_rounds
        else None
    )
    return SampleStrategy(model=models.language_model(model), repairer=repairer, **options)


def _portfolio(
    models: _Models,
    *,
    stages: Any = DEFAULT_STAGES,
    closers: Any = None,
    width: int | None = None,
    **stage_options: Any,
) -> Strategy:
    """`stage_options` maps a stage name to its strategy's options (`bfs={"width": 4}`);
    `width`, when given, is the default width of every search stage. A sketch stage
    without a drafter is left out (its share flows forward)."""
    planned = tuple(s if isinstance(s, Stage) else Stage(**s) for s in stages)
    if "sample" in stage_options and all(stage.name != "sample" for stage in planned):
        planned = (*planned[:1], SAMPLE_STAGE, *planned[1:])  # right after automation
    names = [stage.name for stage in planned]
    unknown = set(stage_options) - set(names)
    if unknown or not all(isinstance(v, Mapping) for v in stage_options.values()):
        raise ValueError(
            f"portfolio options must be stage names ({', '.join(names)}) mapped to option "
            "dictionaries"
        )
    built: list[tuple[Stage, Strategy | None]] = []
    for stage in planned:
        options = dict(stage_options.get(stage.name, {}))
        if stage.name == AUTOMATION:
            built.append((stage, None))
            continue
        if stage.name not in _BUILDERS or stage.name == "auto":
            raise ValueError(f"portfolio stage {stage.name!r} is not a strategy")
        if stage.name == "sketch" and options.get("drafter") is None:
            built.append((stage, None))
            continue
        if stage.name == "sample":
            if options.get("model") is None:
                built.append((stage, None))
                continue
            options.setdefault("repair_rounds", 0)  # the repair stage takes its near-miss
        if width is not None and stage.name in SEARCHES:
            options.setdefault("width", width)
        built.append(
            (
                stage,
                make_strategy(
                    stage.name, base_url=models.base_url, api_key=models.api_key, **options
                ),
            )
        )
    return Portfolio(built, **({"closers": tuple(closers)} if closers is not None else {}))


_BUILDERS: dict[str, Callable[..., Strategy]] = {
    "bfs": _bfs,
    "mps": _mps,
    "auto": _portfolio,
    "sketch": _sketch,
    "repair": _repair,
    "sample": _sample,
}


def with_configured_models(
    strategy: str, options: Mapping[str, Any], models: ModelSettings
) -> dict[str, Any]:
    """`options` with the models of `models` (flags, else the config file's `[models]`)
    filled in where the options left them out: the drafting models where `strategy`
    drafts (sketch, and auto's sketch stage), and a generator model (`openai:…`, `hf:…`)
    as the writer of whole proofs for `sample` and for a `sample` stage of `auto` (not for
    a tactic-step model: ReProver's ByT5, the step provers)."""
    options = dict(options)
    if strategy == "sketch":
        return {**options, **_sketch_models(options, models)}
    if strategy == "sample":
        writer = _generator_model(models)
        return {"model": writer, **options} if writer is not None else options
    if strategy != "auto":
        return options
    stage = options.get("sketch", {})
    if isinstance(stage, Mapping):  # a malformed stage option is the portfolio's to reject
        added = _sketch_models(stage, models)
        if added:
            options = {**options, "sketch": {**stage, **added}}
    writer = _generator_model(models)
    if writer is not None and TACTIC_MODEL.search(writer):
        writer = None  # a tactic-step model (ReProver, a step prover) writes no whole proofs
    sample = options.get("sample", {})
    if writer is not None and isinstance(sample, Mapping) and sample.get("model") is None:
        options = {**options, "sample": {**sample, "model": writer}}
    return options


def _generator_model(models: ModelSettings) -> str | None:
    """The configured generator when it is a language model (not the heuristic)."""
    generator = models.generator
    return generator if generator.startswith(MODEL_SCHEMES) else None


def _sketch_models(given: Mapping[str, Any], models: ModelSettings) -> dict[str, Any]:
    if given.get("drafter") is None and models.drafter is None:
        return {}
    wanted = {"drafter": models.drafter, "sketcher": models.sketcher}
    return {
        key: value for key, value in wanted.items() if value is not None and given.get(key) is None
    }


def parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    """`["width=4", "length_alpha=0.5"]` -> strategy options; each value is read as JSON
    when it is JSON (`4`, `["simp"]`, `{"drafts": 2}`), else kept as text."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise StrategyError(f"strategy option {pair!r} is not KEY=VALUE")
        try:
            options[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            options[key.strip()] = raw
    return options
