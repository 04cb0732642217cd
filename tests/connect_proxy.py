"""A test double: an HTTP proxy that only tunnels (`CONNECT host:port`), as clients use
one to reach an `https` server. It records each tunnel's target and pipes the bytes
both ways without reading them (the TLS session is the client's and the server's)."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from typing import Any

BUFFER = 65536


class ConnectProxy:
    def __init__(self) -> None:
        self.targets: list[str] = []  # "host:port" of every tunnel asked for
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request_line = self.rfile.readline().decode("latin-1").split()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # the request's headers
                if len(request_line) != 3 or request_line[0] != "CONNECT":
                    self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                target = request_line[1]
                proxy.targets.append(target)
                host, _, port = target.rpartition(":")
                with socket.create_connection((host, int(port)), timeout=10) as upstream:
                    self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    self.wfile.flush()
                    pump = threading.Thread(
                        target=_pipe, args=(upstream, self.connection), daemon=True
                    )
                    pump.start()
                    _pipe(self.connection, upstream)
                    pump.join(timeout=10)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy until `source` closes, then close `sink`'s sending side."""
    with contextlib.suppress(OSError):
        while data := source.recv(BUFFER):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
