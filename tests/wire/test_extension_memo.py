"""Extension blocks remember encodings and decodings (wire/extension_block.py).

The memo may only save work: what is encoded or decoded through it is exactly what
the field-by-field codec gives, bad bytes are refused every time, the extensions
that carry fresh values are never kept, a watching Writer still sees every field,
and the tables stay bounded.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import TYPED_EXTENSIONS, extension_blocks
from tlsglass.enums import ExtensionType, HandshakeType
from tlsglass.errors import DecodeError
from tlsglass.wire import extension_block
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.extension_block import decode_extensions, encode_extensions, remember_encoding
from tlsglass.wire.extensions import (
    Extension,
    KeyShareClientHello,
    KeyShareEntry,
    SignatureAlgorithms,
    SupportedGroups,
)

CONTEXTS = sorted(c for c in TYPED_EXTENSIONS if TYPED_EXTENSIONS[c])


def _field_by_field(exts: tuple[Extension, ...]) -> bytes:
    w = Writer()
    with w.prefixed(2, what="extensions"):
        for ext in exts:
            w.extension(ext.type_code, ext.encode_body)
    return w.getvalue()


def _encode(exts: tuple[Extension, ...], writer: Writer | None = None) -> bytes:
    w = writer or Writer()
    encode_extensions(w, exts)
    return w.getvalue()


def _decode(data: bytes, context: int) -> tuple[Extension, ...]:
    r = Reader(data)
    exts = decode_extensions(r, context)
    r.finish()
    return exts


@given(context=st.sampled_from(CONTEXTS), data=st.data())
def test_remembered_encodings_are_the_codecs_own(context: int, data: st.DataObject) -> None:
    exts = data.draw(extension_blocks(context))
    expected = _field_by_field(exts)
    remembered = tuple(remember_encoding(e) for e in exts)
    assert remembered == exts
    assert _encode(remembered) == expected == _encode(remembered)


@given(context=st.sampled_from(CONTEXTS), data=st.data())
def test_decoding_twice_gives_the_same_extensions(context: int, data: st.DataObject) -> None:
    wire = _field_by_field(data.draw(extension_blocks(context)))
    first = _decode(wire, context)
    assert _decode(wire, context) == first
    assert _field_by_field(first) == wire


def test_a_watching_writer_sees_every_field() -> None:
    groups = remember_encoding(SupportedGroups(values=(29, 23)))

    class Watching(Writer):
        __slots__ = ("writes",)

        def __init__(self) -> None:
            super().__init__()
            self.writes: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.writes.append(bytes(data))
            super().write(data)

    w = Watching()
    assert _encode((groups,), w) == _field_by_field((groups,))
    assert _field_by_field((groups,))[2:] not in w.writes  # not written as one blob


def test_fresh_extensions_are_never_kept() -> None:
    share = KeyShareClientHello(client_shares=(KeyShareEntry(group=29, key_exchange=b"k" * 32),))
    remember_encoding(share)
    assert id(share) not in extension_block._ENCODED
    wire = _field_by_field((share,))
    assert _decode(wire, HandshakeType.CLIENT_HELLO) == (share,)
    assert not [k for k in extension_block._DECODED if k[1] == ExtensionType.KEY_SHARE]


def test_a_bad_body_is_refused_every_time() -> None:
    _decode(_field_by_field((SignatureAlgorithms(values=(0x0403,)),)), HandshakeType.CLIENT_HELLO)
    body = b"\x00\x03\x04\x03\x00"  # supported_signature_algorithms of odd length
    one = b"\x00\x0d" + len(body).to_bytes(2, "big") + body
    bad = len(one).to_bytes(2, "big") + one
    for _ in range(2):
        with pytest.raises(DecodeError):
            _decode(bad, HandshakeType.CLIENT_HELLO)


def test_bounded() -> None:
    for i in range(3 * extension_block._MAX_DECODED):
        wire = _field_by_field((SupportedGroups(values=(i & 0xFFFF,)),))
        _decode(wire, HandshakeType.CLIENT_HELLO)
        remember_encoding(SupportedGroups(values=(i,)))
    assert len(extension_block._DECODED) <= extension_block._MAX_DECODED
    assert len(extension_block._ENCODED) <= extension_block._MAX_ENCODED
