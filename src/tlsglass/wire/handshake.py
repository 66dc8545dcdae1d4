"""Handshake messages: the 4-byte header and one frozen dataclass + codec per message.

`encode_handshake(msg)` gives the exact bytes that go into the transcript;
`decode_handshake(msg_type, body)` turns one reassembled message body back into
its dataclass. Decoders are exact (every byte consumed) and raise only
DecodeError. Semantic checks (which extensions are allowed, lengths that depend
on the negotiated hash) belong to the handshake states, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Final, Self

from tlsglass._fastinit import fast_init
from tlsglass.enums import HandshakeType, ProtocolVersion
from tlsglass.errors import DecodeError, EncodeError
from tlsglass.wire.buffer import Reader, Writer, decode_whole
from tlsglass.wire.extension_block import decode_extensions, encode_extensions
from tlsglass.wire.extensions import Extension

__all__ = [
    "HANDSHAKE_HEADER_LEN",
    "HELLO_RETRY_REQUEST_RANDOM",
    "TLS11_DOWNGRADE_SENTINEL",
    "TLS12_DOWNGRADE_SENTINEL",
    "Certificate",
    "CertificateEntry",
    "CertificateRequest",
    "CertificateVerify",
    "ClientHello",
    "EmptyMessage",
    "EncryptedExtensions",
    "EndOfEarlyData",
    "Finished",
    "HandshakeMessage",
    "KeyUpdate",
    "NewSessionTicket",
    "ServerHello",
    "decode_handshake",
    "encode_handshake",
]

HANDSHAKE_HEADER_LEN: Final = 4

# §4.1.3: SHA-256("HelloRetryRequest") marks a ServerHello as a HelloRetryRequest.
HELLO_RETRY_REQUEST_RANDOM: Final = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
# §4.1.3: the last 8 bytes of ServerHello.random when a 1.3 server negotiates lower.
TLS12_DOWNGRADE_SENTINEL: Final = bytes.fromhex("444f574e47524401")
TLS11_DOWNGRADE_SENTINEL: Final = bytes.fromhex("444f574e47524400")


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class HandshakeMessage:
    """Base of every handshake message body."""

    msg_type: ClassVar[HandshakeType]

    def encode(self, w: Writer) -> None:
        raise NotImplementedError

    @classmethod
    def decode(cls, r: Reader) -> Self:
        raise NotImplementedError


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientHello(HandshakeMessage):
    """§4.1.2. cipher_suites and compression methods stay ints: GREASE must round-trip."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CLIENT_HELLO
    legacy_version: int = ProtocolVersion.TLS1_2
    random: bytes
    legacy_session_id: bytes = b""
    cipher_suites: tuple[int, ...]
    legacy_compression_methods: bytes = b"\x00"
    extensions: tuple[Extension, ...] = ()

    def encode(self, w: Writer) -> None:
        w.u16(self.legacy_version)
        w.fixed(self.random, 32, "random")
        w.opaque(1, self.legacy_session_id, 0, 32, "legacy_session_id")
        w.uints(2, 2, self.cipher_suites, 2, 0xFFFE, "cipher_suites")
        w.opaque(1, self.legacy_compression_methods, 1, what="legacy_compression_methods")
        if self.extensions:
            encode_extensions(w, self.extensions)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        legacy_version = r.u16()
        random = r.read(32)
        session_id = r.opaque(1, 0, 32, "legacy_session_id")
        suites = r.uints(2, 2, 2, 0xFFFE, "cipher_suites")
        compression = r.opaque(1, 1, what="legacy_compression_methods")
        # RFC 5246 §7.4.1.2: a TLS 1.2 ClientHello may end before the extensions.
        extensions = () if r.at_end() else decode_extensions(
            r, HandshakeType.CLIENT_HELLO, minimum=1)
        return cls(legacy_version=legacy_version, random=random, legacy_session_id=session_id,
                   cipher_suites=suites, legacy_compression_methods=compression,
                   extensions=extensions)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ServerHello(HandshakeMessage):
    """§4.1.3; a HelloRetryRequest is a ServerHello whose random is the §4.1.3 constant."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_HELLO
    legacy_version: int = ProtocolVersion.TLS1_2
    random: bytes
    legacy_session_id_echo: bytes = b""
    cipher_suite: int
    legacy_compression_method: int = 0
    extensions: tuple[Extension, ...] = ()

    @property
    def is_hello_retry_request(self) -> bool:
        return self.random == HELLO_RETRY_REQUEST_RANDOM

    def encode(self, w: Writer) -> None:
        w.u16(self.legacy_version)
        w.fixed(self.random, 32, "random")
        w.opaque(1, self.legacy_session_id_echo, 0, 32, "legacy_session_id_echo")
        w.u16(self.cipher_suite)
        w.u8(self.legacy_compression_method)
        if self.extensions:
            encode_extensions(w, self.extensions)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        legacy_version = r.u16()
        random = r.read(32)
        session_id = r.opaque(1, 0, 32, "legacy_session_id_echo")
        suite = r.u16()
        compression = r.u8()
        context = (HandshakeType.HELLO_RETRY_REQUEST if random == HELLO_RETRY_REQUEST_RANDOM
                   else HandshakeType.SERVER_HELLO)
        extensions = () if r.at_end() else decode_extensions(r, context, minimum=1)
        return cls(legacy_version=legacy_version, random=random,
                   legacy_session_id_echo=session_id, cipher_suite=suite,
                   legacy_compression_method=compression, extensions=extensions)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptedExtensions(HandshakeMessage):
    """§4.3.1."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.ENCRYPTED_EXTENSIONS
    extensions: tuple[Extension, ...] = ()

    def encode(self, w: Writer) -> None:
        encode_extensions(w, self.extensions)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(extensions=decode_extensions(r, HandshakeType.ENCRYPTED_EXTENSIONS))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRequest(HandshakeMessage):
    """§4.3.2 (TLS 1.3 form)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE_REQUEST
    certificate_request_context: bytes = b""
    extensions: tuple[Extension, ...]

    def encode(self, w: Writer) -> None:
        w.opaque(1, self.certificate_request_context, what="certificate_request_context")
        encode_extensions(w, self.extensions, minimum=2)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        context = r.opaque(1, what="certificate_request_context")
        return cls(certificate_request_context=context,
                   extensions=decode_extensions(r, HandshakeType.CERTIFICATE_REQUEST, 2))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateEntry:
    """§4.4.2 CertificateEntry (X.509): cert_data<1..2^24-1> and its extensions."""

    cert_data: bytes
    extensions: tuple[Extension, ...] = ()

    def encode(self, w: Writer) -> None:
        w.opaque(3, self.cert_data, 1, what="cert_data")
        encode_extensions(w, self.extensions)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        data = r.opaque(3, 1, what="cert_data")
        return cls(cert_data=data, extensions=decode_extensions(r, HandshakeType.CERTIFICATE))

    def __repr__(self) -> str:
        return f"CertificateEntry(cert_data=<{len(self.cert_data)} bytes>, " \
               f"extensions={self.extensions!r})"


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate(HandshakeMessage):
    """§4.4.2 (TLS 1.3 form)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE
    certificate_request_context: bytes = b""
    certificate_list: tuple[CertificateEntry, ...]

    def encode(self, w: Writer) -> None:
        w.opaque(1, self.certificate_request_context, what="certificate_request_context")
        with w.prefixed(3, what="certificate_list"):
            for entry in self.certificate_list:
                entry.encode(w)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        context = r.opaque(1, what="certificate_request_context")
        entries = r.vector(3, 0, None, CertificateEntry.decode, "certificate_list")
        return cls(certificate_request_context=context, certificate_list=entries)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateVerify(HandshakeMessage):
    """§4.4.3."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE_VERIFY
    algorithm: int
    signature: bytes

    def encode(self, w: Writer) -> None:
        w.u16(self.algorithm)
        w.opaque(2, self.signature, what="signature")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(algorithm=r.u16(), signature=r.opaque(2, what="signature"))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Finished(HandshakeMessage):
    """§4.4.4: verify_data[Hash.length]; the length is checked by whoever knows the hash."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.FINISHED
    verify_data: bytes = field(repr=False)

    def encode(self, w: Writer) -> None:
        w.write(self.verify_data)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(verify_data=r.rest())


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class NewSessionTicket(HandshakeMessage):
    """§4.6.1 (TLS 1.3 form)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.NEW_SESSION_TICKET
    ticket_lifetime: int
    ticket_age_add: int = field(repr=False)
    ticket_nonce: bytes = field(repr=False)
    ticket: bytes = field(repr=False)
    extensions: tuple[Extension, ...] = ()

    def encode(self, w: Writer) -> None:
        w.u32(self.ticket_lifetime)
        w.u32(self.ticket_age_add)
        w.opaque(1, self.ticket_nonce, what="ticket_nonce")
        w.opaque(2, self.ticket, 1, what="ticket")
        encode_extensions(w, self.extensions)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(ticket_lifetime=r.u32(), ticket_age_add=r.u32(),
                   ticket_nonce=r.opaque(1, what="ticket_nonce"),
                   ticket=r.opaque(2, 1, what="ticket"),
                   extensions=decode_extensions(r, HandshakeType.NEW_SESSION_TICKET))


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EmptyMessage(HandshakeMessage):
    """A message with no body (EndOfEarlyData; TLS 1.2's HelloRequest, ServerHelloDone)."""

    def encode(self, w: Writer) -> None:
        return None

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls()


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EndOfEarlyData(EmptyMessage):
    """§4.5: empty."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.END_OF_EARLY_DATA


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyUpdate(HandshakeMessage):
    """§4.6.3. request_update stays an int; values other than 0 and 1 are refused later."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.KEY_UPDATE
    request_update: int

    def encode(self, w: Writer) -> None:
        w.u8(self.request_update)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        return cls(request_update=r.u8())


_TLS13_MESSAGES: Final[Mapping[int, type[HandshakeMessage]]] = MappingProxyType({
    cls.msg_type: cls
    for cls in (ClientHello, ServerHello, EncryptedExtensions, CertificateRequest, Certificate,
                CertificateVerify, Finished, NewSessionTicket, EndOfEarlyData, KeyUpdate)
})


def encode_handshake(msg: HandshakeMessage) -> bytes:
    """The full message: msg_type, uint24 length, body (what the transcript hashes)."""
    w = Writer()
    msg.encode(w)
    n = len(w)
    if n > 0xFFFFFF:
        raise EncodeError(f"handshake body length {n} outside <0..16777215>")
    return bytes((msg.msg_type, n >> 16, n >> 8 & 0xFF, n & 0xFF)) + w.getvalue()


def decode_handshake(msg_type: int, body: bytes) -> HandshakeMessage:
    """Decode one message body of a type we know; DecodeError for anything else."""
    cls = _TLS13_MESSAGES.get(msg_type)
    if cls is None:
        raise DecodeError(f"unknown handshake message type {msg_type}")
    return decode_whole(cls.decode, body, cls.__name__)
