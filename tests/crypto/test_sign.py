"""Signatures and key loading (crypto/sign.py)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x25519
from cryptography.x509.oid import NameOID

from tlsglass.crypto.kdf import hash_digest
from tlsglass.crypto.sign import (
    PrivateKey,
    load_private_key_file,
    load_private_key_pem,
    public_key_of,
    public_keys_equal,
    schemes_for_key,
    sign,
    tls12_schemes_for_key,
    verify,
)
from tlsglass.enums import SignatureScheme
from tlsglass.errors import ConfigError, InternalError

S = SignatureScheme
Enc = serialization.Encoding
Fmt = serialization.PrivateFormat


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {
        "rsa2048": rsa.generate_private_key(65537, 2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
    }


def _rfc8448_rsa_key(doc: dict[str, Any]) -> rsa.RSAPrivateKey:
    k = {name: int(value, 16) for name, value in doc["server_rsa_private_key"].items()}
    public = rsa.RSAPublicNumbers(k["public_exponent"], k["modulus"])
    numbers = rsa.RSAPrivateNumbers(
        k["prime1"], k["prime2"], k["private_exponent"],
        k["exponent1"], k["exponent2"], k["coefficient"], public,
    )  # fmt: skip
    return numbers.private_key()


# Which key may produce which scheme (RFC 8446 §4.2.3).
COMPATIBLE = {
    "rsa2048": [
        S.RSA_PSS_RSAE_SHA256, S.RSA_PSS_RSAE_SHA384, S.RSA_PSS_RSAE_SHA512,
        S.RSA_PSS_PSS_SHA256, S.RSA_PSS_PSS_SHA384, S.RSA_PSS_PSS_SHA512,
        S.RSA_PKCS1_SHA256, S.RSA_PKCS1_SHA384, S.RSA_PKCS1_SHA512, S.RSA_PKCS1_SHA1,
    ],
    "p256": [S.ECDSA_SECP256R1_SHA256, S.ECDSA_SHA1],
    "p384": [S.ECDSA_SECP384R1_SHA384, S.ECDSA_SHA1],
    "p521": [S.ECDSA_SECP521R1_SHA512, S.ECDSA_SHA1],
    "ed25519": [S.ED25519],
    "ed448": [S.ED448],
}  # fmt: skip
PAIRS = [(name, scheme) for name, schemes in COMPATIBLE.items() for scheme in schemes]
MISMATCHED = [
    (name, scheme) for name in COMPATIBLE for scheme in S if scheme not in COMPATIBLE[name]
]


@pytest.mark.parametrize(("name", "scheme"), PAIRS, ids=lambda x: getattr(x, "name", x))
def test_sign_and_verify(keys: dict[str, PrivateKey], name: str, scheme: S) -> None:
    key = keys[name]
    data = b"TLS 1.3, server CertificateVerify\x00" + bytes(32)
    signature = sign(scheme, key, data)
    public = public_key_of(key)
    assert verify(scheme, public, data, signature)
    assert verify(int(scheme), public, memoryview(data).tobytes(), signature)
    assert not verify(scheme, public, data + b"!", signature)
    assert not verify(scheme, public, data[1:], signature)
    tampered = bytearray(signature)
    tampered[len(tampered) // 2] ^= 0x10
    assert not verify(scheme, public, data, bytes(tampered))
    assert not verify(scheme, public, data, b"")
    other = {"rsa2048": "p256"}.get(name, "rsa2048")
    assert not verify(scheme, public_key_of(keys[other]), data, signature)


@pytest.mark.parametrize(("name", "scheme"), MISMATCHED, ids=lambda x: getattr(x, "name", x))
def test_schemes_that_do_not_fit_the_key(keys: dict[str, PrivateKey], name: str, scheme: S) -> None:
    key = keys[name]
    with pytest.raises(InternalError, match=scheme.name):
        sign(scheme, key, b"data")
    # A signature made correctly by some fitting key never verifies under the wrong scheme.
    own_scheme = COMPATIBLE[name][0]
    signature = sign(own_scheme, key, b"data")
    assert not verify(scheme, public_key_of(key), b"data", signature)


def test_ecdsa_curve_binding_and_tls12(keys: dict[str, PrivateKey]) -> None:
    p384 = keys["p384"]
    with pytest.raises(InternalError, match="ECDSA_SECP256R1_SHA256"):
        sign(S.ECDSA_SECP256R1_SHA256, p384, b"data")
    # TLS 1.2 (RFC 5246 §7.4.1.4.1): 0x0403 is just ECDSA with SHA-256, on any curve.
    signature = sign(S.ECDSA_SECP256R1_SHA256, p384, b"data", curve_bound=False)
    public = public_key_of(p384)
    assert not verify(S.ECDSA_SECP256R1_SHA256, public, b"data", signature)
    assert verify(S.ECDSA_SECP256R1_SHA256, public, b"data", signature, curve_bound=False)
    assert not verify(S.ECDSA_SECP384R1_SHA384, public, b"data", signature, curve_bound=False)


def test_ecdsa_signatures_are_der(keys: dict[str, PrivateKey]) -> None:
    signature = sign(S.ECDSA_SECP256R1_SHA256, keys["p256"], b"data")
    assert signature[0] == 0x30 and signature[1] == len(signature) - 2


def test_rsa_pss_uses_digest_length_salt(keys: dict[str, PrivateKey]) -> None:
    key = keys["rsa2048"]
    assert isinstance(key, rsa.RSAPrivateKey)
    data = b"data"
    for salt, ok in ((32, True), (0, False), (20, False), (padding.PSS.MAX_LENGTH, False)):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
        signature = key.sign(data, pss, hashes.SHA256())
        assert verify(S.RSA_PSS_RSAE_SHA256, key.public_key(), data, signature) is ok
    mgf_sha1 = padding.PSS(mgf=padding.MGF1(hashes.SHA1()), salt_length=32)
    signature = key.sign(data, mgf_sha1, hashes.SHA256())
    assert not verify(S.RSA_PSS_RSAE_SHA256, key.public_key(), data, signature)


def test_rfc8448_certificate_verify(rfc8448: dict[str, bytes], rfc8448_doc: dict[str, Any]) -> None:
    v = rfc8448
    key = _rfc8448_rsa_key(rfc8448_doc)
    transcript = v["client_hello"] + v["server_hello"] + v["encrypted_extensions"]
    transcript += v["certificate"]
    content = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00"
    content += hash_digest("sha256", transcript)  # RFC 8446 §4.4.3
    message = v["certificate_verify"]
    assert int.from_bytes(message[4:6], "big") == S.RSA_PSS_RSAE_SHA256
    signature = message[8:]
    assert len(signature) == int.from_bytes(message[6:8], "big") == 128
    public = key.public_key()
    assert verify(S.RSA_PSS_RSAE_SHA256, public, content, signature)
    assert not verify(S.RSA_PKCS1_SHA256, public, content, signature)
    # RSA-PSS is randomised: a fresh signature differs but verifies.
    ours = sign(S.RSA_PSS_RSAE_SHA256, key, content)
    assert ours != signature and verify(S.RSA_PSS_RSAE_SHA256, public, content, ours)
    # A 1024-bit modulus is too small for PSS with SHA-512 and a 64-byte salt (RFC 8017 §9.1.1).
    assert schemes_for_key(key) == (S.RSA_PSS_RSAE_SHA256, S.RSA_PSS_RSAE_SHA384)
    with pytest.raises(InternalError, match="RSA_PSS_RSAE_SHA512"):
        sign(S.RSA_PSS_RSAE_SHA512, key, content)


def test_unknown_schemes(keys: dict[str, PrivateKey]) -> None:
    public = public_key_of(keys["ed25519"])
    for value in (0x0000, 0x0A0A, 0x0807 + 0x100, 0xFFFF):
        assert not verify(value, public, b"data", bytes(64))
        with pytest.raises(InternalError):
            sign(value, keys["ed25519"], b"data")


def test_schemes_for_key(keys: dict[str, PrivateKey]) -> None:
    rsa_key = keys["rsa2048"]
    rsae = (S.RSA_PSS_RSAE_SHA256, S.RSA_PSS_RSAE_SHA384, S.RSA_PSS_RSAE_SHA512)
    pss = (S.RSA_PSS_PSS_SHA256, S.RSA_PSS_PSS_SHA384, S.RSA_PSS_PSS_SHA512)
    pkcs1 = (S.RSA_PKCS1_SHA256, S.RSA_PKCS1_SHA384, S.RSA_PKCS1_SHA512)
    assert schemes_for_key(rsa_key) == rsae
    assert schemes_for_key(public_key_of(rsa_key)) == rsae
    assert schemes_for_key(rsa_key, rsassa_pss=True) == pss
    assert tls12_schemes_for_key(rsa_key) == rsae + pkcs1
    assert tls12_schemes_for_key(rsa_key, rsassa_pss=True) == pss
    assert schemes_for_key(keys["p256"]) == (S.ECDSA_SECP256R1_SHA256,)
    assert schemes_for_key(keys["p384"]) == (S.ECDSA_SECP384R1_SHA384,)
    assert schemes_for_key(public_key_of(keys["p521"])) == (S.ECDSA_SECP521R1_SHA512,)
    assert tls12_schemes_for_key(keys["p384"]) == (
        S.ECDSA_SECP384R1_SHA384,
        S.ECDSA_SECP256R1_SHA256,
        S.ECDSA_SECP521R1_SHA512,
    )
    assert (
        schemes_for_key(keys["ed25519"]) == tls12_schemes_for_key(keys["ed25519"]) == (S.ED25519,)
    )
    assert schemes_for_key(keys["ed448"]) == (S.ED448,)
    k1 = ec.generate_private_key(ec.SECP256K1())
    assert schemes_for_key(k1) == tls12_schemes_for_key(k1) == ()


@pytest.mark.parametrize("name", list(COMPATIBLE))
def test_every_listed_scheme_works(keys: dict[str, PrivateKey], name: str) -> None:
    key = keys[name]
    for scheme in tls12_schemes_for_key(key):
        signature = sign(scheme, key, b"data", curve_bound=False)
        assert verify(scheme, public_key_of(key), b"data", signature, curve_bound=False)
    for scheme in schemes_for_key(key):
        assert verify(scheme, public_key_of(key), b"data", sign(scheme, key, b"data"))


def test_public_keys_equal(keys: dict[str, PrivateKey]) -> None:
    for name, key in keys.items():
        assert public_keys_equal(public_key_of(key), key.public_key())
        for other_name, other in keys.items():
            if other_name != name:
                assert not public_keys_equal(public_key_of(key), public_key_of(other))
    fresh = ec.generate_private_key(ec.SECP256R1())
    assert not public_keys_equal(public_key_of(keys["p256"]), fresh.public_key())


# --- loading ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rsa2048", "p256", "p384", "p521", "ed25519", "ed448"])
def test_load_formats(keys: dict[str, PrivateKey], name: str) -> None:
    key = keys[name]
    expected = public_key_of(key)
    none = serialization.NoEncryption()
    pkcs8_pem = key.private_bytes(Enc.PEM, Fmt.PKCS8, none)
    loaded = load_private_key_pem(pkcs8_pem)
    assert public_keys_equal(public_key_of(loaded), expected)
    assert public_keys_equal(
        public_key_of(load_private_key_pem(key.private_bytes(Enc.DER, Fmt.PKCS8, none))), expected
    )
    encrypted = key.private_bytes(Enc.PEM, Fmt.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    assert public_keys_equal(public_key_of(load_private_key_pem(encrypted, b"pw")), expected)
    if name.startswith(("rsa", "p")):
        traditional = key.private_bytes(Enc.PEM, Fmt.TraditionalOpenSSL, none)
        assert public_keys_equal(public_key_of(load_private_key_pem(traditional)), expected)


@pytest.fixture(scope="module")
def p256_pem(keys: dict[str, PrivateKey]) -> dict[str, bytes]:
    key = keys["p256"]
    enc = serialization.BestAvailableEncryption(b"correct horse")
    none = serialization.NoEncryption()
    return {
        "plain": key.private_bytes(Enc.PEM, Fmt.PKCS8, none),
        "pkcs8_enc": key.private_bytes(Enc.PEM, Fmt.PKCS8, enc),
        "trad_enc": key.private_bytes(Enc.PEM, Fmt.TraditionalOpenSSL, enc),
        "der_enc": key.private_bytes(Enc.DER, Fmt.PKCS8, enc),
    }


@pytest.mark.parametrize("form", ["pkcs8_enc", "trad_enc", "der_enc"])
def test_password_problems(p256_pem: dict[str, bytes], form: str) -> None:
    data = p256_pem[form]
    assert isinstance(load_private_key_pem(data, b"correct horse"), ec.EllipticCurvePrivateKey)
    with pytest.raises(ConfigError, match="password is needed"):
        load_private_key_pem(data)
    with pytest.raises(ConfigError, match="wrong password"):
        load_private_key_pem(data, b"battery staple")


def test_password_for_a_plain_key(p256_pem: dict[str, bytes]) -> None:
    with pytest.raises(ConfigError, match="not encrypted"):
        load_private_key_pem(p256_pem["plain"], b"pw")


def _self_signed_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Enc.PEM)


def test_not_a_private_key(keys: dict[str, PrivateKey]) -> None:
    p256 = keys["p256"]
    assert isinstance(p256, ec.EllipticCurvePrivateKey)
    cases = {
        "certificate, not a private key": _self_signed_pem(p256),
        "public key, not a private key": p256.public_key().public_bytes(
            Enc.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "no PRIVATE KEY block": b"-----BEGIN SOMETHING-----\nAAAA\n-----END SOMETHING-----\n",
        "not a valid PEM or DER": b"hello, world",
    }
    for message, data in cases.items():
        with pytest.raises(ConfigError, match=message):
            load_private_key_pem(data)
    with pytest.raises(ConfigError, match="not a valid PEM or DER"):
        load_private_key_pem(b"")
    corrupt = bytearray(p256.private_bytes(Enc.DER, Fmt.PKCS8, serialization.NoEncryption()))
    corrupt[10] ^= 0xFF
    with pytest.raises(ConfigError):
        load_private_key_pem(bytes(corrupt))


def test_unsupported_key_types() -> None:
    none = serialization.NoEncryption()
    x = x25519.X25519PrivateKey.generate().private_bytes(Enc.PEM, Fmt.PKCS8, none)
    with pytest.raises(ConfigError, match=r"unsupported private key type.*X25519"):
        load_private_key_pem(x)
    d = dsa.generate_private_key(1024).private_bytes(Enc.PEM, Fmt.PKCS8, none)
    with pytest.raises(ConfigError, match=r"unsupported private key type.*DSA"):
        load_private_key_pem(d)
    k1 = ec.generate_private_key(ec.SECP256K1()).private_bytes(Enc.PEM, Fmt.PKCS8, none)
    with pytest.raises(ConfigError, match="secp256k1"):
        load_private_key_pem(k1)


def test_rsassa_pss_keys_load_as_rsa(keys: dict[str, PrivateKey]) -> None:
    # A PKCS#8 key whose algorithm is id-RSASSA-PSS (RFC 4055) with no parameters.
    # pyca 50 loads it as a plain RSA key, so the OID is not visible on the key
    # object; callers pass rsassa_pss=True from the certificate instead.
    der = keys["rsa2048"].private_bytes(Enc.DER, Fmt.PKCS8, serialization.NoEncryption())
    rsa_encryption = bytes.fromhex("300d06092a864886f70d0101010500")
    rsassa_pss = bytes.fromhex("300b06092a864886f70d01010a")
    assert der[:2] == b"\x30\x82" and rsa_encryption in der[:30]
    body = der[4:].replace(rsa_encryption, rsassa_pss, 1)
    pss_der = b"\x30\x82" + len(body).to_bytes(2, "big") + body
    loaded = load_private_key_pem(pss_der)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    assert schemes_for_key(loaded, rsassa_pss=True)[0] is S.RSA_PSS_PSS_SHA256
    signature = sign(S.RSA_PSS_PSS_SHA256, loaded, b"data")
    assert verify(S.RSA_PSS_PSS_SHA256, public_key_of(keys["rsa2048"]), b"data", signature)


def test_load_from_files(tmp_path: Path, p256_pem: dict[str, bytes]) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(p256_pem["pkcs8_enc"])
    assert isinstance(load_private_key_file(path, b"correct horse"), ec.EllipticCurvePrivateKey)
    assert isinstance(
        load_private_key_file(str(path), b"correct horse"), ec.EllipticCurvePrivateKey
    )
    with pytest.raises(ConfigError, match=r"key\.pem.*wrong password"):
        load_private_key_file(path, b"nope")
    with pytest.raises(ConfigError, match=r"missing\.pem.*does not exist"):
        load_private_key_file(tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match="is a directory"):
        load_private_key_file(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"\x00\x01 not a key")
    with pytest.raises(ConfigError, match=r"garbage\.pem.*not a valid"):
        load_private_key_file(garbage)


def test_unreadable_file(tmp_path: Path, p256_pem: dict[str, bytes]) -> None:
    not_a_dir = tmp_path / "file.pem"
    not_a_dir.write_bytes(p256_pem["plain"])
    with pytest.raises(ConfigError, match=r"cannot read private key file.*Not a directory"):
        load_private_key_file(not_a_dir / "key.pem")


def test_errors_never_show_key_material(p256_pem: dict[str, bytes]) -> None:
    for data, password in ((p256_pem["pkcs8_enc"], b"bad"), (p256_pem["plain"], b"pw")):
        with pytest.raises(ConfigError) as info:
            load_private_key_pem(data, password)
        assert "-----BEGIN" not in str(info.value)
        assert "correct horse" not in str(info.value)
