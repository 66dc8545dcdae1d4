"""TLS 1.2 against OpenSSL in the same process, through Python's ssl MemoryBIO/SSLObject.

Every ECDHE suite both sides have, with the matching certificate kind, both roles;
X25519, P-256 and P-384; ALPN and SNI; close_notify; and the RFC 8446 §4.1.3
downgrade sentinel, set by each side and caught by the other.
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import replace
from pathlib import Path

import pytest

import tlsglass
from helpers import Pki, client_config, server_config
from interop.test_python_ssl import OpenSSLPeer
from tlsglass import CipherSuite, Connection, NamedGroup, ProtocolVersion
from tlsglass.enums import AlertDescription
from tlsglass.errors import FatalAlertReceived, RemoteProtocolError
from tlsglass.wire import ClientHello

pytestmark = pytest.mark.interop

# tlsglass suite -> (OpenSSL name, certificate kind)
SUITES = {
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: ("ECDHE-ECDSA-AES128-GCM-SHA256", "ec256"),
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: ("ECDHE-ECDSA-AES256-GCM-SHA384", "ec256"),
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: ("ECDHE-ECDSA-CHACHA20-POLY1305",
                                                                "ec256"),
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: ("ECDHE-RSA-AES128-GCM-SHA256", "rsa2048"),
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: ("ECDHE-RSA-AES256-GCM-SHA384", "rsa2048"),
    CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: ("ECDHE-RSA-CHACHA20-POLY1305",
                                                              "rsa2048"),
}
GROUPS = {NamedGroup.X25519: "X25519", NamedGroup.SECP256R1: "prime256v1",
          NamedGroup.SECP384R1: "secp384r1"}


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def files(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    directory = tmp_path_factory.mktemp("ssl12")
    (directory / "ca.pem").write_bytes(pki.pem)
    return {kind: pki.write(directory, pki.issue(kind=kind), stem=kind)
            for kind in ("ec256", "ec384", "rsa2048")}


def _ssl_server(files: dict[str, tuple[Path, Path]], kind: str, ciphers: str | None = None,
                maximum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = maximum
    ctx.load_cert_chain(*files[kind])
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def _ssl_client(pki: Pki, tmp: Path, ciphers: str | None = None,
                maximum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2) -> ssl.SSLContext:
    ca = tmp / "ca.pem"
    ca.write_bytes(pki.pem)
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.maximum_version = maximum
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
@pytest.mark.parametrize("suite", list(SUITES), ids=lambda s: s.name)
def test_tlsglass_client_ssl_server(pki: Pki, files: dict[str, tuple[Path, Path]],
                                    suite: CipherSuite, group: NamedGroup) -> None:
    name, kind = SUITES[suite]
    # RFC 8422 §5.1: the ECDSA certificate's curve (P-256) must be among the client's groups.
    groups = tuple(dict.fromkeys((group, NamedGroup.SECP256R1)))
    tls = Connection(client_config(pki, tls12_cipher_suites=(suite,), groups=groups))
    ctx = _ssl_server(files, kind, name)
    ctx.set_ecdh_curve(GROUPS[group])
    peer = OpenSSLPeer(ctx, True, tls)
    peer.handshake()
    assert tls.version == ProtocolVersion.TLS1_2 and peer.obj.version() == "TLSv1.2"
    assert tls.cipher_suite == suite and (peer.obj.cipher() or ("",))[0] == name
    assert tls.group == group
    peer.exchange()


@pytest.mark.parametrize("suite", list(SUITES), ids=lambda s: s.name)
def test_ssl_client_tlsglass_server(pki: Pki, tmp_path: Path, suite: CipherSuite) -> None:
    name, kind = SUITES[suite]
    tls = Connection(server_config(pki.issue(kind=kind), tls12_cipher_suites=(suite,)))
    peer = OpenSSLPeer(_ssl_client(pki, tmp_path, name), False, tls, "localhost")
    peer.handshake()
    assert tls.version == ProtocolVersion.TLS1_2 and peer.obj.version() == "TLSv1.2"
    assert (peer.obj.cipher() or ("",))[0] == name
    peer.exchange()


def test_alpn_sni_and_close_notify_both_ways(pki: Pki, files: dict[str, tuple[Path, Path]],
                                             tmp_path: Path) -> None:
    server_ctx = _ssl_server(files, "ec384")
    server_ctx.set_alpn_protocols(["h2", "http/1.1"])
    client = Connection(client_config(pki, alpn_protocols=("http/1.1", "h2")))
    peer = OpenSSLPeer(server_ctx, True, client)
    peer.handshake()
    assert client.alpn_protocol == "h2" and peer.obj.selected_alpn_protocol() == "h2"
    _close_and_answer(peer, client)

    client_ctx = _ssl_client(pki, tmp_path)
    client_ctx.set_alpn_protocols(["http/1.1"])
    server = Connection(server_config(pki.issue(kind="rsa2048"), alpn_protocols=("http/1.1",)))
    peer = OpenSSLPeer(client_ctx, False, server, "localhost")
    peer.handshake()
    assert server.alpn_protocol == "http/1.1" and server.server_name == "localhost"
    peer.obj.write(b"bye")
    assert peer.tlsglass_reads() == b"bye"
    _close_and_answer(peer, server)


def _close_and_answer(peer: OpenSSLPeer, tls: Connection) -> None:
    """Our close_notify reads as a clean end on OpenSSL's side; its own comes back."""
    tls.close()
    peer.incoming.write(tls.data_to_send())
    with contextlib.suppress(ssl.SSLZeroReturnError):
        assert peer.obj.read(10) == b""
    with contextlib.suppress(ssl.SSLWantReadError):
        peer.obj.unwrap()
    assert tls.receive_data(peer.outgoing.read()) == [tlsglass.ConnectionClosed()]


def _strip_supported_versions(hello: ClientHello) -> ClientHello:
    return replace(hello, extensions=tuple(e for e in hello.extensions if e.type_code != 43))


def test_tlsglass_client_catches_openssl_downgrade(pki: Pki,
                                                   files: dict[str, tuple[Path, Path]]) -> None:
    """A middlebox strips supported_versions; OpenSSL (1.3-capable) answers in 1.2 with the
    sentinel in its random, and the client refuses with illegal_parameter."""
    tls = Connection(client_config(pki, hello_hook=_strip_supported_versions))
    peer = OpenSSLPeer(_ssl_server(files, "ec256", maximum=ssl.TLSVersion.TLSv1_3), True, tls)
    with pytest.raises(RemoteProtocolError, match="downgrade sentinel") as info:
        peer.handshake()
    assert info.value.alert == AlertDescription.ILLEGAL_PARAMETER


def test_openssl_client_catches_tlsglass_downgrade(pki: Pki, tmp_path: Path) -> None:
    """Stripping supported_versions from OpenSSL's ClientHello makes tlsglass answer in 1.2
    with the sentinel; OpenSSL, which can speak 1.3, aborts with illegal_parameter."""
    ctx = _ssl_client(pki, tmp_path, maximum=ssl.TLSVersion.TLSv1_3)
    server = Connection(server_config(pki.issue()))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLError):
        obj.do_handshake()
    hello_record = outgoing.read()
    stripped = _strip_in_record(hello_record)
    server.receive_data(stripped)
    assert server.version == ProtocolVersion.TLS1_2
    incoming.write(server.data_to_send())
    # OpenSSL names the sentinel check "inappropriate fallback" and sends illegal_parameter.
    with pytest.raises(ssl.SSLError, match="INAPPROPRIATE_FALLBACK"):
        obj.do_handshake()
    with pytest.raises(FatalAlertReceived) as info:
        server.receive_data(outgoing.read())
    assert info.value.description == AlertDescription.ILLEGAL_PARAMETER


def _strip_in_record(record: bytes) -> bytes:
    from tlsglass.wire import Reader, Writer, encode_handshake
    r = Reader(record[5 + 4:])
    hello = _strip_supported_versions(ClientHello.decode(r))
    body = encode_handshake(hello)
    w = Writer()
    w.u8(22)
    w.u16(0x0301)
    w.opaque(2, body)
    return w.getvalue()


def test_version_range_is_honoured(pki: Pki, files: dict[str, tuple[Path, Path]]) -> None:
    """A client that requires 1.3 refuses a 1.2-only OpenSSL with protocol_version."""
    tls = Connection(client_config(pki, minimum_version=ProtocolVersion.TLS1_3))
    peer = OpenSSLPeer(_ssl_server(files, "ec256"), True, tls)
    with pytest.raises((ssl.SSLError, tlsglass.TLSError)):
        peer.handshake()
    assert tls.failed
