"""Server start: read the ClientHello, pick the version and parameters, hand off.

`read_offer` checks the ClientHello once and gathers what the client offers;
`plan` chooses suite, key share (or a HelloRetryRequest), certificate, signature
scheme and ALPN, each with its reason. The TLS 1.3 flights themselves are in
server13.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from tlsglass._fastinit import fast_init
from tlsglass.config import CertifiedKey, ServerConfig
from tlsglass.crypto.suites import TLS13_SUITES, SuiteInfo
from tlsglass.enums import (
    CipherSuite,
    ExtensionType,
    NamedGroup,
    ProtocolVersion,
    PskKeyExchangeMode,
    SignatureScheme,
    describe,
)
from tlsglass.errors import (
    DecodeError,
    IllegalParameter,
    InappropriateFallback,
    InternalError,
    MissingExtension,
    ProtocolVersionError,
    TLSError,
)
from tlsglass.handshake.base import Output, decide, report_trust
from tlsglass.handshake.negotiate import (
    check_client_key_shares,
    names,
    select_alpn,
    select_certificate,
    select_cipher_suite,
    select_key_share,
)
from tlsglass.wire.extension_block import find, find_raw
from tlsglass.wire.extensions import (
    ALPN,
    KeyShareClientHello,
    KeyShareEntry,
    RecordSizeLimit,
    ServerNameList,
    SignatureAlgorithms,
    SupportedGroups,
    SupportedVersionsClientHello,
)
from tlsglass.wire.handshake import ClientHello
from tlsglass.x509 import Certificate as X509Certificate
from tlsglass.x509 import VerifiedChain, verify_client_chain

__all__ = ["Offer", "Plan", "choose_version", "plan", "read_offer", "server_name_of",
           "verify_client"]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """What a ClientHello offers, checked once."""

    hello: ClientHello = field(repr=False)
    versions: tuple[int, ...]
    groups: tuple[int, ...]
    shares: tuple[KeyShareEntry, ...] = field(repr=False)
    signature_schemes: tuple[int, ...]
    server_name: str | None
    alpn: tuple[bytes, ...]
    record_size_limit: int | None

    @property
    def compatibility_mode(self) -> bool:
        """App. D.4: a non-empty legacy_session_id asks for the middlebox dance."""
        return bool(self.hello.legacy_session_id)


def _server_name(hello: ClientHello) -> str | None:
    ext = find(hello.extensions, ServerNameList)
    if ext is None:
        return None
    host = ext.host_name
    if host is None:
        return None
    try:
        name = host.decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecodeError("server_name is not an ASCII host name (RFC 6066 §3)") from exc
    if not name or name.endswith(".") or any(not (c.isalnum() or c in "-._") for c in name):
        raise IllegalParameter(f"server_name {name!r} is not a host name")
    return name.lower()


server_name_of = _server_name


def _client_versions(hello: ClientHello) -> tuple[int, ...]:
    """§4.2.1: supported_versions if present, else everything up to legacy_version."""
    supported = find(hello.extensions, SupportedVersionsClientHello)
    if supported is not None:
        return supported.values
    return tuple(v for v in (ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_1,
                             ProtocolVersion.TLS1_0, ProtocolVersion.SSL3_0)
                 if v <= hello.legacy_version)


def choose_version(config: ServerConfig, hello: ClientHello) -> ProtocolVersion:
    """The highest version both sides allow (§4.2.1), after the RFC 7507 fallback check."""
    offered = _client_versions(hello)
    ours = [v for v in (ProtocolVersion.TLS1_3, ProtocolVersion.TLS1_2)
            if config.minimum_version <= v <= config.maximum_version]
    if CipherSuite.TLS_FALLBACK_SCSV in hello.cipher_suites and \
            max((v for v in offered if v in tuple(ProtocolVersion)), default=0) < ours[0]:
        # RFC 7507 §3: the client retried with a lower version than it could speak.
        raise InappropriateFallback("client fell back below our highest version (RFC 7507)")
    for version in ours:
        if version in offered:
            return version
    shown = describe(ProtocolVersion, max(offered, default=hello.legacy_version))
    allowed = " and ".join(v.name for v in ours)
    raise ProtocolVersionError(f"client offers at most {shown}; this server speaks {allowed}")


def _check_psk_last(hello: ClientHello) -> None:
    for ext in hello.extensions[:-1]:
        if ext.type_code == ExtensionType.PRE_SHARED_KEY:
            raise IllegalParameter("pre_shared_key is not the last extension (§4.2.11)")


def _check_mandatory(hello: ClientHello, groups: SupportedGroups | None,
                     shares: KeyShareClientHello | None,
                     schemes: SignatureAlgorithms | None) -> None:
    """§9.2: supported_groups and key_share come together; without a PSK, both and
    signature_algorithms are mandatory (a psk_ke client may omit all three)."""
    if (groups is None) != (shares is None):
        raise MissingExtension("supported_groups and key_share come together (§9.2)")
    if find_raw(hello.extensions, ExtensionType.PRE_SHARED_KEY) is not None:
        return
    for needed, what in ((groups, "supported_groups"), (shares, "key_share"),
                         (schemes, "signature_algorithms")):
        if needed is None:
            raise MissingExtension(f"ClientHello lacks {what} (§9.2)")


def read_offer(config: ServerConfig, hello: ClientHello) -> Offer:
    """Check a ClientHello (§4.1.2) and decide that TLS 1.3 will be spoken."""
    _check_psk_last(hello)
    if find_raw(hello.extensions, ExtensionType.PRE_SHARED_KEY) is not None and find_raw(
            hello.extensions, ExtensionType.PSK_KEY_EXCHANGE_MODES) is None:
        raise MissingExtension("pre_shared_key offered without psk_key_exchange_modes (§4.2.9)")
    supported = find(hello.extensions, SupportedVersionsClientHello)
    versions = supported.values if supported is not None else ()
    if ProtocolVersion.TLS1_3 not in versions:
        if CipherSuite.TLS_FALLBACK_SCSV in hello.cipher_suites:
            raise InappropriateFallback("client fell back from TLS 1.3 (RFC 7507)")
        offered = describe(ProtocolVersion, max(versions, default=hello.legacy_version))
        raise ProtocolVersionError(f"client offers at most {offered}; "
                                   "this server speaks TLS 1.3 only")
    if hello.legacy_compression_methods != b"\x00":
        raise IllegalParameter("TLS 1.3 ClientHello must offer only null compression")
    groups = find(hello.extensions, SupportedGroups)
    shares = find(hello.extensions, KeyShareClientHello)
    schemes = find(hello.extensions, SignatureAlgorithms)
    _check_mandatory(hello, groups, shares, schemes)
    if groups is not None and shares is not None:
        check_client_key_shares(shares.client_shares, groups.values)
    limit = find(hello.extensions, RecordSizeLimit)
    if limit is not None and limit.record_size_limit < 64:
        raise IllegalParameter("record_size_limit below 64 (RFC 8449 §4)")
    alpn = find(hello.extensions, ALPN)
    return Offer(hello=hello, versions=versions, groups=groups.values if groups else (),
                 shares=shares.client_shares if shares else (),
                 signature_schemes=schemes.values if schemes else (),
                 server_name=_server_name(hello),
                 alpn=alpn.protocol_name_list if alpn is not None else (),
                 record_size_limit=limit.record_size_limit if limit is not None else None)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The server's choices for a TLS 1.3 handshake (no certificate when a PSK is used)."""

    suite: SuiteInfo
    share: KeyShareEntry | None = field(repr=False)
    retry_group: int | None
    certified: CertifiedKey | None = field(repr=False)
    signature_scheme: int | None
    alpn: str | None


def _suite(config: ServerConfig, offer: Offer, out: Output, forced_suite: int | None,
           why_forced: str) -> SuiteInfo:
    if out.tracing:  # the names are built only for a listening tracer
        decide(out, "version", "TLS1_3", names(ProtocolVersion, offer.versions),  # type: ignore[arg-type]
               "highest version both sides support")
    if forced_suite is not None:
        suite_value, why = forced_suite, why_forced
        if forced_suite not in offer.hello.cipher_suites:
            raise IllegalParameter("second ClientHello dropped the selected cipher suite")
    else:
        choice = select_cipher_suite(config.cipher_suites, offer.hello.cipher_suites)
        suite_value, why = choice.value, choice.reason
    if out.tracing:  # the names are built only for a listening tracer
        decide(out, "cipher_suite", describe(CipherSuite, suite_value),
               names(CipherSuite, offer.hello.cipher_suites), why)
    return TLS13_SUITES[CipherSuite(suite_value)]


def _certificate(config: ServerConfig, offer: Offer, out: Output) -> tuple[CertifiedKey, int]:
    if not offer.signature_schemes:
        raise MissingExtension("ClientHello lacks signature_algorithms (§9.2)")
    certified, scheme, cert_reason = select_certificate(config, offer.server_name,
                                                        offer.signature_schemes)
    if out.tracing:  # the names are built only for a listening tracer
        decide(out, "certificate", certified.leaf.subject, (), cert_reason)
        decide(out, "signature_scheme", describe(SignatureScheme, scheme),
               names(SignatureScheme, offer.signature_schemes),
               "first scheme the certificate's key can make that the client accepts")
    return certified, scheme


def plan(config: ServerConfig, offer: Offer, out: Output, forced_suite: int | None = None,
         psk_mode: int | None = None,
         why_forced: str = "kept from the HelloRetryRequest") -> Plan:
    """Choose everything, reporting each choice and its reason to the tracer.

    With `psk_mode` a PSK was accepted: no certificate, and in psk_ke no key share.
    """
    suite = _suite(config, offer, out, forced_suite, why_forced)
    share, retry_group = None, None
    if psk_mode != PskKeyExchangeMode.PSK_KE:
        if not offer.shares and not offer.groups:
            raise MissingExtension("ClientHello lacks key_share (§9.2)")
        shares = select_key_share(config.groups, offer.groups, offer.shares)
        share, retry_group = shares.share, shares.retry_group
        group = share.group if share is not None else retry_group
        if out.tracing:  # the names are built only for a listening tracer
            decide(out, "group", describe(NamedGroup, group or 0),
                   names(NamedGroup, offer.groups), shares.reason)
    certified, scheme = _certificate(config, offer, out) if psk_mode is None else (None, None)
    alpn = select_alpn(config.alpn_protocols, offer.alpn)
    if alpn is not None and out.tracing:  # the names are built only for a listening tracer
        decide(out, "alpn", alpn, tuple(p.decode("latin-1") for p in offer.alpn),
               "server's most preferred protocol that the client offers")
    return Plan(suite=suite, share=share, retry_group=retry_group, certified=certified,
                signature_scheme=scheme, alpn=alpn)


def verify_client(config: ServerConfig, chain: tuple[X509Certificate, ...], out: Output
                  ) -> VerifiedChain:
    """A client's chain against the roots we trust for clients (TLS 1.3 and 1.2, in the
    handshake or after it); the verdict, or the refusal, goes to the tracer."""
    trust = config.client_trust
    if trust is None:  # ServerConfig refuses client_auth without client_trust
        raise InternalError("client certificate verification without client_trust")
    try:
        verified = verify_client_chain(chain, trust,
                                       datetime.fromtimestamp(config.clock(), UTC))
    except TLSError as exc:
        report_trust(out, "client", chain, None, error=exc)
        raise
    report_trust(out, "client", chain, verified)
    decide(out, "client_certificate", chain[0].subject, (),
           "its chain leads to a root the server trusts for clients")
    return verified
