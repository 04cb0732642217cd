"""Before an eval run is recorded (or resumed): does the REPL start, does each model answer?

A run whose REPL cannot start, or whose model server is down or answers nonsense,
would otherwise fail every problem and read as a 0% result. Each check costs one
request; a failure raises `EvalError` saying what to fix, and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prover.config import Settings
from prover.errors import EvalError, GenerationError
from prover.generate.registry import make_language_model
from prover.lean.doctor import probe_repl
from prover.session import SessionOptions

REPL_PROBE_TIMEOUT_S = 60.0
MODEL_PROBE_TIMEOUT_S = 30.0


def check_repl(settings: Settings, timeout: float = REPL_PROBE_TIMEOUT_S) -> None:
    """Start the REPL once and have it answer one tiny command."""
    lean = settings.lean
    cwd = lean.project_dir if lean.project_dir.is_dir() else None
    ok, detail = probe_repl(lean.repl_cmd, cwd, timeout)
    if not ok:
        raise EvalError(f"the Lean REPL does not work: {detail}")


# (openai: spec, base URL, API key) of one model a run uses.
ModelUse = tuple[str, str | None, str | None]


def openai_models(session: SessionOptions, strategy_options: Mapping[str, Any]) -> list[ModelUse]:
    """The distinct openai: models a run uses, each with the URL and key it is made with:
    the generator, and any model the strategy options name (drafter, sketcher, ...)."""
    found: list[ModelUse] = []
    if session.generator.strip().startswith("openai:"):
        found.append((session.generator, session.base_url, session.api_key))
    for use in _models_in(strategy_options, session.base_url, session.api_key):
        if use not in found:
            found.append(use)
    return found


def _models_in(
    options: Mapping[str, Any], base_url: str | None, api_key: str | None
) -> Iterator[ModelUse]:
    """Strategies make their models with the run's `base_url` and `api_key`, unless their
    own options name others."""
    url, key = options.get("base_url", base_url), options.get("api_key", api_key)
    for value in options.values():
        if isinstance(value, str) and value.strip().startswith("openai:"):
            yield value, _text(url), _text(key)
        elif isinstance(value, Mapping):
            yield from _models_in(value, url, key)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def check_models(
    session: SessionOptions,
    strategy_options: Mapping[str, Any],
    timeout: float = MODEL_PROBE_TIMEOUT_S,
) -> None:
    """One request to each model server the run needs; `EvalError` if one fails."""
    for spec, base_url, api_key in openai_models(session, strategy_options):
        try:
            model = make_language_model(spec, base_url=base_url, api_key=api_key)
        except ValueError as exc:
            raise EvalError(str(exc)) from exc
        probe = getattr(model, "probe", None)
        if probe is None:
            continue
        try:
            probe(timeout)
        except GenerationError as exc:
            raise EvalError(
                f"the model server for {spec} does not work ({exc}); start it or fix the "
                "base URL, the model name or the key"
            ) from exc
