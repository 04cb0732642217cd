"""Generator specs: what each builds, and one clear ValueError for every mistake."""

from __future__ import annotations

import pytest

from prover.generate.heuristic import HeuristicGenerator
from prover.generate.model_generator import ModelGenerator
from prover.generate.openai_api import OpenAIModel, normalize_base_url
from prover.generate.registry import make_generator, make_language_model, parse_spec


def test_specs_parse() -> None:
    assert parse_spec(" heuristic ") == ("heuristic", "")
    assert parse_spec("hf:kaiyuy/leandojo-lean4-tacgen-byt5-small") == (
        "hf",
        "kaiyuy/leandojo-lean4-tacgen-byt5-small",
    )
    assert parse_spec("openai:qwen3:8b") == ("openai", "qwen3:8b")  # Ollama tags keep their colon


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt4", r"unknown generator 'gpt4'; use heuristic, hf:<model id or path>, or openai:"),
        ("vllm:foo", "unknown generator 'vllm:foo'"),
        ("hf:", "names no model; write hf:<model>"),
        ("openai: ", "names no model"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_generator(spec)


def test_heuristic_is_the_model_free_generator() -> None:
    assert isinstance(make_generator("heuristic"), HeuristicGenerator)
    assert isinstance(make_generator("heuristic", temperature=None), HeuristicGenerator)
    with pytest.raises(ValueError, match="heuristic does not take option"):
        make_generator("heuristic", temperature=0.5)
    with pytest.raises(ValueError, match="'heuristic' is not a language model"):
        make_language_model("heuristic")


def test_openai_needs_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match=r"openai:m needs a server: pass --base-url"):
        make_generator("openai:m")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434")
    lm = make_language_model("openai:m")
    assert isinstance(lm, OpenAIModel) and lm.base_url == "http://localhost:11434/v1"


def test_openai_generator_defaults_and_overrides() -> None:
    chat = make_generator("openai:qwen3:8b", base_url="http://127.0.0.1:1/v1")
    assert isinstance(chat, ModelGenerator)
    assert (chat.prompt_format.name, chat.temperature, chat.max_tokens) == ("chat", 0.7, 256)
    bfs = make_generator(
        "openai:ByteDance-Seed/BFS-Prover-V2-7B", base_url="http://127.0.0.1:1/v1", max_tokens=64
    )
    assert isinstance(bfs, ModelGenerator)
    assert (bfs.prompt_format.name, bfs.max_tokens) == ("bfs-prover", 64)
    forced = make_generator("openai:m", base_url="http://127.0.0.1:1/v1", prompt_format="ntp")
    assert isinstance(forced, ModelGenerator) and forced.prompt_format.name == "ntp"
    with pytest.raises(ValueError, match="unknown prompt format"):
        make_generator("openai:m", base_url="http://127.0.0.1:1/v1", prompt_format="alpaca")
    with pytest.raises(ValueError, match=r"does not take option\(s\) device"):
        make_generator("openai:m", base_url="http://127.0.0.1:1/v1", device="cuda")


def test_base_urls() -> None:
    assert normalize_base_url("http://host:8000/") == "http://host:8000/v1"
    assert normalize_base_url("https://openrouter.ai/api/v1") == "https://openrouter.ai/api/v1"
    with pytest.raises(ValueError, match="is not an http"):
        normalize_base_url("localhost:8000")
