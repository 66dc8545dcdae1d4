"""A bounded load test: hundreds of concurrent HTTPS clients against the asyncio server.

The server (tlsglass) runs in its own thread and event loop; the clients are
Python's asyncio over ssl (OpenSSL) on 127.0.0.1. Each wave has 300 clients
doing three kept-alive requests each, plus silent clients of three kinds (TCP
only, a handshake and then nothing, half a request head) that the handshake,
idle and request timeouts must drop without harming anyone else. After three
waves: no failed request, no connection left open, and the process's resident
memory has not grown beyond a bound once warm.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import threading
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from tlsglass.http import HTTPSServer, ServerOptions
from websites import Web

pytestmark = pytest.mark.slow

CLIENTS = 300
REQUESTS = 3
SILENT = 30  # of each kind
TIMEOUT = 4.0  # the server's handshake, request and idle timeouts (a loaded CI box is slow)


class ServerThread:
    """An HTTPSServer on its own event loop in a thread; stopped gracefully on exit."""

    def __init__(self, server: HTTPSServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    def _run(self) -> None:
        self.loop.run_until_complete(self.server.start("127.0.0.1", 0))
        self.ready.set()
        self.loop.run_forever()

    def call(self, coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)  # type: ignore[arg-type]

    def __enter__(self) -> ServerThread:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.server.shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


async def _client(context: ssl.SSLContext, port: int, expected: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname="a.test")
    served = 0
    for i in range(REQUESTS):
        close = b"Connection: close\r\n" if i == REQUESTS - 1 else b""
        writer.write(b"GET /style.css HTTP/1.1\r\nHost: a.test\r\n" + close + b"\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and length is not None
        assert await reader.readexactly(int(length.group(1))) == expected
        served += 1
    writer.close()
    return served


async def _silent(port: int, context: ssl.SSLContext | None, send: bytes) -> float:
    """Connect (with TLS if context), send `send`, then wait for the server to hang up."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="a.test" if context else None)
    writer.write(send)
    # The server may close TCP before our close_notify is read: a reset is an end too.
    with contextlib.suppress(ConnectionResetError, ssl.SSLError):
        assert await reader.read() == b""
    writer.close()
    return time.monotonic() - started


async def _wave(context: ssl.SSLContext, port: int, expected: bytes) -> tuple[int, list[float]]:
    silent = [
        *(_silent(port, None, b"") for _ in range(SILENT)),
        *(_silent(port, context, b"") for _ in range(SILENT)),
        *(_silent(port, context, b"GET / HTTP/1.1\r\nHost: a.") for _ in range(SILENT)),
    ]
    served, waits = await asyncio.gather(
        asyncio.gather(*(_client(context, port, expected) for _ in range(CLIENTS))),
        asyncio.gather(*silent))
    return sum(served), list(waits)


def test_hundreds_of_clients_and_silent_ones(web: Web) -> None:
    options = ServerOptions(handshake_timeout=TIMEOUT, request_timeout=TIMEOUT,
                            idle_timeout=TIMEOUT)
    server = HTTPSServer(web.sites(), options)
    context = ssl.create_default_context(cafile=str(web.ca_file))
    expected = (web.root_a / "style.css").read_bytes()
    rss: list[int] = []
    with ServerThread(server) as running:
        port = server.port
        for _ in range(3):
            started = time.monotonic()
            served, waits = asyncio.run(_wave(context, port, expected))
            elapsed = time.monotonic() - started
            assert served == CLIENTS * REQUESTS
            assert max(waits) < TIMEOUT + 10, max(waits)  # silent clients were dropped
            deadline = time.monotonic() + 10
            while server.connections and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.connections == 0
            rss.append(_rss_kib())
            print(f"\nwave: {CLIENTS} clients x {REQUESTS} requests + {3 * SILENT} silent in "
                  f"{elapsed:.1f} s; RSS {rss[-1] // 1024} MiB")
        stats = running.server.stats
    assert stats.handshakes == 3 * (CLIENTS + 2 * SILENT)
    assert stats.handshake_failures == 3 * SILENT  # the TCP-only ones, by handshake_timeout
    # Warm after the first wave: later waves must not keep growing the process.
    assert rss[2] - rss[0] < 40 * 1024, rss
