"""tlsglass against OpenSSL in the same process, through Python's ssl MemoryBIO/SSLObject.

Python's ssl cannot choose TLS 1.3 suites or groups, so tlsglass narrows each
handshake to the one suite or group under test; OpenSSL must then agree on it.
"""

from __future__ import annotations

import contextlib
import ssl
from pathlib import Path

import pytest

import tlsglass
from helpers import Issued, Pki, client_config, server_config
from tlsglass import CipherSuite, Connection, NamedGroup, SignatureScheme

pytestmark = pytest.mark.interop

SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384,
          CipherSuite.TLS_CHACHA20_POLY1305_SHA256]
# The groups OpenSSL 3.0 speaks in TLS 1.3 that tlsglass also has.
GROUPS = [NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1, NamedGroup.X448]
KINDS = ["ec256", "ec384", "rsa2048", "ed25519", "ed448"]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def files(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    directory = tmp_path_factory.mktemp("ssl-interop")
    (directory / "ca.pem").write_bytes(pki.pem)
    out = {}
    for kind in KINDS:
        out[kind] = pki.write(directory, pki.issue(kind=kind), stem=kind)
    return out


@pytest.fixture(scope="module")
def ca_file(files: dict[str, tuple[Path, Path]]) -> Path:
    return next(iter(files.values()))[0].parent / "ca.pem"


class OpenSSLPeer:
    """An ssl.SSLObject over two MemoryBIOs, driven against a tlsglass Connection."""

    def __init__(self, ctx: ssl.SSLContext, server_side: bool, tls: Connection,
                 server_hostname: str | None = None) -> None:
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=server_side,
                                server_hostname=server_hostname)
        self.tls = tls
        self.events: list[tlsglass.Event] = []

    def shuttle(self) -> bool:
        moved = False
        data = self.tls.data_to_send()
        if data:
            self.incoming.write(data)
            moved = True
        out = self.outgoing.read()
        if out:
            self.events.extend(self.tls.receive_data(out))
            moved = True
        return moved

    def handshake(self) -> None:
        if self.tls.role == "client":
            self.tls.start_handshake()
        for _ in range(20):
            self.shuttle()
            try:
                self.obj.do_handshake()
            except ssl.SSLWantReadError:
                continue
            finally:
                self.shuttle()
            if self.tls.handshake_complete:
                return
        raise AssertionError(f"no handshake: tlsglass in {self.tls.state}")

    def openssl_reads(self) -> bytes:
        self.shuttle()
        chunks = []
        while True:
            try:
                chunks.append(self.obj.read(1 << 16))
            except ssl.SSLWantReadError:
                break
            finally:
                self.shuttle()
        return b"".join(chunks)

    def tlsglass_reads(self) -> bytes:
        self.shuttle()
        data = b"".join(e.data for e in self.events if isinstance(e, tlsglass.ApplicationData))
        self.events = [e for e in self.events if not isinstance(e, tlsglass.ApplicationData)]
        return data

    def exchange(self, size: int = 100_000) -> None:
        payload = bytes(range(256)) * (size // 256)
        self.tls.send_application_data(payload)
        assert self.openssl_reads() == payload
        self.obj.write(payload[::-1])
        assert self.tlsglass_reads() == payload[::-1]


def ssl_server(files: dict[str, tuple[Path, Path]], kind: str,
               alpn: list[str] | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(*files[kind])
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def ssl_client(ca_file: Path, alpn: list[str] | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_file))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_tlsglass_client_openssl_server(pki: Pki, files: dict[str, tuple[Path, Path]],
                                        suite: CipherSuite, group: NamedGroup) -> None:
    tls = Connection(client_config(pki, cipher_suites=(suite,), groups=(group,),
                                   key_share_groups=(group,)))
    peer = OpenSSLPeer(ssl_server(files, "ec256"), True, tls)
    peer.handshake()
    assert peer.obj.version() == "TLSv1.3"
    assert peer.obj.cipher()[0] == suite.name  # type: ignore[index]
    assert tls.group == group
    peer.exchange()


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_openssl_client_tlsglass_server(pki: Pki, ca_file: Path, suite: CipherSuite,
                                        group: NamedGroup) -> None:
    issued: Issued = pki.issue(kind="ec256")
    tls = Connection(server_config(issued, cipher_suites=(suite,), groups=(group,)))
    peer = OpenSSLPeer(ssl_client(ca_file), False, tls, server_hostname="localhost")
    peer.handshake()
    assert peer.obj.cipher()[0] == suite.name  # type: ignore[index]
    assert tls.group == group  # anything but x25519 took a HelloRetryRequest
    peer.exchange()


@pytest.mark.parametrize("kind", KINDS)
def test_certificate_kinds_both_ways(pki: Pki, files: dict[str, tuple[Path, Path]],
                                     ca_file: Path, kind: str) -> None:
    tls = Connection(client_config(pki))
    peer = OpenSSLPeer(ssl_server(files, kind), True, tls)
    peer.handshake()
    peer.exchange(1000)
    server = Connection(tlsglass.ServerConfig.from_files(*files[kind]))
    peer = OpenSSLPeer(ssl_client(ca_file), False, server, server_hostname="localhost")
    peer.handshake()
    peer.exchange(1000)
    assert server.signature_scheme is not None
    if kind == "rsa2048":
        assert server.signature_scheme == SignatureScheme.RSA_PSS_RSAE_SHA256


def test_alpn_and_sni_both_ways(pki: Pki, files: dict[str, tuple[Path, Path]],
                                ca_file: Path) -> None:
    tls = Connection(client_config(pki, alpn_protocols=("h2", "http/1.1")))
    seen: list[str | None] = []
    ctx = ssl_server(files, "ec256", alpn=["http/1.1"])
    ctx.sni_callback = lambda obj, name, ctx: seen.append(name)
    peer = OpenSSLPeer(ctx, True, tls)
    peer.handshake()
    assert seen == ["localhost"]
    assert tls.alpn_protocol == peer.obj.selected_alpn_protocol() == "http/1.1"

    server = Connection(tlsglass.ServerConfig.from_files(*files["ec256"],
                                                         alpn_protocols=("h2", "http/1.1")))
    peer = OpenSSLPeer(ssl_client(ca_file, alpn=["http/1.1", "h2"]), False, server,
                       server_hostname="localhost")
    peer.handshake()
    assert server.server_name == "localhost"
    assert server.alpn_protocol == peer.obj.selected_alpn_protocol() == "h2"


def test_key_update_with_openssl(pki: Pki, files: dict[str, tuple[Path, Path]],
                                 ca_file: Path) -> None:
    """tlsglass updates its keys and asks OpenSSL to update too; data flows after both."""
    tls = Connection(client_config(pki))
    peer = OpenSSLPeer(ssl_server(files, "ec256"), True, tls)
    peer.handshake()
    for _ in range(3):
        tls.key_update(request_peer=True)
        peer.exchange(5000)  # OpenSSL answers with its own KeyUpdate before its data
        assert tlsglass.KeyUpdated(direction="read", requested_by_peer=False) in peer.events
        peer.events.clear()
    server = Connection(tlsglass.ServerConfig.from_files(*files["ec256"]))
    peer = OpenSSLPeer(ssl_client(ca_file), False, server, server_hostname="localhost")
    peer.handshake()
    server.key_update(request_peer=True)
    peer.exchange(5000)
    assert tlsglass.KeyUpdated(direction="read", requested_by_peer=False) in peer.events


def test_openssl_refuses_a_wrong_host_and_tlsglass_refuses_one(
        pki: Pki, files: dict[str, tuple[Path, Path]], ca_file: Path) -> None:
    tls = Connection(client_config(pki, server_name="not-localhost.test"))
    peer = OpenSSLPeer(ssl_server(files, "ec256"), True, tls)
    with pytest.raises(tlsglass.RemoteProtocolError) as info:
        peer.handshake()
    assert info.value.alert == tlsglass.AlertDescription.BAD_CERTIFICATE
    # OpenSSL reads our alert and reports it.
    peer.incoming.write(tls.data_to_send())
    with pytest.raises(ssl.SSLError, match=r"BAD_CERTIFICATE|bad certificate"):
        peer.obj.do_handshake()


def test_close_notify_with_openssl(pki: Pki, files: dict[str, tuple[Path, Path]]) -> None:
    tls = Connection(client_config(pki))
    peer = OpenSSLPeer(ssl_server(files, "ec256"), True, tls)
    peer.handshake()
    tls.close()
    peer.incoming.write(tls.data_to_send())
    with contextlib.suppress(ssl.SSLZeroReturnError):
        assert peer.obj.read(10) == b""  # close_notify reads as a clean end
    with contextlib.suppress(ssl.SSLWantReadError):
        peer.obj.unwrap()
    assert tls.receive_data(peer.outgoing.read()) == [tlsglass.ConnectionClosed()]
