"""Client start: build and send the ClientHello, then wait for the server's answer.

The first flight is built from the config: versions, suites, groups and key
shares, signature schemes, SNI, ALPN, and optionally GREASE (RFC 8701). A
`hello_hook` may rewrite the ClientHello before it is sent (custom handshakes,
protocol research, replaying RFC 8448); the key pairs it must match come from the
config's key-pair factory. What happens once the ServerHello arrives lives in
client13.py and client12.py; the one check both make of the server's chain,
`verify_server`, lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tlsglass._fastinit import fast_init
from tlsglass.config import (
    DEFAULT_CERT_SIGNATURE_SCHEMES,
    TLS12_EXTRA_SIGNATURE_SCHEMES,
    ClientConfig,
)
from tlsglass.crypto.kx import KeyPair
from tlsglass.enums import NamedGroup, ProtocolVersion
from tlsglass.errors import TLSError
from tlsglass.handshake.base import Negotiated, Output, decide, report_trust
from tlsglass.handshake.early13 import begin_early_data, wants_early_data
from tlsglass.handshake.negotiate import is_ip_literal, names
from tlsglass.handshake.psk13 import OfferedPsk, offer_psk
from tlsglass.session import ClientTicket
from tlsglass.wire.extension_block import find, remember_encoding
from tlsglass.wire.extensions import (
    ALPN,
    EcPointFormats,
    ExtendedMasterSecret,
    Extension,
    KeyShareClientHello,
    KeyShareEntry,
    PostHandshakeAuth,
    PskKeyExchangeModes,
    RawExtension,
    RecordSizeLimit,
    RenegotiationInfo,
    ServerNameList,
    SessionTicket,
    SignatureAlgorithms,
    SignatureAlgorithmsCert,
    SupportedGroups,
    SupportedVersionsClientHello,
)
from tlsglass.wire.handshake import ClientHello
from tlsglass.x509 import Certificate as X509Certificate
from tlsglass.x509 import VerifiedChain, verify_server_chain

__all__ = ["ClientHelloSent", "offers_tls12", "session_store_key12", "start_client",
           "verify_server"]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientHelloSent:
    """What the client must remember about its ClientHello to judge the answer."""

    config: ClientConfig = field(repr=False)
    hello: ClientHello
    key_pairs: Mapping[int, KeyPair] = field(repr=False)
    offered_extensions: frozenset[int]
    server_name: str | None
    psk: OfferedPsk | None = None
    # The TLS 1.2 session (ticket or session ID) this ClientHello offers to resume.
    session12: ClientTicket | None = field(default=None, repr=False)


def _grease_value(config: ClientConfig, index: int) -> int:
    """RFC 8701 §3: a random 0x?A?A value; `index` picks a different byte of entropy."""
    nibble = config.entropy(index + 1)[index] & 0xF0
    return (nibble | 0x0A) << 8 | (nibble | 0x0A)


def _offered_versions(config: ClientConfig) -> tuple[int, ...]:
    """Highest first, within [minimum_version, maximum_version] (§4.2.1)."""
    return tuple(v for v in (ProtocolVersion.TLS1_3, ProtocolVersion.TLS1_2)
                 if config.minimum_version <= v <= config.maximum_version)


def _offered_suites(config: ClientConfig) -> tuple[int, ...]:
    suites = config.derived.get("cipher_suites")
    if not isinstance(suites, tuple):
        suites = tuple(int(s) for s in config.cipher_suites)
        if offers_tls12(config):
            suites += tuple(int(s) for s in config.tls12_cipher_suites)
        config.derived["cipher_suites"] = suites
    return suites


def offers_tls12(config: ClientConfig) -> bool:
    return config.minimum_version <= ProtocolVersion.TLS1_2 and bool(config.tls12_cipher_suites)


def _tls12_extensions(config: ClientConfig) -> list[Extension]:
    """What a TLS 1.2 server needs to hear (ignored by a 1.3 server, §4.2)."""
    return [ExtendedMasterSecret(),  # RFC 7627
            RenegotiationInfo(),  # RFC 5746 §3.4: empty on the initial handshake
            EcPointFormats(ec_point_format_list=(0,))]  # RFC 8422 §5.1.2: uncompressed


def session_store_key12(server_name: str | None) -> str:
    """TLS 1.2 sessions are kept apart from 1.3 tickets in the shared ClientTicketStore."""
    return f"tls1.2 {server_name or ''}"


def _offer_session12(config: ClientConfig, session_id: bytes
                     ) -> tuple[tuple[Extension, ...], bytes, ClientTicket | None]:
    """RFC 5077 §3.1 / RFC 5246 §7.4.1.2: ask for a ticket (an empty SessionTicket), or
    offer a kept session: its ticket, with its session ID or a fresh one whose echo will
    tell us the server accepted the ticket (RFC 5077 §3.4).

    Returns the extension to append, the legacy_session_id to send, and the session."""
    store = config.ticket_store
    if store is None or not offers_tls12(config):
        return (), session_id, None
    session = store.take(session_store_key12(config.server_name), config.clock())
    if session is not None and (session.cipher_suite not in config.tls12_cipher_suites
                                or session.version != ProtocolVersion.TLS1_2):
        session = None
    ticket = session.identity if session is not None else b""
    if session is not None:
        session_id = session.session_id or session_id or config.entropy(32)
    return (SessionTicket(ticket=ticket),), session_id, session


def _extensions(config: ClientConfig, shares: tuple[KeyShareEntry, ...]) -> list[Extension]:
    if not config.grease:
        # The same for every connection of this config but for the key shares: built and
        # encoded once (remember_encoding), then reused.
        fixed = config.derived.get("client_hello_extensions")
        if not isinstance(fixed, tuple):
            fixed = tuple(remember_encoding(e) for e in _fixed_extensions(config))
            config.derived["client_hello_extensions"] = fixed
        exts: list[Extension] = list(fixed)
        if config.maximum_version >= ProtocolVersion.TLS1_3:
            exts.append(KeyShareClientHello(client_shares=shares))
        return exts
    exts = _fixed_extensions(config)
    if config.maximum_version >= ProtocolVersion.TLS1_3:
        exts.append(KeyShareClientHello(client_shares=shares))
    # A second GREASE extension, with a code point different from the first.
    code = _grease_value(config, 3)
    if code == exts[0].type_code:
        code ^= 0x1010
    exts.append(RawExtension(code=code, data=b"\x00"))
    return exts


def _fixed_extensions(config: ClientConfig) -> list[Extension]:
    """Every extension of the ClientHello but key_share (and the last GREASE one)."""
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
    schemes = tuple(config.signature_schemes)
    if offers_tls12(config):
        schemes += TLS12_EXTRA_SIGNATURE_SCHEMES
    exts.append(SignatureAlgorithms(values=schemes))
    exts.append(SignatureAlgorithmsCert(values=DEFAULT_CERT_SIGNATURE_SCHEMES))
    if config.alpn_protocols:
        exts.append(ALPN(protocol_name_list=tuple(p.encode() for p in config.alpn_protocols)))
    if config.record_size_limit is not None:
        exts.append(RecordSizeLimit(record_size_limit=config.record_size_limit))
    if offers_tls12(config):
        exts.extend(_tls12_extensions(config))
    if config.maximum_version >= ProtocolVersion.TLS1_3:
        exts.append(SupportedVersionsClientHello(values=tuple(versions)))
        exts.append(PskKeyExchangeModes(ke_modes=tuple(config.psk_key_exchange_modes)))
        if config.post_handshake_auth:  # §4.2.6: TLS 1.3 only
            exts.append(PostHandshakeAuth())
    return exts


def start_client(config: ClientConfig, out: Output) -> ClientHelloSent:
    """Build, hook and send the ClientHello (§4.1.2)."""
    share_groups = config.key_share_groups if config.maximum_version >= ProtocolVersion.TLS1_3 \
        else ()  # key shares are TLS 1.3's; a 1.2 server sends its group first
    key_pairs: dict[int, KeyPair] = {group: config.key_pair_factory(group)
                                     for group in share_groups or ()}
    shares = tuple(KeyShareEntry(group=g, key_exchange=kp.public_bytes())
                   for g, kp in key_pairs.items())
    suites = _offered_suites(config)
    if config.grease:
        suites = (_grease_value(config, 4), *suites)
    random = config.entropy(32)
    # App. D.4: a non-empty session id asks middleboxes to treat this like TLS 1.2.
    session_id = config.entropy(32) if config.middlebox_compatibility else b""
    extensions = _extensions(config, shares)
    # Built once with the TLS 1.2 session offer, not rebuilt by dataclasses.replace (~4 us).
    ticket, session_id, session12 = _offer_session12(config, session_id)
    hello = ClientHello(random=random, legacy_session_id=session_id,
                        cipher_suites=suites, extensions=(*extensions, *ticket))
    if config.hello_hook is not None:
        hello = config.hello_hook(hello)
    # pre_shared_key goes last: its binder covers all the rest (§4.2.11).
    hello, psk = offer_psk(config, hello, out, early=lambda p: wants_early_data(config, p))
    key_share = find(hello.extensions, KeyShareClientHello)
    sent_groups = {s.group for s in key_share.client_shares} if key_share else set()
    key_pairs = {g: kp for g, kp in key_pairs.items() if g in sent_groups}
    if out.tracing and key_pairs:  # no key_share at all when only TLS 1.2 is offered
        decide(out, "key_share", ", ".join(names(NamedGroup, list(key_pairs))),
               names(NamedGroup, list(config.groups)),
               "key shares sent in advance, to save a round trip")
    out.send(hello, encoded=psk.encoded_hello if psk else None)
    psk = begin_early_data(hello, psk, out)
    out.update(Negotiated(server_name=config.server_name, client_random=hello.random))
    return ClientHelloSent(config=config, hello=hello, key_pairs=key_pairs,
                           offered_extensions=frozenset(e.type_code for e in hello.extensions),
                           server_name=config.server_name, psk=psk, session12=session12)


def verify_server(sent: ClientHelloSent, chain: tuple[X509Certificate, ...], out: Output,
                  check_leaf: Callable[[X509Certificate], None] | None = None
                  ) -> VerifiedChain | None:
    """The server's chain judged as the config says (custom verifier, deliberately
    skipped, or the trust store and the name), plus `check_leaf` (TLS 1.2's key-usage
    rule); the verdict, or the refusal, goes to the tracer. None: not verified."""
    config = sent.config
    try:
        if config.verifier is not None:
            verified = config.verifier(chain, sent.server_name, config.clock())
        elif config.insecure_skip_verification:
            verified = None
        else:
            now = datetime.fromtimestamp(config.clock(), UTC)
            verified = verify_server_chain(chain, config.trust, sent.server_name, now)
        if check_leaf is not None:
            check_leaf(chain[0])
    except TLSError as exc:
        report_trust(out, "server", chain, None, server_name=sent.server_name, error=exc)
        raise
    method = ("custom verifier" if config.verifier is not None else
              "verification disabled" if verified is None else "trust store")
    report_trust(out, "server", chain, verified, server_name=sent.server_name, method=method)
    return verified
