"""Certificate parsing and the PEM/DER loaders."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from hypothesis import given, settings
from hypothesis import strategies as st

from tlsglass.errors import BadCertificate, ConfigError, UnsupportedCertificate
from tlsglass.x509 import Certificate, load_certificate_file, load_pem_certificates
from x509_pki import LEAF_DNS, LEAF_IPS, Pki


def test_fields_of_the_main_leaf(pki: Pki) -> None:
    leaf = pki["leaf"]
    assert leaf.subject == "CN=localhost,O=tlsglass tests"
    assert leaf.issuer == "CN=tlsglass Test Intermediate,O=tlsglass tests"
    assert leaf.dns_names == LEAF_DNS
    assert leaf.ip_addresses == LEAF_IPS
    assert leaf.not_before == pki.now - timedelta(days=1)
    assert leaf.not_after == pki.now + timedelta(days=30)
    assert leaf.not_before.tzinfo is UTC
    assert leaf.serial_number == leaf.pyca.serial_number > 0
    assert leaf.signature_algorithm == "ECDSA with SHA-256"
    assert leaf.key_description == "ECDSA P-256"
    assert leaf.sha256_fingerprint == hashlib.sha256(leaf.der).hexdigest()
    assert leaf.sha256_fingerprint == leaf.pyca.fingerprint(hashes.SHA256()).hex()
    assert leaf.public_key == leaf.pyca.public_key()
    assert not leaf.is_self_issued
    assert pki["root"].is_self_issued


@pytest.mark.parametrize(
    ("name", "key", "signature"),
    [
        ("root", "ECDSA P-384", "ECDSA with SHA-384"),
        ("p384_leaf", "ECDSA P-384", "ECDSA with SHA-256"),
        ("rsa_leaf", "RSA 2048", "ECDSA with SHA-256"),
        ("rsa_root", "RSA 2048", "RSA PKCS#1 v1.5 with SHA-256"),
        ("pss_leaf", "RSA 2048", "RSA-PSS with SHA-256"),
        ("ed25519_leaf", "Ed25519", "ECDSA with SHA-256"),
        ("ed448_leaf", "Ed448", "ECDSA with SHA-256"),
        ("ed25519_root", "Ed25519", "Ed25519"),
        ("weak_intermediate", "RSA 1024", "RSA PKCS#1 v1.5 with SHA-256"),
    ],
)
def test_key_and_signature_descriptions(pki: Pki, name: str, key: str, signature: str) -> None:
    assert pki[name].key_description == key
    assert pki[name].signature_algorithm == signature


def test_certificate_without_subject_alt_name_has_no_names(pki: Pki) -> None:
    assert pki["no_san_leaf"].dns_names == ()
    assert pki["no_san_leaf"].ip_addresses == ()


def test_equality_and_hash_are_by_der(pki: Pki) -> None:
    leaf = pki["leaf"]
    again = Certificate.from_der(bytearray(leaf.der))  # any bytes-like is accepted
    assert again == leaf and hash(again) == hash(leaf)
    assert isinstance(again.der, bytes)
    assert leaf != pki["root"]
    assert leaf != leaf.der
    assert len({leaf, again, pki["root"]}) == 2


def test_repr_is_short(pki: Pki) -> None:
    text = repr(pki["leaf"])
    assert text.startswith("Certificate('CN=localhost,O=tlsglass tests', sha256=")
    assert pki["leaf"].sha256_fingerprint[:16] in text
    assert len(text) < 100 and "\n" not in text


def test_certificate_is_frozen(pki: Pki) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        pki["leaf"].subject = "CN=evil"  # type: ignore[misc]


@pytest.mark.parametrize(
    "der",
    [b"", b"garbage", b"\x30\x03\x02\x01\x01", b"\x30\x82\xff\xff" + b"\x00" * 16],
)
def test_garbage_is_bad_certificate(der: bytes) -> None:
    with pytest.raises(BadCertificate, match=r"does not parse as DER X\.509"):
        Certificate.from_der(der)


def test_truncated_or_padded_der_is_bad_certificate(pki: Pki) -> None:
    der = pki["leaf"].der
    for broken in (der[:-1], der + b"\x00", der[: len(der) // 2]):
        with pytest.raises(BadCertificate):
            Certificate.from_der(broken)


@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_der_parses_or_raises_certificate_errors(pki: Pki, data: st.DataObject) -> None:
    der = bytearray(pki["leaf"].der)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(der) - 1))
        der[index] = data.draw(st.integers(0, 255))
    try:
        cert = Certificate.from_der(bytes(der))
    except (BadCertificate, UnsupportedCertificate):
        return
    assert cert.der == bytes(der)


# -- Loaders -------------------------------------------------------------------------------------


def _pem(pki: Pki, *names: str) -> bytes:
    return b"".join(pki.path(name).read_bytes() for name in names)


def test_load_pem_certificates_keeps_order_and_ignores_text_between(pki: Pki) -> None:
    data = b"subject=leaf\n" + _pem(pki, "leaf") + b"\n# the CA\n" + _pem(pki, "intermediate")
    assert load_pem_certificates(data) == (pki["leaf"], pki["intermediate"])


def test_load_pem_accepts_crlf_line_endings(pki: Pki) -> None:
    data = _pem(pki, "root").replace(b"\n", b"\r\n")
    assert load_pem_certificates(data) == (pki["root"],)


def test_load_pem_without_certificates_is_config_error() -> None:
    with pytest.raises(ConfigError, match="no certificates found in PEM data"):
        load_pem_certificates(b"hello")


def test_load_pem_names_other_block_types_but_not_their_contents() -> None:
    data = b"-----BEGIN PUBLIC KEY-----\nc2VjcmV0\n-----END PUBLIC KEY-----\n"
    with pytest.raises(ConfigError, match=r"holds PEM blocks: PUBLIC KEY\)") as info:
        load_pem_certificates(data)
    assert "c2VjcmV0" not in str(info.value)


def test_load_pem_with_bad_base64_names_the_block(pki: Pki) -> None:
    data = _pem(pki, "leaf") + b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
    with pytest.raises(ConfigError, match="PEM block 2 in PEM data is not valid: bad base64"):
        load_pem_certificates(data)


def test_load_pem_with_garbage_der_is_config_error() -> None:
    data = b"-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n"
    with pytest.raises(ConfigError, match=r"PEM block 1 .* does not parse as DER") as info:
        load_pem_certificates(data)
    assert isinstance(info.value, ValueError)  # ConfigError is also a ValueError
    assert isinstance(info.value.__cause__, BadCertificate)


def test_load_certificate_file_reads_pem_bundles(pki: Pki, tmp_path: Path) -> None:
    bundle = tmp_path / "chain.pem"
    bundle.write_bytes(_pem(pki, "leaf", "intermediate", "root"))
    assert load_certificate_file(bundle) == (pki["leaf"], pki["intermediate"], pki["root"])
    assert load_certificate_file(str(bundle))[0] == pki["leaf"]


def test_load_certificate_file_reads_a_der_certificate(pki: Pki, tmp_path: Path) -> None:
    der = tmp_path / "leaf.der"
    der.write_bytes(pki["leaf"].der)
    assert load_certificate_file(der) == (pki["leaf"],)


def test_load_certificate_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"certificate file '.*nope.pem' does not exist"):
        load_certificate_file(tmp_path / "nope.pem")


def test_load_certificate_file_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a file"):
        load_certificate_file(tmp_path)


def test_load_certificate_file_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"no certificates found in .*empty\.pem.*: it is empty"):
        load_certificate_file(empty)


def test_load_certificate_file_garbage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.crt"
    junk.write_bytes(b"\x00\x01 not a certificate")
    with pytest.raises(ConfigError, match=r"junk\.crt' is neither PEM nor a DER certificate"):
        load_certificate_file(junk)


def test_unknown_public_key_algorithm_is_unsupported_certificate(pki: Pki) -> None:
    der = pki["leaf"].der
    id_ec_public_key = bytes.fromhex("06072a8648ce3d0201")  # OID 1.2.840.10045.2.1
    unknown = bytes.fromhex("06072a8648ce3d0209")
    assert der.count(id_ec_public_key) == 1
    with pytest.raises(UnsupportedCertificate, match=r"Unknown key type: 1\.2\.840\.10045\.2\.9"):
        Certificate.from_der(der.replace(id_ec_public_key, unknown))


def test_unparseable_version_is_bad_certificate(pki: Pki) -> None:
    der = pki["leaf"].der
    version_v3 = bytes.fromhex("a003020102")  # [0] EXPLICIT INTEGER 2
    assert der.index(version_v3) < 16
    with pytest.raises(BadCertificate, match="not a valid X509 version"):
        Certificate.from_der(der.replace(version_v3, bytes.fromhex("a003020125"), 1))
