"""The httpx transports' EOF policy, against Python's ssl on asyncio.

An EOF without close_notify ends a close-delimited body (as Python's ssl does),
while a message framed by content-length and cut short is still an error,
because h11 sees it: the policy hides no truncation that HTTP can detect.
Errors keep their TLS cause, for whoever explains them.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from helpers import Pki
from tlsglass import UnknownCA
from tlsglass.http import AsyncTLSGlassTransport, TLSGlassTransport
from websites import Web

ANSWERS = {
    b"/close-delimited": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello",
    b"/cut-short": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
}


@contextmanager
def abrupt_server(web: Web) -> Iterator[int]:
    """Python's ssl on asyncio in a thread: answers, then drops TCP without close_notify."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_files(web))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWERS[head.split(b" ")[1]])
        await writer.drain()
        writer.transport.abort()  # no close_notify

    async def start() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
        port.append(server.sockets[0].getsockname()[1])

    def serve() -> None:
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield port[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _files(web: Web) -> tuple[str, str]:
    cert, key = web.root_a.parent / "abrupt.pem", web.root_a.parent / "abrupt.key"
    cert.write_bytes(web.a.pem)
    key.write_bytes(web.a.key_pem)
    return str(cert), str(key)


def test_sync_transport_eof_policy(web: Web) -> None:
    with abrupt_server(web) as port, httpx.Client(
            transport=TLSGlassTransport(trust=web.pki.trust)) as client:
        assert client.get(f"https://localhost:{port}/close-delimited").content == b"hello"
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"https://localhost:{port}/cut-short")


def test_async_transport_eof_policy(web: Web) -> None:
    async def main(port: int) -> None:
        async with httpx.AsyncClient(
                transport=AsyncTLSGlassTransport(trust=web.pki.trust)) as client:
            got = await client.get(f"https://localhost:{port}/close-delimited")
            assert got.content == b"hello"
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(f"https://localhost:{port}/cut-short")

    with abrupt_server(web) as port:
        asyncio.run(main(port))


def test_verification_failure_keeps_its_cause(web: Web) -> None:
    """A server whose CA we do not trust: httpx.ConnectError, with UnknownCA in the chain."""
    transport = TLSGlassTransport(trust=Pki("an unrelated root").trust)
    with abrupt_server(web) as port, httpx.Client(transport=transport) as client, \
            pytest.raises(httpx.ConnectError) as caught:
        client.get(f"https://localhost:{port}/close-delimited")
    causes: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(c, UnknownCA) for c in causes), causes
