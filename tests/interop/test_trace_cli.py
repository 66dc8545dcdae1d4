"""`tlsglass trace` against `openssl s_server`, `tlsglass serve --trace` with `openssl
s_client` connecting, and `tlsglass demo`: real peers on 127.0.0.1, stopped afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import Pki
from peers import Process, free_port, need, run, wait_for_port

pytestmark = pytest.mark.interop

TLSGLASS = [sys.executable, "-m", "tlsglass"]


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("trace")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue())
    client_cert, client_key = pki.write(directory, pki.issue(names=("alice",), server=False),
                                        "client")
    stranger = Pki("a root nobody trusts")
    other_cert, other_key = stranger.write(directory, stranger.issue(), "stranger")
    return {"ca": directory / "ca.pem", "cert": cert, "key": key, "stranger_cert": other_cert,
            "stranger_key": other_key, "client_cert": client_cert, "client_key": client_key}


def _tlsglass(*args: str, timeout: float = 30, cwd: Path | None = None
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TLSGLASS, *args], capture_output=True, text=True, timeout=timeout,
                          check=False, cwd=cwd)


@pytest.fixture
def s_server(pem: dict[str, Path], tmp_path: Path) -> Iterator[tuple[int, Process]]:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-www", "-alpn", "http/1.1"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        yield port, server


def test_trace_openssl_text(pem: dict[str, Path], s_server: tuple[int, Process]) -> None:
    port, _ = s_server
    result = _tlsglass("trace", f"https://localhost:{port}/", "--cafile", str(pem["ca"]),
                       "--bytes")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # piped: no colour
    for title in ("client -> server: ClientHello", "server -> client: ServerHello",
                  "server -> client: EncryptedExtensions [encrypted]",
                  "server -> client: Certificate [encrypted]",
                  "server -> client: CertificateVerify [encrypted]",
                  "client -> server: Finished [encrypted]",
                  "server -> client: NewSessionTicket [encrypted]"):
        assert title in out, title
    assert "The server's chain verifies: CN=localhost -> CN=tlsglass test root" in out
    assert "application protocol http/1.1" in out
    assert "message bytes:" in out and "legacy_session_id_echo" in out
    assert "Handshake complete" in out
    assert "GET / -> HTTP/1.0 200 ok" in result.stderr


def test_trace_openssl_json_and_html(pem: dict[str, Path], s_server: tuple[int, Process],
                                     tmp_path: Path) -> None:
    port, _ = s_server
    result = _tlsglass("trace", f"localhost:{port}", "--cafile", str(pem["ca"]),
                       "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == "tlsglass-trace" and doc["story"]["outcome"] == "complete"
    page = tmp_path / "trace.html"
    result = _tlsglass("trace", f"localhost:{port}", "--cafile", str(pem["ca"]),
                       "--format", "html", "-o", str(page))
    assert result.returncode == 0, result.stderr
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<b>CertificateVerify</b>" in html


def test_trace_reveal_writes_a_key_log(pem: dict[str, Path], s_server: tuple[int, Process],
                                       tmp_path: Path) -> None:
    port, _ = s_server
    keylog = tmp_path / "keys.log"
    result = _tlsglass("trace", f"localhost:{port}", "--cafile", str(pem["ca"]),
                       "--reveal-secrets", "--keylog", str(keylog))
    assert result.returncode == 0, result.stderr
    lines = keylog.read_text().splitlines()
    assert {line.split()[0] for line in lines} >= {"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                                                    "SERVER_TRAFFIC_SECRET_0"}
    for line in lines:
        label, _, secret = line.split()
        assert f"{label} {secret}" in result.stdout


def test_trace_reveal_without_keylog_writes_the_default(pem: dict[str, Path],
                                                       s_server: tuple[int, Process],
                                                       tmp_path: Path) -> None:
    port, _ = s_server
    result = _tlsglass("trace", f"localhost:{port}", "--cafile", str(pem["ca"]),
                       "--reveal-secrets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "tlsglass-trace.keylog").read_text().splitlines()
    assert len(written) == 5
    assert "Secrets (revealed on request; never share these):" in result.stdout


def test_trace_without_reveal_shows_no_secret(pem: dict[str, Path],
                                              s_server: tuple[int, Process],
                                              tmp_path: Path) -> None:
    """SSLKEYLOGFILE logs the secrets for Wireshark; the story itself still shows none."""
    port, _ = s_server
    keylog = tmp_path / "env.log"
    result = subprocess.run(
        [*TLSGLASS, "trace", f"localhost:{port}", "--cafile", str(pem["ca"]), "--bytes"],
        capture_output=True, text=True, timeout=30, check=False,
        env={"PATH": "/usr/bin:/bin", "SSLKEYLOGFILE": str(keylog)})
    assert result.returncode == 0, result.stderr
    for line in keylog.read_text().splitlines() if keylog.exists() else []:
        assert line.split()[2] not in result.stdout


def test_trace_failure_unknown_ca(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
            "-cert", str(pem["stranger_cert"]), "-key", str(pem["stranger_key"]), "-www"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        result = _tlsglass("trace", f"localhost:{port}", "--cafile", str(pem["ca"]))
    assert result.returncode == 1
    out = result.stdout
    assert "The server's certificate is rejected:" in out
    assert "client -> server: Alert UNKNOWN_CA [encrypted]" in out
    assert "Handshake failed: we ended the handshake with UNKNOWN_CA" in out
    assert "handshake failed" in result.stderr


def test_trace_failure_alert_from_openssl(pem: dict[str, Path], tmp_path: Path) -> None:
    """openssl insists on a client certificate; the story ends with its alert, explained."""
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-Verify", "1", "-CAfile", str(pem["ca"]), "-www"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        result = _tlsglass("trace", f"https://localhost:{port}/", "--cafile", str(pem["ca"]))
    assert result.returncode == 1
    out = result.stdout
    assert "The server asks the client to prove who it is with a certificate" in out
    assert "The client has no certificate to send" in out
    assert "server -> client: Alert CERTIFICATE_REQUIRED" in out
    assert "the server ended the handshake with CERTIFICATE_REQUIRED" in out


def test_trace_mutual_tls_with_openssl(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-Verify", "1", "-CAfile", str(pem["ca"]), "-www"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        result = _tlsglass("trace", f"https://localhost:{port}/", "--cafile", str(pem["ca"]),
                           "--cert", str(pem["client_cert"]), "--key", str(pem["client_key"]))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "server -> client: CertificateRequest [encrypted]" in out
    assert "client -> server: Certificate [encrypted]" in out
    assert "[0] subject: CN=alice" in out
    assert "client -> server: CertificateVerify [encrypted]" in out
    assert "Handshake complete" in out


def test_serve_trace_with_openssl_s_client(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    args = [*TLSGLASS, "serve", "--port", str(port), "--cert", str(pem["cert"]),
            "--key", str(pem["key"]), "--trace"]
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        client = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
             "-CAfile", str(pem["ca"]), "-quiet", "-no_ign_eof", "-verify_return_error"],
            input=b"ping\n", capture_output=True, timeout=20, check=False)
        assert client.returncode == 0, client.stderr
        out = server.wait_output("Handshake complete")
        subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2"],
                       input=b"", capture_output=True, timeout=20, check=False)
        out = server.wait_output("Handshake failed")
    assert "--- handshake from 127.0.0.1 ---" in out
    assert "TLS handshake seen from the server" in out
    assert "client -> server: ClientHello" in out
    assert "server -> client: Certificate [encrypted]" in out
    assert "certificate: CN=localhost (its names match the requested server name)" in out
    assert "we ended the handshake with PROTOCOL_VERSION" in out


def test_demo_one_after_the_other() -> None:
    result = _tlsglass("demo", "--width", "80")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("TLS handshake seen from the client") < out.index(
        "TLS handshake seen from the server")
    assert out.count("Handshake complete") == 2
    assert "hello from a tlsglass server" in out
    assert "key exchange:     X25519MLKEM768" in out


def test_demo_side_by_side_and_html(tmp_path: Path) -> None:
    page = tmp_path / "demo.html"
    result = _tlsglass("demo", "--width", "200", "--html", str(page))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[2]
    assert "TLS handshake seen from the client" in first
    assert "| TLS handshake seen from the server" in first
    assert page.read_text().count("<section class=\"story\">") == 2


def test_trace_gnutls_serv_json(pem: dict[str, Path], tmp_path: Path) -> None:
    """GnuTLS's server, P-256 only, so the story shows a HelloRetryRequest from a real peer."""
    need("gnutls-serv")
    port = free_port()
    args = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile", str(pem["cert"]),
            "--x509keyfile", str(pem["key"]),
            "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP256R1"]
    with run(args, tmp_path, "gnutls-serv") as server:
        wait_for_port(port, server.proc)
        result = _tlsglass("trace", f"localhost:{port}", "--cafile", str(pem["ca"]),
                           "--format", "json", "--bytes")
    assert result.returncode == 0, result.stderr
    story = json.loads(result.stdout)["story"]
    titles = [step["title"] for step in story["steps"]]
    assert titles[:2] == ["ClientHello", "HelloRetryRequest"]
    assert titles.count("ClientHello") == 2
    assert "retry with a key share for SECP256R1" in story["steps"][1]["summary"]
    assert story["outcome"] == "complete"
    hello = story["steps"][0]["message_bytes"]
    assert hello[0]["label"] == "msg_type" and hello[0]["data"] == "01"
