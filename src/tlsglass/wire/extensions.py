"""Extensions: one frozen dataclass per extension body, with its codec.

An extension's body depends on the message that carries it (key_share in a
ClientHello is a list of shares, in a ServerHello one share), so some extensions
have one class per context. An extension this module does not know decodes to
`RawExtension` so that the bytes round-trip. Whole blocks, and where each
extension may appear (RFC 8446 §4.2), are extension_block.py's job. Offered
values stay plain ints (GREASE must round-trip).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Self

from tlsglass._fastinit import fast_init
from tlsglass.enums import ExtensionType
from tlsglass.wire.buffer import Reader, Writer

__all__ = [
    "ALPN",
    "CertificateAuthorities",
    "Cookie",
    "EarlyDataIndication",
    "EarlyDataTicket",
    "EcPointFormats",
    "ExtendedMasterSecret",
    "Extension",
    "KeyShareClientHello",
    "KeyShareEntry",
    "KeyShareHelloRetryRequest",
    "KeyShareServerHello",
    "PostHandshakeAuth",
    "PreSharedKeyClientHello",
    "PreSharedKeyServerHello",
    "PskIdentity",
    "PskKeyExchangeModes",
    "RawExtension",
    "RecordSizeLimit",
    "RenegotiationInfo",
    "ServerNameAck",
    "ServerNameList",
    "SessionTicket",
    "SignatureAlgorithms",
    "SignatureAlgorithmsCert",
    "SupportedGroups",
    "SupportedVersionsClientHello",
    "SupportedVersionsServerHello",
]

_TYPE_CODE: Final = "type_code"


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Extension:
    """Base of every extension body. `extension_type` is the IANA code point."""

    extension_type: ClassVar[int]

    def __init_subclass__(cls) -> None:
        # (No super() call: slots=True rebuilds each class, and the base is object.)
        # `type_code` as a plain class attribute where the class names its code point:
        # it is read ~90 times a handshake, and a property is a call each time.
        if _TYPE_CODE not in cls.__dict__ and "extension_type" in cls.__dict__:
            setattr(cls, _TYPE_CODE, cls.__dict__["extension_type"])

    def encode_body(self, w: Writer) -> None:
        raise NotImplementedError

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        raise NotImplementedError

    @property
    def type_code(self) -> int:
        return self.extension_type


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RawExtension(Extension):
    """An extension kept as bytes: unknown, GREASE, or not defined for this message."""

    extension_type: ClassVar[int] = -1
    code: int
    data: bytes

    @property
    def type_code(self) -> int:
        return self.code

    def encode_body(self, w: Writer) -> None:
        w.write(self.data)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _Empty(Extension):
    """An extension whose body is empty (a flag)."""

    def encode_body(self, w: Writer) -> None:
        return None

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        r.finish("empty extension")
        return cls()


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ServerNameList(Extension):
    """RFC 6066 §3 server_name in a ClientHello: (name_type, name) pairs; 0 is host_name."""

    extension_type: ClassVar[int] = ExtensionType.SERVER_NAME
    names: tuple[tuple[int, bytes], ...]

    @property
    def host_name(self) -> bytes | None:
        return next((n for t, n in self.names if t == 0), None)

    def encode_body(self, w: Writer) -> None:
        with w.prefixed(2, 1, what="server_name_list"):
            for name_type, name in self.names:
                w.u8(name_type)
                w.opaque(2, name, 1, what="HostName")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        def entry(s: Reader) -> tuple[int, bytes]:
            return s.u8(), s.opaque(2, 1, what="HostName")

        names = r.vector(2, 1, None, entry, "server_name_list")
        return cls(names=names)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ServerNameAck(_Empty):
    """RFC 6066 §3: the server's empty server_name, saying it used the name."""

    extension_type: ClassVar[int] = ExtensionType.SERVER_NAME


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _U16List(Extension):
    """A body that is one list of 2-byte code points."""

    values: tuple[int, ...]
    _min: ClassVar[int] = 2
    _width: ClassVar[int] = 2

    def encode_body(self, w: Writer) -> None:
        w.uints(self._width, 2, self.values, self._min, what=type(self).__name__)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(values=r.uints(cls._width, 2, cls._min, None, cls.__name__))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SupportedGroups(_U16List):
    """§4.2.7 named_group_list<2..2^16-1>."""

    extension_type: ClassVar[int] = ExtensionType.SUPPORTED_GROUPS


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureAlgorithms(_U16List):
    """§4.2.3 supported_signature_algorithms<2..2^16-2>."""

    extension_type: ClassVar[int] = ExtensionType.SIGNATURE_ALGORITHMS


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureAlgorithmsCert(_U16List):
    """§4.2.3 signature_algorithms_cert: schemes acceptable in certificates."""

    extension_type: ClassVar[int] = ExtensionType.SIGNATURE_ALGORITHMS_CERT


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SupportedVersionsClientHello(_U16List):
    """§4.2.1 versions<2..254>, with a one-byte length."""

    extension_type: ClassVar[int] = ExtensionType.SUPPORTED_VERSIONS
    _width: ClassVar[int] = 1


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SupportedVersionsServerHello(Extension):
    """§4.2.1 selected_version, in ServerHello and HelloRetryRequest."""

    extension_type: ClassVar[int] = ExtensionType.SUPPORTED_VERSIONS
    selected_version: int

    def encode_body(self, w: Writer) -> None:
        w.u16(self.selected_version)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(selected_version=r.u16())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ALPN(Extension):
    """RFC 7301 §3.1 ProtocolNameList; in EncryptedExtensions it holds exactly one name."""

    extension_type: ClassVar[int] = ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION
    protocol_name_list: tuple[bytes, ...]

    def encode_body(self, w: Writer) -> None:
        with w.prefixed(2, 2, what="ProtocolNameList"):
            for name in self.protocol_name_list:
                w.opaque(1, name, 1, what="ProtocolName")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        names = r.vector(2, 2, None, lambda s: s.opaque(1, 1, what="ProtocolName"),
                         "ProtocolNameList")
        return cls(protocol_name_list=names)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyShareEntry:
    """§4.2.8 KeyShareEntry: a group and its key_exchange<1..2^16-1>."""

    group: int
    key_exchange: bytes

    def encode(self, w: Writer) -> None:
        w.u16(self.group)
        w.opaque(2, self.key_exchange, 1, what="key_exchange")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(group=r.u16(), key_exchange=r.opaque(2, 1, what="key_exchange"))

    def __repr__(self) -> str:
        size = len(self.key_exchange)
        return f"KeyShareEntry(group={self.group:#06x}, key_exchange=<{size} bytes>)"


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyShareClientHello(Extension):
    """§4.2.8 client_shares<0..2^16-1>."""

    extension_type: ClassVar[int] = ExtensionType.KEY_SHARE
    client_shares: tuple[KeyShareEntry, ...]

    def encode_body(self, w: Writer) -> None:
        with w.prefixed(2, what="client_shares"):
            for share in self.client_shares:
                share.encode(w)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(client_shares=r.vector(2, 0, None, KeyShareEntry.decode, "client_shares"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyShareServerHello(Extension):
    """§4.2.8 server_share."""

    extension_type: ClassVar[int] = ExtensionType.KEY_SHARE
    server_share: KeyShareEntry

    def encode_body(self, w: Writer) -> None:
        self.server_share.encode(w)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(server_share=KeyShareEntry.decode(r))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyShareHelloRetryRequest(Extension):
    """§4.2.8 selected_group, in a HelloRetryRequest."""

    extension_type: ClassVar[int] = ExtensionType.KEY_SHARE
    selected_group: int

    def encode_body(self, w: Writer) -> None:
        w.u16(self.selected_group)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(selected_group=r.u16())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Cookie(Extension):
    """§4.2.2 cookie<1..2^16-1>."""

    extension_type: ClassVar[int] = ExtensionType.COOKIE
    cookie: bytes

    def encode_body(self, w: Writer) -> None:
        w.opaque(2, self.cookie, 1, what="cookie")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(cookie=r.opaque(2, 1, what="cookie"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PskKeyExchangeModes(Extension):
    """§4.2.9 ke_modes<1..255>."""

    extension_type: ClassVar[int] = ExtensionType.PSK_KEY_EXCHANGE_MODES
    ke_modes: tuple[int, ...]

    def encode_body(self, w: Writer) -> None:
        w.uints(1, 1, self.ke_modes, 1, what="ke_modes")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(ke_modes=r.uints(1, 1, 1, None, "ke_modes"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PskIdentity:
    """§4.2.11 PskIdentity."""

    identity: bytes
    obfuscated_ticket_age: int

    def encode(self, w: Writer) -> None:
        w.opaque(2, self.identity, 1, what="identity")
        w.u32(self.obfuscated_ticket_age)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(identity=r.opaque(2, 1, what="identity"), obfuscated_ticket_age=r.u32())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PreSharedKeyClientHello(Extension):
    """§4.2.11 OfferedPsks: identities<7..2^16-1>, binders<33..2^16-1>."""

    extension_type: ClassVar[int] = ExtensionType.PRE_SHARED_KEY
    identities: tuple[PskIdentity, ...]
    binders: tuple[bytes, ...]

    def encode_body(self, w: Writer) -> None:
        with w.prefixed(2, 7, what="identities"):
            for identity in self.identities:
                identity.encode(w)
        self.encode_binders(w)

    def encode_binders(self, w: Writer) -> None:
        with w.prefixed(2, 33, what="binders"):
            for binder in self.binders:
                w.opaque(1, binder, 32, what="PskBinderEntry")

    @property
    def binders_length(self) -> int:
        """Bytes the binders list takes on the wire, length prefix included (§4.2.11.2)."""
        return 2 + sum(1 + len(b) for b in self.binders)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        identities = r.vector(2, 7, None, PskIdentity.decode, "identities")
        binders = r.vector(2, 33, None, lambda s: s.opaque(1, 32, what="PskBinderEntry"),
                           "binders")
        return cls(identities=identities, binders=binders)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PreSharedKeyServerHello(Extension):
    """§4.2.11 selected_identity."""

    extension_type: ClassVar[int] = ExtensionType.PRE_SHARED_KEY
    selected_identity: int

    def encode_body(self, w: Writer) -> None:
        w.u16(self.selected_identity)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(selected_identity=r.u16())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EarlyDataIndication(_Empty):
    """§4.2.10 early_data in ClientHello and EncryptedExtensions (empty)."""

    extension_type: ClassVar[int] = ExtensionType.EARLY_DATA


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EarlyDataTicket(Extension):
    """§4.2.10 early_data in NewSessionTicket: max_early_data_size."""

    extension_type: ClassVar[int] = ExtensionType.EARLY_DATA
    max_early_data_size: int

    def encode_body(self, w: Writer) -> None:
        w.u32(self.max_early_data_size)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(max_early_data_size=r.u32())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSizeLimit(Extension):
    """RFC 8449 §4 record_size_limit: uint16, at least 64."""

    extension_type: ClassVar[int] = ExtensionType.RECORD_SIZE_LIMIT
    record_size_limit: int

    def encode_body(self, w: Writer) -> None:
        w.u16(self.record_size_limit)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(record_size_limit=r.u16())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PostHandshakeAuth(_Empty):
    """§4.2.6 post_handshake_auth (empty)."""

    extension_type: ClassVar[int] = ExtensionType.POST_HANDSHAKE_AUTH


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateAuthorities(Extension):
    """§4.2.4 authorities<3..2^16-1> of DistinguishedName<1..2^16-1> (DER)."""

    extension_type: ClassVar[int] = ExtensionType.CERTIFICATE_AUTHORITIES
    authorities: tuple[bytes, ...]

    def encode_body(self, w: Writer) -> None:
        with w.prefixed(2, 3, what="authorities"):
            for name in self.authorities:
                w.opaque(2, name, 1, what="DistinguishedName")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        names = r.vector(2, 3, None, lambda s: s.opaque(2, 1, what="DistinguishedName"),
                         "authorities")
        return cls(authorities=names)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RenegotiationInfo(Extension):
    """RFC 5746 §3.2 renegotiated_connection<0..255>."""

    extension_type: ClassVar[int] = ExtensionType.RENEGOTIATION_INFO
    renegotiated_connection: bytes = b""

    def encode_body(self, w: Writer) -> None:
        w.opaque(1, self.renegotiated_connection, what="renegotiated_connection")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(renegotiated_connection=r.opaque(1, what="renegotiated_connection"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendedMasterSecret(_Empty):
    """RFC 7627 §5.1 extended_master_secret (empty)."""

    extension_type: ClassVar[int] = ExtensionType.EXTENDED_MASTER_SECRET


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EcPointFormats(Extension):
    """RFC 8422 §5.1.2 ec_point_format_list<1..2^8-1>."""

    extension_type: ClassVar[int] = ExtensionType.EC_POINT_FORMATS
    ec_point_format_list: tuple[int, ...]

    def encode_body(self, w: Writer) -> None:
        w.uints(1, 1, self.ec_point_format_list, 1, what="ec_point_format_list")

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(ec_point_format_list=r.uints(1, 1, 1, None, "ec_point_format_list"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SessionTicket(Extension):
    """RFC 5077 §3.2 SessionTicket extension: an opaque ticket, possibly empty."""

    extension_type: ClassVar[int] = ExtensionType.SESSION_TICKET
    ticket: bytes = b""

    def encode_body(self, w: Writer) -> None:
        w.write(self.ticket)

    @classmethod
    def decode_body(cls, r: Reader) -> Self:
        return cls(ticket=r.rest())
