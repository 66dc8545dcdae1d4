"""The HTTPS server on tlsglass beside the same server on Python's ssl: requests/s, handshakes/s.

    .venv/bin/python benchmarks/https_bench.py              # ~30 seconds
    .venv/bin/python benchmarks/https_bench.py --seconds 1 --rounds 1

Two server processes run `tlsglass.http.HTTPSServer` on 127.0.0.1 with the same
site, certificate (ECDSA P-256) and options: one does TLS with tlsglass, the other
hands the sockets to asyncio's ssl (OpenSSL). This process is the load: asyncio
clients on Python's ssl, TLS 1.3, X25519 (what OpenSSL 3.0 offers first), ALPN
http/1.1, the same for both servers, so the difference is the server's TLS.

- requests/s: `--connections` kept-alive connections, each sending GET for a
  1 KiB page and reading the answer, in a loop.
- handshakes/s: as many workers, each connecting, doing the handshake, one GET
  with "Connection: close", and hanging up, in a loop.

Servers are measured in turns (tlsglass, ssl, then the other way round), and the
table gives the median over rounds, with the ratio tlsglass/ssl (higher is
better) and its range. The load shares the machine with the server, so the
absolute numbers are low; the ratios are the point. Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from tlsglass.ca import ThrowawayCA
from tlsglass.http import HTTPSServer, ServerOptions, Site, server_config

_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
_LAST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def _serve(kind: str, port: int, directory: Path) -> None:
    """Child process: one HTTPSServer on `port` until killed."""
    cert, key = directory / "site.pem", directory / "site.key"
    from tlsglass import CertifiedKey

    site = Site(directory / "www", CertifiedKey.from_files(cert, key))
    context = None
    if kind == "ssl":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(["http/1.1"])
        context.num_tickets = 0  # tlsglass sends no tickets either
    config = server_config([site], alpn_protocols=("http/1.1",))
    server = HTTPSServer([site], ServerOptions(), config=config, ssl_context=context)

    async def main() -> None:
        await server.start("127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(main())


async def _read_response(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"content-length: (\d+)", head)
    if not head.startswith(b"HTTP/1.1 200") or length is None:
        raise RuntimeError(f"unexpected answer: {head[:80]!r}")
    await reader.readexactly(int(length.group(1)))


async def _open(port: int, context: ssl.SSLContext) -> tuple[asyncio.StreamReader,
                                                               asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                         server_hostname="localhost")


async def _keepalive_loop(port: int, context: ssl.SSLContext, until: float) -> int:
    reader, writer = await _open(port, context)
    done = 0
    while time.monotonic() < until:
        writer.write(_REQUEST)
        await _read_response(reader)
        done += 1
    writer.close()
    return done


async def _handshake_loop(port: int, context: ssl.SSLContext, until: float) -> int:
    done = 0
    while time.monotonic() < until:
        reader, writer = await _open(port, context)
        writer.write(_LAST)
        await _read_response(reader)
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
        done += 1
    return done


Loop = Callable[[int, ssl.SSLContext, float], Awaitable[int]]


def _measure(loop: Loop, port: int, context: ssl.SSLContext, connections: int,
             seconds: float) -> float:
    async def main() -> float:
        started = time.monotonic()
        counts = await asyncio.gather(*(loop(port, context, started + seconds)
                                        for _ in range(connections)))
        return sum(counts) / (time.monotonic() - started)

    return asyncio.run(main())


def _write_site(directory: Path) -> Path:
    (directory / "www").mkdir()
    (directory / "www" / "index.html").write_text("<!doctype html>" + "x" * 1009)
    ca = ThrowawayCA.create()
    certified = ca.issue_server("localhost")
    (directory / "site.pem").write_bytes(certified.leaf.pyca.public_bytes(
        serialization.Encoding.PEM))
    (directory / "site.key").write_bytes(certified.private_key.private_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (directory / "ca.pem").write_bytes(ca.root_pem)
    return directory / "ca.pem"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _servers(directory: Path) -> Iterator[dict[str, int]]:
    ports = {kind: _free_port() for kind in ("tlsglass", "ssl")}
    procs = [subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port),
                               "--dir", str(directory)]) for kind, port in ports.items()]
    try:
        for port in ports.values():
            deadline = time.monotonic() + 20
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("a server did not start")
                time.sleep(0.1)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--serve", choices=("tlsglass", "ssl"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve, args.port, args.dir)
        return
    with tempfile.TemporaryDirectory() as tmp:
        ca_file = _write_site(Path(tmp))
        context = ssl.create_default_context(cafile=str(ca_file))
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.set_alpn_protocols(["http/1.1"])
        with _servers(Path(tmp)) as ports:
            _report(_rounds(ports, context, args), args)


def _rounds(ports: dict[str, int], context: ssl.SSLContext,
            args: argparse.Namespace) -> dict[tuple[str, str], list[float]]:
    results: dict[tuple[str, str], list[float]] = {}
    metrics: dict[str, Loop] = {"requests": _keepalive_loop, "handshakes": _handshake_loop}
    for round_index in range(args.rounds):
        order = ["tlsglass", "ssl"] if round_index % 2 == 0 else ["ssl", "tlsglass"]
        for metric, loop in metrics.items():
            for kind in order:
                rate = _measure(loop, ports[kind], context, args.connections, args.seconds)
                results.setdefault((metric, kind), []).append(rate)
        print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
    return results


def _report(results: dict[tuple[str, str], list[float]], args: argparse.Namespace) -> None:
    print(f"\nHTTPS server, {args.connections} concurrent clients (Python ssl, TLS 1.3, X25519),"
          f" {args.seconds:g} s x {args.rounds} rounds; ratio = tlsglass / ssl (higher is better)")
    print(f"{'metric':<26}{'unit':>6}{'tlsglass':>10}{'ssl':>10}{'ratio':>8}{'range':>13}")
    for metric, unit, label in (("requests", "req/s", "requests, kept alive"),
                                ("handshakes", "hs/s", "handshake + 1 request")):
        ours, theirs = results[(metric, "tlsglass")], results[(metric, "ssl")]
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        print(f"{label:<26}{unit:>6}{statistics.median(ours):>10,.0f}"
              f"{statistics.median(theirs):>10,.0f}{statistics.median(ratios):>8.2f}"
              f"{f'{min(ratios):.2f}-{max(ratios):.2f}':>13}")


if __name__ == "__main__":
    main()
