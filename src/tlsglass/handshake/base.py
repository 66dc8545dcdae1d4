"""The handshake's contract with the world: State, Output, and the one dispatcher.

A State is a frozen object named after its RFC 8446 App. A state. It declares the
messages it `expects` and `handle`s one of them, returning the next State; it is
replaced, never mutated. States reach the world only through `Output`: send a
message (which also feeds the transcript), install keys, emit events, trace. The
dispatcher is the only place that raises unexpected_message for a message in the
wrong state, and the only place (with Output.send) that feeds the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from tlsglass._fastinit import fast_init
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo
from tlsglass.enums import ExtensionType, HandshakeType, describe
from tlsglass.errors import ProtocolError, UnexpectedMessage
from tlsglass.events import Event
from tlsglass.keyschedule import KeyBlock12
from tlsglass.observe import (
    Decision,
    MessageTrace,
    RefusedMessage,
    TraceRecord,
    TrustDecision,
)
from tlsglass.transcript import Transcript
from tlsglass.wire.extension_block import check_extensions, find_raw
from tlsglass.wire.handshake import HandshakeMessage, ServerHello, decode_handshake
from tlsglass.wire.handshake12 import decode_handshake12
from tlsglass.x509 import Certificate, VerifiedChain

__all__ = ["Authenticated", "Negotiated", "Output", "State", "dispatch", "report_trust"]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Negotiated:
    """The facts of a connection as far as they are known; the Connection exposes them."""

    version: int | None = None
    cipher_suite: int | None = None
    group: int | None = None
    signature_scheme: int | None = None
    alpn_protocol: str | None = None
    server_name: str | None = None
    peer_certificates: tuple[Certificate, ...] = field(default=(), repr=False)
    client_random: bytes = field(default=b"", repr=False)
    resumed: bool = False
    # The client offered post_handshake_auth (§4.2.6): the server may ask later.
    post_handshake_auth: bool = False


class Authenticated:
    """Proof that the peer proved its identity (CertificateVerify checked or PSK accepted).

    Only the handshake's own checks construct one; WaitFinished states demand it.
    """

    __slots__ = ("how",)

    def __init__(self, how: str) -> None:
        self.how = how

    def __repr__(self) -> str:
        return f"Authenticated({self.how!r})"


class Output(Protocol):
    """What a State may do to the world. The Connection implements it."""

    role: str
    transcript: Transcript

    def send(self, msg: HandshakeMessage, transcript: bool = True,
             encoded: bytes | None = None) -> bytes:
        """Encode (unless `encoded` already is msg's encoding), add to the transcript
        (unless told not to: post-handshake messages), queue under the current write
        key; return the bytes."""
        ...

    def send_change_cipher_spec(self) -> None: ...

    def install_read_key(self, suite: SuiteInfo, secret: Secret, epoch: str) -> None: ...

    def install_write_key(self, suite: SuiteInfo, secret: Secret, epoch: str) -> None: ...

    def install_read_key12(self, suite: SuiteInfo, keys: KeyBlock12) -> None:
        """TLS 1.2: after the peer's ChangeCipherSpec, read with its half of the key block."""
        ...

    def install_write_key12(self, suite: SuiteInfo, keys: KeyBlock12) -> None:
        """TLS 1.2: send ChangeCipherSpec, then write with our half of the key block."""
        ...

    def send_warning_alert(self, description: int) -> None:
        """A warning alert (TLS 1.2's no_renegotiation); the connection carries on."""
        ...

    def set_peer_record_size_limit(self, limit: int) -> None: ...

    def set_own_record_size_limit(self, limit: int) -> None: ...

    def end_early_data(self) -> None:
        """Client: stop sealing under the early key (a HelloRetryRequest refused 0-RTT)."""
        ...

    def skip_rejected_early_data(self, budget: int) -> None:
        """§4.2.10: discard up to `budget` bytes of 0-RTT data we did not accept."""
        ...

    @property
    def write_closed(self) -> bool:
        """We sent close_notify: nothing more may be written (§6.1)."""
        ...

    def log_secret(self, label: str, client_random: bytes, secret: Secret) -> None: ...

    def update(self, negotiated: Negotiated) -> None: ...

    def emit(self, event: Event) -> None: ...

    @property
    def tracing(self) -> bool: ...

    def trace(self, record: TraceRecord) -> None: ...


def decide(out: Output, topic: str, chosen: str, offered: tuple[str, ...] = (),
           reason: str = "") -> None:
    """Report a negotiation choice to the tracer (cheap when nobody listens)."""
    if out.tracing:
        out.trace(Decision(role=out.role, topic=topic, chosen=chosen, offered=offered,
                           reason=reason))


def report_trust(out: Output, peer: str, chain: tuple[Certificate, ...],
                 verified: VerifiedChain | None, *, server_name: str | None = None,
                 method: str = "trust store", error: Exception | None = None) -> None:
    """Report the verdict on a peer's chain, with the path it took or why it failed."""
    if not out.tracing:
        return
    path = tuple(c.subject for c in (verified.chain if verified is not None else chain))
    anchor = verified.trust_anchor.subject if verified is not None else ""
    out.trace(TrustDecision(role=out.role, peer=peer, path=path, anchor=anchor,
                            server_name=server_name, method=method, ok=error is None,
                            reason="" if error is None else str(error)))


class State:
    """One RFC state. Subclasses are frozen dataclasses."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset()
    # Post-handshake messages do not extend the handshake transcript.
    in_transcript: ClassVar[bool] = True
    # Whether application data may be sent / received in this state.
    can_send_application_data: ClassVar[bool] = False
    can_receive_application_data: ClassVar[bool] = False
    # Server between its Finished and the client's EndOfEarlyData: 0-RTT data arrives.
    receives_early_data: ClassVar[bool] = False
    # TLS 1.2 states decode with RFC 5246's message table and take ChangeCipherSpec
    # as a real message (change_cipher_spec); 1.3 states only tolerate the App. D.4 dummy.
    tls12: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return type(self).__name__

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        raise NotImplementedError

    def receive_early_data(self, data: bytes, out: Output) -> State:
        """Only states with `receives_early_data` take 0-RTT application data."""
        raise UnexpectedMessage(f"early data in {self.name}")

    def transcript_for(self, msg_type: int, out: Output) -> Transcript | None:
        """The transcript an incoming message extends: the handshake's while it runs; after
        it, none, except a post-handshake authentication's own fork (§4.6.2)."""
        return out.transcript if self.in_transcript else None

    def change_cipher_spec(self, out: Output) -> State:
        """TLS 1.2: the peer's ChangeCipherSpec; only the states before a Finished take it."""
        raise UnexpectedMessage(f"ChangeCipherSpec in {self.name}")


def _tls13_rules(state: State, msg: HandshakeMessage) -> bool:
    """Whether RFC 8446 §4.2's table applies: not to TLS 1.2, including a 1.2 ServerHello
    (one without supported_versions) that a 1.3-capable client's WaitSH receives."""
    if state.tls12:
        return False
    return not (isinstance(msg, ServerHello) and not msg.is_hello_retry_request
                and find_raw(msg.extensions, ExtensionType.SUPPORTED_VERSIONS) is None)


def dispatch(state: State, msg_type: int, raw: bytes, out: Output) -> State:
    """Check the message is expected here, decode it, feed the transcript, hand it over."""
    try:
        msg = _accept(state, msg_type, raw, out.role)
    except ProtocolError as exc:
        if out.tracing:  # refused before it could be decoded or handled: show its bytes
            out.trace(RefusedMessage(role=out.role, msg_type=msg_type, raw=raw,
                                     reason=str(exc)))
        raise
    if msg is None:
        return state
    if out.tracing:
        out.trace(MessageTrace(role=out.role, direction="in", message=msg, raw=raw))
    transcript = state.transcript_for(msg_type, out)
    if transcript is not None:
        transcript.add(raw)
    return state.handle(msg, out)


def _accept(state: State, msg_type: int, raw: bytes, role: str) -> HandshakeMessage | None:
    """The decoded message if this state takes it; None for one ignored on purpose."""
    if msg_type not in state.expects:
        if msg_type == HandshakeType.HELLO_REQUEST and state.tls12 and role == "client":
            # RFC 5246 §7.4.1.1: ignored while a handshake is under way, and never hashed.
            decode_handshake12(msg_type, raw[4:])
            return None
        wanted = " or ".join(sorted(t.name for t in state.expects)) or "no handshake message"
        raise UnexpectedMessage(
            f"in {state.name}: expected {wanted}, got {describe(HandshakeType, msg_type)}")
    msg = (decode_handshake12 if state.tls12 else decode_handshake)(msg_type, raw[4:])
    context = msg_type
    if isinstance(msg, ServerHello) and msg.is_hello_retry_request:
        context = HandshakeType.HELLO_RETRY_REQUEST
    if "extensions" in type(msg).__dataclass_fields__:  # no AttributeError to raise and catch
        check_extensions(msg.extensions, context, _tls13_rules(state, msg))  # type: ignore[attr-defined]
    return msg
