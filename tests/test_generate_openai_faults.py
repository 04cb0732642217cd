"""The openai: client against a misbehaving server: malformed replies, absurd counts,
hanging and dripping answers, echoed secrets (issue 14, items 1, 2, 3 and 5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer

from prover.errors import GenerationError
from prover.generate.llm import GenerationTimeout, model_deadline
from prover.generate.openai_api import MalformedReplyError, OpenAIModel, normalize_base_url
from prover.redact import redact

FAST: dict[str, Any] = {"backoff_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 5.0}
KEY = "sk-test-secret-7f3a9c"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def model(server: FakeOpenAIServer, **opts: Any) -> OpenAIModel:
    return OpenAIModel("m", server.base_url, **{**FAST, **opts})


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"usage": "lots"}, "`usage` is a string"),
        ({"choices": {"a": 1}}, "`choices` is an object"),
        ({"choices": ["x"]}, "`choices[0]` is a string"),
        ({"choices": [{"message": "hi"}]}, "`choices[0].message` is a string"),
        ({"choices": [{"message": {"content": 3}}]}, "`choices[0].message.content` is a number"),
        ({"choices": [{"index": "0", "message": {}}]}, "`choices[0].index` is a string"),
        ({"usage": {"prompt_tokens": "12"}}, "`usage.prompt_tokens` is a string"),
        ({"usage": {"prompt_tokens": 3, "completion_tokens": 1e308}}, "`usage.completion_tokens`"),
        ({"usage": {"prompt_tokens": 3, "completion_tokens": 10**30}}, "not a plausible"),
        ({"usage": {"prompt_tokens": -1}}, "not a plausible"),
    ],
)
def test_a_malformed_reply_is_a_generator_error_naming_the_field(
    server: FakeOpenAIServer, fields: dict[str, Any], named: str
) -> None:
    server.on(".", "omega", fields=fields)
    lm = model(server)
    with pytest.raises(MalformedReplyError, match="malformed reply") as info:
        lm.complete([{"role": "user", "content": "x"}])
    assert named in str(info.value)
    assert info.value.code == "generator_error"
    assert lm.usage.tokens_out == 0  # nothing of a refused reply is counted


def test_non_finite_logprobs_are_dropped_not_summed(server: FakeOpenAIServer) -> None:
    logprobs = {"content": [{"logprob": 1e999}]}
    bad = [{"index": 0, "message": {"content": "omega"}, "logprobs": logprobs}]
    server.on(".", "omega", fields={"choices": bad})
    [completion] = model(server).complete([{"role": "user", "content": "x"}])
    assert completion.text == "omega" and completion.logprob is None


def test_a_dripping_server_is_cut_off_by_the_request_timeout(server: FakeOpenAIServer) -> None:
    server.on(".", "omega", drip_s=0.05)  # a ~400-byte answer: 20 s at this pace
    lm = model(server, timeout_s=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(GenerationError, match=r"no answer within 0\.5 s"):
        lm.complete([{"role": "user", "content": "x"}])
    assert time.monotonic() - started < 2.0


def test_the_budget_deadline_ends_a_hanging_call_on_time(server: FakeOpenAIServer) -> None:
    server.on(".", "omega", delay_s=30)
    lm = model(server, timeout_s=60, max_retries=5)
    started = time.monotonic()
    with model_deadline(0.6), pytest.raises(GenerationTimeout) as info:
        lm.complete([{"role": "user", "content": "x"}])
    assert 0.5 < time.monotonic() - started < 1.5
    assert info.value.code == "generator_timeout"
    assert len(server.requests) == 1  # nothing was retried past the deadline


def test_a_dripping_server_is_cut_off_by_the_budget_deadline(server: FakeOpenAIServer) -> None:
    server.on(".", "omega", drip_s=0.05)
    lm = model(server, timeout_s=60)
    started = time.monotonic()
    with model_deadline(0.5), pytest.raises(GenerationTimeout):
        lm.complete_batch([[{"role": "user", "content": "x"}]] * 2)  # threads keep the bound
    assert time.monotonic() - started < 1.5


def test_retries_stop_when_the_budget_cannot_cover_the_backoff(server: FakeOpenAIServer) -> None:
    server.fail(503, times=10)
    lm = model(server, max_retries=8, backoff_s=0.4, backoff_cap_s=5.0)
    started = time.monotonic()
    with model_deadline(1.0), pytest.raises(GenerationTimeout, match="last error: HTTP 503"):
        lm.complete("x")
    assert time.monotonic() - started < 1.2
    assert 1 <= len(server.requests) <= 3


def test_an_earlier_enclosing_deadline_holds_over_a_later_one() -> None:
    from prover.generate.llm import current_deadline

    with model_deadline(1.0):
        outer = current_deadline()
        with model_deadline(100.0):
            assert current_deadline() == outer
        with model_deadline(None):
            assert current_deadline() == outer
    assert current_deadline() is None


def test_an_echoed_key_is_masked_in_errors_and_completions(server: FakeOpenAIServer) -> None:
    server.fail(401, error="bad key {key} for this model")
    lm = model(server, api_key=KEY)
    with pytest.raises(GenerationError) as info:
        lm.complete("x")
    assert KEY not in str(info.value) and "bad key *** for" in str(info.value)
    server.on(".", "your key is {key}")
    [completion] = lm.complete("x")
    assert server.requests[-1].headers["Authorization"] == f"Bearer {KEY}"
    assert completion.text == "your key is ***"
    assert redact(f"seen {KEY} twice: {KEY}") == "seen *** twice: ***"


def test_a_base_url_with_userinfo_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="--api-key") as info:
        normalize_base_url(f"http://user:{KEY}@127.0.0.1:8000/v1")
    assert KEY not in str(info.value) and "http://***@127.0.0.1" in str(info.value)
    assert redact(f"GET https://u:{KEY}@h/v1 failed") == "GET https://***@h/v1 failed"


def test_probe_sends_one_request_and_checks_the_shape(server: FakeOpenAIServer) -> None:
    server.on(".", "OK")
    model(server).probe()
    assert len(server.requests) == 1 and server.requests[0].body["max_tokens"] == 1
    server.fail(503, times=3)
    with pytest.raises(GenerationError, match="HTTP 503"):
        model(server).probe()
    assert len(server.requests) == 2  # a probe is not retried


def test_the_environment_proxy_carries_requests_unless_bypassed(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.on("Prove", "by simp")
    proxy = server.base_url.removesuffix("/v1")  # the fake answers as a proxy would
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "")
    remote = OpenAIModel("m", "http://api.example.invalid/v1", **FAST)
    assert [c.text for c in remote.complete("Prove this")] == ["by simp"]
    assert server.requests[-1].target == "http://api.example.invalid/v1/completions"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert [c.text for c in model(server).complete("Prove this")] == ["by simp"]
    assert server.requests[-1].target == "/v1/completions"  # straight to the server
