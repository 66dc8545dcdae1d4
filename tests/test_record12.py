"""TLS 1.2 record protection (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 7905 §2) in the record layer.

A TLS 1.2 record has no inner content type: the plaintext is the content itself. These
tests pin that every protected 1.2 record, application data included, is opened as 1.2
(the 1.3 bulk path must not take it), and that the sequence number, the header in the
additional data and the explicit nonce are what the RFCs say.
"""

from __future__ import annotations

import pytest

from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo, suite_info
from tlsglass.enums import CipherSuite, ContentType
from tlsglass.errors import BadRecordMac
from tlsglass.record import RecordLayer, RecordProtection12

_APP = int(ContentType.APPLICATION_DATA)
_HS = int(ContentType.HANDSHAKE)
_SUITES = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
           CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
           CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]


def _suite(suite: CipherSuite) -> SuiteInfo:
    info = suite_info(suite)
    assert info is not None
    return info


def _pair(suite: CipherSuite) -> tuple[RecordLayer, RecordLayer]:
    info = _suite(suite)
    key = Secret("client_write_key", bytes(range(info.key_len)))
    iv = bytes(range(100, 100 + info.fixed_iv_len))
    sender, receiver = RecordLayer(), RecordLayer()
    sender.write = RecordProtection12(info, key, iv)
    receiver.read = RecordProtection12(info, key, iv)
    return sender, receiver


def _drain(layer: RecordLayer) -> list[tuple[int, bytes]]:
    out = []
    while (record := layer.next_record()) is not None:
        out.append(record)
    return out


@pytest.mark.parametrize("suite", _SUITES)
@pytest.mark.parametrize("data", [b"x", b"hello", bytes(range(256)) * 64])
def test_application_data_round_trips_whole(suite: CipherSuite, data: bytes) -> None:
    """The last plaintext byte is data, not a content type (the 1.3 bulk path once ate it)."""
    sender, receiver = _pair(suite)
    receiver.feed(sender.protect(_APP, data) + sender.protect(_HS, b"\x14\x00\x00\x00"))
    assert _drain(receiver) == [(_APP, data), (_HS, b"\x14\x00\x00\x00")]


@pytest.mark.parametrize("suite", _SUITES)
def test_header_type_is_authenticated(suite: CipherSuite) -> None:
    sender, receiver = _pair(suite)
    record = bytearray(sender.protect(_APP, b"secret"))
    record[0] = _HS  # RFC 5246 §6.2.3.3: the type is in the additional data
    receiver.feed(bytes(record))
    with pytest.raises(BadRecordMac):
        receiver.next_record()


@pytest.mark.parametrize("suite", _SUITES)
def test_replayed_record_fails_under_the_next_sequence_number(suite: CipherSuite) -> None:
    sender, receiver = _pair(suite)
    record = sender.protect(_APP, b"once")
    receiver.feed(record + record)
    assert receiver.next_record() == (_APP, b"once")
    with pytest.raises(BadRecordMac):
        receiver.next_record()


def test_gcm_explicit_nonce_is_the_sequence_number() -> None:
    """RFC 5288 §3: 8 explicit nonce bytes after the header; ours is the sequence number,
    unique per key. ChaCha20-Poly1305 (RFC 7905 §2) sends none."""
    sender, _ = _pair(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    first, second = sender.protect(_APP, b"a"), sender.protect(_APP, b"a")
    assert first[5:13] == (0).to_bytes(8, "big") and second[5:13] == (1).to_bytes(8, "big")
    assert len(first) == 5 + 8 + 1 + 16
    chacha, _ = _pair(CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)
    assert len(chacha.protect(_APP, b"a")) == 5 + 1 + 16
