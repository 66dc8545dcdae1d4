"""Client TLS 1.2, full handshake (RFC 5246 §7.3), from the ServerHello on.

    WaitSH (client13) --ServerHello without supported_versions: server_hello12--> WAIT_CERTIFICATE
    WAIT_CERTIFICATE --Certificate: chain verified--> WAIT_SERVER_KEY_EXCHANGE
    WAIT_SERVER_KEY_EXCHANGE --ServerKeyExchange: signature checked, Authenticated-->
        WAIT_SERVER_HELLO_DONE
    WAIT_SERVER_HELLO_DONE --[CertificateRequest] ServerHelloDone: send [Certificate,]
        ClientKeyExchange, [CertificateVerify,] ChangeCipherSpec, Finished--> WAIT_CCS
    WAIT_CCS --ChangeCipherSpec: read key--> WAIT_FINISHED --Finished--> CONNECTED

Version negotiation lives in `server_hello12`: a 1.3-capable client refuses a
ServerHello.random that ends in a downgrade sentinel (RFC 8446 §4.1.3), and 1.2 is
accepted only when the config allows it. Renegotiation is never performed; the
renegotiation_info extension only proves the server would refuse the attack
(RFC 5746 §3.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from tlsglass._fastinit import fast_init
from tlsglass.config import (
    TLS12_EXTRA_SIGNATURE_SCHEMES,
    CertificateRequestInfo,
    CertifiedKey,
    ClientConfig,
)
from tlsglass.crypto import sign
from tlsglass.crypto.suites import SuiteInfo, suite_info
from tlsglass.enums import (
    CipherSuite,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
    describe,
)
from tlsglass.errors import (
    DecodeError,
    DecryptError,
    HandshakeFailure,
    IllegalParameter,
    ProtocolVersionError,
    UnsupportedCertificate,
    UnsupportedExtension,
)
from tlsglass.events import HandshakeComplete
from tlsglass.handshake.base import (
    Authenticated,
    Negotiated,
    Output,
    State,
    decide,
)
from tlsglass.handshake.client import ClientHelloSent, session_store_key12, verify_server
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
    client_key_exchange,
    is_dhe,
    is_rsa,
    scheme_fits_kind,
    server_group,
)
from tlsglass.handshake.negotiate import choose_client_certificate, names
from tlsglass.handshake.resume12 import resume_client12, store_client_session12
from tlsglass.wire.extension_block import check_extensions, find, find_raw
from tlsglass.wire.extensions import (
    ALPN,
    EcPointFormats,
    RecordSizeLimit,
    RenegotiationInfo,
    SessionTicket,
)
from tlsglass.wire.handshake import (
    TLS11_DOWNGRADE_SENTINEL,
    TLS12_DOWNGRADE_SENTINEL,
    CertificateVerify,
    Finished,
    HandshakeMessage,
    ServerHello,
)
from tlsglass.wire.handshake12 import (
    Certificate12,
    CertificateRequest12,
    ClientKeyExchange,
    NewSessionTicket12,
    ServerKeyExchange,
    SignedParams,
)
from tlsglass.x509 import Certificate as X509Certificate
from tlsglass.x509 import VerifiedChain

__all__ = ["WaitCertificate", "WaitChangeCipherSpec", "WaitFinished", "WaitServerHelloDone",
           "WaitServerKeyExchange", "server_hello12"]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _Hello12:
    """What both hellos settled: the suite, the server's random and extensions."""

    sent: ClientHelloSent
    suite: SuiteInfo
    server_random: bytes = field(repr=False)
    extended_master_secret: bool
    alpn: str | None
    session_id: bytes = field(default=b"", repr=False)  # the server's, to resume by
    ticket_expected: bool = False  # RFC 5077 §3.2: a NewSessionTicket comes before CCS


def _check_version(config: ClientConfig, msg: ServerHello) -> None:
    """RFC 8446 §4.1.3 and §4.2.1: the downgrade checks, then whether 1.2 is allowed."""
    if config.maximum_version >= ProtocolVersion.TLS1_3 and msg.random[-8:] in (
            TLS12_DOWNGRADE_SENTINEL, TLS11_DOWNGRADE_SENTINEL):
        raise IllegalParameter("downgrade sentinel in ServerHello.random (RFC 8446 §4.1.3)")
    if msg.legacy_version < ProtocolVersion.TLS1_2:
        raise ProtocolVersionError(
            f"server chose {describe(ProtocolVersion, msg.legacy_version)}, which is insecure")
    if msg.legacy_version != ProtocolVersion.TLS1_2:
        raise IllegalParameter(f"ServerHello version {msg.legacy_version:#06x} was not offered")
    if config.minimum_version > ProtocolVersion.TLS1_2:
        raise ProtocolVersionError("server chose TLS 1.2; this client requires TLS 1.3")


def _check_suite(sent: ClientHelloSent, msg: ServerHello) -> SuiteInfo:
    suite = suite_info(msg.cipher_suite)
    if suite is None or suite.version != ProtocolVersion.TLS1_2 \
            or msg.cipher_suite not in sent.config.tls12_cipher_suites \
            or msg.cipher_suite not in sent.hello.cipher_suites:
        raise IllegalParameter(
            f"server chose {describe(CipherSuite, msg.cipher_suite)}, which was not offered")
    if msg.legacy_compression_method != 0:
        raise IllegalParameter("server chose a compression method we did not offer")
    return suite


def _check_extensions(sent: ClientHelloSent, msg: ServerHello, out: Output) -> bool:
    """RFC 5246 §7.4.1.4: only what we offered; returns whether EMS was agreed."""
    check_extensions(msg.extensions, HandshakeType.SERVER_HELLO, tls13=False)
    offered = set(sent.offered_extensions)
    if CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV in sent.hello.cipher_suites:
        offered.add(ExtensionType.RENEGOTIATION_INFO)  # RFC 5746 §3.4: the SCSV asks too
    for ext in msg.extensions:
        if ext.type_code not in offered:
            raise UnsupportedExtension(
                f"server sent {describe(ExtensionType, ext.type_code)}, which was not offered")
    renegotiation = find(msg.extensions, RenegotiationInfo)
    if renegotiation is None or renegotiation.renegotiated_connection:
        # RFC 5746 §3.4: absent means a server open to the renegotiation attack.
        raise HandshakeFailure("server does not support secure renegotiation (RFC 5746)")
    formats = find(msg.extensions, EcPointFormats)
    if formats is not None and 0 not in formats.ec_point_format_list:
        raise IllegalParameter("server cannot read uncompressed points (RFC 8422 §5.1.2)")
    ems = find_raw(msg.extensions, ExtensionType.EXTENDED_MASTER_SECRET) is not None
    if not ems and sent.config.require_extended_master_secret:
        raise HandshakeFailure("server does not support extended_master_secret (RFC 7627 §5.3)")
    limit = find(msg.extensions, RecordSizeLimit)
    if limit is not None:
        if limit.record_size_limit < 64:
            raise IllegalParameter("record_size_limit below 64 (RFC 8449 §4)")
        # RFC 8449 §4: in TLS 1.2 the limit counts plaintext only; Output counts the
        # TLS 1.3 content type byte too, hence the + 1.
        out.set_peer_record_size_limit(limit.record_size_limit + 1)
        own = sent.config.record_size_limit
        if own is not None:
            out.set_own_record_size_limit(own + 1)
    return ems


def _alpn(sent: ClientHelloSent, msg: ServerHello) -> str | None:
    alpn = find(msg.extensions, ALPN)
    if alpn is None:
        return None
    # RFC 7301 §3.1: exactly one name, and one that we offered.
    if len(alpn.protocol_name_list) != 1:
        raise IllegalParameter("server ALPN must name exactly one protocol")
    chosen = alpn.protocol_name_list[0].decode("latin-1")
    if chosen not in sent.config.alpn_protocols:
        raise IllegalParameter(f"server chose ALPN {chosen!r}, which was not offered")
    return chosen


def server_hello12(sent: ClientHelloSent, msg: ServerHello, retried: bool,
                   out: Output) -> State:
    """A ServerHello without supported_versions: the server speaks TLS 1.2 (or less)."""
    _check_version(sent.config, msg)
    if retried:
        raise IllegalParameter("TLS 1.2 ServerHello after a HelloRetryRequest")
    suite = _check_suite(sent, msg)
    ems = _check_extensions(sent, msg, out)
    if sent.config.certificate is not None or sent.config.certificate_selector is not None:
        out.transcript.keep_messages()  # in case a CertificateRequest comes (§7.4.8)
    out.transcript.choose_hash(suite.hash_name)
    if out.tracing:  # the names are built only for a listening tracer
        decide(out, "version", "TLS1_2", (), "the server does not speak TLS 1.3")
        decide(out, "cipher_suite", describe(CipherSuite, suite.suite),
               names(CipherSuite, sent.hello.cipher_suites), "chosen by the server")
    hello = _Hello12(sent=sent, suite=suite, server_random=msg.random,
                     extended_master_secret=ems, alpn=_alpn(sent, msg),
                     session_id=msg.legacy_session_id_echo,
                     ticket_expected=find(msg.extensions, SessionTicket) is not None)
    n = Negotiated(version=ProtocolVersion.TLS1_2, cipher_suite=suite.suite,
                   alpn_protocol=hello.alpn, server_name=sent.server_name,
                   client_random=sent.hello.random)
    out.update(n)
    session = sent.session12
    if session is not None and msg.legacy_session_id_echo == sent.hello.legacy_session_id:
        # RFC 5246 §7.3, RFC 5077 §3.4: our session ID echoed, the session resumes.
        return resume_client12(sent.config, session_store_key12(sent.server_name), session,
                               suite, ems, sent.hello.random, msg.random, n,
                               hello.session_id, hello.ticket_expected, out)
    return WaitCertificate(hello=hello)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _State12(State):
    tls12: ClassVar[bool] = True
    hello: _Hello12


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitCertificate(_State12):
    """The server's chain (RFC 5246 §7.4.2), verified at once."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.CERTIFICATE})

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Certificate12)
        if not msg.certificate_list:
            raise DecodeError("server sent an empty Certificate message")
        chain = tuple(X509Certificate.from_der(der) for der in msg.certificate_list)
        sent = self.hello.sent
        verified = verify_server(sent, chain, out,
                                 check_leaf=lambda leaf: _check_key_usage(self.hello, leaf))
        if is_rsa(self.hello.suite.key_exchange):
            # RSA key transport: no ServerKeyExchange; the server proves it holds the key
            # by reading our premaster secret, which its Finished shows.
            return WaitServerHelloDone(hello=self.hello, chain=chain, server_params=None,
                                       group=None, proof=None)
        return WaitServerKeyExchange(hello=self.hello, chain=chain, verified=verified)


def _check_key_usage(hello: _Hello12, leaf: X509Certificate) -> None:
    """RFC 5246 §7.4.2, RFC 8422 §5.3: a keyUsage extension must allow what the suite does
    with the key: keyEncipherment for RSA key transport, digitalSignature for (EC)DHE."""
    if hello.sent.config.insecure_skip_verification:
        return
    kind = hello.suite.key_exchange
    usage: Literal["digital_signature", "key_encipherment"] = \
        "key_encipherment" if is_rsa(kind) else "digital_signature"
    if not leaf.allows_key_usage(usage):
        raise UnsupportedCertificate(f"the server certificate's keyUsage does not allow "
                                     f"{usage} as {kind} needs (RFC 5246 §7.4.2)")



def _accepted_schemes(config: ClientConfig) -> tuple[int, ...]:
    return (*config.signature_schemes, *TLS12_EXTRA_SIGNATURE_SCHEMES)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitServerKeyExchange(_State12):
    """ECDHE parameters signed by the certificate's key (RFC 8422 §5.4)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.SERVER_KEY_EXCHANGE})
    chain: tuple[X509Certificate, ...] = field(repr=False)
    verified: VerifiedChain | None = field(repr=False)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, ServerKeyExchange)
        kind = self.hello.suite.key_exchange
        signed, params = SignedParams.from_body(msg.body, dhe=is_dhe(kind))
        config = self.hello.sent.config
        group = server_group(signed.params, tuple(config.groups))
        self._check_signature(signed, params)
        if out.tracing:  # the names are built only for a listening tracer
            decide(out, "group", describe(NamedGroup, group), (), "chosen by the server")
            decide(out, "signature_scheme", describe(SignatureScheme, signed.algorithm),
                   names(SignatureScheme, _accepted_schemes(config)), "chosen by the server")
        return WaitServerHelloDone(hello=self.hello, chain=self.chain, server_params=signed,
                                   group=group, proof=Authenticated("ServerKeyExchange signature"))

    def _check_signature(self, signed: SignedParams, params: bytes) -> None:
        hello = self.hello
        if signed.algorithm not in _accepted_schemes(hello.sent.config):
            raise IllegalParameter(f"ServerKeyExchange signed with "
                                   f"{describe(SignatureScheme, signed.algorithm)}, not offered")
        key = self.chain[0].public_key
        if not scheme_fits_kind(signed.algorithm, hello.suite.key_exchange):
            raise IllegalParameter(f"a {describe(SignatureScheme, signed.algorithm)} signature "
                                   f"for a {hello.suite.key_exchange} suite")
        content = signed_params_content(hello.sent.hello.random, hello.server_random, params)
        if not sign.verify(signed.algorithm, key, content, signed.signature, curve_bound=False):
            raise DecryptError("ServerKeyExchange signature does not verify")


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitServerHelloDone(_State12):
    """An optional CertificateRequest, then ServerHelloDone: our flight goes out."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.CERTIFICATE_REQUEST, HandshakeType.SERVER_HELLO_DONE})
    chain: tuple[X509Certificate, ...] = field(repr=False)
    server_params: SignedParams | None = field(repr=False)
    group: NamedGroup | None
    # None with RSA key transport, where only the server's Finished proves its key.
    proof: Authenticated | None
    request: CertificateRequest12 | None = None

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        if isinstance(msg, CertificateRequest12):
            return _WaitServerHelloDoneOnly(hello=self.hello, chain=self.chain,
                                            server_params=self.server_params, group=self.group,
                                            proof=self.proof, request=msg)
        hello = self.hello
        config = hello.sent.config
        body, pre_master_secret = client_key_exchange(
            hello.suite.key_exchange, self.group,
            self.server_params.params if self.server_params is not None else None,
            self.chain[0].public_key, config.key_pair_factory, config.entropy)
        ours = _our_certificate(config, self.request, hello.sent.server_name) \
            if self.request is not None else None
        if self.request is not None:
            # RFC 5246 §7.4.6: our chain, or with nothing suitable an empty Certificate.
            out.send(Certificate12(certificate_list=tuple(c.der for c in ours[0].chain)
                                   if ours is not None else ()))
        out.send(ClientKeyExchange(body=body))
        keys = derive_session_keys(hello.suite, pre_master_secret, hello.extended_master_secret,
                                   hello.sent.hello.random, hello.server_random, out)
        if ours is not None:
            certified, scheme = ours
            signature = sign.sign(SignatureScheme(scheme), certified.private_key,
                                  out.transcript.kept_messages(), curve_bound=False)
            out.send(CertificateVerify(algorithm=scheme, signature=signature))
        change_write_cipher(keys, out)
        out.send(finished12(keys, "client", out))
        state = WaitNewSessionTicket if hello.ticket_expected else WaitChangeCipherSpec
        return state(
            hello=hello, chain=self.chain, keys=keys, group=self.group,
            signature_scheme=self.server_params.algorithm if self.server_params else None)


def _our_certificate(config: ClientConfig, request: CertificateRequest12,
                     server_name: str | None) -> tuple[CertifiedKey, int] | None:
    """Our chain and a scheme its key makes that the server asked for (§7.4.4), if any."""
    certified = choose_client_certificate(config, CertificateRequestInfo(
        server_name=server_name, certificate_authorities=request.certificate_authorities,
        signature_schemes=request.supported_signature_algorithms))
    if certified is None:
        return None
    allowed = set(_accepted_schemes(config)) & set(request.supported_signature_algorithms)
    for scheme in sign.tls12_schemes_for_key(certified.private_key):
        # RFC 8422 §5.5: ecdsa_sign covers EdDSA keys too.
        kind = ECDSA_SIGN if scheme_fits_kind(scheme, "ECDHE_ECDSA") else RSA_SIGN
        if scheme in allowed and kind in request.certificate_types:
            return certified, scheme
    return None




@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _WaitServerHelloDoneOnly(WaitServerHelloDone):
    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.SERVER_HELLO_DONE})


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitChangeCipherSpec(_State12):
    """Our Finished is out; the server's ChangeCipherSpec switches our read state."""

    chain: tuple[X509Certificate, ...] = field(repr=False)
    keys: SessionKeys12
    group: int | None
    signature_scheme: int | None
    ticket: NewSessionTicket12 | None = None

    def change_cipher_spec(self, out: Output) -> State:
        change_read_cipher(self.keys, out)
        return WaitFinished(hello=self.hello, chain=self.chain, keys=self.keys, group=self.group,
                            signature_scheme=self.signature_scheme, ticket=self.ticket)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitNewSessionTicket(WaitChangeCipherSpec):
    """RFC 5077 §3.3: the ticket the ServerHello announced, before ChangeCipherSpec."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.NEW_SESSION_TICKET})

    def change_cipher_spec(self, out: Output) -> State:
        return State.change_cipher_spec(self, out)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, NewSessionTicket12)
        return WaitChangeCipherSpec(hello=self.hello, chain=self.chain, keys=self.keys,
                                    group=self.group, signature_scheme=self.signature_scheme,
                                    ticket=msg)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitFinished(WaitChangeCipherSpec):
    """The server's Finished: the handshake was not tampered with."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.FINISHED})

    def change_cipher_spec(self, out: Output) -> State:
        return State.change_cipher_spec(self, out)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Finished)
        verify_finished12(self.keys, "server", msg, out)
        hello = self.hello
        negotiated = Negotiated(
            version=ProtocolVersion.TLS1_2, cipher_suite=hello.suite.suite, group=self.group,
            signature_scheme=self.signature_scheme, alpn_protocol=hello.alpn,
            server_name=hello.sent.server_name, peer_certificates=self.chain,
            client_random=hello.sent.hello.random)
        out.update(negotiated)
        store_client_session12(hello.sent.config, session_store_key12(hello.sent.server_name),
                               self.keys, negotiated, hello.session_id, self.ticket)
        out.emit(HandshakeComplete(
            version=ProtocolVersion.TLS1_2, cipher_suite=hello.suite.suite, group=self.group,
            signature_scheme=self.signature_scheme, alpn_protocol=hello.alpn,
            server_name=hello.sent.server_name, peer_certificates=self.chain))
        return Connected12(role="client", keys=self.keys)
