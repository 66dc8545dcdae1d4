"""Certificates: one parse per certificate, and the explicit PEM/DER loaders.

`Certificate(der)` (or `Certificate.from_der(der)`) parses the DER once with
cryptography and keeps every field the rest of tlsglass reads, so no other room
touches `cryptography.x509`. Bytes from the peer that do not parse raise
`BadCertificate` (or `UnsupportedCertificate` for a key type cryptography cannot
load); the loaders, which read what the *user* configured, raise `ConfigError`.

The loaders are the only functions here that do I/O, and only when called
(convention 1). Certificates are public data: nothing in this module ever sees a
private key, and a PEM file that holds one is reported by block type only.

Door: `Certificate`, `load_pem_certificates`, `load_certificate_file`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Final, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import SignatureAlgorithmOID

from tlsglass._fastinit import fast_init
from tlsglass.errors import BadCertificate, ConfigError, TLSError, UnsupportedCertificate

__all__ = ["Certificate", "load_certificate_file", "load_pem_certificates"]

# What cryptography raises for DER that is well-formed ASN.1 but not a usable certificate.
_MALFORMED: Final = (
    ValueError,
    TypeError,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)

_CURVE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "secp256r1": "P-256",
        "secp384r1": "P-384",
        "secp521r1": "P-521",
    }
)

# Readable names for the signature algorithms a TLS peer may meet; others print as an OID.
_SIGNATURE_NAMES: Final[Mapping[x509.ObjectIdentifier, str]] = MappingProxyType(
    {
        SignatureAlgorithmOID.RSA_WITH_MD5: "RSA PKCS#1 v1.5 with MD5",
        SignatureAlgorithmOID.RSA_WITH_SHA1: "RSA PKCS#1 v1.5 with SHA-1",
        SignatureAlgorithmOID.RSA_WITH_SHA224: "RSA PKCS#1 v1.5 with SHA-224",
        SignatureAlgorithmOID.RSA_WITH_SHA256: "RSA PKCS#1 v1.5 with SHA-256",
        SignatureAlgorithmOID.RSA_WITH_SHA384: "RSA PKCS#1 v1.5 with SHA-384",
        SignatureAlgorithmOID.RSA_WITH_SHA512: "RSA PKCS#1 v1.5 with SHA-512",
        SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSA with SHA-1",
        SignatureAlgorithmOID.ECDSA_WITH_SHA224: "ECDSA with SHA-224",
        SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ECDSA with SHA-256",
        SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ECDSA with SHA-384",
        SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ECDSA with SHA-512",
        SignatureAlgorithmOID.DSA_WITH_SHA1: "DSA with SHA-1",
        SignatureAlgorithmOID.DSA_WITH_SHA256: "DSA with SHA-256",
        SignatureAlgorithmOID.ED25519: "Ed25519",
        SignatureAlgorithmOID.ED448: "Ed448",
    }
)

_PEM_BLOCK: Final = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


@fast_init
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Certificate:
    """One X.509 certificate, parsed once; equal (and hashed) by its DER bytes.

    Construct with `Certificate.from_der(der)` (or `Certificate(der)`): every other
    field is derived from `der`, so an inconsistent Certificate cannot exist.
    """

    der: bytes
    pyca: x509.Certificate = field(init=False)
    subject: str = field(init=False)
    issuer: str = field(init=False)
    not_before: datetime = field(init=False)
    not_after: datetime = field(init=False)
    dns_names: tuple[str, ...] = field(init=False)
    ip_addresses: tuple[str, ...] = field(init=False)
    public_key: CertificatePublicKeyTypes = field(init=False)
    serial_number: int = field(init=False)
    signature_algorithm: str = field(init=False)
    key_description: str = field(init=False)
    sha256_fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        for name, value in _parse(bytes(self.der)).items():
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> object:
        # Only reached for a slot not yet set: the display fields, parsed and filled on
        # first use: from_der went from ~33 to ~11 us (min of timeit) without them, and a
        # handshake that verifies with the trust store reads none of them (convention 16).
        if name not in _DISPLAY_FIELDS:
            raise AttributeError(name)
        try:
            fields = _display_fields(self.pyca, self.public_key, self.der)
        except _MALFORMED as exc:
            raise BadCertificate(f"certificate is malformed: {exc}") from exc
        for key, value in fields.items():
            object.__setattr__(self, key, value)
        return object.__getattribute__(self, name)

    @classmethod
    def from_der(cls, der: bytes | bytearray | memoryview) -> Certificate:
        """Parse one DER certificate; BadCertificate names what is wrong with garbage.

        The same bytes give the same (immutable) object while it is among the last
        `INTERNED_CERTIFICATES` parsed, as Go's crypto/tls interns the certificates
        its connections share: a client reconnecting to a server, or a server seeing
        a returning client certificate, skips the parse and the public-key load
        (~20 to 60 us for a P-256 leaf). Nothing about trust is remembered here;
        every handshake verifies its chain afresh.
        """
        return _interned(bytes(der)) if cls is Certificate else cls(bytes(der))

    @property
    def subject_der(self) -> bytes:
        """The subject Name in DER (what certificate_authorities lists, RFC 8446 §4.2.4)."""
        return self.pyca.subject.public_bytes()

    @property
    def issuer_der(self) -> bytes:
        """The issuer Name in DER, to match against certificate_authorities."""
        return self.pyca.issuer.public_bytes()

    @property
    def is_self_issued(self) -> bool:
        """Subject and issuer are the same name (RFC 5280 §6.1): a root, or a self-signed leaf."""
        try:
            return self.pyca.subject == self.pyca.issuer
        except _MALFORMED as exc:
            raise BadCertificate(f"certificate is malformed: {exc}") from exc

    def allows_key_usage(self, usage: Literal["digital_signature", "key_encipherment"]
                         ) -> bool:
        """RFC 5280 §4.2.1.3: whether the keyUsage extension, if there is one, sets `usage`
        (no extension means no restriction)."""
        try:
            key_usage = self.pyca.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            return True
        except ValueError as exc:  # a malformed or repeated extension
            raise BadCertificate(f"certificate extensions are malformed: {exc}") from exc
        return bool(getattr(key_usage, usage))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Certificate):
            return NotImplemented
        return self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"Certificate({self.subject!r}, sha256={self.sha256_fingerprint[:16]}...)"


INTERNED_CERTIFICATES: Final = 256


@functools.lru_cache(maxsize=INTERNED_CERTIFICATES)
def _interned(der: bytes) -> Certificate:
    return Certificate(der)  # a DER that does not parse raises, and is not remembered


_DISPLAY_FIELDS: Final = frozenset({"subject", "issuer", "dns_names", "ip_addresses",
                                    "signature_algorithm", "key_description",
                                    "sha256_fingerprint"})


def _parse(der: bytes) -> dict[str, object]:
    """The fields a handshake needs, read from `der` in one pass.

    The names and the subjectAltName are left to whoever reads them first: for a
    peer's chain that is cryptography's verifier, which refuses a malformed
    subjectAltName (bad_certificate, through `_diagnose.explain`); a display field
    that does not parse raises BadCertificate when it is read.
    """
    try:
        cert = x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion) as exc:
        raise BadCertificate(f"certificate does not parse as DER X.509: {exc}") from exc
    try:
        fields: dict[str, object] = {
            "der": der,
            "pyca": cert,
            "not_before": cert.not_valid_before_utc,
            "not_after": cert.not_valid_after_utc,
            "serial_number": cert.serial_number,
        }
    except _MALFORMED as exc:
        raise BadCertificate(f"certificate is malformed: {exc}") from exc
    try:
        public_key = cert.public_key()
    except UnsupportedAlgorithm as exc:
        raise UnsupportedCertificate(
            f"certificate for {_subject_or_serial(cert)} has a public key tlsglass "
            f"cannot use: {exc}") from exc
    except ValueError as exc:
        raise BadCertificate(
            f"certificate for {_subject_or_serial(cert)} has a malformed public key: "
            f"{exc}") from exc
    fields["public_key"] = public_key
    return fields


def _subject_or_serial(cert: x509.Certificate) -> str:
    """The subject for an error message, or the serial number if the subject is malformed."""
    try:
        return repr(cert.subject.rfc4514_string())
    except _MALFORMED:
        return f"serial {cert.serial_number:#x} (malformed subject)"


def _display_fields(cert: x509.Certificate, public_key: CertificatePublicKeyTypes,
                    der: bytes) -> dict[str, object]:
    dns_names, ip_addresses = _subject_alt_names(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "dns_names": dns_names,
        "ip_addresses": ip_addresses,
        "signature_algorithm": _signature_name(cert),
        "key_description": _describe_public_key(public_key),
        "sha256_fingerprint": hashlib.sha256(der).hexdigest(),
    }


def _describe_public_key(key: CertificatePublicKeyTypes) -> str:
    """A short readable key type: "ECDSA P-256", "RSA 2048", "Ed25519", ..."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {_CURVE_NAMES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    if isinstance(key, x25519.X25519PublicKey):
        return "X25519"
    if isinstance(key, x448.X448PublicKey):
        return "X448"
    return type(key).__name__


def _signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        digest = cert.signature_hash_algorithm
        return "RSA-PSS" if digest is None else f"RSA-PSS with {_hash_name(digest.name)}"
    return _SIGNATURE_NAMES.get(oid, f"signature algorithm {oid.dotted_string}")


def _hash_name(name: str) -> str:
    # cryptography spells them "sha256"; the RFCs spell them "SHA-256".
    return f"SHA-{name[3:]}" if name.startswith("sha") and name[3:].isdigit() else name


def _subject_alt_names(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return (), ()
    dns_names = tuple(san.get_values_for_type(x509.DNSName))
    ip_addresses = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    return dns_names, ip_addresses


# -- Loaders: explicit, user-called I/O (convention 1) -------------------------------------------


def load_pem_certificates(data: bytes) -> tuple[Certificate, ...]:
    """Every CERTIFICATE block in PEM `data`, in order; ConfigError if none or any is bad."""
    return _parse_pem(data, "PEM data")


def load_certificate_file(path: str | os.PathLike[str]) -> tuple[Certificate, ...]:
    """The certificates in a PEM file (one or many) or a file holding a single DER certificate."""
    data = _read_file(path, "certificate file")
    return _parse_certificate_bytes(data, f"certificate file '{os.fspath(path)}'")


def _read_file(path: str | os.PathLike[str], what: str) -> bytes:
    """Read a file the user named, turning OS errors into ConfigError that name it."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            return f.read()
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} '{name}' does not exist") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{what} '{name}' is a directory, not a file") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what} '{name}': {exc.strerror or exc}") from exc


def _parse_certificate_bytes(data: bytes, source: str) -> tuple[Certificate, ...]:
    """PEM (anything with a BEGIN line) or else a single DER certificate."""
    if b"-----BEGIN " in data:
        return _parse_pem(data, source)
    if not data.strip():
        raise ConfigError(f"no certificates found in {source}: it is empty")
    try:
        return (Certificate(data),)
    except TLSError as exc:
        raise ConfigError(f"{source} is neither PEM nor a DER certificate: {exc}") from exc


def _parse_pem(data: bytes, source: str, *, skip_invalid: bool = False) -> tuple[Certificate, ...]:
    """Decode the CERTIFICATE blocks of `data`; other block types are ignored.

    With `skip_invalid`, blocks that do not hold a usable certificate are left out
    instead of raising (used for operating-system bundles we do not control).
    """
    certificates: list[Certificate] = []
    other_types: list[str] = []
    for index, match in enumerate(_PEM_BLOCK.finditer(data), start=1):
        label = match.group(1).decode("ascii")
        if label != "CERTIFICATE":
            other_types.append(label)
            continue
        try:
            certificates.append(_decode_pem_body(match.group(2)))
        except (ConfigError, BadCertificate, UnsupportedCertificate) as exc:
            if not skip_invalid:
                raise ConfigError(f"PEM block {index} in {source} is not valid: {exc}") from exc
    if not certificates:
        if other_types:
            found = ", ".join(sorted(set(other_types)))
            raise ConfigError(f"no certificates found in {source} (it holds PEM blocks: {found})")
        raise ConfigError(f"no certificates found in {source}")
    return tuple(certificates)


def _decode_pem_body(body: bytes) -> Certificate:
    compact = b"".join(body.split())
    try:
        der = base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise ConfigError(f"bad base64: {exc}") from exc
    return Certificate(der)
