"""What every summary shares: the `Summary` result, the `Context` a story has gathered so
far, and the helpers that name code points and describe certificates for people.

The door is `__all__`; summaries.py (both versions' common messages and TLS 1.3) and
summaries12.py (TLS 1.2's own messages) build on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from tlsglass import Certificate as X509Certificate
from tlsglass import TLSError
from tlsglass.enums import CipherSuite, ExtensionType, ProtocolVersion, describe
from tlsglass.wire import Extension, ServerHello, SupportedVersionsServerHello, find

__all__ = ["Context", "Summary", "certificate_chain", "chose_tls12", "describe_certificate",
           "ext_names", "key_exchange_of", "names", "versions"]


@dataclass(frozen=True, slots=True)
class Summary:
    text: str
    fields: tuple[tuple[str, str], ...] = ()
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What the story knows when a message arrives: the hellos' settlements.

    `tls12` once a ServerHello chose TLS 1.2; `cipher_suite` the suite it chose;
    `client_versions` what the ClientHello offered; `client_session_id` the session ID
    it sent (a TLS 1.2 server echoes it to resume, RFC 5246 §7.4.1.3); `resumed` once
    an abbreviated TLS 1.2 handshake is under way; `extended_master_secret` when both
    hellos carried it (RFC 7627); `early_data_offered` when the ClientHello announced 0-RTT.
    """

    tls12: bool = False
    cipher_suite: int | None = None
    client_versions: tuple[int, ...] = ()
    client_session_id: bytes = field(default=b"", repr=False)
    resumed: bool = False
    extended_master_secret: bool = False
    early_data_offered: bool = False

    @property
    def key_exchange(self) -> str:
        return key_exchange_of(self.cipher_suite)


def key_exchange_of(suite: int | None) -> str:
    """A TLS 1.2 suite's key exchange, read from its IANA name: ECDHE, DHE or RSA
    (TLS_RSA_WITH_...: RSA key transport); "" when unknown or TLS 1.3."""
    if suite is None or suite not in CipherSuite._value2member_map_:
        return ""
    name = CipherSuite(suite).name
    for kind in ("ECDHE", "DHE", "RSA"):
        if name.startswith(f"TLS_{kind}_"):
            return kind
    return ""


def names(kind: type[IntEnum], values: tuple[int, ...]) -> str:
    return ", ".join(describe(kind, v) for v in values)


_VERSION_NAMES: Final[Mapping[int, str]] = MappingProxyType({
    ProtocolVersion.TLS1_3: "TLS 1.3", ProtocolVersion.TLS1_2: "TLS 1.2",
    ProtocolVersion.TLS1_1: "TLS 1.1", ProtocolVersion.TLS1_0: "TLS 1.0",
    ProtocolVersion.SSL3_0: "SSL 3.0"})


def versions(values: tuple[int, ...]) -> str:
    """Versions as people write them: "TLS 1.3, TLS 1.2" (GREASE and unknowns by number)."""
    return ", ".join(_VERSION_NAMES.get(v, describe(ProtocolVersion, v)) for v in values)


def ext_names(extensions: tuple[Extension, ...]) -> str:
    return ", ".join(describe(ExtensionType, e.type_code).lower() for e in extensions) or "none"


def describe_certificate(der: bytes, index: int) -> list[str]:
    """Subject, issuer, validity, SANs and key of one certificate, for people."""
    try:
        cert = X509Certificate.from_der(der)
    except TLSError as exc:
        return [f"[{index}] not a usable certificate: {exc}"]
    sans = ", ".join((*cert.dns_names, *cert.ip_addresses)) or "none"
    return [f"[{index}] subject: {cert.subject}",
            f"    issuer: {cert.issuer}",
            f"    valid: {cert.not_before:%Y-%m-%d %H:%M} to {cert.not_after:%Y-%m-%d %H:%M} UTC",
            f"    names (subjectAltName): {sans}",
            f"    public key: {cert.key_description}; signed with {cert.signature_algorithm}"]


def certificate_chain(ders: tuple[bytes, ...], sender: str) -> Summary:
    """A Certificate message of either version, given its certificates' DER."""
    if not ders:
        return Summary(f"The {sender} has no certificate to send (an empty Certificate).")
    details: list[str] = []
    for index, der in enumerate(ders):
        details.extend(describe_certificate(der, index))
    return Summary(f"The {sender} sends its certificate chain ({len(ders)} certificate(s)).",
                   (("certificates", str(len(ders))),), tuple(details))


def chose_tls12(msg: ServerHello) -> bool:
    """A ServerHello without supported_versions chose TLS 1.2 (or older), RFC 8446 §4.2.1."""
    return not msg.is_hello_retry_request and find(
        msg.extensions, SupportedVersionsServerHello) is None
