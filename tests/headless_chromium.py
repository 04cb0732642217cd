"""Drive a headless Chromium over the DevTools protocol, to check exported pages the way
a person sees them: console errors, network requests, clicks, the panel's text and
screenshots. Test support (also used by `bench/graph.py`); needs `websocket-client` (the
`test` extra) and a Chromium binary (`$LEANWB_CHROMIUM`, else `chromium` on PATH).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
STARTUP_TIMEOUT_S = 30.0


class ChromiumError(RuntimeError):
    """Chromium could not be started, or a DevTools call failed."""


def find_chromium() -> str | None:
    explicit = os.environ.get("LEANWB_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((path for name in BINARIES if (path := shutil.which(name))), None)


class HeadlessChromium:
    """One headless browser with one page; a context manager."""

    def __init__(self, binary: str | None = None, width: int = 1400, height: int = 900) -> None:
        import websocket  # the test extra; imported here so the package does not need it

        found = binary or find_chromium()
        if found is None:
            raise ChromiumError("no Chromium found; install it or set LEANWB_CHROMIUM")
        # Chromium's helper processes may still write to the profile as it is removed.
        self._profile = tempfile.TemporaryDirectory(
            prefix="leanwb-chromium-", ignore_cleanup_errors=True
        )
        self._process = subprocess.Popen(
            [
                found,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = self._devtools_port()
            self._socket = websocket.create_connection(
                self._page_socket_url(port), timeout=60, suppress_origin=True
            )
        except BaseException:
            self.close()
            raise
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def __enter__(self) -> HeadlessChromium:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        socket = getattr(self, "_socket", None)
        if socket is not None:
            socket.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._profile.cleanup()

    def _devtools_port(self) -> int:
        marker = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ChromiumError(
                    f"Chromium exited at start with code {self._process.returncode}"
                )
            if marker.is_file():
                first = marker.read_text().split("\n", 1)[0].strip()
                if first.isdigit():
                    return int(first)
            time.sleep(0.05)
        raise ChromiumError(f"Chromium did not open its DevTools port in {STARTUP_TIMEOUT_S:.0f} s")

    @staticmethod
    def _page_socket_url(port: int) -> str:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as reply:
                targets = json.load(reply)
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.05)
        raise ChromiumError("Chromium opened no page")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result; events seen meanwhile are kept."""
        call_id = next(self._ids)
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise ChromiumError(f"{method}: {message['error'].get('message')}")
                return dict(message.get("result", {}))
            if "method" in message:
                self.events.append(message)
                if message["method"] == "Page.javascriptDialogOpening":
                    # An alert would block the page (and this loop): note it, dismiss it.
                    self._socket.send(
                        json.dumps(
                            {
                                "id": next(self._ids),
                                "method": "Page.handleJavaScriptDialog",
                                "params": {"accept": False},
                            }
                        )
                    )

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression!r} threw: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def open(
        self, url: str, ready: str = "document.documentElement.dataset.ready === '1'"
    ) -> float:
        """Navigate and wait until `ready` holds; returns the seconds that took."""
        started = time.monotonic()
        self.send("Page.navigate", url=url)
        deadline = started + 120
        while not self.evaluate(f"document.readyState === 'complete' && ({ready})"):
            if time.monotonic() > deadline:
                raise ChromiumError(f"{url} did not become ready in 120 s")
            time.sleep(0.02)
        return time.monotonic() - started

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def press(self, key: str, code: str | None = None) -> None:
        for kind in ("keyDown", "keyUp"):
            params: dict[str, Any] = {"type": kind, "key": key, "code": code or key}
            if len(key) == 1 and kind == "keyDown":
                params["text"] = key
            if key == "Enter":  # a key code and text, so a focused button is pressed
                params["windowsVirtualKeyCode"] = 13
                if kind == "keyDown":
                    params["text"] = "\r"
            self.send("Input.dispatchKeyEvent", **params)

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def settle(self) -> None:
        """Let pending frames and events arrive."""
        self.send(
            "Runtime.evaluate",
            expression="new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))",
            awaitPromise=True,
        )

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (CSP included)."""
        errors = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append(str(details.get("exception", {}).get("description") or details))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(
                    " ".join(
                        str(a.get("value", a.get("description"))) for a in params.get("args", [])
                    )
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(str(params["entry"].get("text")))
        return errors

    def requests(self) -> list[str]:
        """URLs of every request the page made."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def dialogs(self) -> list[str]:
        return [
            e["params"].get("message", "")
            for e in self.events
            if e["method"] == "Page.javascriptDialogOpening"
        ]


def artifacts_dir() -> Path:
    """Where browser tests keep their screenshots: `$LEANWB_ARTIFACTS`, else a folder in
    the temporary directory (printed, so a person can look at them)."""
    folder = Path(
        os.environ.get("LEANWB_ARTIFACTS") or Path(tempfile.gettempdir()) / "leanwb-artifacts"
    )
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    return folder


def browser_or_skip(width: int = 1400, height: int = 900) -> Iterator[HeadlessChromium]:
    """One browser for a test module's fixture; skips the module, saying why, where
    Chromium or the websocket client is missing."""
    import pytest

    if find_chromium() is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("websocket", reason="needs websocket-client (the test extra)")
    with HeadlessChromium(width=width, height=height) as browser:
        yield browser
