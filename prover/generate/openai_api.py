"""A `LanguageModel` on any OpenAI-compatible HTTP server (vLLM, Ollama, llama.cpp, …).

Chat prompts go to `/chat/completions`, plain-text prompts to `/completions`. `n`
samples are asked for in one request; a server that returns fewer (Ollama ignores `n`)
is asked again for the rest. Log-probabilities are requested and summed per sample;
a server that rejects the request with HTTP 400 is asked once more without them, and
not again. 429, 5xx, connection failures and timeouts are retried with exponential
backoff (doubling from `backoff_s`, capped at `backoff_cap_s`, honouring a `Retry-After`
within the cap) up to `max_retries` times.

Time: `timeout_s` bounds each request as a whole (connecting, waiting, and reading a
reply however slowly it drips in), and a deadline set with
`prover.generate.llm.model_deadline` (an attempt's remaining wall time) bounds the
call with its retries: a request is cut off there, no retry or backoff starts that
cannot end before it, and the call raises `GenerationTimeout`.

Replies are checked against the shape the client reads (`choices` a list of objects
with text, `usage` an object of plausible token counts); anything else is a
`GenerationError` naming the field, never a crash. The API key goes only into the
Authorization header and is registered with `prover.redact`, so a server echoing it
back cannot put it in an error, a completion, the database or a page; a base URL with
user-info (`http://user:key@host`) is refused. The standard proxy variables are honoured
(`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`, as `urllib` reads them): an `https` server is
reached through a `CONNECT` tunnel, an `http` one by sending the proxy the whole URL. An
`https` server's certificate is checked against the system's authorities (or
`SSL_CERT_FILE`'s); one that is not accepted is an error at once, never retried.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import SplitResult, urlsplit
from urllib.request import getproxies, proxy_bypass

from prover.errors import GenerationError
from prover.generate.llm import (
    Completion,
    GenerationTimeout,
    Prompt,
    current_deadline,
    estimate_tokens,
    prompt_text,
)
from prover.redact import has_userinfo, redact, register_secret
from prover.types import Usage

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
ERROR_EXCERPT_CHARS = 200
MAX_REPLY_BYTES = 64 << 20
READ_CHUNK = 1 << 16
# More tokens than any model writes or reads in one request: a count above is not a count.
MAX_TOKEN_COUNT = 100_000_000


class HTTPStatusError(GenerationError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class MalformedReplyError(GenerationError):
    """The server answered with a body that does not have the shape of a completion."""


class _Transient(Exception):
    """A failure worth retrying, with the server's Retry-After (seconds) if it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _DeadlineReached(Exception):
    """The call's deadline cut a request off."""


def normalize_base_url(base_url: str) -> str:
    """`http://host:8000` → `http://host:8000/v1`; a URL with a path is kept as given."""
    url = base_url.strip().rstrip("/")
    if has_userinfo(url):
        raise ValueError(
            f"base URL {redact(url)!r} carries a user name or key; give the URL without it "
            "and the key with --api-key (or $OPENAI_API_KEY; $LEANWB_API_KEY for eval)"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base URL {redact(base_url)!r} is not an http(s) URL such as http://host:8000/v1"
        )
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
        register_secret(api_key)
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
        return self._complete(prompt, n, max_tokens, temperature, stop, current_deadline())

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
        deadline = current_deadline()  # the pool's threads do not share this context

        def one(prompt: Prompt) -> list[Completion]:
            return self._complete(prompt, n, max_tokens, temperature, stop, deadline)

        if len(prompts) <= 1 or self.max_concurrency == 1:
            return [one(p) for p in prompts]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(prompts))) as pool:
            return list(pool.map(one, prompts))

    def probe(self, timeout_s: float = 30.0) -> None:
        """One tiny completion request, answered in the shape of a completion; raises
        `GenerationError` saying what is wrong otherwise (not retried)."""
        prompt = [{"role": "user", "content": "Reply with OK."}]
        body = {"model": self.model, "n": 1, "max_tokens": 1, "temperature": 0.0}
        body["messages"] = prompt
        reply = self._post("/chat/completions", body, time.monotonic() + timeout_s, retries=0)
        self._completions(reply, prompt, chat=True, url=f"{self.base_url}/chat/completions")

    def _complete(
        self,
        prompt: Prompt,
        n: int,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
        deadline: float | None,
    ) -> list[Completion]:
        chat = not isinstance(prompt, str)
        path = "/chat/completions" if chat else "/completions"
        completions: list[Completion] = []
        requests = 0
        while len(completions) < n and requests < n:
            want = n - len(completions)
            body = self._body(prompt, want, max_tokens, temperature, stop)
            reply = self._post_with_logprob_fallback(path, body, deadline)
            requests += 1
            got = self._completions(reply, prompt, chat, f"{self.base_url}{path}")
            if not got:
                raise GenerationError(f"{self.base_url}{path} returned no choices")
            completions.extend(got[:want])
        return completions

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

    def _post_with_logprob_fallback(
        self, path: str, body: dict[str, Any], deadline: float | None
    ) -> dict[str, Any]:
        try:
            return self._post(path, body, deadline)
        except HTTPStatusError as exc:
            if exc.status != 400 or "logprobs" not in body:
                raise
        self._logprobs = False  # this server refuses log-probabilities: stop asking
        return self._post(path, {k: v for k, v in body.items() if k != "logprobs"}, deadline)

    def _post(
        self,
        path: str,
        body: Mapping[str, Any],
        deadline: float | None,
        retries: int | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        retries = self.max_retries if retries is None else retries
        last = "no attempt made"
        attempts = 0
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise GenerationTimeout(self._timeout_message(url, attempts, last))
            attempts += 1
            try:
                return self._post_once(url, body, left)
            except _DeadlineReached:
                raise GenerationTimeout(self._timeout_message(url, attempts, None)) from None
            except _Transient as exc:
                last = str(exc)
                if attempts > retries:
                    break
                pause = self._backoff(attempts - 1, exc.retry_after)
                if deadline is not None and time.monotonic() + pause >= deadline:
                    raise GenerationTimeout(self._timeout_message(url, attempts, last)) from None
                time.sleep(pause)
        raise GenerationError(f"{url} failed {attempts} time(s); last error: {last}")

    @staticmethod
    def _timeout_message(url: str, attempts: int, last: str | None) -> str:
        text = f"the attempt's time ran out waiting for {url}"
        if attempts:
            text += f" ({attempts} request(s)"
            text += f"; last error: {last})" if last else ")"
        return text

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self.backoff_s * 2**attempt
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.backoff_cap_s)

    def _post_once(self, url: str, body: Mapping[str, Any], left: float | None) -> dict[str, Any]:
        """One request, ended after `timeout_s` or `left` seconds, whichever comes first."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        data = json.dumps(body, ensure_ascii=False).encode()
        limit = self.timeout_s if left is None else min(self.timeout_s, left)
        by_deadline = left is not None and left < self.timeout_s
        parts = urlsplit(url)
        connection, target = _connection(parts, limit)
        # Socket timeouts bound each read, not a reply that drips in: cut it off as a whole.
        watchdog = _Watchdog(limit)
        raw: bytes | None = None
        try:
            connection.connect()
            watchdog.attach(connection.sock)
            connection.request("POST", target, body=data, headers=headers)
            response = connection.getresponse()
            raw = _read_capped(response)
            status, reply_headers = response.status, response.headers
        except ssl.SSLCertVerificationError as exc:  # not transient: no retry
            raise GenerationError(
                f"{url}: the server's TLS certificate was not accepted ({exc.verify_message}); "
                "if your own authority signed it, point SSL_CERT_FILE at that authority's "
                "certificate"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            if not (watchdog.fired or isinstance(exc, TimeoutError)):
                what = "cannot connect" if _refused(exc) else "connection failed"
                raise _Transient(f"{what} ({redact(str(exc))})") from None
        finally:
            watchdog.cancel()
            connection.close()
        if watchdog.fired or raw is None:  # cut off, or a socket timeout
            if by_deadline:
                raise _DeadlineReached
            raise _Transient(f"no answer within {self.timeout_s:g} s")
        if status >= 400:
            detail = _excerpt(raw)
            if status in RETRYABLE_STATUS:
                raise _Transient(f"HTTP {status}: {detail}", _retry_after(reply_headers))
            raise HTTPStatusError(f"{url} answered HTTP {status}: {detail}", status)
        try:
            reply = json.loads(raw)
        except ValueError:
            raise MalformedReplyError(f"{url} answered with something that is not JSON") from None
        if not isinstance(reply, dict):
            raise MalformedReplyError(f"{url} answered with JSON that is not an object")
        return reply

    def _completions(
        self, reply: Mapping[str, Any], prompt: Prompt, chat: bool, url: str
    ) -> list[Completion]:
        choices = _checked_choices(reply, chat, url)
        texts = [redact(_choice_text(c, chat)) for c in choices]
        token_logprobs = [_choice_logprobs(c, chat) for c in choices]
        counts = _checked_usage(reply, url)
        estimated = counts is None
        if counts is None:
            self.tokens_estimated = True
            tokens_in = estimate_tokens(prompt_text(prompt))
            per_choice = [estimate_tokens(t) for t in texts]
        else:
            tokens_in, tokens_out = counts
            per_choice = _split_tokens(tokens_out, token_logprobs)
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
                finish_reason=_finish_reason(choices[i]),
            )
            for i, (text, lps) in enumerate(zip(texts, token_logprobs, strict=True))
        ]


class _Watchdog:
    """Shuts a socket down after `seconds`, waking any read blocked on it."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed
                self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _refused(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionRefusedError | socket.gaierror)


def _connection(parts: SplitResult, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection for `parts` (through the environment's proxy unless it is bypassed for
    the host) and the request-target to send on it."""
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    proxy_url = getproxies().get(parts.scheme)
    if not proxy_url or proxy_bypass(host):
        direct = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        return direct(host, parts.port, timeout=timeout), path
    proxy = urlsplit(proxy_url if "://" in proxy_url else f"http://{proxy_url}")
    proxy_port = proxy.port or 80
    if secure:
        tunnel = http.client.HTTPSConnection(proxy.hostname or "", proxy_port, timeout=timeout)
        tunnel.set_tunnel(host, parts.port)
        return tunnel, path
    plain = http.client.HTTPConnection(proxy.hostname or "", proxy_port, timeout=timeout)
    return plain, parts.geturl()


def _read_capped(response: http.client.HTTPResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(READ_CHUNK):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise MalformedReplyError(f"the reply exceeded {MAX_REPLY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _malformed(url: str, what: str) -> MalformedReplyError:
    return MalformedReplyError(f"{url} answered with a malformed reply: {what}")


def _checked_choices(reply: Mapping[str, Any], chat: bool, url: str) -> list[Mapping[str, Any]]:
    """The reply's choices in index order, each checked to hold what is read from it."""
    choices = reply.get("choices")
    if choices is None:
        return []
    if not isinstance(choices, list):
        raise _malformed(url, f"`choices` is {_kind(choices)}, not a list")
    for i, choice in enumerate(choices):
        if not isinstance(choice, Mapping):
            raise _malformed(url, f"`choices[{i}]` is {_kind(choice)}, not an object")
        index = choice.get("index", 0)
        if not isinstance(index, int) or isinstance(index, bool):
            raise _malformed(url, f"`choices[{i}].index` is {_kind(index)}, not an integer")
        if chat:
            message = choice.get("message")
            if message is not None and not isinstance(message, Mapping):
                raise _malformed(url, f"`choices[{i}].message` is {_kind(message)}, not an object")
            content = (message or {}).get("content")
            if content is not None and not isinstance(content, str):
                raise _malformed(
                    url, f"`choices[{i}].message.content` is {_kind(content)}, not a string"
                )
        else:
            text = choice.get("text")
            if text is not None and not isinstance(text, str):
                raise _malformed(url, f"`choices[{i}].text` is {_kind(text)}, not a string")
    return sorted(choices, key=lambda c: c.get("index", 0))


def _checked_usage(reply: Mapping[str, Any], url: str) -> tuple[int, int] | None:
    """(prompt tokens, completion tokens) as the server counted them, None when it did
    not say; a `usage` that is not an object of plausible counts is malformed."""
    usage = reply.get("usage")
    if usage is None:
        return None
    if not isinstance(usage, Mapping):
        raise _malformed(url, f"`usage` is {_kind(usage)}, not an object")
    counts = []
    for field in ("prompt_tokens", "completion_tokens"):
        value = usage.get(field)
        if value is None:
            counts.append(None)
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise _malformed(url, f"`usage.{field}` is {_kind(value)}, not a token count")
        if not 0 <= value <= MAX_TOKEN_COUNT:
            raise _malformed(url, f"`usage.{field}` is {value}, not a plausible token count")
        counts.append(value)
    prompt_tokens, completion_tokens = counts
    if prompt_tokens is None:
        return None
    return prompt_tokens, completion_tokens or 0


def _kind(value: Any) -> str:
    """How a JSON value reads in an error: its type and a short excerpt."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    name = "null" if value is None else names.get(type(value), "a number")
    shown = redact(json.dumps(value, ensure_ascii=False, default=str))
    return f"{name} ({shown[:40]}{'…' if len(shown) > 40 else ''})"


def _finish_reason(choice: Mapping[str, Any]) -> str | None:
    reason = choice.get("finish_reason")
    return reason[:64] if isinstance(reason, str) else None


def _choice_text(choice: Mapping[str, Any], chat: bool) -> str:
    if chat:
        return str((choice.get("message") or {}).get("content") or "")
    return str(choice.get("text") or "")


def _choice_logprobs(choice: Mapping[str, Any], chat: bool) -> list[float] | None:
    """The sampled tokens' log-probabilities, or None when the server gave none (or any
    that is not a finite number)."""
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
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return numbers if all(math.isfinite(v) for v in numbers) else None


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
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None


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
    text = redact(" ".join(text.split()))
    return text[:ERROR_EXCERPT_CHARS] or "(empty body)"
