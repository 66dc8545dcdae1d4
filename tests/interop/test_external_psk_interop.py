"""External PSKs against OpenSSL: `s_server -psk -nocert` and `s_client -psk`, no certificates.

OpenSSL's `-psk` pairs the key with SHA-256 (and so TLS_AES_128_GCM_SHA256 or
ChaCha20) in TLS 1.3; `-psk_identity` names the identity on both sides.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tlsglass
from peers import ThreadServer, echo, free_port, need, run, wait_for_port
from tlsglass import CipherSuite, ExternalPsk
from tlsglass.enums import PskKeyExchangeMode
from tlsglass.io import connect

pytestmark = pytest.mark.interop

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
PSK = ExternalPsk(b"client-7", bytes.fromhex(KEY_HEX))


@pytest.mark.parametrize("mode", ["psk_dhe_ke", "psk_ke"])
def test_tlsglass_client_openssl_s_server_psk(tmp_path: Path, mode: str) -> None:
    need("openssl")
    port = free_port()
    extra = ["-allow_no_dhe_kex"] if mode == "psk_ke" else []
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-nocert", "-psk", KEY_HEX,
            "-psk_identity", "client-7", "-tls1_3", "-naccept", "1", "-rev", *extra]
    modes = (PskKeyExchangeMode.PSK_KE,) if mode == "psk_ke" else (PskKeyExchangeMode.PSK_DHE_KE,)
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(external_psk=PSK, psk_key_exchange_modes=modes)
        with connect("127.0.0.1", port, config) as tls:
            tls.sendall(b"without certificates\n")
            assert tls.recv() == b"setacifitrec tuohtiw\n"
            assert tls.conn.resumed and tls.conn.peer_certificates == ()
            assert tls.conn.cipher_suite == CipherSuite.TLS_AES_128_GCM_SHA256
            assert (tls.conn.group is None) == (mode == "psk_ke")
        out = server.wait_output("CONNECTION CLOSED")
    assert "No peer certificate" in out


def test_openssl_s_client_psk_tlsglass_server(tmp_path: Path) -> None:
    need("openssl")
    config = tlsglass.ServerConfig(external_psks=(PSK,))
    with ThreadServer(config, echo) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-psk", KEY_HEX,
                "-psk_identity", "client-7", "-tls1_3"]
        with run(args, tmp_path, "s_client") as client:
            client.send(b"hello psk\n")
            out = client.wait_output("hello psk\n")
    assert "TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256" in out  # OpenSSL says "Reused"
    assert "no peer certificate available" in out
    assert not srv.errors, srv.errors


def test_openssl_s_client_with_the_wrong_key_gets_decrypt_error(tmp_path: Path) -> None:
    need("openssl")
    config = tlsglass.ServerConfig(external_psks=(PSK,))
    with ThreadServer(config, echo) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-psk",
                "ff" * 32, "-psk_identity", "client-7", "-tls1_3"]
        with run(args, tmp_path, "s_client") as client:
            client.proc.wait(10)
    assert "decrypt error" in client.output()
    assert any(isinstance(e, tlsglass.RemoteProtocolError) for e in srv.errors), srv.errors


TLSGLASS = [sys.executable, "-m", "tlsglass"]


def test_cli_serve_and_connect_with_a_psk_and_no_certificates(tmp_path: Path) -> None:
    """`tlsglass serve --psk` and `tlsglass connect --psk`: no --cert, no CA, no throwaway."""
    port = free_port()
    psk = ["--psk", KEY_HEX, "--psk-identity", "client-7"]
    with run([*TLSGLASS, "serve", "--port", str(port), *psk], tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        result = subprocess.run([*TLSGLASS, "connect", f"127.0.0.1:{port}", *psk],
                                input=b"hello without certificates\n", capture_output=True,
                                timeout=20, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"hello without certificates\n"
        assert "by the pre-shared key: no certificate was needed" in result.stderr.decode()
        assert "throwaway certificate" not in server.output()
        # And openssl's client, with the same key and identity, against that server.
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-psk", KEY_HEX,
                "-psk_identity", "client-7", "-tls1_3"]
        with run(args, tmp_path, "s_client") as client:
            client.send(b"from openssl\n")
            client.wait_output("from openssl\n")
