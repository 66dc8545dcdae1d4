"""httpx and httpcore over tlsglass: network backends (sync and asyncio) and transports.

    client = httpx.Client(transport=TLSGlassTransport(trust=TrustStore.from_file("ca.pem")))
    async with httpx.AsyncClient(transport=AsyncTLSGlassTransport(http2=True)) as client: ...

The backends open TCP themselves and run tlsglass in `start_tls`; httpcore's
`ssl.SSLContext` only carries the ALPN list there and is otherwise unused: trust,
client certificate and TLS preferences come from the backend's options, turned into
a `ClientConfig` per connection with the host as server_name. A response's
`extensions["network_stream"].get_extra_info("tlsglass")` is the TLS stream
(TLSSocket, or the asyncio TLSStreamWriter), for the session facts.

EOF policy: EOF without close_notify reads as a plain end (b""), as Python's ssl
does by default, because HTTP frames its messages: h11 and h2 notice a message cut
short by content-length or framing. Use tlsglass.io directly to treat it as an error.
The async backend runs on asyncio (not trio).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import ssl
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpcore
import httpx

from tlsglass import CertifiedKey, ClientConfig, Connection, TLSError, TrustStore
from tlsglass.io import TLSSocket, TruncatedError
from tlsglass.io.aio import TLSStreamWriter, wrap

__all__ = ["AsyncTLSGlassBackend", "AsyncTLSGlassTransport", "TLSGlassBackend",
           "TLSGlassTransport"]

_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults
SocketOption = (tuple[int, int, int] | tuple[int, int, bytes | bytearray]
                | tuple[int, int, None, int])


class _ClientSettings:
    """What every connection's ClientConfig shares; the server name comes per connection."""

    def __init__(self, trust: TrustStore | None, certificate: CertifiedKey | None,
                 options: dict[str, Any]) -> None:
        # Loaded once here: the system store is expensive to read per connection.
        self.trust = trust if trust is not None else TrustStore.system()
        self.certificate = certificate
        self.options = options

    def config(self, server_name: str, alpn: tuple[str, ...]) -> ClientConfig:
        return ClientConfig(server_name=server_name, trust=self.trust,
                            certificate=self.certificate, alpn_protocols=alpn, **self.options)


def _alpn(http2: bool) -> tuple[str, ...]:
    return ("h2", "http/1.1") if http2 else ("http/1.1",)


@contextlib.contextmanager
def _mapped(timeout_error: type[Exception], other: type[Exception]) -> Iterator[None]:
    """Our errors as httpcore's, with ours kept as __cause__ for whoever explains them."""
    try:
        yield
    except TimeoutError as exc:  # socket.timeout too
        raise timeout_error(str(exc) or "timed out") from exc
    except (OSError, TLSError) as exc:
        raise other(str(exc) or type(exc).__name__) from exc


def _readable(sock: socket.socket | None) -> bool:
    """httpcore asks this of an idle kept-alive connection: readable means the server closed."""
    if sock is None or sock.fileno() < 0:
        return True
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


class _SyncStream(httpcore.NetworkStream):
    """A TCP socket, or a TLSSocket over one (or over another TLSSocket, for proxies)."""

    def __init__(self, sock: socket.socket, settings: _ClientSettings, http2: bool,
                 tls: TLSSocket | None = None) -> None:
        self.sock, self.settings, self.http2, self.tls = sock, settings, http2, tls

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.sock.settimeout(timeout)
        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            if self.tls is None:
                return self.sock.recv(max_bytes)
            try:
                return self.tls.recv(max_bytes)
            except TruncatedError:
                return b""  # see the module docstring's EOF policy

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.sock.settimeout(timeout)
        with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
            (self.tls or self.sock).sendall(buffer)

    def close(self) -> None:
        (self.tls or self.sock).close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        if not server_hostname:
            raise httpcore.ConnectError("a server name is needed to verify the certificate")
        config = self.settings.config(server_hostname, _alpn(self.http2))
        tls = TLSSocket(self.tls or self.sock, Connection(config))
        self.sock.settimeout(timeout)
        try:
            with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
                tls.do_handshake()
        except BaseException:
            self.close()
            raise
        return _SyncStream(self.sock, self.settings, self.http2, tls)

    def get_extra_info(self, info: str) -> Any:
        if info in ("ssl_object", "tlsglass"):  # httpcore asks selected_alpn_protocol()
            return self.tls
        if info == "socket":
            return self.sock
        if info == "client_addr":
            return self.sock.getsockname()
        if info == "server_addr":
            return self.sock.getpeername()
        if info == "is_readable":
            return _readable(self.sock)
        return None


class TLSGlassBackend(httpcore.NetworkBackend):
    """httpcore's sync network backend, with TLS by tlsglass.

    Options: trust (default: the system roots), certificate (for mutual TLS),
    http2 (offer h2 in ALPN), resolve ({(host, port): address}, as curl's
    --resolve), and any other ClientConfig field.
    """

    def __init__(self, *, trust: TrustStore | None = None,
                 certificate: CertifiedKey | None = None, http2: bool = False,
                 resolve: Mapping[tuple[str, int], str] | None = None,
                 **client_options: Any) -> None:
        self.settings = _ClientSettings(trust, certificate, client_options)
        self.http2 = http2
        self.resolve = dict(resolve or {})

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[SocketOption] | None = None) -> _SyncStream:
        source = None if local_address is None else (local_address, 0)
        host = self.resolve.get((host, port), host)  # like curl --resolve; SNI keeps the name
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            sock = socket.create_connection((host, port), timeout, source_address=source)
        for option in socket_options or ():
            sock.setsockopt(*option)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _SyncStream(sock, self.settings, self.http2)


class _Alpn:
    """Answers httpcore's `ssl_object.selected_alpn_protocol()` for an asyncio TLS stream."""

    def __init__(self, writer: TLSStreamWriter) -> None:
        self._writer = writer

    def selected_alpn_protocol(self) -> str | None:
        return self._writer.connection.alpn_protocol


class _AsyncStream(httpcore.AsyncNetworkStream):
    """An asyncio stream pair: TCP, or a tlsglass TLS stream over it."""

    def __init__(self, reader: asyncio.StreamReader, writer: Any, settings: _ClientSettings,
                 http2: bool) -> None:
        self.reader, self.writer, self.settings, self.http2 = reader, writer, settings, http2

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            async with asyncio.timeout(timeout):
                try:
                    return await self.reader.read(max_bytes)
                except TruncatedError:
                    return b""  # see the module docstring's EOF policy

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
            async with asyncio.timeout(timeout):
                self.writer.write(buffer)
                await self.writer.drain()

    async def aclose(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, TLSError):
            await self.writer.wait_closed()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        if not server_hostname:
            raise httpcore.ConnectError("a server name is needed to verify the certificate")
        conn = Connection(self.settings.config(server_hostname, _alpn(self.http2)))
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            reader, writer = await wrap(self.reader, self.writer, conn, handshake_timeout=timeout)
        return _AsyncStream(reader, writer, self.settings, self.http2)

    def get_extra_info(self, info: str) -> Any:
        tls = self.writer if isinstance(self.writer, TLSStreamWriter) else None
        if info == "ssl_object":
            return None if tls is None else _Alpn(tls)
        if info == "tlsglass":
            return tls
        if info == "is_readable":
            return _readable(self.writer.get_extra_info("socket"))
        names = {"client_addr": "sockname", "server_addr": "peername", "socket": "socket"}
        return self.writer.get_extra_info(names[info]) if info in names else None


class AsyncTLSGlassBackend(httpcore.AsyncNetworkBackend):
    """httpcore's async network backend (asyncio), with TLS by tlsglass; options as the sync one."""

    def __init__(self, *, trust: TrustStore | None = None,
                 certificate: CertifiedKey | None = None, http2: bool = False,
                 resolve: Mapping[tuple[str, int], str] | None = None,
                 **client_options: Any) -> None:
        self.settings = _ClientSettings(trust, certificate, client_options)
        self.http2 = http2
        self.resolve = dict(resolve or {})

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None) -> _AsyncStream:
        source = None if local_address is None else (local_address, 0)
        host = self.resolve.get((host, port), host)  # like curl --resolve; SNI keeps the name
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, local_addr=source)
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _AsyncStream(reader, writer, self.settings, self.http2)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _alpn_carrier() -> ssl.SSLContext:
    """httpcore sets ALPN on an SSLContext; this one carries it and is never used for TLS."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _pool_options(limits: httpx.Limits | None, http1: bool, http2: bool, retries: int
                  ) -> dict[str, Any]:
    """What both connection pools take from the transport's arguments."""
    limits = limits or _LIMITS
    return {"ssl_context": _alpn_carrier(), "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry, "http1": http1, "http2": http2,
            "retries": retries}


class TLSGlassTransport(httpx.HTTPTransport):
    """An httpx transport whose TLS is tlsglass: `httpx.Client(transport=TLSGlassTransport())`.

    Options: trust, certificate, http1, http2, limits, retries, and ClientConfig fields.
    """

    def __init__(self, *, trust: TrustStore | None = None,
                 certificate: CertifiedKey | None = None, http1: bool = True,
                 http2: bool = False, limits: httpx.Limits | None = None,
                 retries: int = 0, **client_options: Any) -> None:
        # httpx.HTTPTransport.__init__ would build an ssl context and a pool; only the
        # pool is needed, and it is ours (handle_request and close use `_pool`).
        self._pool = httpcore.ConnectionPool(
            **_pool_options(limits, http1, http2, retries), network_backend=TLSGlassBackend(
                trust=trust, certificate=certificate, http2=http2, **client_options))


class AsyncTLSGlassTransport(httpx.AsyncHTTPTransport):
    """The asyncio twin: `httpx.AsyncClient(transport=AsyncTLSGlassTransport())`."""

    def __init__(self, *, trust: TrustStore | None = None,
                 certificate: CertifiedKey | None = None, http1: bool = True,
                 http2: bool = False, limits: httpx.Limits | None = None,
                 retries: int = 0, **client_options: Any) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            **_pool_options(limits, http1, http2, retries), network_backend=AsyncTLSGlassBackend(
                trust=trust, certificate=certificate, http2=http2, **client_options))
