"""The client's certificate selector (RFC 8446 §4.3.2, §4.2.4): in memory and with openssl."""

from __future__ import annotations

from pathlib import Path

import pytest

import tlsglass
from helpers import Pair, Pki, client_config, server_config
from peers import free_port, need, run
from tlsglass import AlertDescription as AD
from tlsglass import CertificateRequestInfo, CertifiedKey, ClientCertificates
from tlsglass.ca import LocalCA
from tlsglass.enums import SignatureScheme
from tlsglass.errors import RemoteProtocolError
from tlsglass.io import connect


@pytest.fixture(scope="module")
def ours() -> Pki:
    return Pki("the server's client CA")


@pytest.fixture(scope="module")
def stranger() -> Pki:
    return Pki("some other CA")


class Recorder:
    """A selector that remembers what it was asked, and delegates."""

    def __init__(self, inner: tlsglass.ClientCertificateSelector) -> None:
        self.inner = inner
        self.seen: list[CertificateRequestInfo] = []

    def __call__(self, request: CertificateRequestInfo) -> CertifiedKey | None:
        self.seen.append(request)
        return self.inner(request)


def _server(pki: Pki, **options: object) -> tlsglass.ServerConfig:
    return server_config(pki.issue(), client_auth="required", client_trust=pki.trust, **options)


def test_picks_the_certificate_from_a_named_authority(ours: Pki, stranger: Pki) -> None:
    wrong = stranger.issue(names=("wrong.test",), server=False)
    right = ours.issue(names=("right.test",), server=False)
    selector = Recorder(ClientCertificates((wrong.certified, right.certified)))
    pair = Pair(client_config(ours, certificate_selector=selector), _server(ours)).handshake()
    assert pair.server.peer_certificates == right.certified.chain
    (info,) = selector.seen
    assert info.certificate_authorities == (ours.trust.certificates[0].subject_der,)
    assert SignatureScheme.ECDSA_SECP256R1_SHA256 in info.signature_schemes
    assert info.server_name == "localhost" and not info.post_handshake


def test_skips_keys_that_cannot_sign_an_accepted_scheme(ours: Pki) -> None:
    ed = ours.issue(names=("ed.test",), server=False, kind="ed25519")
    ec = ours.issue(names=("ec.test",), server=False)
    server = _server(ours, signature_schemes=(SignatureScheme.ECDSA_SECP256R1_SHA256,))
    selector = ClientCertificates((ed.certified, ec.certified))
    pair = Pair(client_config(ours, certificate_selector=selector), server).handshake()
    assert pair.server.peer_certificates == ec.certified.chain


def test_chain_through_an_intermediate_matches_the_root(tmp_path: Path) -> None:
    ca = LocalCA.init(tmp_path / "ca", intermediate=True)
    server_files = ca.issue_server(["localhost"])
    client_files = ca.issue_client("carol")
    assert server_files.key_path is not None and client_files.key_path is not None
    certified = CertifiedKey.from_files(client_files.certificate_path, client_files.key_path)
    server = tlsglass.ServerConfig.from_files(server_files.certificate_path,
                                              server_files.key_path, client_auth="required",
                                              client_trust=ca.trust)
    client = tlsglass.ClientConfig(server_name="localhost", trust=ca.trust,
                                   certificate_selector=ClientCertificates((certified,)))
    pair = Pair(client, server).handshake()
    assert pair.server.peer_certificates[0].subject == "CN=carol"


def test_no_match_sends_an_empty_certificate(ours: Pki, stranger: Pki) -> None:
    wrong = stranger.issue(names=("wrong.test",), server=False)
    config = client_config(ours, certificate_selector=ClientCertificates((wrong.certified,)))
    pair = Pair(config, _server(ours))
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == AD.CERTIFICATE_REQUIRED


def test_certificate_and_selector_are_exclusive(ours: Pki) -> None:
    issued = ours.issue(names=("x.test",), server=False)
    with pytest.raises(tlsglass.ConfigError, match="not both"):
        client_config(ours, certificate=issued.certified,
                      certificate_selector=ClientCertificates((issued.certified,)))


@pytest.mark.interop
def test_openssl_s_server_with_a_ca_list(ours: Pki, stranger: Pki, tmp_path: Path) -> None:
    need("openssl")
    (tmp_path / "ca.pem").write_bytes(ours.pem)
    cert, key = ours.write(tmp_path, ours.issue())
    wrong = stranger.issue(names=("wrong.test",), server=False)
    right = ours.issue(names=("right.test",), server=False)
    selector = Recorder(ClientCertificates((wrong.certified, right.certified)))
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
            "-key", str(key), "-Verify", "1", "-CAfile", str(tmp_path / "ca.pem"),
            "-verify_return_error", "-rev", "-naccept", "1"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(server_name="localhost", trust=ours.trust,
                                       certificate_selector=selector)
        with connect("127.0.0.1", port, config) as tls:
            tls.sendall(b"chosen\n")
            assert tls.recv() == b"nesohc\n"
    (info,) = selector.seen
    assert info.certificate_authorities == (ours.trust.certificates[0].subject_der,)
    assert "right.test" in server.output()


# -- TLS 1.2 (RFC 5246 §7.4.4): the same selector answers its CertificateRequest ---------------


def test_tls12_selector_picks_from_the_named_authorities(ours: Pki, stranger: Pki) -> None:
    wrong = stranger.issue(names=("wrong.test",), server=False)
    right = ours.issue(names=("right.test",), server=False)
    selector = Recorder(ClientCertificates((wrong.certified, right.certified)))
    client = client_config(ours, certificate_selector=selector,
                           maximum_version=tlsglass.ProtocolVersion.TLS1_2)
    pair = Pair(client, _server(ours)).handshake()
    assert pair.client.version == tlsglass.ProtocolVersion.TLS1_2
    assert pair.server.peer_certificates == right.certified.chain
    (info,) = selector.seen
    assert info.certificate_authorities == (ours.trust.certificates[0].subject_der,)
    assert SignatureScheme.ECDSA_SECP256R1_SHA256 in info.signature_schemes
    assert info.server_name == "localhost" and not info.post_handshake


def test_tls12_selector_declining_sends_an_empty_certificate(ours: Pki, stranger: Pki) -> None:
    wrong = stranger.issue(names=("wrong.test",), server=False)
    client = client_config(ours, certificate_selector=ClientCertificates((wrong.certified,)),
                           maximum_version=tlsglass.ProtocolVersion.TLS1_2)
    pair = Pair(client, _server(ours))
    with pytest.raises(RemoteProtocolError) as info:
        pair.handshake()
    # RFC 5246 §7.4.6: an empty Certificate; a server that requires one says handshake_failure.
    assert info.value.alert == AD.HANDSHAKE_FAILURE


@pytest.mark.interop
def test_tls12_openssl_s_server_with_a_ca_list(ours: Pki, stranger: Pki, tmp_path: Path) -> None:
    need("openssl")
    (tmp_path / "ca.pem").write_bytes(ours.pem)
    cert, key = ours.write(tmp_path, ours.issue())
    wrong = stranger.issue(names=("wrong.test",), server=False)
    right = ours.issue(names=("right.test",), server=False)
    selector = Recorder(ClientCertificates((wrong.certified, right.certified)))
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
            "-key", str(key), "-Verify", "1", "-CAfile", str(tmp_path / "ca.pem"),
            "-verify_return_error", "-rev", "-naccept", "1", "-tls1_2"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(server_name="localhost", trust=ours.trust,
                                       certificate_selector=selector)
        with connect("127.0.0.1", port, config) as tls:
            assert tls.version() == "TLS1_2"
            tls.sendall(b"chosen\n")
            assert tls.recv() == b"nesohc\n"
    (info,) = selector.seen
    assert info.certificate_authorities == (ours.trust.certificates[0].subject_der,)
    assert "right.test" in server.output()
