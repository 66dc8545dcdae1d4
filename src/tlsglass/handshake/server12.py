"""Server TLS 1.2, full handshake (RFC 5246 §7.3), once `choose_version` picked 1.2.

    Start (server13) --ClientHello: start12 sends ServerHello, Certificate,
        ServerKeyExchange, [CertificateRequest,] ServerHelloDone--> WAIT_CLIENT_KEY_EXCHANGE
        (or WAIT_CLIENT_CERTIFICATE first)
    WAIT_CLIENT_KEY_EXCHANGE --ClientKeyExchange: master secret--> WAIT_CCS
        (or WAIT_CERTIFICATE_VERIFY first)
    WAIT_CCS --ChangeCipherSpec: read key--> WAIT_FINISHED
    WAIT_FINISHED --Finished: send ChangeCipherSpec, Finished--> CONNECTED

`read_offer12` checks the ClientHello once; `plan12` picks suite, certificate,
signature scheme, group and ALPN with their reasons. A server that can also speak
TLS 1.3 marks its random with the downgrade sentinel (RFC 8446 §4.1.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from tlsglass.config import TLS12_EXTRA_SIGNATURE_SCHEMES, CertifiedKey, ServerConfig
from tlsglass.crypto import sign
from tlsglass.crypto.kx import FFDHE_PRIMES, KeyPair
from tlsglass.crypto.suites import TLS12_SUITES, SuiteInfo
from tlsglass.enums import (
    CipherSuite,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
    describe,
)
from tlsglass.errors import DecryptError, HandshakeFailure, IllegalParameter
from tlsglass.events import HandshakeComplete
from tlsglass.handshake.base import Negotiated, Output, State, decide
from tlsglass.handshake.connected12 import (
    Connected12,
    SessionKeys12,
    change_read_cipher,
    change_write_cipher,
    derive_session_keys,
    finished12,
    signed_params_content,
    verify_finished12,
)
from tlsglass.handshake.kx12 import (
    ECDHE_GROUPS,
    ECDSA_SIGN,
    RSA_SIGN,
    is_dhe,
    is_rsa,
    scheme_fits_kind,
    server_params,
    server_premaster,
)
from tlsglass.handshake.negotiate import certificate_candidates, names, select_alpn
from tlsglass.handshake.resume12 import (
    find_session12,
    issue_ticket12,
    keys_from_state,
    peer_certificates,
    remember_session12,
    resume_server12,
)
from tlsglass.handshake.server import server_name_of
from tlsglass.wire.buffer import Writer
from tlsglass.wire.extension_block import find, find_raw
from tlsglass.wire.extensions import (
    ALPN,
    EcPointFormats,
    ExtendedMasterSecret,
    Extension,
    RecordSizeLimit,
    RenegotiationInfo,
    ServerNameAck,
    SessionTicket,
    SignatureAlgorithms,
    SupportedGroups,
)
from tlsglass.wire.handshake import (
    TLS12_DOWNGRADE_SENTINEL,
    CertificateVerify,
    ClientHello,
    Finished,
    HandshakeMessage,
    ServerHello,
)
from tlsglass.wire.handshake12 import (
    Certificate12,
    CertificateRequest12,
    ClientKeyExchange,
    ServerHelloDone,
    ServerKeyExchange,
    SignedParams,
)
from tlsglass.wire.ticket import SessionState
from tlsglass.x509 import Certificate as X509Certificate
from tlsglass.x509 import verify_client_chain

__all__ = ["Offer12", "Plan12", "WaitCertificateVerify", "WaitChangeCipherSpec",
           "WaitClientCertificate", "WaitClientKeyExchange", "WaitFinished", "plan12",
           "read_offer12", "start12"]



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


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan12:
    """The server's choices for a TLS 1.2 handshake."""

    suite: SuiteInfo
    certified: CertifiedKey = field(repr=False)
    signature_scheme: int
    group: NamedGroup | None
    alpn: str | None


def _scheme_for(certified: CertifiedKey, suite: SuiteInfo, ours: Sequence[int],
                peer: Sequence[int]) -> int | None:
    """A scheme the certificate's key makes, of the suite's kind, that both sides accept.
    With RSA key transport nothing is signed, but the key must still be an RSA key."""
    allowed = set(ours) & set(peer)
    if is_rsa(suite.key_exchange):
        allowed = set(sign.tls12_schemes_for_key(certified.private_key))
    for scheme in sign.tls12_schemes_for_key(certified.private_key):
        if scheme in allowed and scheme_fits_kind(scheme, suite.key_exchange):
            return scheme
    return None


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
            scheme = _scheme_for(certified, suite, ours, offer.signature_schemes)
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


def _server_random(config: ServerConfig) -> bytes:
    random = config.entropy(32)
    if config.maximum_version >= ProtocolVersion.TLS1_3:
        # RFC 8446 §4.1.3: tell a 1.3-capable client that it was downgraded.
        return random[:24] + TLS12_DOWNGRADE_SENTINEL
    return random


def _extensions(config: ServerConfig, offer: Offer12, alpn: str | None, issue_ticket: bool,
                out: Output) -> tuple[Extension, ...]:
    exts: list[Extension] = []
    if offer.secure_renegotiation:
        exts.append(RenegotiationInfo())  # RFC 5746 §3.6
    if offer.extended_master_secret:
        exts.append(ExtendedMasterSecret())  # RFC 7627 §5.2
    if offer.ec_point_formats:
        exts.append(EcPointFormats(ec_point_format_list=(0,)))  # RFC 8422 §5.2
    if offer.server_name is not None:
        exts.append(ServerNameAck())  # RFC 6066 §3
    if alpn is not None:
        exts.append(ALPN(protocol_name_list=(alpn.encode(),)))
    if issue_ticket:
        exts.append(SessionTicket())  # RFC 5077 §3.2: a NewSessionTicket will follow
    if offer.record_size_limit is not None:
        own = config.record_size_limit or 16384
        exts.append(RecordSizeLimit(record_size_limit=own))
        # RFC 8449 §4: TLS 1.2 limits count plaintext only; Output counts 1.3's type byte.
        out.set_peer_record_size_limit(offer.record_size_limit + 1)
        out.set_own_record_size_limit(own + 1)
    return tuple(exts)


def start12(config: ServerConfig, hello: ClientHello, out: Output) -> State:
    """ServerHello, Certificate, ServerKeyExchange, ServerHelloDone; or, for a session we
    can resume, the abbreviated handshake (resume12.py)."""
    offer = read_offer12(config, hello)
    issue_ticket = offer.session_ticket is not None and config.tickets_per_connection > 0
    session = find_session12(config, offer.session_ticket, hello.legacy_session_id,
                             offer.server_name, offer.extended_master_secret,
                             hello.cipher_suites)
    if session is not None:
        return _resume(config, offer, session, issue_ticket, out)
    chosen = plan12(config, offer, out)
    suite = chosen.suite
    if config.client_auth != "none":
        out.transcript.keep_messages()  # for the client's CertificateVerify
    out.transcript.choose_hash(suite.hash_name)
    server_random = _server_random(config)
    # RFC 5246 §7.4.1.3: a session ID only when we can resume by it.
    session_id = config.entropy(32) if config.session_cache is not None else b""
    out.send(ServerHello(random=server_random, legacy_session_id_echo=session_id,
                         cipher_suite=suite.suite,
                         extensions=_extensions(config, offer, chosen.alpn, issue_ticket, out)))
    out.send(Certificate12(certificate_list=tuple(c.der for c in chosen.certified.chain)))
    pair = None
    if chosen.group is not None:  # no ServerKeyExchange with RSA key transport (§7.4.3)
        pair = config.key_pair_factory(chosen.group)
        out.send(ServerKeyExchange(body=_signed_params(chosen, pair, hello.random,
                                                       server_random)))
    if config.client_auth != "none":
        out.send(_certificate_request12(config))
    out.send(ServerHelloDone())
    negotiated = Negotiated(version=ProtocolVersion.TLS1_2, cipher_suite=suite.suite,
                            group=chosen.group, signature_scheme=chosen.signature_scheme,
                            alpn_protocol=chosen.alpn, server_name=offer.server_name,
                            client_random=hello.random)
    out.update(negotiated)
    state = WaitClientCertificate if config.client_auth != "none" else WaitClientKeyExchange
    return state(config=config, suite=suite, negotiated=negotiated, server_random=server_random,
                 key_pair=pair, certified=chosen.certified, client_version=hello.legacy_version,
                 extended_master_secret=offer.extended_master_secret, session_id=session_id,
                 issue_ticket=issue_ticket)


def _resume(config: ServerConfig, offer: Offer12, session: SessionState, issue_ticket: bool,
            out: Output) -> State:
    """RFC 5246 §7.3 abbreviated handshake: ServerHello echoing the client's session ID
    (RFC 5077 §3.4), then resume12.py sends [NewSessionTicket,] ChangeCipherSpec, Finished."""
    hello = offer.hello
    suite = TLS12_SUITES[CipherSuite(session.cipher_suite)]
    alpn = select_alpn(config.alpn_protocols, offer.alpn)
    out.transcript.choose_hash(suite.hash_name)
    server_random = _server_random(config)
    out.send(ServerHello(random=server_random, legacy_session_id_echo=hello.legacy_session_id,
                         cipher_suite=suite.suite,
                         extensions=_extensions(config, offer, alpn, issue_ticket, out)))
    keys = keys_from_state(session, hello.random, server_random)
    out.log_secret("CLIENT_RANDOM", hello.random, keys.master_secret)
    n = Negotiated(version=ProtocolVersion.TLS1_2, cipher_suite=suite.suite, alpn_protocol=alpn,
                   server_name=offer.server_name, client_random=hello.random,
                   peer_certificates=peer_certificates(session))
    return resume_server12(config, keys, n, issue_ticket, out)


def _certificate_request12(config: ServerConfig) -> CertificateRequest12:
    """RFC 5246 §7.4.4: the key types and schemes we accept and, if short, the CAs we trust."""
    names: tuple[bytes, ...] = ()
    trust = config.client_trust
    if trust is not None:
        names = tuple(c.subject_der for c in trust.certificates)
        if sum(len(n) + 2 for n in names) >= 8192:
            names = ()  # a hint; a whole system store helps nobody
    return CertificateRequest12(
        certificate_types=(RSA_SIGN, ECDSA_SIGN),
        supported_signature_algorithms=(*config.signature_schemes,
                                        *TLS12_EXTRA_SIGNATURE_SCHEMES),
        certificate_authorities=names)


def _signed_params(chosen: Plan12, pair: KeyPair, client_random: bytes,
                   server_random: bytes) -> bytes:
    """RFC 8422 §5.4 / RFC 5246 §7.4.3: the (EC)DHE parameters, signed with the
    certificate's key."""
    assert chosen.group is not None
    params = server_params(chosen.group, pair)
    w = Writer()
    params.encode(w)
    content = signed_params_content(client_random, server_random, w.getvalue())
    signature = sign.sign(SignatureScheme(chosen.signature_scheme),
                          chosen.certified.private_key, content, curve_bound=False)
    w = Writer()
    SignedParams(params=params, algorithm=chosen.signature_scheme,
                 signature=signature).encode(w)
    return w.getvalue()


@dataclass(frozen=True, slots=True, kw_only=True)
class _State12(State):
    tls12: ClassVar[bool] = True
    config: ServerConfig = field(repr=False)
    suite: SuiteInfo
    negotiated: Negotiated
    # Resumption later: the session ID we sent, and whether a ticket was promised.
    session_id: bytes = field(default=b"", repr=False)
    issue_ticket: bool = False

    def _session(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "issue_ticket": self.issue_ticket}


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitClientKeyExchange(_State12):
    """The client's ECDHE public value: the master secret can be made."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.CLIENT_KEY_EXCHANGE})
    server_random: bytes = field(repr=False)
    key_pair: KeyPair | None = field(repr=False)
    certified: CertifiedKey = field(repr=False)
    client_version: int
    extended_master_secret: bool

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, ClientKeyExchange)
        pre_master_secret = server_premaster(
            self.suite.key_exchange, msg.body, self.key_pair, self.certified.private_key,
            self.client_version, self.config.entropy)
        keys = derive_session_keys(self.suite, pre_master_secret, self.extended_master_secret,
                                   self.negotiated.client_random, self.server_random, out)
        state = WaitCertificateVerify if self.negotiated.peer_certificates \
            else WaitChangeCipherSpec
        return state(config=self.config, suite=self.suite, negotiated=self.negotiated,
                     keys=keys, **self._session())


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitClientCertificate(WaitClientKeyExchange):
    """After our CertificateRequest: the client's chain, possibly empty (RFC 5246 §7.4.6)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.CERTIFICATE})

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Certificate12)
        chain: tuple[X509Certificate, ...] = ()
        if not msg.certificate_list:
            if self.config.client_auth == "required":
                # RFC 5246 §7.4.6: a server that requires one may refuse with handshake_failure.
                raise HandshakeFailure("the client sent no certificate")
            decide(out, "client_certificate", "none", (), "the client has none; optional")
        else:
            chain = tuple(X509Certificate.from_der(der) for der in msg.certificate_list)
            trust = self.config.client_trust
            assert trust is not None
            verify_client_chain(chain, trust, datetime.fromtimestamp(self.config.clock(), UTC))
            decide(out, "client_certificate", chain[0].subject, (),
                   "its chain leads to a root the server trusts for clients")
        return WaitClientKeyExchange(
            config=self.config, suite=self.suite,
            negotiated=replace(self.negotiated, peer_certificates=chain),
            server_random=self.server_random, key_pair=self.key_pair, certified=self.certified,
            client_version=self.client_version,
            extended_master_secret=self.extended_master_secret, **self._session())


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitChangeCipherSpec(_State12):
    """The client's ChangeCipherSpec switches our read state (RFC 5246 §7.1)."""

    keys: SessionKeys12

    def change_cipher_spec(self, out: Output) -> State:
        change_read_cipher(self.keys, out)
        return WaitFinished(config=self.config, suite=self.suite, negotiated=self.negotiated,
                            keys=self.keys, **self._session())


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitCertificateVerify(WaitChangeCipherSpec):
    """The client proves it holds its certificate's key (RFC 5246 §7.4.8)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.CERTIFICATE_VERIFY})

    def change_cipher_spec(self, out: Output) -> State:
        return State.change_cipher_spec(self, out)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, CertificateVerify)
        if msg.algorithm not in (*self.config.signature_schemes,
                                 *TLS12_EXTRA_SIGNATURE_SCHEMES):
            raise IllegalParameter(
                f"client CertificateVerify uses {describe(SignatureScheme, msg.algorithm)}, "
                "which we did not ask for")
        content = out.transcript.kept_messages(before_last=True)
        leaf = self.negotiated.peer_certificates[0]
        if not sign.verify(msg.algorithm, leaf.public_key, content, msg.signature,
                           curve_bound=False):
            raise DecryptError("client CertificateVerify signature does not verify")
        return WaitChangeCipherSpec(config=self.config, suite=self.suite,
                                    negotiated=self.negotiated, keys=self.keys,
                                    **self._session())


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitFinished(WaitChangeCipherSpec):
    """The client's Finished; ours answers it."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.FINISHED})

    def change_cipher_spec(self, out: Output) -> State:
        return State.change_cipher_spec(self, out)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Finished)
        verify_finished12(self.keys, "client", msg, out)
        n = self.negotiated
        if self.issue_ticket:
            issue_ticket12(self.config, self.keys, n, out)
        change_write_cipher(self.keys, out)
        out.send(finished12(self.keys, "server", out))
        remember_session12(self.config, self.session_id, self.keys, n)
        out.update(n)
        out.emit(HandshakeComplete(version=ProtocolVersion.TLS1_2, cipher_suite=self.suite.suite,
                                   group=n.group, signature_scheme=n.signature_scheme,
                                   alpn_protocol=n.alpn_protocol, server_name=n.server_name,
                                   peer_certificates=n.peer_certificates))
        return Connected12(role="server", keys=self.keys)
