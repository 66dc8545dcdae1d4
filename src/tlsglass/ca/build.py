"""What the local CA signs: keys, names, and the certificate and CRL profiles.

Pure functions over `cryptography` objects: no files, no state. The profiles
follow RFC 5280 and the CA/Browser Forum baseline: a CA certificate carries
basicConstraints (critical, with a path length), keyUsage keyCertSign and
cRLSign (critical), and SKI; a leaf carries basicConstraints CA:FALSE,
keyUsage digitalSignature (plus keyEncipherment for RSA, for TLS 1.2 RSA key
transport peers), one EKU (serverAuth or clientAuth), SKI, AKI and, for
servers, the names as subjectAltName (RFC 6125 §6.4.4: clients ignore the CN).
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tlsglass.ca.errors import CAError
from tlsglass.x509 import normalize_server_name

__all__ = ["KEY_TYPES", "CAKey", "Profile", "PublicKey", "Revoked", "SubjectNames", "Validity",
           "build_ca_certificate", "build_crl", "build_leaf", "check_public_key",
           "generate_key", "parse_names", "serial_number"]

CAKey = (ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
         | ed448.Ed448PrivateKey)
PublicKey = (ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
             | ed448.Ed448PublicKey)
Profile = Literal["server", "client"]

KEY_TYPES: Final = ("ec256", "ec384", "rsa2048", "rsa3072", "rsa4096", "ed25519")
_CURVES: Final = {"secp256r1": 256, "secp384r1": 384, "secp521r1": 521}
_MIN_RSA_BITS: Final = 2048


def generate_key(key_type: str) -> CAKey:
    """A fresh private key of `key_type` (one of KEY_TYPES)."""
    if key_type == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type in ("rsa2048", "rsa3072", "rsa4096"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[3:]))
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise CAError(f"unknown key type {key_type!r}; choose from {', '.join(KEY_TYPES)}")


def serial_number() -> int:
    """A random positive serial of at most 20 octets (RFC 5280 §4.1.2.2), 159 bits of entropy."""
    return secrets.randbits(159) | 1 << 152  # never zero, never a leading zero octet


def _hash_for(key: CAKey) -> hashes.SHA256 | hashes.SHA384 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None  # EdDSA hashes internally (RFC 8410 §6)
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


@dataclass(frozen=True, slots=True)
class SubjectNames:
    """Validated names for a leaf: DNS names (A-labels, maybe one leading wildcard) and IPs."""

    dns_names: tuple[str, ...]
    ip_addresses: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]

    @property
    def first(self) -> str:
        return self.dns_names[0] if self.dns_names else str(self.ip_addresses[0])

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.dns_names, *(str(ip) for ip in self.ip_addresses))

    def general_names(self) -> list[x509.GeneralName]:
        return [*(x509.DNSName(n) for n in self.dns_names),
                *(x509.IPAddress(ip) for ip in self.ip_addresses)]


def parse_names(names: Sequence[str]) -> SubjectNames:
    """Check each name is a DNS name or IP address; CAError names the first that is not."""
    if not names:
        raise CAError("give at least one DNS name or IP address")
    dns: list[str] = []
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for name in names:
        normal = _normal_name(name)
        try:
            ip = ipaddress.ip_address(normal)
        except ValueError:
            if normal not in dns:
                dns.append(normal)
        else:
            if ip not in ips:
                ips.append(ip)
    return SubjectNames(tuple(dns), tuple(ips))


def _normal_name(name: str) -> str:
    # A wildcard is allowed only as the whole leftmost label, over at least two
    # labels (RFC 6125 §6.4.3; CA/B Forum BR §3.2.2.6 forbids "*.com").
    wildcard = name.startswith("*.")
    rest = name[2:] if wildcard else name
    try:
        normal = normalize_server_name(rest)
    except ValueError:
        raise CAError(f"{name!r} is neither a valid DNS name nor an IP address") from None
    if not _is_ip(normal) and normal.rsplit(".", 1)[-1].isdigit():
        # An all-numeric top-level label is no host name (RFC 3696 §2): "999.1.1.1"
        # is a mistyped IP address.
        raise CAError(f"{name!r} is neither a valid DNS name nor an IP address")
    if wildcard and (normal.count(".") < 1 or _is_ip(normal)):
        raise CAError(f"{name!r}: a wildcard must cover a name of at least two labels")
    return f"*.{normal}" if wildcard else normal


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def check_public_key(key: object) -> PublicKey:
    """Refuse keys TLS peers would refuse: small RSA, odd curves, DSA, X25519."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise CAError(f"an RSA key of {key.key_size} bits is too small (2048 at least)")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _CURVES:
            raise CAError(f"EC keys on {key.curve.name} are not used in TLS; use P-256 or P-384")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return key
    raise CAError(f"a {type(key).__name__} cannot sign in TLS; use ECDSA, RSA or Ed25519")


def _common_name(text: str) -> x509.Name:
    if not 1 <= len(text) <= 64:  # ub-common-name (RFC 5280 App. A.1)
        raise CAError(f"a common name must be 1 to 64 characters, not {len(text)}")
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _key_usage(*, ca: bool, key_encipherment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, key_cert_sign=ca, crl_sign=ca,
                         key_encipherment=key_encipherment, content_commitment=False,
                         data_encipherment=False, key_agreement=False, encipher_only=False,
                         decipher_only=False)


@dataclass(frozen=True, slots=True)
class Validity:
    not_before: datetime.datetime
    not_after: datetime.datetime

    @classmethod
    def starting(cls, now: datetime.datetime, days: int) -> Validity:
        if not 1 <= days <= 36500:
            raise CAError(f"validity must be 1 to 36500 days, not {days}")
        # Backdated a little so a peer whose clock lags still accepts it.
        start = now - datetime.timedelta(minutes=5)
        return cls(start, now + datetime.timedelta(days=days))


def build_ca_certificate(common_name: str, key: CAKey, validity: Validity, *,
                         path_length: int, issuer: tuple[x509.Certificate, CAKey] | None = None,
                         ) -> x509.Certificate:
    """A root (self-signed when `issuer` is None) or an intermediate signed by `issuer`."""
    subject = _common_name(common_name)
    signer_cert, signer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_cert.subject if signer_cert else subject)
        .public_key(key.public_key()).serial_number(serial_number())
        .not_valid_before(validity.not_before).not_valid_after(validity.not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    builder = builder.add_extension(_aki(signer_key), critical=False)
    return builder.sign(signer_key, _hash_for(signer_key))


def _aki(issuer_key: CAKey) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())


def build_leaf(profile: Profile, public_key: PublicKey, names: SubjectNames | None,
               common_name: str, validity: Validity,
               issuer: tuple[x509.Certificate, CAKey]) -> x509.Certificate:
    """A server (serverAuth, SANs required) or client (clientAuth) end-entity certificate."""
    issuer_cert, issuer_key = issuer
    eku = ExtendedKeyUsageOID.SERVER_AUTH if profile == "server" else \
        ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_common_name(common_name)).issuer_name(issuer_cert.subject)
        .public_key(public_key).serial_number(serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(min(validity.not_after, issuer_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False,
                                  key_encipherment=isinstance(public_key, rsa.RSAPublicKey)),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_aki(issuer_key), critical=False)
    )
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names.general_names()),
                                        critical=False)
    return builder.sign(issuer_key, _hash_for(issuer_key))


@dataclass(frozen=True, slots=True)
class Revoked:
    serial: int
    revoked_at: datetime.datetime
    reason: x509.ReasonFlags | None = None


def build_crl(issuer: tuple[x509.Certificate, CAKey], revoked: Sequence[Revoked],
              crl_number: int, now: datetime.datetime,
              days: int = 30) -> x509.CertificateRevocationList:
    """A CRL (RFC 5280 §5) with a CRL number and AKI, valid for `days`."""
    issuer_cert, issuer_key = issuer
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(now - datetime.timedelta(minutes=5))
        .next_update(now + datetime.timedelta(days=days))
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(_aki(issuer_key), critical=False)
    )
    for entry in revoked:
        item = x509.RevokedCertificateBuilder().serial_number(entry.serial) \
            .revocation_date(entry.revoked_at)
        if entry.reason is not None:
            item = item.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    return builder.sign(issuer_key, _hash_for(issuer_key))
