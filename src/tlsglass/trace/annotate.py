"""Annotated bytes: a message's exact bytes, field by field, derived from the wire codecs.

Nothing here knows a message's layout. `annotate_message` re-encodes the decoded
dataclass through a Writer that notes where each top-level write lands; the
writes of an `encode` follow the dataclass's field order (as the RFC's struct
does), so the n-th write is the n-th field. Lists of structures and extension
blocks are opened the same way, recursively. The re-encoding must reproduce the
bytes that crossed the wire (convention 4); when it does not, the message is shown
as one unlabelled span rather than mislabelled.

A field declared `repr=False` (Finished.verify_data, ticket secrets) is masked
unless the caller asks to reveal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType, TracebackType
from typing import Any, Final

from tlsglass.enums import (
    CipherSuite,
    ContentType,
    ExtensionType,
    HandshakeType,
    KeyUpdateRequest,
    NamedGroup,
    ProtocolVersion,
    PskKeyExchangeMode,
    SignatureScheme,
    describe,
)
from tlsglass.wire import Extension, HandshakeMessage, RawExtension, Writer, encode_handshake

__all__ = ["ByteField", "annotate_message", "annotate_record_header", "enum_for", "show_value"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ByteField:
    """One labelled span: bytes [start, end) of the message, nested `depth` deep."""

    start: int
    end: int
    label: str
    value: str
    depth: int
    data: bytes = dataclasses.field(repr=False)
    hidden: bool = False


# Which registry a field's integers come from, by field name (RFC names) ...
_FIELD_ENUMS: Final[Mapping[str, type[IntEnum]]] = MappingProxyType({
    "cipher_suites": CipherSuite, "cipher_suite": CipherSuite, "group": NamedGroup,
    "selected_group": NamedGroup, "algorithm": SignatureScheme,
    "legacy_version": ProtocolVersion, "selected_version": ProtocolVersion,
    "request_update": KeyUpdateRequest, "ke_modes": PskKeyExchangeMode,
    "msg_type": HandshakeType, "content_type": ContentType,
    "legacy_record_version": ProtocolVersion,
})
# ... or, for the generic list bodies, by the extension that carries them.
_EXTENSION_ENUMS: Final[Mapping[int, type[IntEnum]]] = MappingProxyType({
    ExtensionType.SUPPORTED_GROUPS: NamedGroup,
    ExtensionType.SIGNATURE_ALGORITHMS: SignatureScheme,
    ExtensionType.SIGNATURE_ALGORITHMS_CERT: SignatureScheme,
    ExtensionType.SUPPORTED_VERSIONS: ProtocolVersion,
})


def enum_for(owner: object, name: str) -> type[IntEnum] | None:
    """The registry that names the integers of field `name` of `owner`, if any."""
    if name == "values" and isinstance(owner, Extension):
        return _EXTENSION_ENUMS.get(ExtensionType(owner.type_code)) \
            if owner.type_code in ExtensionType._value2member_map_ else None
    return _FIELD_ENUMS.get(name)


def show_value(owner: object, name: str, value: object, reveal: bool = False) -> str:
    """A field's value for people: registry names for code points, hex for short bytes."""
    if not reveal and _hidden(owner, name):
        size = len(value) if isinstance(value, bytes) else 4
        return f"({size} bytes, not shown)"
    kind = enum_for(owner, name)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return describe(kind, value) if kind else str(value)
    if isinstance(value, bytes):
        return _show_bytes(value)
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return ", ".join(describe(kind, v) if kind else str(v) for v in value)
    if isinstance(value, tuple) and all(isinstance(v, bytes) for v in value):
        return ", ".join(_show_bytes(v) for v in value)
    if isinstance(value, tuple) and all(isinstance(v, tuple) for v in value):
        return ", ".join(show_value(None, "", v[-1]) for v in value if v)
    if isinstance(value, tuple):
        return f"{len(value)} item(s)"
    return type(value).__name__


def _show_bytes(value: bytes) -> str:
    if value and all(32 <= b < 127 for b in value) and len(value) <= 64:
        return repr(value.decode("ascii"))
    if len(value) <= 16:
        return value.hex() or "(empty)"
    return f"{len(value)} bytes"


def _hidden(owner: object, name: str) -> bool:
    if not dataclasses.is_dataclass(owner):
        return False
    return any(f.name == name and not f.repr for f in dataclasses.fields(owner))


class _SpanWriter(Writer):
    """A Writer that notes where each top-level write lands (start, end, width of prefix)."""

    __slots__ = ("_depth", "spans")

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self.spans: list[tuple[int, int, int]] = []

    def _enter(self) -> int:
        self._depth += 1
        return len(self)

    def _leave(self, start: int, prefix: int = 0) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.spans.append((start, len(self), prefix))

    def uint(self, width: int, value: int) -> None:
        start = self._enter()
        super().uint(width, value)
        self._leave(start)

    def u8(self, value: int) -> None:
        self.uint(1, value)

    def u16(self, value: int) -> None:
        self.uint(2, value)

    def write(self, data: bytes) -> None:
        start = self._enter()
        super().write(data)
        self._leave(start)

    def fixed(self, data: bytes, length: int, what: str = "field") -> None:
        start = self._enter()
        super().fixed(data, length, what)
        self._leave(start)

    def opaque(self, width: int, data: bytes, minimum: int = 0, maximum: int | None = None,
               what: str = "opaque") -> None:
        start = self._enter()
        super().opaque(width, data, minimum, maximum, what)
        self._leave(start, width)

    def uints(self, width: int, item_width: int, values: Iterable[int], minimum: int = 0,
              maximum: int | None = None, what: str = "list") -> None:
        start = self._enter()
        super().uints(width, item_width, values, minimum, maximum, what)
        self._leave(start, width)

    def prefixed(  # type: ignore[override]  # a context manager all the same
            self, width: int, minimum: int = 0, maximum: int | None = None,
            what: str = "vector") -> _Tracked:
        return _Tracked(self, Writer.prefixed(self, width, minimum, maximum, what), width)


class _Tracked:
    """Wraps a reserved length prefix so the whole prefixed block counts as one write."""

    def __init__(self, writer: _SpanWriter, inner: AbstractContextManager[None],
                 width: int) -> None:
        self._writer, self._inner, self._width = writer, inner, width
        self._start = len(writer) - width
        writer._depth += 1

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._inner.__exit__(exc_type, exc, tb)
        self._writer._leave(self._start, self._width)


def _spans(encode: Callable[[Writer], None]) -> tuple[bytes, list[tuple[int, int, int]]]:
    w = _SpanWriter()
    encode(w)
    return w.getvalue(), w.spans


def annotate_message(msg: HandshakeMessage, raw: bytes, reveal: bool = False
                     ) -> tuple[ByteField, ...]:
    """Label every byte of `raw` (the message as sent, header included)."""
    name = describe(HandshakeType, raw[0]) if raw else "?"
    head = [ByteField(start=0, end=1, label="msg_type", value=name, depth=0, data=raw[:1]),
            ByteField(start=1, end=4, label="length", value=str(len(raw) - 4), depth=0,
                      data=raw[1:4])]
    if encode_handshake(msg) != raw:
        return (*head, ByteField(start=4, end=len(raw), label="body (not re-encodable)",
                                 value=f"{len(raw) - 4} bytes", depth=0, data=raw[4:]))
    return (*head, *_struct(msg, msg.encode, raw, 4, 0, reveal))


def _struct(obj: Any, encode: Callable[[Writer], None], raw: bytes, base: int, depth: int,
            reveal: bool) -> Iterator[ByteField]:
    _, spans = _spans(encode)
    fields = [f.name for f in dataclasses.fields(obj)]
    if len(fields) == 1 and len(spans) > 1:
        only = getattr(obj, fields[0])
        if dataclasses.is_dataclass(only) and hasattr(only, "encode"):
            # A body that is one structure written inline (KeyShareServerHello's entry).
            yield from _struct(only, only.encode, raw, base, depth, reveal)
            return
    for index, (start, end, prefix) in enumerate(spans):
        name = fields[index] if index < len(fields) and len(spans) <= len(fields) \
            else f"field {index + 1}"
        value = getattr(obj, name, None)
        hidden = not reveal and _hidden(obj, name)
        yield ByteField(start=base + start, end=base + end, label=name,
                        value=show_value(obj, name, value, reveal), depth=depth,
                        data=b"" if hidden else raw[base + start:base + end], hidden=hidden)
        if isinstance(value, tuple) and value and not hidden and _is_struct(value[0]):
            if prefix:
                yield _length(raw, base + start, prefix, depth + 1)
            yield from _items(value, raw, base + start + prefix, depth + 1, reveal)
        elif dataclasses.is_dataclass(value) and hasattr(value, "encode"):
            yield from _struct(value, value.encode, raw, base + start, depth + 1, reveal)


def _is_struct(item: object) -> bool:
    return isinstance(item, Extension) or (dataclasses.is_dataclass(item)
                                           and hasattr(item, "encode"))


def _length(raw: bytes, at: int, width: int, depth: int) -> ByteField:
    """A length prefix as its own field, so the leaves cover every byte."""
    data = raw[at:at + width]
    return ByteField(start=at, end=at + width, label="length",
                     value=f"{int.from_bytes(data, 'big')} bytes follow", depth=depth, data=data)


def _items(items: tuple[object, ...], raw: bytes, at: int, depth: int,
           reveal: bool) -> Iterator[ByteField]:
    """The members of a list, each opened in turn (extensions get their 4-byte header)."""
    for item in items:
        if isinstance(item, Extension):
            at = yield from _extension(item, raw, at, depth, reveal)
        elif dataclasses.is_dataclass(item) and hasattr(item, "encode"):
            body, _ = _spans(item.encode)
            yield from _struct(item, item.encode, raw, at, depth, reveal)
            at += len(body)
        else:
            return  # a list of plain values is shown whole by its parent


def _extension(ext: Extension, raw: bytes, at: int, depth: int,
               reveal: bool) -> Generator[ByteField, None, int]:
    body, _ = _spans(ext.encode_body)
    name = describe(ExtensionType, ext.type_code)
    end = at + 4 + len(body)
    yield ByteField(start=at, end=end, label=f"extension {name}",
                    value=f"{len(body)} bytes of extension_data", depth=depth,
                    data=raw[at:end])
    yield ByteField(start=at, end=at + 2, label="extension_type", value=name, depth=depth + 1,
                    data=raw[at:at + 2])
    yield _length(raw, at + 2, 2, depth + 1)
    if not body:
        return end
    if dataclasses.fields(ext) and not isinstance(ext, RawExtension):
        yield from _struct(ext, ext.encode_body, raw, at + 4, depth + 1, reveal)
    else:
        yield ByteField(start=at + 4, end=end, label="extension_data",
                        value=show_value(ext, "data", body), depth=depth + 1,
                        data=raw[at + 4:end])
    return end


def annotate_record_header(header: bytes, content_type: int, protected: bool
                           ) -> tuple[ByteField, ...]:
    """The 5-byte record header as on the wire (§5.1); `content_type` is what it carried."""
    if len(header) != 5:
        return ()
    length = int.from_bytes(header[3:5], "big")
    kind = describe(ContentType, header[0])
    inner = describe(ContentType, content_type)
    if protected:
        kind += f" (opaque_type: the real type, {inner}, is sealed inside, §5.2)"
        size = f"{length} bytes: the encrypted {inner} content, its type byte and the AEAD tag"
    else:
        size = f"{length} bytes of {inner} content"
    return (
        ByteField(start=0, end=1, label="content_type", value=kind, depth=0, data=header[:1]),
        ByteField(start=1, end=3, label="legacy_record_version",
                  value=describe(ProtocolVersion, int.from_bytes(header[1:3], "big")),
                  depth=0, data=header[1:3]),
        ByteField(start=3, end=5, label="length", value=size, depth=0, data=header[3:5]),
    )
