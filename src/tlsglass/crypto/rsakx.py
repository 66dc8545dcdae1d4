"""RSA key transport for TLS 1.2 (RFC 5246 §7.4.7.1), with the Bleichenbacher countermeasure.

Part of the `crypto/` room (STYLE.md §2). Door: `encrypt_premaster`, `decrypt_premaster`.

The client encrypts a 48-byte premaster secret with the server certificate's RSA key
(PKCS #1 v1.5). The server must never reveal whether a ciphertext was well formed:
on any padding, length or version failure it carries on with 48 random bytes that it
drew before decrypting, so that the handshake fails later, at the client's Finished,
exactly as it would with a well-formed but wrong premaster secret. The choice between
the decrypted and the random secret is made with integer masks rather than branches,
as constant-time as Python allows; pyca's own decryption raises on bad padding, which
is one short branch we cannot avoid (its OpenSSL may also apply implicit rejection).
"""

from __future__ import annotations

import hmac

from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tlsglass.crypto.sign import AnyPublicKey, PrivateKey
from tlsglass.errors import InternalError, UnsupportedCertificate

__all__ = ["PREMASTER_LEN", "decrypt_premaster", "encrypt_premaster"]

PREMASTER_LEN = 48


def encrypt_premaster(public_key: AnyPublicKey, premaster: bytes) -> bytes:
    """EncryptedPreMasterSecret for the server's certificate key."""
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UnsupportedCertificate("RSA key transport needs an RSA server certificate")
    return public_key.encrypt(premaster, padding.PKCS1v15())


def _decrypt_or_empty(key: rsa.RSAPrivateKey, ciphertext: bytes) -> bytes:
    try:
        return key.decrypt(ciphertext, padding.PKCS1v15())
    except ValueError:
        return b""


def decrypt_premaster(private_key: PrivateKey, ciphertext: bytes, client_version: int,
                      random_premaster: bytes) -> bytes:
    """RFC 5246 §7.4.7.1 steps 1-3: the decrypted premaster secret if its padding, length
    and version are right, else `random_premaster`, with no other difference."""
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise InternalError("RSA key transport chosen for a non-RSA certificate")
    if len(random_premaster) != PREMASTER_LEN:
        raise InternalError("the random premaster secret must be 48 bytes")
    message = _decrypt_or_empty(private_key, ciphertext)
    # Work on exactly 48 bytes whatever came out, so the steps below do not depend on it.
    padded = (message + bytes(PREMASTER_LEN))[:PREMASTER_LEN]
    good_length = len(message) == PREMASTER_LEN
    good_version = hmac.compare_digest(padded[:2], client_version.to_bytes(2, "big"))
    good = int(good_length & good_version)
    full = (1 << (8 * PREMASTER_LEN)) - 1
    use_random = full * (1 - good)  # every bit set when anything was wrong, else none
    chosen = (int.from_bytes(padded, "big") & (full ^ use_random)) | (
        int.from_bytes(random_premaster, "big") & use_random)
    return chosen.to_bytes(PREMASTER_LEN, "big")
