"""Plain-language explanations, keyed by enum member: what each thing is, why it exists.

Every table is data: an `Explanation` per IANA code point (handshake messages,
extensions, suites, groups, signature schemes, alerts) and per key label and
RFC state. TLS 1.2, resumption, 0-RTT and post-handshake messages are covered
already, so their steps read sensibly whichever engine emits them. `explain()`
returns None for a value with no entry; callers fall back to `enums.describe`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from tlsglass.enums import (
    AlertDescription,
    CipherSuite,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    SignatureScheme,
    describe,
)

__all__ = ["KEY_LABELS", "STATES", "Explanation", "explain", "explain_key", "explain_state",
           "message_name"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """`what` it is, `why` it exists (what it protects against), and where the RFC says so."""

    what: str
    why: str = ""
    rfc: str = ""


E = Explanation
_HS = HandshakeType
_X = ExtensionType

_MESSAGES: Final[Mapping[int, Explanation]] = MappingProxyType({
    _HS.CLIENT_HELLO: E(
        "The client opens: the versions, cipher suites, groups and signature schemes it can "
        "use, and (TLS 1.3) key shares so the server can answer with keys at once.",
        "Both sides must agree on parameters before any secret exists; the random value makes "
        "every handshake's keys unique, so old handshakes cannot be replayed.",
        "RFC 8446 §4.1.2"),
    _HS.SERVER_HELLO: E(
        "The server picks one version, one cipher suite and one key share from the offer.",
        "With the server's key share both sides can compute the same (EC)DHE secret that no "
        "eavesdropper can: from here on the handshake is encrypted (forward secrecy).",
        "RFC 8446 §4.1.3"),
    _HS.HELLO_RETRY_REQUEST: E(
        "The server asks the client to try again: none of the client's key shares suits it.",
        "The client guessed which groups the server supports; a retry costs one round trip "
        "but keeps both sides on a group they really share. The transcript keeps a hash of "
        "the first ClientHello, so the retry cannot be tampered with.",
        "RFC 8446 §4.1.4"),
    _HS.ENCRYPTED_EXTENSIONS: E(
        "The server's answers to extensions that are not needed to set up keys (ALPN, "
        "record size limit, ...), now under the handshake key.",
        "TLS 1.3 encrypts everything it can: an eavesdropper no longer learns, say, the "
        "application protocol.",
        "RFC 8446 §4.3.1"),
    _HS.CERTIFICATE_REQUEST: E(
        "The server asks the client for a certificate (mutual TLS).",
        "Lets the server authenticate the client cryptographically instead of with a password.",
        "RFC 8446 §4.3.2"),
    _HS.CERTIFICATE: E(
        "A certificate chain: the sender's certificate first, then the certificates that "
        "link it to an authority the peer trusts.",
        "It binds the sender's public key to its name; the peer checks the chain against its "
        "trusted roots and the name it wanted to reach, which defeats impersonation.",
        "RFC 8446 §4.4.2"),
    _HS.CERTIFICATE_VERIFY: E(
        "A signature over the transcript so far, made with the certificate's private key.",
        "Anyone can send a certificate; only its owner can sign. Signing the transcript also "
        "proves that nobody altered the messages before it.",
        "RFC 8446 §4.4.3"),
    _HS.FINISHED: E(
        "A MAC over the whole transcript, keyed from the handshake secret.",
        "Confirms both sides saw identical messages and derived the same keys: any tampering "
        "with the negotiation (a downgrade, say) makes it fail.",
        "RFC 8446 §4.4.4"),
    _HS.NEW_SESSION_TICKET: E(
        "After the handshake, the server gives the client a ticket for resuming later.",
        "Resumption skips certificates and signatures next time (and can allow 0-RTT data).",
        "RFC 8446 §4.6.1"),
    _HS.END_OF_EARLY_DATA: E(
        "The client marks the end of its 0-RTT data.",
        "Tells the server that what follows is under the handshake key again.",
        "RFC 8446 §4.5"),
    _HS.KEY_UPDATE: E(
        "One side switches to a fresh traffic key (and may ask the peer to do so too).",
        "Limits how much data one key protects, as AEAD limits require.",
        "RFC 8446 §4.6.3"),
    _HS.SERVER_KEY_EXCHANGE: E(
        "TLS 1.2: the server's ephemeral (EC)DHE public key, signed with its certificate key.",
        "Gives forward secrecy; the signature proves the key comes from the server.",
        "RFC 5246 §7.4.3, RFC 8422 §5.4"),
    _HS.SERVER_HELLO_DONE: E(
        "TLS 1.2: the server has sent its whole first flight.",
        "The client now knows it may answer.", "RFC 5246 §7.4.5"),
    _HS.CLIENT_KEY_EXCHANGE: E(
        "TLS 1.2: the client's ephemeral (EC)DHE public key.",
        "With it both sides compute the premaster secret and then the master secret.",
        "RFC 5246 §7.4.7, RFC 8422 §5.7"),
    _HS.CERTIFICATE_STATUS: E(
        "TLS 1.2: a stapled OCSP response for the server's certificate.",
        "Shows the certificate was not revoked without the client asking the CA.",
        "RFC 6066 §8"),
    _HS.HELLO_REQUEST: E("TLS 1.2: the server asks for a renegotiation (refused by tlsglass).",
                         "Renegotiation caused real attacks; tlsglass does not do it.",
                         "RFC 5246 §7.4.1.1"),
    _HS.MESSAGE_HASH: E("The hash that replaces the first ClientHello in the transcript after "
                        "a HelloRetryRequest.", "", "RFC 8446 §4.4.1"),
    _HS.HELLO_VERIFY_REQUEST: E("DTLS: the server asks the client to echo a cookie.", "",
                                "RFC 6347 §4.2.1"),
    _HS.CERTIFICATE_URL: E("A URL to fetch the client's certificate from (obsolete).", "",
                           "RFC 6066 §5"),
    _HS.SUPPLEMENTAL_DATA: E("Supplemental application data in the handshake (rare).", "",
                             "RFC 4680"),
})

_EXTENSIONS: Final[Mapping[int, Explanation]] = MappingProxyType({
    _X.SERVER_NAME: E("server_name (SNI): the host name the client wants.",
                      "Lets one address serve many sites with the right certificate.",
                      "RFC 6066 §3"),
    _X.SUPPORTED_GROUPS: E("supported_groups: key-exchange groups the client can use.",
                           "", "RFC 8446 §4.2.7"),
    _X.SIGNATURE_ALGORITHMS: E("signature_algorithms: signatures the sender accepts.",
                               "", "RFC 8446 §4.2.3"),
    _X.SIGNATURE_ALGORITHMS_CERT: E("signature_algorithms_cert: signatures accepted inside "
                                    "certificates.", "", "RFC 8446 §4.2.3"),
    _X.SUPPORTED_VERSIONS: E(
        "supported_versions: the real version list (legacy_version stays 1.2).",
        "Old middleboxes choke on a new version number in the old field; this hides it.",
        "RFC 8446 §4.2.1"),
    _X.KEY_SHARE: E("key_share: (EC)DHE public keys, one per group.",
                    "Sending keys in the first message saves a round trip.", "RFC 8446 §4.2.8"),
    _X.APPLICATION_LAYER_PROTOCOL_NEGOTIATION: E(
        "ALPN: the application protocols offered or chosen (h2, http/1.1...).",
        "Agrees on the protocol inside the handshake, with no extra round trip.", "RFC 7301"),
    _X.PSK_KEY_EXCHANGE_MODES: E("psk_key_exchange_modes: how a resumed session may set "
                                 "up keys (with or without a fresh (EC)DHE).", "",
                                 "RFC 8446 §4.2.9"),
    _X.PRE_SHARED_KEY: E("pre_shared_key: tickets offered for resumption, with binders; "
                         "or the one the server accepted.",
                         "Binders prove the client holds the ticket's secret.",
                         "RFC 8446 §4.2.11"),
    _X.EARLY_DATA: E("early_data: 0-RTT data is coming (or was accepted).",
                     "0-RTT data can be replayed by an attacker; only idempotent requests "
                     "belong there.", "RFC 8446 §4.2.10, §8"),
    _X.COOKIE: E("cookie: state the server asks the client to echo after a retry.",
                 "Lets a server stay stateless and check the client's address.",
                 "RFC 8446 §4.2.2"),
    _X.RECORD_SIZE_LIMIT: E("record_size_limit: the largest record the sender accepts.",
                            "Helps constrained devices.", "RFC 8449"),
    _X.POST_HANDSHAKE_AUTH: E("post_handshake_auth: the client may be asked for a certificate "
                              "after the handshake.", "", "RFC 8446 §4.2.6"),
    _X.CERTIFICATE_AUTHORITIES: E("certificate_authorities: the CAs the sender trusts.",
                                  "Helps the peer pick a certificate that will verify.",
                                  "RFC 8446 §4.2.4"),
    _X.STATUS_REQUEST: E("status_request: ask for a stapled OCSP response.", "", "RFC 6066 §8"),
    _X.SIGNED_CERTIFICATE_TIMESTAMP: E("signed_certificate_timestamp: Certificate "
                                       "Transparency proofs.", "", "RFC 6962 §3.3"),
    _X.PADDING: E("padding: filler bytes.", "Works around servers that mishandle some "
                  "ClientHello sizes.", "RFC 7685"),
    _X.EXTENDED_MASTER_SECRET: E("extended_master_secret (TLS 1.2): bind the master secret to "
                                 "the whole handshake.", "Defeats the triple-handshake attack.",
                                 "RFC 7627"),
    _X.RENEGOTIATION_INFO: E("renegotiation_info (TLS 1.2): secure renegotiation signal.",
                             "Defeats renegotiation splicing attacks.", "RFC 5746"),
    _X.EC_POINT_FORMATS: E("ec_point_formats (TLS 1.2): uncompressed points only.", "",
                           "RFC 8422 §5.1.2"),
    _X.SESSION_TICKET: E("session_ticket (TLS 1.2): ask for or present a resumption ticket.",
                         "", "RFC 5077"),
    _X.ENCRYPT_THEN_MAC: E("encrypt_then_mac (TLS 1.2 CBC only).", "", "RFC 7366"),
    _X.COMPRESS_CERTIFICATE: E("compress_certificate: certificate compression.", "",
                               "RFC 8879"),
    _X.MAX_FRAGMENT_LENGTH: E("max_fragment_length: smaller records.", "", "RFC 6066 §4"),
    _X.OID_FILTERS: E("oid_filters: certificate extension constraints.", "", "RFC 8446 §4.2.5"),
    _X.USE_SRTP: E("use_srtp: DTLS-SRTP key setup for media.", "", "RFC 5764"),
    _X.HEARTBEAT: E("heartbeat: keep-alive messages (the Heartbleed extension).", "",
                    "RFC 6520"),
    _X.CLIENT_CERTIFICATE_TYPE: E("client_certificate_type: X.509 or raw public keys.", "",
                                  "RFC 7250"),
    _X.SERVER_CERTIFICATE_TYPE: E("server_certificate_type: X.509 or raw public keys.", "",
                                  "RFC 7250"),
})


def _suite(aead: str, hash_name: str, kx: str = "") -> Explanation:
    how = f"{kx} key exchange, " if kx else ""
    return E(f"{how}{aead} record protection, {hash_name} for the key schedule and transcript.",
             "An AEAD both encrypts and authenticates each record, so tampering is detected.",
             "RFC 8446 §B.4" if not kx else "RFC 5288, RFC 5289, RFC 7905")


_CS = CipherSuite
_SUITES: Final[Mapping[int, Explanation]] = MappingProxyType({
    _CS.TLS_AES_128_GCM_SHA256: _suite("AES-128-GCM", "SHA-256"),
    _CS.TLS_AES_256_GCM_SHA384: _suite("AES-256-GCM", "SHA-384"),
    _CS.TLS_CHACHA20_POLY1305_SHA256: _suite("ChaCha20-Poly1305", "SHA-256"),
    _CS.TLS_AES_128_CCM_SHA256: _suite("AES-128-CCM", "SHA-256"),
    _CS.TLS_AES_128_CCM_8_SHA256: _suite("AES-128-CCM with an 8-byte tag", "SHA-256"),
    _CS.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: _suite("AES-128-GCM", "SHA-256", "ECDHE+ECDSA"),
    _CS.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: _suite("AES-256-GCM", "SHA-384", "ECDHE+ECDSA"),
    _CS.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: _suite("AES-128-GCM", "SHA-256", "ECDHE+RSA"),
    _CS.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: _suite("AES-256-GCM", "SHA-384", "ECDHE+RSA"),
    _CS.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: _suite("ChaCha20-Poly1305", "SHA-256",
                                                            "ECDHE+RSA"),
    _CS.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: _suite("ChaCha20-Poly1305", "SHA-256",
                                                              "ECDHE+ECDSA"),
    _CS.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: _suite("AES-128-GCM", "SHA-256", "DHE+RSA"),
    _CS.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: _suite("AES-256-GCM", "SHA-384", "DHE+RSA"),
    _CS.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: _suite("ChaCha20-Poly1305", "SHA-256",
                                                          "DHE+RSA"),
    _CS.TLS_RSA_WITH_AES_128_GCM_SHA256: E(
        "RSA key transport with AES-128-GCM (TLS 1.2).",
        "No forward secrecy: whoever later gets the server's key can decrypt recordings.",
        "RFC 5288"),
    _CS.TLS_RSA_WITH_AES_256_GCM_SHA384: E(
        "RSA key transport with AES-256-GCM (TLS 1.2).",
        "No forward secrecy: whoever later gets the server's key can decrypt recordings.",
        "RFC 5288"),
    _CS.TLS_EMPTY_RENEGOTIATION_INFO_SCSV: E("A signal, not a suite: secure renegotiation.",
                                             "", "RFC 5746 §3.3"),
    _CS.TLS_FALLBACK_SCSV: E("A signal, not a suite: this is a downgraded retry.",
                             "Lets a server refuse a forced downgrade.", "RFC 7507"),
})

_NG = NamedGroup
_GROUPS: Final[Mapping[int, Explanation]] = MappingProxyType({
    _NG.X25519: E("X25519: elliptic-curve Diffie-Hellman on Curve25519.", "", "RFC 7748"),
    _NG.X448: E("X448: elliptic-curve Diffie-Hellman on Curve448.", "", "RFC 7748"),
    _NG.SECP256R1: E("P-256 (secp256r1) ECDHE.", "", "RFC 8446 §4.2.7"),
    _NG.SECP384R1: E("P-384 (secp384r1) ECDHE.", "", "RFC 8446 §4.2.7"),
    _NG.SECP521R1: E("P-521 (secp521r1) ECDHE.", "", "RFC 8446 §4.2.7"),
    _NG.X25519MLKEM768: E("X25519MLKEM768: X25519 combined with the ML-KEM-768 post-quantum "
                          "KEM.", "Recorded traffic stays safe even against a future quantum "
                          "computer, as long as either part holds.",
                          "draft-ietf-tls-ecdhe-mlkem"),
    _NG.SECP256R1MLKEM768: E("P-256 combined with ML-KEM-768 (hybrid post-quantum).", "",
                             "draft-ietf-tls-ecdhe-mlkem"),
    _NG.SECP384R1MLKEM1024: E("P-384 combined with ML-KEM-1024 (hybrid post-quantum).", "",
                              "draft-ietf-tls-ecdhe-mlkem"),
    _NG.FFDHE2048: E("2048-bit finite-field Diffie-Hellman.", "", "RFC 7919"),
    _NG.FFDHE3072: E("3072-bit finite-field Diffie-Hellman.", "", "RFC 7919"),
    _NG.FFDHE4096: E("4096-bit finite-field Diffie-Hellman.", "", "RFC 7919"),
    _NG.FFDHE6144: E("6144-bit finite-field Diffie-Hellman.", "", "RFC 7919"),
    _NG.FFDHE8192: E("8192-bit finite-field Diffie-Hellman.", "", "RFC 7919"),
})

_SS = SignatureScheme
_SCHEMES: Final[Mapping[int, Explanation]] = MappingProxyType({
    _SS.ECDSA_SECP256R1_SHA256: E("ECDSA with P-256 and SHA-256.", "", "RFC 8446 §4.2.3"),
    _SS.ECDSA_SECP384R1_SHA384: E("ECDSA with P-384 and SHA-384.", "", "RFC 8446 §4.2.3"),
    _SS.ECDSA_SECP521R1_SHA512: E("ECDSA with P-521 and SHA-512.", "", "RFC 8446 §4.2.3"),
    _SS.RSA_PSS_RSAE_SHA256: E("RSA-PSS with SHA-256 (an ordinary RSA key).",
                               "PSS is the provably secure RSA padding; TLS 1.3 requires it "
                               "for handshake signatures.", "RFC 8446 §4.2.3"),
    _SS.RSA_PSS_RSAE_SHA384: E("RSA-PSS with SHA-384 (an ordinary RSA key).", "",
                               "RFC 8446 §4.2.3"),
    _SS.RSA_PSS_RSAE_SHA512: E("RSA-PSS with SHA-512 (an ordinary RSA key).", "",
                               "RFC 8446 §4.2.3"),
    _SS.RSA_PSS_PSS_SHA256: E("RSA-PSS with SHA-256 (a PSS-only key).", "", "RFC 8446 §4.2.3"),
    _SS.RSA_PSS_PSS_SHA384: E("RSA-PSS with SHA-384 (a PSS-only key).", "", "RFC 8446 §4.2.3"),
    _SS.RSA_PSS_PSS_SHA512: E("RSA-PSS with SHA-512 (a PSS-only key).", "", "RFC 8446 §4.2.3"),
    _SS.RSA_PKCS1_SHA1: E("RSA PKCS#1 v1.5 with SHA-1: legacy only.",
                          "SHA-1 collisions are practical; not for new signatures.",
                          "RFC 8446 §4.2.3"),
    _SS.ECDSA_SHA1: E("ECDSA with SHA-1: legacy only.",
                      "SHA-1 collisions are practical; not for new signatures.",
                      "RFC 8446 §4.2.3"),
    _SS.ED25519: E("Ed25519 signatures.", "", "RFC 8032"),
    _SS.ED448: E("Ed448 signatures.", "", "RFC 8032"),
    _SS.RSA_PKCS1_SHA256: E("RSA PKCS#1 v1.5 with SHA-256: certificates and TLS 1.2 only.",
                            "Not allowed for TLS 1.3 handshake signatures.", "RFC 8446 §4.2.3"),
    _SS.RSA_PKCS1_SHA384: E("RSA PKCS#1 v1.5 with SHA-384: certificates and TLS 1.2 only.", "",
                            "RFC 8446 §4.2.3"),
    _SS.RSA_PKCS1_SHA512: E("RSA PKCS#1 v1.5 with SHA-512: certificates and TLS 1.2 only.", "",
                            "RFC 8446 §4.2.3"),
})

_AD = AlertDescription
_ALERTS: Final[Mapping[int, Explanation]] = MappingProxyType({
    _AD.CLOSE_NOTIFY: E("close_notify: the sender will send nothing more.",
                        "Distinguishes a real end from a truncation attack.", "RFC 8446 §6.1"),
    _AD.UNEXPECTED_MESSAGE: E("unexpected_message: a message arrived where it may not.", "",
                              "RFC 8446 §6.2"),
    _AD.BAD_RECORD_MAC: E("bad_record_mac: a record failed to decrypt or authenticate.",
                          "Tampered or corrupted data, or mismatched keys.", "RFC 8446 §6.2"),
    _AD.DECRYPTION_FAILED: E("decryption_failed: obsolete (it helped padding-oracle attacks).",
                             "", "RFC 5246 §7.2.2"),
    _AD.DECOMPRESSION_FAILURE: E("decompression_failure: obsolete.", "", "RFC 5246 §7.2.2"),
    _AD.NO_CERTIFICATE: E("no_certificate: SSL 3.0 only.", "", "RFC 5246 §7.2.2"),
    _AD.EXPORT_RESTRICTION: E("export_restriction: obsolete.", "", "RFC 5246 §7.2.2"),
    _AD.NO_RENEGOTIATION: E("no_renegotiation: the peer refuses to renegotiate.", "",
                            "RFC 5246 §7.2.2"),
    _AD.CERTIFICATE_UNOBTAINABLE: E("certificate_unobtainable: obsolete.", "", "RFC 6066"),
    _AD.BAD_CERTIFICATE_STATUS_RESPONSE: E("bad_certificate_status_response: an OCSP "
                                           "response was invalid.", "", "RFC 8446 §6.2"),
    _AD.BAD_CERTIFICATE_HASH_VALUE: E("bad_certificate_hash_value: obsolete.", "", "RFC 6066"),
    _AD.RECORD_OVERFLOW: E("record_overflow: a record was too long.", "", "RFC 8446 §6.2"),
    _AD.HANDSHAKE_FAILURE: E("handshake_failure: no acceptable set of parameters.",
                             "Usually no cipher suite, group or signature scheme in common.",
                             "RFC 8446 §6.2"),
    _AD.BAD_CERTIFICATE: E("bad_certificate: a certificate was corrupt or failed checks.", "",
                           "RFC 8446 §6.2"),
    _AD.UNSUPPORTED_CERTIFICATE: E("unsupported_certificate: a certificate of an unsupported "
                                   "type.", "", "RFC 8446 §6.2"),
    _AD.CERTIFICATE_REVOKED: E("certificate_revoked.", "", "RFC 8446 §6.2"),
    _AD.CERTIFICATE_EXPIRED: E("certificate_expired: a certificate is outside its validity "
                               "period.", "", "RFC 8446 §6.2"),
    _AD.CERTIFICATE_UNKNOWN: E("certificate_unknown: some other certificate problem.", "",
                               "RFC 8446 §6.2"),
    _AD.ILLEGAL_PARAMETER: E("illegal_parameter: a field was out of range or inconsistent.",
                             "", "RFC 8446 §6.2"),
    _AD.UNKNOWN_CA: E("unknown_ca: the chain does not lead to a trusted root.",
                      "Without a trusted root nobody vouches for the name: it could be anyone.",
                      "RFC 8446 §6.2"),
    _AD.ACCESS_DENIED: E("access_denied.", "", "RFC 8446 §6.2"),
    _AD.DECODE_ERROR: E("decode_error: a message could not be parsed.", "", "RFC 8446 §6.2"),
    _AD.DECRYPT_ERROR: E("decrypt_error: a signature or Finished check failed.",
                         "Someone altered the handshake or does not hold the key.",
                         "RFC 8446 §6.2"),
    _AD.PROTOCOL_VERSION: E("protocol_version: no version in common.", "", "RFC 8446 §6.2"),
    _AD.INSUFFICIENT_SECURITY: E("insufficient_security: the peer wants stronger parameters.",
                                 "", "RFC 8446 §6.2"),
    _AD.INTERNAL_ERROR: E("internal_error: a failure unrelated to the peer.", "",
                          "RFC 8446 §6.2"),
    _AD.INAPPROPRIATE_FALLBACK: E("inappropriate_fallback: a downgrade attempt was caught.", "",
                                  "RFC 7507"),
    _AD.USER_CANCELED: E("user_canceled: the handshake is being abandoned.", "",
                         "RFC 8446 §6.1"),
    _AD.MISSING_EXTENSION: E("missing_extension: a required extension was absent.", "",
                             "RFC 8446 §6.2"),
    _AD.UNSUPPORTED_EXTENSION: E("unsupported_extension: an extension that was not offered or "
                                 "not allowed here.", "", "RFC 8446 §6.2"),
    _AD.UNRECOGNIZED_NAME: E("unrecognized_name: the server has no site by that name.", "",
                             "RFC 6066 §3"),
    _AD.UNKNOWN_PSK_IDENTITY: E("unknown_psk_identity.", "", "RFC 8446 §6.2"),
    _AD.CERTIFICATE_REQUIRED: E("certificate_required: the server needed a client "
                                "certificate.", "", "RFC 8446 §6.2"),
    _AD.NO_APPLICATION_PROTOCOL: E("no_application_protocol: no ALPN protocol in common.", "",
                                   "RFC 7301 §3.2"),
})

_TABLES: Final[Mapping[type[IntEnum], Mapping[int, Explanation]]] = MappingProxyType({
    HandshakeType: _MESSAGES, ExtensionType: _EXTENSIONS, CipherSuite: _SUITES,
    NamedGroup: _GROUPS, SignatureScheme: _SCHEMES, AlertDescription: _ALERTS,
})

KEY_LABELS: Final[Mapping[str, Explanation]] = MappingProxyType({
    "client_early_traffic_secret": E(
        "client_early_traffic_secret: protects the client's 0-RTT data.",
        "Derived from the resumption secret alone, so 0-RTT has no forward secrecy and can be "
        "replayed.", "RFC 8446 §7.1"),
    "client_handshake_traffic_secret": E(
        "client_handshake_traffic_secret: protects the client's handshake messages.",
        "Derived from the (EC)DHE secret and the hellos' hash.", "RFC 8446 §7.1"),
    "server_handshake_traffic_secret": E(
        "server_handshake_traffic_secret: protects the server's handshake messages.",
        "Derived from the (EC)DHE secret and the hellos' hash.", "RFC 8446 §7.1"),
    "client_application_traffic_secret": E(
        "client_application_traffic_secret_N: protects the client's application data.",
        "Derived from the master secret and the hash of the whole server flight.",
        "RFC 8446 §7.1"),
    "server_application_traffic_secret": E(
        "server_application_traffic_secret_N: protects the server's application data.",
        "Derived from the master secret and the hash of the whole server flight.",
        "RFC 8446 §7.1"),
    "early_secret": E("Early Secret: HKDF-Extract of the PSK (or zeros without one).",
                      "The first stage of the key schedule.", "RFC 8446 §7.1"),
    "binder_key": E("binder_key: keys the PSK binders.",
                    "Binders tie a resumption offer to this ClientHello, so a stolen ticket "
                    "identity alone is useless.", "RFC 8446 §4.2.11.2"),
    "handshake_secret": E("Handshake Secret: the early secret mixed with the (EC)DHE secret.",
                          "", "RFC 8446 §7.1"),
    "exporter_master_secret": E("exporter_master_secret: for keying material exporters.", "",
                                "RFC 8446 §7.5"),
    "early_exporter_master_secret": E("early_exporter_master_secret: exporters for 0-RTT.", "",
                                      "RFC 8446 §7.5"),
    "resumption_master_secret": E("resumption_master_secret: the root of the tickets' PSKs.",
                                  "", "RFC 8446 §4.6.1"),
    "master_secret": E("Master Secret (TLS 1.3), or the TLS 1.2 master secret.", "",
                       "RFC 8446 §7.1, RFC 5246 §8.1, RFC 7627"),
})

# The engine names states after RFC 8446 App. A (WaitEE is WAIT_EE) and RFC 5246 §7.3.
STATES: Final[Mapping[str, str]] = MappingProxyType({
    "Start": "START", "WaitSH": "WAIT_SH", "WaitEE": "WAIT_EE", "WaitCertCR": "WAIT_CERT_CR",
    "WaitCert": "WAIT_CERT", "WaitCV": "WAIT_CV", "WaitFinished": "WAIT_FINISHED",
    "RecvdCH": "RECVD_CH", "Negotiated": "NEGOTIATED", "WaitEOED": "WAIT_EOED",
    "WaitFlight2": "WAIT_FLIGHT2", "ClientConnected": "CONNECTED",
    "ServerConnected": "CONNECTED", "Connected": "CONNECTED", "_Idle": "IDLE",
    "_Error": "ERROR",
})


def explain(enum_type: type[IntEnum], value: int) -> Explanation | None:
    """The explanation of one code point, or None when the tables have none."""
    table = _TABLES.get(enum_type)
    return None if table is None else table.get(value)


def explain_key(label: str) -> Explanation | None:
    """Explain a key label; "... key" and "... iv" fall back to the secret they come from."""
    return KEY_LABELS.get(label.removesuffix(" key").removesuffix(" iv"))


def explain_state(name: str) -> str:
    """The RFC's name for an engine state class (WaitEE -> WAIT_EE)."""
    if name in STATES:
        return STATES[name]
    out = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name))
    return out.upper()


def message_name(msg_type: int) -> str:
    """The RFC's struct name for a handshake type (CLIENT_HELLO -> ClientHello)."""
    name = describe(HandshakeType, msg_type)
    if not name.isupper():
        return name  # "unknown 0x42"
    return "".join(part.capitalize() for part in name.split("_"))
