"""Mutual TLS (RFC 8446 §4.3.2, §4.4.2): in memory, with Python's ssl, and with openssl."""

from __future__ import annotations

import contextlib
import datetime
import ssl
from pathlib import Path

import pytest

import tlsglass
from helpers import NOW, Pair, Pki, client_config, server_config
from peers import ThreadServer, echo, free_port, run
from tlsglass import AlertDescription as AD
from tlsglass.errors import RemoteProtocolError
from tlsglass.io import connect
from tlsglass.observe import MessageTrace
from tlsglass.wire import CertificateAuthorities, CertificateRequest, find


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def _mtls_server(pki: Pki, mode: str = "required", **options: object) -> tlsglass.ServerConfig:
    return server_config(pki.issue(), client_auth=mode, client_trust=pki.trust, **options)


def test_required_client_certificate_is_verified_and_exposed(pki: Pki) -> None:
    alice = pki.issue(names=("alice.example",), server=False, kind="ed25519")
    trace: list[object] = []
    pair = Pair(client_config(pki, certificate=alice.certified, trace=trace.append),
                _mtls_server(pki)).handshake()
    assert pair.server.peer_certificates == alice.certified.chain
    request = next(r.message for r in trace if isinstance(r, MessageTrace)
                   and isinstance(r.message, CertificateRequest))
    authorities = find(request.extensions, CertificateAuthorities)
    assert authorities is not None
    assert authorities.authorities == (pki.trust.certificates[0].subject_der,)
    pair.client.send_application_data(b"hi")
    pair.pump()
    assert pair.data("server") == b"hi"


def test_optional_client_certificate(pki: Pki) -> None:
    pair = Pair(client_config(pki), _mtls_server(pki, "optional")).handshake()
    assert pair.server.peer_certificates == ()


@pytest.mark.parametrize(("name", "make", "alert"), [
    ("none given", lambda pki: None, AD.CERTIFICATE_REQUIRED),
    ("unknown CA", lambda pki: Pki("stranger").issue(names=("x",), server=False),
     AD.UNKNOWN_CA),
    ("expired", lambda pki: pki.issue(names=("x",), server=False, days=1,
                                      not_before=NOW - datetime.timedelta(days=10)),
     AD.CERTIFICATE_EXPIRED),
    ("server-only certificate", lambda pki: pki.issue(names=("x",), server=True),
     AD.UNSUPPORTED_CERTIFICATE),
])
def test_client_certificate_refused(pki: Pki, name: str, make: object, alert: AD) -> None:
    issued = make(pki)  # type: ignore[operator]
    config = client_config(pki, certificate=issued.certified if issued else None)
    pair = Pair(config, _mtls_server(pki))
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == alert, str(info.value)
    with pytest.raises(tlsglass.FatalAlertReceived) as received:
        pair.pump()
    assert received.value.description == alert


def test_config_needs_client_trust(pki: Pki) -> None:
    with pytest.raises(tlsglass.ConfigError):
        server_config(pki.issue(), client_auth="required")


# -- real peers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pem(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("mtls")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue())
    client_cert, client_key = pki.write(directory, pki.issue(names=("client.test",),
                                                             server=False), "client")
    return {"ca": directory / "ca.pem", "cert": cert, "key": key, "client_cert": client_cert,
            "client_key": client_key}


@pytest.mark.interop
def test_python_ssl_client_presents_a_certificate(pem: dict[str, Path]) -> None:
    config = tlsglass.ServerConfig.from_files(
        pem["cert"], pem["key"], client_auth="required",
        client_trust=tlsglass.TrustStore.from_file(pem["ca"]))
    server = tlsglass.Connection(config)
    ctx = ssl.create_default_context(cafile=str(pem["ca"]))
    ctx.load_cert_chain(pem["client_cert"], pem["client_key"])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    for _ in range(10):
        with contextlib.suppress(ssl.SSLWantReadError):
            client.do_handshake()
        server.receive_data(outgoing.read())
        incoming.write(server.data_to_send())
        if server.handshake_complete:
            break
    assert server.handshake_complete
    assert server.peer_certificates[0].dns_names == ("client.test",)


@pytest.mark.interop
def test_tlsglass_client_to_openssl_s_server_requiring_a_certificate(
        pem: dict[str, Path], tmp_path: Path) -> None:
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-Verify", "1", "-CAfile", str(pem["ca"]), "-rev",
            "-naccept", "1", "-verify_return_error"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(
            server_name="localhost", trust=tlsglass.TrustStore.from_file(pem["ca"]),
            certificate=tlsglass.CertifiedKey.from_files(pem["client_cert"], pem["client_key"]))
        with connect("127.0.0.1", port, config) as tls:
            tls.sendall(b"mutual\n")
            assert tls.recv() == b"lautum\n"
    assert "client.test" in server.output() or "CN = client.test" in server.output()


@pytest.mark.interop
def test_openssl_s_client_with_a_certificate_to_tlsglass(pem: dict[str, Path],
                                                         tmp_path: Path) -> None:
    config = tlsglass.ServerConfig.from_files(
        pem["cert"], pem["key"], client_auth="required",
        client_trust=tlsglass.TrustStore.from_file(pem["ca"]))
    seen: list[tuple[str, ...]] = []

    def who(tls: tlsglass.io.TLSSocket) -> None:
        seen.append(tls.conn.peer_certificates[0].dns_names)
        echo(tls)

    with ThreadServer(config, who) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(pem["ca"]), "-cert", str(pem["client_cert"]),
                "-key", str(pem["client_key"])]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"with a certificate\n")
            client.wait_output("with a certificate")
    assert seen == [("client.test",)]
    assert not srv.errors, srv.errors
