"""0-RTT against OpenSSL: tlsglass with `openssl s_server -early_data`, and
`openssl s_client -early_data -sess_in` with a tlsglass server; and our own
blocking adapter's connect(early_data=...) both when accepted and when refused."""

from __future__ import annotations

from pathlib import Path

import pytest

import tlsglass
from helpers import Pki
from peers import ThreadServer, echo, free_port, need, run, wait_for_port
from tlsglass import InMemoryTicketStore
from tlsglass.io import TLSSocket, connect

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("early")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue())
    return {"ca": directory / "ca.pem", "cert": cert, "key": key}


def _client(pem: dict[str, Path]) -> tlsglass.ClientConfig:
    return tlsglass.ClientConfig.for_server("localhost", ca_file=pem["ca"],
                                            ticket_store=InMemoryTicketStore(),
                                            enable_early_data=True)


def test_tlsglass_client_0rtt_to_openssl_s_server(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-tls1_3", "-naccept", "2", "-early_data"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = _client(pem)
        with connect("127.0.0.1", port, config) as tls:
            server.wait_output("CIPHER is")
            server.send(b"tickets came first\n")
            assert tls.recv() == b"tickets came first\n"
        with connect("127.0.0.1", port, config, early_data=b"zero round trips\n") as tls:
            assert tls.conn.resumed and tls.early_data_accepted
            out = server.wait_output("Early data received:")
            server.wait_output("zero round trips")
            tls.sendall(b"and one more\n")
            server.wait_output("and one more")
    assert out.count("zero round trips") == 1


def test_openssl_s_client_0rtt_to_tlsglass_server(pem: dict[str, Path], tmp_path: Path) -> None:
    need("openssl")
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"], max_early_data_size=16384)
    early = tmp_path / "early.txt"
    early.write_bytes(b"early from openssl\n")
    session = tmp_path / "session.pem"
    seen: list[int] = []

    def handler(tls: TLSSocket) -> None:
        echo(tls)
        seen.append(tls.early_data_received)

    with ThreadServer(config, handler) as srv:
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(pem["ca"]), "-verify_return_error"]
        with run([*base, "-sess_out", str(session)], tmp_path, "first") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"one\n")
            client.wait_output("one\n")
        with run([*base, "-sess_in", str(session), "-early_data", str(early)], tmp_path,
                 "second") as client:
            out = client.wait_output("early from openssl\n")  # echoed back by our server
            client.wait_output("Early data was accepted")
    assert "Reused, TLSv1.3" in out
    assert seen == [0, len(b"early from openssl\n")]
    assert not srv.errors, srv.errors


def test_adapter_resends_refused_early_data(pem: dict[str, Path]) -> None:
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"], max_early_data_size=1024)
    refusing = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"],
                                                ticket_keys=config.ticket_keys)
    client = _client(pem)
    for server, accepted in ((config, False), (config, True), (refusing, False)):
        with ThreadServer(server, echo) as srv, \
                connect("127.0.0.1", srv.port, client, early_data=b"ping") as tls:
            assert tls.recv() == b"ping"  # once, whether 0-RTT took it or not
            assert tls.early_data_accepted is accepted


def test_gnutls_cli_resumes_with_0rtt_to_tlsglass_server(pem: dict[str, Path],
                                                         tmp_path: Path) -> None:
    need("gnutls-cli")
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"], max_early_data_size=16384)
    early = tmp_path / "early.txt"
    early.write_bytes(b"early from gnutls\n")
    seen: list[tuple[bool, int]] = []

    def handler(tls: TLSSocket) -> None:
        echo(tls)
        seen.append((tls.conn.resumed, tls.early_data_received))

    with ThreadServer(config, handler) as srv:
        args = ["gnutls-cli", "-p", str(srv.port), "localhost", "--x509cafile", str(pem["ca"]),
                "--resume", "--earlydata", str(early)]
        with run(args, tmp_path, "gnutls-cli") as client:
            out = client.wait_output("early from gnutls\n")  # echoed back
    assert "*** This is a resumed session" in out
    assert seen == [(False, 0), (True, len(b"early from gnutls\n"))]
    assert not srv.errors, srv.errors


def test_tlsglass_client_resumes_with_0rtt_to_gnutls_serv(pem: dict[str, Path],
                                                          tmp_path: Path) -> None:
    need("gnutls-serv")
    port = free_port()
    args = ["gnutls-serv", "-p", str(port), "--x509certfile", str(pem["cert"]),
            "--x509keyfile", str(pem["key"]), "--echo", "--earlydata", "--maxearlydata", "1024"]
    with run(args, tmp_path, "gnutls-serv") as server:
        wait_for_port(port, server.proc)
        config = _client(pem)
        with connect("127.0.0.1", port, config) as tls:
            tls.sendall(b"first\n")
            assert tls.recv() == b"first\n"
        with connect("127.0.0.1", port, config, early_data=b"second, early\n") as tls:
            assert tls.conn.resumed and tls.early_data_accepted
            tls.sendall(b"then 1-RTT\n")  # (gnutls-serv --echo does not echo early data)
            assert tls.recv() == b"then 1-RTT\n"
