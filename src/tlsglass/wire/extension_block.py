"""Extension blocks: decode a whole `Extension extensions<..>` list for one message,
encode one, and check it against RFC 8446 §4.2's rules.

An extension's body depends on the message that carries it, so decoding is keyed by
(extension type, message): `_CODECS` says which dataclass of extensions.py each
pair decodes to, and anything else stays a `RawExtension`. `check_extensions`
refuses repeats and recognised extensions in messages the §4.2 table does not
allow them in. `find` and friends look an extension up in a decoded block.

Most extensions are the same bytes in connection after connection (a client's
supported_groups, signature_algorithms, versions, ALPN...), so both directions
remember (convention 16): an extension object handed to `remember_encoding` is
encoded once, and a body decoded once is answered from a bounded table keyed by
its exact bytes (extensions are frozen, so one decoded object serves everyone).
The extensions that carry fresh values every time (key_share, pre_shared_key,
cookie, padding) are never kept. A Writer that watches each write (the tracer's)
always gets the field-by-field encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final, TypeVar

from tlsglass.enums import ExtensionType, HandshakeType
from tlsglass.errors import IllegalParameter
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.extensions import (
    ALPN,
    CertificateAuthorities,
    Cookie,
    EarlyDataIndication,
    EarlyDataTicket,
    EcPointFormats,
    ExtendedMasterSecret,
    Extension,
    KeyShareClientHello,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    PostHandshakeAuth,
    PreSharedKeyClientHello,
    PreSharedKeyServerHello,
    PskKeyExchangeModes,
    RawExtension,
    RecordSizeLimit,
    RenegotiationInfo,
    ServerNameAck,
    ServerNameList,
    SessionTicket,
    SignatureAlgorithms,
    SignatureAlgorithmsCert,
    SupportedGroups,
    SupportedVersionsClientHello,
    SupportedVersionsServerHello,
)

__all__ = ["check_extensions", "decode_extensions", "encode_extensions", "find", "find_raw",
           "remember_encoding", "require"]

E = TypeVar("E", bound=Extension)

_CH: Final = HandshakeType.CLIENT_HELLO
_SH: Final = HandshakeType.SERVER_HELLO
_HRR: Final = HandshakeType.HELLO_RETRY_REQUEST
_EE: Final = HandshakeType.ENCRYPTED_EXTENSIONS
_CT: Final = HandshakeType.CERTIFICATE
_CR: Final = HandshakeType.CERTIFICATE_REQUEST
_NST: Final = HandshakeType.NEW_SESSION_TICKET

# Which body each (extension, message) pair decodes to. A pair absent here
# decodes to RawExtension. HelloRetryRequest uses its reserved HandshakeType
# value as a context key only; on the wire it is a ServerHello (§4.1.4).
_CODECS: Final[Mapping[tuple[int, int], type[Extension]]] = MappingProxyType({
    (ExtensionType.SERVER_NAME, _CH): ServerNameList,
    (ExtensionType.SERVER_NAME, _EE): ServerNameAck,
    (ExtensionType.SERVER_NAME, _SH): ServerNameAck,
    (ExtensionType.SUPPORTED_GROUPS, _CH): SupportedGroups,
    (ExtensionType.SUPPORTED_GROUPS, _EE): SupportedGroups,
    (ExtensionType.SIGNATURE_ALGORITHMS, _CH): SignatureAlgorithms,
    (ExtensionType.SIGNATURE_ALGORITHMS, _CR): SignatureAlgorithms,
    (ExtensionType.SIGNATURE_ALGORITHMS_CERT, _CH): SignatureAlgorithmsCert,
    (ExtensionType.SIGNATURE_ALGORITHMS_CERT, _CR): SignatureAlgorithmsCert,
    (ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION, _CH): ALPN,
    (ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION, _EE): ALPN,
    (ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION, _SH): ALPN,
    (ExtensionType.SUPPORTED_VERSIONS, _CH): SupportedVersionsClientHello,
    (ExtensionType.SUPPORTED_VERSIONS, _SH): SupportedVersionsServerHello,
    (ExtensionType.SUPPORTED_VERSIONS, _HRR): SupportedVersionsServerHello,
    (ExtensionType.KEY_SHARE, _CH): KeyShareClientHello,
    (ExtensionType.KEY_SHARE, _SH): KeyShareServerHello,
    (ExtensionType.KEY_SHARE, _HRR): KeyShareHelloRetryRequest,
    (ExtensionType.COOKIE, _CH): Cookie,
    (ExtensionType.COOKIE, _HRR): Cookie,
    (ExtensionType.PSK_KEY_EXCHANGE_MODES, _CH): PskKeyExchangeModes,
    (ExtensionType.PRE_SHARED_KEY, _CH): PreSharedKeyClientHello,
    (ExtensionType.PRE_SHARED_KEY, _SH): PreSharedKeyServerHello,
    (ExtensionType.EARLY_DATA, _CH): EarlyDataIndication,
    (ExtensionType.EARLY_DATA, _EE): EarlyDataIndication,
    (ExtensionType.EARLY_DATA, _NST): EarlyDataTicket,
    (ExtensionType.RECORD_SIZE_LIMIT, _CH): RecordSizeLimit,
    (ExtensionType.RECORD_SIZE_LIMIT, _EE): RecordSizeLimit,
    (ExtensionType.RECORD_SIZE_LIMIT, _SH): RecordSizeLimit,
    (ExtensionType.POST_HANDSHAKE_AUTH, _CH): PostHandshakeAuth,
    (ExtensionType.CERTIFICATE_AUTHORITIES, _CH): CertificateAuthorities,
    (ExtensionType.CERTIFICATE_AUTHORITIES, _CR): CertificateAuthorities,
    (ExtensionType.RENEGOTIATION_INFO, _CH): RenegotiationInfo,
    (ExtensionType.RENEGOTIATION_INFO, _SH): RenegotiationInfo,
    (ExtensionType.EXTENDED_MASTER_SECRET, _CH): ExtendedMasterSecret,
    (ExtensionType.EXTENDED_MASTER_SECRET, _SH): ExtendedMasterSecret,
    (ExtensionType.EC_POINT_FORMATS, _CH): EcPointFormats,
    (ExtensionType.EC_POINT_FORMATS, _SH): EcPointFormats,
    (ExtensionType.SESSION_TICKET, _CH): SessionTicket,
    (ExtensionType.SESSION_TICKET, _SH): SessionTicket,
})

# RFC 9846 §4.2 table: where each extension may appear in TLS 1.3.
_TLS13_ALLOWED: Final[Mapping[int, frozenset[int]]] = MappingProxyType({
    ExtensionType.SERVER_NAME: frozenset({_CH, _EE, _CR}),
    ExtensionType.MAX_FRAGMENT_LENGTH: frozenset({_CH, _EE}),
    ExtensionType.STATUS_REQUEST: frozenset({_CH, _CR, _CT}),
    ExtensionType.SUPPORTED_GROUPS: frozenset({_CH, _EE}),
    ExtensionType.SIGNATURE_ALGORITHMS: frozenset({_CH, _CR}),
    ExtensionType.USE_SRTP: frozenset({_CH, _EE}),
    ExtensionType.HEARTBEAT: frozenset({_CH, _EE}),
    ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION: frozenset({_CH, _EE}),
    ExtensionType.SIGNED_CERTIFICATE_TIMESTAMP: frozenset({_CH, _CR, _CT}),
    ExtensionType.CLIENT_CERTIFICATE_TYPE: frozenset({_CH, _EE}),
    ExtensionType.SERVER_CERTIFICATE_TYPE: frozenset({_CH, _EE}),
    ExtensionType.PADDING: frozenset({_CH}),
    ExtensionType.COMPRESS_CERTIFICATE: frozenset({_CH, _CR}),
    ExtensionType.RECORD_SIZE_LIMIT: frozenset({_CH, _EE}),
    ExtensionType.PRE_SHARED_KEY: frozenset({_CH, _SH}),
    ExtensionType.EARLY_DATA: frozenset({_CH, _EE, _NST}),
    ExtensionType.SUPPORTED_VERSIONS: frozenset({_CH, _SH, _HRR}),
    ExtensionType.COOKIE: frozenset({_CH, _HRR}),
    ExtensionType.PSK_KEY_EXCHANGE_MODES: frozenset({_CH}),
    ExtensionType.CERTIFICATE_AUTHORITIES: frozenset({_CH, _CR}),
    ExtensionType.OID_FILTERS: frozenset({_CR}),
    ExtensionType.POST_HANDSHAKE_AUTH: frozenset({_CH}),
    ExtensionType.SIGNATURE_ALGORITHMS_CERT: frozenset({_CH, _CR}),
    ExtensionType.KEY_SHARE: frozenset({_CH, _SH, _HRR}),
    # TLS 1.2 extensions a 1.3-capable client still offers; in 1.3 only the
    # ClientHello may carry them.
    ExtensionType.EC_POINT_FORMATS: frozenset({_CH}),
    ExtensionType.EXTENDED_MASTER_SECRET: frozenset({_CH}),
    ExtensionType.SESSION_TICKET: frozenset({_CH}),
    ExtensionType.RENEGOTIATION_INFO: frozenset({_CH}),
    ExtensionType.ENCRYPT_THEN_MAC: frozenset({_CH}),
})


# Never remembered: their bodies are new in every message (§4.2.8, §4.2.11, §4.2.2).
_FRESH: Final = frozenset({ExtensionType.KEY_SHARE, ExtensionType.PRE_SHARED_KEY,
                           ExtensionType.COOKIE, ExtensionType.PADDING})
_MAX_REMEMBERED_BODY: Final = 512  # bytes; a larger body is decoded every time
_MAX_DECODED: Final = 512
_MAX_ENCODED: Final = 512
# (message, extension type, body) -> the decoded extension.
_DECODED: dict[tuple[int, int, bytes], Extension] = {}
# id(extension) -> (the extension, which this keeps alive, and its whole encoding).
_ENCODED: dict[int, tuple[Extension, bytes]] = {}


def decode_extensions(r: Reader, context: int, minimum: int = 0) -> tuple[Extension, ...]:
    """Read `Extension extensions<minimum..2^16-1>` for the message `context`."""
    block = r.sub(2, minimum, None, "extensions")
    out: list[Extension] = []
    codecs, decoded, fresh = _CODECS, _DECODED, _FRESH
    while block.remaining:
        code, body = block.extension_body()
        codec = codecs.get((code, context))
        if codec is None:
            out.append(RawExtension(code=code, data=body))
            continue
        key = (context, code, body) \
            if len(body) <= _MAX_REMEMBERED_BODY and code not in fresh else None
        ext = None if key is None else decoded.get(key)
        if ext is None:
            data = Reader(body)
            ext = codec.decode_body(data)
            data.finish(f"extension {code}")
            if key is not None:
                if len(decoded) >= _MAX_DECODED:
                    decoded.clear()  # crude, and bounded: the next messages refill it
                decoded[key] = ext
        out.append(ext)
    return tuple(out)


def remember_encoding(ext: E) -> E:
    """Encode `ext` once from now on (for extension objects reused across messages,
    such as a config's ClientHello template); returns `ext`."""
    if ext.type_code not in _FRESH and id(ext) not in _ENCODED:
        w = Writer()
        w.extension(ext.type_code, ext.encode_body)
        if len(_ENCODED) >= _MAX_ENCODED:
            _ENCODED.clear()
        _ENCODED[id(ext)] = (ext, w.getvalue())
    return ext


def encode_extensions(w: Writer, extensions: Iterable[Extension], minimum: int = 0) -> None:
    plain = type(w) is Writer  # a watching subclass sees every field written
    encoded = _ENCODED
    with w.prefixed(2, minimum, what="extensions"):
        for ext in extensions:
            known = encoded.get(id(ext)) if plain else None
            if known is not None and known[0] is ext:
                w.write(known[1])
            else:
                w.extension(ext.type_code, ext.encode_body)


def check_extensions(extensions: Iterable[Extension], context: int, tls13: bool = True) -> None:
    """RFC 8446 §4.2: no repeats; a recognised extension only in the messages the table allows."""
    codes = tuple([ext.type_code for ext in extensions])
    key = (context, tls13, codes)
    if key in _CHECKED:  # the same list of codes as a message before it (convention 16)
        return
    seen: set[int] = set()
    for code in codes:
        if code in seen:
            raise IllegalParameter(f"extension {_name(code)} appears twice")
        seen.add(code)
        allowed = _TLS13_ALLOWED.get(code)
        if tls13 and allowed is not None and context not in allowed:
            raise IllegalParameter(
                f"extension {_name(code)} is not allowed in {HandshakeType(context).name}")
    if len(_CHECKED) >= _MAX_CHECKED:
        _CHECKED.clear()
    _CHECKED.add(key)


# Lists of extension codes that passed check_extensions, with their message and rules.
_CHECKED: set[tuple[int, bool, tuple[int, ...]]] = set()
_MAX_CHECKED: Final = 256


def _name(code: int) -> str:
    try:
        return ExtensionType(code).name.lower()
    except ValueError:
        return f"0x{code:04x}"


def find(extensions: Iterable[Extension], kind: type[E]) -> E | None:
    """The extension of class `kind` in a block, or None."""
    for ext in extensions:
        if type(ext) is kind:
            return ext
    return None


def find_raw(extensions: Iterable[Extension], code: int) -> Extension | None:
    """The extension with code point `code`, whatever its class."""
    for ext in extensions:
        if ext.type_code == code:
            return ext
    return None


def require(extensions: Iterable[Extension], kind: type[E], error: Callable[[str], Exception]
            ) -> E:
    found = find(extensions, kind)
    if found is None:
        raise error(f"missing {_name(kind.extension_type)} extension")
    return found

