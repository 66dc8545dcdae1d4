"""Client TLS 1.3 from WAIT_SH to CONNECTED (RFC 8446 App. A.1).

    START --send ClientHello--> WAIT_SH --HelloRetryRequest: send ClientHello2--> WAIT_SH
    WAIT_SH --ServerHello: derive handshake keys--> WAIT_EE
    WAIT_EE --EncryptedExtensions--> WAIT_CERT_CR
    WAIT_EE --EncryptedExtensions, PSK accepted: Authenticated("psk")--> WAIT_FINISHED
    WAIT_CERT_CR --CertificateRequest--> WAIT_CERT --Certificate--> WAIT_CV
    WAIT_CV --CertificateVerify: Authenticated--> WAIT_FINISHED
    WAIT_FINISHED --Finished: send [EndOfEarlyData,] [Certificate, CertificateVerify,]
                    Finished--> CONNECTED

With a ticket (psk13.py), the ClientHello ends with pre_shared_key, and with 0-RTT
offered (early13.py) we seal under the early key until EncryptedExtensions says
whether the server took the early data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

from tlsglass._fastinit import fast_init
from tlsglass.crypto import sign
from tlsglass.crypto.kx import KeyPair
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo, suite_info
from tlsglass.enums import (
    CipherSuite,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    ProtocolVersion,
    PskKeyExchangeMode,
    SignatureScheme,
    describe,
)
from tlsglass.errors import (
    DecodeError,
    DecryptError,
    IllegalParameter,
    MissingExtension,
    UnexpectedMessage,
    UnsupportedExtension,
)
from tlsglass.events import EarlyDataRejected, HandshakeComplete
from tlsglass.handshake.base import (
    Authenticated,
    Negotiated,
    Output,
    State,
    decide,
)
from tlsglass.handshake.client import ClientHelloSent, verify_server
from tlsglass.handshake.client12 import server_hello12
from tlsglass.handshake.client_auth13 import client_connected, send_client_certificate
from tlsglass.handshake.connected13 import certificate_verify_content
from tlsglass.handshake.early13 import early_data_answer
from tlsglass.handshake.keys13 import HandshakeKeys, application_secrets, handshake_keys
from tlsglass.handshake.negotiate import names
from tlsglass.handshake.psk13 import (
    OfferedPsk,
    TicketContext,
    accepted_psk,
    offer_psk,
    ticket_chain,
)
from tlsglass.keyschedule import EarlySecret, finished_verify_data, verify_finished
from tlsglass.wire.extension_block import find
from tlsglass.wire.extensions import (
    ALPN,
    Cookie,
    Extension,
    KeyShareClientHello,
    KeyShareEntry,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    RecordSizeLimit,
    SignatureAlgorithms,
    SupportedVersionsServerHello,
)
from tlsglass.wire.handshake import (
    Certificate,
    CertificateRequest,
    CertificateVerify,
    EncryptedExtensions,
    EndOfEarlyData,
    Finished,
    HandshakeMessage,
    ServerHello,
)
from tlsglass.x509 import Certificate as X509Certificate
from tlsglass.x509 import VerifiedChain

__all__ = ["WaitCV", "WaitCert", "WaitCertCR", "WaitEE", "WaitFinished", "WaitSH"]


def _check_unsolicited(exts: tuple[Extension, ...], offered: frozenset[int]) -> None:
    """§4.2: an extension response we did not ask for is fatal (unsupported_extension)."""
    for ext in exts:
        if ext.type_code not in offered and ext.type_code != ExtensionType.COOKIE:
            raise UnsupportedExtension(
                f"server sent {describe(ExtensionType, ext.type_code)}, which was not offered")


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitSH(State):
    """WAIT_SH: the ClientHello is out; a ServerHello or HelloRetryRequest comes back."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.SERVER_HELLO})
    sent: ClientHelloSent
    retry: ServerHello | None = None
    ccs_sent: bool = False

    @property
    def early_data_limit(self) -> int:
        """The ticket's max_early_data_size while 0-RTT is on offer (§4.2.10)."""
        psk = self.sent.psk
        if self.retry is not None or psk is None or psk.early_secret is None \
                or psk.ticket is None:
            return 0
        return psk.ticket.max_early_data_size

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, ServerHello)
        if not msg.is_hello_retry_request and find(
                msg.extensions, SupportedVersionsServerHello) is None:
            # §4.2.1: no supported_versions, so the server speaks TLS 1.2 or older.
            return server_hello12(self.sent, msg, self.retry is not None, out)
        _check_unsolicited(msg.extensions, self.sent.offered_extensions)
        suite = self._check_common(msg)
        if msg.is_hello_retry_request:
            return self._retry(msg, suite, out)
        return self._server_hello(msg, suite, out)

    def _check_common(self, msg: ServerHello) -> SuiteInfo:
        hello = self.sent.hello
        version = find(msg.extensions, SupportedVersionsServerHello)
        if version is None:
            raise MissingExtension("HelloRetryRequest without supported_versions (§4.1.4)")
        if version.selected_version != ProtocolVersion.TLS1_3:
            raise IllegalParameter(  # §4.2.1: a version we did not offer
                f"server selected {describe(ProtocolVersion, version.selected_version)}")
        if msg.legacy_version != ProtocolVersion.TLS1_2:
            raise IllegalParameter(f"ServerHello legacy_version {msg.legacy_version:#06x}")
        if msg.legacy_session_id_echo != hello.legacy_session_id:
            raise IllegalParameter("legacy_session_id_echo differs from our session id")
        if msg.legacy_compression_method != 0:
            raise IllegalParameter("legacy_compression_method must be 0")
        suite = suite_info(msg.cipher_suite)
        if suite is None or suite.version != ProtocolVersion.TLS1_3 \
                or msg.cipher_suite not in hello.cipher_suites:
            raise IllegalParameter(
                f"server chose {describe(CipherSuite, msg.cipher_suite)}, which was not offered")
        if self.retry is not None and msg.cipher_suite != self.retry.cipher_suite:
            raise IllegalParameter("ServerHello suite differs from the HelloRetryRequest's")
        return suite

    def _retry(self, msg: ServerHello, suite: SuiteInfo, out: Output) -> State:
        """§4.1.4: answer a HelloRetryRequest with a second ClientHello."""
        if self.retry is not None:
            raise UnexpectedMessage("a second HelloRetryRequest")
        config = self.sent.config
        selected = find(msg.extensions, KeyShareHelloRetryRequest)
        cookie = find(msg.extensions, Cookie)
        if selected is None and cookie is None:
            raise IllegalParameter("HelloRetryRequest would not change the ClientHello")
        key_pairs: Mapping[int, KeyPair] = self.sent.key_pairs
        hello = self.sent.hello
        exts = [e for e in hello.extensions if e.type_code not in (
            ExtensionType.KEY_SHARE, ExtensionType.EARLY_DATA, ExtensionType.COOKIE,
            ExtensionType.PRE_SHARED_KEY)]
        if selected is not None:
            group = selected.selected_group
            if group not in config.groups or group in key_pairs:
                raise IllegalParameter(
                    f"HelloRetryRequest asks for {describe(NamedGroup, group)}, "
                    "which was not offered or already has a share")
            pair = config.key_pair_factory(NamedGroup(group))
            key_pairs = {group: pair}
            if out.tracing:  # the names are built only for a listening tracer
                decide(out, "group", describe(NamedGroup, group), (),
                       "the server asked for this group with a HelloRetryRequest")
        shares = tuple(KeyShareEntry(group=g, key_exchange=kp.public_bytes())
                       for g, kp in key_pairs.items())
        position = next(i for i, e in enumerate(hello.extensions)
                        if e.type_code == ExtensionType.KEY_SHARE)
        exts.insert(min(position, len(exts)), KeyShareClientHello(client_shares=shares))
        if cookie is not None:
            exts.insert(min(position, len(exts)) + 1, cookie)
        hello2 = replace(hello, extensions=tuple(exts))
        if config.hello_hook is not None:
            hello2 = config.hello_hook(hello2)
        out.transcript.restart_after_hello_retry(suite.hash_name)
        if self.sent.psk is not None and self.sent.psk.early_secret is not None:
            out.end_early_data()  # §4.2.10: a HelloRetryRequest rejects 0-RTT
            out.emit(EarlyDataRejected())
        # §4.1.4: the PSK again, with a binder over the new transcript, if its hash fits.
        hello2, psk = offer_psk(config, hello2, out, self.sent.psk, suite.hash_name) \
            if self.sent.psk is not None else (hello2, None)
        if config.middlebox_compatibility:
            out.send_change_cipher_spec()  # App. D.4: right after the first ClientHello
        out.send(hello2, encoded=psk.encoded_hello if psk else None)
        sent = replace(self.sent, hello=hello2, key_pairs=key_pairs, psk=psk)
        return WaitSH(sent=sent, retry=msg, ccs_sent=config.middlebox_compatibility)

    def _server_hello(self, msg: ServerHello, suite: SuiteInfo, out: Output) -> State:
        psk = accepted_psk(self.sent.config, self.sent.psk, msg, suite)
        share_ext = find(msg.extensions, KeyShareServerHello)
        shared, group = None, None
        if share_ext is None:
            # §4.2.9: only psk_ke, if we offered it, goes without (EC)DHE.
            if psk is None or PskKeyExchangeMode.PSK_KE not in \
                    self.sent.config.psk_key_exchange_modes:
                raise MissingExtension("ServerHello has no key_share")
        else:
            shared, group = self._key_share(share_ext.server_share), share_ext.server_share.group
        if out.tracing:  # the names are built only for a listening tracer
            decide(out, "cipher_suite", describe(CipherSuite, suite.suite),
                   names(CipherSuite, self.sent.hello.cipher_suites), "chosen by the server")
        early = EarlySecret.start(suite.hash_name, psk.secret.reveal()) if psk else None
        keys = _handshake_keys(self.sent, suite, shared, out, early)
        out.update(Negotiated(version=ProtocolVersion.TLS1_3, cipher_suite=suite.suite,
                              group=group, server_name=self.sent.server_name,
                              client_random=self.sent.hello.random, resumed=psk is not None))
        return WaitEE(sent=self.sent, keys=keys, group=group, ccs_sent=self.ccs_sent, psk=psk)

    def _key_share(self, share: KeyShareEntry) -> bytes:
        pair = self.sent.key_pairs.get(share.group)
        if pair is None:
            raise IllegalParameter(
                f"server key share for {describe(NamedGroup, share.group)}, which we did not send")
        if self.retry is not None:
            selected = find(self.retry.extensions, KeyShareHelloRetryRequest)
            if selected is not None and selected.selected_group != share.group:
                raise IllegalParameter("ServerHello group differs from the HelloRetryRequest's")
        return pair.exchange(share.key_exchange)


def _handshake_keys(sent: ClientHelloSent, suite: SuiteInfo, shared: bytes | None,
                    out: Output, early: EarlySecret | None) -> HandshakeKeys:
    out.transcript.choose_hash(suite.hash_name)
    keys = handshake_keys(suite, shared, sent.hello.random, out, early)
    out.install_read_key(suite, keys.server_handshake_secret, "handshake")
    if sent.psk is None or sent.psk.early_secret is None:
        # From here our alerts, too, go under the handshake key (§5.1 forbids plaintext).
        out.install_write_key(suite, keys.client_handshake_secret, "handshake")
    # With 0-RTT offered we keep the early key until EncryptedExtensions says (§4.2.10).
    return keys


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitEE(State):
    """WAIT_EE: the first encrypted message, EncryptedExtensions (§4.3.1)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.ENCRYPTED_EXTENSIONS})
    sent: ClientHelloSent
    keys: HandshakeKeys
    group: int | None
    ccs_sent: bool
    psk: OfferedPsk | None = None

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, EncryptedExtensions)
        _check_unsolicited(msg.extensions, self.sent.offered_extensions)
        alpn = self._alpn(msg, out)
        suite = self.keys.suite
        early = early_data_answer(self.sent.psk, self.psk, suite, alpn, msg, out)
        if self.sent.psk is not None and self.sent.psk.early_secret is not None and not early:
            out.install_write_key(suite, self.keys.client_handshake_secret, "handshake")
        limit = find(msg.extensions, RecordSizeLimit)
        if limit is not None:
            if limit.record_size_limit < 64:
                raise IllegalParameter("record_size_limit below 64 (RFC 8449 §4)")
            out.set_peer_record_size_limit(limit.record_size_limit)
            own = self.sent.config.record_size_limit
            if own is not None:  # RFC 8449 §4: negotiated, so ours binds the server too
                out.set_own_record_size_limit(own)
        if self.psk is not None:
            # §2.2: the PSK authenticates the server; no Certificate follows.
            chain = ticket_chain(self.psk.ticket)
            return WaitFinished(sent=self.sent, keys=self.keys, group=self.group,
                                ccs_sent=self.ccs_sent, alpn=alpn, request=None, chain=chain,
                                signature_scheme=None, proof=Authenticated("psk"),
                                resumed=True, early_data=early)
        return WaitCertCR(sent=self.sent, keys=self.keys, group=self.group,
                          ccs_sent=self.ccs_sent, alpn=alpn)

    def _alpn(self, msg: EncryptedExtensions, out: Output) -> str | None:
        alpn = find(msg.extensions, ALPN)
        if alpn is None:
            return None
        offered = self.sent.config.alpn_protocols
        # RFC 7301 §3.1: exactly one name, and one that we offered.
        if len(alpn.protocol_name_list) != 1:
            raise IllegalParameter("server ALPN must name exactly one protocol")
        chosen = alpn.protocol_name_list[0].decode("latin-1")
        if chosen not in offered:
            raise IllegalParameter(f"server chose ALPN {chosen!r}, which was not offered")
        if out.tracing:  # the names are built only for a listening tracer
            decide(out, "alpn", chosen, offered, "chosen by the server")
        return chosen


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitCertCR(State):
    """WAIT_CERT_CR: the server's Certificate, or first a CertificateRequest (§4.3.2)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.CERTIFICATE, HandshakeType.CERTIFICATE_REQUEST})
    sent: ClientHelloSent
    keys: HandshakeKeys
    group: int | None
    ccs_sent: bool
    alpn: str | None
    request: CertificateRequest | None = None

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        if isinstance(msg, CertificateRequest):
            if msg.certificate_request_context:
                raise IllegalParameter("certificate_request_context must be empty (§4.3.2)")
            if find(msg.extensions, SignatureAlgorithms) is None:
                raise MissingExtension("CertificateRequest without signature_algorithms")
            return WaitCert(sent=self.sent, keys=self.keys, group=self.group,
                            ccs_sent=self.ccs_sent, alpn=self.alpn, request=msg)
        return _certificate(self, msg, out)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitCert(WaitCertCR):
    """WAIT_CERT: after a CertificateRequest, the server's Certificate (§4.4.2)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.CERTIFICATE})

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        return _certificate(self, msg, out)


def _certificate(state: WaitCertCR, msg: HandshakeMessage, out: Output) -> State:
    """§4.4.2: the server's chain, checked now; its CertificateVerify comes next."""
    assert isinstance(msg, Certificate)
    if msg.certificate_request_context:
        raise IllegalParameter("server Certificate with a request context")
    if not msg.certificate_list:
        raise DecodeError("server sent an empty Certificate message (§4.4.2.4)")
    for entry in msg.certificate_list:
        _check_unsolicited(entry.extensions, state.sent.offered_extensions)
    chain = tuple(X509Certificate.from_der(e.cert_data) for e in msg.certificate_list)
    verified = verify_server(state.sent, chain, out)
    return WaitCV(sent=state.sent, keys=state.keys, group=state.group, ccs_sent=state.ccs_sent,
                  alpn=state.alpn, request=state.request, chain=chain, verified=verified)



@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitCV(WaitCertCR):
    """WAIT_CV: the server proves it holds the certificate's key (§4.4.3)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.CERTIFICATE_VERIFY})
    chain: tuple[X509Certificate, ...] = field(repr=False)
    verified: VerifiedChain | None = field(repr=False)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, CertificateVerify)
        offered = self.sent.config.signature_schemes
        if msg.algorithm not in offered:
            raise IllegalParameter(
                f"CertificateVerify uses {describe(SignatureScheme, msg.algorithm)}, "
                "which was not offered")
        content = certificate_verify_content("server", out.transcript.digest_before_last())
        if not sign.verify(msg.algorithm, self.chain[0].public_key, content, msg.signature):
            raise DecryptError("server CertificateVerify signature does not verify")
        if out.tracing:  # the names are built only for a listening tracer
            decide(out, "signature_scheme", describe(SignatureScheme, msg.algorithm),
                   names(SignatureScheme, offered), "chosen by the server for its key")
        return WaitFinished(sent=self.sent, keys=self.keys, group=self.group,
                            ccs_sent=self.ccs_sent, alpn=self.alpn, request=self.request,
                            chain=self.chain, signature_scheme=msg.algorithm,
                            proof=Authenticated("certificate"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitFinished(State):
    """WAIT_FINISHED: check the server's Finished, send ours, derive application keys."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.FINISHED})
    sent: ClientHelloSent
    keys: HandshakeKeys
    group: int | None
    ccs_sent: bool
    alpn: str | None
    request: CertificateRequest | None
    chain: tuple[X509Certificate, ...] = field(repr=False)
    signature_scheme: int | None
    proof: Authenticated
    resumed: bool = False
    early_data: bool = False

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Finished)
        keys = self.keys
        suite = keys.suite
        if len(msg.verify_data) != suite.hash_len:
            raise DecodeError(f"Finished of {len(msg.verify_data)} bytes, not {suite.hash_len}")
        if not verify_finished(suite.hash_name, keys.server_handshake_secret,
                               out.transcript.digest_before_last(), msg.verify_data):
            raise DecryptError("server Finished does not match the transcript (§4.4.4)")
        app = application_secrets(keys, self.sent.hello.random, out)
        out.install_read_key(suite, app.server, "application")
        self._second_flight(out)
        resumption = app.master.resumption_master_secret(
            out.transcript.digest())
        out.install_write_key(suite, app.client, "application")
        return self._complete(out, app.client, app.server, app.exporter, resumption)

    def _second_flight(self, out: Output) -> None:
        keys = self.keys
        if not self.ccs_sent and self.sent.config.middlebox_compatibility:
            out.send_change_cipher_spec()
        if self.early_data:
            # §4.5: EndOfEarlyData under the early key, then the handshake key.
            out.send(EndOfEarlyData())
            out.install_write_key(keys.suite, keys.client_handshake_secret, "handshake")
        if self.request is not None:
            send_client_certificate(self.sent.config, self.request, self.sent.server_name, out)
        verify_data = finished_verify_data(keys.suite.hash_name, keys.client_handshake_secret,
                                           out.transcript.digest())
        out.send(Finished(verify_data=verify_data))

    def _complete(self, out: Output, client_app: Secret, server_app: Secret, exporter: Secret,
                  resumption: Secret) -> State:
        negotiated = Negotiated(
            version=ProtocolVersion.TLS1_3, cipher_suite=self.keys.suite.suite, group=self.group,
            signature_scheme=self.signature_scheme, alpn_protocol=self.alpn,
            server_name=self.sent.server_name, peer_certificates=self.chain,
            client_random=self.sent.hello.random, resumed=self.resumed)
        out.update(negotiated)
        out.emit(HandshakeComplete(
            version=ProtocolVersion.TLS1_3, cipher_suite=self.keys.suite.suite, group=self.group,
            signature_scheme=self.signature_scheme, alpn_protocol=self.alpn,
            server_name=self.sent.server_name, peer_certificates=self.chain,
            resumed=self.resumed, early_data_accepted=self.early_data))
        config = self.sent.config
        tickets = None if config.ticket_store is None else TicketContext(
            store=config.ticket_store, key=config.server_name or "", suite=self.keys.suite,
            alpn_protocol=self.alpn, server_name=self.sent.server_name,
            peer_certificates=self.chain, clock=config.clock)
        return client_connected(config, self.sent.server_name, out, role="client",
                                suite=self.keys.suite, client_random=self.sent.hello.random,
                                client_secret=client_app, server_secret=server_app,
                                exporter_secret=exporter, resumption_secret=resumption,
                                tickets=tickets)

