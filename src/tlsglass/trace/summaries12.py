"""TLS 1.2's messages in plain words (RFC 5246 §7.4, RFC 8422, RFC 5077, RFC 7627).

`summarize12(msg, sender, context)` tells the messages only TLS 1.2 has (or whose
body differs from TLS 1.3's); `server_hello12`, `finished12` and
`certificate_verify12` tell the shared classes the TLS 1.2 way. The key-exchange
bodies depend on the suite the ServerHello chose (`Context.key_exchange`), so they
are decoded here with the wire room's codecs; a body that does not decode is still
told, by its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from tlsglass import TLSError
from tlsglass.enums import (
    CipherSuite,
    ExtensionType,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
    describe,
)
from tlsglass.trace.summary_base import (
    Context,
    Summary,
    certificate_chain,
    ext_names,
    names,
    versions,
)
from tlsglass.wire import (
    ALPN,
    TLS11_DOWNGRADE_SENTINEL,
    TLS12_DOWNGRADE_SENTINEL,
    Certificate12,
    CertificateRequest12,
    CertificateVerify,
    ClientHello,
    ClientKeyExchange,
    DheClientPublic,
    DheServerParams,
    EcdheClientPublic,
    EncryptedPreMasterSecret,
    Finished,
    HandshakeMessage,
    NewSessionTicket12,
    RenegotiationInfo,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    SessionTicket,
    SignedParams,
    find,
    find_raw,
)

__all__ = ["certificate_verify12", "finished12", "resumption_offer12", "server_hello12",
           "summarize12"]

# RFC 5246 §7.4.4 ClientCertificateType, RFC 8422 §5.5 ecdsa_sign.
_CERTIFICATE_TYPES: Final[Mapping[int, str]] = MappingProxyType({
    1: "rsa_sign", 2: "dss_sign", 3: "rsa_fixed_dh", 4: "dss_fixed_dh", 64: "ecdsa_sign"})


def summarize12(msg: HandshakeMessage, sender: str, context: Context) -> Summary | None:
    """The summary of a TLS 1.2-only message, or None for any other class."""
    match msg:
        case Certificate12():
            return certificate_chain(msg.certificate_list, sender)
        case ServerKeyExchange():
            return _server_key_exchange(msg, context)
        case ServerHelloDone():
            return Summary("The server has sent its whole first flight (hello, certificate, "
                           "key exchange): now it is the client's turn.")
        case ClientKeyExchange():
            return _client_key_exchange(msg, context)
        case CertificateRequest12():
            return _certificate_request12(msg)
        case NewSessionTicket12():
            return _new_session_ticket12(msg)
    return None


def server_hello12(msg: ServerHello, context: Context) -> Summary:
    """A TLS 1.2 ServerHello: the suite, the checks its random and extensions allow."""
    suite = describe(CipherSuite, msg.cipher_suite)
    exts = msg.extensions
    resumed = bool(context.client_session_id) \
        and msg.legacy_session_id_echo == context.client_session_id
    text = f"The server answers: {versions((msg.legacy_version,))} with {suite}."
    if resumed:
        text += (" It echoes the client's session ID: the earlier session resumes (an "
                 "abbreviated handshake: no certificate, no key exchange; the old master "
                 "secret with these new randoms).")
    else:
        text += _key_exchange_plan(context.key_exchange)
    fields = [("version", versions((msg.legacy_version,))), ("cipher_suite", suite),
              ("downgrade_protection", _downgrade(msg.random, context)),
              ("extended_master_secret", _ems(msg)),
              ("renegotiation_info", _renegotiation(msg))]
    alpn = find(exts, ALPN)
    if alpn is not None:
        fields.append(("alpn", ", ".join(p.decode("latin-1") for p in alpn.protocol_name_list)))
    if find(exts, SessionTicket) is not None:
        fields.append(("session_ticket", "a new ticket (RFC 5077) follows before "
                                         "ChangeCipherSpec"))
    fields.append(("extensions", ext_names(exts)))
    return Summary(text, tuple(fields))


def resumption_offer12(msg: ClientHello, offered: tuple[int, ...]) -> str:
    """What a ClientHello offering TLS 1.2 says about resuming a 1.2 session (RFC 5077 §3.1)."""
    if ProtocolVersion.TLS1_2 not in offered:
        return ""
    ticket = find(msg.extensions, SessionTicket)
    if ticket is not None and ticket.ticket:
        return (" It presents a TLS 1.2 session ticket (RFC 5077) to resume an earlier "
                "session.")
    return ""


def _key_exchange_plan(kind: str) -> str:
    if kind == "RSA":
        return (" RSA key transport: the client will encrypt a secret to the key in the "
                "server's certificate (no forward secrecy).")
    if kind in ("ECDHE", "DHE"):
        return f" The {kind} key exchange follows in ServerKeyExchange."
    return ""


def _downgrade(random: bytes, context: Context) -> str:
    """RFC 8446 §4.1.3: a TLS 1.3 server that answers 1.2 ends its random with a sentinel."""
    offered13 = any(v == 0x0304 for v in context.client_versions)
    if random[-8:] in (TLS12_DOWNGRADE_SENTINEL, TLS11_DOWNGRADE_SENTINEL):
        return ("the random ends with the sentinel DOWNGRD: this server also speaks TLS "
                "1.3" + (", so a TLS 1.3 client must refuse (RFC 8446 §4.1.3)" if offered13
                         else "; the client offered only TLS 1.2, so that is expected"))
    if offered13:
        return ("no DOWNGRD sentinel in the random: the server really speaks at most TLS "
                "1.2, not a man in the middle who removed TLS 1.3 (RFC 8446 §4.1.3)")
    return "not applicable: the client offered TLS 1.2 at most"


def _ems(msg: ServerHello) -> str:
    if find_raw(msg.extensions, ExtensionType.EXTENDED_MASTER_SECRET) is None:
        return ("no: the master secret depends on the randoms only, open to the triple "
                "handshake attack (RFC 7627)")
    return ("yes: the master secret will hash the whole handshake, so it cannot be shared "
            "with another connection (RFC 7627)")


def _renegotiation(msg: ServerHello) -> str:
    info = find(msg.extensions, RenegotiationInfo)
    if info is None:
        return "absent: the server may be open to renegotiation attacks (RFC 5746)"
    return ("present and empty: the server supports secure renegotiation, so no one can "
            "splice this connection onto another (RFC 5746 §3.4); tlsglass never renegotiates")


def _server_key_exchange(msg: ServerKeyExchange, context: Context) -> Summary:
    kind = context.key_exchange
    try:
        signed, _ = SignedParams.from_body(msg.body, dhe=kind == "DHE")
    except TLSError:
        return Summary(f"The server sends its key exchange parameters ({len(msg.body)} bytes, "
                       "not decodable for this suite).")
    scheme = describe(SignatureScheme, signed.algorithm)
    params = signed.params
    if isinstance(params, DheServerParams):
        value = (f"its ephemeral DHE public value ({len(params.dh_ys)} bytes) in a "
                 f"{len(params.dh_p) * 8}-bit group")
        fields = [("dh_p", f"{len(params.dh_p) * 8} bits"), ("dh_g", params.dh_g.hex()),
                  ("dh_Ys", f"{len(params.dh_ys)} bytes")]
    else:
        group = describe(NamedGroup, params.named_curve)
        value = f"its ephemeral ECDHE public value for {group} ({len(params.public)} bytes)"
        fields = [("named_curve", group), ("public", f"{len(params.public)} bytes")]
    text = (f"The server sends {value}, signed with its certificate's key ({scheme}) over "
            "both hello randoms and the parameters. A fresh key pair per connection gives "
            "forward secrecy; the signature proves the server, not a man in the middle, chose "
            "it for this very handshake.")
    return Summary(text, (*fields, ("algorithm", scheme),
                          ("signature", f"{len(signed.signature)} bytes")))


def _client_key_exchange(msg: ClientKeyExchange, context: Context) -> Summary:
    kind = context.key_exchange
    try:
        if kind == "RSA":
            encrypted = EncryptedPreMasterSecret.from_body(msg.body).encrypted
            return Summary(
                "The client creates the premaster secret (48 bytes: the version it offered "
                "and 46 random bytes) and encrypts it with the server's public key from the "
                f"certificate ({len(encrypted)} bytes): only the holder of the private key "
                "can read it. No forward secrecy: whoever gets that key later can decrypt "
                "a recording of this connection.",
                (("encrypted_premaster_secret", f"{len(encrypted)} bytes"),))
        if kind == "DHE":
            size = len(DheClientPublic.from_body(msg.body).dh_yc)
            field_name = "dh_Yc"
        else:
            size = len(EcdheClientPublic.from_body(msg.body).ecdh_yc)
            field_name = "ecdh_Yc"
    except TLSError:
        return Summary(f"The client sends its key exchange ({len(msg.body)} bytes).")
    kx = kind or "ECDHE"
    return Summary(
        f"The client sends its own ephemeral {kx} public value ({size} bytes). Each side "
        "combines its private key with the other's public value into the same premaster "
        "secret, which never crosses the wire.", ((field_name, f"{size} bytes"),))


def _certificate_request12(msg: CertificateRequest12) -> Summary:
    kinds = ", ".join(_CERTIFICATE_TYPES.get(t, str(t)) for t in msg.certificate_types)
    return Summary(
        "The server asks the client to prove who it is with a certificate (mutual TLS).",
        (("certificate_types", kinds),
         ("supported_signature_algorithms",
          names(SignatureScheme, msg.supported_signature_algorithms)),
         ("certificate_authorities", str(len(msg.certificate_authorities)))))


def _new_session_ticket12(msg: NewSessionTicket12) -> Summary:
    hint = f"{msg.ticket_lifetime_hint} s" if msg.ticket_lifetime_hint else "unspecified"
    return Summary(
        "The server hands the client a session ticket (RFC 5077): this session's state, "
        "sealed under a key only the server knows, so it can resume the session later "
        "without storing anything itself.",
        (("ticket_lifetime_hint", hint), ("ticket", f"({len(msg.ticket)} bytes, not shown)")))


def finished12(msg: Finished, sender: str) -> Summary:
    size = len(msg.verify_data)
    return Summary(
        f"The {sender}'s first message under the new keys proves it saw the same handshake: "
        f"PRF(master_secret, \"{sender} finished\", Hash(handshake messages)), {size} bytes, "
        "not shown.", (("verify_data", f"({size} bytes, not shown)"),))


def certificate_verify12(msg: CertificateVerify, sender: str) -> Summary:
    scheme = describe(SignatureScheme, msg.algorithm)
    return Summary(f"The {sender} signs every handshake message so far with {scheme}, "
                   "proving it holds its certificate's private key.",
                   (("algorithm", scheme), ("signature", f"{len(msg.signature)} bytes")))
