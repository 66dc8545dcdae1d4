"""ClientConfig and ServerConfig: frozen data, validated once, secure by default.

A config carries everything a connection may not find out for itself: trust,
certificates, preferences, and the hooks (key log, certificate selection, trace
sink, clock, entropy, key-pair factory). The engine never mutates a config and
one config serves any number of connections. `time.time` and `os.urandom` are
named here, and only as defaults, so that tests can replay RFC 8448 exactly.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from tlsglass.crypto.kx import FFDHE_PRIMES, SUPPORTED_GROUPS, KeyPairFactory, generate_key_pair
from tlsglass.crypto.sign import (
    PrivateKey,
    load_private_key_file,
    public_key_of,
    public_keys_equal,
    schemes_for_key,
)
from tlsglass.crypto.suites import TLS12_SUITES, TLS13_SUITES
from tlsglass.enums import (
    CipherSuite,
    NamedGroup,
    ProtocolVersion,
    PskKeyExchangeMode,
    SignatureScheme,
)
from tlsglass.errors import ConfigError
from tlsglass.observe import TraceSink
from tlsglass.record import PaddingPolicy
from tlsglass.session import (
    ClientTicketStore,
    ExternalPsk,
    InMemoryReplayStore,
    InMemoryTicketStore,
    ReplayStore,
    RotatingTicketKeys,
    SessionCache,
    TicketKeySource,
)
from tlsglass.wire.handshake import ClientHello
from tlsglass.x509 import Certificate, TrustStore, VerifiedChain, load_certificate_file

__all__ = [
    "DEFAULT_CIPHER_SUITES",
    "DEFAULT_GROUPS",
    "DEFAULT_KEY_SHARE_GROUPS",
    "DEFAULT_SIGNATURE_SCHEMES",
    "DEFAULT_TLS12_CIPHER_SUITES",
    "TLS12_EXTRA_SIGNATURE_SCHEMES",
    "CertificateRequestInfo",
    "CertificateSelector",
    "CertificateVerifier",
    "CertifiedKey",
    "ClientCertificateSelector",
    "ClientCertificates",
    "ClientConfig",
    "KeyLog",
    "ServerConfig",
]

DEFAULT_CIPHER_SUITES: Final = (
    CipherSuite.TLS_AES_128_GCM_SHA256,
    CipherSuite.TLS_AES_256_GCM_SHA384,
    CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
)
# TLS 1.2 (RFC 5289, RFC 7905): forward-secret ECDHE with AEADs only; no CBC, RC4, 3DES.
DEFAULT_TLS12_CIPHER_SUITES: Final = (
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
)
DEFAULT_GROUPS: Final = (
    NamedGroup.X25519MLKEM768,
    NamedGroup.X25519,
    NamedGroup.SECP256R1,
    NamedGroup.SECP384R1,
    NamedGroup.X448,
)
DEFAULT_KEY_SHARE_GROUPS: Final = (NamedGroup.X25519MLKEM768, NamedGroup.X25519)
# What we accept in CertificateVerify (§4.2.3): no PKCS#1 v1.5 and no SHA-1 here.
DEFAULT_SIGNATURE_SCHEMES: Final = (
    SignatureScheme.ECDSA_SECP256R1_SHA256,
    SignatureScheme.ECDSA_SECP384R1_SHA384,
    SignatureScheme.ED25519,
    SignatureScheme.ED448,
    SignatureScheme.RSA_PSS_RSAE_SHA256,
    SignatureScheme.RSA_PSS_RSAE_SHA384,
    SignatureScheme.RSA_PSS_RSAE_SHA512,
    SignatureScheme.RSA_PSS_PSS_SHA256,
    SignatureScheme.RSA_PSS_PSS_SHA384,
    SignatureScheme.RSA_PSS_PSS_SHA512,
)
# What certificates may be signed with (signature_algorithms_cert): PKCS#1 too (§4.2.3).
DEFAULT_CERT_SIGNATURE_SCHEMES: Final = (
    *DEFAULT_SIGNATURE_SCHEMES,
    SignatureScheme.RSA_PKCS1_SHA256,
    SignatureScheme.RSA_PKCS1_SHA384,
    SignatureScheme.RSA_PKCS1_SHA512,
    SignatureScheme.ECDSA_SECP521R1_SHA512,
)
# RFC 5246 §7.4.1.4.1: TLS 1.2 peers may still sign with PKCS#1 v1.5 (never in 1.3).
TLS12_EXTRA_SIGNATURE_SCHEMES: Final = (
    SignatureScheme.RSA_PKCS1_SHA256,
    SignatureScheme.RSA_PKCS1_SHA384,
    SignatureScheme.RSA_PKCS1_SHA512,
)
_TLS13_FORBIDDEN_SCHEMES: Final = frozenset({
    SignatureScheme.RSA_PKCS1_SHA1, SignatureScheme.ECDSA_SHA1, SignatureScheme.RSA_PKCS1_SHA256,
    SignatureScheme.RSA_PKCS1_SHA384, SignatureScheme.RSA_PKCS1_SHA512,
})
_KNOWN_VERSIONS: Final = (ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_3)
# §4.2.9: psk_dhe_ke keeps forward secrecy; psk_ke (no (EC)DHE) must be asked for.
DEFAULT_PSK_MODES: Final = (PskKeyExchangeMode.PSK_DHE_KE,)


class KeyLog(Protocol):
    """Receives secrets in NSS key log terms: label, client_random, secret (all bytes)."""

    def __call__(self, label: str, client_random: bytes, secret: bytes) -> None: ...


class CertificateVerifier(Protocol):
    """Replaces chain and name verification: return the verified chain or raise a TLSError."""

    def __call__(self, chain: Sequence[Certificate], server_name: str | None,
                 now: float) -> VerifiedChain: ...


@dataclass(frozen=True, slots=True)
class CertifiedKey:
    """A certificate chain (leaf first) and the private key of its leaf."""

    chain: tuple[Certificate, ...]
    private_key: PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if not self.chain:
            raise ConfigError("a certificate chain needs at least one certificate")
        if not public_keys_equal(self.chain[0].public_key, public_key_of(self.private_key)):
            raise ConfigError(f"the private key does not belong to {self.chain[0].subject}")

    @classmethod
    def from_files(cls, certificate_file: str | os.PathLike[str], key_file: str | os.PathLike[str],
                   password: bytes | None = None) -> CertifiedKey:
        """Load a PEM chain (leaf first) and its PEM or DER private key."""
        return cls(load_certificate_file(certificate_file),
                   load_private_key_file(key_file, password))

    @property
    def leaf(self) -> Certificate:
        return self.chain[0]

    @property
    def signature_schemes(self) -> tuple[SignatureScheme, ...]:
        return schemes_for_key(self.private_key)


class CertificateSelector(Protocol):
    """Pick a certificate for (server_name, the peer's signature schemes); None = no match."""

    def __call__(self, server_name: str | None,
                 signature_schemes: Sequence[int]) -> CertifiedKey | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRequestInfo:
    """What a server's CertificateRequest asks of the client (RFC 8446 §4.3.2).

    `certificate_authorities` holds the DER distinguished names the server named
    (§4.2.4; empty when it named none), `signature_schemes` the schemes it accepts
    in CertificateVerify and `certificate_signature_schemes` those it accepts in
    certificates (signature_algorithms_cert, empty when absent). Offered values
    stay ints (convention 3).
    """

    server_name: str | None
    certificate_authorities: tuple[bytes, ...]
    signature_schemes: tuple[int, ...]
    certificate_signature_schemes: tuple[int, ...] = ()
    post_handshake: bool = False

    def accepts_issuer_of(self, certified: CertifiedKey) -> bool:
        """No authorities named, or one of them issued (or is) a certificate in the chain."""
        if not self.certificate_authorities:
            return True
        named = frozenset(self.certificate_authorities)
        return any(c.issuer_der in named or c.subject_der in named for c in certified.chain)

    def can_sign_with(self, certified: CertifiedKey) -> bool:
        """The key can make a CertificateVerify the server accepts."""
        return any(s in self.signature_schemes for s in certified.signature_schemes)


class ClientCertificateSelector(Protocol):
    """Pick the client's certificate for a CertificateRequest; None sends an empty one."""

    def __call__(self, request: CertificateRequestInfo) -> CertifiedKey | None: ...


@dataclass(frozen=True, slots=True)
class ClientCertificates:
    """A ready-made selector: the first candidate that a CA the server named issued,
    and whose key can sign a scheme the server accepts."""

    candidates: tuple[CertifiedKey, ...]

    def __call__(self, request: CertificateRequestInfo) -> CertifiedKey | None:
        for certified in self.candidates:
            if request.accepts_issuer_of(certified) and request.can_sign_with(certified):
                return certified
        return None


def _validate_tls12_suites(versions: tuple[ProtocolVersion, ProtocolVersion],
                           suites: Sequence[int], groups: Sequence[int],
                           allow_rsa_key_transport: bool) -> None:
    for suite in suites:
        info = TLS12_SUITES.get(suite)  # type: ignore[call-overload]
        if info is None:
            raise ConfigError(f"TLS 1.2 cipher suite {suite!r} is not supported")
        if info.key_exchange == "RSA" and not allow_rsa_key_transport:
            raise ConfigError(f"{info.suite.name} has no forward secrecy; enable it only with "
                              "allow_rsa_key_transport=True")
        if info.key_exchange == "DHE_RSA" and not any(g in FFDHE_PRIMES for g in groups):
            raise ConfigError(f"{info.suite.name} needs an RFC 7919 group (FFDHE2048...) "
                              "among the groups")
    if versions == (ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_2) and not suites:
        raise ConfigError("TLS 1.2 only, but no TLS 1.2 cipher suites enabled")


def _validate_common(versions: tuple[ProtocolVersion, ProtocolVersion],
                     suites: Sequence[int], groups: Sequence[int],
                     schemes: Sequence[int], alpn: Sequence[str],
                     record_size_limit: int | None) -> None:
    minimum, maximum = versions
    if minimum not in _KNOWN_VERSIONS or maximum not in _KNOWN_VERSIONS:
        raise ConfigError("only TLS 1.2 and TLS 1.3 can be enabled; SSL 3.0, TLS 1.0 and "
                          "TLS 1.1 are insecure and refused")
    if minimum > maximum:
        raise ConfigError("minimum_version is above maximum_version")
    if not suites:
        raise ConfigError("no cipher suites enabled")
    for suite in suites:
        if suite not in TLS13_SUITES:
            raise ConfigError(f"cipher suite {suite!r} is not supported")
    if not groups:
        raise ConfigError("no groups enabled")
    for group in groups:
        if group not in SUPPORTED_GROUPS:
            raise ConfigError(f"group {group!r} is not supported")
    if not schemes:
        raise ConfigError("no signature schemes enabled")
    for scheme in schemes:
        if scheme in _TLS13_FORBIDDEN_SCHEMES:
            raise ConfigError(f"{SignatureScheme(scheme).name} cannot sign TLS 1.3 handshakes")
    for name in alpn:
        if not 0 < len(name.encode()) < 256:
            raise ConfigError(f"ALPN protocol name {name!r} must be 1 to 255 bytes")
    if record_size_limit is not None and not 64 <= record_size_limit <= 16385:
        raise ConfigError("record_size_limit must be between 64 and 16385 (RFC 8449 §4)")


def _validate_psk_modes(modes: Sequence[int]) -> None:
    if not modes or len(set(modes)) != len(modes):
        raise ConfigError("psk_key_exchange_modes needs at least one mode, each once")
    for mode in modes:
        if mode not in (PskKeyExchangeMode.PSK_KE, PskKeyExchangeMode.PSK_DHE_KE):
            raise ConfigError(f"unknown PSK key exchange mode {mode!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class _TLSConfig:
    """What clients and servers both configure: preferences, limits, hooks, clock, entropy."""

    alpn_protocols: tuple[str, ...] = ()
    minimum_version: ProtocolVersion = ProtocolVersion.TLS1_2
    maximum_version: ProtocolVersion = ProtocolVersion.TLS1_3
    cipher_suites: tuple[CipherSuite, ...] = DEFAULT_CIPHER_SUITES
    # TLS 1.2's suites, kept apart as OpenSSL keeps its cipher list from its ciphersuites.
    tls12_cipher_suites: tuple[CipherSuite, ...] = DEFAULT_TLS12_CIPHER_SUITES
    # RFC 7627 §5.2/§5.3: refuse a TLS 1.2 peer without extended_master_secret.
    require_extended_master_secret: bool = True
    # TLS_RSA_WITH_* suites (no forward secrecy) are refused unless this is set; the
    # server side then applies the RFC 5246 §7.4.7.1 countermeasure.
    allow_rsa_key_transport: bool = False
    groups: tuple[NamedGroup, ...] = DEFAULT_GROUPS
    signature_schemes: tuple[SignatureScheme, ...] = DEFAULT_SIGNATURE_SCHEMES
    record_size_limit: int | None = None
    padding: PaddingPolicy | None = None
    key_log: KeyLog | None = None
    trace: TraceSink | None = None
    key_update_after_records: int | None = None
    max_handshake_message_size: int = 1 << 18
    clock: Callable[[], float] = time.time
    entropy: Callable[[int], bytes] = os.urandom
    key_pair_factory: KeyPairFactory = generate_key_pair
    # What the engine derives from this config once and reuses for every connection
    # (a client's fixed ClientHello extensions); not part of the config's value.
    derived: dict[str, object] = field(default_factory=dict, init=False, repr=False,
                                       compare=False)

    def __post_init__(self) -> None:
        _validate_common((self.minimum_version, self.maximum_version), self.cipher_suites,
                         self.groups, self.signature_schemes, self.alpn_protocols,
                         self.record_size_limit)
        _validate_tls12_suites((self.minimum_version, self.maximum_version),
                               self.tls12_cipher_suites, self.groups,
                               self.allow_rsa_key_transport)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig(_TLSConfig):
    """How a client connects. `trust` defaults to the operating system's roots."""

    server_name: str | None = None
    trust: TrustStore = field(default_factory=TrustStore.system, repr=False)
    insecure_skip_verification: bool = False
    verifier: CertificateVerifier | None = None
    # None: the default shares (X25519MLKEM768, X25519) among `groups`, else the first group.
    key_share_groups: tuple[NamedGroup, ...] | None = None
    certificate: CertifiedKey | None = None
    # Chooses per CertificateRequest instead of `certificate` (e.g. ClientCertificates).
    certificate_selector: ClientCertificateSelector | None = None
    # Offer post_handshake_auth (§4.2.6): the server may ask for a certificate later.
    post_handshake_auth: bool = False
    grease: bool = False
    middlebox_compatibility: bool = True
    hello_hook: Callable[[ClientHello], ClientHello] | None = None
    # Resumption (RFC 8446 §2.2): tickets are kept here, keyed by server name, and
    # offered once each (bounded, in memory, per config). None: no resumption.
    ticket_store: ClientTicketStore | None = field(default_factory=InMemoryTicketStore,
                                                   repr=False)
    psk_key_exchange_modes: tuple[PskKeyExchangeMode, ...] = DEFAULT_PSK_MODES
    # An out-of-band PSK (§2.2): with one, the server proves itself by knowing it.
    external_psk: ExternalPsk | None = field(default=None, repr=False)
    # 0-RTT (§2.3): offer early data when a ticket allows it (Connection.send_early_data).
    enable_early_data: bool = False

    def __post_init__(self) -> None:
        _TLSConfig.__post_init__(self)
        _validate_psk_modes(self.psk_key_exchange_modes)
        if self.key_share_groups is None:
            shares = tuple(g for g in DEFAULT_KEY_SHARE_GROUPS if g in self.groups)
            object.__setattr__(self, "key_share_groups", shares or self.groups[:1])
        assert self.key_share_groups is not None
        for group in self.key_share_groups:
            if group not in self.groups:
                raise ConfigError(f"key share group {group!r} is not among the enabled groups")
        if self.server_name is not None and not self.server_name:
            raise ConfigError("server_name must not be empty")
        if self.certificate is not None and self.certificate_selector is not None:
            raise ConfigError("give a client certificate or a certificate_selector, not both")
        if self.server_name is None and not self.insecure_skip_verification \
                and self.verifier is None and self.external_psk is None:
            raise ConfigError("server_name is needed to verify the server's certificate; "
                              "give one, or set insecure_skip_verification=True")

    @classmethod
    def for_server(cls, server_name: str, *, ca_file: str | os.PathLike[str] | None = None,
                   **options: object) -> ClientConfig:
        """One call: a client for `server_name`, trusting `ca_file` or the system roots."""
        if ca_file is not None:
            options["trust"] = TrustStore.from_file(ca_file)
        return cls(server_name=server_name, **options)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig(_TLSConfig):
    """How a server answers. Certificates are chosen by SNI and by the client's schemes."""

    certificates: tuple[CertifiedKey, ...] = ()
    certificate_selector: CertificateSelector | None = None
    hello_retry_cookie: bool = True
    # Client authentication (mutual TLS): "none", "optional" or "required", with the
    # roots that client chains must lead to.
    client_auth: str = "none"
    client_trust: TrustStore | None = field(default=None, repr=False)
    # Resumption (§4.6.1): how many tickets each connection gets, and for how long.
    tickets_per_connection: int = 2
    ticket_lifetime: int = 7200
    # §4.6.1 RECOMMENDS bounding how long resumption may stretch the keys of one full,
    # authenticated handshake: tickets issued on resumed connections keep its time,
    # and none resumes after this many seconds (default one day).
    max_session_age: int = 86400
    ticket_keys: TicketKeySource = field(default_factory=RotatingTicketKeys, repr=False)
    psk_key_exchange_modes: tuple[PskKeyExchangeMode, ...] = DEFAULT_PSK_MODES
    # §8.1: record each ticket when used, so it resumes one connection only.
    single_use_tickets: bool = False
    # 0-RTT (§4.2.10): how much early data a ticket allows; 0 turns 0-RTT off.
    max_early_data_size: int = 0
    replay_store: ReplayStore = field(default_factory=InMemoryReplayStore, repr=False)
    external_psks: tuple[ExternalPsk, ...] = field(default=(), repr=False)
    # TLS 1.2 session IDs (RFC 5246 §7.4.1.2); None: no session-ID resumption.
    session_cache: SessionCache | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _TLSConfig.__post_init__(self)
        _validate_psk_modes(self.psk_key_exchange_modes)
        if not self.certificates and self.certificate_selector is None \
                and not self.external_psks:
            raise ConfigError("a server needs at least one certificate (or a selector, "
                              "or external PSKs)")
        if not 0 <= self.tickets_per_connection <= 16:
            raise ConfigError("tickets_per_connection must be between 0 and 16")
        if not 0 < self.ticket_lifetime <= 604800:
            raise ConfigError("ticket_lifetime must be 1 to 604800 seconds (§4.6.1)")
        if self.max_session_age <= 0:
            raise ConfigError("max_session_age must be a positive number of seconds")
        if not 0 <= self.max_early_data_size < 1 << 32:
            raise ConfigError("max_early_data_size must fit in 32 bits")
        if len({p.identity for p in self.external_psks}) != len(self.external_psks):
            raise ConfigError("two external PSKs share an identity")
        if self.client_auth not in ("none", "optional", "required"):
            raise ConfigError("client_auth must be 'none', 'optional' or 'required'")
        if self.client_auth != "none" and self.client_trust is None:
            raise ConfigError("client_auth needs client_trust: the roots client chains lead to")

    @classmethod
    def from_files(cls, certificate_file: str | os.PathLike[str], key_file: str | os.PathLike[str],
                   *, password: bytes | None = None, **options: object) -> ServerConfig:
        """One call: a server with the chain in `certificate_file` and its key."""
        certified = CertifiedKey.from_files(certificate_file, key_file, password)
        return cls(certificates=(certified,), **options)  # type: ignore[arg-type]
