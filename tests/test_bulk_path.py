"""The connection's bulk paths for application data, against its general path.

`Connection.receive_data` opens whole TLS 1.3 application-data records straight away
(`RecordLayer.open_application_record(s)`), and `send_application_data` seals one
record without the general path's choices (STYLE convention 16). These tests pin
that nothing else changes: every split of any mix of records gives the same events,
records the bulk path must not take (another content type, padding, a bad tag, a
limit, a half-received handshake message, a closed or failed connection, a tracer)
go the general way with its alerts, and sequence numbers stay in step.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tlsglass
from helpers import Pair, Pki, client_config, server_config
from tlsglass import AlertDescription, ApplicationData, RemoteProtocolError
from tlsglass.enums import CipherSuite, ContentType

SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]
PKI = Pki()
LEAF = PKI.issue()


def _pair(suite: CipherSuite = SUITES[0], **client: object) -> Pair:
    return Pair(client_config(PKI, cipher_suites=(suite,), **client),
                server_config(LEAF, tickets_per_connection=0)).handshake()


def _received(pair: Pair, data: bytes, rng: random.Random) -> list[tlsglass.Event]:
    events: list[tlsglass.Event] = []
    i = 0
    while i < len(data):
        n = rng.choice((1, 5, 300, 16_000, 17_000, 40_000, len(data)))
        events.extend(pair.server.receive_data(data[i : i + n]))
        i += n
    return events


@settings(max_examples=40, deadline=None)
@given(suite=st.sampled_from(SUITES), seed=st.integers(0, 2**32),
       plan=st.lists(st.one_of(st.integers(0, 20_000), st.just(-1)), min_size=1, max_size=12))
def test_any_mix_and_split_gives_the_same_data(suite: CipherSuite, seed: int,
                                              plan: list[int]) -> None:
    """Writes of any size (0: none sent; -1: a KeyUpdate) in chunks of any size."""
    pair = _pair(suite)
    rng = random.Random(seed)
    sent = bytearray()
    for size in plan:
        if size < 0:
            pair.client.key_update(request_peer=False)
        else:
            data = rng.randbytes(size)
            pair.client.send_application_data(data)
            sent += data
    events = _received(pair, pair.client.data_to_send(), rng)
    got = b"".join(e.data for e in events if isinstance(e, ApplicationData))
    assert got == sent
    assert all(isinstance(e, ApplicationData | tlsglass.KeyUpdated) for e in events)
    # Still in step both ways afterwards.
    pair.server.send_application_data(b"back")
    assert pair.client.receive_data(pair.server.data_to_send()) == [
        ApplicationData(data=b"back")]


@pytest.mark.parametrize("suite", SUITES)
def test_tampered_record_is_bad_record_mac(suite: CipherSuite) -> None:
    pair = _pair(suite)
    pair.client.send_application_data(b"x" * 1000)
    record = bytearray(pair.client.data_to_send())
    record[100] ^= 1
    with pytest.raises(RemoteProtocolError) as caught:
        pair.server.receive_data(bytes(record))
    assert caught.value.alert == AlertDescription.BAD_RECORD_MAC
    assert pair.server.failed


def test_padded_records_are_read_by_the_general_path() -> None:
    pair = _pair(padding=lambda content_type, length: 100)
    pair.client.send_application_data(b"padded")
    wire = pair.client.data_to_send()
    assert len(wire) == 5 + len(b"padded") + 1 + 100 + 16
    assert pair.server.receive_data(wire) == [ApplicationData(data=b"padded")]


def test_a_ticket_in_front_of_application_data() -> None:
    pair = Pair(client_config(PKI), server_config(LEAF, tickets_per_connection=0)).handshake()
    pair.server.send_application_data(b"one")
    pair.server.key_update(request_peer=False)
    pair.server.send_application_data(b"two")
    events = pair.client.receive_data(pair.server.data_to_send())
    assert [type(e).__name__ for e in events] == ["ApplicationData", "KeyUpdated",
                                                  "ApplicationData"]
    assert b"".join(e.data for e in events if isinstance(e, ApplicationData)) == b"onetwo"


def test_over_our_record_size_limit_is_record_overflow() -> None:
    pair = Pair(client_config(PKI, record_size_limit=1024),
                server_config(LEAF, tickets_per_connection=0)).handshake()
    records = pair.client._records
    records.max_inner_plaintext_in = 1024  # as negotiated; now let the server ignore it
    pair.server._records.max_fragment_out = 4000
    pair.server.send_application_data(b"z" * 4000)
    with pytest.raises(RemoteProtocolError) as caught:
        pair.client.receive_data(pair.server.data_to_send())
    assert caught.value.alert == AlertDescription.RECORD_OVERFLOW


def test_application_data_inside_a_split_handshake_message_is_refused() -> None:
    pair = _pair()
    # The first half of a KeyUpdate (a 4-byte header announcing one more byte).
    write = pair.client._records.write
    assert write is not None
    partial = write.seal(int(ContentType.HANDSHAKE), b"\x18\x00\x00\x01", 0)
    data = write.seal(int(ContentType.APPLICATION_DATA), b"data", 0)
    with pytest.raises(RemoteProtocolError) as caught:
        pair.server.receive_data(partial + data)
    assert caught.value.alert == AlertDescription.UNEXPECTED_MESSAGE


def test_nothing_after_close_notify_and_nothing_after_an_error() -> None:
    pair = _pair()
    pair.client.close()
    pair.client._local_closed = False  # a peer that goes on writing after close_notify
    pair.client._update_bulk_write()
    pair.client.send_application_data(b"after")
    assert pair.server.receive_data(pair.client.data_to_send()) == [tlsglass.ConnectionClosed()]
    failed = _pair()
    failed.client.send_application_data(b"x")
    bad = bytearray(failed.client.data_to_send())
    bad[-1] ^= 1
    with pytest.raises(RemoteProtocolError):
        failed.server.receive_data(bytes(bad))
    with pytest.raises(tlsglass.LocalProtocolError):
        failed.server.receive_data(b"\x17\x03\x03\x00\x11" + bytes(17))


def test_sending_after_close_and_with_a_tracer() -> None:
    pair = _pair()
    pair.client.close()
    with pytest.raises(tlsglass.LocalProtocolError):
        pair.client.send_application_data(b"late")
    seen: list[object] = []
    traced = _pair(trace=seen.append)
    traced.client.send_application_data(b"traced")
    assert any(type(r).__name__ == "RecordTrace" for r in seen)
    assert traced.server.receive_data(traced.client.data_to_send()) == [
        ApplicationData(data=b"traced")]


def test_writes_update_keys_before_the_usage_limit() -> None:
    pair = _pair(key_update_after_records=3)
    for i in range(7):
        pair.client.send_application_data(bytes([i]) * 10)
    events = pair.server.receive_data(pair.client.data_to_send())
    assert b"".join(e.data for e in events if isinstance(e, ApplicationData)) == \
        b"".join(bytes([i]) * 10 for i in range(7))
    assert sum(isinstance(e, tlsglass.KeyUpdated) for e in events) == 2


def test_split_handshake_message_then_application_data_in_the_next_call() -> None:
    pair = _pair()
    write = pair.client._records.write
    assert write is not None
    assert pair.server.receive_data(write.seal(int(ContentType.HANDSHAKE),
                                               b"\x18\x00\x00\x01", 0)) == []
    with pytest.raises(RemoteProtocolError) as caught:
        pair.server.receive_data(write.seal(int(ContentType.APPLICATION_DATA), b"data", 0))
    assert caught.value.alert == AlertDescription.UNEXPECTED_MESSAGE


def test_whole_records_skip_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    pair = _pair()
    general: list[bytes] = []
    original = pair.server._process

    def counting(data: bytes) -> None:
        general.append(data)
        original(data)

    monkeypatch.setattr(pair.server, "_process", counting)
    for size in (1, 1000, 16384):
        pair.client.send_application_data(b"a" * size)
        assert pair.server.receive_data(pair.client.data_to_send()) == [
            ApplicationData(data=b"a" * size)]
    pair.client.send_application_data(b"b" * 40000)  # three records in one call
    assert b"".join(e.data for e in pair.server.receive_data(pair.client.data_to_send())
                    if isinstance(e, ApplicationData)) == b"b" * 40000
    assert general == []
