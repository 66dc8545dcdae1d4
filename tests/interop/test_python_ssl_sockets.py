"""Python's ssl over real sockets both ways, and 64 MiB each way with a SHA-256 check
on the far side."""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import threading
from pathlib import Path

import pytest

import tlsglass
from helpers import Pki
from peers import ThreadServer
from tlsglass.io import TLSSocket, connect

pytestmark = pytest.mark.interop

SIZE = 64 * 1024 * 1024
CHUNK = 1 << 20


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("pyssl")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue())
    return {"ca": directory / "ca.pem", "cert": cert, "key": key}


def _payload() -> bytes:
    return os.urandom(CHUNK)


def _sink_then_source(tls: TLSSocket) -> None:
    """Read SIZE bytes, answer with their SHA-256, then send SIZE bytes and their digest."""
    h = hashlib.sha256()
    received = 0
    while received < SIZE:
        data = tls.recv(1 << 20)
        assert data
        h.update(data)
        received += len(data)
    tls.sendall(h.digest())
    block, out = _payload(), hashlib.sha256()
    for _ in range(SIZE // CHUNK):
        tls.sendall(block)
        out.update(block)
    tls.sendall(out.digest())
    tls.recv()  # wait for the peer's close_notify


def test_64_mib_each_way_ssl_client_tlsglass_server(pem: dict[str, Path]) -> None:
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"])
    with ThreadServer(config, _sink_then_source) as srv:
        ctx = ssl.create_default_context(cafile=str(pem["ca"]))
        with socket.create_connection(("127.0.0.1", srv.port), timeout=60) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.version() == "TLSv1.3"
            block, sent = _payload(), hashlib.sha256()
            for _ in range(SIZE // CHUNK):
                s.sendall(block)
                sent.update(block)
            assert _read_exactly(s, 32) == sent.digest()  # the far side's SHA-256
            h = hashlib.sha256()
            data = _read_exactly(s, SIZE + 32)
            h.update(data[:SIZE])
            assert h.digest() == data[SIZE:]
            s.unwrap()
    assert not srv.errors, srv.errors


def _read_exactly(s: ssl.SSLSocket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(1 << 20, n - len(buf)))
        assert chunk
        buf += chunk
    return bytes(buf)


def test_64_mib_each_way_tlsglass_client_ssl_server(pem: dict[str, Path]) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem["cert"], pem["key"])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            raw, _ = listener.accept()
            raw.settimeout(60)
            with ctx.wrap_socket(raw, server_side=True) as s:
                h = hashlib.sha256()
                h.update(_read_exactly(s, SIZE))
                s.sendall(h.digest())
                block, out = _payload(), hashlib.sha256()
                for _ in range(SIZE // CHUNK):
                    s.sendall(block)
                    out.update(block)
                s.sendall(out.digest())
                s.unwrap()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        config = tlsglass.ClientConfig(server_name="localhost",
                                       trust=tlsglass.TrustStore.from_file(pem["ca"]))
        with connect("127.0.0.1", port, config, timeout=60) as tls:
            block, sent = _payload(), hashlib.sha256()
            for _ in range(SIZE // CHUNK):
                tls.sendall(block)
                sent.update(block)
            got = b""
            while len(got) < 32:
                got += tls.recv(32 - len(got))
            assert got == sent.digest()
            h, received, tail = hashlib.sha256(), 0, bytearray()
            while received < SIZE + 32:
                data = tls.recv(1 << 20)
                assert data
                take = min(len(data), max(0, SIZE - received))
                h.update(data[:take])
                tail += data[take:]
                received += len(data)
            assert h.digest() == bytes(tail)
    finally:
        thread.join(60)
        listener.close()
    assert not failures, failures
