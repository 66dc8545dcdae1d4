"""Hashing, HKDF and the TLS 1.2 PRF (crypto/kdf.py) against published answers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from hypothesis import given
from hypothesis import strategies as st

from tlsglass.crypto.kdf import (
    HASH_LENGTHS,
    derive_secret,
    hash_digest,
    hkdf_expand,
    hkdf_expand_label,
    hkdf_extract,
    hmac_digest,
    prf_tls12,
)
from tlsglass.errors import InternalError

h = bytes.fromhex

# --- RFC 5869 Appendix A, test cases 1-3 (SHA-256) -------------------------------------

RFC5869 = [
    pytest.param(
        b"\x0b" * 22,
        h("000102030405060708090a0b0c"),
        h("f0f1f2f3f4f5f6f7f8f9"),
        42,
        "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        id="A.1",
    ),
    pytest.param(
        bytes(range(0x00, 0x50)),
        bytes(range(0x60, 0xB0)),
        bytes(range(0xB0, 0x100)),
        82,
        "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
        "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
        "cc30c58179ec3e87c14c01d5c1f3434f1d87",
        id="A.2",
    ),
    pytest.param(
        b"\x0b" * 22,
        b"",
        b"",
        42,
        "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        id="A.3",
    ),
]


@pytest.mark.parametrize(("ikm", "salt", "info", "length", "prk", "okm"), RFC5869)
def test_rfc5869(ikm: bytes, salt: bytes, info: bytes, length: int, prk: str, okm: str) -> None:
    got_prk = hkdf_extract("sha256", salt, ikm)
    assert got_prk.hex() == prk
    assert hkdf_expand("sha256", got_prk, info, length).hex() == okm


def test_empty_salt_is_hashlen_zeros() -> None:
    ikm = b"input keying material"
    for name, length in HASH_LENGTHS.items():
        assert hkdf_extract(name, b"", ikm) == hkdf_extract(name, bytes(length), ikm)


def test_empty_ikm_is_read_as_hashlen_zeros() -> None:
    # RFC 8446 §7.1: "0" means Hash.length zero bytes.
    for name, length in HASH_LENGTHS.items():
        assert hkdf_extract(name, b"salt", b"") == hkdf_extract(name, b"salt", bytes(length))


# --- RFC 8448 §3 key schedule ----------------------------------------------------------


def test_rfc8448_early_and_handshake_secrets(rfc8448: dict[str, bytes]) -> None:
    v = rfc8448
    early = hkdf_extract("sha256", b"", bytes(32))
    assert early == v["early_secret"]
    derived = derive_secret("sha256", early, b"derived", hash_digest("sha256", b""))
    assert derived == v["derived_secret_for_handshake"]
    handshake = hkdf_extract("sha256", derived, v["ecdhe_shared_secret"])
    assert handshake == v["handshake_secret"]

    th = hash_digest("sha256", v["client_hello"] + v["server_hello"])
    assert th == v["transcript_hash_ch_sh"]
    c_hs = derive_secret("sha256", handshake, b"c hs traffic", th)
    s_hs = derive_secret("sha256", handshake, b"s hs traffic", th)
    assert c_hs == v["client_handshake_traffic_secret"]
    assert s_hs == v["server_handshake_traffic_secret"]

    assert hkdf_expand_label("sha256", s_hs, b"key", b"", 16) == v["server_handshake_key"]
    assert hkdf_expand_label("sha256", s_hs, b"iv", b"", 12) == v["server_handshake_iv"]
    assert hkdf_expand_label("sha256", c_hs, b"key", b"", 16) == v["client_handshake_key"]
    assert hkdf_expand_label("sha256", c_hs, b"iv", b"", 12) == v["client_handshake_iv"]


def test_rfc8448_finished_and_master_secrets(rfc8448: dict[str, bytes]) -> None:
    v = rfc8448
    s_hs = v["server_handshake_traffic_secret"]
    finished_key = hkdf_expand_label("sha256", s_hs, b"finished", b"", 32)
    assert finished_key == v["server_finished_key"]
    through_cv = (
        v["client_hello"]
        + v["server_hello"]
        + v["encrypted_extensions"]
        + v["certificate"]
        + v["certificate_verify"]
    )
    verify_data = hmac_digest("sha256", finished_key, hash_digest("sha256", through_cv))
    assert verify_data == v["server_finished_verify_data"]

    derived = derive_secret("sha256", v["handshake_secret"], b"derived", hash_digest("sha256", b""))
    assert derived == v["derived_secret_for_master"]
    master = hkdf_extract("sha256", derived, b"")
    assert master == v["master_secret"]

    th = v["transcript_hash_ch_sfin"]
    c_ap = derive_secret("sha256", master, b"c ap traffic", th)
    assert c_ap == v["client_application_traffic_secret"]
    assert (
        derive_secret("sha256", master, b"s ap traffic", th)
        == (v["server_application_traffic_secret"])
    )
    assert derive_secret("sha256", master, b"exp master", th) == v["exporter_master_secret"]
    assert hkdf_expand_label("sha256", c_ap, b"key", b"", 16) == v["client_application_key"]
    assert hkdf_expand_label("sha256", c_ap, b"iv", b"", 12) == v["client_application_iv"]


def test_rfc8448_resumption(rfc8448: dict[str, bytes]) -> None:
    v = rfc8448
    rms = derive_secret("sha256", v["master_secret"], b"res master", v["transcript_hash_ch_cfin"])
    assert rms == v["resumption_master_secret"]
    psk = hkdf_expand_label("sha256", rms, b"resumption", v["ticket_nonce"], 32)
    assert psk == v["resumption_psk"]


def test_expand_label_checks_its_structure() -> None:
    secret = bytes(32)
    with pytest.raises(InternalError):
        hkdf_expand_label("sha256", secret, b"x" * 250, b"", 32)  # "tls13 " + label > 255
    with pytest.raises(InternalError):
        hkdf_expand_label("sha256", secret, b"key", bytes(256), 32)  # context<0..255>
    with pytest.raises(InternalError):
        hkdf_expand_label("sha256", secret, b"key", b"", 255 * 32 + 1)
    assert hkdf_expand_label("sha256", secret, b"key", b"", 0) == b""


def test_unknown_hash_is_an_internal_error() -> None:
    calls: list[Callable[[], object]] = [
        lambda: hash_digest("md5", b""),
        lambda: hmac_digest("sha1", b"k", b""),
        lambda: hkdf_extract("sha3_256", b"", b"x"),
        lambda: hkdf_expand_label("blake2b", bytes(32), b"key", b"", 16),
        lambda: prf_tls12("md5", b"s", b"l", b"s", 12),
    ]
    for call in calls:
        with pytest.raises(InternalError):
            call()


def test_hash_and_hmac_match_hashlib() -> None:
    for name in HASH_LENGTHS:
        assert hash_digest(name, b"abc") == hashlib.new(name, b"abc").digest()
        assert len(hmac_digest(name, b"key", b"abc")) == HASH_LENGTHS[name]
    assert hash_digest("sha256", b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


# --- TLS 1.2 PRF (RFC 5246 §5) ---------------------------------------------------------


def test_prf_tls12_sha256_known_answer() -> None:
    # The P_SHA256 vector posted to the TLS WG list (IETF tls msg03416).
    out = prf_tls12(
        "sha256", h("9bbe436ba940f017b17652849a71db35"), b"test label",
        h("a0ba9f936cda311827a6f796ffd5198c"), 100,
    )  # fmt: skip
    assert out.hex() == (
        "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
        "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
        "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
        "87347b66"
    )


def test_prf_tls12_nist_master_secret_and_key_block() -> None:
    # NIST CAVP TLS 1.2 KDF vectors (as carried in OpenSSL's evpkdf_tls12_prf.txt).
    pms = h(
        "f8938ecc9edebc5030c0c6a441e213cd24e6f770a50dda07876f8d55da062bca"
        "db386b411fd4fe4313a604fce6c17fbc"
    )
    client_random = h("36c129d01a3200894b9179faac589d9835d58775f9b5ea3587cb8fd0364cae8c")
    server_random = h("f6c9575ed7ddd73e1f7d16eca115415812a43c2b747daaaae043abfb50053fce")
    master = prf_tls12("sha256", pms, b"master secret", client_random + server_random, 48)
    assert master.hex() == (
        "202c88c00f84a17a20027079604787461176455539e705be730890602c289a50"
        "01e34eeb3a043e5d52a65e66125188bf"
    )
    client_random = h("62e1fd91f23f558a605f28478c58cf72637b89784d959df7e946d3f07bd1b616")
    server_random = h("ae6c806f8ad4d80784549dff28a4b58fd837681a51d928c3e30ee5ff14f39868")
    key_block = prf_tls12("sha256", master, b"key expansion", server_random + client_random, 128)
    assert key_block.hex() == (
        "d06139889fffac1e3a71865f504aa5d0d2a2e89506c6f2279b670c3e1b74f531"
        "016a2530c51a3a0f7e1d6590d0f0566b2f387f8d11fd4f731cdd572d2eae927f"
        "6f2f81410b25e6960be68985add6c38445ad9f8c64bf8068bf9a6679485d966f"
        "1ad6f68b43495b10a683755ea2b858d70ccac7ec8b053c6bd41ca299d4e51928"
    )


def _independent_p_hash(hash_name: str, secret: bytes, seed: bytes, length: int) -> bytes:
    """RFC 5246 §5 written out again with pyca's HMAC, as a cross-check."""
    algorithm = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}[hash_name]

    def mac(data: bytes) -> bytes:
        m = HMAC(secret, algorithm())
        m.update(data)
        return m.finalize()

    out, a = b"", seed
    while len(out) < length:
        a = mac(a)
        out += mac(a + seed)
    return out[:length]


@given(
    hash_name=st.sampled_from(["sha256", "sha384"]),
    secret=st.binary(max_size=64),
    label=st.binary(max_size=32),
    seed=st.binary(max_size=80),
    length=st.integers(min_value=0, max_value=200),
)
def test_prf_tls12_matches_an_independent_p_hash(
    hash_name: str, secret: bytes, label: bytes, seed: bytes, length: int
) -> None:
    out = prf_tls12(hash_name, secret, label, seed, length)
    assert out == _independent_p_hash(hash_name, secret, label + seed, length)
    assert len(out) == length


def test_prf_outputs_are_prefixes() -> None:
    long = prf_tls12("sha384", b"secret", b"label", b"seed", 150)
    assert prf_tls12("sha384", b"secret", b"label", b"seed", 12) == long[:12]
