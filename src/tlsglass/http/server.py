"""The asyncio HTTPS server: sites by SNI, HTTP/1.1 or HTTP/2 by ALPN, redirect, shutdown.

    server = HTTPSServer([Site(Path("www"), certified)], ServerOptions(hsts_max_age=86400))
    await server.start("127.0.0.1", 8443, redirect_port=8080)
    ...
    await server.shutdown()   # stop listening, let requests in progress finish

Each accepted TCP connection runs a tlsglass handshake (bounded by
handshake_timeout). The certificate is chosen by SNI among the sites'
certificates, and the site by the same name (the first site without SNI or for an
unknown name). ALPN "h2" selects HTTP/2, anything else HTTP/1.1. The optional
plain-HTTP listener answers every request with a redirect to the HTTPS address,
for the names of our sites only (no open redirect), and never sends HSTS
(RFC 6797 §7.2). For comparison benchmarks the same server runs over Python's
`ssl` when given an `ssl.SSLContext`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import h11

from tlsglass import Connection, ServerConfig, TLSError
from tlsglass.http._app import App, Narrator, ServerOptions, Session, Writer, facts_of
from tlsglass.http._files import REASONS, error_response
from tlsglass.http._http1 import serve_http1
from tlsglass.http._http2 import serve_http2
from tlsglass.http._site import Site, SiteMap, host_of, is_ip
from tlsglass.io.aio import wrap
from tlsglass.observe import TraceRecord
from tlsglass.trace import Recorder

__all__ = ["HTTPSServer", "ServerStats", "server_config"]

ALPN = ("h2", "http/1.1")


class _Narration:
    """One connection's handshake, recorded for ServerOptions.narrate and told once."""

    def __init__(self, narrate: Narrator, peer: str) -> None:
        self.narrate, self.peer = narrate, peer
        self.recorder = Recorder()
        self.told = False

    @classmethod
    def start(cls, narrate: Narrator | None, writer: asyncio.StreamWriter) -> _Narration | None:
        if narrate is None:
            return None
        peer = writer.get_extra_info("peername")
        return cls(narrate, str(peer[0]) if peer else "?")

    def config(self, config: ServerConfig) -> ServerConfig:
        return replace(config, trace=self.sink)

    def sink(self, record: TraceRecord) -> None:
        if not self.told:  # the handshake only: application data is not kept
            self.recorder(record)

    def tell(self) -> None:
        self.told = True
        if self.recorder.records:
            self.narrate(self.peer, self.recorder)


def server_config(sites: Sequence[Site], **options: Any) -> ServerConfig:
    """A ServerConfig holding every site's certificate, offering h2 and http/1.1."""
    options.setdefault("alpn_protocols", ALPN)
    return ServerConfig(certificates=SiteMap.of(sites).certificates, **options)


@dataclass(slots=True)
class ServerStats:
    """Counters since start: connections accepted, refused (over max_connections),
    handshakes done and failed."""

    accepted: int = 0
    refused: int = 0
    handshakes: int = 0
    handshake_failures: int = 0


class HTTPSServer:
    """Static sites over HTTPS on one address; see the module docstring."""

    def __init__(self, sites: Sequence[Site], options: ServerOptions | None = None, *,
                 config: ServerConfig | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.app = App(SiteMap.of(sites), options or ServerOptions())
        self.config = config if config is not None else server_config(sites)
        self.ssl_context = ssl_context
        self.stats = ServerStats()
        self._sessions: dict[Session, asyncio.Task[Any]] = {}
        self._tls: asyncio.Server | None = None
        self._plain: asyncio.Server | None = None

    @property
    def port(self) -> int:
        return self._port_of(self._tls)

    @property
    def redirect_port(self) -> int | None:
        return None if self._plain is None else self._port_of(self._plain)

    @property
    def connections(self) -> int:
        """Connections open now (in the handshake, busy or idle)."""
        return len(self._sessions)

    @staticmethod
    def _port_of(server: asyncio.Server | None) -> int:
        if server is None:
            raise RuntimeError("the server is not started")
        return int(server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 8443, *,
                    redirect_port: int | None = None, backlog: int = 1024) -> None:
        """Listen for HTTPS on (host, port), and for plain HTTP on redirect_port if given."""
        if self.ssl_context is not None:
            self._tls = await asyncio.start_server(
                self._serve_ssl, host, port, ssl=self.ssl_context, backlog=backlog,
                ssl_handshake_timeout=self.app.options.handshake_timeout)
        else:
            self._tls = await asyncio.start_server(self._serve_tls, host, port, backlog=backlog)
        if redirect_port is not None:
            self._plain = await asyncio.start_server(self._redirect, host, redirect_port,
                                                     backlog=backlog)

    async def serve_forever(self) -> None:
        if self._tls is None:
            raise RuntimeError("the server is not started")
        await self._tls.serve_forever()

    async def __aenter__(self) -> HTTPSServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stop listening, let requests in progress finish (shutdown_grace), then end."""
        for server in (self._tls, self._plain):
            if server is not None:
                server.close()
        for session in self._sessions:
            session.stopping.set()
        tasks = list(self._sessions.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.app.options.shutdown_grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        for server in (self._tls, self._plain):
            if server is not None:
                await server.wait_closed()

    def _full(self, writer: asyncio.StreamWriter) -> bool:
        """Over max_connections: close this one at once (counted as refused)."""
        if len(self._sessions) < self.app.options.max_connections:
            return False
        self.stats.refused += 1
        writer.close()
        return True

    @contextlib.contextmanager
    def _tracked(self) -> Any:
        session = Session()
        task = asyncio.current_task()
        assert task is not None  # asyncio runs each connection callback in a task
        self._sessions[session] = task
        self.stats.accepted += 1
        try:
            yield session
        finally:
            del self._sessions[session]

    async def _serve_tls(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._full(writer):
            return
        with self._tracked() as session:
            narration = _Narration.start(self.app.options.narrate, writer)
            config = self.config if narration is None else narration.config(self.config)
            try:
                tls_reader, tls_writer = await wrap(
                    reader, writer, Connection(config),
                    handshake_timeout=self.app.options.handshake_timeout)
            except (TLSError, OSError) as exc:  # OSError includes TimeoutError
                self.stats.handshake_failures += 1
                if self.app.options.handshake_log is not None:
                    self.app.options.handshake_log(_peer(writer), exc)
                if narration is not None:
                    narration.tell()
                return
            self.stats.handshakes += 1
            if narration is not None:
                narration.tell()
            try:
                await self._serve_http(tls_reader, tls_writer, session)
            finally:
                tls_writer.close()  # close_notify, then the transport

    async def _serve_ssl(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._full(writer):
            return
        with self._tracked() as session:
            self.stats.handshakes += 1
            try:
                await self._serve_http(reader, writer, session)
            finally:
                writer.close()

    async def _serve_http(self, reader: asyncio.StreamReader, writer: Writer,
                          session: Session) -> None:
        facts = facts_of(writer)
        serve = serve_http2 if facts.alpn == "h2" else serve_http1
        await serve(reader, writer, self.app, facts, session)

    async def _redirect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._full(writer):
            return
        with self._tracked():
            try:
                await self._answer_redirect(reader, writer)
            except (h11.ProtocolError, OSError):
                pass
            finally:
                writer.close()

    async def _answer_redirect(self, reader: asyncio.StreamReader,
                               writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
        async with asyncio.timeout(self.app.options.request_timeout):
            event = conn.next_event()
            while event is h11.NEED_DATA:
                conn.receive_data(await reader.read(1 << 16))
                event = conn.next_event()
        if not isinstance(event, h11.Request):
            return
        host = next((v.decode("latin-1") for k, v in event.headers if k == b"host"), "")
        location = self.https_url(host_of(host), event.target.decode("latin-1"))
        # 301 keeps browsers' behaviour for GET; 308 keeps the method of anything else.
        status = 301 if event.method in (b"GET", b"HEAD") else 308
        response = error_response(status, (("location", location), ("connection", "close")),
                                  head=event.method == b"HEAD")
        writer.write(conn.send(h11.Response(status_code=status, headers=list(response.headers),
                                        reason=REASONS[status])))
        writer.write(conn.send(h11.Data(data=response.body)) if not response.head else b"")
        writer.write(conn.send(h11.EndOfMessage()))
        async with asyncio.timeout(self.app.options.write_timeout):
            await writer.drain()

    def https_url(self, host: str, target: str) -> str:
        """Where a plain-HTTP request for `host` goes: only our sites' names, else the default."""
        site = self.app.sites.find(host)
        if site is None or not host:
            site = self.app.sites.default
            host = next((n for n in site.names if not n.startswith("*.")), "localhost")
        shown = f"[{host}]" if is_ip(host) and ":" in host else host
        port = "" if self.port == 443 else f":{self.port}"
        path = target if target.startswith("/") else "/"
        return f"https://{shown}{port}{path}"


def _peer(writer: asyncio.StreamWriter) -> str:
    address = writer.get_extra_info("peername")
    return str(address[0]) if isinstance(address, tuple) and address else "?"
