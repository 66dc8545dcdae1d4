"""HTTPS on tlsglass: a static-file server (HTTP/1.1 and HTTP/2) and httpx/httpcore transports.

The door:

- `Site`, `HTTPSServer`, `ServerOptions`, `AccessRecord`, `server_config`: serve
  folders over HTTPS, several sites on one port chosen by SNI;
- `TLSGlassTransport`, `AsyncTLSGlassTransport` (httpx transports) and
  `TLSGlassBackend`, `AsyncTLSGlassBackend` (httpcore network backends): send
  httpx's requests over tlsglass.

Needs the `http` extra (h11, h2, httpx).
"""

from tlsglass.http._app import AccessRecord, ConnectionFacts, ServerOptions
from tlsglass.http._site import Site
from tlsglass.http.client import (
    AsyncTLSGlassBackend,
    AsyncTLSGlassTransport,
    TLSGlassBackend,
    TLSGlassTransport,
)
from tlsglass.http.server import HTTPSServer, ServerStats, server_config

__all__ = ["AccessRecord", "AsyncTLSGlassBackend", "AsyncTLSGlassTransport", "ConnectionFacts",
           "HTTPSServer", "ServerOptions", "ServerStats", "Site", "TLSGlassBackend",
           "TLSGlassTransport", "server_config"]
