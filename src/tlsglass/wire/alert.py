"""Alert and ChangeCipherSpec bodies (RFC 8446 §6, §5; App. D.4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Self

from tlsglass._fastinit import fast_init
from tlsglass.wire.buffer import Reader, Writer

__all__ = ["CHANGE_CIPHER_SPEC_BODY", "Alert"]

# App. D.4 / §5: the only valid ChangeCipherSpec body.
CHANGE_CIPHER_SPEC_BODY: Final = b"\x01"


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """§6: level and description stay ints, so unknown values survive for the tracer."""

    level: int
    description: int

    def encode(self, w: Writer) -> None:
        w.u8(self.level)
        w.u8(self.description)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(level=r.u8(), description=r.u8())

    def to_bytes(self) -> bytes:
        return bytes((self.level, self.description))
