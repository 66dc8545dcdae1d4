"""Hashing, HMAC, HKDF-Extract and HKDF-Expand-Label (TLS 1.3), and the TLS 1.2 PRF.

Part of the `crypto/` room (STYLE.md §2). Door: `HASH_LENGTHS`, `hash_digest`,
`hmac_digest`, `hkdf_extract`, `hkdf_expand`, `hkdf_expand_label`, `derive_secret`,
`prf_tls12`.

Functions take and return plain bytes; the key schedule wraps them in opaque
`Secret` values (convention 9). Hashes are named by their hashlib names
("sha256", "sha384"), as `SuiteInfo.hash_name` carries them. HMAC, HKDF-Extract and
HKDF-Expand come from pyca; plain hashing from the standard library (one-shot
hashlib calls are the quickest). The TLS 1.2 PRF's P_hash (RFC 5246 §5) is the
protocol's own construction on pyca's HMAC.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from tlsglass.errors import InternalError

__all__ = [
    "HASH_LENGTHS",
    "derive_secret",
    "hash_digest",
    "hkdf_expand",
    "hkdf_expand_label",
    "hkdf_extract",
    "hmac_digest",
    "prf_tls12",
]

HASH_LENGTHS: Final[Mapping[str, int]] = MappingProxyType(
    {"sha256": 32, "sha384": 48, "sha512": 64}
)
"""Output length in bytes of each hash this module accepts."""


class _HashObject(Protocol):
    def digest(self) -> bytes: ...


_HASHLIB: Final[Mapping[str, Callable[[bytes], _HashObject]]] = MappingProxyType(
    {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
)
# Instances, not classes: they hold no state, and building one per HKDF-Expand was a
# measurable part of the ~34 expansions of a full handshake (convention 16).
_PYCA: Final[Mapping[str, hashes.HashAlgorithm]] = MappingProxyType(
    {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
)

_TLS13_LABEL_PREFIX: Final = b"tls13 "
_LENGTHS: Final = struct.Struct(">HB")  # HkdfLabel.length, then the label's length byte


def _hash_len(hash_name: str) -> int:
    try:
        return HASH_LENGTHS[hash_name]
    except KeyError:
        raise InternalError(f"unsupported hash {hash_name!r}") from None


def hash_digest(hash_name: str, data: bytes) -> bytes:
    """Hash(data)."""
    try:
        constructor = _HASHLIB[hash_name]
    except KeyError:
        raise InternalError(f"unsupported hash {hash_name!r}") from None
    return constructor(data).digest()


def hmac_digest(hash_name: str, key: bytes, data: bytes) -> bytes:
    """HMAC-Hash(key, data) (RFC 2104), pyca's."""
    algorithm = _PYCA.get(hash_name)
    if algorithm is None:
        raise InternalError(f"unsupported hash {hash_name!r}")
    mac = HMAC(key, algorithm)
    mac.update(data)
    return mac.finalize()


def hkdf_extract(hash_name: str, salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2).

    An empty salt means HashLen zero bytes (RFC 5869 §2.2). An empty IKM is read
    as the "0" of RFC 8446 §7.1, HashLen zero bytes, the only IKM TLS 1.3 uses
    that is not a (EC)DHE or PSK secret.
    """
    algorithm = _PYCA.get(hash_name)
    if algorithm is None:
        raise InternalError(f"unsupported hash {hash_name!r}")
    if not salt:
        salt = bytes(algorithm.digest_size)
    if not ikm:
        ikm = bytes(algorithm.digest_size)
    return HKDF.extract(algorithm, salt, ikm)


def hkdf_expand(hash_name: str, prk: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand(PRK, info, L) (RFC 5869 §2.3); TLS 1.3 uses it through `hkdf_expand_label`."""
    try:
        algorithm = _PYCA[hash_name]
    except KeyError:
        raise InternalError(f"unsupported hash {hash_name!r}") from None
    if not 0 <= length <= 255 * algorithm.digest_size:  # RFC 5869 §2.3
        raise InternalError(f"HKDF output length {length} out of range for {hash_name}")
    if length == 0:
        return b""
    return HKDFExpand(algorithm, length, info).derive(prk)


def hkdf_expand_label(
    hash_name: str, secret: bytes, label: bytes, context: bytes, length: int
) -> bytes:
    """HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1).

    `label` is given without the "tls13 " prefix, e.g. b"key", b"iv", b"finished".
    """
    # ~30 calls a full handshake (convention 16): the fixed front of each HkdfLabel
    # (length, label) is built and checked once per (hash, label, length).
    front = _LABEL_FRONTS.get((hash_name, label, length))
    if front is None:
        front = _label_front(hash_name, label, length)
    if len(context) > 255:  # opaque context<0..255>
        raise InternalError(f"HKDF context of {len(context)} bytes is too long")
    if not length:
        return b""
    return HKDFExpand(_PYCA[hash_name], length,
                      front + _LENGTH_BYTE[len(context)] + context).derive(secret)


# HkdfLabel's uint16 length and opaque label<7..255>, by (hash, label, length): the
# labels are the RFC's own, plus whatever exporter labels an application uses.
_LABEL_FRONTS: dict[tuple[str, bytes, int], bytes] = {}
_MAX_LABEL_FRONTS: Final = 256
_LENGTH_BYTE: Final = tuple(bytes((n,)) for n in range(256))


def _label_front(hash_name: str, label: bytes, length: int) -> bytes:
    """HkdfLabel up to its context (§7.1), the limits checked; kept for next time."""
    algorithm = _PYCA.get(hash_name)
    if algorithm is None:
        raise InternalError(f"unsupported hash {hash_name!r}")
    full_label = _TLS13_LABEL_PREFIX + label
    if not 7 <= len(full_label) <= 255:  # opaque label<7..255>
        raise InternalError(f"HKDF label {label!r} has a bad length")
    if not 0 <= length <= 255 * algorithm.digest_size:  # uint16 length; RFC 5869 §2.3
        raise InternalError(f"HKDF output length {length} out of range for {algorithm.name}")
    front = _LENGTHS.pack(length, len(full_label)) + full_label
    if len(_LABEL_FRONTS) >= _MAX_LABEL_FRONTS:
        _LABEL_FRONTS.clear()
    _LABEL_FRONTS[(hash_name, label, length)] = front
    return front


def derive_secret(hash_name: str, secret: bytes, label: bytes, transcript_hash: bytes) -> bytes:
    """Derive-Secret(Secret, Label, Messages) (RFC 8446 §7.1).

    Takes Transcript-Hash(Messages), already computed, rather than the messages
    (convention 8: the transcript hash is passed explicitly).
    """
    return hkdf_expand_label(hash_name, secret, label, transcript_hash, _hash_len(hash_name))


def prf_tls12(hash_name: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """PRF(secret, label, seed) = P_<hash>(secret, label + seed)[:length] (RFC 5246 §5).

    P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
    with A(0) = seed and A(i) = HMAC(secret, A(i-1)).
    """
    algorithm = _PYCA.get(hash_name)
    if algorithm is None:
        raise InternalError(f"unsupported hash {hash_name!r}")
    if length < 0:
        raise InternalError(f"PRF output length {length} out of range")
    # Keyed once; each HMAC of P_hash is a copy of that keyed state (pyca's HMAC.copy),
    # not a fresh key schedule: a full TLS 1.2 handshake computes ~24 of them.
    keyed = HMAC(secret, algorithm)
    label_seed = label + seed
    a = label_seed
    blocks: list[bytes] = []
    produced = 0
    while produced < length:
        mac = keyed.copy()
        mac.update(a)
        a = mac.finalize()
        mac = keyed.copy()
        mac.update(a + label_seed)
        block = mac.finalize()
        blocks.append(block)
        produced += len(block)
    return b"".join(blocks)[:length]
