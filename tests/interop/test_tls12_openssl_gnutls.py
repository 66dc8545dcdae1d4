"""TLS 1.2 against `openssl s_server`/`s_client -tls1_2` and `gnutls-serv`/`gnutls-cli`
with TLS 1.2 forced, for every ECDHE suite they share with tlsglass, on 127.0.0.1; RFC 7919
FFDHE negotiation with GnuTLS both ways; curl forced to TLS 1.2; the CLI.

OpenSSL also prints RFC 5705 keying material (-keymatexport), which must equal ours.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import tlsglass
from helpers import Pki
from peers import ThreadServer, echo, free_port, need, run, wait_for_port
from tlsglass import CipherSuite, NamedGroup, ProtocolVersion
from tlsglass.io import TLSSocket, connect

pytestmark = pytest.mark.interop

# tlsglass suite -> (OpenSSL name, GnuTLS cipher, GnuTLS key exchange, certificate kind)
SUITES = {
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
        ("ECDHE-ECDSA-AES128-GCM-SHA256", "AES-128-GCM", "ECDHE-ECDSA", "ec256"),
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
        ("ECDHE-ECDSA-AES256-GCM-SHA384", "AES-256-GCM", "ECDHE-ECDSA", "ec256"),
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
        ("ECDHE-ECDSA-CHACHA20-POLY1305", "CHACHA20-POLY1305", "ECDHE-ECDSA", "ec256"),
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
        ("ECDHE-RSA-AES128-GCM-SHA256", "AES-128-GCM", "ECDHE-RSA", "rsa2048"),
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
        ("ECDHE-RSA-AES256-GCM-SHA384", "AES-256-GCM", "ECDHE-RSA", "rsa2048"),
    CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
        ("ECDHE-RSA-CHACHA20-POLY1305", "CHACHA20-POLY1305", "ECDHE-RSA", "rsa2048"),
}
LABEL = "EXPERIMENTAL-tlsglass"


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("tls12")
    (directory / "ca.pem").write_bytes(pki.pem)
    return {kind: pki.write(directory, pki.issue(kind=kind), stem=kind)
            for kind in ("ec256", "rsa2048")}


def _ca(pem: dict[str, tuple[Path, Path]]) -> Path:
    return pem["ec256"][0].parent / "ca.pem"


def _client(pem: dict[str, tuple[Path, Path]], **options: object) -> tlsglass.ClientConfig:
    return tlsglass.ClientConfig(server_name="localhost",
                                 trust=tlsglass.TrustStore.from_file(_ca(pem)),
                                 **options)  # type: ignore[arg-type]


def _keying_material(output: str) -> bytes:
    found = re.search(r"Keying material: ([0-9A-F]+)", output)
    assert found, output
    return bytes.fromhex(found.group(1))


@pytest.mark.parametrize("suite", list(SUITES), ids=lambda s: s.name)
def test_tlsglass_client_openssl_s_server(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                          suite: CipherSuite) -> None:
    need("openssl")
    name, _, _, kind = SUITES[suite]
    cert, key = pem[kind]
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
            "-key", str(key), "-tls1_2", "-cipher", name, "-naccept", "1",
            "-keymatexport", LABEL, "-keymatexportlen", "32"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        with connect("127.0.0.1", port, _client(pem)) as tls:
            assert tls.conn.version == ProtocolVersion.TLS1_2
            assert tls.conn.cipher_suite == suite
            tls.sendall(b"hello openssl\n")
            out = server.wait_output("hello openssl")
            server.send(b"hello tlsglass\n")
            assert tls.recv() == b"hello tlsglass\n"
            ours = tls.conn.export_keying_material(LABEL, None, 32)
    assert _keying_material(out) == ours


@pytest.mark.parametrize("suite", list(SUITES), ids=lambda s: s.name)
def test_openssl_s_client_tlsglass_server(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                          suite: CipherSuite) -> None:
    need("openssl")
    name, _, _, kind = SUITES[suite]
    exported: list[bytes] = []

    def handler(tls: TLSSocket) -> None:
        exported.append(tls.conn.export_keying_material(LABEL, None, 32))
        while data := tls.recv():
            tls.sendall(data)

    config = tlsglass.ServerConfig.from_files(*pem[kind], alpn_protocols=("http/1.1",))
    with ThreadServer(config, handler) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(_ca(pem)), "-verify_return_error", "-tls1_2",
                "-cipher", name, "-alpn", "http/1.1", "-keymatexport", LABEL,
                "-keymatexportlen", "32"]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"hello tlsglass\n")
            out = client.wait_output("hello tlsglass")
    assert not srv.errors, srv.errors
    assert f"Cipher is {name}" in out and "Protocol  : TLSv1.2" in out
    assert "Extended master secret: yes" in out
    assert "ALPN protocol: http/1.1" in out
    assert "Secure Renegotiation IS supported" in out
    assert exported and _keying_material(out) == exported[0]


def _gnutls_priority(suite: CipherSuite) -> str:
    _, cipher, kx, _ = SUITES[suite]
    return f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+{cipher}:-KX-ALL:+{kx}"


@pytest.mark.parametrize("suite", list(SUITES), ids=lambda s: s.name)
def test_tlsglass_client_gnutls_serv(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                     suite: CipherSuite) -> None:
    need("gnutls-serv")
    cert, key = pem[SUITES[suite][3]]
    port = free_port()
    args = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile", str(cert),
            "--x509keyfile", str(key), "--priority", _gnutls_priority(suite)]
    with run(args, tmp_path, "gnutls-serv") as server:
        wait_for_port(port, server.proc)
        with connect("127.0.0.1", port, _client(pem)) as tls:
            assert tls.conn.version == ProtocolVersion.TLS1_2
            assert tls.conn.cipher_suite == suite
            tls.sendall(b"hello gnutls\n")
            assert tls.recv() == b"hello gnutls\n"


@pytest.mark.parametrize("suite", list(SUITES), ids=lambda s: s.name)
def test_gnutls_cli_tlsglass_server(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                    suite: CipherSuite) -> None:
    need("gnutls-cli")
    _, cipher, kx, kind = SUITES[suite]
    config = tlsglass.ServerConfig.from_files(*pem[kind])

    def echo(tls: TLSSocket) -> None:
        while data := tls.recv():
            tls.sendall(data)

    with ThreadServer(config, echo) as srv:
        args = ["gnutls-cli", "-p", str(srv.port), "--x509cafile", str(_ca(pem)),
                "--priority", _gnutls_priority(suite), "localhost"]
        with run(args, tmp_path, "gnutls-cli") as client:
            client.wait_output("Handshake was completed")
            client.send(b"hello from gnutls\n")
            out = client.wait_output("Simple Client Mode:\n\nhello from gnutls")
    description = re.search(r"- Description: (.*)", out)
    assert description, out
    # e.g. (TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)
    assert description.group(1).startswith("(TLS1.2-X.509)-(ECDHE-")
    assert f"-({kx.removeprefix('ECDHE-')}-" in description.group(1)
    assert description.group(1).endswith(f"-({cipher})")
    assert "extended master secret, safe renegotiation" in out
    assert not srv.errors, srv.errors


def test_cli_connect_with_tls12_forced(pem: dict[str, tuple[Path, Path]], tmp_path: Path
                                       ) -> None:
    """`tlsglass connect --max-version 1.2 --suites <1.2 suite>` against s_server -tls1_2."""
    need("openssl")
    cert, key = pem["rsa2048"]
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
            "-key", str(key), "-rev", "-naccept", "1"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        result = subprocess.run(
            [sys.executable, "-m", "tlsglass", "connect", f"localhost:{port}", "--cafile",
             str(_ca(pem)), "--max-version", "1.2", "--suites",
             "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "--keylog",
             str(tmp_path / "keys")], input=b"relay me\n", capture_output=True, timeout=20,
            check=False)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "version:          TLS1_2" in err
    assert "cipher suite:     TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" in err
    assert result.stdout == b"em yaler\n"
    assert (tmp_path / "keys").read_text().startswith("CLIENT_RANDOM ")


def _http_responder(tls: TLSSocket) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = tls.recv()
        if not chunk:
            return
        request += chunk
    body = f"tlsglass {tls.version()} {tls.cipher()}\n".encode()
    tls.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
                % len(body) + body)


@pytest.mark.parametrize("kind", ["ec256", "rsa2048"])
def test_curl_with_tls12_forced(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                kind: str) -> None:
    need("curl")
    config = tlsglass.ServerConfig.from_files(*pem[kind], alpn_protocols=("http/1.1",))
    with ThreadServer(config, _http_responder) as srv:
        args = ["curl", "--silent", "--show-error", "--tlsv1.2", "--tls-max", "1.2",
                "--cacert", str(_ca(pem)), f"https://localhost:{srv.port}/", "--resolve",
                f"localhost:{srv.port}:127.0.0.1", "-w",
                "\nHTTP %{http_code} %{ssl_verify_result}\n"]
        with run(args, tmp_path, "curl") as client:
            client.proc.wait(15)
            out = client.output()
    assert "tlsglass TLS1_2 TLS_ECDHE_" in out
    assert "HTTP 200 0" in out
    assert not srv.errors, srv.errors


@pytest.mark.parametrize("group", ["FFDHE2048", "FFDHE3072"])
def test_gnutls_negotiates_an_rfc7919_group(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                            group: str) -> None:
    """GnuTLS lists FFDHE groups in supported_groups (RFC 7919 §3): both sides agree on one,
    with a DHE_RSA suite, each way."""
    need("gnutls-cli")
    suite = CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
    priority = (f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-GROUP-ALL:+GROUP-{group}"
                ":-CIPHER-ALL:+AES-128-GCM")
    options = {"tls12_cipher_suites": (suite,),
               "groups": (NamedGroup.X25519, NamedGroup.FFDHE2048, NamedGroup.FFDHE3072)}
    config = tlsglass.ServerConfig.from_files(*pem["rsa2048"], **options)  # type: ignore[arg-type]
    with ThreadServer(config, echo) as srv:
        args = ["gnutls-cli", "-p", str(srv.port), "--x509cafile", str(_ca(pem)),
                "--priority", priority, "localhost"]
        with run(args, tmp_path, "gnutls-cli") as client:
            client.wait_output("Handshake was completed")
            client.send(b"dhe\n")
            out = client.wait_output("Simple Client Mode:\n\ndhe")
    assert f"(DHE-{group})" in out, out
    assert not srv.errors, srv.errors
    need("gnutls-serv")
    cert, key = pem["rsa2048"]
    port = free_port()
    args = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile", str(cert),
            "--x509keyfile", str(key), "--priority", priority]
    with run(args, tmp_path, "gnutls-serv") as server:
        wait_for_port(port, server.proc)
        with connect("127.0.0.1", port, _client(pem, **options)) as tls:
            assert tls.conn.cipher_suite == suite and tls.conn.group == NamedGroup[group]
            tls.sendall(b"dhe\n")
            assert tls.recv() == b"dhe\n"


def test_ed25519_certificate_both_ways(tmp_path: Path) -> None:
    """OpenSSL signs and checks ECDHE_ECDSA parameters with Ed25519 too (RFC 8422 §5.1.3)."""
    need("openssl")
    pki = Pki()
    (tmp_path / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(tmp_path, pki.issue(kind="ed25519"), stem="ed25519")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
            "-key", str(key), "-tls1_2", "-naccept", "1", "-rev"]
    config = tlsglass.ClientConfig(server_name="localhost", trust=pki.trust)
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        with connect("127.0.0.1", port, config) as tls:
            assert tls.conn.version == ProtocolVersion.TLS1_2
            assert tls.conn.signature_scheme == 0x0807
            tls.sendall(b"abc\n")
            assert tls.recv() == b"cba\n"
    with ThreadServer(tlsglass.ServerConfig.from_files(cert, key), echo) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(tmp_path / "ca.pem"), "-verify_return_error",
                "-tls1_2"]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"ping\n")
            out = client.wait_output("ping")
    assert "Peer signature type: ed25519" in out.replace("Ed25519", "ed25519")
    assert "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" in out
    assert not srv.errors, srv.errors
