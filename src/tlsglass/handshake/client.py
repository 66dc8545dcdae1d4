"""Client start: build and send the ClientHello, then wait for the server's answer.

The first flight is built from the config: versions, suites, groups and key
shares, signature schemes, SNI, ALPN, and optionally GREASE (RFC 8701). A
`hello_hook` may rewrite the ClientHello before it is sent (custom handshakes,
protocol research, replaying RFC 8448); the key pairs it must match come from the
config's key-pair factory. What happens once the ServerHello arrives lives in
client13.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tlsglass.config import DEFAULT_CERT_SIGNATURE_SCHEMES, ClientConfig
from tlsglass.crypto.kx import KeyPair
from tlsglass.enums import NamedGroup, ProtocolVersion
from tlsglass.handshake.base import Negotiated, Output, decide
from tlsglass.handshake.early13 import begin_early_data, wants_early_data
from tlsglass.handshake.negotiate import is_ip_literal, names
from tlsglass.handshake.psk13 import OfferedPsk, offer_psk
from tlsglass.wire.extension_block import find
from tlsglass.wire.extensions import (
    ALPN,
    Extension,
    KeyShareClientHello,
    KeyShareEntry,
    PostHandshakeAuth,
    PskKeyExchangeModes,
    RawExtension,
    RecordSizeLimit,
    ServerNameList,
    SignatureAlgorithms,
    SignatureAlgorithmsCert,
    SupportedGroups,
    SupportedVersionsClientHello,
)
from tlsglass.wire.handshake import ClientHello

__all__ = ["ClientHelloSent", "start_client"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientHelloSent:
    """What the client must remember about its ClientHello to judge the answer."""

    config: ClientConfig = field(repr=False)
    hello: ClientHello
    key_pairs: Mapping[int, KeyPair] = field(repr=False)
    offered_extensions: frozenset[int]
    server_name: str | None
    psk: OfferedPsk | None = None


def _grease_value(config: ClientConfig, index: int) -> int:
    """RFC 8701 §3: a random 0x?A?A value; `index` picks a different byte of entropy."""
    nibble = config.entropy(index + 1)[index] & 0xF0
    return (nibble | 0x0A) << 8 | (nibble | 0x0A)


def _offered_versions(config: ClientConfig) -> tuple[int, ...]:
    # TLS 1.2 is spoken by the 1.2 handshake once it lands; until then only 1.3 is offered.
    return (ProtocolVersion.TLS1_3,)


def _extensions(config: ClientConfig, shares: tuple[KeyShareEntry, ...]) -> list[Extension]:
    grease = config.grease
    exts: list[Extension] = []
    if grease:
        exts.append(RawExtension(code=_grease_value(config, 0), data=b""))
    if config.server_name is not None and not is_ip_literal(config.server_name):
        # RFC 6066 §3: literal IP addresses are not permitted in server_name.
        exts.append(ServerNameList(names=((0, config.server_name.encode("idna")),)))
    groups = [int(g) for g in config.groups]
    versions = list(_offered_versions(config))
    if grease:
        groups.insert(0, _grease_value(config, 1))
        versions.insert(0, _grease_value(config, 2))
    exts.append(SupportedGroups(values=tuple(groups)))
    exts.append(SignatureAlgorithms(values=tuple(config.signature_schemes)))
    exts.append(SignatureAlgorithmsCert(values=DEFAULT_CERT_SIGNATURE_SCHEMES))
    if config.alpn_protocols:
        exts.append(ALPN(protocol_name_list=tuple(p.encode() for p in config.alpn_protocols)))
    if config.record_size_limit is not None:
        exts.append(RecordSizeLimit(record_size_limit=config.record_size_limit))
    exts.append(SupportedVersionsClientHello(values=tuple(versions)))
    exts.append(PskKeyExchangeModes(ke_modes=tuple(config.psk_key_exchange_modes)))
    if config.post_handshake_auth:
        exts.append(PostHandshakeAuth())
    exts.append(KeyShareClientHello(client_shares=shares))
    if grease:
        # A second GREASE extension, with a code point different from the first.
        code = _grease_value(config, 3)
        if code == exts[0].type_code:
            code ^= 0x1010
        exts.append(RawExtension(code=code, data=b"\x00"))
    return exts


def start_client(config: ClientConfig, out: Output) -> ClientHelloSent:
    """Build, hook and send the ClientHello (§4.1.2)."""
    key_pairs: dict[int, KeyPair] = {group: config.key_pair_factory(group)
                                     for group in config.key_share_groups or ()}
    shares = tuple(KeyShareEntry(group=g, key_exchange=kp.public_bytes())
                   for g, kp in key_pairs.items())
    suites = [int(s) for s in config.cipher_suites]
    if config.grease:
        suites.insert(0, _grease_value(config, 4))
    hello = ClientHello(
        random=config.entropy(32),
        # App. D.4: a non-empty session id asks middleboxes to treat this like TLS 1.2.
        legacy_session_id=config.entropy(32) if config.middlebox_compatibility else b"",
        cipher_suites=tuple(suites),
        extensions=tuple(_extensions(config, shares)),
    )
    if config.hello_hook is not None:
        hello = config.hello_hook(hello)
    # pre_shared_key goes last: its binder covers all the rest (§4.2.11).
    hello, psk = offer_psk(config, hello, out, early=lambda p: wants_early_data(config, p))
    key_share = find(hello.extensions, KeyShareClientHello)
    sent_groups = {s.group for s in key_share.client_shares} if key_share else set()
    key_pairs = {g: kp for g, kp in key_pairs.items() if g in sent_groups}
    if out.tracing:  # the names are built only for a listening tracer
        decide(out, "key_share", ", ".join(names(NamedGroup, list(key_pairs))),
               names(NamedGroup, list(config.groups)),
               "key shares sent in advance, to save a round trip")
    out.send(hello)
    psk = begin_early_data(hello, psk, out)
    out.update(Negotiated(server_name=config.server_name, client_random=hello.random))
    return ClientHelloSent(config=config, hello=hello, key_pairs=key_pairs,
                           offered_extensions=frozenset(e.type_code for e in hello.extensions),
                           server_name=config.server_name, psk=psk)

