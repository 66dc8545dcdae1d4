"""The options off by default: FFDHE (RFC 7919 groups, DHE_RSA suites) and RSA key
transport (TLS_RSA_WITH_AES_*_GCM) with the RFC 5246 §7.4.7.1 countermeasure.

In memory, against `openssl s_server`/`s_client -tls1_2`, and the Bleichenbacher
property: every kind of bad EncryptedPreMasterSecret is taken without complaint and
the handshake fails at the same point, the client's Finished record, with the same
alert (bad_record_mac), exactly as a good ciphertext of a different secret would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import tlsglass
from helpers import Issued, Pair, Pki, client_config, server_config
from peers import ThreadServer, echo, free_port, need, run
from tlsglass import CipherSuite, NamedGroup, ProtocolVersion
from tlsglass.config import DEFAULT_TLS12_CIPHER_SUITES
from tlsglass.crypto.rsakx import decrypt_premaster
from tlsglass.enums import AlertDescription
from tlsglass.errors import ConfigError, RemoteProtocolError
from tlsglass.io import connect
from tlsglass.wire import Writer
from tlsglass.wire.handshake12 import EncryptedPreMasterSecret

V12 = ProtocolVersion.TLS1_2
DHE = [CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
       CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
       CipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256]
RSA = [CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384]
FFDHE = (NamedGroup.FFDHE2048, NamedGroup.FFDHE3072)
OPENSSL_NAMES = {
    CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: "DHE-RSA-AES128-GCM-SHA256",
    CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: "DHE-RSA-AES256-GCM-SHA384",
    CipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "DHE-RSA-CHACHA20-POLY1305",
    CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256: "AES128-GCM-SHA256",
    CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
}


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def leaf(pki: Pki) -> Issued:
    return pki.issue(kind="rsa2048")


def _options(suite: CipherSuite) -> dict[str, object]:
    return {"tls12_cipher_suites": (suite,), "groups": (NamedGroup.X25519, *FFDHE),
            "allow_rsa_key_transport": suite in RSA}


def test_off_by_default() -> None:
    assert not set(DHE + RSA) & set(DEFAULT_TLS12_CIPHER_SUITES)
    with pytest.raises(ConfigError, match="allow_rsa_key_transport"):
        tlsglass.ClientConfig(insecure_skip_verification=True, tls12_cipher_suites=tuple(RSA))
    with pytest.raises(ConfigError, match="RFC 7919"):
        tlsglass.ClientConfig(insecure_skip_verification=True, tls12_cipher_suites=tuple(DHE))


@pytest.mark.parametrize("group", FFDHE, ids=lambda g: g.name)
@pytest.mark.parametrize("suite", DHE, ids=lambda s: s.name)
def test_dhe_in_memory(pki: Pki, leaf: Issued, suite: CipherSuite, group: NamedGroup) -> None:
    options = _options(suite) | {"groups": (NamedGroup.X25519, group)}
    pair = Pair(client_config(pki, maximum_version=V12, **options),
                server_config(leaf, **options)).handshake()
    assert pair.client.cipher_suite == suite and pair.client.group == group
    pair.client.send_application_data(b"dhe")
    pair.pump()
    assert pair.data("server") == b"dhe"


def test_client_refuses_a_dh_group_it_did_not_enable(pki: Pki, leaf: Issued) -> None:
    options = _options(DHE[0])
    pair = Pair(client_config(pki, maximum_version=V12, **options | {
                    "groups": (NamedGroup.X25519, NamedGroup.FFDHE3072)}),
                server_config(leaf, **options | {"groups": (NamedGroup.FFDHE2048,)}))
    pair.client.start_handshake()
    # The client lists FFDHE3072 only; a server with only FFDHE2048 falls back to no DHE
    # suite at all (RFC 7919 §4), and there is no other suite in common.
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == AlertDescription.HANDSHAKE_FAILURE


@pytest.mark.parametrize("suite", RSA, ids=lambda s: s.name)
def test_rsa_key_transport_in_memory(pki: Pki, leaf: Issued, suite: CipherSuite) -> None:
    pair = Pair(client_config(pki, maximum_version=V12, **_options(suite)),
                server_config(leaf, **_options(suite))).handshake()
    assert pair.client.cipher_suite == suite and pair.client.group is None
    pair.server.send_application_data(b"rsa")
    pair.pump()
    assert pair.data("client") == b"rsa"


# -- the Bleichenbacher countermeasure -------------------------------------------------------


def _pkcs1_type2(key: rsa.RSAPrivateKey, message: bytes, good_padding: bool = True) -> bytes:
    """Raw RSA of a hand-made PKCS #1 v1.5 block (bad padding on request)."""
    k = key.key_size // 8
    ps = b"\x11" * (k - 3 - len(message))
    block = (b"\x00\x02" if good_padding else b"\x00\x01") + ps + b"\x00" + message
    n = key.public_key().public_numbers().n
    return pow(int.from_bytes(block, "big"), key.public_key().public_numbers().e,
               n).to_bytes(k, "big")


BAD_CIPHERTEXTS: dict[str, Callable[[rsa.RSAPrivateKey], bytes]] = {
    "random bytes": lambda key: bytes(range(256)),
    "all zeros": lambda key: bytes(256),
    "at least the modulus": lambda key: b"\xff" * 256,
    "too short": lambda key: b"\x01" * 100,
    "empty": lambda key: b"",
    "bad padding type": lambda key: _pkcs1_type2(key, b"\x03\x03" + bytes(46), False),
    "47-byte secret": lambda key: _pkcs1_type2(key, b"\x03\x03" + bytes(45)),
    "49-byte secret": lambda key: _pkcs1_type2(key, b"\x03\x03" + bytes(47)),
    "wrong version": lambda key: _pkcs1_type2(key, b"\x03\x01" + bytes(46)),
    "good but another secret": lambda key: key.public_key().encrypt(
        b"\x03\x03" + bytes(46), padding.PKCS1v15()),
}


def _records(data: bytes) -> list[bytes]:
    out = []
    while data:
        end = 5 + int.from_bytes(data[3:5], "big")
        out.append(data[:end])
        data = data[end:]
    return out


def _client_key_exchange_record(encrypted: bytes) -> bytes:
    w = Writer()
    EncryptedPreMasterSecret(encrypted=encrypted).encode(w)
    body = b"\x10" + len(w.getvalue()).to_bytes(3, "big") + w.getvalue()
    return b"\x16\x03\x03" + len(body).to_bytes(2, "big") + body


@pytest.mark.parametrize("name", list(BAD_CIPHERTEXTS))
def test_every_bad_ciphertext_fails_the_same_way(pki: Pki, leaf: Issued, name: str) -> None:
    options = _options(RSA[0])
    pair = Pair(client_config(pki, maximum_version=V12, **options),
                server_config(leaf, **options))
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    key_exchange, ccs, finished = _records(pair.client.data_to_send())
    assert isinstance(leaf.key, rsa.RSAPrivateKey)
    forged = _client_key_exchange_record(BAD_CIPHERTEXTS[name](leaf.key))
    assert pair.server.receive_data(forged) == []  # taken without a word
    assert pair.server.data_to_send() == b""
    assert pair.server.state == "WaitChangeCipherSpec"
    pair.server.receive_data(ccs)
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.receive_data(finished)
    assert info.value.alert == AlertDescription.BAD_RECORD_MAC
    assert key_exchange != forged


def test_decrypt_premaster_picks_the_random_secret_on_any_failure(leaf: Issued) -> None:
    assert isinstance(leaf.key, rsa.RSAPrivateKey)
    key = leaf.key
    random = b"\xaa" * 48
    good = b"\x03\x03" + bytes(range(46))
    assert decrypt_premaster(key, _pkcs1_type2(key, good), 0x0303, random) == good
    for name, make in BAD_CIPHERTEXTS.items():
        if name != "good but another secret":
            assert decrypt_premaster(key, make(key), 0x0303, random) == random, name


# -- against OpenSSL -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pem(pki: Pki, leaf: Issued, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("dhe-rsa")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, leaf)
    dhparam = directory / "ffdhe2048.pem"
    # The RFC 7919 group as a parameter file, for s_server -dhparam.
    subprocess.run([need("openssl"), "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                    "group:ffdhe2048", "-out", str(dhparam)], check=True, capture_output=True,
                   timeout=30)
    return {"ca": directory / "ca.pem", "cert": cert, "key": key, "dhparam": dhparam}


@pytest.mark.parametrize("suite", DHE + RSA, ids=lambda s: s.name)
def test_tlsglass_client_openssl_s_server(pki: Pki, pem: dict[str, Path], tmp_path: Path,
                                          suite: CipherSuite) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-tls1_2", "-cipher", OPENSSL_NAMES[suite], "-naccept",
            "1", "-rev", "-dhparam", str(pem["dhparam"])]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(server_name="localhost", trust=pki.trust,
                                       **_options(suite))  # type: ignore[arg-type]
        with connect("127.0.0.1", port, config) as tls:
            assert tls.conn.version == V12 and tls.conn.cipher_suite == suite
            tls.sendall(b"abc\n")
            assert tls.recv() == b"cba\n"


def test_a_server_with_its_own_dh_group_is_refused(pki: Pki, pem: dict[str, Path],
                                                  tmp_path: Path) -> None:
    """s_server's built-in 2048-bit group is not an RFC 7919 one: insufficient_security."""
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pem["cert"]),
            "-key", str(pem["key"]), "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256",
            "-naccept", "1"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        config = tlsglass.ClientConfig(server_name="localhost", trust=pki.trust,
                                       **_options(DHE[0]))  # type: ignore[arg-type]
        with pytest.raises(RemoteProtocolError) as info, connect("127.0.0.1", port, config):
            pass
        assert info.value.alert == AlertDescription.INSUFFICIENT_SECURITY
        server.wait_output("alert insufficient security")


@pytest.mark.parametrize("suite", DHE + RSA, ids=lambda s: s.name)
def test_openssl_s_client_tlsglass_server(pem: dict[str, Path], tmp_path: Path,
                                          suite: CipherSuite) -> None:
    need("openssl")
    config = tlsglass.ServerConfig.from_files(pem["cert"], pem["key"],
                                              **_options(suite))  # type: ignore[arg-type]
    with ThreadServer(config, echo) as srv:
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                "localhost", "-CAfile", str(pem["ca"]), "-verify_return_error", "-tls1_2",
                "-cipher", OPENSSL_NAMES[suite]]
        with run(args, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"ping\n")
            out = client.wait_output("ping")
    assert f"Cipher is {OPENSSL_NAMES[suite]}" in out
    assert not srv.errors, srv.errors
