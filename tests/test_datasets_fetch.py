"""`fetch`: resumable, checksum-verified downloads, against a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prover.cli import app
from prover.eval.datasets import DatasetFile, Manifest
from prover.eval.fetch import ChecksumMismatch, FetchError, cached_path, fetch, import_file

PAYLOAD = b"".join(
    json.dumps(
        {"name": f"p{i}", "split": "test", "header": "", "formal_statement": "t :="}
    ).encode()
    + b"\n"
    for i in range(2000)
)


@dataclass
class Served:
    """What the server sends, and what it saw."""

    body: bytes = PAYLOAD
    cut_after: int | None = None  # send only this many bytes of the next full reply, then hang up
    ranges: list[str | None] = field(default_factory=list)


class Handler(http.server.BaseHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:
        served = self.served
        requested = self.headers.get("Range")
        served.ranges.append(requested)
        start = int(requested.removeprefix("bytes=").rstrip("-")) if requested else 0
        body = served.body[start:]
        self.send_response(206 if requested else 200)
        if requested:
            self.send_header(
                "Content-Range", f"bytes {start}-{len(served.body) - 1}/{len(served.body)}"
            )
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if served.cut_after is not None:
            self.wfile.write(body[: served.cut_after])
            served.cut_after = None
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def server() -> Iterator[tuple[str, Served]]:
    served = Served()
    handler = type("BoundHandler", (Handler,), {"served": served})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/minif2f.jsonl", served
    finally:
        httpd.shutdown()
        httpd.server_close()


def manifest_for(url: str, body: bytes = PAYLOAD) -> Manifest:
    return Manifest(
        name="tiny",
        description="test set",
        file=DatasetFile(url=url, sha256=hashlib.sha256(body).hexdigest(), filename="tiny.jsonl"),
        repository="example/tiny",
        revision="0" * 40,
        license="MIT",
        lean_version="4.9.0",
        mathlib="none",
        splits={"test": 2000},
    )


def test_fetch_verifies_and_caches(server: tuple[str, Served], tmp_path: Path) -> None:
    url, served = server
    manifest = manifest_for(url)
    seen: list[tuple[int, int | None]] = []
    path = fetch(manifest, tmp_path, lambda done, total: seen.append((done, total)))
    assert path == cached_path(manifest, tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert fetch(manifest, tmp_path) == path
    assert len(served.ranges) == 1  # the verified cache answered the second call


def test_checksum_mismatch_keeps_the_file_aside(server: tuple[str, Served], tmp_path: Path) -> None:
    url, _ = server
    manifest = manifest_for(url)
    wrong = replace(manifest, file=replace(manifest.file, sha256="0" * 64))
    with pytest.raises(ChecksumMismatch) as caught:
        fetch(wrong, tmp_path)
    assert not cached_path(wrong, tmp_path).exists()
    assert caught.value.kept.read_bytes() == PAYLOAD
    assert "kept aside" in str(caught.value)


def test_interrupted_download_resumes_with_a_range_request(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    url, served = server
    manifest = manifest_for(url)
    served.cut_after = 10_000
    with pytest.raises(FetchError, match="run the same command again to resume"):
        fetch(manifest, tmp_path)
    part = cached_path(manifest, tmp_path).with_name("tiny.jsonl.part")
    assert part.stat().st_size == 10_000
    path = fetch(manifest, tmp_path)
    assert served.ranges == [None, "bytes=10000-"]
    assert path.read_bytes() == PAYLOAD
    assert not part.exists()


def test_unreachable_host_is_one_sentence(tmp_path: Path) -> None:
    manifest = manifest_for("http://127.0.0.1:9/absent.jsonl")
    with pytest.raises(FetchError, match=r"cannot download .* pass it with --from-file"):
        fetch(manifest, tmp_path)


def test_cli_fetch_and_mismatch_exit_codes(server: tuple[str, Served], tmp_path: Path) -> None:
    url, _ = server
    good = tmp_path / "good.json"
    bad = tmp_path / "bad.json"
    data = {
        "name": "tiny",
        "description": "test set",
        "file": {"url": url, "sha256": hashlib.sha256(PAYLOAD).hexdigest(), "filename": "t.jsonl"},
        "repository": "example/tiny",
        "revision": "0" * 40,
        "license": "MIT",
        "lean_version": "4.9.0",
        "mathlib": "none",
        "splits": {"test": 2000},
    }
    good.write_text(json.dumps(data))
    bad.write_text(json.dumps({**data, "file": {**data["file"], "sha256": "1" * 64}}))
    runner = CliRunner()
    cache = ["--cache-dir", str(tmp_path / "cache")]
    ok = runner.invoke(app, ["datasets", "fetch", str(good), *cache])
    assert ok.exit_code == 0, ok.output
    assert "sha256 verified" in ok.output
    mismatch = runner.invoke(app, ["datasets", "fetch", str(bad), *cache])
    assert mismatch.exit_code == 2
    assert "kept aside" in mismatch.output
    assert "Traceback" not in mismatch.output


def test_a_copy_fetched_elsewhere_is_cached_only_if_it_matches(tmp_path: Path) -> None:
    manifest = manifest_for("http://127.0.0.1:9/unused.jsonl")
    good = tmp_path / "good.jsonl"
    good.write_bytes(PAYLOAD)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(PAYLOAD + b"\n")
    with pytest.raises(FetchError, match="it was not cached"):
        import_file(manifest, bad, tmp_path / "cache")
    assert not cached_path(manifest, tmp_path / "cache").exists()
    assert import_file(manifest, good, tmp_path / "cache").read_bytes() == PAYLOAD
    assert fetch(manifest, tmp_path / "cache") == cached_path(manifest, tmp_path / "cache")
