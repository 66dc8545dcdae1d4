"""Labelled bytes come from the codecs: for every message the leaves tile its bytes exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from strategies import handshake_messages
from tlsglass.trace import ByteField, annotate_message, annotate_record_header
from tlsglass.wire import HandshakeMessage, decode_handshake, encode_handshake

DATA = Path(__file__).resolve().parents[1] / "data"
_RFC8448 = json.loads((DATA / "rfc8448_simple_1rtt.json").read_text())["values"]
_MESSAGES = ["client_hello", "server_hello", "encrypted_extensions", "certificate",
             "certificate_verify", "server_finished", "client_finished", "new_session_ticket"]


def _leaves(fields: tuple[ByteField, ...]) -> list[ByteField]:
    return [f for i, f in enumerate(fields)
            if not (i + 1 < len(fields) and fields[i + 1].depth > f.depth)]


def _check_tiling(msg: HandshakeMessage, raw: bytes) -> tuple[ByteField, ...]:
    fields = annotate_message(msg, raw, reveal=True)
    position = 0
    for leaf in _leaves(fields):
        assert leaf.start == position, (leaf, position)
        assert leaf.data == raw[leaf.start:leaf.end]
        position = leaf.end
    assert position == len(raw)
    return fields


@pytest.mark.parametrize("name", [m for m in _MESSAGES if m in _RFC8448])
def test_rfc8448_messages_are_labelled_byte_for_byte(name: str) -> None:
    raw = bytes.fromhex(_RFC8448[name])
    _check_tiling(decode_handshake(raw[0], raw[4:]), raw)


def test_client_hello_labels_follow_the_rfc_struct() -> None:
    raw = bytes.fromhex(_RFC8448["client_hello"])
    fields = annotate_message(decode_handshake(1, raw[4:]), raw)
    top = [f.label for f in fields if f.depth == 0]
    assert top == ["msg_type", "length", "legacy_version", "random", "legacy_session_id",
                   "cipher_suites", "legacy_compression_methods", "extensions"]
    by_label = {f.label: f for f in fields}
    assert by_label["cipher_suites"].value == ("TLS_AES_128_GCM_SHA256, "
                                               "TLS_CHACHA20_POLY1305_SHA256, "
                                               "TLS_AES_256_GCM_SHA384")
    assert by_label["group"].value == "X25519"
    assert "extension KEY_SHARE" in by_label


def test_masked_fields_carry_no_bytes_without_reveal() -> None:
    raw = bytes.fromhex(_RFC8448["new_session_ticket"])
    fields = annotate_message(decode_handshake(4, raw[4:]), raw)
    hidden = {f.label for f in fields if f.hidden}
    assert hidden == {"ticket_age_add", "ticket_nonce", "ticket"}
    assert all(f.data == b"" and "not shown" in f.value for f in fields if f.hidden)
    finished = bytes.fromhex(_RFC8448["server_finished"])
    [*_, verify] = annotate_message(decode_handshake(20, finished[4:]), finished)
    assert verify.hidden and verify.data == b""


@settings(max_examples=150, deadline=None)
@given(handshake_messages())
def test_every_message_is_labelled_byte_for_byte(msg: HandshakeMessage) -> None:
    _check_tiling(msg, encode_handshake(msg))


def test_bytes_that_do_not_re_encode_are_shown_whole() -> None:
    raw = bytes.fromhex(_RFC8448["server_hello"])
    other = bytes.fromhex(_RFC8448["client_hello"])
    fields = annotate_message(decode_handshake(1, other[4:]), raw)
    assert [f.label for f in fields] == ["msg_type", "length", "body (not re-encodable)"]


def test_record_header() -> None:
    fields = annotate_record_header(bytes.fromhex("1603030010"), 22, protected=False)
    assert [(f.label, f.value) for f in fields] == [
        ("content_type", "HANDSHAKE"), ("legacy_record_version", "TLS1_2"),
        ("length", "16 bytes of HANDSHAKE content")]
    sealed = annotate_record_header(bytes.fromhex("1703030021"), 22, protected=True)
    assert sealed[0].value == ("APPLICATION_DATA (opaque_type: the real type, HANDSHAKE, "
                               "is sealed inside, §5.2)")
    assert sealed[2].value.startswith("33 bytes: the encrypted HANDSHAKE content")
    assert annotate_record_header(b"\x16", 22, protected=False) == ()
