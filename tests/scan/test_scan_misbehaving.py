"""Servers that misbehave: the scan finishes quickly and says what it saw, never crashes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest

from scan_helpers import Files, scan_port
from tlsglass.scan import render_text, to_json

Responder = Callable[[socket.socket], None]


@contextmanager
def raw_server(respond: Responder) -> Iterator[int]:
    """Accept connections on 127.0.0.1 and hand each to `respond`; always stopped."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, suppress(OSError):
                conn.settimeout(2)
                respond(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _close_at_once(conn: socket.socket) -> None:
    return None


def _garbage(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def _truncated_record(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"\x16\x03\x03\x00\x64\x02\x00")  # promises 100 bytes, sends 2


def _huge_record(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"\x16\x03\x03\xff\xff" + bytes(100))


def _bad_server_hello(conn: socket.socket) -> None:
    conn.recv(65536)
    body = b"\x03\x03" + bytes(10)  # ServerHello cut short inside its random
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    conn.sendall(b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message)


def _wrong_first_message(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00")  # ServerHelloDone first


def _silent(conn: socket.socket) -> None:
    conn.recv(65536)
    time.sleep(1.0)


CASES = [
    (_close_at_once, "connection closed without an answer"),
    (_garbage, "not TLS: record content type 72"),
    (_truncated_record, "not TLS: connection closed inside a record"),
    (_huge_record, "not TLS: record of 65535 bytes"),
    (_bad_server_hello, "not TLS: truncated"),
    (_wrong_first_message, "not TLS: first handshake message is type 14"),
    (_silent, "no answer (timed out)"),
]


@pytest.mark.parametrize(("respond", "answer"), CASES, ids=[c[0].__name__ for c in CASES])
def test_misbehaving_server(files: Files, respond: Responder, answer: str) -> None:
    with raw_server(respond) as port:
        started = time.monotonic()
        report = scan_port(port, files.trust, timeout=0.5)
    assert time.monotonic() - started < 5
    assert all(v.answer.startswith(answer) for v in report.versions), report.versions
    assert not any(v.accepted for v in report.versions)
    assert report.verdict.grade == "F"
    assert report.suites == () and report.chain is None
    assert "grade F" in render_text(report)
    assert '"accepted": false' in to_json(report)


def test_nothing_listening(files: Files) -> None:
    with raw_server(_close_at_once) as port:
        pass  # the port is closed again: connections are refused
    report = scan_port(port, files.trust)
    assert not report.reachable
    assert all(v.answer.startswith("connection failed") for v in report.versions)

