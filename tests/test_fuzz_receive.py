"""Whatever bytes arrive, receive_data raises only TLSError, stops, and keeps memory bounded.

(STYLE convention 15.) Random bytes, record-shaped random bytes, and real flights
that were truncated or damaged once are fed to client and server connections in
several states, in random pieces. The only outcomes allowed for each call:

- events (or nothing yet: the bytes end mid-record);
- RemoteProtocolError: the connection is in ERROR and one fatal alert is queued;
- FatalAlertReceived: the bytes happened to form an alert; nothing is queued.

After an error every further receive_data raises LocalProtocolError. Any other
exception fails the test. Memory stays within the record (§5.1, §5.2) and
handshake-message size limits, whatever lengths the bytes claim.
"""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Callable
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import mutations, uint
from test_state_properties import (
    PLAINTEXT_STAGES,
    STAGE_NAMES,
    Stage,
    build,
    split_records,
    start,
)
from tlsglass import Connection
from tlsglass.enums import AlertDescription, ContentType
from tlsglass.errors import (
    FatalAlertReceived,
    LocalProtocolError,
    RemoteProtocolError,
    TLSError,
)
from tlsglass.events import ApplicationData, HandshakeComplete
from tlsglass.wire.handshake import KeyUpdate
from tlsglass.wire.record import MAX_CIPHERTEXT_LEN, MAX_PLAINTEXT_LEN

FUZZ = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_AD = AlertDescription
_CCS_ALERT_HS_APP: Final = (int(ContentType.CHANGE_CIPHER_SPEC), int(ContentType.ALERT),
                            int(ContentType.HANDSHAKE), int(ContentType.APPLICATION_DATA))
_MB: Final = 1 << 20


# -- the invariant ---------------------------------------------------------------------------


def feed(conn: Connection, chunks: list[bytes]) -> TLSError | None:
    """Feed chunks until one fails; only TLSError may escape, and ERROR is for good."""
    for chunk in chunks:
        try:
            conn.receive_data(chunk)
        except RemoteProtocolError as exc:
            assert exc.alert not in (_AD.INTERNAL_ERROR, _AD.CLOSE_NOTIFY), exc.__cause__
            assert conn.state == "_Error"
            # The fatal alert comes last (what the same call produced before the failure,
            # such as a server's first flight, may precede it).
            records = split_records(conn.data_to_send())
            assert records, "no alert queued"
            last = records[-1]
            if last[0] == ContentType.ALERT:
                assert last[5:] == bytes([2, exc.alert])
            else:
                assert last[0] == ContentType.APPLICATION_DATA  # sealed under our write key
            _assert_dead(conn)
            return exc
        except FatalAlertReceived as exc:
            assert conn.state == "_Error"
            assert conn.data_to_send() == b""
            _assert_dead(conn)
            return exc
    assert conn.state != "_Error"
    return None


def _assert_dead(conn: Connection) -> None:
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"\x15\x03\x03\x00\x02\x02\x28")
    with pytest.raises(LocalProtocolError):
        conn.send_application_data(b"x")


def _cut(args: tuple[bytes, list[int]]) -> list[bytes]:
    data, points = args
    edges = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def in_pieces(data: st.SearchStrategy[bytes]) -> st.SearchStrategy[list[bytes]]:
    """`data` cut at random points (possibly not at all)."""
    return st.tuples(data, st.lists(st.integers(0, 1 << 20), max_size=6)).map(_cut)


def _record(content_type: int, body: bytes, version: int = 0x0303) -> bytes:
    return bytes([content_type]) + version.to_bytes(2, "big") + len(body).to_bytes(2, "big") \
        + body


# Bytes shaped like records (known or odd content types and versions, random bodies) reach
# past the header checks; raw random bytes mostly do not.
_record_like = st.builds(
    _record,
    st.one_of(st.sampled_from(_CCS_ALERT_HS_APP), uint(1)),
    st.binary(max_size=80),
    st.one_of(st.sampled_from([0x0303, 0x0301]), uint(2)),
)
_random_streams = st.one_of(
    st.binary(min_size=1, max_size=400),
    st.lists(_record_like, min_size=1, max_size=4).map(b"".join),
    st.tuples(st.lists(_record_like, min_size=1, max_size=3).map(b"".join),
              st.binary(min_size=1, max_size=40)).map(b"".join),
)


@pytest.mark.parametrize("name", STAGE_NAMES)
@FUZZ
@given(data=st.data())
def test_random_bytes_only_raise_tls_errors(name: str, data: st.DataObject) -> None:
    stage = build(name)
    feed(stage.conn, data.draw(in_pieces(_random_streams)))


# -- real flights, truncated and damaged ----------------------------------------------------


def _flight(name: str) -> tuple[Connection, bytes]:
    """A fresh receiver and the real bytes its peer sends it at that point."""
    run = start(retry=name.startswith("retry"))
    client, server = run.client, run.server
    client.start_handshake()
    hello = client.data_to_send()
    if name == "ClientHello to server":
        return server, hello
    server.receive_data(hello)
    if name == "retry: HelloRetryRequest to client":
        return client, server.data_to_send()
    if name == "retry: second ClientHello to server":
        client.receive_data(server.data_to_send())
        return server, client.data_to_send()
    first = server.data_to_send()
    if name == "server flight to client":
        return client, first
    client.receive_data(first)
    second = client.data_to_send()
    if name == "client Finished to server":
        return server, second
    server.receive_data(second)
    if name == "application data to client":
        server.send_application_data(b"downstream " * 40)
        server.key_update(request_peer=True)
        server.send_application_data(b"after the update")
        server.close()
        return client, server.data_to_send()
    assert name == "application data to server"
    client.send_application_data(b"upstream " * 40)
    client.close()
    return server, client.data_to_send()


FLIGHTS: Final = ("ClientHello to server", "retry: HelloRetryRequest to client",
                  "retry: second ClientHello to server", "server flight to client",
                  "client Finished to server", "application data to client",
                  "application data to server")


@pytest.mark.parametrize("name", FLIGHTS)
def test_real_flight_is_accepted(name: str) -> None:
    receiver, data = _flight(name)
    assert feed(receiver, [data]) is None


@pytest.mark.parametrize("name", FLIGHTS)
@FUZZ
@given(data=st.data())
def test_truncated_flight_waits_then_completes(name: str, data: st.DataObject) -> None:
    receiver, flight = _flight(name)
    cut = data.draw(st.integers(0, len(flight)), label="cut")
    # Every whole record before the cut is valid, so a prefix never fails: it waits.
    assert feed(receiver, data.draw(in_pieces(st.just(flight[:cut])))) is None
    assert feed(receiver, [flight[cut:]]) is None
    expected, _ = _flight(name)
    expected.receive_data(flight)
    assert receiver.state == expected.state


@pytest.mark.parametrize("name", FLIGHTS)
@FUZZ
@given(data=st.data())
def test_damaged_flight_only_raises_tls_errors(name: str, data: st.DataObject) -> None:
    receiver, flight = _flight(name)
    feed(receiver, data.draw(in_pieces(mutations(st.just(flight)))))


# -- memory stays bounded by the size limits ------------------------------------------------


@pytest.mark.parametrize("name", STAGE_NAMES)
@pytest.mark.parametrize("content_type", _CCS_ALERT_HS_APP)
def test_huge_record_length_is_record_overflow_at_once(name: str, content_type: int) -> None:
    """5 MB of headers that each claim 65535 bytes: refused at the first header (§5.1, §5.2)."""
    stage = build(name)
    stream = _record(content_type, b"")[:3] + b"\xff\xff"
    stream *= 5 * _MB // len(stream)
    error = feed(stage.conn, [stream[i : i + 65536] for i in range(0, len(stream), 65536)])
    assert isinstance(error, RemoteProtocolError)
    assert error.alert == _AD.RECORD_OVERFLOW


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_the_header_alone_is_enough_to_refuse_an_oversized_record(name: str) -> None:
    stage = build(name)
    keyed = name not in PLAINTEXT_STAGES
    limit = MAX_CIPHERTEXT_LEN if keyed else MAX_PLAINTEXT_LEN
    content_type = ContentType.APPLICATION_DATA if keyed else ContentType.HANDSHAKE
    # At the limit the header is fine and the connection waits for the body...
    assert stage.conn.receive_data(_record(content_type, b"")[:3]
                                   + limit.to_bytes(2, "big")) == []
    # ...one byte more is refused before any body arrives.
    error = feed(build(name).conn, [_record(content_type, b"")[:3]
                                    + (limit + 1).to_bytes(2, "big")])
    assert isinstance(error, RemoteProtocolError)
    assert error.alert == _AD.RECORD_OVERFLOW


_KEYED: Final = tuple(n for n in STAGE_NAMES
                      if n not in PLAINTEXT_STAGES)


@pytest.mark.parametrize("name", _KEYED)
@pytest.mark.parametrize(("content", "padding"), [(2**14 + 1, 0), (2**14 - 100, 101),
                                                  (2**14 + 200, 0)])
def test_decrypted_record_over_the_plaintext_limit(name: str, content: int,
                                                   padding: int) -> None:
    """§5.4: TLSInnerPlaintext (content, type, padding) may not exceed 2^14 + 1 octets."""
    stage = build(name)
    record = stage.peer.sealed(ContentType.APPLICATION_DATA, bytes(content), padding)
    assert len(record) - 5 <= MAX_CIPHERTEXT_LEN  # passes the header check
    error = feed(stage.conn, [record])
    assert isinstance(error, RemoteProtocolError)
    assert error.alert == _AD.RECORD_OVERFLOW


@pytest.mark.parametrize("name", ("client:Connected", "server:Connected"))
def test_full_size_records_are_accepted(name: str) -> None:
    stage = build(name)
    events = stage.conn.receive_data(
        stage.peer.sealed(ContentType.APPLICATION_DATA, bytes(2**14 - 10), padding=10))
    assert events == [ApplicationData(data=bytes(2**14 - 10))]


def _handshake_header(msg_type: int, length: int) -> bytes:
    return bytes([msg_type]) + length.to_bytes(3, "big")


_FIRST_TYPE: Final = {  # a message type each state expects
    "client:WaitSH": 2, "client:WaitSH(retry)": 2, "client:WaitEE": 8,
    "client:WaitCertCR": 11, "client:WaitCert": 11, "client:WaitCV": 15,
    "client:WaitFinished": 20, "client:Connected": 4,
    "server:Start": 1, "server:Start(retry)": 1, "server:WaitFinished": 20,
    "server:Connected": 24, "server:WaitEndOfEarlyData": 5,
    "client:ClientConnectedPHA": 13, "server:PostAuthWaitCert": 11,
    "server:PostAuthWaitFinished": 20,
}


@pytest.mark.parametrize("name", STAGE_NAMES)
@pytest.mark.parametrize("claimed", [(1 << 18) + 1, (1 << 24) - 1])
def test_oversized_handshake_message_is_refused_from_its_header(name: str,
                                                                claimed: int) -> None:
    """A length over max_handshake_message_size is decode_error before any body is buffered."""
    stage = build(name)
    assert stage.conn.config.max_handshake_message_size == 1 << 18
    error = feed(stage.conn, [stage.peer.handshake(_handshake_header(_FIRST_TYPE[name],
                                                                      claimed))])
    assert isinstance(error, RemoteProtocolError)
    assert error.alert == _AD.DECODE_ERROR


@pytest.mark.parametrize("side", ["client", "server"])
def test_handshake_message_limit_is_configurable(side: str) -> None:
    """Up to the limit a message is buffered across records; one byte more is refused."""
    limit = 1000
    for claimed, refused in ((limit, False), (limit + 1, True)):
        if side == "client":
            run = start(max_handshake_message_size=limit)
            run.client.start_handshake()
            conn, msg_type = run.client, 2
        else:
            run = start(server_options={"max_handshake_message_size": limit})
            conn, msg_type = run.server, 1
        header = _record(ContentType.HANDSHAKE, _handshake_header(msg_type, claimed))
        error = feed(conn, [header, _record(ContentType.HANDSHAKE, bytes(100))])
        if refused:
            assert isinstance(error, RemoteProtocolError)
            assert error.alert == _AD.DECODE_ERROR
        else:
            assert error is None  # 104 of 1004 bytes so far: waiting for the rest


def _memory_while(feed_all: Callable[[], None]) -> tuple[int, int]:
    """(bytes still allocated after `feed_all`, peak bytes allocated during it)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        feed_all()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before, peak - before


def _connected_pair() -> tuple[Connection, Connection]:
    run = start()
    run.client.start_handshake()
    run.server.receive_data(run.client.data_to_send())
    run.client.receive_data(run.server.data_to_send())
    run.server.receive_data(run.client.data_to_send())
    assert run.client.handshake_complete and run.server.handshake_complete
    return run.client, run.server


def test_receive_buffer_stays_bounded_while_streaming() -> None:
    """5 MB of application data read in 64 KiB + 1 pieces: only one record's worth stays."""
    client, server = _connected_pair()
    for _ in range(320):
        server.send_application_data(bytes(2**14))
    stream = server.data_to_send()
    step = 65537  # like socket reads: never aligned with the 16406-byte records
    received = 0

    def run() -> None:
        nonlocal received
        for i in range(0, len(stream), step):
            for event in client.receive_data(stream[i : i + step]):
                assert isinstance(event, ApplicationData)
                received += len(event.data)

    _, peak = _memory_while(run)
    assert received == 320 * 2**14
    assert peak < _MB, f"{peak} bytes held while streaming {len(stream)}"


def test_bytes_after_close_notify_are_dropped() -> None:
    """§6.1: data after a closure alert MUST be ignored; it must not pile up either."""
    client, server = _connected_pair()
    server.close()
    client.receive_data(server.data_to_send())
    junk = b"\x17\x03\x03\x00\x10" + bytes(64 * 1024)

    def run() -> None:
        for _ in range(80):
            assert client.receive_data(junk) == []

    retained, peak = _memory_while(run)
    assert retained < _MB // 2, f"{retained} bytes kept after close_notify"
    assert peak < _MB


def test_our_record_size_limit_is_enforced() -> None:
    """RFC 8449 §4: a record larger than the limit we advertised is record_overflow."""
    run = start(record_size_limit=1024)
    client, server = run.client, run.server
    client.start_handshake()
    server.receive_data(client.data_to_send())
    events = client.receive_data(server.data_to_send())
    assert any(isinstance(e, HandshakeComplete) for e in events)
    stage = Stage("client:Connected", client, run.sealer("SERVER_TRAFFIC_SECRET_0"),
                  run.opener("CLIENT_TRAFFIC_SECRET_0"), KeyUpdate(request_update=0))
    client.data_to_send()
    # 1024 bytes of TLSInnerPlaintext (content and type) are fine; 1025 are not.
    assert stage.conn.receive_data(stage.peer.sealed(ContentType.APPLICATION_DATA,
                                                     bytes(1023))) != []
    error = feed(stage.conn, [stage.peer.sealed(ContentType.APPLICATION_DATA, bytes(1024))])
    assert isinstance(error, RemoteProtocolError)
    assert error.alert == _AD.RECORD_OVERFLOW
