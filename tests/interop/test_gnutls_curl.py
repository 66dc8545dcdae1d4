"""tlsglass against GnuTLS (gnutls-serv, gnutls-cli) and curl, on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

import tlsglass
from helpers import Pki
from peers import ThreadServer, echo, free_port, need, run, wait_for_port
from tlsglass import CipherSuite, NamedGroup
from tlsglass.io import TLSSocket, connect

pytestmark = pytest.mark.interop

GNUTLS_SUITES = {CipherSuite.TLS_AES_128_GCM_SHA256: "AES-128-GCM",
                 CipherSuite.TLS_AES_256_GCM_SHA384: "AES-256-GCM",
                 CipherSuite.TLS_CHACHA20_POLY1305_SHA256: "CHACHA20-POLY1305"}
GNUTLS_GROUPS = {NamedGroup.X25519: "GROUP-X25519", NamedGroup.SECP256R1: "GROUP-SECP256R1",
                 NamedGroup.SECP384R1: "GROUP-SECP384R1", NamedGroup.X448: "GROUP-X448"}


def priority(suite: CipherSuite, group: NamedGroup) -> str:
    return (f"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+{GNUTLS_SUITES[suite]}"
            f":-GROUP-ALL:+{GNUTLS_GROUPS[group]}")


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("gnutls")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue(kind="ec256"))
    rsa_cert, rsa_key = pki.write(directory, pki.issue(kind="rsa2048"), stem="rsa")
    return {"ca": directory / "ca.pem", "cert": cert, "key": key, "rsa_cert": rsa_cert,
            "rsa_key": rsa_key}


@pytest.mark.parametrize("suite", list(GNUTLS_SUITES), ids=lambda s: s.name)
@pytest.mark.parametrize("group", list(GNUTLS_GROUPS), ids=lambda g: g.name)
def test_tlsglass_client_gnutls_serv(pem: dict[str, Path], tmp_path: Path, suite: CipherSuite,
                                     group: NamedGroup) -> None:
    need("gnutls-serv")
    port = free_port()
    args = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile", str(pem["cert"]),
            "--x509keyfile", str(pem["key"]), "--priority", priority(suite, group)]
    with run(args, tmp_path, "gnutls-serv") as server:
        wait_for_port(port, server.proc)
        config = tlsglass.ClientConfig(server_name="localhost",
                                       trust=tlsglass.TrustStore.from_file(pem["ca"]))
        with connect("127.0.0.1", port, config) as tls:
            assert tls.conn.cipher_suite == suite
            assert tls.conn.group == group
            tls.sendall(b"hello gnutls\n")
            assert tls.recv() == b"hello gnutls\n"
            tls.key_update(request_peer=True)
            tls.sendall(b"after key update\n")
            assert tls.recv() == b"after key update\n"


@pytest.mark.parametrize("suite", list(GNUTLS_SUITES), ids=lambda s: s.name)
@pytest.mark.parametrize("group", list(GNUTLS_GROUPS), ids=lambda g: g.name)
def test_gnutls_cli_tlsglass_server(pem: dict[str, Path], tmp_path: Path, suite: CipherSuite,
                                    group: NamedGroup) -> None:
    need("gnutls-cli")
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"],
                                              alpn_protocols=("h2", "http/1.1"))
    with ThreadServer(config, echo) as srv:
        args = ["gnutls-cli", "-p", str(srv.port), "--x509cafile", str(pem["ca"]),
                "--priority", priority(suite, group), "--alpn", "http/1.1", "localhost"]
        with run(args, tmp_path, "gnutls-cli") as client:
            client.wait_output("Handshake was completed")
            client.send(b"hello from gnutls\n")
            out = client.wait_output("Simple Client Mode:\n\nhello from gnutls")
    assert "(TLS1.3-X.509)" in out
    assert GNUTLS_SUITES[suite] in out
    assert "Application protocol: http/1.1" in out or "http/1.1" in out
    assert not srv.errors, srv.errors


def _http_responder(tls: TLSSocket) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = tls.recv()
        if not chunk:
            return
        request += chunk
    body = (f"tlsglass {tls.version()} {tls.cipher()} {tls.group()} "
            f"alpn={tls.selected_alpn_protocol()}\n").encode()
    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body)


@pytest.mark.parametrize("cert", ["cert", "rsa_cert"])
def test_curl_https_get(pem: dict[str, Path], tmp_path: Path, cert: str) -> None:
    need("curl")
    key = "key" if cert == "cert" else "rsa_key"
    config = tlsglass.ServerConfig.from_files(pem[cert], pem[key],
                                              alpn_protocols=("http/1.1",))
    with ThreadServer(config, _http_responder) as srv:
        args = ["curl", "--silent", "--show-error", "--tlsv1.3", "--cacert", str(pem["ca"]),
                f"https://localhost:{srv.port}/", "--resolve", f"localhost:{srv.port}:127.0.0.1",
                "-w", "\nHTTP %{http_code} %{ssl_verify_result}\n"]
        with run(args, tmp_path, "curl") as client:
            client.proc.wait(15)
            out = client.output()
    assert "tlsglass TLS1_3" in out
    assert "alpn=http/1.1" in out
    assert "HTTP 200 0" in out
    assert not srv.errors, srv.errors
