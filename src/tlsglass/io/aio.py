"""asyncio adapter: TLS streams shaped like `asyncio.open_connection` and `start_server`.

`wrap(reader, writer, conn)` runs a Connection over any asyncio byte stream pair
(TCP, a pipe, or another TLS stream) and returns the plaintext pair: a
`TLSStreamReader` (an `asyncio.StreamReader`) and a `TLSStreamWriter`.
`open_connection` and `start_server` are `asyncio`'s, with `wrap` in between.

One pump task per stream reads ciphertext, feeds `receive_data`, writes whatever
`data_to_send()` holds after every call, and turns events into reader state:
ApplicationData is fed to the reader, HandshakeComplete ends the handshake. The
adapter makes no protocol decisions. Its policies:

- close_notify from the peer: the reader reaches a clean end (`read()` gives b"").
  We may still write (TLS 1.3 half-close) until `close()`.
- EOF without close_notify: the reader first delivers what arrived, then raises
  `TruncatedError` where a clean end would have been (b"" from `read`,
  IncompleteReadError from `readexactly`/`readuntil`/`readline`), because a
  truncation attack must not look like a clean end. The transport is closed.
- a protocol error or the peer's fatal alert: our alert (if any) is sent, the
  reader raises the error after its buffered data, the transport is closed.
- `read_timeout`: after the handshake, if the pump waits longer than this for
  bytes from the peer, it sends close_notify, closes the transport and the reader
  raises TimeoutError. The pump does not wait (so no timer runs) while the
  application leaves more than twice the reader's `limit` unread.
- `handshake_timeout` bounds the TLS handshake (not the TCP connect): TimeoutError,
  and the transport is closed with nothing more sent.
- `close()` sends close_notify and closes the transport; reads still pending then
  raise ConnectionAbortedError unless the peer had already closed cleanly.

Flow control: `TLSStreamWriter.drain()` waits on the transport; the pump stops
reading while the application leaves the reader full. The pump itself waits on the
transport only after it wrote something of its own (a KeyUpdate reply), so a
peer's large upload never stalls our reading.

Key logging happens only through `config.key_log`: SSLKEYLOGFILE is read only if
the caller passes `key_log=tlsglass.io.key_log_from_environment()`.

Misuse fails loudly: wrapping a Connection twice raises LocalProtocolError, and
writing from outside the stream's event loop raises RuntimeError; two tasks may
share one stream as they may share an asyncio StreamWriter.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Final, Protocol

from tlsglass import (
    ApplicationData,
    ClientConfig,
    Connection,
    ConnectionClosed,
    ConnectionTruncated,
    EarlyDataAccepted,
    EarlyDataReceived,
    Event,
    HandshakeComplete,
    LocalProtocolError,
    ServerConfig,
    TLSError,
)
from tlsglass.enums import CipherSuite, NamedGroup, ProtocolVersion, describe
from tlsglass.io.sync import TruncatedError

__all__ = [
    "ErrorCallback",
    "TLSStreamReader",
    "TLSStreamWriter",
    "TransportReader",
    "TransportWriter",
    "open_connection",
    "start_server",
    "wrap",
]

_LIMIT: Final = 2**16  # asyncio's default StreamReader limit
_CHUNK: Final = 2**16  # ciphertext bytes asked of the transport per read
# Marks a Connection as owned by a stream; set once, so a second wrap() fails.
_OWNER: Final = "_tlsglass_aio_stream"


class TransportReader(Protocol):
    """The ciphertext source: an asyncio.StreamReader, or anything with its `read`."""

    async def read(self, n: int = -1) -> bytes: ...


class TransportWriter(Protocol):
    """The ciphertext sink: an asyncio.StreamWriter, a TLSStreamWriter, or alike."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...

    def is_closing(self) -> bool: ...

    async def wait_closed(self) -> None: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


ErrorCallback = Callable[[Exception, Any], object]
"""start_server's on_error: (the exception, the peer's address) for a failed handshake."""


class TLSStreamReader(asyncio.StreamReader):
    """The plaintext reader: an asyncio.StreamReader whose end may be an error.

    `StreamReader.set_exception` makes the next read raise at once and drops what
    is still buffered. A TLS stream that ends badly must first deliver the data
    that was authenticated, so the pump ends this reader with an error that is
    raised only where a clean end would show: b"" from `read`, IncompleteReadError
    from `readexactly`/`readuntil` (chained as `__cause__`, with `.partial`).
    """

    def __init__(self, limit: int = _LIMIT) -> None:
        super().__init__(limit=limit)
        self._ended = False
        self._end_error: Exception | None = None

    def _end(self, error: Exception | None) -> None:
        """The stream ends here: cleanly (None) or with `error`, after the buffered data."""
        if not self._ended:
            self._ended = True
            self._end_error = error
            self.feed_eof()

    def exception(self) -> Exception | None:
        if super().at_eof() and self._end_error is not None:
            return self._end_error
        return super().exception()

    def at_eof(self) -> bool:
        """True only at a clean end; a stream that ended in error raises on the next read."""
        return super().at_eof() and self._end_error is None

    async def read(self, n: int = -1) -> bytes:
        data = await super().read(n)
        if not data and n != 0 and self._end_error is not None:
            raise self._end_error
        return data

    async def readexactly(self, n: int) -> bytes:
        try:
            return await super().readexactly(n)
        except asyncio.IncompleteReadError as exc:
            if self._end_error is None:
                raise
            raise self._end_error from exc

    async def readuntil(self, separator: Any = b"\n") -> bytes:
        try:
            return await super().readuntil(separator)
        except asyncio.IncompleteReadError as exc:
            if self._end_error is None:
                raise
            raise self._end_error from exc


class _Backpressure(asyncio.ReadTransport):
    """Stands in as the plaintext reader's transport so that it can pause the pump."""

    def __init__(self) -> None:
        super().__init__()
        self.resumed = asyncio.Event()
        self.resumed.set()

    def pause_reading(self) -> None:
        self.resumed.clear()

    def resume_reading(self) -> None:
        self.resumed.set()

    def is_reading(self) -> bool:
        return self.resumed.is_set()


class _Pump:
    """Moves ciphertext between the transport and the Connection; owns the stream's state."""

    def __init__(self, reader: TransportReader, writer: TransportWriter, conn: Connection,
                 plain: TLSStreamReader, read_timeout: float | None) -> None:
        self.loop = asyncio.get_running_loop()
        if getattr(conn, _OWNER, False):
            raise LocalProtocolError("this Connection is already wrapped by a stream")
        setattr(conn, _OWNER, True)
        self.reader, self.writer, self.conn, self.plain = reader, writer, conn, plain
        self.read_timeout = read_timeout
        self.backpressure = _Backpressure()
        plain.set_transport(self.backpressure)
        self.handshake: HandshakeComplete | None = None
        self.early_data_accepted = False
        self.error: Exception | None = None
        self.settled = asyncio.Event()  # the handshake completed or failed
        self.task: asyncio.Task[None] | None = None

    def send_pending(self) -> bool:
        """Write what the Connection has queued; True if there was anything."""
        data = self.conn.data_to_send()
        if data and not self.writer.is_closing():
            self.writer.write(data)
        return bool(data)

    async def handshake_done(self, early_data: bytes = b"") -> HandshakeComplete:
        early = b""
        if not self.conn.started:
            self.conn.start_handshake()
            early = early_data[:self.conn.early_data_limit]  # 0-RTT if a ticket allows
            self.conn.send_early_data(early)
        self.send_pending()
        self.task = self.loop.create_task(self._run(), name=f"tlsglass pump {self.conn!r}")
        await self.settled.wait()
        if self.handshake is None:
            raise self.error or ConnectionAbortedError("the handshake was abandoned")
        # What the server did not take in 0-RTT goes again, in order, as ordinary data.
        rest = early_data[len(early):] if self.early_data_accepted else early_data
        if rest:
            self.conn.send_application_data(rest)
            self.send_pending()
        return self.handshake

    async def _run(self) -> None:
        try:
            while await self._step():
                pass
        except Exception as exc:  # every way the stream can fail reaches the reader
            self.fail(exc)

    async def _step(self) -> bool:
        """One read from the transport; False once the peer's side has ended."""
        await self.backpressure.resumed.wait()
        data = await self._receive()
        try:
            events = self.conn.receive_data(data)
        finally:
            wrote = self.send_pending()  # the fatal alert too, when receive_data raised
        if not self._absorb(events):
            return False
        if wrote:  # a reply of our own (KeyUpdate): don't let it pile up unread
            await self.writer.drain()
        return True

    async def _receive(self) -> bytes:
        if self.read_timeout is None or self.handshake is None:
            return await self.reader.read(_CHUNK)
        deadline = asyncio.timeout(self.read_timeout)
        try:
            async with deadline:
                return await self.reader.read(_CHUNK)
        except TimeoutError:
            if not deadline.expired():
                raise
            self.conn.close()  # our decision to stop: say so with close_notify
            raise TimeoutError(f"no data from the peer for {self.read_timeout} s") from None

    def _absorb(self, events: list[Event]) -> bool:
        for event in events:
            if isinstance(event, ApplicationData | EarlyDataReceived):
                # Early data (server) joins the stream; it may be a replay (RFC 8446 §8).
                self.plain.feed_data(event.data)
            elif isinstance(event, EarlyDataAccepted):
                self.early_data_accepted = True
            elif isinstance(event, HandshakeComplete):
                self.handshake = event
                self.settled.set()
            elif isinstance(event, ConnectionClosed):
                if self.handshake is None:
                    raise TruncatedError("the peer closed the connection during the handshake")
                self.plain._end(None)
                return False
            elif isinstance(event, ConnectionTruncated):
                during = " during the handshake" if self.handshake is None else ""
                raise TruncatedError(f"the peer closed the connection{during} without "
                                     "close_notify")
        return True

    def fail(self, error: Exception) -> None:
        """End the stream with `error`: the reader raises it, the transport closes."""
        if self.error is None:
            self.error = error
        self.settled.set()
        self.plain._end(error)
        self.send_pending()
        self.writer.close()

    def stop(self, error: Exception | None) -> None:
        """Stop the pump (our own close or abort); the reader ends with `error`."""
        if self.task is not None:
            self.task.cancel()
        self.settled.set()
        self.plain._end(error)


class TLSStreamWriter:
    """The plaintext writer, shaped like asyncio.StreamWriter; `connection` is the engine."""

    def __init__(self, pump: _Pump) -> None:
        self._pump = pump
        self._closing = False
        self.connection = pump.conn

    def __repr__(self) -> str:
        return f"<TLSStreamWriter {self.connection!r} over {self._pump.writer!r}>"

    @property
    def handshake(self) -> HandshakeComplete | None:
        return self._pump.handshake

    @property
    def early_data_accepted(self) -> bool:
        """Client: whether the server took our 0-RTT data (else it was sent again)."""
        return self._pump.early_data_accepted

    def _check_loop(self) -> None:
        if asyncio.get_running_loop() is not self._pump.loop:
            raise RuntimeError("TLSStreamWriter used outside its event loop")

    def _check_usable(self) -> None:
        self._check_loop()
        if self._pump.error is not None:
            raise self._pump.error

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt and queue `data`; raises if the stream has failed or was closed."""
        self._check_usable()
        if not data:  # as asyncio's write(b""): nothing, rather than an empty record
            return
        self.connection.send_application_data(bytes(data))
        self._pump.send_pending()

    def writelines(self, data: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(data))

    async def drain(self) -> None:
        """Wait until the transport accepts more; raises the error the stream ended with."""
        if self._pump.error is not None:
            raise self._pump.error
        await self._pump.writer.drain()

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        """Send close_notify: we write no more, but keep reading until the peer's end."""
        self._check_usable()
        self.connection.close()
        self._pump.send_pending()

    def key_update(self, request_peer: bool = True) -> None:
        """RFC 8446 §4.6.3: update our write key (and, with request_peer, the peer's)."""
        self._check_usable()
        self.connection.key_update(request_peer)
        self._pump.send_pending()

    def close(self) -> None:
        """Send close_notify (unless the stream failed) and close the transport."""
        self._check_loop()
        if self._closing:
            return
        self._closing = True
        pump = self._pump
        pump.stop(ConnectionAbortedError("the TLS stream was closed locally"))
        if pump.error is None:
            self.connection.close()
            pump.send_pending()
        pump.writer.close()

    def is_closing(self) -> bool:
        return self._closing or self._pump.writer.is_closing()

    async def wait_closed(self) -> None:
        task = self._pump.task
        if task is not None:
            await asyncio.wait([task])
        await self._pump.writer.wait_closed()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """TLS facts by name ("tlsglass" is the Connection); other names go to the transport."""
        conn = self.connection
        facts: dict[str, Callable[[], object]] = {
            "tlsglass": lambda: conn,
            "handshake": lambda: self._pump.handshake,
            "version": lambda: _name(ProtocolVersion, conn.version),
            "cipher": lambda: _name(CipherSuite, conn.cipher_suite),
            "group": lambda: _name(NamedGroup, conn.group),
            "alpn_protocol": lambda: conn.alpn_protocol,
            "server_name": lambda: conn.server_name,
            "peer_certificates": lambda: conn.peer_certificates,
        }
        fact = facts.get(name)
        if fact is None:
            return self._pump.writer.get_extra_info(name, default)
        value = fact()
        return default if value is None else value


def _name(enum_type: type[ProtocolVersion | CipherSuite | NamedGroup],
          value: int | None) -> str | None:
    return None if value is None else describe(enum_type, value)


async def wrap(reader: TransportReader, writer: TransportWriter, conn: Connection, *,
               handshake_timeout: float | None = 30.0, read_timeout: float | None = None,
               limit: int = _LIMIT, early_data: bytes = b""
               ) -> tuple[TLSStreamReader, TLSStreamWriter]:
    """Run `conn`'s handshake over (reader, writer); return the plaintext stream pair.

    On failure (a TLS error, TruncatedError, TimeoutError after handshake_timeout
    seconds, or cancellation) the transport is closed and the error raised.
    """
    plain = TLSStreamReader(limit=limit)
    pump = _Pump(reader, writer, conn, plain, read_timeout)
    deadline = asyncio.timeout(handshake_timeout)
    try:
        async with deadline:
            await pump.handshake_done(early_data)
    except TimeoutError as exc:
        error = exc
        if deadline.expired():
            error = TimeoutError(f"the TLS handshake took longer than {handshake_timeout} s")
        pump.stop(error)
        writer.close()
        if error is exc:
            raise
        raise error from None
    except BaseException as exc:
        pump.stop(exc if isinstance(exc, Exception) else ConnectionAbortedError(str(exc)))
        writer.close()
        raise
    return plain, TLSStreamWriter(pump)


async def open_connection(host: str | None = None, port: int | str | None = None, *,
                          config: ClientConfig, handshake_timeout: float | None = 30.0,
                          read_timeout: float | None = None, limit: int = _LIMIT,
                          early_data: bytes = b"",
                          **kwargs: Any) -> tuple[TLSStreamReader, TLSStreamWriter]:
    """asyncio.open_connection, then a TLS handshake over it; kwargs go to asyncio.

    `host` is only where to connect: the name verified is `config.server_name`.
    `early_data` goes out as 0-RTT when a ticket allows it; what the server does not
    accept is sent again right after the handshake (writer.early_data_accepted).
    """
    conn = Connection(config)
    reader, writer = await asyncio.open_connection(host, port, limit=limit, **kwargs)
    return await wrap(reader, writer, conn, handshake_timeout=handshake_timeout,
                      read_timeout=read_timeout, limit=limit, early_data=early_data)


async def start_server(
        client_connected_cb: Callable[[TLSStreamReader, TLSStreamWriter], Awaitable[None] | None],
        host: str | Sequence[str] | None = None, port: int | str | None = None, *,
        config: ServerConfig,
        handshake_timeout: float | None = 30.0, read_timeout: float | None = None,
        on_error: ErrorCallback | None = None, limit: int = _LIMIT,
        **kwargs: Any) -> asyncio.Server:
    """asyncio.start_server whose callback gets each stream after its TLS handshake.

    A handshake that fails or times out closes that connection only, and is
    reported to `on_error(exception, peername)` if given. kwargs go to asyncio.
    """

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            tls_reader, tls_writer = await wrap(
                reader, writer, Connection(config), handshake_timeout=handshake_timeout,
                read_timeout=read_timeout, limit=limit)
        except (TLSError, OSError) as exc:  # OSError includes TimeoutError
            if on_error is not None:
                on_error(exc, writer.get_extra_info("peername"))
            return
        result = client_connected_cb(tls_reader, tls_writer)
        if inspect.isawaitable(result):
            await result

    return await asyncio.start_server(accept, host, port, limit=limit, **kwargs)
