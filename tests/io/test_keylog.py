"""The key log file holds what Wireshark needs, in the NSS format, and OpenSSL agrees.

Python's ssl writes its own key log for the same connection (ctx.keylog_filename);
both files must name the same secrets for the same client random.
"""

from __future__ import annotations

import contextlib
import ssl
from pathlib import Path

import tlsglass
from helpers import Pair, Pki, client_config, server_config
from tlsglass.io import KeyLogFile, key_log_from_environment


def _lines(path: Path) -> set[tuple[str, str, str]]:
    out = set()
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            label, random, secret = line.split(" ")
            out.add((label, random, secret))
    return out


def test_key_log_file_matches_openssls(tmp_path: Path) -> None:
    pki = Pki()
    issued = pki.issue()
    cert, key = pki.write(tmp_path, issued)
    ours = tmp_path / "tlsglass.keys"
    theirs = tmp_path / "openssl.keys"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.keylog_filename = str(theirs)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = ctx.wrap_bio(incoming, outgoing, server_side=True)
    client = tlsglass.Connection(client_config(pki, key_log=KeyLogFile(ours)))
    client.start_handshake()
    for _ in range(10):
        incoming.write(client.data_to_send())
        with contextlib.suppress(ssl.SSLWantReadError):
            server.do_handshake()
        client.receive_data(outgoing.read())
        if client.handshake_complete:
            break
    assert client.handshake_complete
    incoming.write(client.data_to_send())  # our Finished: now OpenSSL logs the rest
    server.do_handshake()
    assert ours.stat().st_mode & 0o777 == 0o600
    mine = _lines(ours)
    assert {label for label, _, _ in mine} == {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}
    assert mine <= _lines(theirs)


def test_key_log_from_environment(tmp_path: Path) -> None:
    assert key_log_from_environment({}) is None
    log = key_log_from_environment({"SSLKEYLOGFILE": str(tmp_path / "k")})
    assert isinstance(log, KeyLogFile)
    pki = Pki()
    Pair(client_config(pki, key_log=log), server_config(pki.issue())).handshake()
    assert len(_lines(tmp_path / "k")) == 5
