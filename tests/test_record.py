"""The record layer's bulk path (a whole protected record opened inline) against its general path.

`RecordLayer.next_record` takes a shortcut for whole protected application_data
records (STYLE convention 16); these tests pin that the shortcut and the general
path agree on every split of the input and refuse the same malformed records with
the same errors.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo, suite_info
from tlsglass.enums import CipherSuite, ContentType
from tlsglass.errors import BadRecordMac, DecodeError, RecordOverflow
from tlsglass.record import RecordLayer, RecordProtection
from tlsglass.wire.record import MAX_CIPHERTEXT_LEN, encode_header

_APP = int(ContentType.APPLICATION_DATA)


def _suite(suite: CipherSuite) -> SuiteInfo:
    info = suite_info(suite)
    assert info is not None
    return info


def _pair(suite: CipherSuite = CipherSuite.TLS_AES_128_GCM_SHA256) -> tuple[
        RecordLayer, RecordLayer]:
    info = _suite(suite)
    secret = Secret("test_traffic_secret", bytes(range(info.hash_len)))
    sender, receiver = RecordLayer(), RecordLayer()
    sender.write = RecordProtection(info, secret)
    receiver.read = RecordProtection(info, secret)
    return sender, receiver


def _drain(layer: RecordLayer) -> list[tuple[int, bytes]]:
    out = []
    while (record := layer.next_record()) is not None:
        out.append(record)
    return out


@pytest.mark.parametrize("suite", [CipherSuite.TLS_AES_128_GCM_SHA256,
                                   CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
                                   CipherSuite.TLS_AES_256_GCM_SHA384])
def test_full_size_records_round_trip(suite: CipherSuite) -> None:
    sender, receiver = _pair(suite)
    data = bytes(range(256)) * 128  # two full 16 KiB records
    receiver.feed(sender.protect(_APP, data))
    records = _drain(receiver)
    assert [t for t, _ in records] == [_APP, _APP]
    assert b"".join(c for _, c in records) == data
    assert receiver.read is not None and receiver.read.seq == 2


@given(sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=5), data=st.data())
def test_any_split_gives_the_same_records(sizes: list[int], data: st.DataObject) -> None:
    sender, receiver = _pair()
    contents = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    wire = b"".join(sender.protect(_APP, c) for c in contents)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    got: list[tuple[int, bytes]] = []
    for start, end in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        receiver.feed(wire[start:end])
        got += _drain(receiver)
    assert got == [(_APP, c) for c in contents]
    assert receiver.buffered == 0


def test_handshake_record_inside_protection() -> None:
    sender, receiver = _pair()
    receiver.feed(sender.protect(int(ContentType.HANDSHAKE), b"\x14\x00\x00\x00"))
    assert receiver.next_record() == (int(ContentType.HANDSHAKE), b"\x14\x00\x00\x00")


def test_tampered_record_is_bad_record_mac_and_keeps_the_sequence() -> None:
    sender, receiver = _pair()
    record = bytearray(sender.protect(_APP, b"hello"))
    record[-1] ^= 1
    receiver.feed(bytes(record))
    with pytest.raises(BadRecordMac):
        receiver.next_record()
    assert receiver.read is not None and receiver.read.seq == 0


@pytest.mark.parametrize("length", [0, 1, 16])
def test_record_too_short_for_a_tag(length: int) -> None:
    _, receiver = _pair()
    receiver.feed(encode_header(_APP, 0x0303, length) + bytes(length))
    with pytest.raises(BadRecordMac):
        receiver.next_record()


def test_oversized_record_is_refused_from_its_header() -> None:
    _, receiver = _pair()
    # Only the header has arrived: the limit is checked before the body is awaited.
    receiver.feed(encode_header(_APP, 0x0303, MAX_CIPHERTEXT_LEN + 1))
    with pytest.raises(RecordOverflow):
        receiver.next_record()


def test_whole_oversized_record_is_refused() -> None:
    _, receiver = _pair()
    receiver.feed(encode_header(_APP, 0x0303, MAX_CIPHERTEXT_LEN + 1)
                  + bytes(MAX_CIPHERTEXT_LEN + 1))
    with pytest.raises(RecordOverflow):
        receiver.next_record()


def test_wrong_major_version_is_decode_error() -> None:
    sender, receiver = _pair()
    record = bytearray(sender.protect(_APP, b"hello"))
    record[1] = 4
    receiver.feed(bytes(record))
    with pytest.raises(DecodeError):
        receiver.next_record()
