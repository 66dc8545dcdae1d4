"""One probe's conversation: connect, send a hello, read the server's plaintext flight.

The reader frames records and handshake messages with tlsglass.wire and stops at
the first point where the answer is known: ServerHelloDone (the end of a pre-1.3
server flight), a TLS 1.3 ServerHello or HelloRetryRequest (everything after it is
encrypted), an alert, EOF, a timeout, or bytes that are not TLS. It never sends a
second flight, so no insecure handshake is ever completed. Everything from the
network is untrusted: sizes are capped and every failure becomes a `Flight` field,
never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Final

from tlsglass.enums import AlertDescription, ContentType, HandshakeType, ProtocolVersion, describe
from tlsglass.errors import DecodeError
from tlsglass.wire import (
    RECORD_HEADER_LEN,
    Alert,
    Reader,
    RecordHeader,
    ServerHello,
    SupportedVersionsServerHello,
    decode_whole,
    find,
)

__all__ = ["MAX_FLIGHT_BYTES", "Flight", "Target", "exchange"]

# A first flight with a long chain and a stapled OCSP response is rarely over 30 KB.
MAX_FLIGHT_BYTES: Final = 256 * 1024
# RFC 5246 §6.2.3: TLSCiphertext.length is at most 2^14 + 2048.
_MAX_RECORD: Final = (1 << 14) + 2048
_KNOWN_TYPES: Final = frozenset(int(t) for t in ContentType if t != ContentType.INVALID)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    host: str
    port: int
    server_name: str | None
    timeout: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Flight:
    """What the server answered to one ClientHello, as far as it was read."""

    server_hello: ServerHello | None = None
    messages: tuple[tuple[int, bytes], ...] = ()  # (msg_type, body) after the ServerHello
    alert: Alert | None = None
    record_versions: tuple[int, ...] = ()
    closed: bool = False
    timed_out: bool = False
    refused: str | None = None  # could not connect
    malformed: str | None = None  # what was wrong with bytes that are not TLS

    @property
    def version(self) -> int | None:
        """The version the ServerHello selected (supported_versions first, §4.2.1)."""
        sh = self.server_hello
        if sh is None:
            return None
        selected = find(sh.extensions, SupportedVersionsServerHello)
        return sh.legacy_version if selected is None else selected.selected_version

    def message(self, msg_type: int) -> bytes | None:
        return next((body for t, body in self.messages if t == msg_type), None)

    def describe(self) -> str:
        """One phrase for people: why there is no ServerHello, or what it chose."""
        if self.refused:
            return f"connection failed: {self.refused}"
        if self.malformed:
            return f"not TLS: {self.malformed}"
        if self.alert is not None:
            return f"alert {describe(AlertDescription, self.alert.description).lower()}"
        if self.server_hello is not None:
            return "ServerHello"
        if self.timed_out:
            return "no answer (timed out)"
        return "connection closed without an answer"


class _Framer:
    """Reassembles handshake messages from records; records the first alert."""

    def __init__(self) -> None:
        self.buffer = b""
        self.handshake = b""
        self.total = 0
        self.server_hello: ServerHello | None = None
        self.messages: list[tuple[int, bytes]] = []
        self.alert: Alert | None = None
        self.versions: list[int] = []
        self.done = False

    def feed(self, data: bytes) -> None:
        """Take bytes; DecodeError if they are not TLS records."""
        self.total += len(data)
        if self.total > MAX_FLIGHT_BYTES:
            raise DecodeError(f"server sent more than {MAX_FLIGHT_BYTES} bytes before finishing")
        self.buffer += data
        while not self.done and len(self.buffer) >= RECORD_HEADER_LEN:
            header = RecordHeader.decode(Reader(self.buffer[:RECORD_HEADER_LEN]))
            _check_header(header)
            end = RECORD_HEADER_LEN + header.length
            if len(self.buffer) < end:
                return
            body, self.buffer = self.buffer[RECORD_HEADER_LEN:end], self.buffer[end:]
            self.versions.append(header.legacy_record_version)
            self._record(header.content_type, body)

    def _record(self, content_type: int, body: bytes) -> None:
        if content_type == ContentType.ALERT:
            r = Reader(body)
            self.alert = Alert.decode(r)
            self.done = True
        elif content_type == ContentType.HANDSHAKE:
            self.handshake += body
            self._messages()
        else:
            # ChangeCipherSpec or application data: the plaintext part is over.
            self.done = True

    def _messages(self) -> None:
        while not self.done and len(self.handshake) >= 4:
            length = int.from_bytes(self.handshake[1:4], "big")
            if len(self.handshake) < 4 + length:
                return
            msg_type, body = self.handshake[0], self.handshake[4 : 4 + length]
            self.handshake = self.handshake[4 + length :]
            self._message(msg_type, body)

    def _message(self, msg_type: int, body: bytes) -> None:
        if self.server_hello is None:
            if msg_type != HandshakeType.SERVER_HELLO:
                raise DecodeError(f"first handshake message is type {msg_type}, not ServerHello")
            sh = decode_whole(ServerHello.decode, body, "ServerHello")
            self.server_hello = sh
            # TLS 1.3 (and a HelloRetryRequest): what follows is encrypted or a new flight.
            self.done = _is_tls13(sh)
            return
        self.messages.append((msg_type, body))
        self.done = msg_type == HandshakeType.SERVER_HELLO_DONE

    def flight(self, *, closed: bool = False, timed_out: bool = False,
               malformed: str | None = None) -> Flight:
        return Flight(server_hello=self.server_hello, messages=tuple(self.messages),
                      alert=self.alert, record_versions=tuple(self.versions), closed=closed,
                      timed_out=timed_out, malformed=malformed)


def _check_header(header: RecordHeader) -> None:
    if header.content_type not in _KNOWN_TYPES:
        raise DecodeError(f"record content type {header.content_type}")
    if header.legacy_record_version >> 8 != 3:
        raise DecodeError(f"record version 0x{header.legacy_record_version:04x}")
    if header.length > _MAX_RECORD:
        raise DecodeError(f"record of {header.length} bytes")


def _is_tls13(sh: ServerHello) -> bool:
    selected = find(sh.extensions, SupportedVersionsServerHello)
    return sh.is_hello_retry_request or (
        selected is not None and selected.selected_version == ProtocolVersion.TLS1_3)


async def exchange(target: Target, hello: bytes) -> Flight:
    """Send `hello` (whole records) on a fresh connection and read the answer."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port), target.timeout)
    except (OSError, TimeoutError) as exc:
        return Flight(refused=str(exc) or type(exc).__name__)
    framer = _Framer()
    try:
        writer.write(hello)
        await writer.drain()
        return await asyncio.wait_for(_read(reader, framer), target.timeout)
    except TimeoutError:
        return framer.flight(timed_out=True)
    except DecodeError as exc:
        return framer.flight(malformed=str(exc))
    except OSError:
        return framer.flight(closed=True)
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


async def _read(reader: asyncio.StreamReader, framer: _Framer) -> Flight:
    while not framer.done:
        data = await reader.read(65536)
        if not data:
            if framer.buffer:
                raise DecodeError(f"connection closed inside a record ({len(framer.buffer)} bytes)")
            return framer.flight(closed=True)
        framer.feed(data)
    return framer.flight()

