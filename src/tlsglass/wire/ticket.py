"""The session state a server seals into a ticket or keeps in a session cache.

This is our own structure, not an RFC one: RFC 8446 §4.6.1 and RFC 5077 §4 leave
the ticket's contents to the server. It carries what resuming needs in both
versions: the secret (the TLS 1.3 resumption PSK or the TLS 1.2 master secret),
the suite, when and for how long the ticket is valid, the obfuscation value
ticket_age_add, the 0-RTT limit and the parameters 0-RTT must repeat (ALPN, SNI),
the client's certificates when it authenticated with some, and when the full
handshake that authenticated the session took place (resumption carries it over,
so a chain of resumptions cannot outlive the server's limit, RFC 8446 §4.6.1). The
codec is versioned so a fleet can roll a format change while old tickets are still
out: format 1 (no authentication time) is still read, its issue time standing in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final, Self

from tlsglass._fastinit import fast_init
from tlsglass.errors import DecodeError
from tlsglass.wire.buffer import Reader, Writer, decode_whole

__all__ = ["SESSION_STATE_FORMAT", "SessionState"]

SESSION_STATE_FORMAT: Final = 2
_FORMAT_WITHOUT_AUTHENTICATED_AT: Final = 1


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SessionState:
    """What a server needs to resume a session; `secret` is never shown."""

    format: ClassVar[int] = SESSION_STATE_FORMAT
    version: int
    cipher_suite: int
    secret: bytes = field(repr=False)
    issued_at_ms: int
    authenticated_at_ms: int
    lifetime: int
    ticket_age_add: int = field(default=0, repr=False)
    max_early_data_size: int = 0
    alpn_protocol: bytes = b""
    server_name: bytes = b""
    extended_master_secret: bool = True
    external: bool = False
    peer_certificates: tuple[bytes, ...] = field(default=(), repr=False)

    def encode(self, w: Writer) -> None:
        w.u8(self.format)
        w.u16(self.version)
        w.u16(self.cipher_suite)
        w.opaque(1, self.secret, 32, 64, what="secret")
        w.uint(8, self.issued_at_ms)
        w.uint(8, self.authenticated_at_ms)
        w.u32(self.lifetime)
        w.u32(self.ticket_age_add)
        w.u32(self.max_early_data_size)
        w.opaque(1, self.alpn_protocol, what="alpn_protocol")
        w.opaque(2, self.server_name, what="server_name")
        w.u8(int(self.extended_master_secret) | int(self.external) << 1)
        with w.prefixed(3, what="peer_certificates"):
            for der in self.peer_certificates:
                w.opaque(3, der, 1, what="certificate")

    @classmethod
    def decode(cls, r: Reader) -> Self:
        form = r.u8()
        if form not in (SESSION_STATE_FORMAT, _FORMAT_WITHOUT_AUTHENTICATED_AT):
            raise DecodeError("session state in an unknown format")
        version, suite = r.u16(), r.u16()
        secret = r.opaque(1, 32, 64, what="secret")
        issued = r.uint(8)
        authenticated = r.uint(8) if form == SESSION_STATE_FORMAT else issued
        lifetime, age_add, early = r.u32(), r.u32(), r.u32()
        alpn = r.opaque(1, what="alpn_protocol")
        server_name = r.opaque(2, what="server_name")
        flags = r.u8()
        if flags > 3:
            raise DecodeError(f"session state flags {flags:#04x}")
        certs = r.vector(3, 0, None, lambda s: s.opaque(3, 1, what="certificate"),
                         "peer_certificates")
        return cls(version=version, cipher_suite=suite, secret=secret, issued_at_ms=issued,
                   authenticated_at_ms=authenticated, lifetime=lifetime,
                   ticket_age_add=age_add, max_early_data_size=early,
                   alpn_protocol=alpn, server_name=server_name,
                   extended_master_secret=bool(flags & 1), external=bool(flags & 2),
                   peer_certificates=certs)

    def to_bytes(self) -> bytes:
        w = Writer()
        self.encode(w)
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        return decode_whole(cls.decode, data, "session state")
