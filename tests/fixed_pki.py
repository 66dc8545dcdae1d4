"""A PKI that is the same on every run: keys from fixed seeds, deterministic signatures
(RFC 6979 ECDSA for the root, Ed25519 for the leaves), fixed serials and dates. For golden
files of whole handshakes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tlsglass import Certificate, CertifiedKey, NamedGroup, TrustStore
from tlsglass.crypto.kx import KeyPair, key_pair_from_private

NOT_BEFORE = datetime(2030, 1, 1, tzinfo=UTC)
CLOCK = (NOT_BEFORE + timedelta(days=1)).timestamp()


def _key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


_USAGE = x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                       content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, encipher_only=False,
                       decipher_only=False)


def _der(cert: x509.Certificate) -> Certificate:
    return Certificate.from_der(cert.public_bytes(serialization.Encoding.DER))


class FixedPki:
    def __init__(self) -> None:
        # The Web PKI profile wants an RSA or ECDSA issuer.
        seed = int.from_bytes(hashlib.sha256(b"root").digest(), "big") % (1 << 250)
        self.root_key = ec.derive_private_key(seed, ec.SECP256R1())
        root = (x509.CertificateBuilder().subject_name(_name("fixed root"))
                .issuer_name(_name("fixed root")).public_key(self.root_key.public_key())
                .serial_number(1).not_valid_before(NOT_BEFORE)
                .not_valid_after(NOT_BEFORE + timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=True, key_cert_sign=True, crl_sign=True,
                    content_commitment=False, key_encipherment=False, data_encipherment=False,
                    key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                    self.root_key.public_key()), critical=False)
                .sign(self.root_key, hashes.SHA256(), ecdsa_deterministic=True))
        self.root = _der(root)
        self.trust = TrustStore.from_certificates([self.root])

    def issue(self, name: str, serial: int, server: bool = True) -> CertifiedKey:
        key = _key(name)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        cert = (x509.CertificateBuilder().subject_name(_name(name))
                .issuer_name(_name("fixed root")).public_key(key.public_key())
                .serial_number(serial).not_valid_before(NOT_BEFORE)
                .not_valid_after(NOT_BEFORE + timedelta(days=90))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(_USAGE, critical=True)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.root_key.public_key()), critical=False)
                .sign(self.root_key, hashes.SHA256(), ecdsa_deterministic=True))
        return CertifiedKey((_der(cert),), key)


def entropy(seed: str) -> Callable[[int], bytes]:
    """A deterministic byte stream: SHA-256 of the seed and a counter."""
    counter = iter(range(1 << 30))

    def take(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"{seed}:{next(counter)}".encode()).digest()
        return out[:n]

    return take


def key_pairs(seed: str) -> Callable[[NamedGroup], KeyPair]:
    counter = iter(range(1 << 30))

    def make(group: NamedGroup) -> KeyPair:
        private = hashlib.sha256(f"{seed}:{group}:{next(counter)}".encode()).digest()
        return key_pair_from_private(group, private)

    return make
