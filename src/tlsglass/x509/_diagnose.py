"""Why a chain was refused: turn cryptography's VerificationError into the alert that fits.

cryptography reports one string, often generic ("candidates exhausted: cert is not
valid at validation time" does not say which certificate). This module recognises
the reason in that string, then looks at the chain itself to name the certificate
at fault, and returns the ProtocolError subclass whose alert RFC 8446 §6.2 gives
for it (convention 6):

| cryptography says (after "validation failed: candidates exhausted: ") | we raise |
|---|---|
| cert is not valid at validation time                     | CertificateExpired |
| all candidates exhausted with no interior errors         | UnknownCA |
| chain construction exceeds max depth                     | UnknownCA |
| leaf certificate has no matching subjectAltName          | BadCertificate |
| ... leaf server certificate has no subjectAltName        | BadCertificate |
| signature does not match                                 | BadCertificate |
| required EKU not found                                   | UnsupportedCertificate |
| Forbidden public key algorithm                           | UnsupportedCertificate |
| Forbidden signature algorithm                            | UnsupportedCertificate |
| RSA key is too weak                                      | UnsupportedCertificate |
| anything else                                            | BadCertificate (+ its text) |

A wrong extendedKeyUsage is `unsupported_certificate`, as OpenSSL
(X509_V_ERR_INVALID_PURPOSE) and rustls (CertificateError::InvalidPurpose) send it:
the certificate is sound but of a kind that cannot be used for this purpose, which
is how we read §6.2's "certificate of an unsupported type"; bad_certificate is kept
for certificates that are corrupt, mis-signed or name someone else.

Door (room-internal): `Attempt`, `check_validity`, `explain`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID

from tlsglass._fastinit import fast_init
from tlsglass.errors import (
    BadCertificate,
    CertificateExpired,
    ProtocolError,
    UnknownCA,
    UnsupportedCertificate,
)
from tlsglass.x509.certificate import Certificate
from tlsglass.x509.trust import TrustStore

__all__ = ["Attempt", "check_validity", "explain"]

Purpose = Literal["server", "client"]

_PURPOSE_OIDS: Final[Mapping[str, x509.ObjectIdentifier]] = MappingProxyType(
    {
        "server": ExtendedKeyUsageOID.SERVER_AUTH,
        "client": ExtendedKeyUsageOID.CLIENT_AUTH,
    }
)

_EKU_NAMES: Final[Mapping[x509.ObjectIdentifier, str]] = MappingProxyType(
    {
        ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
        ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
        ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
        ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
        ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
        ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
    }
)

# CA/B Forum Baseline Requirements §7.1.3, as cryptography's Web PKI policy applies them.
_WEBPKI_CURVES: Final = frozenset({"secp256r1", "secp384r1", "secp521r1"})
_WEBPKI_SIGNATURES: Final = frozenset(
    {
        SignatureAlgorithmOID.RSA_WITH_SHA256,
        SignatureAlgorithmOID.RSA_WITH_SHA384,
        SignatureAlgorithmOID.RSA_WITH_SHA512,
        SignatureAlgorithmOID.ECDSA_WITH_SHA256,
        SignatureAlgorithmOID.ECDSA_WITH_SHA384,
        SignatureAlgorithmOID.ECDSA_WITH_SHA512,
    }
)
_WEBPKI_MIN_RSA_BITS: Final = 2048

# How many certificates the diagnosis walks at most; a hostile chain cannot make it loop.
_MAX_DIAGNOSIS_STEPS: Final = 64

_ENCOUNTERED: Final = re.compile(r" \(encountered processing <Certificate\(.*\)>\)\Z", re.DOTALL)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """Everything a verification was given, so a failure can be explained."""

    leaf: Certificate
    intermediates: tuple[Certificate, ...]
    store: TrustStore
    now: datetime
    server_name: str | None
    purpose: Purpose
    max_chain_depth: int


def check_validity(cert: Certificate, now: datetime, what: str = "certificate for") -> None:
    """CertificateExpired unless not_before <= now <= not_after (RFC 5280 §4.1.2.5)."""
    message = _window_problem(cert, now, what)
    if message is not None:
        raise CertificateExpired(message)


def explain(reason: str, attempt: Attempt) -> ProtocolError:
    """The exception for cryptography's refusal `reason` (the VerificationError text)."""
    detail = cryptography_reason(reason)
    for needle, handler in _RULES:
        if needle in detail:
            return handler(attempt, detail)
    return BadCertificate(f"certificate chain for {attempt.leaf.subject!r} was refused: {detail}")


def cryptography_reason(text: str) -> str:
    """cryptography's message without its framing (and its unhelpful certificate repr)."""
    text = text.removeprefix("validation failed: ")
    while text.startswith("candidates exhausted: "):
        text = text.removeprefix("candidates exhausted: ")
    return _ENCOUNTERED.sub("", text)


# -- Handlers, one per reason --------------------------------------------------------------------


def _expired(a: Attempt, detail: str) -> ProtocolError:
    for cert in _issuers(a):
        role = "trust anchor" if cert in a.store else "intermediate certificate"
        message = _window_problem(cert, a.now, role)
        if message is not None:
            return CertificateExpired(message)
    return CertificateExpired(
        f"a certificate in the chain for {a.leaf.subject!r} is not valid at {_when(a.now)}"
    )


def _unknown_issuer(a: Attempt, detail: str) -> ProtocolError:
    top = _top_of_presented_chain(a)
    if top.is_self_issued:
        if top == a.leaf:
            return UnknownCA(
                f"certificate for {top.subject!r} is self-signed and is not in the trust store"
            )
        return UnknownCA(
            f"the chain for {a.leaf.subject!r} ends at self-signed certificate "
            f"{top.subject!r}, which is not in the trust store"
        )
    return UnknownCA(
        f"issuer {top.issuer!r} of certificate {top.subject!r} is not trusted: "
        "it is neither in the trust store nor among the certificates sent"
    )


def _too_deep(a: Attempt, detail: str) -> ProtocolError:
    # cryptography also ends here when it goes round a self-signed certificate the
    # peer sent: then the real story is that nothing leads to a trust anchor.
    if not any(issuer in a.store for issuer in _issuers(a)):
        return _unknown_issuer(a, detail)
    return UnknownCA(
        f"no trust anchor within {a.max_chain_depth} intermediate certificates "
        f"of {a.leaf.subject!r}"
    )


def _name_mismatch(a: Attempt, detail: str) -> ProtocolError:
    names = ", ".join((*a.leaf.dns_names, *a.leaf.ip_addresses)) or "no host names"
    if a.server_name is None:
        return BadCertificate(
            f"certificate for {a.leaf.subject!r} names no host that can be matched: {names}"
        )
    return BadCertificate(f"certificate is not valid for {a.server_name!r}: it names {names}")


def _no_subject_alt_name(a: Attempt, detail: str) -> ProtocolError:
    target = "any host" if a.server_name is None else repr(a.server_name)
    return BadCertificate(
        f"certificate for {a.leaf.subject!r} is not valid for {target}: it has no "
        "subjectAltName extension, and the subject's common name is not used for matching"
    )


def _wrong_purpose(a: Attempt, detail: str) -> ProtocolError:
    acceptable = {_PURPOSE_OIDS[a.purpose], ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
    label = f"{a.purpose} authentication"
    for cert in (a.leaf, *_issuers(a)):
        usages = _extended_key_usages(cert)
        if usages is not None and not acceptable.intersection(usages):
            allowed = ", ".join(_EKU_NAMES.get(u, u.dotted_string) for u in usages) or "nothing"
            return UnsupportedCertificate(
                f"certificate for {cert.subject!r} is not valid for {label}: "
                f"its extendedKeyUsage allows only {allowed}"
            )
    return UnsupportedCertificate(f"certificate for {a.leaf.subject!r} is not valid for {label}")


def _bad_signature(a: Attempt, detail: str) -> ProtocolError:
    for child, issuer in _links(a):
        try:
            child.pyca.verify_directly_issued_by(issuer.pyca)
        except InvalidSignature:
            return BadCertificate(
                f"the signature on certificate {child.subject!r} does not verify "
                f"with the key of its issuer {issuer.subject!r}"
            )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    return BadCertificate(f"a signature in the chain for {a.leaf.subject!r} does not verify")


def _forbidden_key(a: Attempt, detail: str) -> ProtocolError:
    for cert in _issuers(a):
        key = cert.public_key
        if not isinstance(key, rsa.RSAPublicKey) and not (
            isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _WEBPKI_CURVES
        ):
            return UnsupportedCertificate(
                f"CA certificate {cert.subject!r} has an {cert.key_description} key; the "
                "Web PKI profile lets only RSA and ECDSA P-256/P-384/P-521 keys issue certificates"
            )
    return UnsupportedCertificate(f"a CA key in the chain is not allowed: {detail}")


def _weak_key(a: Attempt, detail: str) -> ProtocolError:
    for cert in _issuers(a):
        key = cert.public_key
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < _WEBPKI_MIN_RSA_BITS:
            return UnsupportedCertificate(
                f"CA certificate {cert.subject!r} has an {cert.key_description} key, "
                f"below the {_WEBPKI_MIN_RSA_BITS}-bit minimum"
            )
    return UnsupportedCertificate(f"a CA key in the chain is too weak: {detail}")


def _forbidden_signature(a: Attempt, detail: str) -> ProtocolError:
    signed = [a.leaf, *(c for c in _issuers(a) if c not in a.store)]
    for cert in signed:
        if cert.pyca.signature_algorithm_oid not in _WEBPKI_SIGNATURES:
            oid = cert.pyca.signature_algorithm_oid
            parameters = " and parameters" if oid == SignatureAlgorithmOID.RSASSA_PSS else ""
            return UnsupportedCertificate(
                f"certificate {cert.subject!r} is signed with {cert.signature_algorithm}"
                f"{parameters} that the Web PKI profile does not allow"
            )
    return UnsupportedCertificate(f"a signature algorithm in the chain is not allowed: {detail}")


_Handler = Callable[[Attempt, str], ProtocolError]

# Checked in order against cryptography's text; the first that appears in it decides.
_RULES: Final[tuple[tuple[str, _Handler], ...]] = (
    ("not valid at validation time", _expired),
    ("all candidates exhausted with no interior errors", _unknown_issuer),
    ("chain construction exceeds max depth", _too_deep),
    ("no matching subjectAltName", _name_mismatch),
    ("has no subjectAltName", _no_subject_alt_name),
    ("required EKU not found", _wrong_purpose),
    ("signature does not match", _bad_signature),
    ("Forbidden public key algorithm", _forbidden_key),
    ("RSA key is too weak", _weak_key),
    ("Forbidden signature algorithm", _forbidden_signature),
)


# -- Looking at the chain ------------------------------------------------------------------------


def _links(a: Attempt) -> list[tuple[Certificate, Certificate]]:
    """Every (child, possible issuer) pair reachable from the leaf by name, breadth first."""
    subjects = {c: c.pyca.subject for c in (*a.intermediates, *a.store.certificates)}
    links: list[tuple[Certificate, Certificate]] = []
    seen = {a.leaf}
    queue = [a.leaf]
    for _ in range(_MAX_DIAGNOSIS_STEPS):
        if not queue:
            break
        child = queue.pop(0)
        if child != a.leaf and child in a.store:
            continue  # a trust anchor ends its path
        issuer_name = child.pyca.issuer
        for candidate, subject in subjects.items():
            if candidate != child and subject == issuer_name:
                links.append((child, candidate))
                if candidate not in seen:
                    seen.add(candidate)
                    queue.append(candidate)
    return links


def _issuers(a: Attempt) -> list[Certificate]:
    """The certificates that could sit above the leaf on some path, nearest first."""
    return list(dict.fromkeys(issuer for _, issuer in _links(a)))


def _top_of_presented_chain(a: Attempt) -> Certificate:
    """Follow issuers through the certificates the peer sent, as far as they go."""
    top, used = a.leaf, {a.leaf}
    while True:
        parent = next(
            (c for c in a.intermediates if c not in used and c.pyca.subject == top.pyca.issuer),
            None,
        )
        if parent is None:
            return top
        used.add(parent)
        top = parent


def _extended_key_usages(cert: Certificate) -> list[x509.ObjectIdentifier] | None:
    try:
        return list(cert.pyca.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return None


def _window_problem(cert: Certificate, now: datetime, what: str) -> str | None:
    if now > cert.not_after:
        return f"{what} {cert.subject!r} expired on {_when(cert.not_after)} (now {_when(now)})"
    if now < cert.not_before:
        return (
            f"{what} {cert.subject!r} is not valid until {_when(cert.not_before)} "
            f"(now {_when(now)})"
        )
    return None


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
