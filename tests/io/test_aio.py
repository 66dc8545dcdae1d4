"""The asyncio adapter on 127.0.0.1: tlsglass to tlsglass, to and from OpenSSL (Python's
asyncio ssl), timeouts, truncation, certificate failure, and TLS over TLS.

Each test runs its own event loop with asyncio.run and closes every server and
stream it opens; ports are chosen by the OS.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

import tlsglass
from helpers import Issued, Pki, client_config, server_config
from tlsglass import AlertDescription, Connection
from tlsglass.io import TruncatedError, aio, key_log_from_environment
from tlsglass.io.aio import TLSStreamReader, TLSStreamWriter

Handler = Callable[[TLSStreamReader, TLSStreamWriter], Awaitable[None]]
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run(coro: Coroutine[Any, Any, None], limit: float = 15.0) -> None:
    """Run the test, then wait for every task it left (handlers, pumps) to finish on its own."""

    async def bounded() -> None:
        async with asyncio.timeout(limit):
            await coro
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if others:
            _, pending = await asyncio.wait(others, timeout=5)
            assert not pending, pending

    asyncio.run(bounded())


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def issued(pki: Pki) -> Issued:
    return pki.issue()


@pytest.fixture(scope="module")
def files(pki: Pki, issued: Issued, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("aio")
    cert, key = pki.write(directory, issued)
    (directory / "ca.pem").write_bytes(pki.pem)
    return {"cert": cert, "key": key, "ca": directory / "ca.pem"}


def port_of(server: asyncio.Server) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


@contextlib.asynccontextmanager
async def tls_server(handler: Handler, config: tlsglass.ServerConfig,
                     **options: Any) -> AsyncIterator[int]:
    server = await aio.start_server(handler, "127.0.0.1", 0, config=config, **options)
    try:
        yield port_of(server)
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def raw_server(handler: RawHandler, **options: Any) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0, **options)
    try:
        yield port_of(server)
    finally:
        server.close()
        await server.wait_closed()


async def close(writer: TLSStreamWriter | asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def echo(reader: TLSStreamReader, writer: TLSStreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        await close(writer)


async def raw_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        conn: Connection) -> None:
    """Drive a bare Connection by hand: the peer that misbehaves on purpose."""
    if conn.role == "client":
        conn.start_handshake()
    writer.write(conn.data_to_send())
    while not conn.handshake_complete:
        conn.receive_data(await reader.read(65536))
        writer.write(conn.data_to_send())
    await writer.drain()


# -- tlsglass to tlsglass ---------------------------------------------------------


def test_echo_alpn_facts_and_clean_close_both_ways(pki: Pki, issued: Issued) -> None:
    seen: dict[str, object] = {}

    async def handler(reader: TLSStreamReader, writer: TLSStreamWriter) -> None:
        seen.update(alpn=writer.get_extra_info("alpn_protocol"),
                    sni=writer.get_extra_info("server_name"))
        await echo(reader, writer)

    async def main() -> None:
        config = server_config(issued, alpn_protocols=("h2", "http/1.1"))
        async with tls_server(handler, config) as port:
            reader, writer = await aio.open_connection(
                "127.0.0.1", port, config=client_config(pki, alpn_protocols=("http/1.1",)))
            writer.write(b"hello, ")
            writer.writelines([b"tls", b"glass"])
            await writer.drain()
            assert await reader.readexactly(14) == b"hello, tlsglass"[:14]
            assert await reader.readexactly(1) == b"s"
            info = writer.get_extra_info
            assert info("version") == "TLS1_3"
            assert info("cipher") in {s.name for s in tlsglass.CipherSuite}
            assert info("group") == "X25519MLKEM768"
            assert info("alpn_protocol") == "http/1.1"
            assert info("server_name") == "localhost"
            assert info("peer_certificates")[0].der == issued.certified.leaf.der
            assert info("tlsglass") is writer.connection
            assert info("peername") == ("127.0.0.1", port)
            assert info("socket") is not None
            assert info("no such thing", 42) == 42
            assert isinstance(writer.handshake, tlsglass.HandshakeComplete)
            assert writer.can_write_eof()
            writer.write_eof()  # close_notify: the server's read() gives b"" and it closes
            assert await reader.read() == b""  # the server's close_notify: a clean end
            assert reader.at_eof()
            assert reader.exception() is None
            await close(writer)
            assert writer.is_closing()
        assert seen == {"alpn": "http/1.1", "sni": "localhost"}

    run(main())


def test_large_transfer_both_ways(pki: Pki, issued: Issued) -> None:
    size = 8 << 20
    upload = hashlib.sha256(b"up").digest() * (size // 32)
    download = hashlib.sha256(b"down").digest() * (size // 32)

    async def handler(reader: TLSStreamReader, writer: TLSStreamWriter) -> None:
        digest = hashlib.sha256()
        while chunk := await reader.read(1 << 16):
            digest.update(chunk)
        writer.write(digest.digest())
        for i in range(0, size, 1 << 20):
            writer.write(download[i : i + (1 << 20)])
            await writer.drain()
        await close(writer)

    async def main() -> None:
        async with tls_server(handler, server_config(issued)) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port,
                                                       config=client_config(pki))
            for i in range(0, size, 1 << 18):
                writer.write(upload[i : i + (1 << 18)])
                await writer.drain()
            writer.write_eof()
            assert await reader.readexactly(32) == hashlib.sha256(upload).digest()
            received = hashlib.sha256()
            total = 0
            while chunk := await reader.read(1 << 16):
                received.update(chunk)
                total += len(chunk)
            assert total == size
            assert received.digest() == hashlib.sha256(download).digest()
            await close(writer)

    run(main())


def test_a_full_reader_pauses_the_pump(pki: Pki, issued: Issued) -> None:
    """While the application reads nothing, the pump stops reading and the sender waits."""
    size, chunk = 4 << 20, 1 << 16

    async def main() -> None:
        sent = asyncio.Event()

        async def handler(reader: TLSStreamReader, writer: TLSStreamWriter) -> None:
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                                                        chunk)
            for _ in range(size // chunk):
                writer.write(b"x" * chunk)
                await writer.drain()
            sent.set()
            await close(writer)

        async with tls_server(handler, server_config(issued)) as port:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, chunk)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
            reader, writer = await aio.open_connection(sock=sock, config=client_config(pki),
                                                       limit=chunk)
            await asyncio.sleep(0.3)
            assert not sent.is_set()  # kernel buffers and our reader hold far less than 4 MiB
            total = 0
            while data := await reader.read(chunk):
                total += len(data)
            assert total == size
            assert sent.is_set()
            await close(writer)

    run(main())


def test_tls_over_tls(pki: Pki, issued: Issued) -> None:
    """wrap() takes any stream pair, including a TLS stream: two layers, two handshakes."""
    inner_server = server_config(pki.issue(names=("inner.test",)))

    async def handler(reader: TLSStreamReader, writer: TLSStreamWriter) -> None:
        inner = await aio.wrap(reader, writer, Connection(inner_server))
        await echo(*inner)

    async def main() -> None:
        async with tls_server(handler, server_config(issued)) as port:
            outer = await aio.open_connection("127.0.0.1", port, config=client_config(pki))
            reader, writer = await aio.wrap(
                *outer, Connection(client_config(pki, server_name="inner.test")))
            assert writer.get_extra_info("server_name") == "inner.test"
            assert outer[1].get_extra_info("server_name") == "localhost"
            assert writer.get_extra_info("peername") == ("127.0.0.1", port)
            writer.write(b"nested")
            assert await reader.readexactly(6) == b"nested"
            writer.write_eof()
            assert await reader.read() == b""
            await close(writer)
            await close(outer[1])

    run(main())


def test_misuse_fails_loudly(pki: Pki, issued: Issued) -> None:
    async def main() -> None:
        async with tls_server(echo, server_config(issued)) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port,
                                                       config=client_config(pki))
            with pytest.raises(tlsglass.LocalProtocolError, match="already wrapped"):
                await aio.wrap(reader, writer, writer.connection)
            with pytest.raises(RuntimeError):
                await asyncio.to_thread(writer.write, b"from another thread")
            # Two tasks may share a stream, as with asyncio's StreamWriter.
            writer.write(b"a")
            writer.write(b"b")
            await asyncio.gather(writer.drain(), writer.drain())
            assert await reader.readexactly(2) == b"ab"
            await close(writer)
            with pytest.raises(tlsglass.LocalProtocolError):
                writer.write(b"after close")
            with pytest.raises(ConnectionAbortedError):
                await reader.read()

    run(main())


def test_read_timeout_closes_with_close_notify(pki: Pki, issued: Issued) -> None:
    async def main() -> None:
        outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

        async def handler(reader: TLSStreamReader, writer: TLSStreamWriter) -> None:
            try:
                await reader.read()
            except TimeoutError as exc:
                outcome.set_result(exc)
            await close(writer)

        async with tls_server(handler, server_config(issued), read_timeout=0.3) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port,
                                                       config=client_config(pki))
            assert await reader.read() == b""  # the server said close_notify when it gave up
            assert isinstance(await outcome, TimeoutError)
            await close(writer)

    run(main())


def test_key_log_only_when_asked(pki: Pki, issued: Issued, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keys))

    async def one(config: tlsglass.ClientConfig) -> None:
        async with tls_server(echo, server_config(issued)) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port, config=config)
            writer.write_eof()
            assert await reader.read() == b""
            await close(writer)

    run(one(client_config(pki)))
    assert not keys.exists()
    run(one(client_config(pki, key_log=key_log_from_environment())))
    assert "CLIENT_TRAFFIC_SECRET_0" in keys.read_text()


# -- OpenSSL through Python's asyncio ssl ------------------------------------------


def test_tlsglass_client_against_openssl_server(pki: Pki, files: dict[str, Path]) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files["cert"], files["key"])
    ctx.set_alpn_protocols(["h2"])

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (line := await reader.readline()) != b"bye\n":
                writer.write(line.upper())
                await writer.drain()
            writer.write(b"BYE\n")
        finally:
            await close(writer)  # OpenSSL sends close_notify

    async def main() -> None:
        async with raw_server(handler, ssl=ctx) as port:
            reader, writer = await aio.open_connection(
                "127.0.0.1", port, config=client_config(pki, alpn_protocols=("h2",)))
            assert writer.get_extra_info("alpn_protocol") == "h2"
            writer.write(b"first\n")
            assert await reader.readline() == b"FIRST\n"
            writer.key_update(request_peer=True)  # OpenSSL answers with its own
            writer.write(b"second\n")
            assert await reader.readline() == b"SECOND\n"
            writer.write(b"bye\n")
            assert await reader.readline() == b"BYE\n"
            assert await reader.read() == b""
            await close(writer)

    run(main())


def test_openssl_client_against_tlsglass_server(issued: Issued, files: dict[str, Path]) -> None:
    ctx = ssl.create_default_context(cafile=files["ca"])
    ctx.set_alpn_protocols(["http/1.1", "h2"])

    async def main() -> None:
        config = server_config(issued, alpn_protocols=("h2",))
        async with tls_server(echo, config) as port:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=ctx, server_hostname="localhost")
            ssl_object = writer.get_extra_info("ssl_object")
            assert ssl_object.version() == "TLSv1.3"
            assert ssl_object.selected_alpn_protocol() == "h2"
            payload = bytes(range(256)) * 4096
            writer.write(payload)
            await writer.drain()
            assert await reader.readexactly(len(payload)) == payload
            await close(writer)  # close_notify; our echo answers with its own

    run(main())


# -- timeouts ---------------------------------------------------------------------


def test_handshake_timeout_against_a_silent_server(pki: Pki) -> None:
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    async def main() -> None:
        async with raw_server(silent) as port:
            start = time.monotonic()
            with pytest.raises(TimeoutError, match="handshake"):
                await aio.open_connection("127.0.0.1", port, config=client_config(pki),
                                          handshake_timeout=0.3)
            assert time.monotonic() - start < 2
            for writer in held:
                await close(writer)

    run(main())


def test_server_drops_a_silent_client_and_serves_others(pki: Pki, issued: Issued) -> None:
    errors: list[tuple[Exception, object]] = []

    async def main() -> None:
        async with tls_server(echo, server_config(issued), handshake_timeout=0.5,
                              on_error=lambda exc, peer: errors.append((exc, peer))) as port:
            silent_reader, silent_writer = await asyncio.open_connection("127.0.0.1", port)
            reader, writer = await aio.open_connection("127.0.0.1", port,
                                                       config=client_config(pki))
            writer.write(b"still served")
            assert await reader.readexactly(12) == b"still served"
            assert await silent_reader.read() == b""  # dropped, with nothing sent
            await close(silent_writer)
            writer.write(b"after the drop")
            assert await reader.readexactly(14) == b"after the drop"
            await close(writer)
        [(exc, peer)] = errors
        assert isinstance(exc, TimeoutError)
        assert peer == silent_writer.get_extra_info("sockname")

    run(main())


# -- truncation ---------------------------------------------------------------------


def test_client_sees_truncation_after_the_data(pki: Pki, issued: Issued) -> None:
    async def main() -> None:
        cut = asyncio.Event()

        async def cutter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = Connection(server_config(issued))
            await raw_handshake(reader, writer, conn)
            conn.send_application_data(b"line one\nline two\npartial")
            writer.write(conn.data_to_send())
            await close(writer)  # FIN without close_notify
            cut.set()

        async with raw_server(cutter) as port:
            reader, writer = await aio.open_connection("127.0.0.1", port,
                                                       config=client_config(pki))
            await cut.wait()
            await asyncio.sleep(0.1)  # the EOF has reached the pump before we read
            assert await reader.readline() == b"line one\n"
            assert await reader.read(8) == b"line two"
            assert await reader.readexactly(1) == b"\n"
            with pytest.raises(TruncatedError) as info:
                await reader.readline()
            assert isinstance(info.value.__cause__, asyncio.IncompleteReadError)
            assert info.value.__cause__.partial == b"partial"
            assert not reader.at_eof()
            assert isinstance(reader.exception(), TruncatedError)
            with pytest.raises(TruncatedError):
                await reader.read()
            with pytest.raises(TruncatedError):
                await writer.drain()
            await close(writer)

    run(main())


def test_server_sees_truncation_after_the_data(pki: Pki, issued: Issued) -> None:
    async def main() -> None:
        outcome: asyncio.Future[tuple[bytes, BaseException]] = \
            asyncio.get_running_loop().create_future()

        async def handler(reader: TLSStreamReader, writer: TLSStreamWriter) -> None:
            data = await reader.readexactly(5)
            try:
                await reader.read()
            except BaseException as exc:
                outcome.set_result((data, exc))
            await close(writer)

        async with tls_server(handler, server_config(issued)) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            conn = Connection(client_config(pki))
            await raw_handshake(reader, writer, conn)
            conn.send_application_data(b"12345")
            writer.write(conn.data_to_send())
            await close(writer)  # FIN without close_notify
            data, exc = await outcome
            assert data == b"12345"
            assert isinstance(exc, TruncatedError)

    run(main())


# -- certificate failure ----------------------------------------------------------------


def test_wrong_name_is_refused_and_the_server_hears_why(pki: Pki) -> None:
    errors: list[Exception] = []

    async def main() -> None:
        wrong = server_config(pki.issue(names=("other.test",)))
        async with tls_server(echo, wrong, on_error=lambda exc, peer: errors.append(exc)) as port:
            with pytest.raises(tlsglass.RemoteProtocolError) as info:
                await aio.open_connection("127.0.0.1", port, config=client_config(pki))
            assert info.value.alert == AlertDescription.BAD_CERTIFICATE
            for _ in range(100):
                if errors:
                    break
                await asyncio.sleep(0.01)
        [exc] = errors
        assert isinstance(exc, tlsglass.FatalAlertReceived)
        assert exc.description == AlertDescription.BAD_CERTIFICATE

    run(main())


def test_resumption_and_0rtt_over_asyncio(pki: Pki, issued: Issued) -> None:
    """open_connection(early_data=...): refused data is sent again; accepted data once."""
    config = server_config(issued, max_early_data_size=1024)
    client = client_config(pki, ticket_store=tlsglass.InMemoryTicketStore(),
                           enable_early_data=True)

    async def main() -> None:
        async with tls_server(echo, config) as port:
            outcomes = []
            for _ in range(2):
                reader, writer = await aio.open_connection("127.0.0.1", port, config=client,
                                                          early_data=b"hello")
                assert await reader.readexactly(5) == b"hello"
                outcomes.append((writer.connection.resumed, writer.early_data_accepted))
                await close(writer)
            # The first had no ticket yet: sent after the handshake. The second: 0-RTT.
            assert outcomes == [(False, False), (True, True)]

    run(main())
