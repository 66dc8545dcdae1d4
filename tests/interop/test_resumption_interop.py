"""TLS 1.3 resumption against real peers: `openssl s_server` and `s_client -sess_out/-sess_in`,
and Python's ssl (session reuse), both ways."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import tlsglass
from helpers import Pki
from peers import ThreadServer, echo, free_port, need, run
from tlsglass import InMemoryTicketStore, NamedGroup
from tlsglass.enums import PskKeyExchangeMode
from tlsglass.io import connect

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("resume")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue())
    return {"ca": directory / "ca.pem", "cert": cert, "key": key}


def _client(pem: dict[str, Path], **options: object) -> tlsglass.ClientConfig:
    return tlsglass.ClientConfig.for_server("localhost", ca_file=pem["ca"],
                                            ticket_store=InMemoryTicketStore(), **options)


def _exchange(port: int, config: tlsglass.ClientConfig, line: bytes) -> tuple[bool, int | None]:
    with connect("127.0.0.1", port, config) as tls:
        tls.sendall(line)
        assert tls.recv() == line[-2::-1] + b"\n"  # s_server -rev
        return tls.conn.resumed, tls.conn.group


_MODES = {  # mode: (s_server options, client options, group in full, group resumed)
    "psk_dhe_ke": ([], {}, NamedGroup.X25519, NamedGroup.X25519),
    "psk_ke": (["-allow_no_dhe_kex"], {"psk_key_exchange_modes": (PskKeyExchangeMode.PSK_KE,)},
               NamedGroup.X25519, None),
    # s_server wants P-256, our first hello has X25519 shares: a HelloRetryRequest each time.
    "hrr": (["-groups", "P-256"], {}, NamedGroup.SECP256R1, NamedGroup.SECP256R1),
}


@pytest.mark.parametrize("mode", sorted(_MODES))
def test_tlsglass_client_resumes_with_openssl_s_server(pem: dict[str, Path], tmp_path: Path,
                                                       mode: str) -> None:
    need("openssl")
    extra, options, full_group, resumed_group = _MODES[mode]
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-tls1_3", "-naccept", "2", "-rev", *extra]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = _client(pem, **options)
        assert _exchange(port, config, b"first\n") == (False, full_group)
        assert _exchange(port, config, b"second\n") == (True, resumed_group)
        # The resumed handshake had no CertificateVerify, so s_server saw no sigalgs.
        out = server.wait_output("CONNECTION CLOSED\nCONNECTION ESTABLISHED")
        assert out.count("Signature Algorithms") == 1


def test_openssl_s_client_resumes_with_tlsglass_server(pem: dict[str, Path],
                                                       tmp_path: Path) -> None:
    need("openssl")
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"])
    session = tmp_path / "session.pem"
    with ThreadServer(config, echo) as srv:
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(pem["ca"]), "-verify_return_error"]
        with run([*base, "-sess_out", str(session)], tmp_path, "first") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"one\n")
            first = client.wait_output("one\n")
        assert session.exists()
        with run([*base, "-sess_in", str(session)], tmp_path, "second") as client:
            client.send(b"two\n")
            second = client.wait_output("two\n")
    assert "New, TLSv1.3" in first
    assert "Reused, TLSv1.3" in second
    assert not srv.errors, srv.errors


def test_python_ssl_client_reuses_a_session_with_tlsglass_server(pem: dict[str, Path]) -> None:
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"])
    ctx = ssl.create_default_context(cafile=str(pem["ca"]))
    with ThreadServer(config, echo) as srv:
        session = None
        for expect_reused in (False, True):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw, \
                    ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
                s.sendall(b"ping")
                assert s.recv(100) == b"ping"  # the tickets arrived before the echo
                assert s.session_reused is expect_reused
                session = s.session
                s.unwrap()
    assert not srv.errors, srv.errors


@contextlib.contextmanager
def _ssl_server(pem: dict[str, Path], connections: int) -> Iterator[int]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem["cert"], pem["key"])
    listener = socket.create_server(("127.0.0.1", 0))
    reused: list[bool] = []

    def serve() -> None:
        for _ in range(connections):
            raw, _ = listener.accept()
            raw.settimeout(10)
            with ctx.wrap_socket(raw, server_side=True) as s:
                s.sendall(s.recv(100))
                reused.append(bool(s.session_reused))
                with contextlib.suppress(OSError, ssl.SSLError):
                    s.unwrap()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(10)
        listener.close()
    assert reused == [False, True][:connections]


def test_tlsglass_client_reuses_a_session_with_python_ssl_server(pem: dict[str, Path]) -> None:
    config = _client(pem)
    with _ssl_server(pem, 2) as port:
        for expect_reused in (False, True):
            with connect("127.0.0.1", port, config) as tls:
                tls.sendall(b"ping")
                assert tls.recv() == b"ping"
                assert tls.conn.resumed is expect_reused
