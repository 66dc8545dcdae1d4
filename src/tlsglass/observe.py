"""The engine's side of the tracer: TraceRecord dataclasses and the TraceSink protocol.

The engine reports what it does to an optional sink; with no sink the cost is one
`if`. Records carry decoded wire dataclasses and labels, never secret values.
The tracer observes and never steers: nothing a sink does changes the handshake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tlsglass._fastinit import fast_init
from tlsglass.wire.handshake import HandshakeMessage

__all__ = [
    "AlertTrace",
    "Decision",
    "KeyInstalled",
    "MessageTrace",
    "RecordTrace",
    "RefusedMessage",
    "StateChange",
    "TraceRecord",
    "TraceSink",
    "TrustDecision",
]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class TraceRecord:
    """Base of everything the engine reports. `role` is "client" or "server"."""

    role: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RecordTrace(TraceRecord):
    """A record crossed the wire; `protected` if sealed.

    `content_type` and `length` describe the content: for a protected record, the real
    type and length inside TLSInnerPlaintext (§5.2). `header` is the 5-byte record header
    as on the wire (of the first record, when one flight needed several).
    """

    direction: str  # "in" or "out"
    content_type: int
    length: int
    protected: bool
    header: bytes


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class MessageTrace(TraceRecord):
    """A handshake message was sent or received, with its exact bytes."""

    direction: str
    message: HandshakeMessage
    raw: bytes


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RefusedMessage(TraceRecord):
    """A handshake message that arrived and was refused before it could be handled: it
    came out of order, or did not decode, or broke an extension rule. `raw` is the whole
    message as received (header included), so the tracer can show what was wrong."""

    msg_type: int
    raw: bytes
    reason: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class StateChange(TraceRecord):
    """The handshake moved from one RFC state to the next (App. A names)."""

    old: str
    new: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyInstalled(TraceRecord):
    """A traffic key now protects one direction. The label names the secret, never its value."""

    direction: str  # "read" or "write"
    label: str
    epoch: str  # "handshake", "application", "early"


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AlertTrace(TraceRecord):
    direction: str
    level: int
    description: int
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(TraceRecord):
    """A negotiation choice: what was decided, the value, the candidates and why."""

    topic: str  # "version", "cipher_suite", "group", "signature_scheme", "alpn", "certificate"...
    chosen: str
    offered: tuple[str, ...] = ()
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class TrustDecision(TraceRecord):
    """The verdict on the peer's certificate chain (RFC 8446 §4.4.2.4, RFC 5280 §6).

    `path` names the certificates of the verified path, leaf first and ending at the
    trusted root (or, on failure, the chain as received); `server_name` is the name
    checked against the leaf, if any. `ok` False comes with the exact `reason`.
    """

    peer: str  # whose chain: "server" or "client"
    path: tuple[str, ...]
    anchor: str = ""
    server_name: str | None = None
    method: str = "trust store"  # or "custom verifier", "verification disabled"
    ok: bool
    reason: str = ""


class TraceSink(Protocol):
    def __call__(self, record: TraceRecord) -> None: ...
