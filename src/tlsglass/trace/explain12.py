"""Explanations of TLS 1.2's messages where they differ from TLS 1.3's (RFC 5246), and of
what resumption, PSKs and 0-RTT change in a story.

The same HandshakeType can mean different things in the two versions: a 1.2
ServerHello only picks parameters (the key exchange follows), a 1.2 Finished is the
first message under the new keys, a 1.2 NewSessionTicket comes before the server's
ChangeCipherSpec. `explain_message(msg_type, tls12)` returns this table's entry for
a TLS 1.2 handshake and explain.py's otherwise. The door is `__all__`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from tlsglass.enums import HandshakeType
from tlsglass.trace.explain import Explanation, explain

__all__ = ["APPLICATION_DATA", "APPLICATION_DATA_12", "CHANGE_CIPHER_SPEC_12", "EARLY_DATA",
           "explain_message", "key_schedule12", "psk_key_schedule", "resumed_keys12"]

E = Explanation
_HS = HandshakeType

_MESSAGES12: Final[Mapping[int, Explanation]] = MappingProxyType({
    _HS.SERVER_HELLO: E(
        "The server picks one version and one cipher suite from the offer, and sends its "
        "random.",
        "In TLS 1.2 the hello only chooses: the keys come later, from ServerKeyExchange and "
        "ClientKeyExchange, so everything until ChangeCipherSpec travels in clear.",
        "RFC 5246 §7.4.1.3"),
    _HS.CERTIFICATE: E(
        "A certificate chain: the sender's certificate first, then the certificates that "
        "link it to an authority the peer trusts.",
        "It binds the sender's public key to its name; the signature in ServerKeyExchange "
        "(or the RSA decryption) then proves the sender holds the matching private key.",
        "RFC 5246 §7.4.2"),
    _HS.SERVER_KEY_EXCHANGE: E(
        "The server's ephemeral (EC)DHE public value, signed with its certificate's key.",
        "The certificate's key only signs; the secret comes from a key pair used once, so "
        "stealing the certificate's key later does not decrypt recordings (forward "
        "secrecy). The signature covers both randoms, so it cannot be replayed from "
        "another handshake.", "RFC 5246 §7.4.3, RFC 8422 §5.4"),
    _HS.CLIENT_KEY_EXCHANGE: E(
        "The client's half of the key exchange: its (EC)DHE public value, or with RSA key "
        "transport the premaster secret encrypted to the server's certificate key.",
        "After this both sides hold the premaster secret, and from it the master secret "
        "and the record keys; an eavesdropper has neither.",
        "RFC 5246 §7.4.7, RFC 8422 §5.7"),
    _HS.CERTIFICATE_REQUEST: E(
        "The server asks the client for a certificate (mutual TLS): the key types and "
        "signature algorithms it accepts, and the CAs it trusts.",
        "Lets the server authenticate the client cryptographically instead of with a password.",
        "RFC 5246 §7.4.4"),
    _HS.CERTIFICATE_VERIFY: E(
        "The client's signature over every handshake message so far, with its certificate's "
        "private key.", "Anyone can send a certificate; only its owner can sign this "
        "handshake's messages.", "RFC 5246 §7.4.8"),
    _HS.FINISHED: E(
        "A PRF over the master secret and the hash of every handshake message, sent as the "
        "first message under the new keys.",
        "Confirms both sides saw identical messages and derived the same keys: a tampered "
        "negotiation (a downgraded suite, say) fails here.", "RFC 5246 §7.4.9"),
    _HS.NEW_SESSION_TICKET: E(
        "The server's ticket for resuming this session later, sent just before its "
        "ChangeCipherSpec.",
        "Resumption skips the certificate and the key exchange next time; the server keeps "
        "no state, since the ticket carries it, encrypted.", "RFC 5077 §3.3"),
})

CHANGE_CIPHER_SPEC_12: Final = E(
    "The {sender} switches its sending side to the keys just negotiated: every record it "
    "sends after this one is encrypted and authenticated.",
    "A real state change in TLS 1.2 (unlike TLS 1.3's dummy): it marks exactly where "
    "protection starts, so the next message, Finished, is the first one sealed.",
    "RFC 5246 §7.1")

_KEY_BLOCK: Final = ("key_block = PRF(master_secret, \"key expansion\", server_random + "
                     "client_random), cut into client_write_key, server_write_key, "
                     "client_write_IV, server_write_IV (labels only, values never shown).")


def key_schedule12(key_exchange: str, extended_master_secret: bool) -> Explanation:
    """The TLS 1.2 key schedule after a full handshake's ClientKeyExchange."""
    premaster = ("premaster_secret (chosen by the client, sent encrypted)"
                 if key_exchange == "RSA" else f"premaster_secret (the {key_exchange or '(EC)DHE'}"
                 " shared secret)")
    if extended_master_secret:
        master = ("master_secret = PRF(premaster_secret, \"extended master secret\", "
                  "session_hash), the session hash covering every message through "
                  "ClientKeyExchange")
        why = ("With extended_master_secret the master secret is bound to this whole "
               "handshake, so a man in the middle cannot make two connections share one "
               "(the triple handshake attack).")
        rfc = "RFC 7627 §4, RFC 5246 §6.3"
    else:
        master = ("master_secret = PRF(premaster_secret, \"master secret\", client_random + "
                  "server_random)")
        why = ("Without extended_master_secret the master secret depends on the randoms only: "
               "the triple handshake attack can make two connections share it.")
        rfc = "RFC 5246 §8.1, §6.3"
    return E(f"{premaster} -> {master} -> {_KEY_BLOCK}", why, rfc)


def resumed_keys12() -> Explanation:
    """The key schedule of an abbreviated TLS 1.2 handshake."""
    return E("The resumed session's master_secret is kept; only the " + _KEY_BLOCK
             .replace("key_block", "key_block, from the new randoms,", 1),
             "Fresh randoms give fresh record keys, but no new key exchange: a resumed 1.2 "
             "session has the forward secrecy of the original one only.",
             "RFC 5246 §7.3, §6.3")


_SERVER_HELLO_RESUMED_12: Final = E(
    "The server picks the version and suite and, by echoing the client's session ID, agrees "
    "to resume the earlier session.",
    "An abbreviated handshake: no certificate and no key exchange, one round trip less; "
    "both Finished messages still prove that both sides hold the old master secret.",
    "RFC 5246 §7.3, RFC 5077 §3.1")

APPLICATION_DATA: Final = E(
    "The {sender} sends application data, encrypted under its application traffic key.",
    "Each record is sealed with the AEAD: confidential, and any change, reordering or "
    "truncation is detected.", "RFC 8446 §5.2")

APPLICATION_DATA_12: Final = E(
    "The {sender} sends application data, encrypted under its write key from the key block.",
    "Each record is sealed with the AEAD, its sequence number in the nonce and the "
    "additional data: confidential, and any change, reordering or truncation is detected.",
    "RFC 5246 §6.2.3.3, RFC 5288 §3")

EARLY_DATA: Final = E(
    "The {sender} sends 0-RTT data before the handshake is complete, under "
    "client_early_traffic_secret (from the ticket's PSK alone).",
    "It saves a round trip, but it has no forward secrecy and an attacker can replay it: "
    "only requests that are safe to repeat belong here.", "RFC 8446 §2.3, §8")


def psk_key_schedule(with_dhe: bool) -> Explanation:
    """The TLS 1.3 key schedule when the server accepted a PSK (§7.1)."""
    if with_dhe:
        return E("Early Secret = HKDF-Extract(0, PSK): the key schedule starts from the "
                 "pre-shared key, and the Handshake Secret mixes in this handshake's fresh "
                 "(EC)DHE secret too (psk_dhe_ke).",
                 "The PSK proves who the peer is; the (EC)DHE part keeps forward secrecy, so "
                 "a PSK or ticket key stolen later does not decrypt this connection.",
                 "RFC 8446 §7.1, §4.2.9")
    return E("Early Secret = HKDF-Extract(0, PSK), and no (EC)DHE: every key of this "
             "connection comes from the pre-shared key alone (psk_ke).",
             "No forward secrecy: whoever later learns the PSK (or the ticket key) can "
             "decrypt a recording of this connection.", "RFC 8446 §7.1, §4.2.9")


def explain_message(msg_type: int, tls12: bool, resumed: bool = False) -> Explanation | None:
    """The explanation of a handshake message in the negotiated version."""
    if tls12 and resumed and msg_type == HandshakeType.SERVER_HELLO:
        return _SERVER_HELLO_RESUMED_12
    if tls12 and msg_type in _MESSAGES12:
        return _MESSAGES12[msg_type]
    return explain(HandshakeType, msg_type)
