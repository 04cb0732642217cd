"""Run the app under uvicorn: bind first (port 0 picks a free one), say where, serve.

uvicorn handles SIGTERM and SIGINT: it stops accepting connections, lets requests in
flight finish for up to `grace_s`, then runs the app's shutdown, which closes the pool
(its REPL processes are killed and reaped) and the store.
"""

from __future__ import annotations

import logging
import socket
import sys
from importlib.util import find_spec

import uvicorn

from prover.serve.app import create_app
from prover.serve.service import Service

LISTEN_BACKLOG = 2048


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without
    # it a kept-alive connection waits ~40 ms per response on delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def serve(
    service: Service, *, host: str, port: int, api_key: str | None, max_body: int, grace_s: float
) -> None:
    """Serve until SIGTERM/SIGINT; the first line on stdout is `listening on http://HOST:PORT`."""
    try:
        sock = bind(host, port)
    except OSError:
        service.close()
        raise
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    sys.stdout.write(f"listening on http://{shown}:{bound_port}\n")
    sys.stdout.flush()
    config = uvicorn.Config(
        create_app(service, api_key=api_key, max_body=max_body),
        # The C HTTP parser and event loop (dependencies; no uvloop on Windows): about a
        # quarter less of the server's CPU per request than the pure-Python ones
        # (bench/serve.py). An install without them still serves, on the pure-Python ones.
        http="httptools" if find_spec("httptools") else "h11",
        loop="uvloop" if find_spec("uvloop") else "asyncio",
        log_level=logging.WARNING,
        access_log=False,
        timeout_graceful_shutdown=grace_s,
        lifespan="on",
    )
    uvicorn.Server(config).run(sockets=[sock])
