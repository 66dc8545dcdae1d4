"""What a message says, in plain words: one sentence plus the decoded fields that matter.

`summarize(msg, sender)` looks the message's type up in `_SUMMARIES`; a message
with no entry (a TLS 1.2 message, say, before its summary is written) still gets
its explanation and every field, read generically from the dataclass.
Certificates are decoded for people: subject, issuer, validity, SANs, key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from tlsglass import Certificate as X509Certificate
from tlsglass import TLSError
from tlsglass.enums import (
    CipherSuite,
    ExtensionType,
    HandshakeType,
    KeyUpdateRequest,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
    describe,
)
from tlsglass.trace.annotate import show_value
from tlsglass.trace.explain import explain, message_name
from tlsglass.wire import (
    ALPN,
    Certificate,
    CertificateAuthorities,
    CertificateVerify,
    ClientHello,
    EarlyDataIndication,
    EarlyDataTicket,
    Extension,
    HandshakeMessage,
    KeyShareClientHello,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    PreSharedKeyClientHello,
    PreSharedKeyServerHello,
    RecordSizeLimit,
    ServerHello,
    ServerNameList,
    SignatureAlgorithms,
    SupportedGroups,
    SupportedVersionsClientHello,
    SupportedVersionsServerHello,
    find,
)

__all__ = ["Summary", "describe_certificate", "summarize"]


@dataclass(frozen=True, slots=True)
class Summary:
    text: str
    fields: tuple[tuple[str, str], ...] = ()
    details: tuple[str, ...] = ()


def _names(kind: type[IntEnum], values: tuple[int, ...]) -> str:
    return ", ".join(describe(kind, v) for v in values)


def _versions(values: tuple[int, ...]) -> str:
    """Versions as people write them: "TLS 1.3, TLS 1.2" (GREASE and unknowns by number)."""
    return ", ".join(_VERSION_NAMES.get(v, describe(ProtocolVersion, v)) for v in values)


_VERSION_NAMES: Final[Mapping[int, str]] = MappingProxyType({
    ProtocolVersion.TLS1_3: "TLS 1.3", ProtocolVersion.TLS1_2: "TLS 1.2",
    ProtocolVersion.TLS1_1: "TLS 1.1", ProtocolVersion.TLS1_0: "TLS 1.0",
    ProtocolVersion.SSL3_0: "SSL 3.0"})


def _ext_names(extensions: tuple[Extension, ...]) -> str:
    return ", ".join(describe(ExtensionType, e.type_code).lower() for e in extensions) or "none"


def _client_hello(msg: HandshakeMessage, sender: str) -> Summary:
    assert isinstance(msg, ClientHello)
    exts = msg.extensions
    versions = find(exts, SupportedVersionsClientHello)
    shares = find(exts, KeyShareClientHello)
    sni = find(exts, ServerNameList)
    alpn = find(exts, ALPN)
    psk = find(exts, PreSharedKeyClientHello)
    version_text = _versions(versions.values if versions else (msg.legacy_version,))
    share_groups = tuple(s.group for s in shares.client_shares) if shares else ()
    text = (f"The client says hello: it can speak {version_text}, offers "
            f"{len(msg.cipher_suites)} cipher suites and sends key shares for "
            f"{_names(NamedGroup, share_groups) or 'no group'}.")
    if sni is not None and sni.host_name:
        text += f" It asks for '{sni.host_name.decode('ascii', 'replace')}'."
    if psk is not None:
        text += f" It offers {len(psk.identities)} ticket(s) to resume an earlier session."
    if find(exts, EarlyDataIndication) is not None:
        text += " It will send 0-RTT data right after this message."
    fields = [("versions", version_text),
              ("cipher_suites", _names(CipherSuite, msg.cipher_suites)),
              ("key_share", _names(NamedGroup, share_groups))]
    groups = find(exts, SupportedGroups)
    if groups is not None:
        fields.append(("supported_groups", _names(NamedGroup, groups.values)))
    schemes = find(exts, SignatureAlgorithms)
    if schemes is not None:
        fields.append(("signature_algorithms", _names(SignatureScheme, schemes.values)))
    if alpn is not None:
        fields.append(("alpn", ", ".join(p.decode("latin-1") for p in alpn.protocol_name_list)))
    fields.append(("extensions", _ext_names(exts)))
    return Summary(text, tuple(fields))


def _server_hello(msg: HandshakeMessage, sender: str) -> Summary:
    assert isinstance(msg, ServerHello)
    exts = msg.extensions
    version = find(exts, SupportedVersionsServerHello)
    version_text = _versions((version.selected_version if version else msg.legacy_version,))
    suite = describe(CipherSuite, msg.cipher_suite)
    if msg.is_hello_retry_request:
        wanted = find(exts, KeyShareHelloRetryRequest)
        group = describe(NamedGroup, wanted.selected_group) if wanted else "no new group"
        return Summary(f"The server asks the client to retry with a key share for {group}.",
                       (("version", version_text), ("cipher_suite", suite),
                        ("selected_group", group), ("extensions", _ext_names(exts))))
    share = find(exts, KeyShareServerHello)
    group = describe(NamedGroup, share.server_share.group) if share else "none"
    how = f"key exchange over {group}" if share else (
        "the key exchange follows in ServerKeyExchange" if version is None
        else "no key share: keys come from the pre-shared key alone")
    text = f"The server answers: {version_text} with {suite}, {how}."
    psk = find(exts, PreSharedKeyServerHello)
    if psk is not None:
        text += f" It accepts ticket #{psk.selected_identity}: this is a resumption."
    return Summary(text, (("version", version_text), ("cipher_suite", suite),
                          ("group", group), ("extensions", _ext_names(exts))))


def _certificate(msg: HandshakeMessage, sender: str) -> Summary:
    assert isinstance(msg, Certificate)
    if not msg.certificate_list:
        return Summary(f"The {sender} has no certificate to send (an empty Certificate).")
    details: list[str] = []
    for index, entry in enumerate(msg.certificate_list):
        details.extend(describe_certificate(entry.cert_data, index))
    return Summary(f"The {sender} sends its certificate chain "
                   f"({len(msg.certificate_list)} certificate(s)).",
                   (("certificates", str(len(msg.certificate_list))),), tuple(details))


def describe_certificate(der: bytes, index: int) -> list[str]:
    """Subject, issuer, validity, SANs and key of one certificate, for people."""
    try:
        cert = X509Certificate.from_der(der)
    except TLSError as exc:
        return [f"[{index}] not a usable certificate: {exc}"]
    sans = ", ".join((*cert.dns_names, *cert.ip_addresses)) or "none"
    return [f"[{index}] subject: {cert.subject}",
            f"    issuer: {cert.issuer}",
            f"    valid: {cert.not_before:%Y-%m-%d %H:%M} to {cert.not_after:%Y-%m-%d %H:%M} UTC",
            f"    names (subjectAltName): {sans}",
            f"    public key: {cert.key_description}; signed with {cert.signature_algorithm}"]


def _certificate_verify(msg: HandshakeMessage, sender: str) -> Summary:
    assert isinstance(msg, CertificateVerify)
    scheme = describe(SignatureScheme, msg.algorithm)
    return Summary(f"The {sender} signs the transcript so far with {scheme}, proving it "
                   "holds the certificate's private key.",
                   (("algorithm", scheme), ("signature", f"{len(msg.signature)} bytes")))


def _generic(msg: HandshakeMessage, sender: str) -> Summary:
    info = explain(HandshakeType, msg.msg_type)
    name = message_name(msg.msg_type)
    text = f"The {sender} sends {name}." + (f" {info.what}" if info else "")
    fields = tuple((f.name, show_value(msg, f.name, getattr(msg, f.name)))
                   for f in dataclasses.fields(msg) if f.name != "extensions")
    exts = getattr(msg, "extensions", None)
    if isinstance(exts, tuple):
        fields += (("extensions", _ext_names(exts)),)
        fields += tuple((describe(ExtensionType, e.type_code).lower() + "." + f.name,
                         show_value(e, f.name, getattr(e, f.name)))
                        for e in exts if type(e).__name__ != "RawExtension"
                        for f in dataclasses.fields(e))
    return Summary(text, fields)


def _encrypted_extensions(msg: HandshakeMessage, sender: str) -> Summary:
    exts: tuple[Extension, ...] = getattr(msg, "extensions", ())
    said = []
    alpn = find(exts, ALPN)
    if alpn is not None:
        said.append("application protocol " + ", ".join(
            p.decode("latin-1") for p in alpn.protocol_name_list))
    if find(exts, EarlyDataIndication) is not None:
        said.append("0-RTT data accepted")
    limit = find(exts, RecordSizeLimit)
    if limit is not None:
        said.append(f"records up to {limit.record_size_limit} bytes")
    text = "The server's other answers, now encrypted: " + ("; ".join(said) or "nothing more") \
        + "."
    return Summary(text, (("extensions", _ext_names(exts)),))


def _certificate_request(msg: HandshakeMessage, sender: str) -> Summary:
    exts: tuple[Extension, ...] = getattr(msg, "extensions", ())
    schemes = find(exts, SignatureAlgorithms)
    cas = find(exts, CertificateAuthorities)
    fields = [("signature_algorithms", _names(SignatureScheme, schemes.values) if schemes
               else "-")]
    if cas is not None:
        fields.append(("certificate_authorities", str(len(cas.authorities))))
    return Summary("The server asks the client to prove who it is with a certificate "
                   "(mutual TLS).", (*fields, ("extensions", _ext_names(exts))))


def _finished(msg: HandshakeMessage, sender: str) -> Summary:
    size = len(getattr(msg, "verify_data", b""))
    return Summary(f"The {sender} proves it saw the same handshake: an HMAC of the whole "
                   f"transcript ({size} bytes, not shown) under its finished key.",
                   (("verify_data", f"({size} bytes, not shown)"),))


def _new_session_ticket(msg: HandshakeMessage, sender: str) -> Summary:
    lifetime = int(getattr(msg, "ticket_lifetime", 0))
    exts: tuple[Extension, ...] = getattr(msg, "extensions", ())
    early = find(exts, EarlyDataTicket)
    text = (f"The server hands the client a resumption ticket, valid for up to {lifetime} "
            "seconds.")
    if early is not None:
        text += f" It may carry up to {early.max_early_data_size} bytes of 0-RTT data."
    return Summary(text, (("ticket_lifetime", f"{lifetime} s"),
                          ("ticket", f"({len(getattr(msg, 'ticket', b''))} bytes, not shown)"),
                          ("extensions", _ext_names(exts))))


def _key_update(msg: HandshakeMessage, sender: str) -> Summary:
    request = int(getattr(msg, "request_update", 0))
    text = f"The {sender} switches to its next traffic key"
    text += " and asks the peer to do the same." if request else "."
    return Summary(text, (("request_update", describe(KeyUpdateRequest, request)),))


_SUMMARIES: Final[Mapping[int, Callable[[HandshakeMessage, str], Summary]]] = MappingProxyType({
    HandshakeType.CLIENT_HELLO: _client_hello,
    HandshakeType.SERVER_HELLO: _server_hello,
    HandshakeType.CERTIFICATE: _certificate,
    HandshakeType.CERTIFICATE_VERIFY: _certificate_verify,
    HandshakeType.ENCRYPTED_EXTENSIONS: _encrypted_extensions,
    HandshakeType.CERTIFICATE_REQUEST: _certificate_request,
    HandshakeType.FINISHED: _finished,
    HandshakeType.NEW_SESSION_TICKET: _new_session_ticket,
    HandshakeType.KEY_UPDATE: _key_update,
})


def summarize(msg: HandshakeMessage, sender: str) -> Summary:
    """The plain-words sentence and the fields that matter for one message."""
    return _SUMMARIES.get(msg.msg_type, _generic)(msg, sender)
