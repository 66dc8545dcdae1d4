"""OCSP stapling before TLS 1.3: CertificateStatus and the status_request extension.

RFC 6066 §8: a client asks for a stapled OCSP response with status_request in its
ClientHello; a TLS 1.2 (or earlier) server that agrees answers with an empty
status_request in its ServerHello and sends CertificateStatus in the clear after
its Certificate. (In TLS 1.3 the response rides in the CertificateEntry instead,
RFC 8446 §4.4.2.1.) The scanner reads both. The other pre-1.3 plaintext messages
(Certificate12, ServerKeyExchange, ServerHelloDone) are in handshake12.py.
Door: the names in `__all__`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Self

from tlsglass._fastinit import fast_init
from tlsglass.enums import ExtensionType, HandshakeType
from tlsglass.errors import DecodeError
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.extensions import Extension
from tlsglass.wire.handshake import HandshakeMessage

__all__ = ["OCSP_STATUS_TYPE", "CertificateStatus", "CertificateStatusRequest"]

# RFC 6066 §8 CertificateStatusType.ocsp.
OCSP_STATUS_TYPE: Final = 1


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateStatus(HandshakeMessage):
    """RFC 6066 §8: status_type, then OCSPResponse<1..2^24-1> (DER) for type ocsp."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE_STATUS
    status_type: int = OCSP_STATUS_TYPE
    response: bytes

    def encode(self, w: Writer) -> None:
        w.u8(self.status_type)
        w.opaque(3, self.response, 1, what="OCSPResponse")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        status_type = r.u8()
        if status_type != OCSP_STATUS_TYPE:
            raise DecodeError(f"unknown CertificateStatusType {status_type}")
        return cls(status_type=status_type, response=r.opaque(3, 1, what="OCSPResponse"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateStatusRequest(Extension):
    """RFC 6066 §8 status_request in a ClientHello: ocsp, responder_id_list, extensions."""

    extension_type: ClassVar[int] = ExtensionType.STATUS_REQUEST
    status_type: int = OCSP_STATUS_TYPE
    responder_id_list: tuple[bytes, ...] = ()
    request_extensions: bytes = b""

    def encode_body(self, w: Writer) -> None:
        w.u8(self.status_type)
        with w.prefixed(2, what="responder_id_list"):
            for responder in self.responder_id_list:
                w.opaque(2, responder, 1, what="ResponderID")
        w.opaque(2, self.request_extensions, what="request_extensions")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        status_type = r.u8()
        responders = r.vector(2, 0, None, lambda s: s.opaque(2, 1, what="ResponderID"),
                              "responder_id_list")
        return cls(status_type=status_type, responder_id_list=responders,
                   request_extensions=r.opaque(2, what="request_extensions"))
