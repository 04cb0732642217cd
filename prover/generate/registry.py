"""Build generators and language models from a spec string.

Specs:

    heuristic                 the model-free generator (the default)
    hf:<model id or path>     a transformers model, run locally (CPU or GPU)
    openai:<model>            a model behind an OpenAI-compatible server; needs a base URL
                              (argument, else $OPENAI_BASE_URL); API key from the argument,
                              else $LEANWB_API_KEY, else $OPENAI_API_KEY, else none

Options (keyword arguments; `None` means "not given"):

    all models            prompt_format (reprover | internlm-stepprover | bfs-prover | ntp |
                          chat; detected from the model otherwise), temperature, max_tokens
    hf:                   device (auto | cpu | cuda[:k]), dtype (auto | float32 | float16 |
                          bfloat16), top_p, seed, max_input_tokens, batch_size,
                          trust_remote_code (needed by InternLM's custom code)
    openai:               timeout_s, max_retries, backoff_s, backoff_cap_s, logprobs, seed,
                          max_concurrency (requests in flight for a batch of prompts)

Any mistake (unknown scheme or option, no base URL, a model that will not load) raises
`ValueError` with one sentence saying what to do; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

from prover.config import api_key as resolve_api_key
from prover.generate.heuristic import HeuristicGenerator
from prover.generate.llm import LanguageModel
from prover.generate.model_generator import DEFAULT_MAX_TOKENS, ModelGenerator
from prover.generate.prompts import ChatFormat, detect_format, make_format
from prover.protocols import Generator

SPEC_HELP = "heuristic, hf:<model id or path>, or openai:<model>"
DEFAULT_OPENAI_TEMPERATURE = 0.7  # samples must differ for n > 1 to be worth asking for
CHAT_MAX_TOKENS = 256  # room for a short preamble before the tactic

_GENERATOR_OPTIONS = frozenset({"prompt_format", "temperature", "max_tokens"})
_LOADED_HF: weakref.WeakValueDictionary[tuple[Any, ...], Any] = weakref.WeakValueDictionary()
_HF_OPTIONS = frozenset(
    {"device", "dtype", "top_p", "seed", "max_input_tokens", "batch_size", "trust_remote_code"}
)
_OPENAI_OPTIONS = frozenset(
    {
        "timeout_s",
        "max_retries",
        "backoff_s",
        "backoff_cap_s",
        "logprobs",
        "seed",
        "max_concurrency",
    }
)


def parse_spec(spec: str) -> tuple[str, str]:
    """("heuristic", "") or (scheme, model) for `hf:` and `openai:` specs."""
    text = spec.strip()
    if text == "heuristic":
        return "heuristic", ""
    scheme, sep, model = text.partition(":")
    if sep and scheme in ("hf", "openai"):
        if not model.strip():
            raise ValueError(f"generator spec {spec!r} names no model; write {scheme}:<model>")
        return scheme, model.strip()
    raise ValueError(f"unknown generator {spec!r}; use {SPEC_HELP}")


def make_generator(
    spec: str, *, base_url: str | None = None, api_key: str | None = None, **opts: Any
) -> Generator:
    scheme, model = parse_spec(spec)
    given = {k: v for k, v in opts.items() if v is not None}
    if scheme == "heuristic":
        _check_options(spec, given, frozenset())
        return HeuristicGenerator()
    backend_options = _HF_OPTIONS if scheme == "hf" else _OPENAI_OPTIONS
    _check_options(spec, given, _GENERATOR_OPTIONS | backend_options)
    generator_opts = {k: given.pop(k) for k in _GENERATOR_OPTIONS & given.keys()}
    lm = make_language_model(spec, base_url=base_url, api_key=api_key, **given)
    chat = scheme == "openai"
    if "prompt_format" in generator_opts:
        prompt_format = make_format(str(generator_opts["prompt_format"]))
    else:
        prompt_format = detect_format(model, seq2seq=getattr(lm, "seq2seq", False), chat=chat)
    default_temperature = DEFAULT_OPENAI_TEMPERATURE if chat else 0.0
    default_max_tokens = CHAT_MAX_TOKENS if isinstance(prompt_format, ChatFormat) else None
    return ModelGenerator(
        lm.name,
        lm,
        prompt_format,
        temperature=float(generator_opts.get("temperature", default_temperature)),
        max_tokens=int(generator_opts.get("max_tokens", default_max_tokens or DEFAULT_MAX_TOKENS)),
    )


def make_language_model(
    spec: str, *, base_url: str | None = None, api_key: str | None = None, **opts: Any
) -> LanguageModel:
    """A text-completion backend for drafting, sketching and repair prompts."""
    scheme, model = parse_spec(spec)
    given = {k: v for k, v in opts.items() if v is not None}
    if scheme == "heuristic":
        raise ValueError("'heuristic' is not a language model; use hf:<model> or openai:<model>")
    if scheme == "hf":
        _check_options(spec, given, _HF_OPTIONS)
        if _looks_like_path(model) and not Path(model).expanduser().exists():
            raise ValueError(f"cannot load Hugging Face model {model!r}: no such directory")
        from prover.generate.hf import HFModel  # torch and transformers load only when asked

        model_id = str(Path(model).expanduser()) if _looks_like_path(model) else model
        # One copy of the weights per process: a session's tactic generator and the
        # `sample` strategy's writer of whole proofs are often the same model, made with
        # the same options (an absent seed is HFModel's default, 0).
        settings = {"seed": 0, **given}
        key = (model_id, tuple(sorted((k, repr(v)) for k, v in settings.items())))
        loaded = _LOADED_HF.get(key)
        if loaded is None:
            loaded = HFModel(model_id, **given)
            _LOADED_HF[key] = loaded
        return loaded
    _check_options(spec, given, _OPENAI_OPTIONS)
    url = base_url or os.environ.get("OPENAI_BASE_URL")
    if not url:
        raise ValueError(
            f"{spec} needs a server: pass --base-url (e.g. http://localhost:8000/v1) "
            "or set OPENAI_BASE_URL"
        )
    from prover.generate.openai_api import OpenAIModel

    key = resolve_api_key(api_key)
    return OpenAIModel(model, url, api_key=key, **given)


def _check_options(spec: str, given: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(given.keys() - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise ValueError(
            f"{spec} does not take option(s) {', '.join(unknown)}; it takes {accepted}"
        )


def _looks_like_path(model: str) -> bool:
    return model.startswith(("/", "./", "../", "~")) or Path(model).exists()
