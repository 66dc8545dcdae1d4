"""What a message says, in plain words: one sentence plus the decoded fields that matter.

`summarize(msg, sender, context)` dispatches on the message's class (TLS 1.2's
Certificate12 shares Certificate's msg_type but not its fields), with what the
story knows so far in `Context` (the version and suite the ServerHello settled);
TLS 1.2's messages are told in summaries12.py. A message with no summary of its own
still gets its explanation and every field, read generically from the dataclass.
Certificates are decoded for people: subject, issuer, validity, SANs, key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from tlsglass.enums import (
    CipherSuite,
    ExtensionType,
    HandshakeType,
    KeyUpdateRequest,
    NamedGroup,
    PskKeyExchangeMode,
    SignatureScheme,
    describe,
)
from tlsglass.trace.annotate import show_value
from tlsglass.trace.explain import explain, message_name
from tlsglass.trace.summaries12 import (
    certificate_verify12,
    finished12,
    resumption_offer12,
    server_hello12,
    summarize12,
)
from tlsglass.trace.summary_base import (
    Context,
    Summary,
    certificate_chain,
    chose_tls12,
    describe_certificate,
    ext_names,
    names,
    versions,
)
from tlsglass.wire import (
    ALPN,
    Certificate,
    CertificateAuthorities,
    CertificateRequest,
    CertificateVerify,
    ClientHello,
    EarlyDataIndication,
    EarlyDataTicket,
    EncryptedExtensions,
    Extension,
    Finished,
    HandshakeMessage,
    KeyShareClientHello,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    KeyUpdate,
    NewSessionTicket,
    PreSharedKeyClientHello,
    PreSharedKeyServerHello,
    PskIdentity,
    PskKeyExchangeModes,
    RecordSizeLimit,
    ServerHello,
    ServerNameList,
    SignatureAlgorithms,
    SupportedGroups,
    SupportedVersionsClientHello,
    SupportedVersionsServerHello,
    find,
)

__all__ = ["Context", "Summary", "describe_certificate", "summarize"]


def _client_hello(msg: ClientHello, sender: str) -> Summary:
    exts = msg.extensions
    offered = find(exts, SupportedVersionsClientHello)
    shares = find(exts, KeyShareClientHello)
    sni = find(exts, ServerNameList)
    psk = find(exts, PreSharedKeyClientHello)
    version_values = offered.values if offered else (msg.legacy_version,)
    share_groups = tuple(s.group for s in shares.client_shares) if shares else ()
    text = (f"The client says hello: it can speak {versions(version_values)}, offers "
            f"{len(msg.cipher_suites)} cipher suites")
    text += f" and sends key shares for {names(NamedGroup, share_groups) or 'no group'}." \
        if shares is not None else "."
    if sni is not None and sni.host_name:
        text += f" It asks for '{sni.host_name.decode('ascii', 'replace')}'."
    if psk is not None:
        text += (f" It offers {len(psk.identities)} pre-shared key(s) (a ticket to resume an "
                 "earlier session, or a key agreed out of band), each with a binder: an HMAC "
                 "over this ClientHello keyed from that PSK, proving the client holds it "
                 "(§4.2.11.2).")
    if find(exts, EarlyDataIndication) is not None:
        text += " It will send 0-RTT data right after this message."
    text += resumption_offer12(msg, version_values)
    fields = [("versions", versions(version_values)),
              ("cipher_suites", names(CipherSuite, msg.cipher_suites))]
    if shares is not None:
        fields.append(("key_share", names(NamedGroup, share_groups)))
    return Summary(text, (*fields, *_client_hello_fields(exts)))


def _client_hello_fields(exts: tuple[Extension, ...]) -> list[tuple[str, str]]:
    """The offers a ClientHello makes in its extensions, named."""
    fields = []
    groups = find(exts, SupportedGroups)
    if groups is not None:
        fields.append(("supported_groups", names(NamedGroup, groups.values)))
    schemes = find(exts, SignatureAlgorithms)
    if schemes is not None:
        fields.append(("signature_algorithms", names(SignatureScheme, schemes.values)))
    alpn = find(exts, ALPN)
    if alpn is not None:
        fields.append(("alpn", ", ".join(p.decode("latin-1") for p in alpn.protocol_name_list)))
    modes = find(exts, PskKeyExchangeModes)
    if modes is not None:
        fields.append(("psk_key_exchange_modes", names(PskKeyExchangeMode, modes.ke_modes)))
    psk = find(exts, PreSharedKeyClientHello)
    if psk is not None:
        fields.append(("psk_identities", ", ".join(_identity(i) for i in psk.identities)))
    fields.append(("extensions", ext_names(exts)))
    return fields


def _identity(identity: PskIdentity) -> str:
    """§4.2.11: a ticket's identity is opaque; an external PSK's is usually readable."""
    if identity.obfuscated_ticket_age == 0 and identity.identity.isascii() \
            and identity.identity.decode("ascii").isprintable():
        return f"'{identity.identity.decode('ascii')}' (external)"
    return f"a {len(identity.identity)}-byte ticket"


def _server_hello(msg: ServerHello, sender: str) -> Summary:
    exts = msg.extensions
    version = find(exts, SupportedVersionsServerHello)
    version_text = versions((version.selected_version if version else msg.legacy_version,))
    suite = describe(CipherSuite, msg.cipher_suite)
    if msg.is_hello_retry_request:
        wanted = find(exts, KeyShareHelloRetryRequest)
        group = describe(NamedGroup, wanted.selected_group) if wanted else "no new group"
        return Summary(f"The server asks the client to retry with a key share for {group}.",
                       (("version", version_text), ("cipher_suite", suite),
                        ("selected_group", group), ("extensions", ext_names(exts))))
    share = find(exts, KeyShareServerHello)
    group = describe(NamedGroup, share.server_share.group) if share else "none"
    how = f"key exchange over {group}" if share else (
        "the key exchange follows in ServerKeyExchange" if version is None
        else "no key share: keys come from the pre-shared key alone")
    text = f"The server answers: {version_text} with {suite}, {how}."
    psk = find(exts, PreSharedKeyServerHello)
    if psk is not None:
        text += (f" It accepts pre-shared key #{psk.selected_identity}: no certificate "
                 "follows, since knowing the key proves who the server is.")
    return Summary(text, (("version", version_text), ("cipher_suite", suite),
                          ("group", group), ("extensions", ext_names(exts))))


def _certificate_verify(msg: CertificateVerify, sender: str) -> Summary:
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
        fields += (("extensions", ext_names(exts)),)
        fields += tuple((describe(ExtensionType, e.type_code).lower() + "." + f.name,
                         show_value(e, f.name, getattr(e, f.name)))
                        for e in exts if type(e).__name__ != "RawExtension"
                        for f in dataclasses.fields(e))
    return Summary(text, fields)


def _encrypted_extensions(msg: EncryptedExtensions, context: Context) -> Summary:
    exts = msg.extensions
    said = []
    alpn = find(exts, ALPN)
    if alpn is not None:
        said.append("application protocol " + ", ".join(
            p.decode("latin-1") for p in alpn.protocol_name_list))
    if find(exts, EarlyDataIndication) is not None:
        said.append("0-RTT data accepted")
    elif context.early_data_offered:
        said.append("0-RTT data refused (the server skips it; the client may send it again "
                    "under the 1-RTT keys, §4.2.10)")
    limit = find(exts, RecordSizeLimit)
    if limit is not None:
        said.append(f"records up to {limit.record_size_limit} bytes")
    text = "The server's other answers, now encrypted: " + ("; ".join(said) or "nothing more") \
        + "."
    return Summary(text, (("extensions", ext_names(exts)),))


def _certificate_request(msg: HandshakeMessage, sender: str) -> Summary:
    exts: tuple[Extension, ...] = getattr(msg, "extensions", ())
    schemes = find(exts, SignatureAlgorithms)
    cas = find(exts, CertificateAuthorities)
    fields = [("signature_algorithms", names(SignatureScheme, schemes.values) if schemes
               else "-")]
    if cas is not None:
        fields.append(("certificate_authorities", str(len(cas.authorities))))
    return Summary("The server asks the client to prove who it is with a certificate "
                   "(mutual TLS).", (*fields, ("extensions", ext_names(exts))))


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
                          ("extensions", ext_names(exts))))


def _key_update(msg: HandshakeMessage, sender: str) -> Summary:
    request = int(getattr(msg, "request_update", 0))
    text = f"The {sender} switches to its next traffic key"
    text += " and asks the peer to do the same." if request else "."
    return Summary(text, (("request_update", describe(KeyUpdateRequest, request)),))


# Messages whose summary needs no context, by class (never by msg_type: see above).
_SUMMARIES: Final[Mapping[type[HandshakeMessage], Callable[[Any, str], Summary]]] = \
    MappingProxyType({
        CertificateRequest: _certificate_request,
        NewSessionTicket: _new_session_ticket,
        KeyUpdate: _key_update,
    })


def summarize(msg: HandshakeMessage, sender: str, context: Context | None = None) -> Summary:
    """The plain-words sentence and the fields that matter for one message."""
    context = context or Context()
    match msg:
        case ClientHello():
            return _client_hello(msg, sender)
        case ServerHello():
            return server_hello12(msg, context) if chose_tls12(msg) \
                else _server_hello(msg, sender)
        case Certificate():
            return certificate_chain(tuple(e.cert_data for e in msg.certificate_list), sender)
        case CertificateVerify():
            return certificate_verify12(msg, sender) if context.tls12 \
                else _certificate_verify(msg, sender)
        case EncryptedExtensions():
            return _encrypted_extensions(msg, context)
        case Finished():
            return finished12(msg, sender) if context.tls12 else _finished(msg, sender)
    told = summarize12(msg, sender, context)
    if told is not None:
        return told
    return _SUMMARIES.get(type(msg), _generic)(msg, sender)

