"""A `LanguageModel` on any OpenAI-compatible HTTP server (vLLM, Ollama, llama.cpp, …).

Chat prompts go to `/chat/completions`, plain-text prompts to `/completions`. `n`
samples are asked for in one request; a server that returns fewer (Ollama ignores `n`)
is asked again for the rest. Log-probabilities are requested and summed per sample;
a server that rejects the request with HTTP 400 is asked once more without them, and
not again. 429, 5xx, connection failures and timeouts are retried with exponential
backoff (doubling from `backoff_s`, capped at `backoff_cap_s`, honouring a `Retry-After`
within the cap) up to `max_retries` times; `timeout_s` bounds every socket operation
of a request. The API key goes only into the Authorization header: it is never part of
an error message, `repr` or provenance.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from prover.errors import GenerationError
from prover.generate.llm import Completion, Prompt, estimate_tokens, prompt_text
from prover.types import Usage

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
ERROR_EXCERPT_CHARS = 200


class HTTPStatusError(GenerationError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class _Transient(Exception):
    """A failure worth retrying, with the server's Retry-After (seconds) if it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def normalize_base_url(base_url: str) -> str:
    """`http://host:8000` → `http://host:8000/v1`; a URL with a path is kept as given."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL {base_url!r} is not an http(s) URL such as http://host:8000/v1")
    return url if parts.path else f"{url}/v1"


class OpenAIModel:
    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        backoff_s: float = 0.5,
        backoff_cap_s: float = 8.0,
        logprobs: bool = True,
        seed: int | None = None,
        max_concurrency: int = 4,
        name: str | None = None,
    ) -> None:
        self.model = model
        self.name = name or f"openai:{model}"
        self.base_url = normalize_base_url(base_url)
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.seed = seed
        self.max_concurrency = max(1, max_concurrency)
        self.usage = Usage()
        self._usage_lock = threading.Lock()
        self.tokens_estimated = False  # set once any count in `usage` had to be guessed
        self._api_key = api_key
        self._logprobs = logprobs
        settings: dict[str, Any] = {"base_url": self.base_url}
        if seed is not None:
            settings["seed"] = seed
        self.settings = tuple(sorted(settings.items()))

    def __repr__(self) -> str:
        return f"OpenAIModel(model={self.model!r}, base_url={self.base_url!r})"

    def complete(
        self,
        prompt: Prompt,
        *,
        n: int = 1,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> list[Completion]:
        chat = not isinstance(prompt, str)
        path = "/chat/completions" if chat else "/completions"
        completions: list[Completion] = []
        requests = 0
        while len(completions) < n and requests < n:
            want = n - len(completions)
            body = self._body(prompt, want, max_tokens, temperature, stop)
            reply = self._post_with_logprob_fallback(path, body)
            requests += 1
            got = self._completions(reply, prompt, chat)
            if not got:
                raise GenerationError(f"{self.base_url}{path} returned no choices")
            completions.extend(got[:want])
        return completions

    def complete_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        n: int = 1,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> list[list[Completion]]:
        """One request stream per prompt, up to `max_concurrency` at a time, in order."""

        def one(prompt: Prompt) -> list[Completion]:
            return self.complete(
                prompt, n=n, max_tokens=max_tokens, temperature=temperature, stop=stop
            )

        if len(prompts) <= 1 or self.max_concurrency == 1:
            return [one(p) for p in prompts]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(prompts))) as pool:
            return list(pool.map(one, prompts))

    def _body(
        self, prompt: Prompt, n: int, max_tokens: int, temperature: float, stop: Sequence[str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "n": n,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if isinstance(prompt, str):
            body["prompt"] = prompt
        else:
            body["messages"] = [dict(m) for m in prompt]
        if stop:
            body["stop"] = list(stop)
        if self.seed is not None:
            body["seed"] = self.seed
        if self._logprobs:
            body["logprobs"] = 1 if isinstance(prompt, str) else True
        return body

    def _post_with_logprob_fallback(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._post(path, body)
        except HTTPStatusError as exc:
            if exc.status != 400 or "logprobs" not in body:
                raise
        self._logprobs = False  # this server refuses log-probabilities: stop asking
        return self._post(path, {k: v for k, v in body.items() if k != "logprobs"})

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            try:
                return self._post_once(url, body)
            except _Transient as exc:
                last = str(exc)
                if attempt == self.max_retries:
                    break
                time.sleep(self._backoff(attempt, exc.retry_after))
        attempts = self.max_retries + 1
        raise GenerationError(f"{url} failed {attempts} time(s); last error: {last}")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self.backoff_s * 2**attempt
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.backoff_cap_s)

    def _post_once(self, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        data = json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _excerpt(exc.read())
            if exc.code in RETRYABLE_STATUS:
                raise _Transient(f"HTTP {exc.code}: {detail}", _retry_after(exc.headers)) from None
            raise HTTPStatusError(f"{url} answered HTTP {exc.code}: {detail}", exc.code) from None
        except TimeoutError:
            raise _Transient(f"no answer within {self.timeout_s:g} s") from None
        except urllib.error.URLError as exc:
            raise _Transient(f"cannot connect ({exc.reason})") from None
        except OSError as exc:  # reset or dropped connections
            raise _Transient(f"connection failed ({exc})") from None
        try:
            reply = json.loads(raw)
        except ValueError:
            raise GenerationError(f"{url} answered with something that is not JSON") from None
        if not isinstance(reply, dict):
            raise GenerationError(f"{url} answered with JSON that is not an object")
        return reply

    def _completions(
        self, reply: Mapping[str, Any], prompt: Prompt, chat: bool
    ) -> list[Completion]:
        choices = sorted(reply.get("choices") or [], key=lambda c: c.get("index", 0))
        texts = [_choice_text(c, chat) for c in choices]
        token_logprobs = [_choice_logprobs(c, chat) for c in choices]
        usage = reply.get("usage") or {}
        estimated = not isinstance(usage.get("prompt_tokens"), int)
        if estimated:
            self.tokens_estimated = True
            tokens_in = estimate_tokens(prompt_text(prompt))
            per_choice = [estimate_tokens(t) for t in texts]
        else:
            tokens_in = usage["prompt_tokens"]
            per_choice = _split_tokens(int(usage.get("completion_tokens") or 0), token_logprobs)
        with self._usage_lock:
            self.usage.calls += 1
            self.usage.tokens_in += tokens_in
            self.usage.tokens_out += sum(per_choice)
        return [
            Completion(
                text=text,
                logprob=sum(lps) if lps is not None else None,
                tokens_in=tokens_in if i == 0 else 0,
                tokens_out=per_choice[i],
                tokens_estimated=estimated,
                finish_reason=choices[i].get("finish_reason"),
            )
            for i, (text, lps) in enumerate(zip(texts, token_logprobs, strict=True))
        ]


def _choice_text(choice: Mapping[str, Any], chat: bool) -> str:
    if chat:
        return str((choice.get("message") or {}).get("content") or "")
    return str(choice.get("text") or "")


def _choice_logprobs(choice: Mapping[str, Any], chat: bool) -> list[float] | None:
    """The sampled tokens' log-probabilities, or None when the server gave none."""
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, Mapping):
        return None
    if chat:
        content = logprobs.get("content")
        if not isinstance(content, list):
            return None
        values = [t.get("logprob") for t in content if isinstance(t, Mapping)]
    else:
        token_logprobs = logprobs.get("token_logprobs")
        if not isinstance(token_logprobs, list):
            return None
        values = token_logprobs
    return [float(v) for v in values if isinstance(v, int | float)]


def _split_tokens(total: int, token_logprobs: list[list[float] | None]) -> list[int]:
    """Share a reply's completion tokens among its choices (exact when logprobs say how)."""
    lengths = [len(lps) for lps in token_logprobs if lps is not None]
    if lengths and len(lengths) == len(token_logprobs) and sum(lengths) == total:
        return lengths
    k = len(token_logprobs)
    if k == 0:
        return []
    base, extra = divmod(total, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _excerpt(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
        message = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message", message)
        text = str(message)
    except ValueError:
        pass
    text = " ".join(text.split())
    return text[:ERROR_EXCERPT_CHARS] or "(empty body)"
