"""Convention 4's three properties for every wire structure, plus the Reader/Writer rules.

- decode(encode(x)) == x for every value the strategies make;
- bytes that decode re-encode to the same bytes;
- arbitrary bytes (and damaged valid encodings) decode or raise DecodeError, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import (
    CONTEXTS,
    EXTENSION_STRATEGIES,
    MESSAGE_STRATEGIES,
    TYPED_EXTENSIONS,
    alerts,
    certificate_entries,
    extension_blocks,
    key_share_entries,
    mutations,
    psk_identities,
    raw_extensions,
    record_headers,
    session_states,
)
from tlsglass.enums import ContentType, HandshakeType
from tlsglass.errors import DecodeError, EncodeError, UnexpectedMessage
from tlsglass.wire.alert import Alert
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.extension_block import decode_extensions, encode_extensions
from tlsglass.wire.extensions import (
    CertificateAuthorities,
    Extension,
    KeyShareEntry,
    PskIdentity,
    RawExtension,
    SupportedVersionsClientHello,
)
from tlsglass.wire.handshake import (
    HANDSHAKE_HEADER_LEN,
    HELLO_RETRY_REQUEST_RANDOM,
    CertificateEntry,
    ClientHello,
    HandshakeMessage,
    ServerHello,
    decode_handshake,
    encode_handshake,
)
from tlsglass.wire.record import (
    RecordHeader,
    build_inner_plaintext,
    encode_header,
    split_inner_plaintext,
)
from tlsglass.wire.ticket import SessionState

CODEC = settings(max_examples=200, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# Parametrized over ~50 structures: fewer examples each, thousands in all.
PER_TYPE = settings(CODEC, max_examples=100)

T = TypeVar("T")

_MESSAGE_TYPES: Final = sorted({int(t) for t in HandshakeType} | {0xFF})


# -- helpers -----------------------------------------------------------------------------------


def _encode(value: Any) -> bytes:
    w = Writer()
    value.encode(w)
    return w.getvalue()


def _decode_exact(decode: Callable[[Reader], T], data: bytes) -> T:
    r = Reader(data)
    value = decode(r)
    r.finish()
    return value


def _encode_block(exts: tuple[Extension, ...]) -> bytes:
    w = Writer()
    encode_extensions(w, exts)
    return w.getvalue()


def _decode_block(data: bytes, context: int) -> tuple[Extension, ...]:
    r = Reader(data)
    exts = decode_extensions(r, context)
    r.finish("extensions")
    return exts


def _body(msg: HandshakeMessage) -> bytes:
    raw = encode_handshake(msg)
    assert raw[0] == msg.msg_type
    assert int.from_bytes(raw[1:4], "big") == len(raw) - HANDSHAKE_HEADER_LEN
    return raw[HANDSHAKE_HEADER_LEN:]


def _decodes_or_decode_error(decode: Callable[[bytes], object], data: bytes) -> object | None:
    """Decode, or return None on DecodeError; any other exception fails the test."""
    try:
        return decode(data)
    except DecodeError:
        return None


# -- the three properties, per structure -------------------------------------------------------


_DAMAGED_MESSAGES: Final = {name: mutations(strategy.map(_body))
                            for name, strategy in MESSAGE_STRATEGIES.items()}


@pytest.mark.parametrize("name", sorted(MESSAGE_STRATEGIES))
@PER_TYPE
@given(data=st.data())
def test_message_codec(name: str, data: st.DataObject) -> None:
    msg = data.draw(MESSAGE_STRATEGIES[name])
    assert decode_handshake(msg.msg_type, _body(msg)) == msg
    # A damaged encoding decodes (and then re-encodes to the same bytes) or is a DecodeError.
    body = data.draw(_DAMAGED_MESSAGES[name])
    again = _decodes_or_decode_error(lambda b: decode_handshake(msg.msg_type, b), body)
    if again is not None:
        assert isinstance(again, HandshakeMessage)
        assert _body(again) == body


@CODEC
@given(hrr=MESSAGE_STRATEGIES["HelloRetryRequest"])
def test_hello_retry_request_is_recognised(hrr: HandshakeMessage) -> None:
    assert isinstance(hrr, ServerHello)
    decoded = decode_handshake(HandshakeType.SERVER_HELLO, _body(hrr))
    assert isinstance(decoded, ServerHello)
    assert decoded.is_hello_retry_request


@CODEC
@given(msg=MESSAGE_STRATEGIES["ClientHello"] | MESSAGE_STRATEGIES["ServerHello"])
def test_hello_without_extensions_has_no_block(msg: HandshakeMessage) -> None:
    # RFC 5246 §7.4.1.2 / §7.4.1.3: no extensions means no block, not an empty one.
    assert isinstance(msg, ClientHello | ServerHello)
    bare = _body(replace(msg, extensions=()))
    full = _body(msg)
    if msg.extensions:
        assert full[: len(bare)] == bare
        assert int.from_bytes(full[len(bare) : len(bare) + 2], "big") == len(full) - len(bare) - 2
    else:
        assert full == bare
    # A block that is present must not be empty (RFC 8446 §4.1.2, §4.1.3).
    with pytest.raises(DecodeError):
        decode_handshake(msg.msg_type, bare + b"\x00\x00")


def _frame_bodies(items: list[tuple[int, bytes]]) -> bytes:
    w = Writer()
    with w.prefixed(2):
        for code, body in items:
            w.u16(code)
            w.opaque(2, body)
    return w.getvalue()


_BLOCK_BYTES: Final = {context: st.one_of(
    st.binary(max_size=64),
    # A well-formed outer block around arbitrary bodies reaches every body decoder.
    st.lists(st.tuples(st.sampled_from(sorted(TYPED_EXTENSIONS[context]) or [0xFAFA]),
                       st.binary(max_size=24)), min_size=1, max_size=3).map(_frame_bodies),
    mutations(extension_blocks(context).map(_encode_block)),
) for context in CONTEXTS}


@pytest.mark.parametrize("context", CONTEXTS, ids=[HandshakeType(c).name for c in CONTEXTS])
@PER_TYPE
@given(data=st.data())
def test_extension_block_codec(context: int, data: st.DataObject) -> None:
    exts = data.draw(extension_blocks(context))
    assert _decode_block(_encode_block(exts), context) == exts
    block = data.draw(_BLOCK_BYTES[context])
    again = _decodes_or_decode_error(lambda b: _decode_block(b, context), block)
    if again is not None:
        assert isinstance(again, tuple)
        assert _encode_block(again) == block


def _extension_body(ext: Extension) -> bytes:
    w = Writer()
    ext.encode_body(w)
    return w.getvalue()


_EXTENSION_CLASSES: Final = sorted(EXTENSION_STRATEGIES, key=lambda c: c.__name__)
_EXTENSION_BYTES: Final = {
    cls: st.one_of(st.binary(max_size=48), mutations(strategy.map(_extension_body)))
    for cls, strategy in EXTENSION_STRATEGIES.items()}


@pytest.mark.parametrize("cls", _EXTENSION_CLASSES, ids=[c.__name__ for c in _EXTENSION_CLASSES])
@PER_TYPE
@given(data=st.data())
def test_extension_codec(cls: type[Extension], data: st.DataObject) -> None:
    strategy = EXTENSION_STRATEGIES[cls]
    ext = data.draw(strategy)
    contexts = [c for c, codes in TYPED_EXTENSIONS.items() if codes.get(ext.type_code) is strategy]
    assert contexts, f"{cls.__name__} is typed in no context"
    for context in contexts:
        assert _decode_block(_encode_block((ext,)), context) == (ext,)
    assert _decode_exact(cls.decode_body, _extension_body(ext)) == ext
    raw = data.draw(_EXTENSION_BYTES[cls])
    again = _decodes_or_decode_error(lambda b: _decode_exact(cls.decode_body, b), raw)
    if again is not None:
        assert isinstance(again, cls)
        assert _extension_body(again) == raw


@CODEC
@given(ext=raw_extensions())
def test_raw_extension_round_trips_in_every_context(ext: Extension) -> None:
    assert isinstance(ext, RawExtension)
    for context in CONTEXTS:
        assert _decode_block(_encode_block((ext,)), context) == (ext,)


def test_raw_extensions_survive_where_a_code_is_not_typed() -> None:
    # key_share is typed in ClientHello but kept raw in EncryptedExtensions, so that
    # check_extensions can refuse it with illegal_parameter (RFC 8446 §4.2).
    block = _encode_block((RawExtension(code=51, data=b"\x00\x1d"),))
    assert _decode_block(block, HandshakeType.ENCRYPTED_EXTENSIONS) == (
        RawExtension(code=51, data=b"\x00\x1d"),)
    with pytest.raises(DecodeError):
        _decode_block(block, HandshakeType.CLIENT_HELLO)  # a 2-byte body is no client_shares


_STRUCTURES: Final[dict[str, tuple[st.SearchStrategy[Any], Callable[[Reader], Any]]]] = {
    "KeyShareEntry": (key_share_entries(), KeyShareEntry.decode),
    "PskIdentity": (psk_identities(), PskIdentity.decode),
    "CertificateEntry": (certificate_entries(), CertificateEntry.decode),
    "Alert": (alerts(), Alert.decode),
    "RecordHeader": (record_headers(), RecordHeader.decode),
    "SessionState": (session_states(), SessionState.decode),
}
_STRUCTURE_BYTES: Final = {
    name: st.one_of(st.binary(max_size=48), mutations(strategy.map(_encode)))
    for name, (strategy, _) in _STRUCTURES.items()}


@pytest.mark.parametrize("name", sorted(_STRUCTURES))
@PER_TYPE
@given(data=st.data())
def test_structure_codec(name: str, data: st.DataObject) -> None:
    strategy, decode = _STRUCTURES[name]
    value = data.draw(strategy)
    assert _decode_exact(decode, _encode(value)) == value
    raw = data.draw(_STRUCTURE_BYTES[name])
    again = _decodes_or_decode_error(lambda b: _decode_exact(decode, b), raw)
    if again is not None:
        assert _encode(again) == raw


@CODEC
@given(alert=alerts())
def test_alert_to_bytes_is_its_encoding(alert: Alert) -> None:
    assert alert.to_bytes() == _encode(alert)


@CODEC
@given(header=record_headers())
def test_encode_header_matches_record_header(header: RecordHeader) -> None:
    assert encode_header(header.content_type, header.legacy_record_version,
                         header.length) == _encode(header)


@CODEC
@given(content=st.binary(max_size=64), content_type=st.integers(1, 255),
       padding=st.integers(0, 64))
def test_inner_plaintext_round_trip(content: bytes, content_type: int, padding: int) -> None:
    inner = build_inner_plaintext(content, content_type, padding)
    assert split_inner_plaintext(inner) == (content_type, content)


@CODEC
@given(zeros=st.integers(0, 64))
def test_inner_plaintext_without_type_is_unexpected_message(zeros: int) -> None:
    with pytest.raises(UnexpectedMessage):  # §5.4: no non-zero octet at all
        split_inner_plaintext(bytes(zeros))


# -- arbitrary bytes decode (and re-encode) or raise DecodeError, and nothing else -------------


@CODEC
@given(msg_type=st.one_of(st.sampled_from(_MESSAGE_TYPES), st.integers(0, 255)),
       body=st.binary(max_size=200))
def test_arbitrary_message_bytes(msg_type: int, body: bytes) -> None:
    msg = _decodes_or_decode_error(lambda b: decode_handshake(msg_type, b), body)
    if msg is not None:
        assert isinstance(msg, HandshakeMessage)
        assert int(msg.msg_type) == msg_type
        assert _body(msg) == body


@CODEC
@given(context=st.one_of(st.sampled_from(CONTEXTS), st.integers(0, 255)),
       block=st.binary(max_size=128))
def test_arbitrary_extension_block_in_any_context(context: int, block: bytes) -> None:
    exts = _decodes_or_decode_error(lambda b: _decode_block(b, context), block)
    if exts is not None:
        assert isinstance(exts, tuple)
        assert _encode_block(exts) == block


# -- Reader ------------------------------------------------------------------------------------


def test_sub_reader_cannot_overrun_its_block() -> None:
    r = Reader(b"\x00\x02abcd")
    s = r.sub(2)
    assert s.remaining == 2
    assert s.read(2) == b"ab"
    with pytest.raises(DecodeError):
        s.u8()
    assert r.read(2) == b"cd"  # the parent continues after the block
    r.finish()


def test_nested_sub_readers_stay_inside_the_outer_block() -> None:
    # The inner block claims 5 bytes, but its parent holds only 3.
    r = Reader(b"\x03\x02\x00\x05xyz")
    outer = r.sub(1)
    inner = outer.sub(1)
    assert inner.read(2) == b"\x00\x05"
    with pytest.raises(DecodeError):
        outer.sub(1)
    assert r.rest() == b"xyz"


@CODEC
@given(data=st.binary(max_size=40), claimed=st.integers(0, 0xFFFF))
def test_sub_longer_than_the_data_is_a_decode_error(data: bytes, claimed: int) -> None:
    r = Reader(claimed.to_bytes(2, "big") + data)
    if claimed > len(data):
        with pytest.raises(DecodeError):
            r.sub(2)
    else:
        assert r.sub(2).rest() == data[:claimed]
        assert r.remaining == len(data) - claimed


def test_sub_reader_over_part_of_a_buffer() -> None:
    r = Reader(b"..\x01z..", start=2, end=4)
    assert r.opaque(1) == b"z"
    r.finish()
    with pytest.raises(DecodeError):
        r.u8()


def test_finish_refuses_trailing_bytes() -> None:
    r = Reader(b"\x01\x02")
    assert r.u8() == 1
    with pytest.raises(DecodeError, match="trailing"):
        r.finish()
    with pytest.raises(DecodeError), Reader(b"\x00\x02ab\x00").block(1) as s:
        s.read(1)


def test_block_must_be_used_up() -> None:
    r = Reader(b"\x02ab")
    with pytest.raises(DecodeError), r.block(1) as s:
        s.u8()
    with Reader(b"\x02ab").block(1) as s:
        assert s.read(2) == b"ab"


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_truncated_integers_are_decode_errors(width: int) -> None:
    with pytest.raises(DecodeError):
        Reader(bytes(width - 1)).uint(width)
    assert Reader(b"\xff" * width).uint(width) == (1 << (8 * width)) - 1


def test_opaque_bounds_are_enforced_when_reading() -> None:
    assert Reader(b"\x02ab").opaque(1, 2, 2) == b"ab"
    with pytest.raises(DecodeError, match="outside"):
        Reader(b"\x01a").opaque(1, 2)
    with pytest.raises(DecodeError, match="outside"):
        Reader(b"\x03abc").opaque(1, 0, 2)
    with pytest.raises(DecodeError):
        Reader(b"\x05ab").opaque(1)


def test_reader_accepts_bytearray_and_memoryview() -> None:
    assert Reader(bytearray(b"\x01a")).opaque(1) == b"a"
    assert Reader(memoryview(b"\x01a")).opaque(1) == b"a"


def test_extension_header_bounds_its_body() -> None:
    r = Reader(b"\x00\x2b\x00\x02\x03\x04\xff")
    code, body = r.extension_header()
    assert (code, body.rest()) == (0x2B, b"\x03\x04")
    assert r.rest() == b"\xff"  # the parent continues after the body
    with pytest.raises(DecodeError, match="truncated"):  # a header cut short
        Reader(b"\x00\x2b\x00").extension_header()
    with pytest.raises(DecodeError, match="truncated"):  # a body longer than what is left
        Reader(b"\x00\x2b\x00\x03ab").extension_header()


@CODEC
@given(code=st.integers(0, 0xFFFF), body=st.binary(max_size=40))
def test_extension_writer_and_header_reader_agree(code: int, body: bytes) -> None:
    w = Writer()
    w.extension(code, lambda inner: inner.write(body))
    assert w.getvalue() == code.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body
    got_code, got_body = Reader(w.getvalue()).extension_header()
    assert (got_code, got_body.rest()) == (code, body)


def test_extension_writer_refuses_what_does_not_fit() -> None:
    with pytest.raises(EncodeError):
        Writer().extension(0x10000, lambda w: None)
    with pytest.raises(EncodeError):
        Writer().extension(-1, lambda w: None)
    with pytest.raises(EncodeError, match="extension_data"):
        Writer().extension(1, lambda w: w.write(bytes(0x10000)))


def test_vector_items_may_not_straddle_the_block_end() -> None:
    # Two 2-byte items need 4 bytes; the block holds 3.
    with pytest.raises(DecodeError):
        Reader(b"\x00\x03\x00\x01\x00").vector(2, 0, None, lambda s: s.u16())


def test_uints_needs_a_multiple_of_the_item_width() -> None:
    assert Reader(b"\x00\x04\x13\x01\x13\x02").uints(2, 2, 2, None) == (0x1301, 0x1302)
    with pytest.raises(DecodeError, match="multiple"):
        Reader(b"\x00\x03\x13\x01\x13").uints(2, 2, 2, None)
    with pytest.raises(DecodeError):  # below the minimum
        Reader(b"\x00\x00").uints(2, 2, 2, None)
    assert Reader(b"\x00").uints(1, 1, 0, None) == ()


# -- Writer ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 3])
def test_writer_refuses_vectors_longer_than_the_prefix(width: int) -> None:
    top = (1 << (8 * width)) - 1
    w = Writer()
    w.opaque(width, bytes(top))
    assert len(w) == width + top
    with pytest.raises(EncodeError):
        Writer().opaque(width, bytes(top + 1))


def test_writer_enforces_declared_bounds() -> None:
    with pytest.raises(EncodeError):
        Writer().opaque(2, b"abcde", maximum=4)
    with pytest.raises(EncodeError):
        Writer().opaque(2, b"", minimum=1)
    with pytest.raises(EncodeError):
        Writer().fixed(b"short", 32, "random")
    with pytest.raises(EncodeError):
        w = Writer()
        with w.prefixed(1, minimum=3):
            w.u8(1)


def test_writer_refuses_over_long_messages() -> None:
    # cipher_suites<2..2^16-2>: 32768 suites are one too many.
    with pytest.raises(EncodeError):
        encode_handshake(ClientHello(random=bytes(32), cipher_suites=(0x1301,) * 32768))
    with pytest.raises(EncodeError):  # legacy_session_id<0..32>
        encode_handshake(ClientHello(random=bytes(32), legacy_session_id=bytes(33),
                                     cipher_suites=(0x1301,)))
    with pytest.raises(EncodeError):  # versions<2..254>
        _encode_block((SupportedVersionsClientHello(values=(0x0304,) * 128),))
    with pytest.raises(EncodeError):  # authorities<3..2^16-1>
        _encode_block((CertificateAuthorities(authorities=()),))
    with pytest.raises(EncodeError):  # extension_data<0..2^16-1>
        _encode_block((RawExtension(code=0xFAFA, data=bytes(0x10000)),))


@pytest.mark.parametrize(("width", "value"), [(1, 256), (2, 0x10000), (3, 1 << 24),
                                              (4, 1 << 32), (1, -1), (2, -1)])
def test_writer_refuses_integers_that_do_not_fit(width: int, value: int) -> None:
    with pytest.raises(EncodeError):
        Writer().uint(width, value)


def test_writer_fills_nested_lengths_afterwards() -> None:
    w = Writer()
    with w.prefixed(2):
        w.u8(7)
        with w.prefixed(1):
            w.write(b"abc")
    assert w.getvalue() == b"\x00\x05\x07\x03abc"


def test_writer_uints_prefix_counts_bytes_not_items() -> None:
    w = Writer()
    w.uints(2, 2, [0x1301, 0x1302, 0x1303])
    assert w.getvalue() == b"\x00\x06\x13\x01\x13\x02\x13\x03"
    w = Writer()
    w.uints(1, 2, [0x0304])
    assert w.getvalue() == b"\x02\x03\x04"
    with pytest.raises(EncodeError):  # the maximum is in bytes too
        Writer().uints(2, 2, [1, 2, 3], maximum=4)
    with pytest.raises(EncodeError):
        Writer().uints(1, 1, [256])


@CODEC
@given(width=st.sampled_from([1, 2, 3]), payload=st.binary(max_size=300))
def test_writer_and_reader_opaque_are_symmetric(width: int, payload: bytes) -> None:
    w = Writer()
    if len(payload) > (1 << (8 * width)) - 1:
        with pytest.raises(EncodeError):
            w.opaque(width, payload)
        return
    w.opaque(width, payload)
    r = Reader(w.getvalue())
    assert r.opaque(width) == payload
    r.finish()


@CODEC
@given(width=st.sampled_from([1, 2]), item_width=st.sampled_from([1, 2, 4]),
       values=st.lists(st.integers(0, 0xFF), max_size=40))
def test_writer_and_reader_uints_are_symmetric(width: int, item_width: int,
                                               values: list[int]) -> None:
    w = Writer()
    if len(values) * item_width > (1 << (8 * width)) - 1:
        with pytest.raises(EncodeError):
            w.uints(width, item_width, values)
        return
    w.uints(width, item_width, values)
    assert int.from_bytes(w.getvalue()[:width], "big") == len(values) * item_width
    assert Reader(w.getvalue()).uints(width, item_width, 0, None) == tuple(values)


# -- a few fixed encodings, so the properties are not only self-consistent ---------------------


def test_hello_retry_request_context_decodes_selected_group() -> None:
    body = (b"\x03\x03" + HELLO_RETRY_REQUEST_RANDOM + b"\x00\x13\x01\x00"
            + b"\x00\x0c" + b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x02\x00\x17")
    msg = decode_handshake(HandshakeType.SERVER_HELLO, body)
    assert isinstance(msg, ServerHello)
    assert msg.is_hello_retry_request
    assert _body(msg) == body
    assert [type(e).__name__ for e in msg.extensions] == [
        "SupportedVersionsServerHello", "KeyShareHelloRetryRequest"]


def test_content_types_are_the_rfc_values() -> None:
    assert [int(t) for t in (ContentType.CHANGE_CIPHER_SPEC, ContentType.ALERT,
                             ContentType.HANDSHAKE, ContentType.APPLICATION_DATA)] == [
        20, 21, 22, 23]

