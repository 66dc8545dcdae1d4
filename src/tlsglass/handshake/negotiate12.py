"""TLS 1.2 server choices: the ClientHello checked once (`read_offer12`), then suite,
certificate, signature scheme, group and ALPN (`plan12`), each with its reason.

Pure functions over the config and the offer; server12.py states call them. A failure
raises the error whose alert RFC 5246 (or RFC 7627, 5746, 8422, 7919) names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from tlsglass._fastinit import fast_init
from tlsglass.config import TLS12_EXTRA_SIGNATURE_SCHEMES, CertifiedKey, ServerConfig
from tlsglass.crypto import sign
from tlsglass.crypto.kx import FFDHE_PRIMES
from tlsglass.crypto.suites import TLS12_SUITES, SuiteInfo
from tlsglass.enums import CipherSuite, ExtensionType, NamedGroup, SignatureScheme, describe
from tlsglass.errors import HandshakeFailure, IllegalParameter
from tlsglass.handshake.base import Output, decide
from tlsglass.handshake.kx12 import ECDHE_GROUPS, is_dhe, is_rsa, scheme_fits_kind
from tlsglass.handshake.negotiate import certificate_candidates, names, select_alpn
from tlsglass.handshake.server import server_name_of
from tlsglass.wire.extension_block import find, find_raw
from tlsglass.wire.extensions import (
    ALPN,
    EcPointFormats,
    RecordSizeLimit,
    RenegotiationInfo,
    SessionTicket,
    SignatureAlgorithms,
    SupportedGroups,
)
from tlsglass.wire.handshake import ClientHello

__all__ = ["Offer12", "Plan12", "plan12", "read_offer12"]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Offer12:
    """What a TLS 1.2 ClientHello offers, checked once."""

    hello: ClientHello = field(repr=False)
    groups: tuple[int, ...] | None
    signature_schemes: tuple[int, ...]
    server_name: str | None
    alpn: tuple[bytes, ...]
    record_size_limit: int | None
    extended_master_secret: bool
    secure_renegotiation: bool
    ec_point_formats: bool
    session_ticket: bytes | None = field(default=None, repr=False)  # RFC 5077 §3.2


def _secure_renegotiation(hello: ClientHello) -> bool:
    """RFC 5746 §3.6: the client signals with an empty extension or the SCSV."""
    info = find(hello.extensions, RenegotiationInfo)
    if info is not None and info.renegotiated_connection:
        raise HandshakeFailure("renegotiation_info not empty in an initial handshake")
    return info is not None or \
        CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV in hello.cipher_suites


def read_offer12(config: ServerConfig, hello: ClientHello) -> Offer12:
    """Check a ClientHello for TLS 1.2 (RFC 5246 §7.4.1.2)."""
    if 0 not in hello.legacy_compression_methods:
        raise IllegalParameter("ClientHello does not offer null compression")
    ems = find_raw(hello.extensions, ExtensionType.EXTENDED_MASTER_SECRET) is not None
    if not ems and config.require_extended_master_secret:
        raise HandshakeFailure("client does not support extended_master_secret (RFC 7627 §5.2)")
    formats = find(hello.extensions, EcPointFormats)
    if formats is not None and 0 not in formats.ec_point_format_list:
        raise IllegalParameter("client cannot read uncompressed points (RFC 8422 §5.1.2)")
    groups = find(hello.extensions, SupportedGroups)
    schemes = find(hello.extensions, SignatureAlgorithms)
    if schemes is None:
        # RFC 5246 §7.4.1.4.1: the default would be SHA-1, which we do not sign with.
        raise HandshakeFailure("ClientHello lacks signature_algorithms; SHA-1 is refused")
    limit = find(hello.extensions, RecordSizeLimit)
    if limit is not None and limit.record_size_limit < 64:
        raise IllegalParameter("record_size_limit below 64 (RFC 8449 §4)")
    alpn = find(hello.extensions, ALPN)
    ticket = find(hello.extensions, SessionTicket)
    return Offer12(hello=hello, groups=groups.values if groups is not None else None,
                   signature_schemes=schemes.values, server_name=server_name_of(hello),
                   alpn=alpn.protocol_name_list if alpn is not None else (),
                   record_size_limit=limit.record_size_limit if limit is not None else None,
                   extended_master_secret=ems, secure_renegotiation=_secure_renegotiation(hello),
                   ec_point_formats=formats is not None,
                   session_ticket=ticket.ticket if ticket is not None else None)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Plan12:
    """The server's choices for a TLS 1.2 handshake."""

    suite: SuiteInfo
    certified: CertifiedKey = field(repr=False)
    signature_scheme: int
    group: NamedGroup | None
    alpn: str | None


def _scheme_for(certified: CertifiedKey, suite: SuiteInfo, ours: Sequence[int],
                peer: Sequence[int], groups: Sequence[int] | None) -> int | None:
    """A scheme the certificate's key makes, of the suite's kind, that both sides accept.
    With RSA key transport nothing is signed, but the key must still be an RSA key."""
    allowed = set(ours) & set(peer)
    schemes = sign.tls12_schemes_for_key(certified.private_key)
    if is_rsa(suite.key_exchange):
        allowed = set(schemes)
    # RFC 5246 §7.4.2: the leaf's keyUsage, if any, must allow what the suite does.
    if not certified.leaf.allows_key_usage(
            "key_encipherment" if is_rsa(suite.key_exchange) else "digital_signature"):
        return None
    if groups is not None and schemes and _CURVE_OF.get(schemes[0], 0) not in (0, *groups):
        return None  # RFC 8422 §5.1: the client cannot use this ECDSA key's curve
    for scheme in schemes:
        if scheme in allowed and scheme_fits_kind(scheme, suite.key_exchange):
            return scheme
    return None


# An ECDSA key's first TLS 1.2 scheme is its own curve's (sign.tls12_schemes_for_key).
_CURVE_OF: Final = {SignatureScheme.ECDSA_SECP256R1_SHA256: NamedGroup.SECP256R1,
                    SignatureScheme.ECDSA_SECP384R1_SHA384: NamedGroup.SECP384R1,
                    SignatureScheme.ECDSA_SECP521R1_SHA512: NamedGroup.SECP521R1}


def _select_suite(config: ServerConfig, offer: Offer12
                  ) -> tuple[SuiteInfo, CertifiedKey, int, NamedGroup | None, str]:
    """The first chain (those naming the server first) that fits a suite the client offers
    and for which a group is agreed, with the server's most preferred such suite."""
    candidates, reason = certificate_candidates(config, offer.server_name,
                                                offer.signature_schemes)
    ours = (*config.signature_schemes, *TLS12_EXTRA_SIGNATURE_SCHEMES)
    offered = set(offer.hello.cipher_suites)
    suites = [TLS12_SUITES[v] for v in config.tls12_cipher_suites if v in offered]
    for certified in candidates:
        for suite in suites:
            scheme = _scheme_for(certified, suite, ours, offer.signature_schemes, offer.groups)
            group = _select_group(config, offer, suite.key_exchange)
            if scheme is not None and (group is not None or is_rsa(suite.key_exchange)):
                return suite, certified, scheme, group, reason
    shown = ", ".join(names(CipherSuite, offer.hello.cipher_suites))
    raise HandshakeFailure("no TLS 1.2 cipher suite in common that our certificates and "
                           f"groups fit: client offers {shown}")


def _select_group(config: ServerConfig, offer: Offer12, kind: str) -> NamedGroup | None:
    """ECDHE: our first curve the client lists (RFC 8422 §4: no list means any curve).
    DHE: our first RFC 7919 group the client lists; if it lists none, our first, as a
    client offering DHE suites must accept any group (RFC 7919 §4)."""
    if is_rsa(kind):
        return None
    wanted = FFDHE_PRIMES if is_dhe(kind) else ECDHE_GROUPS
    listed = offer.groups
    if is_dhe(kind) and listed is not None and not any(g in FFDHE_PRIMES for g in listed):
        listed = None
    for group in config.groups:
        if group in wanted and (listed is None or group in listed):
            return group
    return None


def plan12(config: ServerConfig, offer: Offer12, out: Output) -> Plan12:
    suite, certified, scheme, group, cert_reason = _select_suite(config, offer)
    alpn = select_alpn(config.alpn_protocols, offer.alpn)
    if out.tracing:  # the names are built only for a listening tracer
        decide(out, "version", "TLS1_2", (), "the client does not offer TLS 1.3")
        decide(out, "cipher_suite", describe(CipherSuite, suite.suite),
               names(CipherSuite, offer.hello.cipher_suites),
               "first of the server's TLS 1.2 suites that the client offers and a "
               "certificate fits")
        decide(out, "certificate", certified.leaf.subject, (), cert_reason)
        decide(out, "signature_scheme", describe(SignatureScheme, scheme),
               names(SignatureScheme, offer.signature_schemes),
               "first scheme the certificate's key can make that the client accepts")
        decide(out, "group", describe(NamedGroup, group or 0),
               names(NamedGroup, offer.groups or ()),
               "RSA key transport: no group" if group is None
               else "server's most preferred group for the suite's key exchange")
    return Plan12(suite=suite, certified=certified, signature_scheme=scheme, group=group,
                  alpn=alpn)
