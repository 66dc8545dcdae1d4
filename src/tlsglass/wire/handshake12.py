"""TLS 1.2 handshake messages (RFC 5246 §7.4) and their codecs.

ClientHello, ServerHello, CertificateVerify and Finished have the same shape in
both versions and live in handshake.py. Certificate and CertificateRequest share
their type numbers with TLS 1.3 but not their bodies, so the dispatcher picks
this module's table (`decode_handshake12`) once TLS 1.2 is negotiated.

ServerKeyExchange and ClientKeyExchange carry bodies whose form depends on the
suite's key exchange, which a message decoder cannot know: they decode to their
raw body, and the states read it with `EcdheServerParams`/`EcdheClientPublic`
(RFC 8422 §5.4, §5.7) here, as rustls does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Final, Self

from tlsglass._fastinit import fast_init
from tlsglass.enums import HandshakeType
from tlsglass.errors import DecodeError
from tlsglass.wire.buffer import Reader, Writer, decode_whole
from tlsglass.wire.handshake import (
    CertificateVerify,
    ClientHello,
    EmptyMessage,
    Finished,
    HandshakeMessage,
    ServerHello,
)

__all__ = [
    "EC_CURVE_TYPE_NAMED_CURVE",
    "Certificate12",
    "CertificateRequest12",
    "ClientKeyExchange",
    "DheClientPublic",
    "DheServerParams",
    "EcdheClientPublic",
    "EcdheServerParams",
    "EncryptedPreMasterSecret",
    "HelloRequest",
    "NewSessionTicket12",
    "ServerHelloDone",
    "ServerKeyExchange",
    "SignedParams",
    "decode_handshake12",
]

# RFC 8422 §5.4: ECCurveType named_curve; explicit curves are deprecated and refused.
EC_CURVE_TYPE_NAMED_CURVE: Final = 3


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class HelloRequest(EmptyMessage):
    """RFC 5246 §7.4.1.1: empty; a server's request to renegotiate (which we refuse)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.HELLO_REQUEST


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate12(HandshakeMessage):
    """RFC 5246 §7.4.2: ASN.1Cert certificate_list<0..2^24-1>, each ASN.1Cert<1..2^24-1>."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE
    certificate_list: tuple[bytes, ...]

    def encode(self, w: Writer) -> None:
        with w.prefixed(3, what="certificate_list"):
            for cert in self.certificate_list:
                w.opaque(3, cert, 1, what="ASN.1Cert")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(certificate_list=r.vector(
            3, 0, None, lambda s: s.opaque(3, 1, what="ASN.1Cert"), "certificate_list"))

    def __repr__(self) -> str:
        return f"Certificate12(<{len(self.certificate_list)} certificates>)"


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRequest12(HandshakeMessage):
    """RFC 5246 §7.4.4: certificate_types<1..2^8-1>, supported_signature_algorithms
    <2..2^16-2>, certificate_authorities<0..2^16-1> (each DistinguishedName<1..2^16-1>)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE_REQUEST
    certificate_types: tuple[int, ...]
    supported_signature_algorithms: tuple[int, ...]
    certificate_authorities: tuple[bytes, ...] = ()

    def encode(self, w: Writer) -> None:
        w.uints(1, 1, self.certificate_types, 1, what="certificate_types")
        w.uints(2, 2, self.supported_signature_algorithms, 2, 0xFFFE,
                "supported_signature_algorithms")
        with w.prefixed(2, what="certificate_authorities"):
            for name in self.certificate_authorities:
                w.opaque(2, name, 1, what="DistinguishedName")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        types = r.uints(1, 1, 1, None, "certificate_types")
        schemes = r.uints(2, 2, 2, 0xFFFE, "supported_signature_algorithms")
        names = r.vector(2, 0, None, lambda s: s.opaque(2, 1, what="DistinguishedName"),
                         "certificate_authorities")
        return cls(certificate_types=types, supported_signature_algorithms=schemes,
                   certificate_authorities=names)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ServerKeyExchange(HandshakeMessage):
    """RFC 5246 §7.4.3, body kept whole: its form depends on the suite's key exchange."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_KEY_EXCHANGE
    body: bytes

    def encode(self, w: Writer) -> None:
        w.write(self.body)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(body=r.rest())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ServerHelloDone(EmptyMessage):
    """RFC 5246 §7.4.5: empty."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_HELLO_DONE


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientKeyExchange(HandshakeMessage):
    """RFC 5246 §7.4.7, body kept whole: its form depends on the suite's key exchange."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CLIENT_KEY_EXCHANGE
    body: bytes = field(repr=False)

    def encode(self, w: Writer) -> None:
        w.write(self.body)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(body=r.rest())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EcdheServerParams:
    """RFC 8422 §5.4 ServerECDHParams: named_curve, then ECPoint public<1..2^8-1>."""

    named_curve: int
    public: bytes

    def encode(self, w: Writer) -> None:
        w.u8(EC_CURVE_TYPE_NAMED_CURVE)
        w.u16(self.named_curve)
        w.opaque(1, self.public, 1, what="ECPoint")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        curve_type = r.u8()
        if curve_type != EC_CURVE_TYPE_NAMED_CURVE:
            raise DecodeError(f"ECCurveType {curve_type}: only named_curve is allowed")
        return cls(named_curve=r.u16(), public=r.opaque(1, 1, what="ECPoint"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class DheServerParams:
    """RFC 5246 §7.4.3 ServerDHParams: dh_p, dh_g, dh_Ys, each <1..2^16-1>."""

    dh_p: bytes
    dh_g: bytes
    dh_ys: bytes

    def encode(self, w: Writer) -> None:
        w.opaque(2, self.dh_p, 1, what="dh_p")
        w.opaque(2, self.dh_g, 1, what="dh_g")
        w.opaque(2, self.dh_ys, 1, what="dh_Ys")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(dh_p=r.opaque(2, 1, what="dh_p"), dh_g=r.opaque(2, 1, what="dh_g"),
                   dh_ys=r.opaque(2, 1, what="dh_Ys"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SignedParams:
    """A ServerKeyExchange body: the params as sent (the signature covers those exact
    bytes, RFC 5246 §7.4.3), then DigitallySigned: SignatureAndHashAlgorithm and
    signature<0..2^16-1> (§4.7). `decode` reads ECDHE params, `decode_dhe` DHE ones."""

    params: EcdheServerParams | DheServerParams
    algorithm: int
    signature: bytes

    def encode(self, w: Writer) -> None:
        self.params.encode(w)
        w.u16(self.algorithm)
        w.opaque(2, self.signature, what="signature")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        params = EcdheServerParams.decode(r)
        return cls(params=params, algorithm=r.u16(), signature=r.opaque(2, what="signature"))

    @classmethod
    def decode_dhe(cls, r: Reader) -> Self:
        params = DheServerParams.decode(r)
        return cls(params=params, algorithm=r.u16(), signature=r.opaque(2, what="signature"))

    @classmethod
    def from_body(cls, body: bytes, dhe: bool = False) -> tuple[Self, bytes]:
        """Decode a whole ServerKeyExchange body; also return the signed params bytes."""
        signed = decode_whole(cls.decode_dhe if dhe else cls.decode, body, "ServerKeyExchange")
        return signed, body[:len(body) - 4 - len(signed.signature)]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EcdheClientPublic:
    """RFC 8422 §5.7 ClientECDiffieHellmanPublic: ECPoint ecdh_Yc<1..2^8-1>."""

    ecdh_yc: bytes

    def encode(self, w: Writer) -> None:
        w.opaque(1, self.ecdh_yc, 1, what="ecdh_Yc")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(ecdh_yc=r.opaque(1, 1, what="ecdh_Yc"))

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        return decode_whole(cls.decode, body, "ClientKeyExchange")


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class DheClientPublic:
    """RFC 5246 §7.4.7.2 ClientDiffieHellmanPublic (explicit): dh_Yc<1..2^16-1>."""

    dh_yc: bytes

    def encode(self, w: Writer) -> None:
        w.opaque(2, self.dh_yc, 1, what="dh_Yc")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(dh_yc=r.opaque(2, 1, what="dh_Yc"))

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        return decode_whole(cls.decode, body, "ClientKeyExchange")


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptedPreMasterSecret:
    """RFC 5246 §7.4.7.1: the RSA-encrypted premaster secret, opaque<0..2^16-1>."""

    encrypted: bytes = field(repr=False)

    def encode(self, w: Writer) -> None:
        w.opaque(2, self.encrypted, what="EncryptedPreMasterSecret")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(encrypted=r.opaque(2, what="EncryptedPreMasterSecret"))

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        return decode_whole(cls.decode, body, "ClientKeyExchange")


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class NewSessionTicket12(HandshakeMessage):
    """RFC 5077 §3.3: ticket_lifetime_hint (seconds, 0 = unspecified), ticket<0..2^16-1>."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.NEW_SESSION_TICKET
    ticket_lifetime_hint: int
    ticket: bytes = field(repr=False)

    def encode(self, w: Writer) -> None:
        w.u32(self.ticket_lifetime_hint)
        w.opaque(2, self.ticket, what="ticket")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(ticket_lifetime_hint=r.u32(), ticket=r.opaque(2, what="ticket"))


_TLS12_MESSAGES: Final[Mapping[int, type[HandshakeMessage]]] = MappingProxyType({
    cls.msg_type: cls
    for cls in (HelloRequest, ClientHello, ServerHello, Certificate12, ServerKeyExchange,
                CertificateRequest12, ServerHelloDone, CertificateVerify, ClientKeyExchange,
                Finished, NewSessionTicket12)
})


def decode_handshake12(msg_type: int, body: bytes) -> HandshakeMessage:
    """Decode one TLS 1.2 message body; DecodeError for a type TLS 1.2 does not have."""
    cls = _TLS12_MESSAGES.get(msg_type)
    if cls is None:
        raise DecodeError(f"unknown TLS 1.2 handshake message type {msg_type}")
    return decode_whole(cls.decode, body, cls.__name__)
