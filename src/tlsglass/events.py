"""The events a Connection returns from receive_data (STYLE convention 2).

Each event is a frozen dataclass, fully built when emitted, compared by value.
Dispatch on them with `match`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tlsglass._fastinit import fast_init
from tlsglass.x509 import Certificate

__all__ = [
    "AlertReceived",
    "ApplicationData",
    "ConnectionClosed",
    "ConnectionTruncated",
    "EarlyDataAccepted",
    "EarlyDataReceived",
    "EarlyDataRejected",
    "Event",
    "HandshakeComplete",
    "KeyUpdated",
    "NewSessionTicketReceived",
    "PostHandshakeAuthComplete",
]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event."""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class HandshakeComplete(Event):
    """Both Finished messages checked; application data may flow both ways."""

    version: int
    cipher_suite: int
    group: int | None
    signature_scheme: int | None
    alpn_protocol: str | None
    server_name: str | None
    peer_certificates: tuple[Certificate, ...] = field(repr=False)
    resumed: bool = False
    early_data_accepted: bool = False


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationData(Event):
    data: bytes


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed(Event):
    """The peer sent close_notify: it will send nothing more (a clean end)."""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionTruncated(Event):
    """The transport ended without close_notify: data may have been cut off by an attacker."""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AlertReceived(Event):
    """A non-fatal alert (fatal ones raise FatalAlertReceived instead)."""

    level: int
    description: int


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyUpdated(Event):
    """Traffic keys changed (RFC 8446 §4.6.3). direction is "read" or "write"."""

    direction: str
    requested_by_peer: bool


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class NewSessionTicketReceived(Event):
    """The server sent a ticket (RFC 8446 §4.6.1); lifetime in seconds."""

    ticket_lifetime: int
    max_early_data_size: int


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EarlyDataAccepted(Event):
    """Client: the server accepted our 0-RTT data (RFC 8446 §4.2.10); it will not be resent."""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EarlyDataRejected(Event):
    """Client: the server discarded our 0-RTT data; send it again now if it still matters."""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EarlyDataReceived(Event):
    """Server: 0-RTT data, before the handshake completes (RFC 8446 §2.3, §8).

    It is not forward secret, and an attacker may have replayed it: the server
    records ClientHellos to refuse replays, but across servers or after a restart
    that protection is only as good as the shared ReplayStore. Act on it only if
    doing so twice is harmless (an idempotent GET, not a payment).
    """

    data: bytes


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PostHandshakeAuthComplete(Event):
    """The server's post-handshake CertificateRequest was answered (RFC 8446 §4.6.2).

    `peer_certificates` is the client's verified chain (leaf first), or empty when
    the client declined; the application decides what a refusal means.
    """

    certificate_request_context: bytes
    peer_certificates: tuple[Certificate, ...] = field(repr=False)
