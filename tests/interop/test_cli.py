"""The `tlsglass` command against real peers: demo, connect, serve, and its error messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import Pki
from peers import free_port, need, run, wait_for_port

pytestmark = pytest.mark.interop

TLSGLASS = [sys.executable, "-m", "tlsglass"]


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("cli")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue())
    other_cert, other_key = pki.write(directory, pki.issue(names=("other.test",)), "other")
    return {"ca": directory / "ca.pem", "cert": cert, "key": key, "other_cert": other_cert,
            "other_key": other_key}


def _tlsglass(*args: str, stdin: bytes = b"", timeout: float = 20
              ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*TLSGLASS, *args], input=stdin, capture_output=True,
                          timeout=timeout, check=False)


def test_demo() -> None:
    result = _tlsglass("demo")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert "version:          TLS1_3" in out
    assert "key exchange:     X25519MLKEM768" in out
    assert "hello from a tlsglass server" in out


def test_connect_to_openssl_s_server(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-rev", "-naccept", "1", "-alpn", "h2"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        result = _tlsglass("connect", f"localhost:{port}", "--cafile", str(pem["ca"]),
                           "--alpn", "h2", "--groups", "X25519,SECP256R1",
                           "--suites", "TLS_CHACHA20_POLY1305_SHA256",
                           "--keylog", str(tmp_path / "keys"), stdin=b"relay me\n")
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "cipher suite:     TLS_CHACHA20_POLY1305_SHA256" in err
    assert "ALPN protocol:    h2" in err
    assert "names:          localhost, 127.0.0.1" in err
    assert "verification:     OK" in err
    assert result.stdout == b"em yaler\n"
    assert "CLIENT_TRAFFIC_SECRET_0" in (tmp_path / "keys").read_text()


def test_serve_http_with_curl(pem: dict[str, Path], tmp_path: Path) -> None:
    need("curl")
    port = free_port()
    args = [*TLSGLASS, "serve", "--http", "--port", str(port), "--cert", str(pem["cert"]),
            "--key", str(pem["key"]), "--cert", str(pem["other_cert"]), "--key",
            str(pem["other_key"]), "--alpn", "http/1.1"]
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        for name in ("localhost", "other.test"):
            result = subprocess.run(
                ["curl", "-sS", "--cacert", str(pem["ca"]), "--resolve",
                 f"{name}:{port}:127.0.0.1", f"https://{name}:{port}/"],
                capture_output=True, timeout=20, check=False)
            page = result.stdout.decode()
            assert result.returncode == 0, result.stderr
            assert "version:          TLS1_3" in page
            assert f"server name:      {name}" in page
            assert "client offered suites:  TLS_" in page
            assert "client offered ALPN:    h2, http/1.1" in page


def test_serve_echo_with_openssl_s_client(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    with run([*TLSGLASS, "serve", "--port", str(port)], tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        with run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}"], tmp_path,
                 "s_client") as client:
            client.wait_output("Verify return code")
            client.send(b"echo this\n")
            client.wait_output("echo this")
        assert "throwaway certificate" in server.output()


@pytest.mark.parametrize(("args", "message"), [
    (["connect", "127.0.0.1:{closed}", "--no-relay"], "connection refused"),
    (["connect", "localhost:{port}", "--cafile", "/nonexistent/ca.pem"], "does not exist"),
    (["connect", "localhost:{port}", "--no-relay"], "is not trusted"),
    (["connect", "localhost:{port}", "--cafile", "{ca}", "--servername", "wrong.test",
      "--no-relay"], "not valid for 'wrong.test'"),
    (["connect", "localhost:{port}", "--cafile", "{ca}", "--groups", "X448",
      "--suites", "TLS_AES_256_GCM_SHA384", "--no-relay"], "sent the alert handshake_failure"),
    (["serve", "--cert", "/nonexistent/cert.pem"], "does not exist"),
])
def test_errors_for_a_person(pem: dict[str, Path], tmp_path: Path, args: list[str],
                             message: str) -> None:
    need("openssl")
    port = free_port()
    server_args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
                   str(pem["cert"]), "-key", str(pem["key"]), "-naccept", "1", "-groups",
                   "P-256", "-ciphersuites", "TLS_AES_128_GCM_SHA256"]
    with run(server_args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        filled = [a.format(port=port, closed=free_port(), ca=pem["ca"]) for a in args]
        result = _tlsglass(*filled)
    err = result.stderr.decode()
    assert result.returncode == 1
    assert message in err, err
    assert "Traceback" not in err


def test_mutual_tls_between_serve_and_connect(tmp_path: Path) -> None:
    pki = Pki()
    (tmp_path / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(tmp_path, pki.issue())
    client_cert, client_key = pki.write(tmp_path, pki.issue(names=("alice.test",),
                                                            server=False), "alice")
    port = free_port()
    args = [*TLSGLASS, "serve", "--port", str(port), "--cert", str(cert), "--key", str(key),
            "--client-ca", str(tmp_path / "ca.pem")]
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        result = _tlsglass("connect", f"localhost:{port}", "--cafile", str(tmp_path / "ca.pem"),
                           "--cert", str(client_cert), "--key", str(client_key),
                           stdin=b"it is me\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"it is me\n"
        refused = _tlsglass("connect", f"localhost:{port}", "--cafile",
                            str(tmp_path / "ca.pem"), "--no-relay", stdin=b"x")
        server.wait_output("certificate_required")
    assert "CN=alice.test" in server.output()
    assert refused.returncode in (0, 1)  # TLS 1.3: the refusal may arrive after our Finished
