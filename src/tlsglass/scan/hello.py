"""ClientHellos the scanner sends: any version, any suites, any extensions.

`HelloSpec` says what to offer; `build_hello` turns it into whole records with
tlsglass.wire. Key shares are real public keys (from tlsglass.crypto) so that a
TLS 1.3 server can answer with its ServerHello; the private halves are dropped,
because the scanner never finishes a handshake.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from tlsglass.crypto.kx import generate_key_pair
from tlsglass.enums import ContentType, NamedGroup, ProtocolVersion, SignatureScheme
from tlsglass.errors import TLSError
from tlsglass.wire import (
    ALPN,
    ClientHello,
    EcPointFormats,
    ExtendedMasterSecret,
    Extension,
    KeyShareClientHello,
    KeyShareEntry,
    PskKeyExchangeModes,
    RawExtension,
    RecordSizeLimit,
    RenegotiationInfo,
    ServerNameList,
    SessionTicket,
    SignatureAlgorithms,
    SupportedGroups,
    SupportedVersionsClientHello,
    encode_handshake,
    encode_header,
)
from tlsglass.wire.legacy import CertificateStatusRequest

__all__ = ["ALL_GROUPS", "ALL_SIGNATURE_SCHEMES", "HelloSpec", "build_hello"]

_V = ProtocolVersion
ALL_GROUPS: Final = tuple(int(g) for g in NamedGroup)
ALL_SIGNATURE_SCHEMES: Final = tuple(int(s) for s in SignatureScheme)
# RFC 7685 padding extension, used for oversized hellos.
_PADDING: Final = 21
_MAX_FRAGMENT: Final = 1 << 14


@dataclass(frozen=True, slots=True, kw_only=True)
class HelloSpec:
    """What one ClientHello offers. `version` is the highest version offered."""

    version: int
    cipher_suites: tuple[int, ...]
    server_name: str | None = None
    groups: tuple[int, ...] = ALL_GROUPS
    key_share_groups: tuple[int, ...] = (NamedGroup.X25519,)
    signature_schemes: tuple[int, ...] = ALL_SIGNATURE_SCHEMES
    alpn: tuple[bytes, ...] = ()
    compression_methods: bytes = b"\x00"
    supported_versions: tuple[int, ...] | None = None  # default: just `version` for 1.3
    legacy_version: int | None = None
    extras: tuple[Extension, ...] = ()
    plain: bool = False  # no extensions at all (an SSL 3.0-style hello)
    record_size_limit: int | None = None
    pad_to: int = 0  # grow the hello to this many bytes with the padding extension
    session_ticket: bool = True  # offer RFC 5077 tickets (servers then often skip session IDs)
    one_record: bool = False  # do not fragment, even past 2^14 bytes (record_overflow test)


def build_hello(spec: HelloSpec) -> bytes:
    """The ClientHello as TLSPlaintext records (fragmented at 2^14 bytes)."""
    legacy = spec.legacy_version
    if legacy is None:
        legacy = min(spec.version, _V.TLS1_2)
    hello = ClientHello(legacy_version=legacy, random=os.urandom(32),
                        legacy_session_id=os.urandom(32) if spec.version >= _V.TLS1_3 else b"",
                        cipher_suites=spec.cipher_suites,
                        legacy_compression_methods=spec.compression_methods,
                        extensions=() if spec.plain else _extensions(spec))
    message = encode_handshake(hello)
    if spec.pad_to > len(message):
        hello = ClientHello(legacy_version=hello.legacy_version, random=hello.random,
                            legacy_session_id=hello.legacy_session_id,
                            cipher_suites=hello.cipher_suites,
                            legacy_compression_methods=hello.legacy_compression_methods,
                            extensions=(*hello.extensions, RawExtension(
                                code=_PADDING, data=bytes(spec.pad_to - len(message) - 4))))
        message = encode_handshake(hello)
    # RFC 5246 App. E.1: 0x0301 in the record layer is what most clients send.
    record_version = _V.SSL3_0 if spec.version == _V.SSL3_0 else _V.TLS1_0
    if spec.one_record:
        return encode_header(ContentType.HANDSHAKE, record_version, len(message)) + message
    return b"".join(
        encode_header(ContentType.HANDSHAKE, record_version, len(chunk)) + chunk
        for chunk in (message[i : i + _MAX_FRAGMENT]
                      for i in range(0, len(message), _MAX_FRAGMENT)))


def _extensions(spec: HelloSpec) -> tuple[Extension, ...]:
    out: list[Extension] = []
    if spec.server_name:
        out.append(ServerNameList(names=((0, spec.server_name.encode("idna")),)))
    out += [SupportedGroups(values=spec.groups), EcPointFormats(ec_point_format_list=(0,)),
            SignatureAlgorithms(values=spec.signature_schemes),
            CertificateStatusRequest(), ExtendedMasterSecret(), RenegotiationInfo()]
    if spec.session_ticket:
        out.append(SessionTicket())
    if spec.alpn:
        out.append(ALPN(protocol_name_list=spec.alpn))
    if spec.record_size_limit is not None:
        out.append(RecordSizeLimit(record_size_limit=spec.record_size_limit))
    if spec.version >= _V.TLS1_3:
        versions = spec.supported_versions or (spec.version,)
        out += [SupportedVersionsClientHello(values=versions),
                PskKeyExchangeModes(ke_modes=(1,)),
                KeyShareClientHello(client_shares=tuple(
                    _share(g) for g in spec.key_share_groups))]
    elif spec.supported_versions:
        out.append(SupportedVersionsClientHello(values=spec.supported_versions))
    out += spec.extras
    return tuple(out)


def _share(group: int) -> KeyShareEntry:
    try:
        public = generate_key_pair(NamedGroup(group)).public_bytes()
    except (ValueError, TLSError):
        # A group tlsglass cannot generate (or GREASE): any bytes will do, the
        # server either ignores it or names the group it prefers.
        public = os.urandom(32)
    return KeyShareEntry(group=group, key_exchange=public)
