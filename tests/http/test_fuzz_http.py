"""Untrusted bytes into the HTTP/1.1 and HTTP/2 loops: they end, answer well-formed, never crash.

The loops run over an in-memory stream (no TLS: that layer has its own fuzz
tests) holding arbitrary bytes, request-shaped fragments, or frame-shaped ones,
then EOF. The only allowed outcomes: the loop returns in bounded time and what it
wrote is nothing or HTTP/1.1 responses (resp. HTTP/2 frames starting with our
SETTINGS); any exception is a failure.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import h2.connection
import h2.events
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlsglass.http._app import App, ConnectionFacts, ServerOptions, Session
from tlsglass.http._http1 import serve_http1
from tlsglass.http._http2 import serve_http2
from tlsglass.http._site import SiteMap
from websites import Web

_FRAGMENTS = [b"GET ", b"HEAD ", b"POST ", b"/", b"/index.html", b"/%2e%2e/", b" HTTP/1.1\r\n",
              b" HTTP/1.0\r\n", b"Host: a.test\r\n", b"Host: b.test\r\n", b"\r\n",
              b"Content-Length: 3\r\n", b"Content-Length: -1\r\n",
              b"Transfer-Encoding: chunked\r\n",
              b"5\r\nhello\r\n0\r\n\r\n", b"Connection: close\r\n", b"Expect: 100-continue\r\n",
              b"\x00", b"\xff\xfe", b" ", b":", b"abc"]
_requests = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.binary(max_size=20)),
                     max_size=30).map(b"".join)

_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


_frames = st.lists(st.builds(_frame, st.integers(0, 10), st.integers(0, 255),
                             st.sampled_from([0, 1, 2, 3, 5, 2**31 - 1]),
                             st.binary(max_size=40)), max_size=8).map(b"".join)


class _Sink:
    """Stands in for the TLS writer: keeps what is written."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


def _run(serve: Any, app: App, data: bytes) -> bytes:
    async def main() -> bytes:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        sink = _Sink()
        facts = ConnectionFacts(peer="fuzz", server_name="a.test", alpn="h2")
        async with asyncio.timeout(10):
            await serve(reader, sink, app, facts, Session())
        return bytes(sink.data)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def app(web: Web) -> App:
    return App(SiteMap.of(web.sites()), ServerOptions(request_timeout=1, idle_timeout=1))


_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(data=st.one_of(_requests, st.binary(max_size=3000)))
def test_http1_loop_survives_anything(app: App, data: bytes) -> None:
    out = _run(serve_http1, app, data)
    assert out == b"" or out.startswith(b"HTTP/1.1 ")


@_SETTINGS
@given(data=st.one_of(_frames.map(lambda f: _PREFACE + f), st.binary(max_size=500)))
def test_http2_loop_survives_anything(app: App, data: bytes) -> None:
    out = _run(serve_http2, app, data)
    assert out[3] == 0x04 and out[4] == 0  # our SETTINGS frame comes first (RFC 9113 §3.4)


def test_known_answers(app: App) -> None:
    """Anchors for the properties: a valid request of each version gets its file."""
    h1 = _run(serve_http1, app, b"GET /style.css HTTP/1.1\r\nHost: a.test\r\n\r\n")
    assert h1.startswith(b"HTTP/1.1 200 OK\r\n") and h1.endswith(b"h1 { color: green }\n")
    client = h2.connection.H2Connection()
    client.initiate_connection()
    client.send_headers(1, [(":method", "GET"), (":path", "/style.css"), (":scheme", "https"),
                            (":authority", "a.test")], end_stream=True)
    events = client.receive_data(_run(serve_http2, app, client.data_to_send()))
    body = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    headers = next(e.headers for e in events if isinstance(e, h2.events.ResponseReceived))
    assert (b":status", b"200") in headers and body == b"h1 { color: green }\n"
