"""Hypothesis strategies: one per wire type, driving the codec properties (STYLE convention 4, 15).

Every strategy produces values that are encodable: each field stays within the
RFC's `<min..max>` bounds (byte strings are capped well below the maximum so
examples stay small; the Reader/Writer tests cover the limits themselves).
Values a peer offers are plain `int`s anywhere in their width, biased towards
registered code points and GREASE (RFC 8701) so that the handshake tests reach
past the first check.

Extensions are generated per message context. `TYPED_EXTENSIONS` is this file's
own statement of RFC 8446 §4.2 plus the TLS 1.2 extensions we model: which code
points a context decodes to a typed class. A `RawExtension` never uses one of
those code points in that context, since it would decode to the typed class.
The round-trip tests would fail if this table and `wire.extensions` disagreed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from hypothesis import strategies as st

from tlsglass.enums import (
    AlertDescription,
    AlertLevel,
    CipherSuite,
    ContentType,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
)
from tlsglass.wire.alert import Alert
from tlsglass.wire.buffer import Writer
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
    KeyShareEntry,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    PostHandshakeAuth,
    PreSharedKeyClientHello,
    PreSharedKeyServerHello,
    PskIdentity,
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
from tlsglass.wire.handshake import (
    HELLO_RETRY_REQUEST_RANDOM,
    Certificate,
    CertificateEntry,
    CertificateRequest,
    CertificateVerify,
    ClientHello,
    EncryptedExtensions,
    EndOfEarlyData,
    Finished,
    HandshakeMessage,
    KeyUpdate,
    NewSessionTicket,
    ServerHello,
)
from tlsglass.wire.handshake12 import (
    Certificate12,
    CertificateRequest12,
    ClientKeyExchange,
    DheClientPublic,
    DheServerParams,
    EcdheClientPublic,
    EcdheServerParams,
    EncryptedPreMasterSecret,
    HelloRequest,
    NewSessionTicket12,
    ServerHelloDone,
    ServerKeyExchange,
    SignedParams,
)
from tlsglass.wire.record import RecordHeader
from tlsglass.wire.ticket import SessionState

__all__ = [
    "CONTEXTS",
    "EXTENSION_STRATEGIES",
    "MESSAGE_STRATEGIES",
    "TYPED_EXTENSIONS",
    "alerts",
    "certificate_entries",
    "certificate_requests",
    "certificate_verifies",
    "certificates",
    "client_hellos",
    "encrypted_extensions",
    "end_of_early_datas",
    "extension_blocks",
    "extensions_for",
    "finisheds",
    "handshake_messages",
    "hello_retry_requests",
    "key_share_entries",
    "key_updates",
    "mutations",
    "new_session_tickets",
    "opaque",
    "psk_identities",
    "raw_extensions",
    "record_headers",
    "server_hellos",
    "uint",
    "variants_of",
]

_CH: Final = int(HandshakeType.CLIENT_HELLO)
_SH: Final = int(HandshakeType.SERVER_HELLO)
_HRR: Final = int(HandshakeType.HELLO_RETRY_REQUEST)
_EE: Final = int(HandshakeType.ENCRYPTED_EXTENSIONS)
_CT: Final = int(HandshakeType.CERTIFICATE)
_CR: Final = int(HandshakeType.CERTIFICATE_REQUEST)
_NST: Final = int(HandshakeType.NEW_SESSION_TICKET)

# The message contexts an extension block can be decoded in.
CONTEXTS: Final = (_CH, _SH, _HRR, _EE, _CT, _CR, _NST)

_GREASE_16: Final = tuple(((n << 4) | 0x0A) << 8 | ((n << 4) | 0x0A) for n in range(16))
_GREASE_8: Final = tuple(0x0B + 0x1F * k for k in range(8))


# -- primitives ---------------------------------------------------------------------


def uint(width: int) -> st.SearchStrategy[int]:
    """Any unsigned integer that fits in `width` bytes."""
    return st.integers(min_value=0, max_value=(1 << (8 * width)) - 1)


def _code_points(width: int, known: Sequence[int] = ()) -> st.SearchStrategy[int]:
    """An offered value: often registered or GREASE, otherwise anything in the width."""
    grease = _GREASE_16 if width == 2 else _GREASE_8 if width == 1 else ()
    favoured = [int(v) for v in known] + list(grease)
    if not favoured:
        return uint(width)
    return st.one_of(st.sampled_from(favoured), uint(width))


def _members(enum: type[IntEnum]) -> list[int]:
    return [int(m) for m in enum]


def opaque(minimum: int, maximum: int, cap: int = 40) -> st.SearchStrategy[bytes]:
    """`opaque x<minimum..maximum>`, at most `cap` bytes long to keep examples small."""
    return st.binary(min_size=minimum, max_size=max(minimum, min(maximum, cap)))


_suites: Final = _code_points(2, _members(CipherSuite))
_groups: Final = _code_points(2, _members(NamedGroup))
_schemes: Final = _code_points(2, _members(SignatureScheme))
_versions: Final = _code_points(2, _members(ProtocolVersion))


def _u16_list(values: st.SearchStrategy[int], max_items: int = 12
              ) -> st.SearchStrategy[tuple[int, ...]]:
    """A list of 2-byte values with at least one item (`<2..2^16-1>` in bytes)."""
    return st.lists(values, min_size=1, max_size=max_items).map(tuple)


# -- extension bodies -----------------------------------------------------------------


def key_share_entries() -> st.SearchStrategy[KeyShareEntry]:
    """§4.2.8 KeyShareEntry: group, key_exchange<1..2^16-1>."""
    return st.builds(KeyShareEntry, group=_groups, key_exchange=opaque(1, 0xFFFF, cap=64))


def session_states() -> st.SearchStrategy[SessionState]:
    """Our own ticket plaintext (wire/ticket.py)."""
    return st.builds(
        SessionState, version=_versions, cipher_suite=_suites, secret=opaque(32, 64, 64),
        issued_at_ms=uint(8), authenticated_at_ms=uint(8), lifetime=uint(4),
        ticket_age_add=uint(4),
        max_early_data_size=uint(4), alpn_protocol=opaque(0, 255), server_name=opaque(0, 60),
        extended_master_secret=st.booleans(), external=st.booleans(),
        peer_certificates=st.lists(opaque(1, 60), max_size=3).map(tuple))


def psk_identities() -> st.SearchStrategy[PskIdentity]:
    """§4.2.11 PskIdentity: identity<1..2^16-1>, obfuscated_ticket_age."""
    return st.builds(PskIdentity, identity=opaque(1, 0xFFFF), obfuscated_ticket_age=uint(4))


_server_name_lists = st.builds(
    ServerNameList,
    names=st.lists(st.tuples(_code_points(1, [0]), opaque(1, 0xFFFF)),
                   min_size=1, max_size=3).map(tuple))
_supported_groups = st.builds(SupportedGroups, values=_u16_list(_groups))
_signature_algorithms = st.builds(SignatureAlgorithms, values=_u16_list(_schemes))
_signature_algorithms_cert = st.builds(SignatureAlgorithmsCert, values=_u16_list(_schemes))
_alpn = st.builds(ALPN, protocol_name_list=st.lists(
    st.one_of(st.sampled_from([b"h2", b"http/1.1"]), opaque(1, 255)),
    min_size=1, max_size=4).map(tuple))
# versions<2..254>: at most 127 two-byte items.
_supported_versions_ch = st.builds(SupportedVersionsClientHello,
                                   values=_u16_list(_versions, max_items=127))
_supported_versions_sh = st.builds(SupportedVersionsServerHello, selected_version=_versions)
_key_share_ch = st.builds(KeyShareClientHello, client_shares=st.lists(
    key_share_entries(), max_size=3).map(tuple))
_key_share_sh = st.builds(KeyShareServerHello, server_share=key_share_entries())
_key_share_hrr = st.builds(KeyShareHelloRetryRequest, selected_group=_groups)
_cookie = st.builds(Cookie, cookie=opaque(1, 0xFFFF))
_psk_modes = st.builds(PskKeyExchangeModes, ke_modes=st.lists(
    _code_points(1, [0, 1]), min_size=1, max_size=8).map(tuple))
_psk_ch = st.builds(
    PreSharedKeyClientHello,
    identities=st.lists(psk_identities(), min_size=1, max_size=3).map(tuple),
    binders=st.lists(opaque(32, 255, cap=64), min_size=1, max_size=3).map(tuple))
_psk_sh = st.builds(PreSharedKeyServerHello, selected_identity=uint(2))
_early_data = st.just(EarlyDataIndication())
_early_data_ticket = st.builds(EarlyDataTicket, max_early_data_size=uint(4))
_record_size_limit = st.builds(RecordSizeLimit, record_size_limit=st.one_of(
    st.sampled_from([63, 64, 16384, 16385]), uint(2)))
_post_handshake_auth = st.just(PostHandshakeAuth())
_certificate_authorities = st.builds(CertificateAuthorities, authorities=st.lists(
    opaque(1, 0xFFFF), min_size=1, max_size=3).map(tuple))
_renegotiation_info = st.builds(RenegotiationInfo, renegotiated_connection=opaque(0, 255))
_extended_master_secret = st.just(ExtendedMasterSecret())
_ec_point_formats = st.builds(EcPointFormats, ec_point_format_list=st.lists(
    _code_points(1, [0, 1, 2]), min_size=1, max_size=4).map(tuple))
_session_ticket = st.builds(SessionTicket, ticket=opaque(0, 0xFFFF))
_server_name_ack = st.just(ServerNameAck())

_E = ExtensionType

# (context -> code point -> strategy for the typed body that context decodes it to)
TYPED_EXTENSIONS: Final[Mapping[int, Mapping[int, st.SearchStrategy[Extension]]]] = \
    MappingProxyType({
        _CH: MappingProxyType({
            _E.SERVER_NAME: _server_name_lists,
            _E.SUPPORTED_GROUPS: _supported_groups,
            _E.SIGNATURE_ALGORITHMS: _signature_algorithms,
            _E.SIGNATURE_ALGORITHMS_CERT: _signature_algorithms_cert,
            _E.APPLICATION_LAYER_PROTOCOL_NEGOTIATION: _alpn,
            _E.SUPPORTED_VERSIONS: _supported_versions_ch,
            _E.KEY_SHARE: _key_share_ch,
            _E.COOKIE: _cookie,
            _E.PSK_KEY_EXCHANGE_MODES: _psk_modes,
            _E.PRE_SHARED_KEY: _psk_ch,
            _E.EARLY_DATA: _early_data,
            _E.RECORD_SIZE_LIMIT: _record_size_limit,
            _E.POST_HANDSHAKE_AUTH: _post_handshake_auth,
            _E.CERTIFICATE_AUTHORITIES: _certificate_authorities,
            _E.RENEGOTIATION_INFO: _renegotiation_info,
            _E.EXTENDED_MASTER_SECRET: _extended_master_secret,
            _E.EC_POINT_FORMATS: _ec_point_formats,
            _E.SESSION_TICKET: _session_ticket,
        }),
        _SH: MappingProxyType({
            _E.SERVER_NAME: _server_name_ack,
            _E.APPLICATION_LAYER_PROTOCOL_NEGOTIATION: _alpn,
            _E.SUPPORTED_VERSIONS: _supported_versions_sh,
            _E.KEY_SHARE: _key_share_sh,
            _E.PRE_SHARED_KEY: _psk_sh,
            _E.RECORD_SIZE_LIMIT: _record_size_limit,
            _E.RENEGOTIATION_INFO: _renegotiation_info,
            _E.EXTENDED_MASTER_SECRET: _extended_master_secret,
            _E.EC_POINT_FORMATS: _ec_point_formats,
            _E.SESSION_TICKET: _session_ticket,
        }),
        _HRR: MappingProxyType({
            _E.SUPPORTED_VERSIONS: _supported_versions_sh,
            _E.KEY_SHARE: _key_share_hrr,
            _E.COOKIE: _cookie,
        }),
        _EE: MappingProxyType({
            _E.SERVER_NAME: _server_name_ack,
            _E.SUPPORTED_GROUPS: _supported_groups,
            _E.APPLICATION_LAYER_PROTOCOL_NEGOTIATION: _alpn,
            _E.EARLY_DATA: _early_data,
            _E.RECORD_SIZE_LIMIT: _record_size_limit,
        }),
        _CT: MappingProxyType({}),
        _CR: MappingProxyType({
            _E.SIGNATURE_ALGORITHMS: _signature_algorithms,
            _E.SIGNATURE_ALGORITHMS_CERT: _signature_algorithms_cert,
            _E.CERTIFICATE_AUTHORITIES: _certificate_authorities,
        }),
        _NST: MappingProxyType({
            _E.EARLY_DATA: _early_data_ticket,
        }),
    })

# One strategy per extension class (RawExtension: with codes untyped in every context).
EXTENSION_STRATEGIES: Final[Mapping[type[Extension], st.SearchStrategy[Extension]]] = \
    MappingProxyType({
        ServerNameList: _server_name_lists,
        ServerNameAck: _server_name_ack,
        SupportedGroups: _supported_groups,
        SignatureAlgorithms: _signature_algorithms,
        SignatureAlgorithmsCert: _signature_algorithms_cert,
        ALPN: _alpn,
        SupportedVersionsClientHello: _supported_versions_ch,
        SupportedVersionsServerHello: _supported_versions_sh,
        KeyShareClientHello: _key_share_ch,
        KeyShareServerHello: _key_share_sh,
        KeyShareHelloRetryRequest: _key_share_hrr,
        Cookie: _cookie,
        PskKeyExchangeModes: _psk_modes,
        PreSharedKeyClientHello: _psk_ch,
        PreSharedKeyServerHello: _psk_sh,
        EarlyDataIndication: _early_data,
        EarlyDataTicket: _early_data_ticket,
        RecordSizeLimit: _record_size_limit,
        PostHandshakeAuth: _post_handshake_auth,
        CertificateAuthorities: _certificate_authorities,
        RenegotiationInfo: _renegotiation_info,
        ExtendedMasterSecret: _extended_master_secret,
        EcPointFormats: _ec_point_formats,
        SessionTicket: _session_ticket,
    })


@functools.cache
def raw_extensions(context: int | None = None) -> st.SearchStrategy[Extension]:
    """A RawExtension whose code the `context` (None: every context) keeps raw.

    Codes are GREASE, registered extension types, or anything in 16 bits.
    """
    if context is None:
        typed: set[int] = set()
        for by_code in TYPED_EXTENSIONS.values():
            typed.update(by_code)
    else:
        typed = set(TYPED_EXTENSIONS[context])
    codes = _code_points(2, _members(ExtensionType)).filter(lambda c: c not in typed)
    return st.builds(RawExtension, code=codes, data=opaque(0, 0xFFFF))


@functools.cache
def extensions_for(context: int) -> st.SearchStrategy[Extension]:
    """Any extension that decodes back to itself in `context`."""
    typed = list(TYPED_EXTENSIONS[context].values())
    return st.one_of(*typed, raw_extensions(context))


@functools.cache
def extension_blocks(context: int, min_size: int = 0, max_size: int = 4
                     ) -> st.SearchStrategy[tuple[Extension, ...]]:
    """A block of extensions for `context`, with distinct type codes (as real blocks have)."""
    return st.lists(extensions_for(context), min_size=min_size, max_size=max_size,
                    unique_by=lambda e: e.type_code).map(tuple)


# -- handshake messages -------------------------------------------------------------------

_randoms = st.binary(min_size=32, max_size=32)


def client_hellos() -> st.SearchStrategy[ClientHello]:
    """§4.1.2; an empty extensions tuple encodes with no extensions block at all."""
    return st.builds(
        ClientHello,
        legacy_version=_versions,
        random=_randoms,
        legacy_session_id=opaque(0, 32),
        cipher_suites=st.lists(_suites, min_size=1, max_size=12).map(tuple),
        legacy_compression_methods=st.one_of(st.just(b"\x00"), opaque(1, 255, cap=8)),
        extensions=extension_blocks(_CH),
    )


def server_hellos() -> st.SearchStrategy[ServerHello]:
    """§4.1.3, with extensions for the ServerHello context (never the HRR random)."""
    return st.builds(
        ServerHello,
        legacy_version=_versions,
        random=_randoms.filter(lambda r: r != HELLO_RETRY_REQUEST_RANDOM),
        legacy_session_id_echo=opaque(0, 32),
        cipher_suite=_suites,
        legacy_compression_method=_code_points(1, [0]),
        extensions=extension_blocks(_SH),
    )


def hello_retry_requests() -> st.SearchStrategy[ServerHello]:
    """§4.1.4: a ServerHello with the special random, so its block has the HRR context."""
    return st.builds(
        ServerHello,
        legacy_version=_versions,
        random=st.just(HELLO_RETRY_REQUEST_RANDOM),
        legacy_session_id_echo=opaque(0, 32),
        cipher_suite=_suites,
        legacy_compression_method=_code_points(1, [0]),
        extensions=extension_blocks(_HRR),
    )


def encrypted_extensions() -> st.SearchStrategy[EncryptedExtensions]:
    return st.builds(EncryptedExtensions, extensions=extension_blocks(_EE))


def certificate_requests() -> st.SearchStrategy[CertificateRequest]:
    """§4.3.2: extensions<2..2^16-1>, so at least one extension."""
    return st.builds(CertificateRequest,
                     certificate_request_context=st.one_of(st.just(b""), opaque(0, 255)),
                     extensions=extension_blocks(_CR, min_size=1))


def certificate_entries() -> st.SearchStrategy[CertificateEntry]:
    """§4.4.2 CertificateEntry: cert_data<1..2^24-1>, extensions for the Certificate context."""
    return st.builds(CertificateEntry, cert_data=opaque(1, 0xFFFFFF, cap=64),
                     extensions=extension_blocks(_CT, max_size=3))


def certificates() -> st.SearchStrategy[Certificate]:
    return st.builds(Certificate,
                     certificate_request_context=st.one_of(st.just(b""), opaque(0, 255)),
                     certificate_list=st.lists(certificate_entries(), max_size=3).map(tuple))


def certificate_verifies() -> st.SearchStrategy[CertificateVerify]:
    return st.builds(CertificateVerify, algorithm=_schemes,
                     signature=opaque(0, 0xFFFF, cap=80))


def finisheds() -> st.SearchStrategy[Finished]:
    """verify_data of any length; 32 and 48 bytes (SHA-256/384) are favoured."""
    return st.builds(Finished, verify_data=st.one_of(
        st.binary(min_size=32, max_size=32), st.binary(min_size=48, max_size=48),
        opaque(0, 0xFFFF, cap=64)))


def new_session_tickets() -> st.SearchStrategy[NewSessionTicket]:
    """§4.6.1: ticket_nonce<0..255>, ticket<1..2^16-1>."""
    return st.builds(NewSessionTicket, ticket_lifetime=uint(4), ticket_age_add=uint(4),
                     ticket_nonce=opaque(0, 255), ticket=opaque(1, 0xFFFF),
                     extensions=extension_blocks(_NST, max_size=3))


def end_of_early_datas() -> st.SearchStrategy[EndOfEarlyData]:
    return st.just(EndOfEarlyData())


def key_updates() -> st.SearchStrategy[KeyUpdate]:
    return st.builds(KeyUpdate, request_update=_code_points(1, [0, 1]))


# One strategy per message class; ServerHello covers HelloRetryRequest too.
MESSAGE_STRATEGIES: Final[Mapping[str, st.SearchStrategy[HandshakeMessage]]] = \
    MappingProxyType({
        "ClientHello": client_hellos(),
        "ServerHello": server_hellos(),
        "HelloRetryRequest": hello_retry_requests(),
        "EncryptedExtensions": encrypted_extensions(),
        "CertificateRequest": certificate_requests(),
        "Certificate": certificates(),
        "CertificateVerify": certificate_verifies(),
        "Finished": finisheds(),
        "NewSessionTicket": new_session_tickets(),
        "EndOfEarlyData": end_of_early_datas(),
        "KeyUpdate": key_updates(),
    })


def handshake_messages() -> st.SearchStrategy[HandshakeMessage]:
    """Any TLS 1.3 handshake message."""
    return st.one_of(*MESSAGE_STRATEGIES.values())


def _same_kind(msg: HandshakeMessage) -> st.SearchStrategy[HandshakeMessage]:
    if isinstance(msg, ServerHello) and msg.is_hello_retry_request:
        return MESSAGE_STRATEGIES["HelloRetryRequest"]
    return MESSAGE_STRATEGIES[type(msg).__name__]


def _context_of(msg: HandshakeMessage) -> int:
    if isinstance(msg, ServerHello) and msg.is_hello_retry_request:
        return _HRR
    return int(msg.msg_type)


def _with(msg: HandshakeMessage, name: str, value: object) -> HandshakeMessage:
    changes: dict[str, object] = {name: value}
    return replace(msg, **changes)


def variants_of(msg: HandshakeMessage) -> st.SearchStrategy[HandshakeMessage]:
    """`msg` with one thing changed: a field taken from a random message of the same kind,
    or one extension dropped, replaced or added. Near misses of a real message reach the
    checks behind the first one."""
    names = [f.name for f in fields(msg)]
    if not names:
        return st.just(msg)
    swap = st.tuples(st.sampled_from(names), _same_kind(msg)).map(
        lambda t: _with(msg, t[0], getattr(t[1], t[0])))
    exts: tuple[Extension, ...] | None = getattr(msg, "extensions", None)
    if not exts:
        return swap
    one = extensions_for(_context_of(msg))
    n = len(exts)
    dropped = st.integers(0, n - 1).map(
        lambda i: _with(msg, "extensions", exts[:i] + exts[i + 1 :]))
    replaced = st.tuples(st.integers(0, n - 1), one).map(
        lambda t: _with(msg, "extensions", (*exts[: t[0]], t[1], *exts[t[0] + 1 :])))
    added = st.tuples(st.integers(0, n), one).map(
        lambda t: _with(msg, "extensions", (*exts[: t[0]], t[1], *exts[t[0] :])))
    return st.one_of(swap, dropped, replaced, added)


# -- records and alerts -------------------------------------------------------------------------


def alerts() -> st.SearchStrategy[Alert]:
    return st.builds(Alert, level=_code_points(1, _members(AlertLevel)),
                     description=_code_points(1, _members(AlertDescription)))


def record_headers() -> st.SearchStrategy[RecordHeader]:
    return st.builds(RecordHeader, content_type=_code_points(1, _members(ContentType)),
                     legacy_record_version=_versions,
                     length=st.one_of(st.sampled_from([0, 1, 1 << 14, (1 << 14) + 256]),
                                      uint(2)))


# -- byte-level mutations -----------------------------------------------------------------------


_MUTATIONS: Final = ("truncate", "replace", "flip", "insert", "delete", "append")


def _mutate(args: tuple[bytes, str, int, int, bytes]) -> bytes:
    data, kind, at, byte, junk = args
    if kind == "append":
        return data + junk
    if kind == "truncate" or not data:
        return data[: at % max(1, len(data))]
    at %= len(data)
    if kind == "replace":
        return data[:at] + bytes([byte]) + data[at + 1 :]
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ (1 << (byte % 8))]) + data[at + 1 :]
    if kind == "insert":
        return data[:at] + bytes([byte]) + data[at:]
    return data[:at] + data[at + 1 :]  # delete


def mutations(valid: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Valid encodings damaged once: truncated, a byte replaced/flipped/inserted/deleted, junk
    appended."""
    return st.tuples(valid, st.sampled_from(_MUTATIONS), st.integers(0, 1 << 20), uint(1),
                     st.binary(min_size=1, max_size=8)).map(_mutate)


# -- TLS 1.2 messages (RFC 5246 §7.4) and key-exchange bodies (RFC 8422 §5.4, §5.7) ------------


def certificate12s() -> st.SearchStrategy[Certificate12]:
    """RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>."""
    return st.builds(Certificate12, certificate_list=st.lists(
        opaque(1, 0xFFFFFF, cap=48), max_size=3).map(tuple))


def certificate_request12s() -> st.SearchStrategy[CertificateRequest12]:
    """RFC 5246 §7.4.4: types<1..2^8-1>, schemes<2..2^16-2>, authorities<0..2^16-1>."""
    return st.builds(CertificateRequest12,
                     certificate_types=st.lists(uint(1), min_size=1, max_size=4).map(tuple),
                     supported_signature_algorithms=_u16_list(_schemes),
                     certificate_authorities=st.lists(opaque(1, 0xFFFF, cap=24),
                                                      max_size=3).map(tuple))


def ecdhe_server_params() -> st.SearchStrategy[EcdheServerParams]:
    return st.builds(EcdheServerParams, named_curve=_groups, public=opaque(1, 255, cap=97))


def signed_params() -> st.SearchStrategy[SignedParams]:
    return st.builds(SignedParams, params=ecdhe_server_params(), algorithm=_schemes,
                     signature=opaque(0, 0xFFFF, cap=72))


def ecdhe_client_publics() -> st.SearchStrategy[EcdheClientPublic]:
    return st.builds(EcdheClientPublic, ecdh_yc=opaque(1, 255, cap=97))


def dhe_server_params() -> st.SearchStrategy[DheServerParams]:
    return st.builds(DheServerParams, dh_p=opaque(1, 0xFFFF, cap=64),
                     dh_g=opaque(1, 0xFFFF, cap=2), dh_ys=opaque(1, 0xFFFF, cap=64))


def signed_dhe_params() -> st.SearchStrategy[SignedParams]:
    return st.builds(SignedParams, params=dhe_server_params(), algorithm=_schemes,
                     signature=opaque(0, 0xFFFF, cap=72))


def _encoded(value: SignedParams | EcdheClientPublic) -> bytes:
    w = Writer()
    value.encode(w)
    return w.getvalue()


TLS12_MESSAGE_STRATEGIES: Final[Mapping[str, st.SearchStrategy[HandshakeMessage]]] = \
    MappingProxyType({
        "HelloRequest": st.just(HelloRequest()),
        "Certificate12": certificate12s(),
        "CertificateRequest12": certificate_request12s(),
        "ServerKeyExchange": st.builds(ServerKeyExchange, body=signed_params().map(_encoded)),
        "ServerHelloDone": st.just(ServerHelloDone()),
        "ClientKeyExchange": st.builds(ClientKeyExchange,
                                       body=ecdhe_client_publics().map(_encoded)),
        "NewSessionTicket12": st.builds(NewSessionTicket12, ticket_lifetime_hint=uint(4),
                                        ticket=opaque(0, 0xFFFF, cap=64)),
    })
"""The messages only TLS 1.2 has (decode_handshake12); hellos and Finished are shared."""

TLS12_BODY_STRATEGIES: Final[Mapping[type, st.SearchStrategy[object]]] = MappingProxyType({
    EcdheServerParams: ecdhe_server_params(),
    SignedParams: signed_params(),
    EcdheClientPublic: ecdhe_client_publics(),
    DheServerParams: dhe_server_params(),
    DheClientPublic: st.builds(DheClientPublic, dh_yc=opaque(1, 0xFFFF, cap=64)),
    EncryptedPreMasterSecret: st.builds(EncryptedPreMasterSecret,
                                        encrypted=opaque(0, 0xFFFF, cap=64)),
})
