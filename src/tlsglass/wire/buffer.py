"""Reader and Writer: the only byte cursors in tlsglass (convention 5).

A Reader never reads past its end: every length prefix opens a sub-reader bounded
by that length, and a structure is finished only when its reader is used up.
Bounds come from the RFC's `<min..max>` notation and are passed in, not re-checked
by hand. Every failure is a `DecodeError`, so arbitrary input decodes or raises
exactly that. The Writer reserves length prefixes and fills them in afterwards,
refusing any length outside its declared bounds with `EncodeError`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tlsglass.errors import DecodeError, EncodeError

__all__ = ["Reader", "Writer", "decode_whole"]

T = TypeVar("T")

_MAX_FOR_WIDTH = {1: 0xFF, 2: 0xFFFF, 3: 0xFFFFFF, 4: 0xFFFFFFFF}


def decode_whole(decode: Callable[[Reader], T], data: bytes, what: str) -> T:
    """`decode` over all of `data`: DecodeError if it stops short (convention 5)."""
    r = Reader(data)
    value = decode(r)
    r.finish(what)
    return value


class Reader:
    """A bounded cursor over bytes. `pos` is absolute within the underlying buffer."""

    __slots__ = ("_data", "_end", "_pos")

    def __init__(self, data: bytes | bytearray | memoryview, start: int = 0,
                 end: int | None = None) -> None:
        self._data = data if isinstance(data, bytes) else bytes(data)
        self._pos = start
        self._end = len(self._data) if end is None else end

    @property
    def pos(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def at_end(self) -> bool:
        return self._pos == self._end

    def finish(self, what: str = "structure") -> None:
        """Require that everything was consumed (RFC 8446 §4: no trailing bytes)."""
        if self._pos != self._end:
            raise DecodeError(f"{self._end - self._pos} unexpected trailing bytes in {what}")

    def _take(self, n: int) -> int:
        start = self._pos
        if n > self._end - start:
            raise DecodeError(f"truncated: needed {n} bytes, {self._end - start} left")
        self._pos = start + n
        return start

    def uint(self, width: int) -> int:
        start = self._take(width)
        return int.from_bytes(self._data[start : start + width], "big")

    def u8(self) -> int:
        start = self._pos
        if start >= self._end:
            raise DecodeError(f"truncated: needed 1 byte, {self._end - start} left")
        self._pos = start + 1
        return self._data[start]

    def u16(self) -> int:
        # The commonest field (~30 per ClientHello): no helper calls.
        start = self._pos
        if self._end - start < 2:
            raise DecodeError(f"truncated: needed 2 bytes, {self._end - start} left")
        self._pos = start + 2
        data = self._data
        return data[start] << 8 | data[start + 1]

    def u24(self) -> int:
        return self.uint(3)

    def u32(self) -> int:
        return self.uint(4)

    def read(self, n: int) -> bytes:
        """Exactly n bytes (a fixed-length field such as Random)."""
        start = self._take(n)
        return self._data[start : start + n]

    def rest(self) -> bytes:
        start = self._pos
        self._pos = self._end
        return self._data[start : self._end]

    def _length(self, width: int, minimum: int, maximum: int, what: str) -> int:
        start = self._pos
        if width == 2 and self._end - start >= 2:  # the usual prefix, read inline
            self._pos = start + 2
            n = self._data[start] << 8 | self._data[start + 1]
        else:
            n = self.u16() if width == 2 else self.u8() if width == 1 else self.uint(width)
        if n < minimum or n > maximum:
            raise DecodeError(f"{what} length {n} outside <{minimum}..{maximum}>")
        return n

    def opaque(self, width: int, minimum: int = 0, maximum: int | None = None,
               what: str = "opaque") -> bytes:
        """`opaque x<minimum..maximum>` with a `width`-byte length prefix."""
        n = self._length(width, minimum, _MAX_FOR_WIDTH[width] if maximum is None else maximum,
                         what)
        return self.read(n)

    def sub(self, width: int, minimum: int = 0, maximum: int | None = None,
            what: str = "vector") -> Reader:
        """A Reader over the next length-prefixed block; this reader moves past it."""
        n = self._length(width, minimum, _MAX_FOR_WIDTH[width] if maximum is None else maximum,
                         what)
        start = self._pos
        if n > self._end - start:
            raise DecodeError(f"truncated: needed {n} bytes, {self._end - start} left")
        self._pos = start + n
        # Our own data is already bytes: skip __init__'s check (~23 sub-readers a handshake).
        child = Reader.__new__(Reader)
        child._data, child._pos, child._end = self._data, start, start + n
        return child

    def extension_header(self) -> tuple[int, Reader]:
        """One extension's `ExtensionType extension_type` and a Reader over its
        `opaque extension_data<0..2^16-1>` (§4.2); this reader moves past both."""
        # One call, not u16 + sub: every extension of every message comes through here
        # (14 a full handshake; benchmarks/bench.py --profile handshake, convention 16).
        start, end, data = self._pos, self._end, self._data
        if end - start < 4:
            raise DecodeError(f"truncated: needed 4 bytes, {end - start} left")
        n = data[start + 2] << 8 | data[start + 3]
        body = start + 4
        if n > end - body:
            raise DecodeError(f"truncated: needed {n} bytes, {end - body} left")
        self._pos = body + n
        child = Reader.__new__(Reader)
        child._data, child._pos, child._end = data, body, body + n
        return data[start] << 8 | data[start + 1], child

    def extension_body(self) -> tuple[int, bytes]:
        """One extension's type and its extension_data as bytes (§4.2); this reader
        moves past both. For the decoders that look a body up before parsing it."""
        start, end, data = self._pos, self._end, self._data
        if end - start < 4:
            raise DecodeError(f"truncated: needed 4 bytes, {end - start} left")
        n = data[start + 2] << 8 | data[start + 3]
        body = start + 4
        if n > end - body:
            raise DecodeError(f"truncated: needed {n} bytes, {end - body} left")
        self._pos = body + n
        return data[start] << 8 | data[start + 1], data[body : body + n]

    @contextmanager
    def block(self, width: int, minimum: int = 0, maximum: int | None = None,
              what: str = "vector") -> Iterator[Reader]:
        """`with r.block(2) as s:` reads a prefixed block and requires it used up."""
        s = self.sub(width, minimum, maximum, what)
        yield s
        s.finish(what)

    def vector(self, width: int, minimum: int, maximum: int | None,
               item: Callable[[Reader], T], what: str = "vector") -> tuple[T, ...]:
        """A length-prefixed list whose items are read by `item` until the block ends."""
        s = self.sub(width, minimum, maximum, what)
        out: list[T] = []
        while not s.at_end():
            out.append(item(s))
        return tuple(out)

    def uints(self, width: int, item_width: int, minimum: int, maximum: int | None,
              what: str = "list") -> tuple[int, ...]:
        """A length-prefixed list of fixed-width integers (suites, groups, schemes...)."""
        # No sub-reader: six of these per ClientHello (benchmarks/bench.py --profile handshake).
        n = self._length(width, minimum, _MAX_FOR_WIDTH[width] if maximum is None else maximum,
                         what)
        start = self._pos
        if n > self._end - start:
            raise DecodeError(f"truncated: needed {n} bytes, {self._end - start} left")
        if n % item_width:
            raise DecodeError(f"{what} length {n} is not a multiple of {item_width}")
        self._pos = start + n
        data = self._data[start : start + n]
        if item_width == 2:
            return struct.unpack(f">{n // 2}H", data)
        return tuple(int.from_bytes(data[i : i + item_width], "big")
                     for i in range(0, len(data), item_width))


class Writer:
    """Appends big-endian fields to a bytearray; length prefixes are filled in afterwards."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self._buf)

    def __len__(self) -> int:
        return len(self._buf)

    def uint(self, width: int, value: int) -> None:
        try:
            self._buf += value.to_bytes(width, "big")  # OverflowError if negative or too big
        except OverflowError:
            raise EncodeError(f"value {value} does not fit in {width} bytes") from None

    # u8 and u16, the commonest fields, are written directly; a subclass that watches
    # every integer (trace/annotate.py's span writer) overrides them to go through
    # `uint`, as u24 and u32 always do.
    def u8(self, value: int) -> None:
        if not 0 <= value <= 0xFF:
            raise EncodeError(f"value {value} does not fit in 1 bytes")
        self._buf.append(value)

    def u16(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise EncodeError(f"value {value} does not fit in 2 bytes")
        buf = self._buf
        buf.append(value >> 8)
        buf.append(value & 0xFF)

    def u24(self, value: int) -> None:
        self.uint(3, value)

    def u32(self, value: int) -> None:
        self.uint(4, value)

    def write(self, data: bytes) -> None:
        self._buf += data

    def fixed(self, data: bytes, length: int, what: str = "field") -> None:
        if len(data) != length:
            raise EncodeError(f"{what} must be {length} bytes, not {len(data)}")
        self._buf += data

    def prefixed(self, width: int, minimum: int = 0, maximum: int | None = None,
                 what: str = "vector") -> _Prefixed:
        """Reserve a `width`-byte length, let the body be written, then fill it in."""
        return _Prefixed(self._buf, width, minimum, maximum, what)

    def opaque(self, width: int, data: bytes, minimum: int = 0, maximum: int | None = None,
               what: str = "opaque") -> None:
        n = len(data)
        top = _MAX_FOR_WIDTH[width] if maximum is None else maximum
        if n < minimum or n > top:
            raise EncodeError(f"{what} length {n} outside <{minimum}..{top}>")
        self._buf += n.to_bytes(width, "big")
        self._buf += data

    def extension(self, code: int, encode_body: Callable[[Writer], None]) -> None:
        """One `Extension` (§4.2): extension_type, then extension_data<0..2^16-1> as
        `encode_body` writes it."""
        # One call, not u16 + prefixed (five calls): 14 extensions a full handshake, and
        # the ClientHello's encoding went from ~29 to ~21 us (min of timeit; convention 16).
        # Only ever inside a prefixed extensions block, so a span-noting subclass (the
        # tracer's) sees the block whole.
        if not 0 <= code <= 0xFFFF:
            raise EncodeError(f"value {code} does not fit in 2 bytes")
        buf = self._buf
        at = len(buf) + 2
        buf += bytes((code >> 8, code & 0xFF, 0, 0))
        encode_body(self)
        n = len(buf) - at - 2
        if n > 0xFFFF:
            raise EncodeError(f"extension_data length {n} outside <0..65535>")
        buf[at] = n >> 8
        buf[at + 1] = n & 0xFF

    def uints(self, width: int, item_width: int, values: Iterable[int], minimum: int = 0,
              maximum: int | None = None, what: str = "list") -> None:
        try:
            if item_width == 2:  # one pack, not one to_bytes per value (six lists a ClientHello)
                items = tuple(values)
                body = struct.pack(f">{len(items)}H", *items)
            else:
                body = b"".join([v.to_bytes(item_width, "big") for v in values])
        except (OverflowError, struct.error):
            raise EncodeError(f"a value in {what} does not fit in {item_width} bytes") from None
        self.opaque(width, body, minimum, maximum, what)


class _Prefixed:
    """`with w.prefixed(...)`: a length reserved on entry and filled in on exit.

    A small class rather than @contextmanager: it runs ~15 times per ClientHello.
    """

    __slots__ = ("_at", "_buf", "_maximum", "_minimum", "_what", "_width")

    def __init__(self, buf: bytearray, width: int, minimum: int, maximum: int | None,
                 what: str) -> None:
        self._buf, self._width, self._minimum, self._what = buf, width, minimum, what
        self._maximum = _MAX_FOR_WIDTH[width] if maximum is None else maximum
        self._at = len(buf)
        buf += bytes(width)

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            return
        buf, at, width = self._buf, self._at, self._width
        n = len(buf) - at - width
        if n < self._minimum or n > self._maximum:
            raise EncodeError(f"{self._what} length {n} outside <{self._minimum}..{self._maximum}>")
        buf[at : at + width] = n.to_bytes(width, "big")
