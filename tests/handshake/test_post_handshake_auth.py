"""TLS 1.3 post-handshake authentication (RFC 8446 §4.2.6, §4.6.2): in memory, then real peers."""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
from pathlib import Path

import pytest

import tlsglass
from helpers import Pair, Pki, byte_by_byte, client_config, random_splits, server_config
from peers import ThreadServer, free_port, need, run
from tlsglass import AlertDescription as AD
from tlsglass import PostHandshakeAuthComplete
from tlsglass.ca import LocalCA
from tlsglass.errors import (
    IllegalParameter,
    LocalProtocolError,
    MissingExtension,
    RemoteProtocolError,
)
from tlsglass.io import TLSSocket, connect
from tlsglass.observe import MessageTrace
from tlsglass.wire import Certificate, CertificateRequest, ClientHello, PostHandshakeAuth, find


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki("post-handshake root")


def _pair(pki: Pki, split: object = None, **client_options: object) -> Pair:
    client_options.setdefault("post_handshake_auth", True)
    server = server_config(pki.issue(), client_trust=pki.trust)
    if split is None:
        return Pair(client_config(pki, **client_options), server).handshake()
    return Pair(client_config(pki, **client_options), server, split).handshake()  # type: ignore[arg-type]


def _completed(pair: Pair) -> PostHandshakeAuthComplete:
    (event,) = [e for e in pair.take("server") if isinstance(e, PostHandshakeAuthComplete)]
    return event


@pytest.mark.parametrize("split", [None, byte_by_byte, random_splits(7)],
                         ids=["whole", "byte_by_byte", "random"])
def test_server_asks_after_the_handshake(pki: Pki, split: object) -> None:
    alice = pki.issue(names=("alice.test",), server=False)
    trace: list[object] = []
    pair = _pair(pki, split, certificate=alice.certified, trace=trace.append)
    assert pair.server.peer_certificates == ()
    pair.server.request_client_certificate()
    pair.pump()
    event = _completed(pair)
    assert event.peer_certificates == alice.certified.chain
    assert len(event.certificate_request_context) == 16
    assert pair.server.peer_certificates == alice.certified.chain
    request = next(r.message for r in trace if isinstance(r, MessageTrace)
                   and isinstance(r.message, CertificateRequest))
    assert request.certificate_request_context == event.certificate_request_context
    pair.client.send_application_data(b"still talking")
    pair.pump()
    assert pair.data("server") == b"still talking"


def test_two_requests_and_a_key_update_in_between(pki: Pki) -> None:
    alice = pki.issue(names=("alice.test",), server=False)
    pair = _pair(pki, certificate=alice.certified)
    contexts = []
    for _ in range(2):
        pair.server.request_client_certificate()
        pair.client.key_update(request_peer=True)  # crosses the request on the wire
        pair.pump()
        contexts.append(_completed(pair).certificate_request_context)
    assert contexts[0] != contexts[1]


def test_client_without_a_certificate_declines(pki: Pki) -> None:
    pair = _pair(pki)
    pair.server.request_client_certificate()
    pair.pump()
    assert _completed(pair).peer_certificates == ()
    assert pair.server.handshake_complete


def test_client_offers_the_extension_only_when_configured(pki: Pki) -> None:
    for offered in (True, False):
        trace: list[object] = []
        _pair(pki, post_handshake_auth=offered, trace=trace.append)
        hello = next(r.message for r in trace if isinstance(r, MessageTrace)
                     and isinstance(r.message, ClientHello))
        assert (find(hello.extensions, PostHandshakeAuth) is not None) is offered


def test_server_refuses_to_ask_when_it_may_not(pki: Pki) -> None:
    pair = _pair(pki, post_handshake_auth=False)
    with pytest.raises(LocalProtocolError, match="did not offer post_handshake_auth"):
        pair.server.request_client_certificate()
    no_trust = Pair(client_config(pki, post_handshake_auth=True),
                    server_config(pki.issue())).handshake()
    with pytest.raises(LocalProtocolError, match="client_trust"):
        no_trust.server.request_client_certificate()
    pending = _pair(pki)
    pending.server.request_client_certificate()
    with pytest.raises(LocalProtocolError, match="no request outstanding"):
        pending.server.request_client_certificate()
    with pytest.raises(LocalProtocolError):
        pending.client.request_client_certificate()


def test_unverifiable_certificate_is_refused(pki: Pki) -> None:
    stranger = Pki("stranger").issue(names=("x.test",), server=False)
    pair = _pair(pki, certificate=stranger.certified)
    pair.server.request_client_certificate()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == AD.UNKNOWN_CA
    with pytest.raises(tlsglass.FatalAlertReceived):
        pair.pump()


def test_request_to_a_client_that_did_not_offer_is_unexpected(pki: Pki) -> None:
    # A server that ignores the rule: forge the offer on its side only.
    pair = _pair(pki, post_handshake_auth=False)
    pair.server._facts = dataclasses.replace(pair.server._facts, post_handshake_auth=True)
    pair.server.request_client_certificate()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == AD.UNEXPECTED_MESSAGE


# -- real peers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files made by the local CA: a root, a server and a client certificate."""
    ca = LocalCA.init(tmp_path_factory.mktemp("pha") / "ca")
    server, client = ca.issue_server(["localhost"]), ca.issue_client("alice")
    assert server.key_path is not None and client.key_path is not None
    return {"ca": ca.root_path, "cert": server.certificate_path, "key": server.key_path,
            "client_cert": client.certificate_path, "client_key": client.key_path}


def _drive(client: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO,
           server: tlsglass.Connection, step: object) -> list[tlsglass.Event]:
    """Run one ssl call (step) and shuttle bytes until both sides are quiet."""
    events: list[tlsglass.Event] = []
    for _ in range(10):
        with contextlib.suppress(ssl.SSLWantReadError):
            step()  # type: ignore[operator]
        events += server.receive_data(outgoing.read()) if outgoing.pending else []
        data = server.data_to_send()
        if not data and not outgoing.pending:
            break
        incoming.write(data)
    return events


@pytest.mark.interop
def test_python_ssl_client_answers_our_request(pem: dict[str, Path]) -> None:
    config = tlsglass.ServerConfig.from_files(
        pem["cert"], pem["key"], client_trust=tlsglass.TrustStore.from_file(pem["ca"]))
    server = tlsglass.Connection(config)
    ctx = ssl.create_default_context(cafile=str(pem["ca"]))
    ctx.load_cert_chain(pem["client_cert"], pem["client_key"])
    ctx.post_handshake_auth = True
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    _drive(client, incoming, outgoing, server, client.do_handshake)
    assert server.handshake_complete and server.peer_certificates == ()
    server.request_client_certificate()
    incoming.write(server.data_to_send())
    events = _drive(client, incoming, outgoing, server, lambda: client.read(1))
    (done,) = [e for e in events if isinstance(e, PostHandshakeAuthComplete)]
    assert done.peer_certificates[0].subject == "CN=alice"
    assert server.peer_certificates == done.peer_certificates


@pytest.mark.interop
def test_we_answer_python_ssl_verify_client_post_handshake(pem: dict[str, Path]) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem["cert"], pem["key"])
    ctx.load_verify_locations(pem["ca"])
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.post_handshake_auth = True  # with CERT_REQUIRED: ask only after the handshake
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = ctx.wrap_bio(incoming, outgoing, server_side=True)
    client = tlsglass.Connection(tlsglass.ClientConfig(
        server_name="localhost", trust=tlsglass.TrustStore.from_file(pem["ca"]),
        certificate=tlsglass.CertifiedKey.from_files(pem["client_cert"], pem["client_key"]),
        post_handshake_auth=True))
    client.start_handshake()

    def shuttle(step: object) -> None:
        for _ in range(10):
            incoming.write(client.data_to_send())
            with contextlib.suppress(ssl.SSLWantReadError):
                step()  # type: ignore[operator]
            if not outgoing.pending:
                return
            client.receive_data(outgoing.read())

    shuttle(server.do_handshake)
    assert client.handshake_complete and server.getpeercert() is None
    server.verify_client_post_handshake()
    server.write(b"prove it")  # the CertificateRequest goes out with the next write
    client.receive_data(outgoing.read())
    shuttle(lambda: server.read(100))
    peer = server.getpeercert()
    assert peer is not None
    assert (("commonName", "alice"),) in peer["subject"]


@pytest.mark.interop
def test_openssl_s_client_enable_pha(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    config = tlsglass.ServerConfig.from_files(
        pem["cert"], pem["key"], client_trust=tlsglass.TrustStore.from_file(pem["ca"]))

    def ask(tls: TLSSocket) -> None:
        tls.recv()
        chain = tls.request_client_certificate()
        tls.sendall(f"hello {chain[0].subject if chain else 'stranger'}\n".encode())
        tls.recv()

    with ThreadServer(config, ask) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(pem["ca"]), "-enable_pha", "-cert",
                str(pem["client_cert"]), "-key", str(pem["client_key"])]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"here I am\n")
            client.wait_output("hello CN=alice")
    assert not srv.errors, srv.errors


@pytest.mark.interop
def test_openssl_s_server_c_command_asks_us(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    # stdbuf: s_server prints "SSL_do_handshake -> 1" through stdio, buffered in a file.
    args = [need("stdbuf"), "-oL", "openssl", "s_server", "-accept", f"127.0.0.1:{port}",
            "-cert", str(pem["cert"]), "-key", str(pem["key"]), "-CAfile", str(pem["ca"]),
            "-verify_return_error", "-naccept", "1"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(
            server_name="localhost", trust=tlsglass.TrustStore.from_file(pem["ca"]),
            certificate=tlsglass.CertifiedKey.from_files(pem["client_cert"], pem["client_key"]),
            post_handshake_auth=True)
        with connect("127.0.0.1", port, config) as tls:
            tls.sendall(b"ready\n")
            server.wait_output("ready")
            server.send(b"c\n")  # s_server: send a post-handshake CertificateRequest
            server.wait_output("SSL_do_handshake -> 1")  # sent (one command per read)
            server.send(b"verified\n")
            assert tls.recv() == b"verified\n"  # we answered the request on the way
            out = server.wait_output("depth=0 CN = alice")
    assert "verify error" not in out



@pytest.mark.interop
def test_gnutls_cli_post_handshake_auth(pem: dict[str, Path], tmp_path: Path) -> None:
    need("gnutls-cli")
    config = tlsglass.ServerConfig.from_files(
        pem["cert"], pem["key"], client_trust=tlsglass.TrustStore.from_file(pem["ca"]))

    def ask(tls: TLSSocket) -> None:
        tls.recv()
        chain = tls.request_client_certificate()
        tls.sendall(f"hello {chain[0].subject if chain else 'stranger'}\n".encode())
        tls.recv()

    with ThreadServer(config, ask) as srv:
        args = ["gnutls-cli", "-p", str(srv.port), "--x509cafile", str(pem["ca"]),
                "--post-handshake-auth", "--x509certfile", str(pem["client_cert"]),
                "--x509keyfile", str(pem["client_key"]), "localhost"]
        with run(args, tmp_path, "gnutls-cli") as client:
            client.wait_output("Handshake was completed")
            client.send(b"here I am\n")
            client.wait_output("hello CN=alice")
    assert not srv.errors, srv.errors

# -- a client that gets it wrong -----------------------------------------------------


def _fail_with(pair: Pair, alert: AD) -> None:
    pair.server.request_client_certificate()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == alert, str(info.value)
    assert pair.server.failed


def test_certificate_verify_with_the_wrong_key_is_decrypt_error(pki: Pki) -> None:
    alice = pki.issue(names=("alice.test",), server=False)
    impostor = pki.issue(names=("alice.test",), server=False)
    forged = dataclasses.replace(alice.certified)
    object.__setattr__(forged, "private_key", impostor.key)  # a chain that is not ours
    _fail_with(_pair(pki, certificate=forged), AD.DECRYPT_ERROR)


def test_finished_over_the_wrong_transcript_is_decrypt_error(pki: Pki) -> None:
    pair = _pair(pki)  # declines: only Finished proves anything
    state = pair.client._state
    wrong = state.next_transcript.fork()  # type: ignore[attr-defined]
    wrong.add(b"\x00\x00\x00\x00")
    pair.client._state = dataclasses.replace(state, next_transcript=wrong)  # type: ignore[type-var]
    _fail_with(pair, AD.DECRYPT_ERROR)


def test_answer_to_another_request_is_illegal_parameter(pki: Pki) -> None:
    pair = _pair(pki)
    pair.server.request_client_certificate()
    with pytest.raises(IllegalParameter, match="did not send"):
        pair.server._state.handle(
            Certificate(certificate_request_context=b"not ours", certificate_list=()),
            pair.server)


def test_request_without_signature_algorithms_is_missing_extension(pki: Pki) -> None:
    pair = _pair(pki)
    with pytest.raises(MissingExtension):
        pair.client._state.handle(
            CertificateRequest(certificate_request_context=b"1", extensions=()), pair.client)
