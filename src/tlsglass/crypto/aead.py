"""Seal and open for the AEADs tlsglass supports, given a key, a nonce and additional data.

Part of the `crypto/` room (STYLE.md §2). Door: `Aead`.

This sits on the record hot path (convention 16): one `Aead` object per traffic
key, holding pyca's cipher object, so sealing or opening a record makes no Python
object beyond the output bytes. Nonce construction (per-record nonce XOR IV,
RFC 8446 §5.3; implicit salt plus explicit nonce, RFC 5288 §3) belongs to the
record layer, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from tlsglass.crypto.suites import AeadAlgorithm
from tlsglass.errors import InternalError

__all__ = ["Aead", "Bytes"]

Bytes = bytes | bytearray | memoryview
"""Any contiguous byte buffer; pyca reads it without copying."""

_Cipher = Callable[[Bytes, Bytes, Bytes], bytes]


class Aead:
    """One AEAD key: `seal` returns ciphertext || tag, `open` returns the plaintext or None.

    The key lives only inside pyca's cipher object; `repr` names the algorithm.
    `seal` is pyca's own encrypt, with no Python frame around it (one per record on
    the bulk path): every caller bounds what it seals (a record, a ticket) far below
    the 2^31 bytes at which pyca would refuse.
    """

    __slots__ = ("algorithm", "decrypt", "seal")

    tag_len: ClassVar[int] = 16  # RFC 5116 §5.1 (GCM), RFC 8439 §2.8 (ChaCha20-Poly1305)
    # What `decrypt` raises for ciphertext that does not authenticate.
    TagError: ClassVar[type[Exception]] = InvalidTag

    algorithm: AeadAlgorithm
    seal: _Cipher
    decrypt: _Cipher

    def __init__(self, algorithm: AeadAlgorithm, key: Bytes) -> None:
        expected = algorithm.key_len
        if len(key) != expected:
            # AESGCM would silently accept a 16/24/32-byte key of the wrong size.
            raise InternalError(f"{algorithm.name} needs a {expected}-byte key, got {len(key)}")
        cipher: AESGCM | ChaCha20Poly1305
        if algorithm is AeadAlgorithm.CHACHA20_POLY1305:
            cipher = ChaCha20Poly1305(key)
        else:
            cipher = AESGCM(key)
        self.algorithm = algorithm
        self.seal = cipher.encrypt  # (nonce, plaintext, aad) -> ciphertext || 16-byte tag
        # (nonce, ciphertext || tag, aad) -> plaintext; raises TagError. pyca's own, for
        # the bulk path; `open` is the same with None for a bad tag.
        self.decrypt = cipher.decrypt

    def open(self, nonce: Bytes, ciphertext: Bytes, aad: Bytes) -> bytes | None:
        """Check and decrypt ciphertext || tag; None if it does not authenticate."""
        try:
            return self.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            return None
        except (ValueError, OverflowError) as exc:
            raise InternalError(f"{self.algorithm.name} open failed: {exc}") from None

    def __repr__(self) -> str:
        return f"Aead({self.algorithm.name})"
