"""Reader and Writer: the only byte cursors in tlsglass (convention 5).

A Reader never reads past its end: every length prefix opens a sub-reader bounded
by that length, and a structure is finished only when its reader is used up.
Bounds come from the RFC's `<min..max>` notation and are passed in, not re-checked
by hand. Every failure is a `DecodeError`, so arbitrary input decodes or raises
exactly that. The Writer reserves length prefixes and fills them in afterwards,
refusing any length outside its declared bounds with `EncodeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tlsglass.errors import DecodeError, EncodeError

__all__ = ["Reader", "Writer"]

T = TypeVar("T")

_MAX_FOR_WIDTH = {1: 0xFF, 2: 0xFFFF, 3: 0xFFFFFF, 4: 0xFFFFFFFF}


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
        start = self._take(1)
        return self._data[start]

    def u16(self) -> int:
        return self.uint(2)

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
        n = self.uint(width)
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
        start = self._take(n)
        return Reader(self._data, start, start + n)

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
        s = self.sub(width, minimum, maximum, what)
        if s.remaining % item_width:
            raise DecodeError(f"{what} length {s.remaining} is not a multiple of {item_width}")
        data = s.read(s.remaining)
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
        if value < 0 or value > _MAX_FOR_WIDTH[width]:
            raise EncodeError(f"value {value} does not fit in {width} bytes")
        self._buf += value.to_bytes(width, "big")

    def u8(self, value: int) -> None:
        self.uint(1, value)

    def u16(self, value: int) -> None:
        self.uint(2, value)

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

    @contextmanager
    def prefixed(self, width: int, minimum: int = 0, maximum: int | None = None,
                 what: str = "vector") -> Iterator[None]:
        """Reserve a `width`-byte length, let the body be written, then fill it in."""
        at = len(self._buf)
        self._buf += bytes(width)
        yield
        n = len(self._buf) - at - width
        top = _MAX_FOR_WIDTH[width] if maximum is None else maximum
        if n < minimum or n > top:
            raise EncodeError(f"{what} length {n} outside <{minimum}..{top}>")
        self._buf[at : at + width] = n.to_bytes(width, "big")

    def opaque(self, width: int, data: bytes, minimum: int = 0, maximum: int | None = None,
               what: str = "opaque") -> None:
        with self.prefixed(width, minimum, maximum, what):
            self._buf += data

    def uints(self, width: int, item_width: int, values: Iterable[int], minimum: int = 0,
              maximum: int | None = None, what: str = "list") -> None:
        with self.prefixed(width, minimum, maximum, what):
            for v in values:
                self.uint(item_width, v)
