"""The TLS 1.3 client's answer to a CertificateRequest (§4.3.2, §4.4.2, §4.4.3).

Shared by the handshake (WAIT_FINISHED sends it before Finished) and by
post-handshake authentication (§4.6.2): a client that offered
post_handshake_auth (§4.2.6) is CONNECTED as ClientConnectedPHA and answers a
later CertificateRequest at once with Certificate, CertificateVerify and
Finished, hashed over a fork of the handshake transcript (§4.4: the whole
handshake, then this exchange) and keyed by its current
client_application_traffic_secret_N. The certificate comes from the config:
a fixed `certificate`, or the `certificate_selector` hook, which sees what the
server asked for. With none, or one that cannot sign a scheme the server
accepts, the answer is an empty Certificate and no CertificateVerify.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from tlsglass._fastinit import fast_init
from tlsglass.config import CertificateRequestInfo, CertifiedKey, ClientConfig
from tlsglass.crypto import sign
from tlsglass.enums import HandshakeType, SignatureScheme
from tlsglass.errors import MissingExtension
from tlsglass.handshake.base import Output, State, decide
from tlsglass.handshake.connected13 import ClientConnected, certificate_verify_content
from tlsglass.handshake.negotiate import (
    choose_client_certificate,
    names,
    select_signature_scheme,
)
from tlsglass.keyschedule import finished_verify_data
from tlsglass.transcript import Transcript
from tlsglass.wire.extension_block import find
from tlsglass.wire.extensions import (
    CertificateAuthorities,
    SignatureAlgorithms,
    SignatureAlgorithmsCert,
)
from tlsglass.wire.handshake import (
    Certificate,
    CertificateEntry,
    CertificateRequest,
    CertificateVerify,
    Finished,
    HandshakeMessage,
)

__all__ = ["ClientConnectedPHA", "client_connected", "request_info", "send_client_certificate"]


def request_info(request: CertificateRequest, server_name: str | None,
                 post_handshake: bool) -> CertificateRequestInfo:
    """What the request asks for, in the form the selector hook receives."""
    schemes = find(request.extensions, SignatureAlgorithms)
    cert_schemes = find(request.extensions, SignatureAlgorithmsCert)
    authorities = find(request.extensions, CertificateAuthorities)
    return CertificateRequestInfo(
        server_name=server_name,
        certificate_authorities=authorities.authorities if authorities else (),
        signature_schemes=schemes.values if schemes else (),
        certificate_signature_schemes=cert_schemes.values if cert_schemes else (),
        post_handshake=post_handshake)


def send_client_certificate(config: ClientConfig, request: CertificateRequest,
                            server_name: str | None, out: Output, *,
                            post_handshake: Transcript | None = None) -> CertifiedKey | None:
    """§4.4.2: our chain (or an empty one) and, with a chain, a CertificateVerify.

    In the handshake `out.send` feeds the handshake transcript; after it
    (§4.6.2) `post_handshake` is the exchange's own transcript, fed here.
    Returns the certificate sent, or None for an empty Certificate.
    """
    def send(msg: HandshakeMessage) -> None:
        raw = out.send(msg)
        if post_handshake is not None:
            post_handshake.add(raw)

    info = request_info(request, server_name, post_handshake is not None)
    certified = choose_client_certificate(config, info)
    scheme = None
    if certified is not None:
        scheme = select_signature_scheme(certified.signature_schemes, config.signature_schemes,
                                         info.signature_schemes)
    context = request.certificate_request_context
    if certified is None or scheme is None:
        why = "no certificate configured or selected" if certified is None else \
            "our key signs no scheme the server accepts"
        decide(out, "client_certificate", "none", (), why)
        send(Certificate(certificate_request_context=context, certificate_list=()))
        return None
    if out.tracing:  # the subject string is parsed lazily: only for a listener
        decide(out, "client_certificate", certified.leaf.subject,
               names(SignatureScheme, info.signature_schemes),
               "from the config's selector" if config.certificate_selector else "configured")
    send(Certificate(certificate_request_context=context,
                     certificate_list=tuple(CertificateEntry(cert_data=c.der)
                                            for c in certified.chain)))
    transcript = post_handshake if post_handshake is not None else out.transcript
    content = certificate_verify_content("client", transcript.digest())
    send(CertificateVerify(algorithm=scheme,
                           signature=sign.sign(SignatureScheme(scheme), certified.private_key,
                                               content)))
    return certified


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConnectedPHA(ClientConnected):
    """CONNECTED for a client that offered post_handshake_auth: it may be asked (§4.6.2)."""

    expects: ClassVar[frozenset[HandshakeType]] = ClientConnected.expects | {
        HandshakeType.CERTIFICATE_REQUEST}
    config: ClientConfig = field(repr=False)
    server_name: str | None
    handshake_transcript: Transcript = field(repr=False, compare=False)
    # A fork of the handshake transcript, ready for the next CertificateRequest.
    next_transcript: Transcript = field(repr=False, compare=False)

    def transcript_for(self, msg_type: int, out: Output) -> Transcript | None:
        return self.next_transcript if msg_type == HandshakeType.CERTIFICATE_REQUEST else None

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        if isinstance(msg, CertificateRequest):
            return self._answer(msg, out)
        return ClientConnected.handle(self, msg, out)

    def _answer(self, msg: CertificateRequest, out: Output) -> State:
        if find(msg.extensions, SignatureAlgorithms) is None:
            raise MissingExtension("CertificateRequest without signature_algorithms (§4.3.2)")
        transcript = self.next_transcript
        send_client_certificate(self.config, msg, self.server_name, out,
                                post_handshake=transcript)
        verify_data = finished_verify_data(self.suite.hash_name, self.client_secret,
                                           transcript.digest())
        transcript.add(out.send(Finished(verify_data=verify_data)))
        return replace(self, next_transcript=self.handshake_transcript.fork())


def client_connected(config: ClientConfig, server_name: str | None, out: Output,
                     **connected: object) -> ClientConnected:
    """The client's CONNECTED state: able to answer a later CertificateRequest if offered."""
    if not config.post_handshake_auth:
        return ClientConnected(**connected)  # type: ignore[arg-type]
    handshake = out.transcript.fork()
    return ClientConnectedPHA(config=config, server_name=server_name,
                              handshake_transcript=handshake, next_transcript=handshake.fork(),
                              **connected)  # type: ignore[arg-type]
