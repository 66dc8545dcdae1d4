"""The TLS 1.3 key schedule as explicit stages (RFC 8446 §7.1), and traffic keys (§7.3).

             0
             |
   PSK ->  HKDF-Extract = Early Secret            (EarlySecret)
             |-> "ext binder" | "res binder"      binder_key
             |-> "c e traffic"                    client_early_traffic_secret
             |-> "e exp master"                   early_exporter_master_secret
       Derive-Secret(., "derived", "")
             |
 (EC)DHE -> HKDF-Extract = Handshake Secret       (HandshakeSecret)
             |-> "c hs traffic" / "s hs traffic"  over ClientHello..ServerHello
       Derive-Secret(., "derived", "")
             |
    0 -> HKDF-Extract = Master Secret             (MasterSecret)
             |-> "c ap traffic" / "s ap traffic"  over ClientHello..server Finished
             |-> "exp master"                     over ClientHello..server Finished
             |-> "res master"                     over ClientHello..client Finished

Each stage is its own type, so a secret can only be derived from the stage that
owns it, and the transcript hash is always passed in by the caller. Every value
is a `Secret`; nothing here keeps state beyond the stage it returns.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from tlsglass._fastinit import fast_init
from tlsglass.crypto.kdf import (
    derive_secret,
    hash_digest,
    hkdf_expand_label,
    hkdf_extract,
    hmac_digest,
    prf_tls12,
)
from tlsglass.crypto.secret import DeferredSecret, Secret
from tlsglass.crypto.suites import SuiteInfo

__all__ = [
    "EarlySecret",
    "HandshakeSecret",
    "KeyBlock12",
    "MasterSecret",
    "TrafficKeys",
    "export_keying_material",
    "export_keying_material12",
    "finished_verify_data",
    "finished_verify_data12",
    "key_block12",
    "master_secret12",
    "next_application_traffic_secret",
    "resumption_psk",
    "traffic_keys",
    "verify_finished",
]


def _zeros(hash_name: str) -> bytes:
    return bytes(len(hash_digest(hash_name, b"")))


def _no_psk(hash_name: str) -> tuple[bytes, bytes]:
    """Early Secret without a PSK, and Derive-Secret(it, "derived", ""): constants per hash."""
    zeros = _zeros(hash_name)
    early = hkdf_extract(hash_name, zeros, zeros)
    return early, derive_secret(hash_name, early, b"derived", hash_digest(hash_name, b""))


# Computed once at import: a full handshake without a PSK starts from these (§7.1).
_NO_PSK: Final[Mapping[str, tuple[bytes, bytes]]] = MappingProxyType(
    {name: _no_psk(name) for name in ("sha256", "sha384")})
_EMPTY_HASH: Final[Mapping[str, bytes]] = MappingProxyType(
    {name: hash_digest(name, b"") for name in ("sha256", "sha384")})


@fast_init
@dataclass(frozen=True, slots=True)
class EarlySecret:
    """Stage 1: HKDF-Extract(0, PSK or zeros)."""

    hash_name: str
    secret: Secret = field(repr=False)
    derived: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def start(cls, hash_name: str, psk: bytes | None = None) -> EarlySecret:
        if psk is None and hash_name in _NO_PSK:
            early, derived = _NO_PSK[hash_name]
            return cls(hash_name, Secret("early_secret", early), derived)
        zeros = _zeros(hash_name)
        value = hkdf_extract(hash_name, zeros, zeros if psk is None else psk)
        return cls(hash_name, Secret("early_secret", value))

    def _derive(self, label: bytes, transcript_hash: bytes, name: str) -> Secret:
        return Secret(name, derive_secret(self.hash_name, self.secret.reveal(), label,
                                          transcript_hash))

    def binder_key(self, external: bool) -> Secret:
        """§7.1: "ext binder" for external PSKs, "res binder" for resumption."""
        empty = hash_digest(self.hash_name, b"")
        return self._derive(b"ext binder" if external else b"res binder", empty, "binder_key")

    def client_early_traffic_secret(self, transcript_hash: bytes) -> Secret:
        return self._derive(b"c e traffic", transcript_hash, "client_early_traffic_secret")

    def early_exporter_master_secret(self, transcript_hash: bytes) -> Secret:
        return self._derive(b"e exp master", transcript_hash, "early_exporter_master_secret")

    def handshake_secret(self, shared_secret: bytes | None) -> HandshakeSecret:
        """Mix in the (EC)DHE shared secret (zeros in psk_ke mode)."""
        derived = self.derived or derive_secret(self.hash_name, self.secret.reveal(), b"derived",
                                                hash_digest(self.hash_name, b""))
        ikm = _zeros(self.hash_name) if shared_secret is None else shared_secret
        value = hkdf_extract(self.hash_name, derived, ikm)
        return HandshakeSecret(self.hash_name, Secret("handshake_secret", value))


@fast_init
@dataclass(frozen=True, slots=True)
class HandshakeSecret:
    """Stage 2: HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE)."""

    hash_name: str
    secret: Secret = field(repr=False)

    def client_handshake_traffic_secret(self, transcript_hash: bytes) -> Secret:
        return Secret("client_handshake_traffic_secret", derive_secret(
            self.hash_name, self.secret.reveal(), b"c hs traffic", transcript_hash))

    def server_handshake_traffic_secret(self, transcript_hash: bytes) -> Secret:
        return Secret("server_handshake_traffic_secret", derive_secret(
            self.hash_name, self.secret.reveal(), b"s hs traffic", transcript_hash))

    def master_secret(self) -> MasterSecret:
        empty = _EMPTY_HASH.get(self.hash_name) or hash_digest(self.hash_name, b"")
        derived = derive_secret(self.hash_name, self.secret.reveal(), b"derived", empty)
        value = hkdf_extract(self.hash_name, derived, bytes(len(empty)))
        return MasterSecret(self.hash_name, Secret("master_secret", value))


@fast_init
@dataclass(frozen=True, slots=True)
class MasterSecret:
    """Stage 3: HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0)."""

    hash_name: str
    secret: Secret = field(repr=False)

    def _derive(self, label: bytes, transcript_hash: bytes, name: str) -> Secret:
        return Secret(name, derive_secret(self.hash_name, self.secret.reveal(), label,
                                          transcript_hash))

    def client_application_traffic_secret_0(self, transcript_hash: bytes) -> Secret:
        return self._derive(b"c ap traffic", transcript_hash, "client_application_traffic_secret")

    def server_application_traffic_secret_0(self, transcript_hash: bytes) -> Secret:
        return self._derive(b"s ap traffic", transcript_hash, "server_application_traffic_secret")

    def exporter_master_secret(self, transcript_hash: bytes) -> Secret:
        """Derived when first revealed (an exporter call, a key log): most connections
        never need it (DeferredSecret)."""
        return self._deferred(b"exp master", transcript_hash, "exporter_master_secret")

    def resumption_master_secret(self, transcript_hash: bytes) -> Secret:
        """Derived when first revealed: only tickets need it (DeferredSecret)."""
        return self._deferred(b"res master", transcript_hash, "resumption_master_secret")

    def _deferred(self, label: bytes, transcript_hash: bytes, name: str) -> Secret:
        hash_name, master = self.hash_name, self.secret
        return DeferredSecret(name, lambda: derive_secret(hash_name, master.reveal(), label,
                                                          transcript_hash))


@fast_init
@dataclass(frozen=True, slots=True)
class TrafficKeys:
    """§7.3: the write key and IV derived from one traffic secret."""

    key: Secret = field(repr=False)
    iv: Secret = field(repr=False)


def traffic_key_iv(suite: SuiteInfo, secret: Secret) -> tuple[bytes, bytes]:
    """§7.3 write key and IV as bytes, for the record layer, which keys its AEAD at once."""
    raw = secret.reveal()
    return (hkdf_expand_label(suite.hash_name, raw, b"key", b"", suite.key_len),
            hkdf_expand_label(suite.hash_name, raw, b"iv", b"", suite.iv_len))


def traffic_keys(suite: SuiteInfo, secret: Secret) -> TrafficKeys:
    raw = secret.reveal()
    key = hkdf_expand_label(suite.hash_name, raw, b"key", b"", suite.key_len)
    iv = hkdf_expand_label(suite.hash_name, raw, b"iv", b"", suite.iv_len)
    return TrafficKeys(Secret(secret.label + " key", key), Secret(secret.label + " iv", iv))


def next_application_traffic_secret(hash_name: str, secret: Secret) -> Secret:
    """§7.2: secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length)."""
    raw = secret.reveal()
    return Secret(secret.label, hkdf_expand_label(hash_name, raw, b"traffic upd", b"", len(raw)))


def finished_verify_data(hash_name: str, base_key: Secret, transcript_hash: bytes) -> bytes:
    """§4.4.4: HMAC(finished_key, Transcript-Hash), finished_key from the traffic secret."""
    raw = base_key.reveal()
    finished_key = hkdf_expand_label(hash_name, raw, b"finished", b"", len(raw))
    return hmac_digest(hash_name, finished_key, transcript_hash)


def verify_finished(hash_name: str, base_key: Secret, transcript_hash: bytes,
                    verify_data: bytes) -> bool:
    """Constant-time check of a peer's Finished (or a PSK binder)."""
    expected = finished_verify_data(hash_name, base_key, transcript_hash)
    return hmac.compare_digest(expected, verify_data)


def resumption_psk(hash_name: str, resumption_master_secret: Secret, ticket_nonce: bytes) -> Secret:
    """§4.6.1: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, Hash.length)."""
    raw = resumption_master_secret.reveal()
    return Secret("resumption_psk", hkdf_expand_label(hash_name, raw, b"resumption",
                                                      ticket_nonce, len(raw)))


def export_keying_material(hash_name: str, exporter_secret: Secret, label: bytes,
                           context: bytes, length: int) -> bytes:
    """§7.5 TLS-Exporter(label, context_value, key_length)."""
    derived = derive_secret(hash_name, exporter_secret.reveal(), label,
                            hash_digest(hash_name, b""))
    return hkdf_expand_label(hash_name, derived, b"exporter", hash_digest(hash_name, context),
                             length)


# -- TLS 1.2 (RFC 5246 §6.3, §7.4.9, §8.1; RFC 7627 §4; RFC 5705 §4) ----------------

_MASTER_SECRET_LEN: Final = 48
_VERIFY_DATA_LEN: Final = 12  # RFC 5246 §7.4.9: verify_data_length for every suite we have


def master_secret12(hash_name: str, pre_master_secret: bytes, *, session_hash: bytes | None,
                    client_random: bytes, server_random: bytes) -> Secret:
    """The 48-byte master secret: with extended_master_secret (RFC 7627 §4) it is bound to
    the session hash (the transcript through ClientKeyExchange); otherwise to the randoms
    only (RFC 5246 §8.1), which a man in the middle can replay (the triple handshake)."""
    if session_hash is not None:
        raw = prf_tls12(hash_name, pre_master_secret, b"extended master secret", session_hash,
                        _MASTER_SECRET_LEN)
    else:
        raw = prf_tls12(hash_name, pre_master_secret, b"master secret",
                        client_random + server_random, _MASTER_SECRET_LEN)
    return Secret("master_secret", raw)


@fast_init
@dataclass(frozen=True, slots=True)
class KeyBlock12:
    """RFC 5246 §6.3 key_block for an AEAD suite: no MAC keys, write keys and implicit IVs."""

    client_write_key: Secret = field(repr=False)
    server_write_key: Secret = field(repr=False)
    client_write_iv: bytes = field(repr=False)
    server_write_iv: bytes = field(repr=False)


def key_block12(suite: SuiteInfo, master_secret: Secret, client_random: bytes,
                server_random: bytes) -> KeyBlock12:
    """PRF(master_secret, "key expansion", server_random + client_random), cut in order."""
    k, v = suite.key_len, suite.fixed_iv_len
    block = prf_tls12(suite.hash_name, master_secret.reveal(), b"key expansion",
                      server_random + client_random, 2 * (k + v))
    return KeyBlock12(Secret("client_write_key", block[:k]),
                      Secret("server_write_key", block[k:2 * k]),
                      block[2 * k:2 * k + v], block[2 * k + v:])


def finished_verify_data12(hash_name: str, master_secret: Secret, sender: str,
                           transcript_hash: bytes) -> bytes:
    """RFC 5246 §7.4.9: PRF(master_secret, "client finished"/"server finished", Hash)[12]."""
    label = b"client finished" if sender == "client" else b"server finished"
    return prf_tls12(hash_name, master_secret.reveal(), label, transcript_hash, _VERIFY_DATA_LEN)


def export_keying_material12(hash_name: str, master_secret: Secret, label: bytes,
                             context: bytes | None, client_random: bytes, server_random: bytes,
                             length: int) -> bytes:
    """RFC 5705 §4: PRF(master_secret, label, client_random + server_random
    [+ context_value_length + context_value])."""
    seed = client_random + server_random
    if context is not None:
        if len(context) > 0xFFFF:
            raise ValueError("an exporter context is at most 65535 bytes (RFC 5705 §4)")
        seed += len(context).to_bytes(2, "big") + context
    return prf_tls12(hash_name, master_secret.reveal(), label, seed, length)
