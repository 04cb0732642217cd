"""The model client over HTTPS: straight to the server with its certificate checked, and
through the environment's proxy as a `CONNECT` tunnel (the TLS session stays the
client's and the server's)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from connect_proxy import ConnectProxy
from fake_openai_server import FakeOpenAIServer

from prover.errors import GenerationError
from prover.generate.openai_api import OpenAIModel

FAST: dict[str, Any] = {
    "backoff_s": 0.01,
    "backoff_cap_s": 0.05,
    "timeout_s": 5.0,
    "max_retries": 0,
}


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server(ca: trustme.CA) -> Iterator[FakeOpenAIServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with FakeOpenAIServer(tls=context) as fake:
        fake.on("Prove", "by simp")
        yield fake


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's default context trusts `ca` (as `SSL_CERT_FILE` makes OpenSSL do)."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("trusted")
def test_an_https_server_is_reached_with_its_certificate_checked(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server.base_url.startswith("https://")
    model = OpenAIModel("m", server.base_url, **FAST)
    assert [c.text for c in model.complete("Prove this")] == ["by simp"]


@pytest.mark.usefixtures("trusted")
def test_https_goes_through_the_proxys_connect_tunnel(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = server.base_url.split(":")[2].split("/")[0]
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        model = OpenAIModel("m", server.base_url, **FAST)
        assert [c.text for c in model.complete("Prove this")] == ["by simp"]
        assert proxy.targets == [f"127.0.0.1:{port}"]
        assert server.requests[-1].target == "/v1/completions"  # inside the tunnel
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert [c.text for c in model.complete("Prove this")] == ["by simp"]
        assert len(proxy.targets) == 1  # bypassed: straight to the server


@pytest.mark.usefixtures("trusted")
def test_a_certificate_not_trusted_is_refused_once_with_the_remedy(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's authorities do not know this one
    with ConnectProxy() as proxy:  # counts the attempts: one tunnel each
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        model = OpenAIModel("m", server.base_url, **{**FAST, "max_retries": 3})
        with pytest.raises(GenerationError, match="certificate was not accepted") as refused:
            model.complete("Prove this")
        assert "SSL_CERT_FILE" in str(refused.value)
        assert len(proxy.targets) == 1  # not retried: a second try would meet the same cert
    assert server.requests == []
