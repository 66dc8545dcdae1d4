"""The running handshake hash (RFC 8446 §4.4.1).

Until the cipher suite, and so the hash, is known, messages are kept as bytes;
`choose_hash` then hashes them. Two documented exceptions to "hash what crossed
the wire": after a HelloRetryRequest the first ClientHello is replaced by the
synthetic message_hash message (§4.4.1), and PSK binders hash a prefix of a
ClientHello that is not yet complete (§4.2.11.2). Only the dispatcher (incoming)
and `Output.send` (outgoing) feed it.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from tlsglass.enums import HandshakeType
from tlsglass.errors import InternalError

__all__ = ["Transcript", "message_hash"]

# hashlib's own constructors: hashlib.new(name) goes through a Python-level lookup first
# (~1 us, twice a handshake). Any other name still goes that way.
_CONSTRUCTORS: Final = {"sha256": hashlib.sha256, "sha384": hashlib.sha384,
                        "sha512": hashlib.sha512}


def _new_hash(hash_name: str, data: bytes = b"") -> hashlib._Hash:
    constructor = _CONSTRUCTORS.get(hash_name)
    return constructor(data) if constructor is not None else hashlib.new(hash_name, data)


def message_hash(hash_name: str, client_hello1: bytes) -> bytes:
    """§4.4.1: handshake type message_hash (254), length Hash.length, Hash(ClientHello1)."""
    digest = _new_hash(hash_name, client_hello1).digest()
    return bytes((HandshakeType.MESSAGE_HASH, 0, 0, len(digest))) + digest


class Transcript:
    """Transcript-Hash over the handshake messages, each hashed once as it crosses.

    The last message is held back (`_tail`) until the next one arrives, so `_hash` is
    always the state just before it: Transcript-Hash with and without the last message
    (Finished, CertificateVerify, binders) both come from one hash state, with no copy
    per message (14 a full handshake; benchmarks/bench.py --profile handshake).
    """

    __slots__ = ("_hash", "_hash_name", "_kept", "_last", "_last_len", "_pending", "_tail")

    def __init__(self) -> None:
        self._last = b""
        self._pending: list[bytes] = []
        self._hash: Any = None
        self._tail: bytes | None = None
        self._hash_name: str | None = None
        self._kept: bytearray | None = None
        self._last_len = 0

    @property
    def hash_name(self) -> str | None:
        return self._hash_name

    def add(self, message: bytes) -> None:
        self._last = message
        if self._kept is not None:
            self._kept += message
            self._last_len = len(message)
        if self._hash is None:
            self._pending.append(message)
            return
        if self._tail is not None:
            self._hash.update(self._tail)
        self._tail = message

    def choose_hash(self, hash_name: str) -> None:
        """Fix the hash once the suite is known, and hash what was kept so far."""
        if self._hash is not None:
            if hash_name != self._hash_name:
                raise InternalError("transcript hash changed after it was chosen")
            return
        self._hash_name = hash_name
        self._hash = _new_hash(hash_name)
        pending, self._pending = self._pending, []
        for message in pending[:-1]:
            self._hash.update(message)
        self._tail = pending[-1] if pending else None

    def keep_messages(self) -> None:
        """Also keep the messages themselves, from the first: a TLS 1.2 CertificateVerify
        signs handshake_messages, not their hash (RFC 5246 §7.4.8)."""
        if self._hash is not None:
            raise InternalError("messages must be kept from before the hash is chosen")
        if self._kept is None:
            self._kept = bytearray(b"".join(self._pending))
            self._last_len = len(self._pending[-1]) if self._pending else 0

    def kept_messages(self, before_last: bool = False) -> bytes:
        """Every message so far, or all but the last (the CertificateVerify just received)."""
        if self._kept is None:
            raise InternalError("the transcript was not asked to keep its messages")
        end = len(self._kept) - (self._last_len if before_last else 0)
        return bytes(self._kept[:end])

    def restart_after_hello_retry(self, hash_name: str) -> None:
        """§4.4.1: with [ClientHello1, HelloRetryRequest] kept, restart as message_hash + HRR."""
        if self._hash is not None or len(self._pending) != 2:
            raise InternalError("HelloRetryRequest transcript rewrite out of order")
        client_hello1, hello_retry_request = self._pending
        self._pending = [message_hash(hash_name, client_hello1), hello_retry_request]
        self.choose_hash(hash_name)

    def fork(self) -> Transcript:
        """An independent copy: post-handshake authentication (§4.6.2) hashes the whole
        handshake and then its own messages, once for each CertificateRequest."""
        if self._hash is None:
            raise InternalError("transcript forked before the hash was chosen")
        twin = Transcript()
        twin._hash_name = self._hash_name
        twin._hash = self._hash.copy()
        twin._tail = self._tail
        return twin

    def digest(self) -> bytes:
        """Transcript-Hash of every message so far."""
        if self._hash is None:
            raise InternalError("transcript hash used before the hash was chosen")
        h = self._hash.copy()
        if self._tail is not None:
            h.update(self._tail)
        return bytes(h.digest())

    def digest_before_last(self) -> bytes:
        """Transcript-Hash up to, not including, the last message (CertificateVerify, Finished)."""
        if self._hash is None or self._tail is None:
            raise InternalError("no earlier transcript state")
        return bytes(self._hash.copy().digest())

    def digest_with(self, partial: bytes) -> bytes:
        """Transcript-Hash as if `partial` were appended (the §4.2.11.2 binder prefix)."""
        if self._hash is None:
            raise InternalError("transcript hash used before the hash was chosen")
        h = self._hash.copy()
        if self._tail is not None:
            h.update(self._tail)
        h.update(partial)
        return bytes(h.digest())

    def binder_digest(self, hash_name: str, binders_length: int) -> bytes:
        """Server side of §4.2.11.2: every message but the last (the ClientHello, already
        added), then that ClientHello as received, without its last `binders_length` bytes."""
        partial = self._last[:len(self._last) - binders_length]
        if self._hash is None:
            h = _new_hash(hash_name)
            for message in self._pending[:-1]:
                h.update(message)
        elif self._tail is None or hash_name != self._hash_name:
            raise InternalError("no transcript state before the ClientHello")
        else:
            h = self._hash.copy()
        h.update(partial)
        return bytes(h.digest())

    def pending_digest_with(self, hash_name: str, partial: bytes) -> bytes:
        """Like digest_with, before the hash is chosen (a client's first binder)."""
        h = _new_hash(hash_name)
        for message in self._pending:
            h.update(message)
        h.update(partial)
        return h.digest()
