"""Client certificates in TLS 1.2 (RFC 5246 §7.4.4, §7.4.6, §7.4.8): in memory, with
Python's ssl both ways, and with `openssl s_server -Verify` / `s_client -cert`."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest

import tlsglass
from helpers import NOW, Pair, Pki, client_config, server_config
from interop.test_python_ssl import OpenSSLPeer
from peers import ThreadServer, echo, free_port, need, run
from tlsglass import AlertDescription as AD
from tlsglass import Connection, ProtocolVersion
from tlsglass.errors import RemoteProtocolError
from tlsglass.io import connect
from tlsglass.observe import MessageTrace
from tlsglass.wire.handshake12 import CertificateRequest12

V12 = ProtocolVersion.TLS1_2


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def _server(pki: Pki, mode: str = "required", **options: object) -> tlsglass.ServerConfig:
    return server_config(pki.issue(), client_auth=mode, client_trust=pki.trust,
                         maximum_version=V12, **options)


@pytest.mark.parametrize("kind", ["ec256", "ec384", "rsa2048"])
def test_client_certificate_is_verified_and_exposed(pki: Pki, kind: str) -> None:
    alice = pki.issue(names=("alice.example",), server=False, kind=kind)
    trace: list[object] = []
    pair = Pair(client_config(pki, certificate=alice.certified, trace=trace.append),
                _server(pki)).handshake()
    assert pair.client.version == V12
    assert pair.server.peer_certificates == alice.certified.chain
    request = next(r.message for r in trace if isinstance(r, MessageTrace)
                   and isinstance(r.message, CertificateRequest12))
    assert request.certificate_authorities == (pki.trust.certificates[0].subject_der,)
    assert set(request.certificate_types) == {1, 64}
    pair.client.send_application_data(b"hi")
    pair.pump()
    assert pair.data("server") == b"hi"


def test_optional_client_certificate(pki: Pki) -> None:
    pair = Pair(client_config(pki), _server(pki, "optional")).handshake()
    assert pair.server.peer_certificates == ()
    assert pair.server.version == V12


@pytest.mark.parametrize(("name", "make", "alert"), [
    ("none given", lambda pki: None, AD.HANDSHAKE_FAILURE),
    ("unknown CA", lambda pki: Pki("stranger").issue(names=("x",), server=False),
     AD.UNKNOWN_CA),
    ("expired", lambda pki: pki.issue(names=("x",), server=False, days=1,
                                      not_before=NOW - datetime.timedelta(days=10)),
     AD.CERTIFICATE_EXPIRED),
])
def test_refused_client_certificates(pki: Pki, name: str, make: object, alert: AD) -> None:
    issued = make(pki)  # type: ignore[operator]
    options = {"certificate": issued.certified} if issued is not None else {}
    pair = Pair(client_config(pki, **options), _server(pki))
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == alert


def test_certificate_verify_that_does_not_verify(pki: Pki) -> None:
    """A CertificateVerify made with another key than the certificate's is refused."""
    alice = pki.issue(names=("alice",), server=False)
    mallory = pki.issue(names=("mallory",), server=False)
    impostor = tlsglass.config.CertifiedKey.__new__(tlsglass.config.CertifiedKey)
    object.__setattr__(impostor, "chain", alice.certified.chain)
    object.__setattr__(impostor, "private_key", mallory.key)
    pair = Pair(client_config(pki, certificate=impostor), _server(pki))
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == AD.DECRYPT_ERROR


# -- against OpenSSL -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def files(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("mtls12")
    (directory / "ca.pem").write_bytes(pki.pem)
    server_cert, server_key = pki.write(directory, pki.issue(), stem="server")
    client_cert, client_key = pki.write(directory, pki.issue(names=("alice",), server=False,
                                                             kind="rsa2048"), stem="client")
    return {"ca": directory / "ca.pem", "server_cert": server_cert, "server_key": server_key,
            "client_cert": client_cert, "client_key": client_key}


def test_ssl_server_requires_our_certificate(pki: Pki, files: dict[str, Path]) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(files["server_cert"], files["server_key"])
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(files["ca"])
    alice = tlsglass.config.CertifiedKey.from_files(files["client_cert"], files["client_key"])
    tls = Connection(client_config(pki, certificate=alice))
    peer = OpenSSLPeer(ctx, True, tls)
    peer.handshake()
    assert tls.version == V12
    cert = peer.obj.getpeercert()
    assert cert is not None and cert["subject"] == ((("commonName", "alice"),),)
    peer.exchange(10_000)


def test_ssl_client_presents_a_certificate(pki: Pki, files: dict[str, Path]) -> None:
    ctx = ssl.create_default_context(cafile=str(files["ca"]))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(files["client_cert"], files["client_key"])
    tls = Connection(_server(pki))
    peer = OpenSSLPeer(ctx, False, tls, "localhost")
    peer.handshake()
    assert tls.peer_certificates[0].subject == "CN=alice"
    peer.exchange(10_000)


def test_openssl_s_server_verify(pki: Pki, files: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
            str(files["server_cert"]), "-key", str(files["server_key"]), "-tls1_2",
            "-Verify", "1", "-CAfile", str(files["ca"]), "-verify_return_error", "-naccept", "1"]
    alice = tlsglass.config.CertifiedKey.from_files(files["client_cert"], files["client_key"])
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(server_name="localhost", trust=pki.trust,
                                       certificate=alice)
        with connect("127.0.0.1", port, config) as tls:
            assert tls.conn.version == V12
            tls.sendall(b"hello from alice\n")
            out = server.wait_output("hello from alice")
    assert "subject=CN = alice" in out


def test_openssl_s_client_cert(pki: Pki, files: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    seen: list[str] = []

    def handler(tls: tlsglass.io.TLSSocket) -> None:
        seen.append(tls.conn.peer_certificates[0].subject)
        echo(tls)

    with ThreadServer(_server(pki), handler) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(files["ca"]), "-verify_return_error", "-tls1_2",
                "-cert", str(files["client_cert"]), "-key", str(files["client_key"])]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"ping\n")
            client.wait_output("ping")
    assert not srv.errors, srv.errors
    assert seen == ["CN=alice"]
