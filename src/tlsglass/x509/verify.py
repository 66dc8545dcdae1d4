"""Chain and name verification for the peer's Certificate message.

`verify_server_chain` and `verify_client_chain` take the certificates exactly as
the peer sent them (leaf first, the rest untrusted intermediates in any order,
RFC 8446 §4.4.2), a `TrustStore` and the time, and either return a
`VerifiedChain` (leaf first, ending at the trust anchor) or raise the
ProtocolError whose alert names the reason (convention 6; the table is in
`_diagnose`). Path building and the Web PKI rules are cryptography's
(`cryptography.x509.verification`); before handing over we check the leaf's
validity window ourselves, so an expired leaf is reported with its dates.

No clock is read here: `now` is an argument, as everywhere in the engine.

Door: `VerifiedChain`, `verify_server_chain`, `verify_client_chain`,
`normalize_server_name`, `DEFAULT_MAX_CHAIN_DEPTH`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import DNSName, IPAddress
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    ServerVerifier,
    Subject,
    VerificationError,
)

from tlsglass._fastinit import fast_init
from tlsglass.errors import BadCertificate, ConfigError, UnknownCA
from tlsglass.x509._diagnose import Attempt, check_validity, explain
from tlsglass.x509.certificate import Certificate
from tlsglass.x509.trust import TrustStore

__all__ = [
    "DEFAULT_MAX_CHAIN_DEPTH",
    "VerifiedChain",
    "normalize_server_name",
    "verify_client_chain",
    "verify_server_chain",
]

# Intermediates allowed between leaf and trust anchor (cryptography's default).
DEFAULT_MAX_CHAIN_DEPTH: Final = 8

# A DNS label (RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1): letters, digits, inner hyphens.
_DNS_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_MAX_DNS_NAME: Final = 253


@fast_init
@dataclass(frozen=True, slots=True)
class VerifiedChain:
    """A chain that verified: leaf first, ending at the trust anchor from the store.

    `server_name` is the (normalised) name the leaf was checked against, or None
    when the caller explicitly asked for no name check.
    """

    chain: tuple[Certificate, ...]
    server_name: str | None = None

    def __post_init__(self) -> None:
        if not self.chain:
            raise BadCertificate("no certificate")

    @property
    def leaf(self) -> Certificate:
        return self.chain[0]

    @property
    def trust_anchor(self) -> Certificate:
        return self.chain[-1]


def verify_server_chain(
    chain: Sequence[Certificate],
    store: TrustStore,
    server_name: str | None,
    now: datetime,
    *,
    max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH,
) -> VerifiedChain:
    """Verify a server's chain for `server_name` (a DNS name or an IP literal) at `now`.

    `server_name=None` skips only the name check, and only because the caller said
    so: the chain, validity dates and serverAuth usage are still verified. A naive
    `now` is taken to be UTC.
    """
    leaf, intermediates = _split(chain)
    when = _as_utc(now)
    name = None if server_name is None else normalize_server_name(server_name)
    attempt = Attempt(
        leaf=leaf,
        intermediates=intermediates,
        store=store,
        now=when,
        server_name=name,
        purpose="server",
        max_chain_depth=_checked_depth(max_chain_depth),
    )
    check_validity(leaf, when)
    builder = _builder(attempt)
    try:
        if name is None:
            path = _verify_without_name(builder, attempt)
        else:
            path = _server_verifier(builder, name).verify(
                leaf.pyca, [c.pyca for c in intermediates]
            )
    except VerificationError as exc:
        if leaf.is_self_issued and leaf not in store:
            # Trust comes first: an untrusted self-signed certificate's other faults
            # (a missing subjectAltName, say) are beside the point.
            raise UnknownCA(f"certificate for '{leaf.subject}' is self-signed and is not "
                            "in the trust store") from exc
        raise explain(str(exc), attempt) from exc
    return VerifiedChain(_ours(path, chain, store), name)


def verify_client_chain(
    chain: Sequence[Certificate],
    store: TrustStore,
    now: datetime,
    *,
    max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH,
) -> VerifiedChain:
    """Verify a client's chain (mutual TLS) at `now`: trust, dates and clientAuth usage.

    Unlike the Web PKI server profile, a client certificate need not carry a
    subjectAltName; who the client is stays the application's decision.
    """
    leaf, intermediates = _split(chain)
    when = _as_utc(now)
    attempt = Attempt(
        leaf=leaf,
        intermediates=intermediates,
        store=store,
        now=when,
        server_name=None,
        purpose="client",
        max_chain_depth=_checked_depth(max_chain_depth),
    )
    check_validity(leaf, when)
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    builder = _builder(attempt).extension_policies(
        ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy
    )
    try:
        verified = builder.build_client_verifier().verify(
            leaf.pyca, [c.pyca for c in intermediates]
        )
    except VerificationError as exc:
        raise explain(str(exc), attempt) from exc
    return VerifiedChain(_ours(verified.chain, chain, store), None)


@functools.lru_cache(maxsize=256)  # a pure function of the name, asked every handshake
def normalize_server_name(name: str) -> str:
    """The form a name is matched in: an IP literal canonicalised, or a lower-case A-label name.

    A trailing dot is dropped (RFC 6066 §3: SNI carries no trailing dot), brackets
    around an IPv6 literal are removed, and an internationalised name becomes its
    A-label (IDNA). ConfigError if what is left is neither a DNS name nor an IP address.
    """
    literal = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    if literal[:1].isdigit() or ":" in literal:  # else not an IP literal: skip ipaddress
        try:
            return str(ipaddress.ip_address(literal))
        except ValueError:
            pass
    host = name.removesuffix(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ConfigError(f"server name {name!r} is not a valid IDNA name") from exc
    labels = host.split(".")
    if len(host) > _MAX_DNS_NAME or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise ConfigError(f"server name {name!r} is neither a DNS name nor an IP address")
    return host


def _split(chain: Sequence[Certificate]) -> tuple[Certificate, tuple[Certificate, ...]]:
    if not chain:
        raise BadCertificate("no certificate")
    return chain[0], tuple(chain[1:])


def _as_utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _checked_depth(depth: int) -> int:
    # cryptography stores the depth in a u8.
    if not 0 <= depth <= 255:
        raise ConfigError(f"max_chain_depth must be between 0 and 255, not {depth}")
    return depth


def _builder(a: Attempt) -> PolicyBuilder:
    return _timeless_builder(a.store, a.max_chain_depth).time(a.now)


# Builders are immutable (each step returns a new one) and trust stores compare by
# identity, so the part that does not depend on the time is made once per store.
@functools.lru_cache(maxsize=32)
def _timeless_builder(store: TrustStore, max_chain_depth: int) -> PolicyBuilder:
    return PolicyBuilder().store(store.pyca_store).max_chain_depth(max_chain_depth)


@functools.lru_cache(maxsize=256)  # immutable, and asked for every handshake
def _subject(name: str) -> Subject:
    """`name` must already be normalised."""
    if not name[:1].isdigit() and ":" not in name:
        return DNSName(name)
    try:
        return IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return DNSName(name)


def _server_verifier(builder: PolicyBuilder, name: str) -> ServerVerifier:
    try:
        return builder.build_server_verifier(_subject(name))
    except ValueError as exc:  # cryptography's own name rules, should ours ever differ
        raise ConfigError(f"server name {name!r} is not usable: {exc}") from exc


def _verify_without_name(builder: PolicyBuilder, a: Attempt) -> list[x509.Certificate]:
    """Server verification with the name check satisfied by one of the leaf's own names.

    cryptography's server verifier always matches a subject; offering a name the
    leaf itself carries keeps every other rule (chain, dates, serverAuth, and the
    subjectAltName being present) in force.
    """
    intermediates = [c.pyca for c in a.intermediates]
    for candidate in (*a.leaf.ip_addresses, *a.leaf.dns_names):
        # A wildcard SAN stands for any one label in its place.
        name = "wildcard" + candidate[1:] if candidate.startswith("*.") else candidate
        try:
            verifier = builder.build_server_verifier(_subject(normalize_server_name(name)))
        except (ConfigError, ValueError):
            continue
        return verifier.verify(a.leaf.pyca, intermediates)
    # No usable name at all: let cryptography say what it makes of the leaf.
    return builder.build_server_verifier(DNSName("invalid")).verify(a.leaf.pyca, intermediates)


def _ours(
    path: Sequence[x509.Certificate], given: Sequence[Certificate], store: TrustStore
) -> tuple[Certificate, ...]:
    """Map cryptography's path back to the Certificate objects we were handed."""
    # cryptography returns the very objects it was given (ours, and the store's), so
    # they are matched by identity: hashing a certificate hashes all its DER (~11 us
    # a chain; convention 16). Equality is the fallback.
    ours: list[Certificate] = []
    for pyca in path:
        cert = _given(pyca, given) or store.anchor_for(pyca)
        ours.append(cert if cert is not None else Certificate(pyca.public_bytes(Encoding.DER)))
    return tuple(ours)


def _given(pyca: x509.Certificate, given: Sequence[Certificate]) -> Certificate | None:
    for cert in given:
        if cert.pyca is pyca:
            return cert
    for cert in given:
        if cert.pyca == pyca:
            return cert
    return None
