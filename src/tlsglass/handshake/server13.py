"""Server TLS 1.3 from START to CONNECTED (RFC 8446 App. A.2).

    START --ClientHello, no usable key share: send HelloRetryRequest--> START (retry)
    START --ClientHello: send ServerHello, [ChangeCipherSpec,] EncryptedExtensions,
            Certificate, CertificateVerify, Finished--> WAIT_FINISHED
    START --ClientHello with an accepted PSK: send ServerHello (pre_shared_key),
            EncryptedExtensions [early_data], Finished--> WAIT_EOED or WAIT_FINISHED
    WAIT_EOED --0-RTT data (EarlyDataReceived)--> WAIT_EOED --EndOfEarlyData--> WAIT_FINISHED
    WAIT_FINISHED --Finished: install application read key, send tickets--> CONNECTED
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace
from typing import ClassVar, Final

from tlsglass._fastinit import fast_init
from tlsglass.config import CertifiedKey, ServerConfig
from tlsglass.crypto import kx, sign
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo
from tlsglass.enums import (
    ExtensionType,
    HandshakeType,
    ProtocolVersion,
    SignatureScheme,
    describe,
)
from tlsglass.errors import (
    CertificateRequired,
    DecodeError,
    DecryptError,
    IllegalParameter,
    UnexpectedMessage,
)
from tlsglass.events import EarlyDataReceived, HandshakeComplete
from tlsglass.handshake.base import (
    Authenticated,
    Negotiated,
    Output,
    State,
    decide,
)
from tlsglass.handshake.connected13 import Connected, certificate_verify_content
from tlsglass.handshake.early13 import accept_early_data
from tlsglass.handshake.keys13 import HandshakeKeys, application_secrets, handshake_keys
from tlsglass.handshake.psk13 import AcceptedPsk, claim_ticket, issue_tickets, select_psk
from tlsglass.handshake.server import (
    Offer,
    Plan,
    choose_version,
    plan,
    read_offer,
    verify_client,
)
from tlsglass.handshake.server12 import start12
from tlsglass.keyschedule import (
    EarlySecret,
    MasterSecret,
    finished_verify_data,
    verify_finished,
)
from tlsglass.wire.extension_block import find, find_raw, remember_encoding
from tlsglass.wire.extensions import (
    ALPN,
    CertificateAuthorities,
    Cookie,
    EarlyDataIndication,
    Extension,
    KeyShareClientHello,
    KeyShareEntry,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    PostHandshakeAuth,
    PreSharedKeyServerHello,
    PskKeyExchangeModes,
    RecordSizeLimit,
    ServerNameAck,
    SignatureAlgorithms,
    SupportedVersionsServerHello,
)
from tlsglass.wire.handshake import (
    HELLO_RETRY_REQUEST_RANDOM,
    Certificate,
    CertificateEntry,
    CertificateRequest,
    CertificateVerify,
    ClientHello,
    EncryptedExtensions,
    EndOfEarlyData,
    Finished,
    HandshakeMessage,
    ServerHello,
    encode_handshake,
)
from tlsglass.x509 import Certificate as X509Certificate

__all__ = ["Start", "WaitCV", "WaitCert", "WaitFinished"]

# §4.1.2: what a second ClientHello may change after a HelloRetryRequest.
_MAY_CHANGE_IN_RETRY = frozenset({ExtensionType.KEY_SHARE, ExtensionType.COOKIE,
                                  ExtensionType.EARLY_DATA, ExtensionType.PRE_SHARED_KEY,
                                  ExtensionType.PADDING})


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """What the server remembers between its HelloRetryRequest and the second ClientHello."""

    first_hello: ClientHello = field(repr=False)
    cipher_suite: int
    group: int
    cookie: bytes | None = field(repr=False)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Start(State):
    """START / RECVD_CH / NEGOTIATED: a ClientHello comes in, the first flight goes out."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.CLIENT_HELLO})
    config: ServerConfig = field(repr=False)
    retry: Retry | None = None
    ccs_sent: bool = False

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, ClientHello)
        if self.retry is not None:
            self._check_second_hello(msg)
        elif choose_version(self.config, msg) == ProtocolVersion.TLS1_2:
            return start12(self.config, msg, out)
        offer = read_offer(self.config, msg)
        forced = self.retry.cipher_suite if self.retry else None
        psk = select_psk(self.config, msg, offer.server_name, out, forced)
        chosen = _plan(self.config, offer, out, forced, psk)
        retrying = chosen.share is None and chosen.retry_group is not None
        # A single-use ticket is spent only by the hello that completes (not one we retry).
        if psk is not None and not retrying and not claim_ticket(self.config, psk, out):
            psk, chosen = None, _plan(self.config, offer, out, forced, None)
        if chosen.share is None and chosen.retry_group is not None:
            if self.retry is not None:
                raise IllegalParameter("second ClientHello still lacks the requested key share")
            return self._hello_retry(offer, chosen, out)
        return _first_flight(self.config, offer, chosen, out, self.ccs_sent, psk)

    def _hello_retry(self, offer: Offer, chosen: Plan, out: Output) -> State:
        """§4.1.4: ask for a share of `chosen.retry_group`, with a cookie if configured."""
        assert chosen.retry_group is not None
        cookie = self.config.entropy(32) if self.config.hello_retry_cookie else None
        # The order RFC 8448 §5 shows: key_share, cookie, supported_versions.
        exts: list[Extension] = [KeyShareHelloRetryRequest(selected_group=chosen.retry_group)]
        if cookie is not None:
            exts.append(Cookie(cookie=cookie))
        exts.append(_SELECTED_TLS13)
        out.send(ServerHello(random=HELLO_RETRY_REQUEST_RANDOM,
                             legacy_session_id_echo=offer.hello.legacy_session_id,
                             cipher_suite=chosen.suite.suite, extensions=tuple(exts)))
        out.transcript.restart_after_hello_retry(chosen.suite.hash_name)
        _reject_early_data(self.config, offer, out)
        if offer.compatibility_mode:
            out.send_change_cipher_spec()  # App. D.4: after the first server message
        retry = Retry(first_hello=offer.hello, cipher_suite=chosen.suite.suite,
                      group=chosen.retry_group, cookie=cookie)
        return Start(config=self.config, retry=retry, ccs_sent=offer.compatibility_mode)

    def _check_second_hello(self, hello: ClientHello) -> None:
        """§4.1.2: the second ClientHello repeats the first except where HRR asks."""
        retry = self.retry
        assert retry is not None
        first = retry.first_hello
        same = (hello.legacy_version == first.legacy_version and hello.random == first.random
                and hello.legacy_session_id == first.legacy_session_id
                and hello.cipher_suites == first.cipher_suites
                and hello.legacy_compression_methods == first.legacy_compression_methods)
        kept = [e for e in hello.extensions if e.type_code not in _MAY_CHANGE_IN_RETRY]
        kept_first = [e for e in first.extensions if e.type_code not in _MAY_CHANGE_IN_RETRY]
        if not same or kept != kept_first:
            raise IllegalParameter("second ClientHello differs from the first beyond §4.1.2")
        if find_raw(hello.extensions, ExtensionType.EARLY_DATA) is not None:
            raise IllegalParameter("early_data in a second ClientHello (§4.2.10)")
        shares = find(hello.extensions, KeyShareClientHello)
        if shares is None or [s.group for s in shares.client_shares] != [retry.group]:
            raise IllegalParameter("second ClientHello must carry exactly the requested share")
        cookie = find(hello.extensions, Cookie)
        if retry.cookie is not None and (
                cookie is None or not hmac.compare_digest(cookie.cookie, retry.cookie)):
            raise IllegalParameter("second ClientHello does not echo our cookie (§4.2.2)")


def _plan(config: ServerConfig, offer: Offer, out: Output, forced: int | None,
          psk: AcceptedPsk | None) -> Plan:
    if psk is None:
        return plan(config, offer, out, forced_suite=forced)
    return plan(config, offer, out, forced_suite=psk.suite.suite, psk_mode=psk.mode,
                why_forced="a suite with the accepted PSK's hash (§4.2.11)")


def _first_flight(config: ServerConfig, offer: Offer, chosen: Plan, out: Output,
                  ccs_sent: bool, psk: AcceptedPsk | None = None) -> State:
    """ServerHello, then everything up to our Finished under handshake keys."""
    suite = chosen.suite
    exts: list[Extension] = []
    shared = None
    if chosen.share is not None:
        group = chosen.share.group
        our_share, shared = kx.encapsulate(group, chosen.share.key_exchange,
                                           config.key_pair_factory)
        exts.append(KeyShareServerHello(server_share=KeyShareEntry(group=group,
                                                                   key_exchange=our_share)))
    exts.append(_SELECTED_TLS13)
    if psk is not None:
        exts.append(PreSharedKeyServerHello(selected_identity=psk.index))
    # Before the ServerHello enters the transcript: 0-RTT keys hash the ClientHello alone.
    early_read = accept_early_data(config, offer.hello, psk, chosen.alpn, out)
    out.transcript.choose_hash(suite.hash_name)
    out.send(ServerHello(
        random=config.entropy(32), legacy_session_id_echo=offer.hello.legacy_session_id,
        cipher_suite=suite.suite, extensions=tuple(exts)))
    if offer.compatibility_mode and not ccs_sent:
        out.send_change_cipher_spec()
    early = EarlySecret.start(suite.hash_name, psk.secret.reveal()) if psk else None
    keys = _handshake_keys(offer, suite, shared, out, early, early_read)
    ee = _encrypted_extensions(config, offer, chosen, out)
    if early_read is None:
        _reject_early_data(config, offer, out)
    else:
        ee = (*ee, _EARLY_DATA)
    out.send(EncryptedExtensions(extensions=ee))
    if psk is None:
        _send_certificate(config, chosen, out)
    out.send(Finished(verify_data=finished_verify_data(
        suite.hash_name, keys.server_handshake_secret, out.transcript.digest())))
    state = _after_server_finished(config, offer, chosen, keys, out, psk)
    if early_read is not None and psk is not None and psk.state is not None \
            and isinstance(state, WaitFinished):
        return WaitEndOfEarlyData(then=state, budget=psk.state.max_early_data_size)
    return state


def _send_certificate(config: ServerConfig, chosen: Plan, out: Output) -> None:
    """[CertificateRequest,] Certificate, CertificateVerify (§4.3.2, §4.4.2, §4.4.3)."""
    certified, scheme = chosen.certified, chosen.signature_scheme
    assert certified is not None and scheme is not None
    if config.client_auth != "none":
        out.send(certificate_request(config))
    message, encoded = _certificate_message(config, certified)
    out.send(message, encoded=encoded)
    content = certificate_verify_content("server", out.transcript.digest())
    signature = sign.sign(scheme, certified.private_key, content)
    out.send(CertificateVerify(algorithm=scheme, signature=signature))


def _certificate_message(config: ServerConfig, certified: CertifiedKey
                         ) -> tuple[Certificate, bytes]:
    """The Certificate message for a chain, and its encoding: the same for every
    handshake that chain serves, so built once per config and chain."""
    messages = config.derived.setdefault("certificate_messages", {})
    assert isinstance(messages, dict)
    known = messages.get(id(certified))
    if known is not None and known[0] is certified:
        return known[1], known[2]
    message = Certificate(certificate_list=tuple(CertificateEntry(cert_data=c.der)
                                                 for c in certified.chain))
    if len(messages) >= 64:  # a selector may hand out new objects: stay bounded
        messages.clear()
    # The CertifiedKey is kept with its entry, so its id cannot be reused meanwhile.
    messages[id(certified)] = (certified, message, encode_handshake(message))
    return message, messages[id(certified)][2]


# Extensions whose value never changes, built and encoded once.
_SELECTED_TLS13: Final = remember_encoding(
    SupportedVersionsServerHello(selected_version=ProtocolVersion.TLS1_3))
_SERVER_NAME_ACK: Final = remember_encoding(ServerNameAck())
_EARLY_DATA: Final = remember_encoding(EarlyDataIndication())

# What we discard of a client's 0-RTT data when we turn it down (OpenSSL's default
# max_early_data_size).
REJECTED_EARLY_DATA_LIMIT = 1 << 14


def _reject_early_data(config: ServerConfig, offer: Offer, out: Output) -> None:
    """§4.2.10: no early_data in EncryptedExtensions, and skip what the client sent (as
    much as our tickets allow, so a refused client is not cut off)."""
    if find_raw(offer.hello.extensions, ExtensionType.EARLY_DATA) is not None:
        out.skip_rejected_early_data(max(REJECTED_EARLY_DATA_LIMIT, config.max_early_data_size))


def _handshake_keys(offer: Offer, suite: SuiteInfo, shared: bytes | None, out: Output,
                    early: EarlySecret | None, early_read: Secret | None) -> HandshakeKeys:
    keys = handshake_keys(suite, shared, offer.hello.random, out, early)
    out.install_write_key(suite, keys.server_handshake_secret, "handshake")
    if early_read is not None:  # 0-RTT accepted: read it until EndOfEarlyData (§4.5)
        out.install_read_key(suite, early_read, "early")
    else:
        out.install_read_key(suite, keys.client_handshake_secret, "handshake")
    return keys


def certificate_request(config: ServerConfig, context: bytes = b"") -> CertificateRequest:
    """§4.3.2: the schemes we accept and, when the list is short, the CAs we trust."""
    exts: list[Extension] = [SignatureAlgorithms(values=tuple(config.signature_schemes))]
    trust = config.client_trust
    if trust is not None:
        names = tuple(c.subject_der for c in trust.certificates)
        # §4.2.4: a hint; a huge list (a whole system store) helps nobody.
        if names and sum(len(n) + 2 for n in names) < 8192:
            exts.append(CertificateAuthorities(authorities=names))
    return CertificateRequest(certificate_request_context=context, extensions=tuple(exts))


def _encrypted_extensions(config: ServerConfig, offer: Offer, chosen: Plan,
                          out: Output) -> tuple[Extension, ...]:
    exts: list[Extension] = []
    if offer.server_name is not None:
        exts.append(_SERVER_NAME_ACK)
    if offer.record_size_limit is not None:
        # RFC 8449 §4: answer with our own limit, and honour the client's from now on.
        own = config.record_size_limit or 16385
        exts.append(RecordSizeLimit(record_size_limit=own))
        out.set_peer_record_size_limit(offer.record_size_limit)
        out.set_own_record_size_limit(own)
    if chosen.alpn is not None:
        exts.append(ALPN(protocol_name_list=(chosen.alpn.encode(),)))
    return tuple(exts)


def _after_server_finished(config: ServerConfig, offer: Offer, chosen: Plan,
                           keys: HandshakeKeys, out: Output, psk: AcceptedPsk | None) -> State:
    random = offer.hello.random
    app = application_secrets(keys, random, out)
    out.install_write_key(keys.suite, app.server, "application")
    negotiated = Negotiated(version=ProtocolVersion.TLS1_3, cipher_suite=keys.suite.suite,
                            group=chosen.share.group if chosen.share else None,
                            signature_scheme=chosen.signature_scheme,
                            alpn_protocol=chosen.alpn, server_name=offer.server_name,
                            client_random=random, resumed=psk is not None,
                            post_handshake_auth=find(offer.hello.extensions,
                                                     PostHandshakeAuth) is not None)
    out.update(negotiated)
    modes = find(offer.hello.extensions, PskKeyExchangeModes)
    carry = {"config": config, "keys": keys, "negotiated": negotiated, "client_app": app.client,
             "server_app": app.server, "exporter": app.exporter, "master": app.master,
             "psk_modes": modes.ke_modes if modes is not None else ()}
    if psk is not None:
        # §4.3.2: no CertificateRequest with a PSK; the ticket remembers the client.
        chain = tuple(X509Certificate.from_der(der)
                      for der in (psk.state.peer_certificates if psk.state else ()))
        return WaitFinished(peer_chain=chain, proof=Authenticated("psk"),
                            authenticated_at_ms=psk.state.authenticated_at_ms
                            if psk.state else None, **carry)  # type: ignore[arg-type]
    state = WaitCert if config.client_auth != "none" else WaitFinished
    return state(**carry)  # type: ignore[arg-type]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _AfterServerFinished(State):
    """What the server holds once its flight is out, until the client's Finished."""

    config: ServerConfig = field(repr=False)
    keys: HandshakeKeys
    negotiated: Negotiated
    client_app: Secret = field(repr=False)
    server_app: Secret = field(repr=False)
    exporter: Secret = field(repr=False)
    master: MasterSecret = field(repr=False)
    # The client's psk_key_exchange_modes: tickets go only to clients that can use them.
    psk_modes: tuple[int, ...] = ()

    def _carry(self) -> dict[str, object]:
        return {"config": self.config, "keys": self.keys, "negotiated": self.negotiated,
                "client_app": self.client_app, "server_app": self.server_app,
                "exporter": self.exporter, "master": self.master,
                "psk_modes": self.psk_modes}


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitCert(_AfterServerFinished):
    """WAIT_CERT: the client's Certificate, after our CertificateRequest (§4.4.2)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.CERTIFICATE})

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Certificate)
        if msg.certificate_request_context:
            raise IllegalParameter("client Certificate with a request context we never sent")
        if not msg.certificate_list:
            if self.config.client_auth == "required":
                raise CertificateRequired("the client sent no certificate (§4.4.2.4)")
            decide(out, "client_certificate", "none", (), "the client has none; optional")
            return WaitFinished(**self._carry())  # type: ignore[arg-type]
        chain = tuple(X509Certificate.from_der(e.cert_data) for e in msg.certificate_list)
        verify_client(self.config, chain, out)
        return WaitCV(chain=chain, **self._carry())  # type: ignore[arg-type]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitCV(_AfterServerFinished):
    """WAIT_CV: the client proves it holds its certificate's key (§4.4.3)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.CERTIFICATE_VERIFY})
    chain: tuple[X509Certificate, ...] = field(repr=False)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, CertificateVerify)
        if msg.algorithm not in self.config.signature_schemes:
            raise IllegalParameter(
                f"client CertificateVerify uses {describe(SignatureScheme, msg.algorithm)}, "
                "which we did not ask for")
        content = certificate_verify_content("client", out.transcript.digest_before_last())
        if not sign.verify(msg.algorithm, self.chain[0].public_key, content, msg.signature):
            raise DecryptError("client CertificateVerify signature does not verify")
        return WaitFinished(peer_chain=self.chain, proof=Authenticated("client certificate"),
                            **self._carry())  # type: ignore[arg-type]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitFinished(_AfterServerFinished):
    """WAIT_FINISHED: the client's Finished proves it saw the same handshake."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.FINISHED})
    peer_chain: tuple[X509Certificate, ...] = field(default=(), repr=False)
    # A resumed session's original full handshake, carried into its new tickets (§4.6.1).
    authenticated_at_ms: int | None = None
    proof: Authenticated | None = None
    early_data: bool = False

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Finished)
        suite = self.keys.suite
        if len(msg.verify_data) != suite.hash_len:
            raise DecodeError(f"Finished of {len(msg.verify_data)} bytes, not {suite.hash_len}")
        if not verify_finished(suite.hash_name, self.keys.client_handshake_secret,
                               out.transcript.digest_before_last(), msg.verify_data):
            raise DecryptError("client Finished does not match the transcript (§4.4.4)")
        resumption = self.master.resumption_master_secret(out.transcript.digest())
        out.install_read_key(suite, self.client_app, "application")
        n = self.negotiated
        if self.peer_chain:
            n = replace(n, peer_certificates=self.peer_chain)
            out.update(n)
        out.emit(HandshakeComplete(version=ProtocolVersion.TLS1_3, cipher_suite=suite.suite,
                                   group=n.group, signature_scheme=n.signature_scheme,
                                   alpn_protocol=n.alpn_protocol, server_name=n.server_name,
                                   peer_certificates=self.peer_chain, resumed=n.resumed,
                                   early_data_accepted=self.early_data))
        if set(self.psk_modes) & set(self.config.psk_key_exchange_modes):
            # §4.2.9: tickets only for a client that can use them with our modes.
            issue_tickets(self.config, suite, resumption, n.alpn_protocol, n.server_name,
                          tuple(c.der for c in self.peer_chain), out, self.authenticated_at_ms)
        return Connected(role="server", suite=suite, client_random=n.client_random,
                         client_secret=self.client_app, server_secret=self.server_app,
                         exporter_secret=self.exporter, resumption_secret=resumption)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitEndOfEarlyData(State):
    """WAIT_EOED (App. A.2): 0-RTT data under the early key, until EndOfEarlyData (§4.5)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.END_OF_EARLY_DATA})
    receives_early_data: ClassVar[bool] = True
    then: WaitFinished
    budget: int

    def receive_early_data(self, data: bytes, out: Output) -> State:
        if len(data) > self.budget:  # §4.2.10: more than max_early_data_size
            raise UnexpectedMessage("more early data than the ticket's max_early_data_size")
        out.emit(EarlyDataReceived(data=data))
        return replace(self, budget=self.budget - len(data))

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, EndOfEarlyData)
        keys = self.then.keys
        out.install_read_key(keys.suite, keys.client_handshake_secret, "handshake")
        return replace(self.then, early_data=True)
