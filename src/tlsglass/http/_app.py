"""What both HTTP versions share: options, connection facts, the access log, and routing.

`App.answer` turns one request into a Response for the site the connection serves,
adding the headers every answer carries (date, server, HSTS), and `App.log` writes
the access record. The protocol modules (_http1, _http2) only move messages.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from tlsglass.http._files import Headers, Response, error_response, respond
from tlsglass.http._site import SiteMap, host_of
from tlsglass.trace import Recorder

__all__ = ["AccessRecord", "App", "ConnectionFacts", "ServerOptions", "Session", "Writer",
           "facts_of"]

SERVER_NAME: Final = "tlsglass"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRecord:
    """One request served: who asked what over which connection, and the answer."""

    peer: str
    method: str
    target: str
    http_version: str  # "1.1" or "2"
    status: int
    bytes_sent: int
    site: str
    tls_version: str | None
    group: str | None
    alpn: str | None
    server_name: str | None
    duration: float

    def line(self) -> str:
        """A Common Log Format line, with the TLS facts appended."""
        when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        return (f'{self.peer} - - [{when}] "{self.method} {self.target} HTTP/{self.http_version}" '
                f"{self.status} {self.bytes_sent} site={self.site} tls={self.tls_version or '-'} "
                f"group={self.group or '-'} alpn={self.alpn or '-'} "
                f"sni={self.server_name or '-'} {self.duration * 1000:.1f}ms")


AccessLog = Callable[[AccessRecord], None]
Narrator = Callable[[str, Recorder], None]
HandshakeLog = Callable[[str, BaseException], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerOptions:
    """Policies of the HTTPS server. Times are in seconds.

    handshake_timeout bounds the TLS handshake; request_timeout the arrival of a
    whole request head once its first byte came; idle_timeout a kept-alive
    connection with no request in progress; write_timeout each wait for the peer
    to accept more of a response. shutdown_grace is how long a graceful shutdown
    lets requests in progress finish. hsts_max_age (RFC 6797) adds
    Strict-Transport-Security to every HTTPS answer. Beyond max_connections open
    at once, new ones are closed as soon as they are accepted, which bounds memory.
    """

    handshake_timeout: float = 10.0
    request_timeout: float = 15.0
    idle_timeout: float = 30.0
    write_timeout: float = 30.0
    shutdown_grace: float = 10.0
    hsts_max_age: int | None = None
    hsts_include_subdomains: bool = False
    max_request_body: int = 1 << 20
    max_connections: int = 10_000
    access_log: AccessLog | None = field(default=None, repr=False)
    # Called with the peer's address and the error when a TLS handshake fails (a client
    # that distrusts us, speaks an old version, or goes silent): what an operator looks
    # for first, and what the access log, which records requests, cannot show.
    handshake_log: HandshakeLog | None = field(default=None, repr=False)
    # Tracer (`tlsglass serve --http DIR --trace`): called once per TLS connection, when
    # its handshake is over (complete or failed), with the peer's address and a Recorder
    # of that handshake alone. Each connection then gets its own config copy.
    narrate: Narrator | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionFacts:
    """What the TLS layer settled for one connection."""

    peer: str
    tls_version: str | None = None
    cipher: str | None = None
    group: str | None = None
    alpn: str | None = None
    server_name: str | None = None


class Writer(Protocol):
    """Where answers go: a TLSStreamWriter, or asyncio's StreamWriter (over ssl, or plain)."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def is_closing(self) -> bool: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


def facts_of(writer: Writer) -> ConnectionFacts:
    """Read the facts from a TLSStreamWriter (or an asyncio ssl StreamWriter)."""
    peer = writer.get_extra_info("peername")
    address = str(peer[0]) if isinstance(peer, tuple) else str(peer)
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is not None:  # Python's ssl, for the comparison benchmark
        return ConnectionFacts(peer=address, tls_version=ssl_object.version(),
                               cipher=ssl_object.cipher()[0],
                               alpn=ssl_object.selected_alpn_protocol(),
                               server_name=ssl_object.server_hostname)
    return ConnectionFacts(peer=address, tls_version=writer.get_extra_info("version"),
                           cipher=writer.get_extra_info("cipher"),
                           group=writer.get_extra_info("group"),
                           alpn=writer.get_extra_info("alpn_protocol"),
                           server_name=writer.get_extra_info("server_name"))


class Session:
    """One live connection, as graceful shutdown sees it."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()  # shutdown asked: finish what is in progress, then end


@dataclass(frozen=True, slots=True)
class App:
    sites: SiteMap
    options: ServerOptions

    def common_headers(self) -> Headers:
        headers: Headers = (("date", email.utils.formatdate(usegmt=True)),
                            ("server", SERVER_NAME), ("x-content-type-options", "nosniff"))
        if self.options.hsts_max_age is not None:
            value = f"max-age={self.options.hsts_max_age}"
            if self.options.hsts_include_subdomains:
                value += "; includeSubDomains"
            headers += (("strict-transport-security", value),)
        return headers

    def answer(self, facts: ConnectionFacts, method: str, target: str,
               authority: str | None, if_modified_since: str | None = None
               ) -> tuple[str, Response]:
        """(site name, response) for one request on a connection with these facts."""
        site = self.sites.for_server_name(facts.server_name)
        extra = self.common_headers()
        if authority:
            named = self.sites.find(host_of(authority))
            # RFC 9110 §15.5.20: the request names a site this connection (chosen by
            # SNI, with its certificate) does not serve.
            if named is not None and named is not site:
                return site.name, error_response(421, extra, method == "HEAD")
        if target == "*" or not target.startswith("/"):
            return site.name, error_response(400, extra, method == "HEAD")
        return site.name, respond(site, method, target, extra, if_modified_since)

    def log(self, facts: ConnectionFacts, *, method: str, target: str, http_version: str,
            status: int, bytes_sent: int, site: str, started: float) -> None:
        if self.options.access_log is None:
            return
        self.options.access_log(AccessRecord(
            peer=facts.peer, method=method, target=target, http_version=http_version,
            status=status, bytes_sent=bytes_sent, site=site, tls_version=facts.tls_version,
            group=facts.group, alpn=facts.alpn, server_name=facts.server_name,
            duration=time.monotonic() - started))
