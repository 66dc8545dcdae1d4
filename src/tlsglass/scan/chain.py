"""The certificate chain: order, completeness, trust, name, dates, keys, URLs.

Parsing and path building come from tlsglass.x509 (cryptography's verifier);
what this module adds is the diagnosis a person wants from a scanner: each
property reported on its own, so an untrusted chain still shows its dates and
keys. The scan room is outside the engine (like ca/), so it reads certificate
extensions through cryptography's x509 objects directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from tlsglass.errors import TLSError
from tlsglass.scan.findings import CertificateFinding, ChainFinding
from tlsglass.x509 import Certificate, TrustStore, verify_server_chain

__all__ = ["analyse_chain"]


def analyse_chain(chain: Sequence[Certificate], trust: TrustStore, server_name: str | None,
                  now: datetime, source: str) -> ChainFinding:
    order_ok, order_detail = _order(chain)
    trusted, trust_detail = _trust(chain, trust, now)
    name_ok, name_detail = _hostname(chain, trust, server_name, now, trusted)
    return ChainFinding(certificates=tuple(_certificate(c, now) for c in chain), source=source,
                        order_ok=order_ok, order_detail=order_detail, trusted=trusted,
                        trust_detail=trust_detail, hostname_ok=name_ok,
                        hostname_detail=name_detail)


def _order(chain: Sequence[Certificate]) -> tuple[bool, str]:
    """RFC 8446 §4.4.2 / RFC 5246 §7.4.2: each certificate certifies the one before it."""
    if not chain:
        return False, "the server sent no certificate"
    for i in range(len(chain) - 1):
        if chain[i].pyca.issuer != chain[i + 1].pyca.subject:
            return False, (f"certificate {i + 2} ('{chain[i + 1].subject}') did not issue "
                           f"certificate {i + 1} ('{chain[i].subject}')")
    if len(chain) == 1:
        return True, "1 certificate (no intermediates sent)"
    return True, f"{len(chain)} certificates, each issued by the next"


def _trust(chain: Sequence[Certificate], trust: TrustStore, now: datetime) -> tuple[bool, str]:
    if not chain:
        return False, "no certificate"
    try:
        verified = verify_server_chain(chain, trust, None, now)
    except TLSError as exc:
        return False, str(exc)
    anchor = verified.trust_anchor
    extra = " (the server also sent the root)" if anchor in chain else ""
    return True, f"chains to '{anchor.subject}'{extra}"


def _hostname(chain: Sequence[Certificate], trust: TrustStore, server_name: str | None,
              now: datetime, trusted: bool) -> tuple[bool | None, str]:
    if not chain or server_name is None:
        return None, "no host name to check"
    if trusted:
        try:
            verify_server_chain(chain, trust, server_name, now)
        except TLSError as exc:
            return False, str(exc)
        return True, f"valid for {server_name}"
    # Untrusted: still say whether the name would match (RFC 6125 wildcards, left-most label).
    names = [n.lower() for n in chain[0].dns_names] + list(chain[0].ip_addresses)
    wanted = server_name.lower()
    match = wanted in names or any(
        n.startswith("*.") and wanted.split(".", 1)[-1] == n[2:] for n in names)
    return match, (f"{server_name} is among the names" if match
                   else f"{server_name} is not among {', '.join(names) or 'no names'}")


def _certificate(cert: Certificate, now: datetime) -> CertificateFinding:
    key_type, bits = _key(cert)
    return CertificateFinding(
        subject=cert.subject, issuer=cert.issuer,
        not_before=cert.not_before.isoformat(), not_after=cert.not_after.isoformat(),
        days_left=(cert.not_after - now.astimezone(UTC)).days,
        lifetime_days=(cert.not_after - cert.not_before).days,
        key=cert.key_description, key_type=key_type, key_bits=bits,
        signature_algorithm=cert.signature_algorithm,
        sans=(*cert.dns_names, *cert.ip_addresses), ocsp_urls=_ocsp_urls(cert.pyca),
        crl_urls=_crl_urls(cert.pyca), sha256=cert.sha256_fingerprint,
        self_issued=cert.is_self_issued)


def _key(cert: Certificate) -> tuple[str, int]:
    key = cert.public_key
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ECDSA", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__.removesuffix("PublicKey").lstrip("_"), 0


def _ocsp_urls(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return ()
    return tuple(str(d.access_location.value) for d in aia
                 if d.access_method == AuthorityInformationAccessOID.OCSP)


def _crl_urls(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (x509.ExtensionNotFound, ValueError):
        return ()
    return tuple(str(n.value) for p in points for n in (p.full_name or ())
                 if isinstance(n, x509.UniformResourceIdentifier))
