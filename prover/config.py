"""Settings, layered: built-in defaults < config file < environment < command-line flags.

Config file: `$LEANWB_CONFIG`, else `<user config dir>/leanwb/config.toml`:

    [lean]
    repl_cmd = "lake env /path/to/repl"   # argv string, split with shlex, never run by a shell
    project_dir = "/path/to/lean_project"  # default: <user data dir>/leanwb/lean_project
    pool_size = 2
    memory_mb = 12288
    request_timeout_s = 60
    header_timeout_s = 900

    [db]
    path = "/path/to/leanwb.sqlite"

    [models]                                  # every key optional
    generator = "openai:deepseek-prover"      # default of --generator / -g (prove, repair, eval)
    base_url = "http://127.0.0.1:8000/v1"     # default of --base-url
    drafter = "openai:qwq"                    # default of --drafter (strategy sketch, and auto's
    sketcher = "openai:deepseek-v3"           # sketch stage); --sketcher (default: the drafter)

    [prices."openai:deepseek-prover"]         # USD per million tokens, per model spec
    input = 0.27                              # (the eval report's money cost; optional)
    output = 1.10

A flag given on the command line wins over `[models]`, which wins over the built-in
default (the heuristic generator, no models). API keys are never read from the file:
they come from --api-key, else $LEANWB_API_KEY, else $OPENAI_API_KEY (`api_key`), for
every command alike.

Environment: `LEANWB_REPL_CMD`, `LEANWB_LEAN_PROJECT`, `LEANWB_DB`, `LEANWB_CONFIG`.
"""

from __future__ import annotations

import os
import shlex
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from prover.errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# Shipped inside the package (so an installed wheel has them): the benchmark manifests and
# the Lake project template that `leanwb setup` writes out.
DATA_DIR = Path(__file__).resolve().parent / "data"
MANIFEST_DIR = DATA_DIR / "datasets"
PROJECT_TEMPLATE_DIR = DATA_DIR / "lean_project"
# Where `lake build repl` puts the REPL binary inside the Lean project (REPL is a Lake dependency).
REPL_BINARY = Path(".lake/packages/REPL/.lake/build/bin/repl")


@dataclass(frozen=True)
class LeanSettings:
    repl_cmd: tuple[str, ...]
    project_dir: Path
    pool_size: int = 1
    memory_mb: int | None = 12288
    request_timeout_s: float = 60.0
    header_timeout_s: float = 900.0
    max_output_bytes: int = 64 * 1024 * 1024
    max_requests_per_process: int | None = 5000


DEFAULT_GENERATOR = "heuristic"


@dataclass(frozen=True)
class ModelSettings:
    """The `[models]` table: model specs (`heuristic`, `hf:<model>`, `openai:<model>`)."""

    generator: str = DEFAULT_GENERATOR
    base_url: str | None = None
    drafter: str | None = None
    sketcher: str | None = None


MODEL_KEYS = ("generator", "base_url", "drafter", "sketcher")


@dataclass(frozen=True)
class Price:
    """What a model costs, in US dollars per million input and output tokens."""

    input: float
    output: float


@dataclass(frozen=True)
class Settings:
    lean: LeanSettings
    db_path: Path
    config_file: Path | None
    models: ModelSettings = ModelSettings()
    prices: dict[str, Price] = field(default_factory=dict)


def default_repl_cmd(project_dir: Path) -> tuple[str, ...]:
    return ("lake", "env", str(project_dir / REPL_BINARY))


def parse_argv(text: str, origin: str) -> tuple[str, ...]:
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        raise ConfigError(f"{origin}: cannot split {text!r} into arguments ({exc})") from exc
    if not argv:
        raise ConfigError(f"{origin} is empty; give the REPL command, e.g. 'lake exe repl'")
    return argv


def _config_file(given: str | Path | None = None) -> Path | None:
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise ConfigError(f"the config file {path} is not a file")
        return path
    explicit = os.environ.get("LEANWB_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"LEANWB_CONFIG points at {path}, which is not a file")
        return path
    path = Path(platformdirs.user_config_dir("leanwb")) / "config.toml"
    return path if path.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _model_settings(table: object, origin: str) -> ModelSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin} [models] must be a table of model specs")
    for key, value in table.items():
        if key not in MODEL_KEYS:
            secret = " (API keys are never read from the file: use $LEANWB_API_KEY)"
            raise ConfigError(
                f"{origin} [models] has unknown key {key!r}; the keys are "
                f"{', '.join(MODEL_KEYS)}" + (secret if "key" in key else "")
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{origin} [models] {key} = {value!r} must be a non-empty string")
    return ModelSettings(**{key: value.strip() for key, value in table.items()})


API_KEY_VARIABLES = ("LEANWB_API_KEY", "OPENAI_API_KEY")


def api_key(given: str | None = None) -> str | None:
    """The API key for openai: models: `given`, else $LEANWB_API_KEY, else
    $OPENAI_API_KEY, else None."""
    if given:
        return given
    return next((os.environ[name] for name in API_KEY_VARIABLES if os.environ.get(name)), None)


def resolve_models(models: ModelSettings, **given: str | None) -> ModelSettings:
    """Every model option alike: the value `given` (a flag) when there is one, else
    the `[models]` table's (`models`), else the built-in default."""
    unknown = set(given) - set(MODEL_KEYS)
    if unknown:
        raise ConfigError(f"unknown model options {sorted(unknown)}; the keys are {MODEL_KEYS}")
    return replace(models, **{key: value for key, value in given.items() if value})


def _prices(table: object, origin: str) -> dict[str, Price]:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin} [prices] must be a table of models")
    prices = {}
    for model, entry in table.items():
        where = f"{origin} [prices.{_toml_key(model)}]"
        if not isinstance(entry, dict) or set(entry) != {"input", "output"}:
            raise ConfigError(f"{where} must have exactly `input` and `output` (USD per 1M tokens)")
        for key in ("input", "output"):
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{where} {key} = {value!r} must be a number ≥ 0")
        prices[model] = Price(float(entry["input"]), float(entry["output"]))
    return prices


def _toml_key(key: str) -> str:
    """A TOML key as written in a table header (quoted where it must be)."""
    return key if key.replace("_", "").replace("-", "").isalnum() else f'"{key}"'


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("leanwb")) / "leanwb.sqlite"


def default_project_dir() -> Path:
    """Where `leanwb setup` writes and builds the Lake project unless told otherwise."""
    return Path(platformdirs.user_data_dir("leanwb")) / "lean_project"


def load_settings(
    *,
    repl_cmd: str | None = None,
    db: str | Path | None = None,
    config: str | Path | None = None,
) -> Settings:
    """Resolve every setting; explicit arguments are the command-line flags (`config`,
    a config file to read instead of $LEANWB_CONFIG's or the user's)."""
    config_file = _config_file(config)
    data = _read_toml(config_file) if config_file else {}
    lean_cfg: dict[str, Any] = dict(data.get("lean", {}))
    origin = f"{config_file} [lean]" if config_file else "defaults"

    project_dir = Path(
        os.environ.get("LEANWB_LEAN_PROJECT")
        or lean_cfg.get("project_dir")
        or default_project_dir()
    )
    if repl_cmd is not None:
        argv = parse_argv(repl_cmd, "--repl-cmd")
    elif os.environ.get("LEANWB_REPL_CMD"):
        argv = parse_argv(os.environ["LEANWB_REPL_CMD"], "LEANWB_REPL_CMD")
    elif "repl_cmd" in lean_cfg:
        argv = parse_argv(str(lean_cfg["repl_cmd"]), f"{origin} repl_cmd")
    else:
        argv = default_repl_cmd(project_dir)

    lean = LeanSettings(repl_cmd=argv, project_dir=project_dir)
    numeric = {
        "pool_size": int,
        "memory_mb": int,
        "request_timeout_s": float,
        "header_timeout_s": float,
        "max_output_bytes": int,
        "max_requests_per_process": int,
    }
    for key, kind in numeric.items():
        if key in lean_cfg:
            try:
                lean = replace(lean, **{key: kind(lean_cfg[key])})
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{origin} {key} = {lean_cfg[key]!r} is not a number") from exc

    db_path = Path(
        db or os.environ.get("LEANWB_DB") or data.get("db", {}).get("path") or default_db_path()
    )
    models = (
        _model_settings(data["models"], str(config_file)) if "models" in data else ModelSettings()
    )
    prices = _prices(data["prices"], str(config_file)) if "prices" in data else {}
    return Settings(
        lean=lean, db_path=db_path, config_file=config_file, models=models, prices=prices
    )
