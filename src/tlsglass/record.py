"""The record layer (RFC 8446 §5): deframe, fragment, protect and unprotect records.

Incoming bytes are cut into records, each checked against the size limits before
anything is decrypted; protected records are opened with the current read key
and their TLSInnerPlaintext is split into content type and content. Outgoing
data is fragmented to the peer's limit, padded by the padding policy, and sealed
with the current write key. Sequence numbers live with each key and reset when
a key is replaced (§5.3), and usage is counted so that the connection can update
keys before the AEAD's limit (§5.5).

This is the bulk-data hot path: no dataclass per record, one AEAD object per key,
nonces from a precomputed integer IV, headers built by a small function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Final

from tlsglass.crypto.aead import Aead
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import AeadAlgorithm, SuiteInfo
from tlsglass.enums import ContentType
from tlsglass.errors import BadRecordMac, DecodeError, RecordOverflow, UnexpectedMessage
from tlsglass.keyschedule import traffic_key_iv
from tlsglass.wire.record import (
    MAX_CIPHERTEXT_LEN,
    MAX_PLAINTEXT_LEN,
    RECORD_HEADER_LEN,
    build_inner_plaintext,
    encode_header,
    split_inner_plaintext,
)

__all__ = ["PaddingPolicy", "RecordLayer", "RecordProtection", "RecordProtection12",
           "usage_limit"]

# (content_type, content_length) -> number of zero bytes to pad with.
PaddingPolicy = Callable[[int, int], int]

_APPLICATION_DATA: Final = int(ContentType.APPLICATION_DATA)
_TLS12: Final = 0x0303
_KNOWN_TYPES: Final = frozenset({ContentType.CHANGE_CIPHER_SPEC, ContentType.ALERT,
                                 ContentType.HANDSHAKE, ContentType.APPLICATION_DATA})
_TAG_LEN: Final = 16
_SEQ_END: Final = 1 << 64
_TYPE_BYTE: Final = tuple(bytes((t,)) for t in range(256))
# A protected record's header up to its length (§5.2: opaque_type 23, legacy 0x0303).
_APPLICATION_HEADER_FRONT: Final = b"\x17\x03\x03"
# Whole protected records (header included) the bulk path takes: a tag and a type byte at
# least (§5.2), MAX_CIPHERTEXT_LEN at most; anything else goes the general way and is refused there.
_MIN_PROTECTED: Final = RECORD_HEADER_LEN + _TAG_LEN + 1
_MAX_PROTECTED: Final = RECORD_HEADER_LEN + MAX_CIPHERTEXT_LEN


def usage_limit(algorithm: AeadAlgorithm) -> int:
    """§5.5: records one key may protect. AES-GCM: 2^24.5 full records; ChaCha20: 2^64."""
    if algorithm is AeadAlgorithm.CHACHA20_POLY1305:
        return (1 << 64) - 1
    return 23_726_566  # floor(2^24.5)


class RecordProtection:
    """One direction's AEAD state for TLS 1.3: key, IV as an int, sequence number."""

    __slots__ = ("_aead", "_iv", "label", "limit", "seq")

    tls12: ClassVar[bool] = False

    def __init__(self, suite: SuiteInfo, secret: Secret, limit: int | None = None) -> None:
        key, iv = traffic_key_iv(suite, secret)
        self._aead = Aead(suite.aead, key)
        self._iv = int.from_bytes(iv, "big")
        self.seq = 0
        self.label = secret.label
        self.limit = usage_limit(suite.aead) if limit is None else limit

    def __repr__(self) -> str:
        return f"RecordProtection({self.label!r}, seq={self.seq})"

    def _nonce(self) -> bytes:
        # §5.3: the 64-bit sequence number, left-padded, XORed with the IV.
        if self.seq >= 1 << 64:
            raise UnexpectedMessage("sequence number would wrap")
        nonce = (self._iv ^ self.seq).to_bytes(12, "big")
        self.seq += 1
        return nonce

    def seal(self, content_type: int, content: bytes, padding: int) -> bytes:
        # Hot path (convention 16): one join for TLSInnerPlaintext, the nonce inline.
        inner = content + _TYPE_BYTE[content_type] if not padding \
            else build_inner_plaintext(content, content_type, padding)
        n = len(inner) + _TAG_LEN
        header = bytes((_APPLICATION_DATA, 3, 3, n >> 8, n & 0xFF))
        seq = self.seq
        if seq >= _SEQ_END:
            raise UnexpectedMessage("sequence number would wrap")
        self.seq = seq + 1
        return header + self._aead.seal((self._iv ^ seq).to_bytes(12, "big"), inner, header)

    def seal_application_data(self, content: bytes) -> bytes:
        """One whole record of application data (content of 1..2^14 bytes, no padding):
        `seal` for the bulk path, without its choices."""
        seq = self.seq
        if seq >= _SEQ_END:
            raise UnexpectedMessage("sequence number would wrap")
        self.seq = seq + 1
        header = _APPLICATION_HEADER_FRONT + (len(content) + 17).to_bytes(2, "big")
        return header + self._aead.seal((self._iv ^ seq).to_bytes(12, "big"),
                                        content + b"\x17", header)

    def open(self, header: bytes, body: bytes | memoryview) -> bytes:
        seq = self.seq
        if seq >= _SEQ_END:
            raise UnexpectedMessage("sequence number would wrap")
        inner = self._aead.open((self._iv ^ seq).to_bytes(12, "big"), body, header)
        if inner is None:
            # The sequence number stays: a skipped 0-RTT record (§4.2.10) used none.
            raise BadRecordMac(f"record did not authenticate under {self.label}")
        self.seq += 1
        return inner

    @property
    def exhausted(self) -> bool:
        return self.seq >= self.limit


class RecordProtection12:
    """One direction's AEAD state for TLS 1.2 (RFC 5246 §6.2.3.3), from the key block.

    The record keeps its real content type in the header, and the additional data is
    seq_num + type + version + length of the plaintext. AES-GCM (RFC 5288 §3) sends an
    8-byte explicit nonce in each record after a 4-byte implicit salt; we send the
    sequence number there, which is unique per key as §3 requires. ChaCha20-Poly1305
    (RFC 7905 §2) sends none and XORs the sequence number into a 12-byte IV, as 1.3 does.
    The sequence number starts at 0 with each ChangeCipherSpec (§6.1).
    """

    __slots__ = ("_aead", "_explicit", "_iv", "label", "limit", "seq")

    tls12: ClassVar[bool] = True

    def __init__(self, suite: SuiteInfo, key: Secret, iv: bytes) -> None:
        self._aead = Aead(suite.aead, key.reveal())
        self._explicit = suite.explicit_nonce_len
        self._iv = iv if self._explicit else int.from_bytes(iv, "big")
        self.seq = 0
        self.label = key.label
        # No key update in TLS 1.2 and renegotiation is refused: the 64-bit counter is
        # the only bound (§6.1: it must not wrap).
        self.limit = _SEQ_END

    def __repr__(self) -> str:
        return f"RecordProtection12({self.label!r}, seq={self.seq})"

    def _next_seq(self) -> int:
        seq = self.seq
        if seq >= _SEQ_END - 1:
            raise UnexpectedMessage("sequence number would wrap (RFC 5246 §6.1)")
        self.seq = seq + 1
        return seq

    def _nonce(self, seq: int, explicit: bytes | memoryview) -> bytes:
        if self._explicit:
            assert isinstance(self._iv, bytes)
            return self._iv + bytes(explicit)
        assert isinstance(self._iv, int)
        return (self._iv ^ seq).to_bytes(12, "big")

    def seal(self, content_type: int, content: bytes, padding: int) -> bytes:
        # TLS 1.2 has no padding (RFC 5246 §6.2.3.3); `padding` is ignored.
        seq = self._next_seq()
        n = len(content)
        aad = seq.to_bytes(8, "big") + bytes((content_type, 3, 3, n >> 8, n & 0xFF))
        explicit = seq.to_bytes(8, "big") if self._explicit else b""
        body = explicit + self._aead.seal(self._nonce(seq, explicit), content, aad)
        m = len(body)
        return bytes((content_type, 3, 3, m >> 8, m & 0xFF)) + body

    def open(self, header: bytes, body: bytes | memoryview) -> bytes:
        explicit_len = self._explicit
        n = len(body) - explicit_len - _TAG_LEN
        if n < 0:
            raise BadRecordMac("protected record too short to hold a nonce and a tag")
        seq = self.seq
        aad = seq.to_bytes(8, "big") + bytes((header[0], header[1], header[2], n >> 8, n & 0xFF))
        nonce = self._nonce(seq, body[:explicit_len])
        plain = self._aead.open(nonce, body[explicit_len:], aad)
        if plain is None:
            raise BadRecordMac(f"record did not authenticate under {self.label}")
        self._next_seq()
        return plain

    @property
    def exhausted(self) -> bool:
        return False


class RecordLayer:
    """Both directions of the record layer for one connection."""

    __slots__ = (
        "_buf",
        "_pos",
        "early_data_skip",
        "max_fragment_out",
        "max_inner_plaintext_in",
        "padding",
        "plaintext_alerts",
        "plaintext_version",
        "read",
        "write",
    )

    def __init__(self, padding: PaddingPolicy | None = None) -> None:
        self._buf: bytes | bytearray = b""
        self._pos = 0
        self.read: RecordProtection | RecordProtection12 | None = None
        self.write: RecordProtection | RecordProtection12 | None = None
        # RFC 8449: what we accept (TLSInnerPlaintext, type byte included) and what we send.
        self.max_inner_plaintext_in = MAX_PLAINTEXT_LEN + 1
        self.max_fragment_out = MAX_PLAINTEXT_LEN
        self.padding = padding
        # §5.1: an initial ClientHello's record may say TLS 1.0 (0x0301), as OpenSSL's do.
        self.plaintext_version = _TLS12
        # A peer that fails before it has our keys can only alert in plaintext; during
        # the handshake we read such an alert rather than bury it under our own.
        self.plaintext_alerts = True
        # §4.2.10: bytes of rejected 0-RTT data a server may still discard.
        self.early_data_skip = 0

    # -- incoming -------------------------------------------------------

    def feed(self, data: bytes) -> None:
        buf, pos = self._buf, self._pos
        if pos == len(buf):
            # Nothing pending (the usual case): keep the caller's bytes, no copy.
            self._buf, self._pos = bytes(data), 0
            return
        # What stays is less than one record: keep only that.
        rest = bytearray(memoryview(buf)[pos:])
        rest += data
        self._buf, self._pos = rest, 0

    @property
    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def peek_header(self) -> bytes:
        """The next record's header as received, for the tracer (b"" until 5 bytes are here).

        Read before `next_record`; a rejected 0-RTT record that is skipped (§4.2.10) makes
        this the skipped record's header.
        """
        return bytes(self._buf[self._pos : self._pos + RECORD_HEADER_LEN])

    def next_record(self) -> tuple[int, bytes] | None:
        """The next (content type, content) once a whole record is here, else None."""
        buf, pos, read = self._buf, self._pos, self.read
        if len(buf) - pos < RECORD_HEADER_LEN:
            return None  # the usual end of a receive_data call's loop
        # TLS 1.2 records carry no inner content type: they always take the general path.
        if read is not None and not read.tls12 and not self.early_data_skip \
                and buf[pos] == _APPLICATION_DATA and buf[pos + 1] == 3:
            end = pos + RECORD_HEADER_LEN + ((buf[pos + 3] << 8) | buf[pos + 4])
            if _MIN_PROTECTED <= end - pos <= _MAX_PROTECTED and end <= len(buf):
                # The bulk path (convention 16): one whole protected record, checked and
                # opened inline; the general path below does the same in four calls.
                # Receiving a 16 KiB AES-128-GCM record: ~6.0 us before, ~5.4 us now, of
                # which pyca's open is ~3.2 us (min over 300 batches of 50, one process).
                self._pos = end
                return self._split(read.open(bytes(buf[pos : pos + RECORD_HEADER_LEN]),
                                             memoryview(buf)[pos + RECORD_HEADER_LEN : end]))
        return self._next_record()

    def open_application_record(self, data: bytes) -> bytes | None:
        """The bulk path's commonest case: `data` is exactly one whole TLS 1.3 record of
        application data; its content. None for anything else, consuming nothing (the
        caller goes on to `open_application_records` or the general path)."""
        read, size = self.read, len(data)
        if not isinstance(read, RecordProtection) or size < _MIN_PROTECTED \
                or size > _MAX_PROTECTED or data[0] != _APPLICATION_DATA or data[1] != 3 \
                or size != RECORD_HEADER_LEN + (data[3] << 8 | data[4]) \
                or self._pos != len(self._buf) or self.early_data_skip:
            return None
        seq = read.seq
        if seq >= _SEQ_END:
            return None
        try:
            inner = read._aead.decrypt((read._iv ^ seq).to_bytes(12, "big"),
                                       memoryview(data)[RECORD_HEADER_LEN:],
                                       data[:RECORD_HEADER_LEN])
        except Aead.TagError:
            return None  # the general path says bad_record_mac
        if inner[-1] != _APPLICATION_DATA or len(inner) > self.max_inner_plaintext_in:
            return None  # another content type, or padding: the general path reads it again
        read.seq = seq + 1
        return inner[:-1]

    def open_application_records(self, data: bytes) -> tuple[list[bytes], int]:
        """The bulk path (convention 16): the contents of the whole TLS 1.3 records of
        application data at the start of `data`, and how many bytes of `data` they took.

        Only when nothing is buffered and a 1.3 read key is set; it stops, consuming
        nothing more, at the first record that is anything else (another type, padding,
        a partial record, a bad tag, over the size limit), which the general path then
        takes in full. A sequence number is spent only on a record handed back here.
        """
        read = self.read
        if not isinstance(read, RecordProtection) or self._pos != len(self._buf) \
                or self.early_data_skip:
            return [], 0
        contents: list[bytes] = []
        decrypt, tag_error, iv = read._aead.decrypt, Aead.TagError, read._iv
        limit, seq = self.max_inner_plaintext_in, read.seq
        view = memoryview(data)
        pos, size = 0, len(data)
        while size - pos >= _MIN_PROTECTED and data[pos] == _APPLICATION_DATA \
                and data[pos + 1] == 3 and seq < _SEQ_END:
            end = pos + RECORD_HEADER_LEN + (data[pos + 3] << 8 | data[pos + 4])
            if end > size or end - pos > _MAX_PROTECTED:
                break
            try:
                inner = decrypt((iv ^ seq).to_bytes(12, "big"),
                                view[pos + RECORD_HEADER_LEN : end], data[pos : pos + 5])
            except tag_error:
                break  # the general path says bad_record_mac
            if inner[-1] != _APPLICATION_DATA or len(inner) > limit:
                break  # another content type, or padding: the general path reads it again
            seq += 1
            read.seq = seq
            contents.append(inner[:-1])
            pos = end
        return contents, pos

    def _next_record(self) -> tuple[int, bytes] | None:
        while True:
            buf, pos = self._buf, self._pos
            if len(buf) - pos < RECORD_HEADER_LEN:
                return None
            content_type = buf[pos]
            length = (buf[pos + 3] << 8) | buf[pos + 4]
            self._check_header(content_type, length, buf[pos + 1])
            end = pos + RECORD_HEADER_LEN + length
            if len(buf) < end:
                return None
            self._pos = end
            with memoryview(buf) as view:
                # The body goes to the AEAD as a view: no copy of up to 16 KiB.
                header = bytes(view[pos : pos + RECORD_HEADER_LEN])
                body = view[pos + RECORD_HEADER_LEN : end]
                if not (self.early_data_skip and content_type == _APPLICATION_DATA):
                    return self._unprotect(content_type, header, body)
                inner = self._open_or_skip(header, body)
            if inner is not None:
                return self._split(inner)

    def _open_or_skip(self, header: bytes, body: memoryview) -> bytes | None:
        """§4.2.10: discard 0-RTT records we rejected, within the budget; None if skipped."""
        if self.read is not None:
            try:
                inner = self.read.open(header, body)
            except BadRecordMac:
                pass
            else:
                self.early_data_skip = 0  # the client's real flight has begun
                return inner
        size = max(0, len(body) - _TAG_LEN - 1)  # the early data itself, roughly
        if size > self.early_data_skip:
            raise BadRecordMac("more rejected early data than max_early_data_size allows")
        self.early_data_skip -= size or 1
        return None

    def _check_header(self, content_type: int, length: int, major: int) -> None:
        if content_type not in _KNOWN_TYPES:
            raise UnexpectedMessage(f"record of unknown content type {content_type}")
        if major != 3:
            raise DecodeError(f"record version {major}.x is not TLS")
        read = self.read
        protected = read is not None and (content_type == _APPLICATION_DATA or (
            read.tls12 and content_type != ContentType.CHANGE_CIPHER_SPEC))
        if length > (MAX_CIPHERTEXT_LEN if protected else MAX_PLAINTEXT_LEN):
            raise RecordOverflow(f"record of {length} bytes exceeds the limit")

    def _unprotect(self, content_type: int, header: bytes, body: memoryview
                   ) -> tuple[int, bytes]:
        read = self.read
        if read is not None and read.tls12 and content_type != ContentType.CHANGE_CIPHER_SPEC:
            return self._open12(read, content_type, header, body)
        if read is None or content_type == ContentType.CHANGE_CIPHER_SPEC or (
                content_type == ContentType.ALERT and self.plaintext_alerts):
            # §5: unprotected records; a ChangeCipherSpec is never protected (App. D.4).
            if not body and content_type != _APPLICATION_DATA:
                raise UnexpectedMessage("empty plaintext record")
            return content_type, bytes(body)
        if content_type != _APPLICATION_DATA:
            raise UnexpectedMessage(
                f"unprotected {ContentType(content_type).name} record after keys were set")
        if len(body) < _TAG_LEN + 1:
            raise BadRecordMac("protected record too short to hold a tag")
        return self._split(read.open(header, body))

    def _open12(self, read: RecordProtection | RecordProtection12, content_type: int,
                header: bytes, body: memoryview) -> tuple[int, bytes]:
        """RFC 5246 §6.2.3.3: the type is in the header and authenticated by the AEAD."""
        content = read.open(header, body)
        # RFC 8449 §4: in TLS 1.2 the limit counts the plaintext only, without the
        # type byte that max_inner_plaintext_in (1.3's accounting) includes.
        if len(content) + 1 > self.max_inner_plaintext_in:
            raise RecordOverflow(f"decrypted record of {len(content)} bytes exceeds the limit")
        if not content and content_type != _APPLICATION_DATA:
            raise UnexpectedMessage("empty protected handshake or alert record")
        return content_type, content

    def _split(self, inner: bytes) -> tuple[int, bytes]:
        if len(inner) > self.max_inner_plaintext_in:
            raise RecordOverflow(f"decrypted record of {len(inner)} bytes exceeds the limit")
        last = inner[-1]
        # No padding (the usual case): the type is the last byte. Else strip zeros (§5.4).
        real_type, content = (last, inner[:-1]) if last else split_inner_plaintext(inner)
        if real_type not in _KNOWN_TYPES or real_type == ContentType.CHANGE_CIPHER_SPEC:
            raise UnexpectedMessage(f"protected record of content type {real_type}")
        if not content and real_type != _APPLICATION_DATA:
            raise UnexpectedMessage("empty protected handshake or alert record")
        return real_type, content

    # -- outgoing -------------------------------------------------------

    def protect(self, content_type: int, data: bytes) -> bytes:
        """Fragment and (if a write key is set) seal `data` into records."""
        step = self.max_fragment_out
        if len(data) <= step:
            return self._one_record(content_type, data)
        view = memoryview(data)
        return b"".join(self._one_record(content_type, bytes(view[i : i + step]))
                        for i in range(0, len(data), step))

    def _one_record(self, content_type: int, fragment: bytes) -> bytes:
        write = self.write
        if write is None:
            return encode_header(content_type, self.plaintext_version, len(fragment)) + fragment
        padding = 0
        if self.padding is not None:
            room = self.max_fragment_out - len(fragment)
            padding = max(0, min(self.padding(content_type, len(fragment)), room))
        return write.seal(content_type, fragment, padding)

    def plaintext_record(self, content_type: int, data: bytes, version: int = _TLS12) -> bytes:
        """An unprotected record regardless of keys (the App. D.4 ChangeCipherSpec)."""
        return encode_header(content_type, version, len(data)) + data
