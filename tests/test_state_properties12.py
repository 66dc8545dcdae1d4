"""Every handshake message type, and ChangeCipherSpec, in every TLS 1.2 state.

Each example drives a real TLS 1.2 client/server exchange one message (or record) at a
time to the state under test, then sends one handshake message the way the peer would:
in a plaintext record before the peer's ChangeCipherSpec, or sealed under the peer's
current write state after it. The only allowed outcomes are:

- handled: no exception, and the connection is not in ERROR;
- RemoteProtocolError whose alert is unexpected_message when the state does not
  expect that message type, or one RFC 5246 (and RFCs 7627, 5746, 8422) names for a
  bad message of an expected type. Then the connection is in ERROR for good and more
  input raises LocalProtocolError.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import Issued, Pair, Pki, client_config, server_config
from strategies import (
    TLS12_MESSAGE_STRATEGIES,
    certificate_verifies,
    client_hellos,
    finisheds,
    mutations,
    server_hellos,
)
from tlsglass import Connection, ProtocolVersion
from tlsglass.enums import AlertDescription, ContentType, HandshakeType
from tlsglass.errors import FatalAlertReceived, LocalProtocolError, RemoteProtocolError
from tlsglass.session import InMemoryTicketStore
from tlsglass.wire.handshake import HandshakeMessage, encode_handshake
from tlsglass.wire.record import encode_header

STATES = settings(max_examples=40, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

_HT = HandshakeType
_AD = AlertDescription

# RFC 5246 §7.3: what each state expects; stated here independently of the code. (A
# client also ignores a HelloRequest in any state, RFC 5246 §7.4.1.1.)
EXPECTS: Final[dict[str, frozenset[int]]] = {
    "client:WaitCertificate": frozenset({_HT.CERTIFICATE}),
    "client:WaitServerKeyExchange": frozenset({_HT.SERVER_KEY_EXCHANGE}),
    "client:WaitServerHelloDone": frozenset({_HT.CERTIFICATE_REQUEST, _HT.SERVER_HELLO_DONE}),
    "client:WaitChangeCipherSpec": frozenset(),
    "client:WaitFinished": frozenset({_HT.FINISHED}),
    "client:Connected12": frozenset({_HT.HELLO_REQUEST}),
    "server:WaitClientKeyExchange": frozenset({_HT.CLIENT_KEY_EXCHANGE}),
    "server:WaitChangeCipherSpec": frozenset(),
    "server:WaitFinished": frozenset({_HT.FINISHED}),
    "server:Connected12": frozenset({_HT.CLIENT_HELLO}),
    # Resumption (RFC 5077 §3.3, RFC 5246 §7.3 abbreviated handshake).
    "client:WaitNewSessionTicket": frozenset({_HT.NEW_SESSION_TICKET}),
    "client:ClientResumed": frozenset({_HT.NEW_SESSION_TICKET}),
    "server:ServerResumed": frozenset(),
}
CCS_EXPECTED: Final = frozenset({"client:WaitChangeCipherSpec", "server:WaitChangeCipherSpec",
                                 "server:ServerResumed"})

_CERT_ALERTS: Final = frozenset({
    _AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER, _AD.BAD_CERTIFICATE, _AD.UNSUPPORTED_CERTIFICATE,
    _AD.CERTIFICATE_REVOKED, _AD.CERTIFICATE_EXPIRED, _AD.CERTIFICATE_UNKNOWN, _AD.UNKNOWN_CA})
BAD_MESSAGE_ALERTS: Final[dict[int, frozenset[AlertDescription]]] = {
    _HT.CERTIFICATE: _CERT_ALERTS,
    _HT.SERVER_KEY_EXCHANGE: frozenset({_AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER,
                                        _AD.DECRYPT_ERROR}),
    _HT.CERTIFICATE_REQUEST: frozenset({_AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER}),
    _HT.SERVER_HELLO_DONE: frozenset({_AD.DECODE_ERROR}),
    _HT.CLIENT_KEY_EXCHANGE: frozenset({_AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER}),
    _HT.FINISHED: frozenset({_AD.DECODE_ERROR, _AD.DECRYPT_ERROR}),
    _HT.HELLO_REQUEST: frozenset({_AD.DECODE_ERROR}),
    _HT.CLIENT_HELLO: frozenset({_AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER}),
    _HT.NEW_SESSION_TICKET: frozenset({_AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER}),
}


@functools.cache
def pki() -> tuple[Pki, Issued]:
    root = Pki()
    return root, root.issue(kind="ec256")


Sealer = Callable[[int, bytes], bytes]


def _plaintext(content_type: int, content: bytes) -> bytes:
    return encode_header(content_type, 0x0303, len(content)) + content


def _sealed_from(peer: Connection, fresh: bool) -> Sealer:
    """Seal as the peer writes now; `fresh`: as if its Finished had not used sequence 0."""
    write = peer._records.write
    assert write is not None
    if fresh:
        write = copy.copy(write)
        write.seq = 0
    return lambda content_type, content: write.seal(content_type, content, 0)


def _records(data: bytes) -> list[bytes]:
    out = []
    while data:
        end = 5 + int.from_bytes(data[3:5], "big")
        out.append(data[:end])
        data = data[end:]
    return out


def _server_messages(flight: bytes) -> list[bytes]:
    body = b"".join(r[5:] for r in _records(flight))
    out = []
    while body:
        end = 4 + int.from_bytes(body[1:4], "big")
        out.append(body[:end])
        body = body[end:]
    return out


@dataclass
class Stage:
    conn: Connection
    seal: Sealer


def _pair(tickets: bool = False) -> Pair:
    root, leaf = pki()
    store = {"ticket_store": InMemoryTicketStore() if tickets else None}
    pair = Pair(client_config(root, maximum_version=ProtocolVersion.TLS1_2, **store),
                server_config(leaf))
    pair.client.start_handshake()
    return pair


def _resumption_stage(name: str) -> Stage:
    pair = _pair(tickets=True)
    if name == "client:WaitNewSessionTicket":
        pair.server.receive_data(pair.client.data_to_send())
        pair.client.receive_data(pair.server.data_to_send())
        return Stage(pair.client, _plaintext)
    pair.pump()  # a full handshake leaves a ticket in the client's store
    again = Pair(pair.client.config, pair.server.config)  # type: ignore[arg-type]
    again.client.start_handshake()
    again.server.receive_data(again.client.data_to_send())
    if name == "server:ServerResumed":
        return Stage(again.server, _plaintext)
    server_hello = _server_messages(_records(again.server.data_to_send())[0])[0]
    again.client.receive_data(_plaintext(ContentType.HANDSHAKE, server_hello))
    return Stage(again.client, _plaintext)


def _client_after(count: int) -> Stage:
    """The client after the first `count` messages of the server's first flight."""
    pair = _pair()
    pair.server.receive_data(pair.client.data_to_send())
    messages = _server_messages(pair.server.data_to_send())
    for raw in messages[:count]:
        pair.client.receive_data(_plaintext(ContentType.HANDSHAKE, raw))
    return Stage(pair.client, _plaintext)


def _flights() -> tuple[Pair, list[bytes]]:
    """The server's first flight read by the client; the client's answer, as records."""
    pair = _pair()
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    return pair, _records(pair.client.data_to_send())


def build(name: str) -> Stage:
    if name in ("client:WaitNewSessionTicket", "client:ClientResumed", "server:ServerResumed"):
        return _resumption_stage(name)
    if name.startswith("client:") and name != "client:Connected12":
        index = ["client:WaitCertificate", "client:WaitServerKeyExchange",
                 "client:WaitServerHelloDone", "client:WaitChangeCipherSpec"]
        if name in index:
            return _client_after(index.index(name) + 1)
        pair, client_flight = _flights()
        for record in client_flight:
            pair.server.receive_data(record)
        ccs = _records(pair.server.data_to_send())[0]
        pair.client.receive_data(ccs)
        return Stage(pair.client, _sealed_from(pair.server, fresh=True))
    if name.endswith("Connected12"):
        pair = _pair()
        pair.pump()
        conn, peer = (pair.client, pair.server) if name.startswith("client") \
            else (pair.server, pair.client)
        return Stage(conn, _sealed_from(peer, fresh=False))
    pair, client_flight = _flights()
    if name == "server:WaitClientKeyExchange":
        pair = _pair()
        pair.server.receive_data(pair.client.data_to_send())
        return Stage(pair.server, _plaintext)
    if name == "server:WaitChangeCipherSpec":
        pair.server.receive_data(client_flight[0])
        return Stage(pair.server, _plaintext)
    pair.server.receive_data(client_flight[0] + client_flight[1])  # CKE, CCS
    return Stage(pair.server, _sealed_from(pair.client, fresh=True))


def _any_message() -> st.SearchStrategy[HandshakeMessage]:
    return st.one_of(*TLS12_MESSAGE_STRATEGIES.values(), client_hellos(), server_hellos(),
                     certificate_verifies(), finisheds())


@pytest.mark.parametrize("name", list(EXPECTS))
def test_states_are_reached(name: str) -> None:
    stage = build(name)
    assert stage.conn.state == name.split(":")[1]


@pytest.mark.parametrize("name", list(EXPECTS))
@STATES
@given(msg=_any_message())
def test_every_message_in_every_state(name: str, msg: HandshakeMessage) -> None:
    stage = build(name)
    raw = encode_handshake(msg)
    try:
        stage.conn.receive_data(stage.seal(ContentType.HANDSHAKE, raw))
    except RemoteProtocolError as exc:
        assert stage.conn.failed
        if raw[0] not in EXPECTS[name]:
            assert exc.alert == _AD.UNEXPECTED_MESSAGE, exc
        else:
            assert exc.alert in BAD_MESSAGE_ALERTS[raw[0]], exc
        with pytest.raises(LocalProtocolError):
            stage.conn.receive_data(b"\x15\x03\x03\x00\x02\x01\x00")
    else:
        # RFC 5246 §7.4.1.1: a client ignores a HelloRequest in the middle of a handshake.
        ignored = raw[0] == _HT.HELLO_REQUEST and name.startswith("client:")
        assert raw[0] in EXPECTS[name] or ignored
        assert not stage.conn.failed


@pytest.mark.parametrize("name", list(EXPECTS))
def test_change_cipher_spec_only_where_expected(name: str) -> None:
    stage = build(name)
    record = _plaintext(ContentType.CHANGE_CIPHER_SPEC, b"\x01")
    if name in CCS_EXPECTED:
        stage.conn.receive_data(record)
        assert not stage.conn.failed
        return
    with pytest.raises(RemoteProtocolError) as info:
        stage.conn.receive_data(record)
    # Once the peer's records are protected, a plaintext record cannot authenticate.
    assert info.value.alert in (_AD.UNEXPECTED_MESSAGE, _AD.BAD_RECORD_MAC)


@pytest.mark.parametrize("name", list(EXPECTS))
@STATES
@given(data=st.one_of(st.binary(max_size=300),
                      mutations(st.sampled_from([b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00",
                                                 b"\x14\x03\x03\x00\x01\x01",
                                                 b"\x15\x03\x03\x00\x02\x01\x00"]))),
       sealed=st.booleans())
def test_random_bytes_raise_only_tls_errors(name: str, data: bytes, sealed: bool) -> None:
    """Whatever arrives (random, or a damaged record; raw or sealed as the peer would seal
    a handshake record), receive_data raises only TLSError and a failure is final."""
    stage = build(name)
    chunk = stage.seal(ContentType.HANDSHAKE, data) if sealed and data else data
    try:
        stage.conn.receive_data(chunk)
    except (RemoteProtocolError, FatalAlertReceived):
        assert stage.conn.failed
        with pytest.raises(LocalProtocolError):
            stage.conn.receive_data(b"\x15\x03\x03\x00\x02\x01\x00")
