"""Every handshake message type in every reachable state (STYLE convention 15).

Each test builds a Connection in one state by running a real client/server
exchange part of the way, one flight (or one message) at a time. It then sends one
handshake message the way the peer would: in a plaintext record before keys, or
sealed under the peer's current write key (taken from the key log) once records
are protected. The only allowed outcomes are:

- handled: no exception, and the connection is not in ERROR;
- RemoteProtocolError whose alert is unexpected_message when the state does not
  expect that message type, or one of the alerts RFC 8446 names for a bad message
  of an expected type. Then the connection is in ERROR for good, data_to_send()
  holds exactly that fatal alert (sealed as our current write key dictates), and
  more input raises LocalProtocolError.

Everything is deterministic (fixed entropy, fixed key pairs, an Ed25519 leaf), so
hypothesis can replay what it finds.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import Issued, Pki, client_config, server_config
from strategies import handshake_messages, mutations, uint, variants_of
from tlsglass import Connection
from tlsglass.crypto.kx import KeyPair, key_pair_from_private
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import TLS13_SUITES, SuiteInfo
from tlsglass.enums import (
    AlertDescription,
    AlertLevel,
    CipherSuite,
    ContentType,
    HandshakeType,
    NamedGroup,
    SignatureScheme,
)
from tlsglass.errors import FatalAlertReceived, LocalProtocolError, RemoteProtocolError
from tlsglass.events import AlertReceived, ConnectionClosed, EarlyDataReceived
from tlsglass.record import RecordLayer, RecordProtection
from tlsglass.wire.alert import Alert
from tlsglass.wire.extensions import (
    CertificateAuthorities,
    Cookie,
    EarlyDataIndication,
    EarlyDataTicket,
    KeyShareHelloRetryRequest,
    PreSharedKeyClientHello,
    PskIdentity,
    PskKeyExchangeModes,
    SignatureAlgorithms,
    SupportedVersionsServerHello,
)
from tlsglass.wire.handshake import (
    HELLO_RETRY_REQUEST_RANDOM,
    CertificateRequest,
    ClientHello,
    EndOfEarlyData,
    HandshakeMessage,
    KeyUpdate,
    NewSessionTicket,
    ServerHello,
    decode_handshake,
    encode_handshake,
)

STATES = settings(max_examples=50, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

_HT = HandshakeType
_AD = AlertDescription

# App. A: what each state expects. The test states it independently of the code.
EXPECTS: Final[dict[str, frozenset[int]]] = {
    "client:WaitSH": frozenset({_HT.SERVER_HELLO}),
    "client:WaitSH(retry)": frozenset({_HT.SERVER_HELLO}),
    "client:WaitEE": frozenset({_HT.ENCRYPTED_EXTENSIONS}),
    "client:WaitCertCR": frozenset({_HT.CERTIFICATE, _HT.CERTIFICATE_REQUEST}),
    "client:WaitCert": frozenset({_HT.CERTIFICATE}),
    "client:WaitCV": frozenset({_HT.CERTIFICATE_VERIFY}),
    "client:WaitFinished": frozenset({_HT.FINISHED}),
    "client:Connected": frozenset({_HT.KEY_UPDATE, _HT.NEW_SESSION_TICKET}),
    "server:Start": frozenset({_HT.CLIENT_HELLO}),
    "server:Start(retry)": frozenset({_HT.CLIENT_HELLO}),
    "server:WaitFinished": frozenset({_HT.FINISHED}),
    "server:Connected": frozenset({_HT.KEY_UPDATE}),
    # Resumed with 0-RTT accepted (§4.5): early data flows until EndOfEarlyData.
    "server:WaitEndOfEarlyData": frozenset({_HT.END_OF_EARLY_DATA}),
    # §4.6.2: post-handshake authentication, still connected.
    "client:ClientConnectedPHA": frozenset({_HT.KEY_UPDATE, _HT.NEW_SESSION_TICKET,
                                            _HT.CERTIFICATE_REQUEST}),
    "server:PostAuthWaitCert": frozenset({_HT.KEY_UPDATE, _HT.CERTIFICATE}),
    "server:PostAuthWaitFinished": frozenset({_HT.KEY_UPDATE, _HT.FINISHED}),
}
STAGE_NAMES: Final = tuple(EXPECTS)
CONNECTED_STAGES: Final = frozenset({"client:Connected", "server:Connected",
                                     "client:ClientConnectedPHA", "server:PostAuthWaitCert",
                                     "server:PostAuthWaitFinished"})

# The alerts RFC 8446 (and RFC 5280/7301/7507 via it) names for a bad message of a type the
# state does expect. internal_error is never the peer's fault.
_CERT_ALERTS: Final = frozenset({
    _AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER, _AD.UNSUPPORTED_EXTENSION, _AD.BAD_CERTIFICATE,
    _AD.UNSUPPORTED_CERTIFICATE, _AD.CERTIFICATE_REVOKED, _AD.CERTIFICATE_EXPIRED,
    _AD.CERTIFICATE_UNKNOWN, _AD.UNKNOWN_CA})
BAD_MESSAGE_ALERTS: Final[dict[int, frozenset[AlertDescription]]] = {
    _HT.CLIENT_HELLO: frozenset({
        _AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER, _AD.MISSING_EXTENSION, _AD.PROTOCOL_VERSION,
        _AD.HANDSHAKE_FAILURE, _AD.INAPPROPRIATE_FALLBACK, _AD.NO_APPLICATION_PROTOCOL,
        _AD.UNRECOGNIZED_NAME}),
    _HT.SERVER_HELLO: frozenset({
        _AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER, _AD.MISSING_EXTENSION, _AD.PROTOCOL_VERSION,
        _AD.UNSUPPORTED_EXTENSION, _AD.HANDSHAKE_FAILURE,
        _AD.UNEXPECTED_MESSAGE}),  # §4.1.4: a second HelloRetryRequest
    _HT.ENCRYPTED_EXTENSIONS: frozenset({
        _AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER, _AD.UNSUPPORTED_EXTENSION,
        _AD.NO_APPLICATION_PROTOCOL}),
    _HT.CERTIFICATE_REQUEST: frozenset({
        _AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER, _AD.MISSING_EXTENSION,
        _AD.UNSUPPORTED_EXTENSION}),
    _HT.CERTIFICATE: _CERT_ALERTS,
    _HT.CERTIFICATE_VERIFY: frozenset({
        _AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER, _AD.DECRYPT_ERROR}),
    _HT.FINISHED: frozenset({_AD.DECODE_ERROR, _AD.DECRYPT_ERROR}),
    _HT.NEW_SESSION_TICKET: frozenset({_AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER}),
    _HT.KEY_UPDATE: frozenset({_AD.DECODE_ERROR, _AD.ILLEGAL_PARAMETER}),
    _HT.END_OF_EARLY_DATA: frozenset({_AD.DECODE_ERROR}),
}


# -- determinism -----------------------------------------------------------------------------


def _entropy(seed: bytes) -> Callable[[int], bytes]:
    counter = itertools.count()
    return lambda n: hashlib.shake_256(seed + next(counter).to_bytes(8, "big")).digest(n)


_PRIVATE_LEN: Final = {
    NamedGroup.X25519: 32, NamedGroup.X448: 56, NamedGroup.SECP256R1: 32,
    NamedGroup.SECP384R1: 48, NamedGroup.X25519MLKEM768: 64 + 32,
    NamedGroup.SECP256R1MLKEM768: 64 + 32, NamedGroup.SECP384R1MLKEM1024: 64 + 48,
}


def _key_pairs(seed: bytes) -> Callable[[NamedGroup], KeyPair]:
    def factory(group: NamedGroup) -> KeyPair:
        raw = bytearray(hashlib.shake_256(seed + group.to_bytes(2, "big")).digest(
            _PRIVATE_LEN[group]))
        if group in (NamedGroup.SECP256R1, NamedGroup.SECP384R1):
            raw[0] = 1  # keep the scalar below the curve order
        return key_pair_from_private(group, bytes(raw))
    return factory


@functools.cache
def pki() -> tuple[Pki, Issued]:
    """One root and an Ed25519 leaf (deterministic signatures) for the whole module."""
    root = Pki()
    return root, root.issue(kind="ed25519")


# -- records as the peer writes them, and as we read our own ----------------------------------


class Sealer:
    """Frames bytes the way one side writes records now: plaintext, or sealed under a key."""

    def __init__(self, suite: SuiteInfo | None = None, secret: bytes | None = None) -> None:
        self._layer = RecordLayer()
        if suite is not None and secret is not None:
            self._layer.write = RecordProtection(suite, Secret("peer write", secret))

    def handshake(self, raw: bytes) -> bytes:
        return self._layer.protect(ContentType.HANDSHAKE, raw)

    def record(self, content_type: int, content: bytes) -> bytes:
        return self._layer.protect(content_type, content)

    def sealed(self, content_type: int, content: bytes, padding: int = 0) -> bytes:
        """One protected record exactly as given: no fragmenting, no size checks."""
        write = self._layer.write
        assert write is not None
        return write.seal(content_type, content, padding)


class Opener:
    """Reads records one side wrote: plaintext, or sealed under its current write key."""

    def __init__(self, suite: SuiteInfo | None = None, secret: bytes | None = None) -> None:
        self._layer = RecordLayer()
        if suite is not None and secret is not None:
            self._layer.read = RecordProtection(suite, Secret("our write", secret))
            self._layer.plaintext_alerts = False  # §5.1: once keyed, alerts are protected

    def records(self, data: bytes) -> list[tuple[int, bytes]]:
        self._layer.feed(data)
        out = []
        while (record := self._layer.next_record()) is not None:
            out.append(record)
        assert self._layer.buffered == 0, "a partial record was left over"
        return out


def split_records(data: bytes) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        end = i + 5 + int.from_bytes(data[i + 3 : i + 5], "big")
        out.append(data[i:end])
        i = end
    return out


def split_messages(data: bytes) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        end = i + 4 + int.from_bytes(data[i + 1 : i + 4], "big")
        out.append(data[i:end])
        i = end
    return out


def decode(raw: bytes) -> HandshakeMessage:
    return decode_handshake(raw[0], raw[4:])


# -- connections in each state -------------------------------------------------------------------


@dataclass
class Stage:
    """A connection in one state, with the peer's record writer and a reader for our own."""

    name: str
    conn: Connection
    peer: Sealer
    ours: Opener
    real_next: HandshakeMessage  # what the real peer would send next

    @property
    def expects(self) -> frozenset[int]:
        return EXPECTS[self.name]


@dataclass
class _Run:
    client: Connection
    server: Connection
    keys: dict[str, bytes]

    def suite(self) -> SuiteInfo:
        suite = self.client.cipher_suite or self.server.cipher_suite
        assert suite is not None
        return TLS13_SUITES[CipherSuite(suite)]

    def sealer(self, label: str) -> Sealer:
        return Sealer(self.suite(), self.keys[label])

    def opener(self, label: str) -> Opener:
        return Opener(self.suite(), self.keys[label])


def start(retry: bool = False, server_options: Mapping[str, object] | None = None,
          **client_options: object) -> _Run:
    """A client and server with fixed randomness; `retry` makes the server send an HRR."""
    root, leaf = pki()
    keys: dict[str, bytes] = {}

    def log(label: str, client_random: bytes, secret: bytes) -> None:
        keys[label] = secret

    client_options.setdefault("key_share_groups", (NamedGroup.X25519,))
    client = Connection(client_config(
        root, key_log=log, alpn_protocols=("h2", "http/1.1"), entropy=_entropy(b"client"),
        key_pair_factory=_key_pairs(b"client"), **client_options))
    options = dict(server_options or {})
    # The stages assume a quiet server once connected; tickets are tested in tests/handshake.
    options.setdefault("tickets_per_connection", 0)
    if retry:
        options["groups"] = (NamedGroup.SECP256R1,)
    server = Connection(server_config(
        leaf, key_log=log, alpn_protocols=("h2",), entropy=_entropy(b"server"),
        key_pair_factory=_key_pairs(b"server"), **options))
    return _Run(client, server, keys)


_CLIENT_ENCRYPTED_STEPS: Final = ("client:WaitEE", "client:WaitCertCR", "client:WaitCV",
                                  "client:WaitFinished")


def client_stage(name: str) -> Stage:
    run = start(retry=name == "client:WaitSH(retry)",
                post_handshake_auth=name == "client:ClientConnectedPHA")
    client, server = run.client, run.server
    client.start_handshake()
    server.receive_data(client.data_to_send())
    if name == "client:WaitSH(retry)":
        client.receive_data(server.data_to_send())  # HelloRetryRequest (and CCS)
        server.receive_data(client.data_to_send())  # (CCS and) the second ClientHello
        hello = next(r for r in split_records(server.data_to_send())
                     if r[0] == ContentType.HANDSHAKE)
        return Stage(name, client, Sealer(), Opener(), decode(hello[5:]))
    records = split_records(server.data_to_send())
    plain = [r for r in records if r[0] != ContentType.APPLICATION_DATA]
    sealed = [r for r in records if r[0] == ContentType.APPLICATION_DATA]
    if name == "client:WaitSH":
        return Stage(name, client, Sealer(), Opener(), decode(plain[0][5:]))
    client.receive_data(b"".join(plain))  # ServerHello and the compatibility CCS
    flight = b"".join(c for _, c in run.opener("SERVER_HANDSHAKE_TRAFFIC_SECRET").records(
        b"".join(sealed)))
    messages = split_messages(flight)  # EncryptedExtensions, Certificate, CertVerify, Finished
    peer = run.sealer("SERVER_HANDSHAKE_TRAFFIC_SECRET")
    # From the ServerHello on, our alerts go under the client handshake key (§5.1).
    ours = run.opener("CLIENT_HANDSHAKE_TRAFFIC_SECRET")
    if name == "client:WaitCert":
        client.receive_data(peer.handshake(messages[0]))
        request = CertificateRequest(extensions=(
            SignatureAlgorithms(values=(SignatureScheme.ED25519,)),))
        client.receive_data(peer.handshake(encode_handshake(request)))
        return _ready(Stage(name, client, peer, ours, decode(messages[1])))
    if name in _CLIENT_ENCRYPTED_STEPS:
        steps = _CLIENT_ENCRYPTED_STEPS.index(name)
        for raw in messages[:steps]:
            client.receive_data(peer.handshake(raw))
        return _ready(Stage(name, client, peer, ours, decode(messages[steps])))
    if name == "client:ClientConnectedPHA":
        client.receive_data(b"".join(sealed))
        client.data_to_send()
        request = CertificateRequest(certificate_request_context=b"\x07" * 16, extensions=(
            SignatureAlgorithms(values=(SignatureScheme.ED25519,)),
            CertificateAuthorities(authorities=(pki()[0].trust.certificates[0].subject_der,))))
        return _ready(Stage(name, client, run.sealer("SERVER_TRAFFIC_SECRET_0"),
                            run.opener("CLIENT_TRAFFIC_SECRET_0"), request))
    assert name == "client:Connected"
    client.receive_data(b"".join(sealed))
    client.data_to_send()  # our CCS and Finished
    ticket = NewSessionTicket(ticket_lifetime=7200, ticket_age_add=0x01020304,
                              ticket_nonce=b"\x00", ticket=b"opaque ticket",
                              extensions=(EarlyDataTicket(max_early_data_size=0),))
    return _ready(Stage(name, client, run.sealer("SERVER_TRAFFIC_SECRET_0"),
                        run.opener("CLIENT_TRAFFIC_SECRET_0"), ticket))


def _early_data_stage(name: str) -> Stage:
    """A resumption whose ClientHello offered 0-RTT (no early record yet): WAIT_EOED."""
    run = start(server_options={"max_early_data_size": 100, "tickets_per_connection": 1},
                enable_early_data=True)
    run.client.start_handshake()
    run.server.receive_data(run.client.data_to_send())
    run.client.receive_data(run.server.data_to_send())
    run.server.receive_data(run.client.data_to_send())
    run.client.receive_data(run.server.data_to_send())  # the ticket
    client, server = Connection(run.client.config), Connection(run.server.config)
    client.start_handshake()
    server.receive_data(client.data_to_send())
    assert server.data_to_send()  # ServerHello .. Finished, which the client would read
    again = _Run(client, server, run.keys)
    return _ready(Stage(name, server, again.sealer("CLIENT_EARLY_TRAFFIC_SECRET"),
                        again.opener("SERVER_TRAFFIC_SECRET_0"), EndOfEarlyData()))


def server_stage(name: str) -> Stage:
    if name.startswith("server:PostAuth"):
        return post_auth_stage(name)
    if name == "server:WaitEndOfEarlyData":
        return _early_data_stage(name)
    run = start(retry=name == "server:Start(retry)")
    client, server = run.client, run.server
    client.start_handshake()
    hello = client.data_to_send()
    if name == "server:Start":
        return Stage(name, server, Sealer(), Opener(), decode(hello[5:]))
    server.receive_data(hello)
    if name == "server:Start(retry)":
        client.receive_data(server.data_to_send())
        second = [r for r in split_records(client.data_to_send())
                  if r[0] == ContentType.HANDSHAKE]
        return _ready(Stage(name, server, Sealer(), Opener(), decode(second[0][5:])))
    client.receive_data(server.data_to_send())
    records = split_records(client.data_to_send())  # CCS, then the sealed Finished
    sealed = b"".join(r for r in records if r[0] == ContentType.APPLICATION_DATA)
    finished = b"".join(c for _, c in run.opener("CLIENT_HANDSHAKE_TRAFFIC_SECRET").records(
        sealed))
    ours = run.opener("SERVER_TRAFFIC_SECRET_0")
    if name == "server:WaitFinished":
        return _ready(Stage(name, server, run.sealer("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), ours,
                            decode(finished)))
    assert name == "server:Connected"
    server.receive_data(b"".join(records))
    client.data_to_send()
    return _ready(Stage(name, server, run.sealer("CLIENT_TRAFFIC_SECRET_0"), ours,
                        KeyUpdate(request_update=0)))


def post_auth_stage(name: str) -> Stage:
    """A connected server that sent a post-handshake CertificateRequest (§4.6.2)."""
    run = start(server_options={"client_trust": pki()[0].trust}, post_handshake_auth=True)
    client, server = run.client, run.server
    client.start_handshake()
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    server.receive_data(client.data_to_send())
    ours = run.opener("SERVER_TRAFFIC_SECRET_0")
    ours.records(server.data_to_send())  # anything after the handshake
    server.request_client_certificate()
    request = server.data_to_send()
    ours.records(request)  # our CertificateRequest: the next record we seal comes after it
    client.receive_data(request)
    answer = b"".join(c for _, c in run.opener("CLIENT_TRAFFIC_SECRET_0").records(
        client.data_to_send()))
    certificate, finished = split_messages(answer)  # no certificate: empty, then Finished
    peer = run.sealer("CLIENT_TRAFFIC_SECRET_0")
    if name == "server:PostAuthWaitCert":
        return _ready(Stage(name, server, peer, ours, decode(certificate)))
    server.receive_data(peer.handshake(certificate))
    return _ready(Stage(name, server, peer, ours, decode(finished)))


def _ready(stage: Stage) -> Stage:
    assert not stage.conn.data_to_send()
    return stage


def build(name: str) -> Stage:
    stage = client_stage(name) if name.startswith("client:") else server_stage(name)
    expected_state = name.split(":")[1].removesuffix("(retry)")
    if expected_state == "Connected" and name.startswith("client:"):
        expected_state = "ClientConnected"
    assert stage.conn.state == expected_state, (name, stage.conn.state)
    return stage


# -- the outcome rules ----------------------------------------------------------------------------


def assert_failed_with(stage: Stage, alert: int) -> None:
    """ERROR for good, and exactly our fatal alert waiting to go out."""
    conn = stage.conn
    assert conn.state == "_Error"
    assert stage.ours.records(conn.data_to_send()) == [
        (ContentType.ALERT, Alert(level=AlertLevel.FATAL, description=alert).to_bytes())]
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"\x16\x03\x03\x00\x01\x01")
    assert conn.data_to_send() == b""


def send_handshake(stage: Stage, raw: bytes) -> None:
    """Deliver one handshake message as the peer would and check the outcome."""
    msg_type = raw[0]
    conn = stage.conn
    try:
        conn.receive_data(stage.peer.handshake(raw))
    except RemoteProtocolError as exc:
        if msg_type not in stage.expects:
            assert exc.alert == _AD.UNEXPECTED_MESSAGE, (exc, exc.__cause__)
        else:
            assert exc.alert in BAD_MESSAGE_ALERTS[msg_type], (exc, exc.__cause__)
        assert exc.__cause__ is not None
        assert_failed_with(stage, exc.alert)
    else:
        assert msg_type in stage.expects, f"{stage.name} accepted message type {msg_type}"
        assert conn.state != "_Error"


# Stages are deterministic, so each real message, and its strategies, is built once.
@functools.cache
def _variants(msg: HandshakeMessage) -> st.SearchStrategy[HandshakeMessage]:
    return variants_of(msg)


@functools.cache
def _damaged(raw: bytes) -> st.SearchStrategy[bytes]:
    return mutations(st.just(raw))


def _framed(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


# -- the properties -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_stage_is_reachable_and_the_real_message_is_handled(name: str) -> None:
    stage = build(name)
    assert stage.real_next.msg_type in stage.expects
    send_handshake(stage, encode_handshake(stage.real_next))
    assert stage.conn.state != "_Error"


@pytest.mark.parametrize("name", STAGE_NAMES)
@STATES
@given(msg=handshake_messages())
def test_every_message_type_in_every_state(name: str, msg: HandshakeMessage) -> None:
    send_handshake(build(name), encode_handshake(msg))


@pytest.mark.parametrize("name", STAGE_NAMES)
@STATES
@given(msg_type=st.one_of(st.sampled_from(sorted(int(t) for t in HandshakeType)), uint(1)),
       body=st.binary(max_size=64))
def test_arbitrary_message_bytes_in_every_state(name: str, msg_type: int, body: bytes) -> None:
    send_handshake(build(name), _framed(msg_type, body))


@pytest.mark.parametrize("name", STAGE_NAMES)
@STATES
@given(data=st.data())
def test_near_misses_of_the_real_message(name: str, data: st.DataObject) -> None:
    stage = build(name)
    msg = data.draw(_variants(stage.real_next), label="variant")
    send_handshake(stage, encode_handshake(msg))


@pytest.mark.parametrize("name", STAGE_NAMES)
@STATES
@given(data=st.data())
def test_damaged_real_message(name: str, data: st.DataObject) -> None:
    stage = build(name)
    raw = data.draw(_damaged(encode_handshake(stage.real_next)), label="damaged")
    if len(raw) < 4 or int.from_bytes(raw[1:4], "big") != len(raw) - 4:
        # The length no longer frames the body: re-frame, so one message is still sent.
        raw = _framed(raw[0] if raw else 0, raw[4:])
    send_handshake(stage, raw)


# -- other record types in every state --------------------------------------------------------

# §5 / App. D.4: a dummy ChangeCipherSpec is dropped after the first ClientHello and until
# the peer's Finished; anywhere else it is unexpected_message.
_CCS_ALLOWED: Final = frozenset(STAGE_NAMES) - CONNECTED_STAGES - {"server:Start"}
PLAINTEXT_STAGES: Final = ("client:WaitSH", "client:WaitSH(retry)", "server:Start",
                            "server:Start(retry)")


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_change_cipher_spec_in_every_state(name: str) -> None:
    stage = build(name)
    ccs = b"\x14\x03\x03\x00\x01\x01"
    if name in _CCS_ALLOWED:
        assert stage.conn.receive_data(ccs) == []
        assert stage.conn.state != "_Error"
        # Only the single byte 0x01 is a valid body.
        with pytest.raises(RemoteProtocolError) as info:
            stage.conn.receive_data(b"\x14\x03\x03\x00\x01\x02")
    else:
        with pytest.raises(RemoteProtocolError) as info:
            stage.conn.receive_data(ccs)
    assert info.value.alert == _AD.UNEXPECTED_MESSAGE
    assert_failed_with(stage, _AD.UNEXPECTED_MESSAGE)


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_application_data_in_every_state(name: str) -> None:
    stage = build(name)
    record = stage.peer.record(ContentType.APPLICATION_DATA, b"early bird")
    if name == "server:WaitEndOfEarlyData":
        assert stage.conn.receive_data(record) == [EarlyDataReceived(data=b"early bird")]
        return
    if name in CONNECTED_STAGES:
        events = stage.conn.receive_data(record)
        assert [getattr(e, "data", None) for e in events] == [b"early bird"]
        return
    with pytest.raises(RemoteProtocolError) as info:
        stage.conn.receive_data(record)
    assert info.value.alert == _AD.UNEXPECTED_MESSAGE
    assert_failed_with(stage, _AD.UNEXPECTED_MESSAGE)


@pytest.mark.parametrize("name", STAGE_NAMES)
@STATES
@given(level=st.sampled_from([1, 2, 0, 255]),
       description=st.sampled_from([int(d) for d in AlertDescription] + [255]))
def test_alerts_in_every_state(name: str, level: int, description: int) -> None:
    stage = build(name)
    record = stage.peer.record(ContentType.ALERT, bytes([level, description]))
    if description == _AD.CLOSE_NOTIFY:
        assert stage.conn.receive_data(record) == [ConnectionClosed()]
        return
    if description == _AD.USER_CANCELED:
        assert stage.conn.receive_data(record) == [
            AlertReceived(level=level, description=description)]
        return
    # §6.2: every other alert ends the connection, whatever its level says; we send nothing.
    with pytest.raises(FatalAlertReceived) as info:
        stage.conn.receive_data(record)
    assert info.value.description == description
    assert stage.conn.state == "_Error"
    assert stage.conn.data_to_send() == b""
    with pytest.raises(LocalProtocolError):
        stage.conn.receive_data(record)


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_empty_and_oversized_alert_records(name: str) -> None:
    stage = build(name)
    with pytest.raises(RemoteProtocolError) as info:
        stage.conn.receive_data(stage.peer.record(ContentType.ALERT, b"\x02\x28\x02\x28"))
    assert info.value.alert == _AD.DECODE_ERROR
    assert_failed_with(stage, _AD.DECODE_ERROR)


# -- §5.1: a handshake message split over records admits nothing in between ---------------------

_CCS: Final = b"\x14\x03\x03\x00\x01\x01"
_SPLIT_STAGES: Final = ("client:WaitSH", "client:WaitEE", "server:WaitFinished")


@pytest.mark.parametrize("name", sorted(CONNECTED_STAGES))
def test_application_data_inside_a_fragmented_handshake_message(name: str) -> None:
    stage = build(name)
    raw = encode_handshake(stage.real_next)
    data = (stage.peer.handshake(raw[:3]) + stage.peer.record(ContentType.APPLICATION_DATA, b"x")
            + stage.peer.handshake(raw[3:]))
    with pytest.raises(RemoteProtocolError) as info:
        stage.conn.receive_data(data)
    assert info.value.alert == _AD.UNEXPECTED_MESSAGE
    assert_failed_with(stage, _AD.UNEXPECTED_MESSAGE)


@pytest.mark.parametrize("name", _SPLIT_STAGES)
def test_change_cipher_spec_between_whole_messages_is_dropped(name: str) -> None:
    stage = build(name)
    assert stage.conn.receive_data(_CCS) == []
    send_handshake(stage, encode_handshake(stage.real_next))
    assert stage.conn.state != "_Error"


@pytest.mark.parametrize("name", _SPLIT_STAGES)
def test_change_cipher_spec_inside_a_fragmented_handshake_message(name: str) -> None:
    stage = build(name)
    raw = encode_handshake(stage.real_next)
    data = stage.peer.handshake(raw[:10]) + _CCS + stage.peer.handshake(raw[10:])
    with pytest.raises(RemoteProtocolError) as info:
        stage.conn.receive_data(data)
    assert info.value.alert == _AD.UNEXPECTED_MESSAGE
    assert_failed_with(stage, _AD.UNEXPECTED_MESSAGE)


# -- §5.1: a message that precedes a key change must end its record ---------------------------

# (stage, a message after which the reader's key changes)
_KEY_CHANGES: Final = ("client:WaitSH", "client:WaitSH(retry)", "client:WaitFinished",
                       "client:Connected", "server:Start", "server:Start(retry)",
                       "server:WaitFinished", "server:Connected")


@pytest.mark.parametrize("name", _KEY_CHANGES)
def test_message_before_a_key_change_must_end_its_record(name: str) -> None:
    stage = build(name)
    real = stage.real_next
    if name == "client:Connected":
        real = KeyUpdate(request_update=0)
    # A valid message, then the first byte of another one in the same record.
    with pytest.raises(RemoteProtocolError) as info:
        stage.conn.receive_data(stage.peer.handshake(encode_handshake(real) + b"\x18"))
    assert info.value.alert == _AD.UNEXPECTED_MESSAGE
    assert stage.conn.state == "_Error"
    assert stage.conn.data_to_send()  # the alert (after whatever the message produced)
    with pytest.raises(LocalProtocolError):
        stage.conn.receive_data(_CCS)


@pytest.mark.parametrize("name", ("client:Connected", "server:Connected"))
def test_nothing_is_sent_after_our_close_notify(name: str) -> None:
    stage = build(name)
    stage.conn.close()
    assert stage.ours.records(stage.conn.data_to_send()) == [
        (ContentType.ALERT, Alert(level=AlertLevel.WARNING,
                                  description=_AD.CLOSE_NOTIFY).to_bytes())]
    stage.conn.receive_data(stage.peer.handshake(encode_handshake(KeyUpdate(request_update=1))))
    assert stage.conn.data_to_send() == b""


def _hello_retry_request_for(stage: Stage) -> ServerHello:
    """A valid HelloRetryRequest answering the ClientHello this client sent (§4.1.4)."""
    sent = stage.real_next  # the real ServerHello echoes what the ClientHello offered
    assert isinstance(sent, ServerHello)
    return ServerHello(random=HELLO_RETRY_REQUEST_RANDOM,
                       legacy_session_id_echo=sent.legacy_session_id_echo,
                       cipher_suite=sent.cipher_suite,
                       extensions=(SupportedVersionsServerHello(selected_version=0x0304),
                                   KeyShareHelloRetryRequest(selected_group=NamedGroup.SECP256R1),
                                   Cookie(cookie=b"opaque cookie")))


def test_a_valid_hello_retry_request_is_answered() -> None:
    stage = build("client:WaitSH")
    send_handshake(stage, encode_handshake(_hello_retry_request_for(stage)))
    assert stage.conn.state == "WaitSH"
    second = [r for r in split_records(stage.conn.data_to_send())
              if r[0] == ContentType.HANDSHAKE]
    assert len(second) == 1 and second[0][5] == _HT.CLIENT_HELLO


@STATES
@given(data=st.data())
def test_near_misses_of_a_hello_retry_request(data: st.DataObject) -> None:
    stage = build("client:WaitSH")
    hrr = data.draw(_variants(_hello_retry_request_for(stage)), label="variant")
    send_handshake(stage, encode_handshake(hrr))


# -- pre_shared_key and early_data offers, which this server does not take up ------------------

_PSK_OFFER: Final = PreSharedKeyClientHello(
    identities=(PskIdentity(identity=b"a ticket from elsewhere", obfuscated_ticket_age=1),),
    binders=(bytes(32),))


def test_pre_shared_key_without_psk_modes_is_refused() -> None:
    stage = build("server:Start")
    hello = stage.real_next
    assert isinstance(hello, ClientHello)
    exts = tuple(e for e in hello.extensions if not isinstance(e, PskKeyExchangeModes))
    with pytest.raises(RemoteProtocolError) as info:
        stage.conn.receive_data(stage.peer.handshake(encode_handshake(
            replace(hello, extensions=(*exts, _PSK_OFFER)))))
    assert info.value.alert in (_AD.MISSING_EXTENSION, _AD.ILLEGAL_PARAMETER)
    assert_failed_with(stage, info.value.alert)


def _offer_early_data(hello: ClientHello) -> ClientHello:
    # What a client resuming with 0-RTT sends: early_data, and pre_shared_key last (§4.2.11).
    return replace(hello, extensions=(*hello.extensions, EarlyDataIndication(), _PSK_OFFER))


def test_rejected_early_data_is_skipped() -> None:
    run = start(hello_hook=_offer_early_data)
    client, server = run.client, run.server
    client.start_handshake()
    # 0-RTT application data under a key this server never derives, right after the hello.
    early = b"".join(_record(ContentType.APPLICATION_DATA, bytes([i]) * 40) for i in range(3))
    server.receive_data(client.data_to_send() + early)
    client.receive_data(server.data_to_send())
    server.receive_data(client.data_to_send())
    assert client.handshake_complete and server.handshake_complete


def _record(content_type: int, body: bytes) -> bytes:
    return bytes([content_type, 3, 3]) + len(body).to_bytes(2, "big") + body
