"""The HTTPS server in-process on 127.0.0.1: HTTP/1.1 and HTTP/2 by ALPN, sites by SNI,
redirects, HSTS, the access log, errors, timeouts and graceful shutdown.

Clients: httpx over tlsglass (AsyncTLSGlassTransport), httpx over Python's ssl
(OpenSSL, a real peer), and raw tlsglass streams for what httpx will not send.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import h11
import httpx

import tlsglass
from helpers import client_config
from tlsglass.http import AccessRecord, AsyncTLSGlassTransport, HTTPSServer, ServerOptions
from tlsglass.io import aio
from websites import Web, run


@asynccontextmanager
async def serving(web: Web, redirect: bool = False, **options: Any
                  ) -> AsyncIterator[tuple[HTTPSServer, list[AccessRecord]]]:
    log: list[AccessRecord] = []
    server = HTTPSServer(web.sites(), ServerOptions(access_log=log.append, **options))
    await server.start("127.0.0.1", 0, redirect_port=0 if redirect else None)
    try:
        yield server, log
    finally:
        await server.shutdown()


def tlsglass_client(web: Web, port: int, http2: bool = False) -> httpx.AsyncClient:
    resolve = {(name, port): "127.0.0.1" for name in ("a.test", "b.test")}
    return httpx.AsyncClient(transport=AsyncTLSGlassTransport(
        trust=web.pki.trust, http2=http2, resolve=resolve))


def ssl_client(web: Web, http2: bool = False) -> httpx.AsyncClient:
    context = ssl.create_default_context(cafile=str(web.ca_file))
    return httpx.AsyncClient(verify=context, http2=http2)


def test_http1_and_http2_chosen_by_alpn(web: Web) -> None:
    async def main() -> None:
        async with serving(web, hsts_max_age=600) as (server, log):
            for http2, version in ((False, "HTTP/1.1"), (True, "HTTP/2")):
                async with tlsglass_client(web, server.port, http2) as client:
                    first = await client.get(f"https://a.test:{server.port}/")
                    second = await client.head(f"https://a.test:{server.port}/style.css")
                assert first.http_version == version and first.status_code == 200
                assert "site A" in first.text
                assert first.headers["strict-transport-security"] == "max-age=600"
                assert first.headers["content-type"] == "text/html; charset=utf-8"
                assert second.status_code == 200 and second.content == b""
                assert second.headers["content-type"] == "text/css; charset=utf-8"
            assert server.stats.handshakes == 2  # one kept-alive connection per client
        assert [(r.http_version, r.method, r.status, r.alpn) for r in log] == [
            ("1.1", "GET", 200, "http/1.1"), ("1.1", "HEAD", 200, "http/1.1"),
            ("2", "GET", 200, "h2"), ("2", "HEAD", 200, "h2")]
        assert {(r.tls_version, r.server_name, r.site) for r in log} == {
            ("TLS1_3", "a.test", "a.test")}
        assert "GET / HTTP/2" in log[2].line() and "alpn=h2" in log[2].line()

    run(main())


def test_python_ssl_clients_h1_and_h2(web: Web) -> None:
    """OpenSSL (Python's ssl under httpx) fetches from both sites, both HTTP versions."""

    async def main() -> None:
        async with serving(web) as (server, log):
            for http2 in (False, True):
                async with ssl_client(web, http2) as client:
                    got = await client.get(f"https://localhost:{server.port}/big.bin")
                    assert hashlib.sha256(got.content).digest() == hashlib.sha256(web.big).digest()
                    assert got.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        assert [r.bytes_sent for r in log] == [len(web.big)] * 2

    run(main())


def test_sites_by_sni_and_misdirected_requests(web: Web) -> None:
    async def main() -> None:
        async with serving(web) as (server, log):
            async with tlsglass_client(web, server.port, http2=True) as client:
                a = await client.get(f"https://a.test:{server.port}/")
                b = await client.get(f"https://b.test:{server.port}/")
                assert "site A" in a.text and "site B" in b.text
                tls = b.extensions["network_stream"].get_extra_info("tlsglass")
                assert tls.connection.peer_certificates[0].dns_names == ("b.test",)
            # SNI a.test, Host b.test: the connection cannot serve b.test (RFC 9110 §15.5.20)
            reader, writer = await aio.open_connection(
                "127.0.0.1", server.port, config=client_config(web.pki, server_name="a.test"))
            writer.write(b"GET / HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n")
            answer = await reader.read()
            writer.close()
            assert answer.startswith(b"HTTP/1.1 421 Misdirected Request\r\n")
        assert [(r.site, r.status) for r in log] == [("a.test", 200), ("b.test", 200),
                                                     ("a.test", 421)]

    run(main())


def test_plain_http_redirects_to_https(web: Web) -> None:
    async def main() -> None:
        async with serving(web, redirect=True, hsts_max_age=60) as (server, _):
            url = f"http://127.0.0.1:{server.redirect_port}"
            async with httpx.AsyncClient() as plain:
                got = await plain.get(f"{url}/a/b?c=d", headers={"host": "b.test"})
                unknown = await plain.get(f"{url}/x", headers={"host": "evil.example"})
                post = await plain.post(f"{url}/form", headers={"host": "b.test"})
            assert got.status_code == 301
            assert got.headers["location"] == f"https://b.test:{server.port}/a/b?c=d"
            assert "strict-transport-security" not in got.headers  # RFC 6797 §7.2
            assert unknown.headers["location"] == f"https://a.test:{server.port}/x"
            assert post.status_code == 308
            # Following the redirect lands on the HTTPS site, over tlsglass.
            async with tlsglass_client(web, server.port) as client:
                client.follow_redirects = True
                resolve = client._transport._pool._network_backend.resolve  # type: ignore[attr-defined]
                resolve[("b.test", server.redirect_port)] = "127.0.0.1"
                final = await client.get(f"http://b.test:{server.redirect_port}/")
            assert "site B" in final.text and final.history[0].status_code == 301
            assert final.headers["strict-transport-security"] == "max-age=60"

    run(main())


async def raw_exchange(web: Web, port: int, request: bytes) -> bytes:
    """Send `request` over a tlsglass stream; everything the server answers until it closes."""
    reader, writer = await aio.open_connection(
        "127.0.0.1", port, config=client_config(web.pki, server_name="a.test"))
    writer.write(request)
    answer = await reader.read()
    writer.close()
    return answer


def test_malformed_and_oversized_requests(web: Web) -> None:
    async def main() -> None:
        async with serving(web, max_request_body=1000) as (server, log):
            bad = await raw_exchange(web, server.port, b"NOT HTTP\r\n\r\n")
            assert bad.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"connection: close" in bad
            # A head that never ends: refused once it passes 16 KiB (h11's bound).
            huge = await raw_exchange(web, server.port, b"GET / HTTP/1.1\r\nHost: a.test\r\n"
                                      + b"X: " + b"y" * 20000)
            assert huge.startswith(b"HTTP/1.1 431 ")
            body = await raw_exchange(web, server.port, b"POST / HTTP/1.1\r\nHost: a.test\r\n"
                                      b"Content-Length: 5000\r\n\r\n" + b"z" * 5000)
            assert body.startswith(b"HTTP/1.1 413 ")
            # Two pipelined requests, then close: both answered in order.
            two = await raw_exchange(web, server.port, b"GET /style.css HTTP/1.1\r\nHost: a.test"
                                     b"\r\n\r\nGET /nope HTTP/1.1\r\nHost: a.test\r\n"
                                     b"Connection: close\r\n\r\n")
            assert two.index(b"HTTP/1.1 200 OK") < two.index(b"HTTP/1.1 404 Not Found")
        assert [r.status for r in log] == [413, 200, 404]

    run(main())


def test_request_delivered_byte_by_byte(web: Web) -> None:
    async def main() -> None:
        async with serving(web) as (server, _):
            reader, writer = await aio.open_connection(
                "127.0.0.1", server.port, config=client_config(web.pki, server_name="a.test"))
            for byte in b"GET /style.css HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n":
                writer.write(bytes([byte]))
                await writer.drain()
            answer = await reader.read()
            writer.close()
            assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"green }\n")

    run(main())


def test_timeouts_drop_silent_clients_only(web: Web) -> None:
    async def main() -> None:
        async with serving(web, handshake_timeout=0.5, request_timeout=0.5,
                           idle_timeout=0.8) as (server, _):
            started = time.monotonic()
            # 1. TCP only: never says hello.
            r1, w1 = await asyncio.open_connection("127.0.0.1", server.port)
            # 2. A handshake, then nothing.
            r2, w2 = await aio.open_connection(
                "127.0.0.1", server.port, config=client_config(web.pki, server_name="a.test"))
            # 3. Half a request head.
            r3, w3 = await aio.open_connection(
                "127.0.0.1", server.port, config=client_config(web.pki, server_name="a.test"))
            w3.write(b"GET / HTTP/1.1\r\nHost: a.te")
            async with tlsglass_client(web, server.port) as client:  # unharmed meanwhile
                ok = await client.get(f"https://a.test:{server.port}/")
            assert ok.status_code == 200
            assert await r1.read() == b""  # closed after handshake_timeout
            assert await r2.read() == b""  # close_notify after idle_timeout
            assert await r3.read() == b""  # close_notify after request_timeout
            assert time.monotonic() - started < 3
            for w in (w1, w2, w3):
                w.close()
            assert server.stats.handshake_failures == 1

    run(main())


def test_graceful_shutdown_finishes_requests_in_progress(web: Web) -> None:
    async def main() -> None:
        server = HTTPSServer(web.sites(), ServerOptions(shutdown_grace=10))
        await server.start("127.0.0.1", 0)
        port = server.port
        # An idle kept-alive connection, and downloads in progress over both versions.
        idle_reader, idle_writer = await aio.open_connection(
            "127.0.0.1", port, config=client_config(web.pki, server_name="a.test"))
        clients = [tlsglass_client(web, port, http2) for http2 in (False, True)]
        streams = [await c.send(c.build_request("GET", f"https://a.test:{port}/big.bin"),
                                stream=True) for c in clients]
        shutdown = asyncio.ensure_future(server.shutdown())
        assert await idle_reader.read() == b""  # the idle one ends at once, cleanly
        for response in streams:
            body = b"".join([chunk async for chunk in response.aiter_bytes()])
            assert hashlib.sha256(body).digest() == hashlib.sha256(web.big).digest()
        await shutdown
        assert server.connections == 0
        try:
            await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            pass
        else:
            raise AssertionError("the server still accepts connections")
        idle_writer.close()
        for c in clients:
            await c.aclose()

    run(main())


def test_h11_client_sees_well_formed_answers(web: Web) -> None:
    """Every answer parses with h11's client side, including errors with bodies."""

    async def main() -> None:
        async with serving(web) as (server, _):
            for target, status in ((b"/", 200), (b"/missing", 404), (b"/%2e%2e/x", 404)):
                conn = h11.Connection(h11.CLIENT)
                request = conn.send(h11.Request(method="GET", target=target,
                                                headers=[("Host", "a.test"),
                                                         ("Connection", "close")]))
                conn.receive_data(await raw_exchange(web, server.port, request))
                conn.receive_data(b"")
                response = conn.next_event()
                assert isinstance(response, h11.Response) and response.status_code == status
                while not isinstance(conn.next_event(), h11.EndOfMessage):
                    pass

    run(main())


def test_bad_bodies_and_expect_continue(web: Web) -> None:
    async def main() -> None:
        async with serving(web) as (server, log):
            chunked = await raw_exchange(web, server.port, b"POST / HTTP/1.1\r\nHost: a.test\r\n"
                                         b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")
            assert chunked.startswith(b"HTTP/1.1 400 Bad Request\r\n")
            # The client waits for 100 Continue: it gets the answer at once, not a stall.
            started = time.monotonic()
            waiting = await raw_exchange(web, server.port, b"POST / HTTP/1.1\r\nHost: a.test\r\n"
                                         b"Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
            assert waiting.startswith(b"HTTP/1.1 405 ") and b"connection: close" in waiting
            assert time.monotonic() - started < 5
        assert [r.status for r in log] == [405]

    run(main())


def test_connections_beyond_the_limit_are_closed(web: Web) -> None:
    async def main() -> None:
        async with serving(web, max_connections=2, handshake_timeout=5) as (server, _):
            held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
            await asyncio.sleep(0.2)
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            async with asyncio.timeout(2):
                assert await reader.read() == b""  # closed at once, not after 5 s
            writer.close()
            assert server.stats.refused == 1 and server.connections == 2
            for _, w in held:
                w.close()

    run(main())


def test_revalidation_gets_304(web: Web) -> None:
    async def main() -> None:
        async with serving(web) as (server, _):
            for http2 in (False, True):
                async with tlsglass_client(web, server.port, http2) as client:
                    url = f"https://a.test:{server.port}/style.css"
                    first = await client.get(url)
                    again = await client.get(url, headers={
                        "if-modified-since": first.headers["last-modified"]})
                assert first.status_code == 200 and again.status_code == 304
                assert again.content == b""

    run(main())


def test_failed_handshakes_reach_the_handshake_log(web: Web) -> None:
    """A client that distrusts us and one that speaks garbage: each failure is logged with
    the peer's address and the error, and the server keeps serving."""
    failures: list[tuple[str, BaseException]] = []

    async def main() -> None:
        async with serving(web, handshake_log=lambda peer, exc: failures.append((peer, exc))
                           ) as (server, _):
            stranger = ssl.create_default_context()  # the system roots: not our test CA
            async with httpx.AsyncClient(verify=stranger) as client:
                with contextlib.suppress(httpx.ConnectError):
                    await client.get(f"https://127.0.0.1:{server.port}/")
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET / HTTP/1.1\r\n\r\n")  # plain HTTP on the TLS port
            await reader.read()
            writer.close()
            async with tlsglass_client(web, server.port) as client:
                assert (await client.get(f"https://a.test:{server.port}/")).status_code == 200
            assert server.stats.handshake_failures == 2

    run(main())
    assert [peer for peer, _ in failures] == ["127.0.0.1", "127.0.0.1"]
    assert all(isinstance(exc, tlsglass.TLSError) for _, exc in failures), failures
