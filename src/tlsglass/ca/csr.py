"""Reading a PKCS#10 certificate signing request (RFC 2986) and checking what it asks for.

Only the public key and the names are taken from a request; the CA decides
every extension itself. A request whose signature does not verify (so the
sender may not hold the key), that asks to be a CA, or that names something
that is neither a DNS name nor an IP address is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from tlsglass.ca.build import PublicKey, SubjectNames, check_public_key, parse_names
from tlsglass.ca.errors import CAError

__all__ = ["SigningRequest", "read_csr"]


@dataclass(frozen=True, slots=True)
class SigningRequest:
    """What a checked request asks for: a key, a common name and the names to certify."""

    public_key: PublicKey
    common_name: str
    names: SubjectNames | None


def read_csr(data: bytes, *, need_names: bool) -> SigningRequest:
    """Parse (PEM or DER) and check a CSR; `need_names` for server certificates.

    A server certificate's subject is CN=<its first name>, whatever the request's
    subject says (browsers read only the SANs, RFC 6125 §6.4.4, and a CN that
    disagrees with them misleads people); a client certificate keeps the CN.
    """
    csr = _load(data)
    if not csr.is_signature_valid:
        raise CAError("the CSR's signature does not verify: it was altered, or not signed "
                      "with the key it carries")
    _refuse_ca_request(csr)
    public_key = check_public_key(csr.public_key())
    common_names = [str(a.value)
                    for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    requested = _requested_names(csr)
    if not need_names:
        if not common_names:
            raise CAError("the CSR has no common name to identify the client")
        return SigningRequest(public_key, common_names[0], None)
    if not requested and common_names:
        requested = common_names[:1]  # an old-style request with the name in CN only
    if not requested:
        raise CAError("the CSR names no host: give it a subjectAltName or a common name")
    names = parse_names(requested)
    return SigningRequest(public_key, names.first, names)


def _load(data: bytes) -> x509.CertificateSigningRequest:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except ValueError:
        raise CAError("the file is not a PEM or DER certificate signing request "
                      "(PKCS#10)") from None


def _requested_names(csr: x509.CertificateSigningRequest) -> list[str]:
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    except ValueError as exc:
        raise CAError(f"the CSR's extensions cannot be read: {exc}") from None
    other = [n for n in san if not isinstance(n, x509.DNSName | x509.IPAddress)]
    if other:
        raise CAError(f"the CSR asks for names this CA does not certify: {other[0].value!r} "
                      "(only DNS names and IP addresses)")
    return [str(n.value) for n in san]


def _refuse_ca_request(csr: x509.CertificateSigningRequest) -> None:
    try:
        constraints = csr.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return
    except ValueError as exc:
        raise CAError(f"the CSR's extensions cannot be read: {exc}") from None
    if constraints.ca:
        raise CAError("the CSR asks to be a CA (basicConstraints CA:TRUE): refused")
