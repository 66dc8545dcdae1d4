"""Pure selection functions: each takes what both sides offer and returns a choice and why.

Nothing here sends, stores or traces; states call these and report the reasons.
A failure raises the error whose alert RFC 8446 names for it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from tlsglass._fastinit import fast_init
from tlsglass.config import CertificateRequestInfo, CertifiedKey, ClientConfig, ServerConfig
from tlsglass.crypto.sign import PublicKey, schemes_for_key
from tlsglass.enums import CipherSuite, NamedGroup, SignatureScheme, describe
from tlsglass.errors import (
    HandshakeFailure,
    IllegalParameter,
    NoApplicationProtocol,
)
from tlsglass.wire.extensions import KeyShareEntry

__all__ = [
    "Choice",
    "certificate_candidates",
    "check_client_key_shares",
    "choose_client_certificate",
    "is_ip_literal",
    "names",
    "select_alpn",
    "select_certificate",
    "select_cipher_suite",
    "select_key_share",
    "select_signature_scheme",
]


@fast_init
@dataclass(frozen=True, slots=True)
class Choice:
    """A selected value with the reason, for the tracer."""

    value: int
    reason: str


def names(enum_type: type[CipherSuite] | type[NamedGroup] | type[SignatureScheme],
          values: Sequence[int]) -> tuple[str, ...]:
    return tuple(describe(enum_type, v) for v in values)


def is_ip_literal(name: str) -> bool:
    if not name[:1].isdigit() and ":" not in name:
        return False  # a host name: skip ipaddress, whose failure path costs ~4 us
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def select_cipher_suite(ours: Sequence[int], offered: Sequence[int]) -> Choice:
    """The server's preference order wins (§4.1.1 leaves the order to the server)."""
    offered_set = set(offered)
    for suite in ours:
        if suite in offered_set:
            return Choice(suite, "first of the server's suites that the client also offers")
    raise HandshakeFailure("no cipher suite in common: client offers "
                           f"{', '.join(names(CipherSuite, offered))}")


def check_client_key_shares(shares: Sequence[KeyShareEntry], supported: Sequence[int]) -> None:
    """§4.2.8: one share per group, each in supported_groups, in the same order."""
    positions = {group: index for index, group in enumerate(supported)}
    last = -1
    seen: set[int] = set()
    for share in shares:
        if share.group in seen:
            raise IllegalParameter(f"two key shares for group {share.group:#06x}")
        seen.add(share.group)
        position = positions.get(share.group)
        if position is None:
            raise IllegalParameter(f"key share for {describe(NamedGroup, share.group)}, "
                                   "which supported_groups does not list")
        if position < last:
            raise IllegalParameter("key shares are not in supported_groups order")
        last = position


@fast_init
@dataclass(frozen=True, slots=True)
class KeyShareChoice:
    """Either a client share to use now, or a group to ask for with a HelloRetryRequest."""

    share: KeyShareEntry | None
    retry_group: int | None
    reason: str


def select_key_share(ours: Sequence[int], client_groups: Sequence[int],
                     shares: Sequence[KeyShareEntry]) -> KeyShareChoice:
    """The server's most preferred group the client sent a share for; else ask (§4.1.4).

    A share already in hand beats a more preferred group that would cost a
    HelloRetryRequest round trip, as deployed servers choose.
    """
    by_group = {share.group: share for share in shares}
    for group in ours:
        if group in by_group:
            return KeyShareChoice(by_group[group], None,
                                  "server's most preferred group with a client key share")
    common = [group for group in ours if group in set(client_groups)]
    if common:
        return KeyShareChoice(None, common[0],
                              "no usable key share; asking for the server's preferred "
                              "common group with a HelloRetryRequest")
    raise HandshakeFailure("no key exchange group in common: client offers "
                           f"{', '.join(names(NamedGroup, client_groups))}")


def select_signature_scheme(key_schemes: Sequence[int], ours: Sequence[int],
                            peer: Sequence[int]) -> int | None:
    """The first scheme this key can make that we allow and the peer accepts."""
    allowed = set(ours) & set(peer)
    for scheme in key_schemes:
        if scheme in allowed:
            return scheme
    return None


def _name_matches(certified: CertifiedKey, server_name: str) -> bool:
    leaf = certified.leaf
    if is_ip_literal(server_name):
        return server_name in leaf.ip_addresses
    wanted = server_name.lower().rstrip(".")
    for pattern in leaf.dns_names:
        pattern = pattern.lower()
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def certificate_candidates(config: ServerConfig, server_name: str | None,
                           peer_schemes: Sequence[int]) -> tuple[Sequence[CertifiedKey], str]:
    """The configured chains, those naming `server_name` first, and why."""
    if config.certificate_selector is not None:
        chosen = config.certificate_selector(server_name, peer_schemes)
        return (chosen,) if chosen is not None else (), "chosen by the certificate selector"
    named = [c for c in config.certificates
             if server_name is not None and _name_matches(c, server_name)]
    reason = ("its names match the requested server name" if named
              else "no certificate names the requested server; using the default")
    return [*named, *(c for c in config.certificates if c not in named)], reason


def select_certificate(config: ServerConfig, server_name: str | None,
                       peer_schemes: Sequence[int]) -> tuple[CertifiedKey, int, str]:
    """§4.4.2.2: a chain whose key can sign with a scheme the client accepts, by SNI first."""
    candidates, reason = certificate_candidates(config, server_name, peer_schemes)
    for certified in candidates:
        scheme = select_signature_scheme(schemes_for_key(certified.private_key),
                                         config.signature_schemes, peer_schemes)
        if scheme is not None:
            return certified, scheme, reason
    raise HandshakeFailure("no certificate can sign with a scheme the client accepts: "
                           f"client offers {', '.join(names(SignatureScheme, peer_schemes))}")


def select_alpn(ours: Sequence[str], offered: Sequence[bytes]) -> str | None:
    """RFC 7301 §3.2: server preference; no overlap is fatal (no_application_protocol)."""
    if not ours or not offered:
        return None
    offered_set = set(offered)
    for name in ours:
        if name.encode() in offered_set:
            return name
    shown = ", ".join(repr(p) for p in offered)
    raise NoApplicationProtocol(f"none of the client's protocols ({shown}) is supported")


def scheme_fits_key(scheme: int, key: PublicKey) -> bool:
    return scheme in schemes_for_key(key)


def choose_client_certificate(config: ClientConfig, info: CertificateRequestInfo
                              ) -> CertifiedKey | None:
    """The chain to answer a CertificateRequest with, in TLS 1.3 and 1.2 alike: the
    config's selector hook decides when there is one, else the configured certificate."""
    if config.certificate_selector is not None:
        return config.certificate_selector(info)
    return config.certificate
