"""TLS 1.2-and-earlier plaintext structures a client reads before ChangeCipherSpec.

The scanner reads a server's first flight at any version from SSL 3.0 to TLS 1.2
without completing the handshake, so it needs the messages that travel in the
clear there: the 1.2 Certificate (RFC 5246 §7.4.2), ServerKeyExchange for ECDHE
(RFC 8422 §5.4) and DHE (RFC 5246 §7.4.3), CertificateStatus (RFC 6066 §8),
ServerHelloDone (RFC 5246 §7.4.5), and the status_request extension a client
sends to ask for a stapled OCSP response (RFC 6066 §8).

A ServerKeyExchange's layout depends on the negotiated key exchange, which the
message does not name, so each kind has its own class and the caller picks one;
the signature that follows the parameters is kept as bytes (`signed_params`),
because its layout depends on the version too (`DigitallySigned` reads the 1.2
form). Door: the names in `__all__`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Self

from tlsglass.enums import ExtensionType, HandshakeType
from tlsglass.errors import DecodeError
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.extensions import Extension
from tlsglass.wire.handshake import HandshakeMessage

__all__ = [
    "EC_CURVE_TYPE_NAMED_CURVE",
    "OCSP_STATUS_TYPE",
    "Certificate12",
    "CertificateStatus",
    "CertificateStatusRequest",
    "DigitallySigned",
    "ServerHelloDone",
    "ServerKeyExchangeDhe",
    "ServerKeyExchangeEcdhe",
]

# RFC 8422 §5.4 ECCurveType: only named_curve (3) is still allowed.
EC_CURVE_TYPE_NAMED_CURVE: Final = 3
# RFC 6066 §8 CertificateStatusType.ocsp.
OCSP_STATUS_TYPE: Final = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate12(HandshakeMessage):
    """RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>, leaf first."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE
    certificate_list: tuple[bytes, ...]

    def encode(self, w: Writer) -> None:
        with w.prefixed(3, what="certificate_list"):
            for cert in self.certificate_list:
                w.opaque(3, cert, 1, what="ASN.1Cert")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        certs = r.vector(3, 0, None, lambda s: s.opaque(3, 1, what="ASN.1Cert"),
                         "certificate_list")
        return cls(certificate_list=certs)

    def __repr__(self) -> str:
        return f"Certificate12(<{len(self.certificate_list)} certificates>)"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerKeyExchangeEcdhe(HandshakeMessage):
    """RFC 8422 §5.4 ServerECDHParams (named_curve only), then the signature bytes."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_KEY_EXCHANGE
    named_curve: int
    public: bytes
    signed_params: bytes = b""

    def encode(self, w: Writer) -> None:
        w.u8(EC_CURVE_TYPE_NAMED_CURVE)
        w.u16(self.named_curve)
        w.opaque(1, self.public, 1, what="ECPoint")
        w.write(self.signed_params)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        curve_type = r.u8()
        if curve_type != EC_CURVE_TYPE_NAMED_CURVE:
            # explicit_prime (1) and explicit_char2 (2) are deprecated (RFC 8422 §5.4).
            raise DecodeError(f"ECCurveType {curve_type} is not named_curve")
        return cls(named_curve=r.u16(), public=r.opaque(1, 1, what="ECPoint"),
                   signed_params=r.rest())


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerKeyExchangeDhe(HandshakeMessage):
    """RFC 5246 §7.4.3 ServerDHParams (dh_p, dh_g, dh_Ys), then the signature bytes."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_KEY_EXCHANGE
    dh_p: bytes
    dh_g: bytes
    dh_ys: bytes
    signed_params: bytes = b""

    @property
    def prime_bits(self) -> int:
        return int.from_bytes(self.dh_p, "big").bit_length()

    def encode(self, w: Writer) -> None:
        w.opaque(2, self.dh_p, 1, what="dh_p")
        w.opaque(2, self.dh_g, 1, what="dh_g")
        w.opaque(2, self.dh_ys, 1, what="dh_Ys")
        w.write(self.signed_params)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(dh_p=r.opaque(2, 1, what="dh_p"), dh_g=r.opaque(2, 1, what="dh_g"),
                   dh_ys=r.opaque(2, 1, what="dh_Ys"), signed_params=r.rest())


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitallySigned:
    """RFC 5246 §4.7 digitally-signed in TLS 1.2: SignatureAndHashAlgorithm, signature."""

    algorithm: int
    signature: bytes

    def encode(self, w: Writer) -> None:
        w.u16(self.algorithm)
        w.opaque(2, self.signature, what="signature")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(algorithm=r.u16(), signature=r.opaque(2, what="signature"))


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


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerHelloDone(HandshakeMessage):
    """RFC 5246 §7.4.5: empty."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_HELLO_DONE

    def encode(self, w: Writer) -> None:
        return None

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls()


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
