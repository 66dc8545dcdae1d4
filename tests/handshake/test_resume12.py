"""TLS 1.2 resumption (RFC 5246 §7.3 abbreviated handshake) by session ticket (RFC 5077)
and by session ID: in memory, and against OpenSSL (`s_client -sess_out/-sess_in`, and
`s_server` serving a resumed connection to tlsglass), both with and without tickets, and
Python's ssl both ways."""

from __future__ import annotations

import ssl
from dataclasses import replace
from pathlib import Path

import pytest

import tlsglass
from helpers import Issued, Pair, Pki, client_config, server_config
from interop.test_python_ssl import OpenSSLPeer
from peers import ThreadServer, echo, free_port, need, run, wait_for_port
from tlsglass import CipherSuite, HandshakeComplete, ProtocolVersion
from tlsglass.enums import ExtensionType, HandshakeType
from tlsglass.io import connect
from tlsglass.session import InMemorySessionCache, InMemoryTicketStore
from tlsglass.wire import ClientHello, ServerHello, SessionTicket, Writer
from tlsglass.wire.handshake12 import NewSessionTicket12, decode_handshake12
from tlsglass.wire.record import encode_header

V12 = ProtocolVersion.TLS1_2


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def leaf(pki: Pki) -> Issued:
    return pki.issue()


def _connect(client: tlsglass.ClientConfig, server: tlsglass.ServerConfig) -> Pair:
    pair = Pair(client, server)
    pair.client.start_handshake()
    pair.pump()
    assert pair.client.handshake_complete and pair.server.handshake_complete
    return pair


def _resumed(pair: Pair) -> tuple[bool, bool]:
    events = [e for e in pair.take("client") + pair.take("server")
              if isinstance(e, HandshakeComplete)]
    assert len(events) == 2
    assert events[0].resumed == pair.client.resumed
    return pair.client.resumed, pair.server.resumed


SERVERS = {
    "ticket": {},
    "session ID": {"session_cache": InMemorySessionCache(), "tickets_per_connection": 0},
}


@pytest.mark.parametrize("mode", list(SERVERS))
def test_resumption_in_memory(pki: Pki, leaf: Issued, mode: str) -> None:
    client = client_config(pki, maximum_version=V12, ticket_store=InMemoryTicketStore(),
                           alpn_protocols=("h2",))
    server = server_config(leaf, alpn_protocols=("h2",), **SERVERS[mode])
    first = _connect(client, server)
    assert _resumed(first) == (False, False)
    for _ in range(2):  # each resumption leaves a new session (or keeps the ID) behind
        again = _connect(client, server)
        assert _resumed(again) == (True, True)
        assert again.client.peer_certificates == leaf.certified.chain
        assert again.client.alpn_protocol == again.server.alpn_protocol == "h2"
        assert again.client.export_keying_material("EXPERIMENTAL r") == \
            again.server.export_keying_material("EXPERIMENTAL r") != \
            first.client.export_keying_material("EXPERIMENTAL r")
        again.client.send_application_data(b"resumed")
        again.pump()
        assert again.data("server") == b"resumed"


def test_client_certificate_survives_resumption(pki: Pki, leaf: Issued) -> None:
    alice = pki.issue(names=("alice",), server=False)
    client = client_config(pki, maximum_version=V12, ticket_store=InMemoryTicketStore(),
                           certificate=alice.certified)
    server = server_config(leaf, client_auth="required", client_trust=pki.trust)
    _connect(client, server)
    again = _connect(client, server)
    assert again.server.resumed and again.server.peer_certificates == alice.certified.chain


def _full_again(client: tlsglass.ClientConfig, server: tlsglass.ServerConfig,
                second_client: tlsglass.ClientConfig | None = None,
                second_server: tlsglass.ServerConfig | None = None) -> Pair:
    _connect(client, server)
    return _connect(second_client or client, second_server or server)


def test_no_resumption_across_what_must_not_change(pki: Pki, leaf: Issued) -> None:
    store = InMemoryTicketStore()
    base = client_config(pki, maximum_version=V12, ticket_store=store)
    server = server_config(leaf)
    # Another suite only: the session's suite is not offered any more.
    other_suite = replace(base, tls12_cipher_suites=(
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,))
    assert not _full_again(base, server, second_client=other_suite).client.resumed
    # Another server (other ticket keys) cannot open the ticket.
    assert not _full_again(base, server, second_server=server_config(leaf)).client.resumed


def _without_ems(config: tlsglass.ClientConfig) -> tlsglass.ClientConfig:
    return replace(config, require_extended_master_secret=False,
                   hello_hook=lambda h: replace(h, extensions=tuple(
                       e for e in h.extensions if e.type_code != 23)))


def test_session_with_ems_offered_without_it_aborts(pki: Pki, leaf: Issued) -> None:
    """RFC 7627 §5.3: the original session used extended_master_secret and the new
    ClientHello does not carry it: the server MUST abort (OpenSSL: handshake_failure),
    not fall back to a full handshake without it."""
    for cache in (None, InMemorySessionCache()):  # by ticket, then by session ID
        store = InMemoryTicketStore()
        base = client_config(pki, maximum_version=V12, ticket_store=store)
        server = server_config(leaf, require_extended_master_secret=False, session_cache=cache,
                               tickets_per_connection=2 if cache is None else 0)
        _connect(base, server)
        pair = Pair(_without_ems(base), server)
        pair.client.start_handshake()
        with pytest.raises(tlsglass.RemoteProtocolError) as info:
            pair.server.receive_data(pair.client.data_to_send())
        assert info.value.alert == tlsglass.AlertDescription.HANDSHAKE_FAILURE


def test_session_without_ems_offered_with_it_is_a_full_handshake(pki: Pki,
                                                                 leaf: Issued) -> None:
    """RFC 7627 §5.3: a session made without extended_master_secret is not resumed by a
    ClientHello that carries it; the server runs a full handshake (with EMS) instead."""
    store = InMemoryTicketStore()
    base = client_config(pki, maximum_version=V12, ticket_store=store)
    server = server_config(leaf, require_extended_master_secret=False)
    _connect(_without_ems(base), server)
    again = _connect(base, server)
    assert not again.server.resumed and not again.client.resumed


def test_expired_and_tampered_sessions_fall_back_to_a_full_handshake(pki: Pki,
                                                                     leaf: Issued) -> None:
    store = InMemoryTicketStore()
    client = client_config(pki, maximum_version=V12, ticket_store=store)
    server = server_config(leaf, ticket_lifetime=60)
    later = replace(server, clock=lambda: server.clock() + 61)
    assert not _full_again(client, server, second_server=later).server.resumed

    def tamper(hello: ClientHello) -> ClientHello:
        return replace(hello, extensions=tuple(
            SessionTicket(ticket=e.ticket[:-1] + bytes((e.ticket[-1] ^ 1,)))
            if isinstance(e, SessionTicket) and e.ticket else e for e in hello.extensions))
    assert not _full_again(client, server,
                           second_client=replace(client, hello_hook=tamper)).server.resumed


# -- against OpenSSL -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pem(pki: Pki, leaf: Issued, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("resume12")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, leaf)
    return {"ca": directory / "ca.pem", "cert": cert, "key": key}


@pytest.mark.parametrize("mode", list(SERVERS))
def test_openssl_s_client_sess_out_sess_in(pem: dict[str, Path], tmp_path: Path,
                                           mode: str) -> None:
    need("openssl")
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"],
                                              **SERVERS[mode])  # type: ignore[arg-type]
    session = tmp_path / "session.pem"
    ticket_option = ["-no_ticket"] if mode == "session ID" else []
    outputs = []
    with ThreadServer(config, echo) as srv:
        for flag in ("-sess_out", "-sess_in"):
            args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                    "localhost", "-CAfile", str(pem["ca"]), "-tls1_2", flag, str(session),
                    *ticket_option]
            with run(args, tmp_path, f"s_client{flag}") as client:
                client.wait_output("Verify return code")
                client.send(b"ping\n")
                outputs.append(client.wait_output("ping"))
    assert not srv.errors, srv.errors
    assert "New, TLSv1.2" in outputs[0]
    assert "Reused, TLSv1.2" in outputs[1]


@pytest.mark.parametrize("mode", ["ticket", "session ID"])
def test_tlsglass_client_resumes_with_openssl_s_server(pki: Pki, pem: dict[str, Path],
                                                       tmp_path: Path, mode: str) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-tls1_2", "-naccept", "2", "-rev",
            *(["-no_ticket"] if mode == "session ID" else [])]
    config = tlsglass.ClientConfig(server_name="localhost", trust=pki.trust,
                                   ticket_store=InMemoryTicketStore(), maximum_version=V12)
    resumed = []
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        for _ in range(2):
            with connect("127.0.0.1", port, config) as tls:
                tls.sendall(b"abc\n")
                assert tls.recv() == b"cba\n"
                resumed.append(tls.conn.resumed)
    assert resumed == [False, True]


# -- against Python's ssl (MemoryBIO) ---------------------------------------------------------


def test_ssl_client_resumes_with_tlsglass_server(pki: Pki, leaf: Issued,
                                                 pem: dict[str, Path]) -> None:
    ctx = ssl.create_default_context(cafile=str(pem["ca"]))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    server = server_config(leaf)
    session = None
    for expected in (False, True, True):
        tls = tlsglass.Connection(server)
        peer = OpenSSLPeer(ctx, False, tls, "localhost")
        if session is not None:
            peer.obj = ctx.wrap_bio(peer.incoming, peer.outgoing, server_hostname="localhost",
                                    session=session)
        peer.handshake()
        assert peer.obj.session_reused is expected and tls.resumed is expected
        peer.exchange(1000)
        session = peer.obj.session


def test_tlsglass_client_resumes_with_ssl_server(pki: Pki, pem: dict[str, Path]) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pem["cert"], pem["key"])
    client = client_config(pki, ticket_store=InMemoryTicketStore())
    for expected in (False, True):
        tls = tlsglass.Connection(client)
        peer = OpenSSLPeer(ctx, True, tls)
        peer.handshake()
        assert tls.resumed is expected and peer.obj.session_reused is expected
        peer.exchange(1000)


def test_ssl_server_also_aborts_an_ems_session_offered_without_ems(pki: Pki,
                                                                  pem: dict[str, Path]) -> None:
    """OpenSSL (through Python's ssl) does what find_session12 now does (RFC 7627 §5.3):
    a session made with extended_master_secret, offered without it, is handshake_failure."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pem["cert"], pem["key"])
    client = client_config(pki, ticket_store=InMemoryTicketStore(), maximum_version=V12)
    peer = OpenSSLPeer(ctx, True, tlsglass.Connection(client))
    peer.handshake()
    peer.exchange(10)
    tls = tlsglass.Connection(_without_ems(client))
    peer = OpenSSLPeer(ctx, True, tls)
    tls.start_handshake()
    peer.shuttle()
    with pytest.raises(ssl.SSLError, match="INCONSISTENT_EXTMS"):
        peer.obj.do_handshake()
    with pytest.raises(tlsglass.FatalAlertReceived) as info:
        peer.shuttle()
    assert info.value.description == tlsglass.AlertDescription.HANDSHAKE_FAILURE


@pytest.mark.parametrize("mode", list(SERVERS))
def test_gnutls_cli_resumes_with_tlsglass_server(pem: dict[str, Path], tmp_path: Path,
                                                 mode: str) -> None:
    need("gnutls-cli")
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"],
                                              **SERVERS[mode])  # type: ignore[arg-type]
    priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2" + (":%NO_TICKETS" if mode == "session ID" else "")
    with ThreadServer(config, echo) as srv:
        args = ["gnutls-cli", "-p", str(srv.port), "--x509cafile", str(pem["ca"]),
                "--priority", priority, "--resume", "localhost"]
        with run(args, tmp_path, "gnutls-cli") as client:
            out = client.wait_output("This is a resumed session")
    assert "(TLS1.2" in out
    assert not srv.errors, srv.errors


@pytest.mark.parametrize("mode", list(SERVERS))
def test_tlsglass_client_resumes_with_gnutls_serv(pki: Pki, pem: dict[str, Path],
                                                  tmp_path: Path, mode: str) -> None:
    need("gnutls-serv")
    port = free_port()
    priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2" + (":%NO_TICKETS" if mode == "session ID" else "")
    args = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile", str(pem["cert"]),
            "--x509keyfile", str(pem["key"]), "--priority", priority]
    config = tlsglass.ClientConfig(server_name="localhost", trust=pki.trust,
                                   ticket_store=InMemoryTicketStore())
    resumed = []
    with run(args, tmp_path, "gnutls-serv") as server:
        wait_for_port(port, server.proc)
        for _ in range(2):
            with connect("127.0.0.1", port, config) as tls:
                tls.sendall(b"hello gnutls\n")
                assert tls.recv() == b"hello gnutls\n"
                resumed.append(tls.conn.resumed)
    assert resumed == [False, True]


def test_session_without_client_certificate_does_not_resume_where_one_is_required(
        pki: Pki, leaf: Issued) -> None:
    """Two servers sharing ticket keys (a fleet, or a config that changed): a session made
    where no client certificate was asked for must not let the client skip a required one
    (the TLS 1.3 path already refuses such a ticket)."""
    alice = pki.issue(names=("alice",), server=False)
    client = client_config(pki, maximum_version=V12, ticket_store=InMemoryTicketStore(),
                           certificate=alice.certified)
    cache = InMemorySessionCache()
    for options in ({}, {"session_cache": cache, "tickets_per_connection": 0}):
        open_server = server_config(leaf, **options)
        strict = replace(open_server, client_auth="required", client_trust=pki.trust)
        _connect(client, open_server)
        again = _connect(client, strict)
        assert not again.server.resumed
        assert again.server.peer_certificates == alice.certified.chain


class _DamagedCache(InMemorySessionCache):
    """A shared cache (Redis, say) whose entries were damaged or written by another
    version: what it returns is not the peer's fault."""

    def get(self, session_id: bytes, now: float) -> bytes | None:
        value = super().get(session_id, now)
        return None if value is None else value[:-1]


def test_damaged_session_cache_entry_means_a_full_handshake(pki: Pki, leaf: Issued) -> None:
    client = client_config(pki, maximum_version=V12, ticket_store=InMemoryTicketStore())
    server = server_config(leaf, session_cache=_DamagedCache(), tickets_per_connection=0)
    again = _full_again(client, server)
    assert not again.server.resumed and not again.client.resumed


def _server_hello_extensions(pair: Pair) -> set[int]:
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    flight = pair.server.data_to_send()
    assert flight[0] == 22 and flight[5] == 2  # a plaintext record opening with ServerHello
    length = int.from_bytes(flight[6:9], "big")
    hello = decode_handshake12(2, flight[9 : 9 + length])
    assert isinstance(hello, ServerHello)
    return {e.type_code for e in hello.extensions}


def test_resumed_server_hello_has_no_server_name(pki: Pki, leaf: Issued) -> None:
    """RFC 6066 §3: "When resuming a session, the server MUST NOT include a server_name
    extension in the server hello" (a full handshake acknowledges it)."""
    for options in ({}, {"session_cache": InMemorySessionCache(), "tickets_per_connection": 0}):
        client = client_config(pki, maximum_version=V12, ticket_store=InMemoryTicketStore())
        server = server_config(leaf, **options)
        assert ExtensionType.SERVER_NAME in _server_hello_extensions(Pair(client, server))
        _connect(client, server)
        assert ExtensionType.SERVER_NAME not in _server_hello_extensions(Pair(client, server))


def test_unannounced_ticket_in_an_abbreviated_handshake_is_unexpected(pki: Pki,
                                                                      leaf: Issued) -> None:
    """RFC 5077 §3.3: NewSessionTicket only after a SessionTicket in the ServerHello; one
    that was not announced is as unexpected as in the full handshake."""
    client = client_config(pki, maximum_version=V12, ticket_store=InMemoryTicketStore())
    server = server_config(leaf, session_cache=InMemorySessionCache(), tickets_per_connection=0)
    _connect(client, server)
    pair = Pair(client, server)
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    flight = pair.server.data_to_send()
    first = 5 + int.from_bytes(flight[3:5], "big")  # the ServerHello's record
    w = Writer()
    NewSessionTicket12(ticket_lifetime_hint=60, ticket=b"t" * 32).encode(w)
    body = bytes((HandshakeType.NEW_SESSION_TICKET,)) + len(w.getvalue()).to_bytes(3, "big") \
        + w.getvalue()
    forged = flight[:first] + encode_header(22, 0x0303, len(body)) + body + flight[first:]
    with pytest.raises(tlsglass.RemoteProtocolError) as info:
        pair.client.receive_data(forged)
    assert info.value.alert == tlsglass.AlertDescription.UNEXPECTED_MESSAGE


def test_resumption_does_not_extend_the_session_past_its_lifetime(pki: Pki,
                                                                  leaf: Issued) -> None:
    """The ticket re-issued in an abbreviated handshake carries the same master secret, so
    it keeps the session's original issue time: resuming every 60 s must not keep a
    100-second session (and its master secret) alive for ever."""
    client = client_config(pki, maximum_version=V12, ticket_store=InMemoryTicketStore())
    server = server_config(leaf, ticket_lifetime=100)
    start = server.clock()
    _connect(client, server)
    later = replace(server, clock=lambda: start + 60)
    assert _connect(client, later).server.resumed
    much_later = replace(server, clock=lambda: start + 120)
    again = _connect(client, much_later)
    assert not again.server.resumed and not again.client.resumed
