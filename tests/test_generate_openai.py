"""The openai: backend and generator against the scripted local server."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fake_openai_server import Choice, FakeOpenAIServer, Reply

from prover.errors import GenerationError
from prover.generate.model_generator import ModelGenerator
from prover.generate.openai_api import OpenAIModel
from prover.generate.registry import make_generator, make_language_model
from prover.types import Premise, prompt_hash

STATE = "x : ℕ\nh : x = 3\n⊢ x + 2 = 5"
FAST: dict[str, Any] = {"backoff_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 5.0}


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def generator(server: FakeOpenAIServer, **opts: Any) -> ModelGenerator:
    made = make_generator("openai:fake-model", base_url=server.base_url, **{**FAST, **opts})
    assert isinstance(made, ModelGenerator)
    return made


def test_scripted_tactics_ranked_by_logprob(server: FakeOpenAIServer) -> None:
    server.on(
        r"x \+ 2 = 5",
        Choice("omega", -0.4),
        Choice("simp", -1.5),
        Choice("omega", -0.2),
        Choice("subst h", -0.9),
    )
    premise = Premise("Nat.add_comm", "∀ (n m : ℕ), n + m = m + n", score=0.5)
    candidates = generator(server).suggest(STATE, [premise], 4)
    assert [(c.text, round(c.score, 6)) for c in candidates] == [
        ("omega", -0.2),
        ("subst h", -0.9),
        ("simp", -1.5),
    ]
    provenance = candidates[0].provenance
    settings = dict(provenance.settings)
    assert provenance.generator == "openai:fake-model" and provenance.model == "fake-model"
    assert settings["score"] == "logprob" and settings["format"] == "chat"
    assert settings["n"] == 4 and settings["base_url"] == server.base_url
    assert provenance.premises == (premise,)
    body = server.requests[0].body
    assert (body["model"], body["n"], body["logprobs"]) == ("fake-model", 4, True)
    assert server.requests[0].path == "/v1/chat/completions"
    assert "Nat.add_comm" in body["messages"][1]["content"]
    assert provenance.prompt_hash is not None and len(provenance.prompt_hash) == 16


def test_without_logprobs_scores_are_sample_frequencies(server: FakeOpenAIServer) -> None:
    server.on(".", "omega", "simp", "omega", "linarith", logprobs=False)
    candidates = generator(server).suggest(STATE, [], 4)
    scores = {c.text: c.score for c in candidates}
    assert candidates[0].text == "omega"
    assert scores == pytest.approx(
        {"omega": math.log(0.5), "simp": math.log(0.25), "linarith": math.log(0.25)}
    )
    assert dict(candidates[0].provenance.settings)["score"] == "frequency"


def test_a_server_that_ignores_n_is_asked_again(server: FakeOpenAIServer) -> None:
    server.on(".", "omega", "simp", "ring", honour_n=False)
    made = generator(server)
    candidates = made.suggest(STATE, [], 3)
    assert sorted(c.text for c in candidates) == ["omega", "ring", "simp"]
    assert [r.body["n"] for r in server.requests] == [3, 2, 1]
    assert made.usage.calls == 3


def test_retry_after_server_errors_then_success(server: FakeOpenAIServer) -> None:
    server.fail(500)
    server.fail(429, retry_after=30)  # the cap (0.05 s) wins over the server's 30 s
    server.on(".", "omega")
    candidates = generator(server, max_retries=2).suggest(STATE, [], 1)
    assert [c.text for c in candidates] == ["omega"]
    assert len(server.requests) == 3


def test_out_of_retries_is_one_clear_error(server: FakeOpenAIServer) -> None:
    server.fail(503, times=3)
    made = generator(server, max_retries=2, api_key="sk-secret-123")
    with pytest.raises(GenerationError, match=r"failed 3 time\(s\); last error: HTTP 503") as info:
        made.suggest(STATE, [], 1)
    assert "sk-secret-123" not in str(info.value)
    assert len(server.requests) == 3


def test_client_errors_are_not_retried(server: FakeOpenAIServer) -> None:
    server.fail(401, error="invalid api key")
    with pytest.raises(GenerationError, match="HTTP 401: invalid api key"):
        generator(server, max_retries=3).suggest(STATE, [], 1)
    assert len(server.requests) == 1


def test_slow_server_times_out(server: FakeOpenAIServer) -> None:
    server.enqueue(Reply(texts=("omega",), delay_s=1.0), Reply(texts=("omega",), delay_s=1.0))
    made = generator(server, timeout_s=0.2, max_retries=1)
    with pytest.raises(GenerationError, match=r"no answer within 0\.2 s"):
        made.suggest(STATE, [], 1)


def test_unreachable_server() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lm = OpenAIModel("m", f"http://127.0.0.1:{port}/v1", max_retries=1, backoff_s=0.01)
    with pytest.raises(GenerationError, match="cannot connect"):
        lm.complete("hello")


def test_token_accounting_matches_the_server(server: FakeOpenAIServer) -> None:
    server.on(".", "omega", "norm_num [h] at *", "simp")
    made = generator(server)
    made.suggest(STATE, [], 3)
    made.suggest(STATE, [], 2)
    assert made.usage.calls == 2
    assert made.usage.tokens_in == server.usage_reported["prompt_tokens"] > 0
    assert made.usage.tokens_out == server.usage_reported["completion_tokens"] > 0


def test_completions_split_tokens_exactly_or_say_they_are_estimates(
    server: FakeOpenAIServer,
) -> None:
    server.enqueue(Reply(texts=("exact h", "simp")), Reply(texts=("exact h",), usage=False))
    lm = make_language_model("openai:m", base_url=server.base_url, **FAST)
    reported = lm.complete([{"role": "user", "content": "a b c"}], n=2)
    assert [c.tokens_in for c in reported] == [3, 0]
    assert [c.tokens_out for c in reported] == [2, 1]
    assert sum(c.tokens_out for c in reported) == lm.usage.tokens_out
    assert not any(c.tokens_estimated for c in reported)
    assert isinstance(lm, OpenAIModel) and not lm.tokens_estimated
    [guessed] = lm.complete([{"role": "user", "content": "a b c"}], n=1)
    assert guessed.tokens_estimated and guessed.tokens_in > 0 and guessed.tokens_out > 0
    assert lm.usage.tokens_in == 3 + guessed.tokens_in
    assert lm.tokens_estimated


def test_server_that_refuses_logprobs_is_asked_without(server: FakeOpenAIServer) -> None:
    server.on(".", "omega", reject_logprobs=True)
    made = generator(server)
    assert [c.text for c in made.suggest(STATE, [], 1)] == ["omega"]
    made.suggest(STATE, [], 1)
    assert ["logprobs" in r.body for r in server.requests] == [True, False, False]


def test_completion_formats_use_the_completions_endpoint(server: FakeOpenAIServer) -> None:
    server.on(r":::$", Choice("nlinarith [sq_nonneg x]", -0.3))
    made = generator(server, prompt_format="bfs-prover", temperature=1.1)
    [candidate] = made.suggest(STATE, [], 1)
    assert candidate.text == "nlinarith [sq_nonneg x]"
    request = server.requests[0]
    assert request.path == "/v1/completions"
    assert request.body["prompt"] == f"{STATE}:::"
    assert (request.body["logprobs"], request.body["temperature"]) == (1, 1.1)
    assert candidate.provenance.prompt_hash == prompt_hash(f"{STATE}:::")


def test_reasoning_fences_and_sorry_are_cleaned(server: FakeOpenAIServer) -> None:
    server.on(
        ".",
        "<think>omega? or simp</think>\n```lean\nomega\n```",
        "sorry",
        "<think>unfinished",
        "Tactic: `linarith`",
        logprobs=False,
    )
    candidates = generator(server).suggest(STATE, [], 4)
    assert sorted(c.text for c in candidates) == ["linarith", "omega"]


def test_api_key_goes_only_into_the_header(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.on(".", "omega")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    lm = make_language_model("openai:m", base_url=server.base_url)
    lm.complete("hello")
    assert server.requests[0].headers["Authorization"] == "Bearer sk-from-env"
    assert "sk-from-env" not in repr(lm) and "sk-from-env" not in str(lm.settings)
    monkeypatch.delenv("OPENAI_API_KEY")
    make_language_model("openai:m", base_url=server.base_url).complete("hello")
    assert "Authorization" not in server.requests[1].headers


def test_language_model_passes_stop_and_sampling_options(server: FakeOpenAIServer) -> None:
    server.on("draft", "Step 1. ...", "Step 1'. ...")
    lm = make_language_model("openai:m", base_url=server.base_url, seed=7)
    completions = lm.complete(
        [{"role": "user", "content": "draft a proof"}],
        n=2,
        max_tokens=64,
        temperature=0.5,
        stop=["\n\n"],
    )
    assert [c.text for c in completions] == ["Step 1. ...", "Step 1'. ..."]
    assert all(c.logprob is not None and c.finish_reason == "stop" for c in completions)
    body = server.requests[0].body
    assert (body["max_tokens"], body["temperature"], body["stop"], body["seed"]) == (
        64,
        0.5,
        ["\n\n"],
        7,
    )


def test_batch_completion_runs_concurrently_in_prompt_order(server: FakeOpenAIServer) -> None:
    server.on("first", "A", delay_s=0.3)
    server.on("second", "B", delay_s=0.3)
    server.on("third", "C")
    lm = make_language_model("openai:m", base_url=server.base_url, max_concurrency=3)
    replies = lm.complete_batch(["the second", "the first", "the third"], n=1)
    assert [[c.text for c in r] for r in replies] == [["B"], ["A"], ["C"]]
    assert lm.usage.calls == 3
    assert lm.usage.tokens_in == server.usage_reported["prompt_tokens"] == 6
    assert server.max_in_flight >= 2


def test_unscripted_prompt_is_a_client_error(server: FakeOpenAIServer) -> None:
    lm = make_language_model("openai:m", base_url=server.base_url, logprobs=False)
    with pytest.raises(GenerationError, match="no scripted reply"):
        lm.complete("anything")
