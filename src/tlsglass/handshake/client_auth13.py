"""The TLS 1.3 client's answer to a CertificateRequest (§4.3.2, §4.4.2, §4.4.3).

Shared by the handshake (WAIT_FINISHED sends it before Finished) and by
post-handshake authentication (§4.6.2). The certificate comes from the config:
a fixed `certificate`, or the `certificate_selector` hook, which sees what the
server asked for. With none, or one that cannot sign a scheme the server
accepts, the answer is an empty Certificate and no CertificateVerify.
"""

from __future__ import annotations

from tlsglass.config import CertificateRequestInfo, CertifiedKey, ClientConfig
from tlsglass.crypto import sign
from tlsglass.enums import SignatureScheme
from tlsglass.handshake.base import Output, decide
from tlsglass.handshake.connected13 import certificate_verify_content
from tlsglass.handshake.negotiate import names, select_signature_scheme
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
)

__all__ = ["request_info", "send_client_certificate"]


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


def _choose(config: ClientConfig, info: CertificateRequestInfo) -> CertifiedKey | None:
    if config.certificate_selector is not None:
        return config.certificate_selector(info)
    return config.certificate


def send_client_certificate(config: ClientConfig, request: CertificateRequest,
                            server_name: str | None, out: Output, *,
                            post_handshake: bool = False) -> CertifiedKey | None:
    """§4.4.2: our chain (or an empty one) and, with a chain, a CertificateVerify.

    Returns the certificate sent, or None for an empty Certificate.
    """
    info = request_info(request, server_name, post_handshake)
    certified = _choose(config, info)
    scheme = None
    if certified is not None:
        scheme = select_signature_scheme(certified.signature_schemes, config.signature_schemes,
                                         info.signature_schemes)
    context = request.certificate_request_context
    if certified is None or scheme is None:
        why = "no certificate configured or selected" if certified is None else \
            "our key signs no scheme the server accepts"
        decide(out, "client_certificate", "none", (), why)
        out.send(Certificate(certificate_request_context=context, certificate_list=()))
        return None
    if out.tracing:  # the subject string is parsed lazily: only for a listener
        decide(out, "client_certificate", certified.leaf.subject,
               names(SignatureScheme, info.signature_schemes),
               "from the config's selector" if config.certificate_selector else "configured")
    out.send(Certificate(certificate_request_context=context,
                         certificate_list=tuple(CertificateEntry(cert_data=c.der)
                                                for c in certified.chain)))
    content = certificate_verify_content("client", out.transcript.digest())
    out.send(CertificateVerify(algorithm=scheme,
                               signature=sign.sign(SignatureScheme(scheme),
                                                   certified.private_key, content)))
    return certified
