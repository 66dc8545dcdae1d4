"""Server TLS 1.2, full handshake (RFC 5246 §7.3), once `choose_version` picked 1.2.

    Start (server13) --ClientHello: start12 sends ServerHello, Certificate,
        ServerKeyExchange, [CertificateRequest,] ServerHelloDone--> WAIT_CLIENT_KEY_EXCHANGE
        (or WAIT_CLIENT_CERTIFICATE first)
    WAIT_CLIENT_KEY_EXCHANGE --ClientKeyExchange: master secret--> WAIT_CCS
        (or WAIT_CERTIFICATE_VERIFY first)
    WAIT_CCS --ChangeCipherSpec: read key--> WAIT_FINISHED
    WAIT_FINISHED --Finished: send ChangeCipherSpec, Finished--> CONNECTED

negotiate12.py checks the ClientHello and makes the choices; resume12.py runs the
abbreviated handshake when the client offers a session we can resume. A server that
can also speak TLS 1.3 marks its random with the downgrade sentinel (RFC 8446 §4.1.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from tlsglass._fastinit import fast_init
from tlsglass.config import TLS12_EXTRA_SIGNATURE_SCHEMES, CertifiedKey, ServerConfig
from tlsglass.crypto import sign
from tlsglass.crypto.kx import KeyPair
from tlsglass.crypto.suites import TLS12_SUITES, SuiteInfo
from tlsglass.enums import (
    CipherSuite,
    HandshakeType,
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
    ECDSA_SIGN,
    RSA_SIGN,
    server_params,
    server_premaster,
)
from tlsglass.handshake.negotiate import select_alpn
from tlsglass.handshake.negotiate12 import Offer12, Plan12, plan12, read_offer12
from tlsglass.handshake.resume12 import (
    find_session12,
    issue_ticket12,
    keys_from_state,
    peer_certificates,
    remember_session12,
    resume_server12,
)
from tlsglass.handshake.server import verify_client
from tlsglass.wire.buffer import Writer
from tlsglass.wire.extensions import (
    ALPN,
    EcPointFormats,
    ExtendedMasterSecret,
    Extension,
    RecordSizeLimit,
    RenegotiationInfo,
    ServerNameAck,
    SessionTicket,
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

__all__ = ["WaitCertificateVerify", "WaitChangeCipherSpec",
           "WaitClientCertificate", "WaitClientKeyExchange", "WaitFinished", "plan12",
           "read_offer12", "start12"]



def _server_random(config: ServerConfig) -> bytes:
    random = config.entropy(32)
    if config.maximum_version >= ProtocolVersion.TLS1_3:
        # RFC 8446 §4.1.3: tell a 1.3-capable client that it was downgraded.
        return random[:24] + TLS12_DOWNGRADE_SENTINEL
    return random


def _extensions(config: ServerConfig, offer: Offer12, alpn: str | None, issue_ticket: bool,
                out: Output, resumed: bool = False) -> tuple[Extension, ...]:
    exts: list[Extension] = []
    if offer.secure_renegotiation:
        exts.append(RenegotiationInfo())  # RFC 5746 §3.6
    if offer.extended_master_secret:
        exts.append(ExtendedMasterSecret())  # RFC 7627 §5.2
    if offer.ec_point_formats:
        exts.append(EcPointFormats(ec_point_format_list=(0,)))  # RFC 8422 §5.2
    if offer.server_name is not None and not resumed:
        # RFC 6066 §3: acknowledged in a full handshake, never when resuming.
        exts.append(ServerNameAck())
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
                         extensions=_extensions(config, offer, alpn, issue_ticket, out,
                                                resumed=True)))
    keys = keys_from_state(session, hello.random, server_random)
    out.log_secret("CLIENT_RANDOM", hello.random, keys.master_secret)
    n = Negotiated(version=ProtocolVersion.TLS1_2, cipher_suite=suite.suite, alpn_protocol=alpn,
                   server_name=offer.server_name, client_random=hello.random,
                   peer_certificates=peer_certificates(session))
    return resume_server12(config, keys, n, issue_ticket, out, session)


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


@fast_init
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


@fast_init
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


@fast_init
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
            verify_client(self.config, chain, out)
        return WaitClientKeyExchange(
            config=self.config, suite=self.suite,
            negotiated=replace(self.negotiated, peer_certificates=chain),
            server_random=self.server_random, key_pair=self.key_pair, certified=self.certified,
            client_version=self.client_version,
            extended_master_secret=self.extended_master_secret, **self._session())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitChangeCipherSpec(_State12):
    """The client's ChangeCipherSpec switches our read state (RFC 5246 §7.1)."""

    keys: SessionKeys12

    def change_cipher_spec(self, out: Output) -> State:
        change_read_cipher(self.keys, out)
        return WaitFinished(config=self.config, suite=self.suite, negotiated=self.negotiated,
                            keys=self.keys, **self._session())


@fast_init
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


@fast_init
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
