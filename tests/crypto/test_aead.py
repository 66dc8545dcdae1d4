"""Seal and open (crypto/aead.py) against published answers and RFC 8448 records."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tlsglass.crypto.aead import Aead
from tlsglass.crypto.suites import AeadAlgorithm
from tlsglass.errors import InternalError

h = bytes.fromhex

KEY_LEN = {
    AeadAlgorithm.AES_128_GCM: 16,
    AeadAlgorithm.AES_256_GCM: 32,
    AeadAlgorithm.CHACHA20_POLY1305: 32,
}


def _record_nonce(iv: bytes, seq: int) -> bytes:
    """RFC 8446 §5.3: the sequence number, left-padded, XOR the IV."""
    return bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big"), strict=True))


@pytest.mark.parametrize(
    ("key", "iv", "seq", "plaintext", "content_type", "record"),
    [
        ("server_handshake_key", "server_handshake_iv", 0,
         "server_handshake_flight_plaintext", 0x16, "server_handshake_flight_record"),
        ("client_handshake_key", "client_handshake_iv", 0,
         "client_finished", 0x16, "client_finished_record"),
        ("client_application_key", "client_application_iv", 0,
         "client_app_data_plaintext", 0x17, "client_app_data_record"),
        ("client_application_key", "client_application_iv", 1,
         "client_alert_plaintext", 0x15, "client_alert_record"),
        ("server_application_key", "server_application_iv", 1,
         "server_app_data_plaintext", 0x17, "server_app_data_record"),
    ],
)  # fmt: skip
def test_rfc8448_records(
    rfc8448: dict[str, bytes],
    key: str,
    iv: str,
    seq: int,
    plaintext: str,
    content_type: int,
    record: str,
) -> None:
    v = rfc8448
    aead = Aead(AeadAlgorithm.AES_128_GCM, v[key])
    nonce = _record_nonce(v[iv], seq)
    header, body = v[record][:5], v[record][5:]
    inner = v[plaintext] + bytes((content_type,))  # TLSInnerPlaintext, no padding
    assert aead.seal(nonce, inner, header) == body
    assert aead.open(nonce, body, header) == inner


def test_aes_256_gcm_known_answer() -> None:
    # McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16.
    aead = Aead(AeadAlgorithm.AES_256_GCM, h("feffe9928665731c6d6a8f9467308308" * 2))
    nonce = h("cafebabefacedbaddecaf888")
    plaintext = h(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
    )
    aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    expected = h(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        "76fc6ece0f4e1768cddf8853bb2d551b"
    )
    assert aead.seal(nonce, plaintext, aad) == expected
    assert aead.open(nonce, expected, aad) == plaintext


def test_chacha20_poly1305_known_answer() -> None:
    # RFC 8439 §2.8.2.
    aead = Aead(AeadAlgorithm.CHACHA20_POLY1305, bytes(range(0x80, 0xA0)))
    nonce = h("070000004041424344454647")
    aad = h("50515253c0c1c2c3c4c5c6c7")
    plaintext = (
        b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
        b"for the future, sunscreen would be it."
    )
    expected = h(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116"
        "1ae10b594f09e26a7e902ecbd0600691"
    )
    assert aead.seal(nonce, plaintext, aad) == expected
    assert aead.open(nonce, expected, aad) == plaintext


ALGORITHMS = list(AeadAlgorithm)


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_any_change_fails_to_open(algorithm: AeadAlgorithm) -> None:
    aead = Aead(algorithm, bytes(KEY_LEN[algorithm]))
    nonce, aad = bytes(12), b"header"
    sealed = aead.seal(nonce, b"attack at dawn", aad)
    assert len(sealed) == len(b"attack at dawn") + Aead.tag_len
    for i in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        assert aead.open(nonce, bytes(tampered), aad) is None
    assert aead.open(nonce, sealed, b"heades") is None
    assert aead.open(b"\x01" + bytes(11), sealed, aad) is None
    assert aead.open(nonce, sealed[:-1], aad) is None
    assert aead.open(nonce, b"", aad) is None
    assert aead.open(nonce, sealed[:15], aad) is None
    other = Aead(algorithm, b"\x01" * KEY_LEN[algorithm])
    assert other.open(nonce, sealed, aad) is None


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_buffers_are_accepted(algorithm: AeadAlgorithm) -> None:
    aead = Aead(algorithm, memoryview(bytes(KEY_LEN[algorithm])))
    data = bytearray(b"\x00" * 7 + b"payload" + b"\x00" * 3)
    sealed = aead.seal(memoryview(bytes(12)), memoryview(data)[7:14], memoryview(b"aad"))
    assert sealed == aead.seal(bytes(12), b"payload", b"aad")
    assert aead.open(memoryview(bytes(12)), memoryview(bytearray(sealed)), bytearray(b"aad")) == (
        b"payload"
    )


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_repr_hides_the_key(algorithm: AeadAlgorithm) -> None:
    key = bytes(range(0xA0, 0xA0 + KEY_LEN[algorithm]))
    text = repr(Aead(algorithm, key)) + str(Aead(algorithm, key))
    assert algorithm.name in text
    assert key.hex() not in text
    assert repr(key) not in text
    assert not hasattr(Aead(algorithm, key), "__dict__")


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_wrong_key_length_is_an_internal_error(algorithm: AeadAlgorithm) -> None:
    for length in (0, 15, 24, 31, 33, 16 if KEY_LEN[algorithm] == 32 else 32):
        with pytest.raises(InternalError, match=algorithm.name) as info:
            Aead(algorithm, b"\xaa" * length)
        assert "aa" * 4 not in str(info.value)


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_bad_nonce_is_an_internal_error(algorithm: AeadAlgorithm) -> None:
    aead = Aead(algorithm, bytes(KEY_LEN[algorithm]))
    # seal is pyca's own (the bulk path's): its callers always pass 12-byte nonces, and
    # a bug that did not would surface as pyca's ValueError (an internal_error alert).
    with pytest.raises(ValueError, match=r"(?i)nonce"):
        aead.seal(b"short", b"x", b"")
    with pytest.raises(InternalError):
        aead.open(b"short", bytes(32), b"")


@given(
    algorithm=st.sampled_from(ALGORITHMS),
    key_seed=st.binary(min_size=32, max_size=32),
    nonce=st.binary(min_size=12, max_size=12),
    plaintext=st.binary(max_size=2048),
    aad=st.binary(max_size=64),
)
def test_open_inverts_seal(
    algorithm: AeadAlgorithm, key_seed: bytes, nonce: bytes, plaintext: bytes, aad: bytes
) -> None:
    aead = Aead(algorithm, key_seed[: KEY_LEN[algorithm]])
    sealed = aead.seal(nonce, plaintext, aad)
    assert len(sealed) == len(plaintext) + aead.tag_len
    assert aead.open(nonce, sealed, aad) == plaintext
