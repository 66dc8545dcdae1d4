"""Record framing: the 5-byte header and TLSInnerPlaintext (RFC 8446 §5.1, §5.2, §5.4).

Records are the hot path, so these are plain functions over bytes rather than a
dataclass per record (STYLE convention 16); `RecordHeader` exists for people and
for the tracer, which decode a header at their leisure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Self

from tlsglass._fastinit import fast_init
from tlsglass.errors import UnexpectedMessage
from tlsglass.wire.buffer import Reader, Writer

__all__ = [
    "MAX_CIPHERTEXT_LEN",
    "MAX_PLAINTEXT_LEN",
    "RECORD_HEADER_LEN",
    "RecordHeader",
    "build_inner_plaintext",
    "encode_header",
    "split_inner_plaintext",
]

RECORD_HEADER_LEN: Final = 5
MAX_PLAINTEXT_LEN: Final = 1 << 14  # §5.1
MAX_CIPHERTEXT_LEN: Final = (1 << 14) + 256  # §5.2: TLSCiphertext.length limit


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RecordHeader:
    """§5.1 TLSPlaintext / §5.2 TLSCiphertext header."""

    content_type: int
    legacy_record_version: int
    length: int

    def encode(self, w: Writer) -> None:
        w.u8(self.content_type)
        w.u16(self.legacy_record_version)
        w.u16(self.length)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(content_type=r.u8(), legacy_record_version=r.u16(), length=r.u16())


def encode_header(content_type: int, version: int, length: int) -> bytes:
    return bytes((content_type, version >> 8, version & 0xFF, length >> 8, length & 0xFF))


def build_inner_plaintext(content: bytes, content_type: int, padding: int) -> bytes:
    """§5.2 TLSInnerPlaintext: content, the real type, then `padding` zero bytes."""
    return b"".join((content, bytes((content_type,)), bytes(padding)))


def split_inner_plaintext(inner: bytes) -> tuple[int, bytes]:
    """Strip the zero padding and return (content type, content). §5.4."""
    stripped = inner.rstrip(b"\x00")
    if not stripped:
        raise UnexpectedMessage("protected record has no non-zero content type")
    return stripped[-1], stripped[:-1]
