"""tlsglass against the `openssl` command: s_server and s_client on 127.0.0.1.

Every TLS 1.3 suite and every group the installed OpenSSL shares with tlsglass,
RSA, ECDSA and Ed25519 certificates, ALPN, SNI, and a KeyUpdate in each direction.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import tlsglass
from helpers import Pki
from peers import ThreadServer, echo, free_port, need, run
from tlsglass import CipherSuite, NamedGroup
from tlsglass.io import connect
from tlsglass.observe import MessageTrace

pytestmark = pytest.mark.interop

SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384,
          CipherSuite.TLS_CHACHA20_POLY1305_SHA256]
OPENSSL_GROUPS = {NamedGroup.X25519: "X25519", NamedGroup.SECP256R1: "P-256",
                  NamedGroup.SECP384R1: "P-384", NamedGroup.X448: "X448",
                  NamedGroup.FFDHE2048: "ffdhe2048"}
CLIENT_GROUPS = (NamedGroup.X25519MLKEM768, NamedGroup.X25519, NamedGroup.SECP256R1,
                 NamedGroup.SECP384R1, NamedGroup.X448, NamedGroup.FFDHE2048)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def pem(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    need("openssl")
    directory = tmp_path_factory.mktemp("openssl")
    (directory / "ca.pem").write_bytes(pki.pem)
    files = {kind: pki.write(directory, pki.issue(kind=kind), stem=kind)
             for kind in ("ec256", "rsa2048", "ed25519")}
    files["other"] = pki.write(directory, pki.issue(names=("other.test",)), stem="other")
    return files


def _ca(pem: dict[str, tuple[Path, Path]]) -> Path:
    return pem["ec256"][0].parent / "ca.pem"


def _client(pem: dict[str, tuple[Path, Path]], **options: object) -> tlsglass.ClientConfig:
    options.setdefault("server_name", "localhost")
    return tlsglass.ClientConfig(trust=tlsglass.TrustStore.from_file(_ca(pem)),
                                 **options)  # type: ignore[arg-type]


def _s_server(pem: dict[str, tuple[Path, Path]], port: int, kind: str,
              *extra: str) -> list[str]:
    cert, key = pem[kind]
    return ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
            "-key", str(key), "-tls1_3", "-naccept", "1", *extra]


def _received(trace: list[object], name: str) -> list[object]:
    return [r.message for r in trace if isinstance(r, MessageTrace) and r.direction == "in"
            and type(r.message).__name__ == name]


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@pytest.mark.parametrize("group", list(OPENSSL_GROUPS), ids=lambda g: g.name)
def test_tlsglass_client_openssl_s_server(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                          suite: CipherSuite, group: NamedGroup) -> None:
    port = free_port()
    args = _s_server(pem, port, "ec256", "-rev", "-ciphersuites", suite.name,
                     "-groups", OPENSSL_GROUPS[group])
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        trace: list[object] = []
        config = _client(pem, groups=CLIENT_GROUPS, trace=trace.append)
        with connect("127.0.0.1", port, config) as tls:
            assert tls.conn.cipher_suite == suite
            assert tls.conn.group == group
            tls.sendall(b"hello openssl\n")
            assert tls.recv() == b"lssnepo olleh\n"
            tls.key_update(request_peer=True)  # ours, and OpenSSL must answer with its own
            tls.sendall(b"after key update\n")
            assert tls.recv() == b"etadpu yek retfa\n"
            assert len(_received(trace, "KeyUpdate")) == 1
        if group != NamedGroup.X25519:
            hellos = _received(trace, "ServerHello")
            assert hellos[0].is_hello_retry_request  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["ec256", "rsa2048", "ed25519"])
def test_certificate_kinds_with_alpn(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                     kind: str) -> None:
    port = free_port()
    with run(_s_server(pem, port, kind, "-rev", "-alpn", "h2,http/1.1"), tmp_path) as server:
        server.wait_output("ACCEPT")
        config = _client(pem, alpn_protocols=("http/1.1", "h2"))
        with connect("127.0.0.1", port, config) as tls:
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.conn.peer_certificates[0].key_description.startswith(
                {"ec256": "ECDSA", "rsa2048": "RSA", "ed25519": "Ed25519"}[kind])
            tls.sendall(b"abc\n")
            assert tls.recv() == b"cba\n"


def test_sni_picks_the_second_certificate(pem: dict[str, tuple[Path, Path]],
                                          tmp_path: Path) -> None:
    port = free_port()
    cert2, key2 = pem["other"]
    args = _s_server(pem, port, "ec256", "-rev", "-servername", "other.test",
                     "-cert2", str(cert2), "-key2", str(key2))
    with run(args, tmp_path) as server:
        server.wait_output("ACCEPT")
        with connect("127.0.0.1", port, _client(pem, server_name="other.test")) as tls:
            assert tls.conn.peer_certificates[0].dns_names == ("other.test",)
            tls.sendall(b"x\n")
            assert tls.recv() == b"x\n"


def test_key_update_requested_by_openssl(pem: dict[str, tuple[Path, Path]],
                                         tmp_path: Path) -> None:
    port = free_port()
    with run(_s_server(pem, port, "ec256"), tmp_path) as server:
        server.wait_output("ACCEPT")
        trace: list[object] = []
        with connect("127.0.0.1", port, _client(pem, trace=trace.append)) as tls:
            server.wait_output("CIPHER is")
            server.send(b"K\n")  # s_server: KeyUpdate with update_requested
            time.sleep(0.5)  # s_server reads a command only when it stands alone in a read
            server.send(b"typed by openssl\n")
            data = b""
            while b"typed by openssl" not in data:
                data += tls.recv()
            updates = _received(trace, "KeyUpdate")
            assert [u.request_update for u in updates] == [1]  # type: ignore[attr-defined]
            tls.sendall(b"answered under new keys\n")
            server.wait_output("answered under new keys")


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@pytest.mark.parametrize("group", list(OPENSSL_GROUPS), ids=lambda g: g.name)
def test_openssl_s_client_tlsglass_server(pem: dict[str, tuple[Path, Path]], tmp_path: Path,
                                          suite: CipherSuite, group: NamedGroup) -> None:
    trace: list[object] = []
    config = tlsglass.ServerConfig.from_files(
        *pem["ec256"], alpn_protocols=("h2", "http/1.1"), cipher_suites=(suite,),
        groups=(group,), trace=trace.append)
    with ThreadServer(config, echo) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(_ca(pem)), "-verify_return_error",
                "-alpn", "http/1.1,h2", "-groups", OPENSSL_GROUPS[group]]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"hello tlsglass\n")
            client.wait_output("hello tlsglass")
            client.send(b"K\n")  # s_client: KeyUpdate with update_requested
            client.wait_output("KEYUPDATE")
            client.send(b"after update\n")
            out = client.wait_output("after update")
    assert f"Cipher is {suite.name}" in out
    assert "ALPN protocol: h2" in out
    assert not srv.errors, srv.errors
    updates = _received(trace, "KeyUpdate")
    assert [u.request_update for u in updates] == [1]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["ec256", "rsa2048", "ed25519"])
def test_s_client_verifies_each_certificate_kind(pem: dict[str, tuple[Path, Path]],
                                                 tmp_path: Path, kind: str) -> None:
    config = tlsglass.ServerConfig.from_files(*pem[kind])
    with ThreadServer(config, echo) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(_ca(pem)), "-verify_return_error"]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"ping\n")
            client.wait_output("ping")
    assert not srv.errors, srv.errors


def test_s_client_refuses_a_certificate_for_another_name(pem: dict[str, tuple[Path, Path]],
                                                         tmp_path: Path) -> None:
    config = tlsglass.ServerConfig.from_files(*pem["other"])
    with ThreadServer(config, echo) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-verify_hostname", "localhost", "-CAfile", str(_ca(pem)),
                "-verify_return_error"]
        with run(args, tmp_path, "s_client") as client:
            client.proc.wait(10)
    srv_errors = list(srv.errors)  # read after the server thread has finished
    assert "hostname mismatch" in client.output()
    assert any(isinstance(e, tlsglass.FatalAlertReceived) for e in srv_errors), srv_errors
