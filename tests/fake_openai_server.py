"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests.

Serves `POST /v1/chat/completions`, `POST /v1/completions` and `GET /v1/models`. Replies
are scripted, never generated:

    with FakeOpenAIServer() as server:
        server.on(r"⊢ x \\+ 2 = 5", "omega", "simp")          # regex on the prompt text
        server.enqueue(Reply(status=500))                      # next request fails once
        lm = OpenAIModel("fake", server.base_url)
        ...
        server.requests[-1].body                               # what the client sent

Which reply answers a request: the queue first (FIFO, each entry used once), then the
first rule whose regex matches the prompt (chat: the message contents joined by
newlines), then `default` (when None: HTTP 400 "no scripted reply"). A reply's texts
are handed out in rotation, continuing across requests, `n` at a time (one at a time
when `honour_n=False`). Token counts are whitespace-separated words (prompt) and
chunks of `TOKEN_PATTERN` (completion); `usage_reported` keeps the totals announced,
`max_in_flight` the most requests answered at once. Scripted log-probabilities: a
`Choice(text, logprob)` spreads `logprob` evenly over its tokens; a plain text gets
`DEFAULT_TOKEN_LOGPROB` per token.

Misbehaviour, for the client's defences: `Reply(fields={"usage": "lots"})` replaces
top-level fields of the JSON it answers with (any JSON, malformed on purpose);
`drip_s=1.0` sends the answer one byte per second; `delay_s` waits before answering
(a hanging server); `{key}` in `error` or in a text is replaced by the API key the
request carried (a server that echoes it back).

Import it from a test module as `from fake_openai_server import FakeOpenAIServer, Reply`
(pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

TOKEN_PATTERN = re.compile(r"\s*\S+")
DEFAULT_TOKEN_LOGPROB = -0.1


@dataclass(frozen=True)
class Choice:
    """A scripted completion text with the total log-probability to report for it."""

    text: str
    logprob: float | None = None


@dataclass
class Reply:
    texts: tuple[str | Choice, ...] = ()
    status: int = 200
    delay_s: float = 0.0  # sleep before answering (client timeouts)
    logprobs: bool = True  # include log-probabilities when the request asks for them
    usage: bool = True  # include a `usage` object
    honour_n: bool = True  # False: one choice per request, whatever `n` says
    reject_logprobs: bool = False  # answer 400 to any request that asks for log-probs
    retry_after: float | None = None  # Retry-After header on an error status
    error: str = "scripted failure"
    fields: dict[str, Any] | None = None  # top-level fields replacing the computed ones
    drip_s: float = 0.0  # pause between the bytes of the answer (0: sent at once)
    _served: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self.texts = tuple(self.texts)

    def take(self, n: int) -> list[Choice]:
        if not self.texts:
            return []
        count = n if self.honour_n else 1
        picked = [self.texts[(self._served + i) % len(self.texts)] for i in range(count)]
        self._served += count
        return [c if isinstance(c, Choice) else Choice(c) for c in picked]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    target: str = ""  # the request-target as sent: an absolute URL when it came as a proxy's


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    reply: Reply


class FakeOpenAIServer:
    def __init__(self, default: Reply | None = None, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: a server-side context, to answer over HTTPS instead of HTTP."""
        self.default = default
        self.requests: list[RecordedRequest] = []
        self.usage_reported = {"prompt_tokens": 0, "completion_tokens": 0}
        self.max_in_flight = 0  # most requests being answered at the same moment
        self._in_flight = 0
        self._queue: deque[Reply] = deque()
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.server_port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def on(self, pattern: str, *texts: str | Choice, **reply_options: Any) -> Reply:
        """Answer prompts matching `pattern` with `texts` (in rotation); returns the reply."""
        reply = Reply(texts=texts, **reply_options)
        with self._lock:
            self._rules.append(_Rule(re.compile(pattern), reply))
        return reply

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def fail(self, status: int = 500, times: int = 1, **reply_options: Any) -> None:
        self.enqueue(*(Reply(status=status, **reply_options) for _ in range(times)))

    def _pick(self, prompt: str) -> Reply | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            for rule in self._rules:
                if rule.pattern.search(prompt):
                    return rule.reply
        return self.default

    def _answer(
        self, path: str, body: dict[str, Any], key: str
    ) -> tuple[int, dict[str, Any], Reply | None]:
        chat = path.endswith("/chat/completions")
        prompt = _prompt_of(body, chat)
        reply = self._pick(prompt)
        if reply is None:
            return 400, _error("no scripted reply matches the prompt"), None
        if reply.delay_s:
            time.sleep(reply.delay_s)
        wants_logprobs = bool(body.get("logprobs"))
        if reply.status != 200:
            return reply.status, _error(reply.error.replace("{key}", key)), reply
        if reply.reject_logprobs and wants_logprobs:
            return 400, _error("logprobs are not supported"), reply
        with self._lock:
            picked = [
                Choice(c.text.replace("{key}", key), c.logprob)
                for c in reply.take(int(body.get("n", 1)))
            ]
        choices = [
            _choice(i, c, chat, wants_logprobs and reply.logprobs) for i, c in enumerate(picked)
        ]
        payload: dict[str, Any] = {
            "id": f"fake-{len(self.requests)}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": choices,
        }
        if reply.usage:
            usage = {
                "prompt_tokens": len(prompt.split()),
                "completion_tokens": sum(len(_tokens(c.text)) for c in picked),
            }
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            payload["usage"] = usage
            with self._lock:
                self.usage_reported["prompt_tokens"] += usage["prompt_tokens"]
                self.usage_reported["completion_tokens"] += usage["completion_tokens"]
        payload.update(reply.fields or {})
        return 200, payload, reply


def _prompt_of(body: dict[str, Any], chat: bool) -> str:
    if chat:
        return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    prompt = body.get("prompt", "")
    return prompt if isinstance(prompt, str) else "\n".join(map(str, prompt))


def _tokens(text: str) -> list[str]:
    return TOKEN_PATTERN.findall(text) or ([text] if text else [])


def _token_logprobs(choice: Choice) -> Iterator[tuple[str, float]]:
    tokens = _tokens(choice.text)
    if choice.logprob is None:
        yield from ((t, DEFAULT_TOKEN_LOGPROB) for t in tokens)
    else:
        yield from ((t, choice.logprob / len(tokens)) for t in tokens)


def _choice(index: int, choice: Choice, chat: bool, logprobs: bool) -> dict[str, Any]:
    pairs = list(_token_logprobs(choice)) if logprobs else []
    if chat:
        entry: dict[str, Any] = {
            "index": index,
            "message": {"role": "assistant", "content": choice.text},
            "finish_reason": "stop",
            "logprobs": None,
        }
        if logprobs:
            entry["logprobs"] = {
                "content": [{"token": t, "logprob": lp, "top_logprobs": []} for t, lp in pairs]
            }
        return entry
    entry = {"index": index, "text": choice.text, "finish_reason": "stop", "logprobs": None}
    if logprobs:
        entry["logprobs"] = {
            "tokens": [t for t, _ in pairs],
            "token_logprobs": [lp for _, lp in pairs],
            "top_logprobs": None,
            "text_offset": [],
        }
    return entry


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "fake_error"}}


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def parse_request(self) -> bool:
            # Also serve as an HTTP proxy would see requests: `POST http://host/v1/...`.
            parsed = super().parse_request()
            self.target = self.path
            if parsed and "://" in self.path:
                self.path = urlsplit(self.path).path
            return parsed

        def do_GET(self) -> None:
            self._record({})
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
            else:
                self._send(404, _error(f"no route {self.path}"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, _error("body is not JSON"))
                return
            self._record(body)
            if self.path not in ("/v1/chat/completions", "/v1/completions"):
                self._send(404, _error(f"no route {self.path}"))
                return
            with server._lock:
                server._in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server._in_flight)
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            try:
                status, payload, reply = server._answer(self.path, body, key)
            finally:
                with server._lock:
                    server._in_flight -= 1
            headers = {}
            if reply is not None and reply.retry_after is not None and status != 200:
                headers["Retry-After"] = f"{reply.retry_after:g}"
            self._send(status, payload, headers, reply.drip_s if reply else 0.0)

        def _record(self, body: dict[str, Any]) -> None:
            with server._lock:
                server.requests.append(
                    RecordedRequest(
                        self.command, self.path, body, dict(self.headers.items()), self.target
                    )
                )

        def _send(
            self,
            status: int,
            payload: dict[str, Any],
            headers: dict[str, str] | None = None,
            drip_s: float = 0.0,
        ) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if not drip_s:
                    self.wfile.write(data)
                for i in range(len(data) if drip_s else 0):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(drip_s)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

    return Handler
