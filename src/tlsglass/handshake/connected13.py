"""TLS 1.3 after the handshake, both roles: KeyUpdate, exporters, tickets (§4.6, §7.2, §7.5).

`Connected` holds the application traffic secrets of both directions and the
exporter and resumption secrets. A KeyUpdate replaces it with a Connected whose
secret for that direction is the next generation (§7.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from tlsglass._fastinit import fast_init
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo
from tlsglass.enums import HandshakeType, KeyUpdateRequest
from tlsglass.errors import IllegalParameter, UnexpectedMessage
from tlsglass.events import KeyUpdated, NewSessionTicketReceived
from tlsglass.handshake.base import Output, State
from tlsglass.handshake.psk13 import TicketContext, store_ticket
from tlsglass.keyschedule import export_keying_material, next_application_traffic_secret
from tlsglass.wire.extension_block import find
from tlsglass.wire.extensions import EarlyDataTicket
from tlsglass.wire.handshake import HandshakeMessage, KeyUpdate, NewSessionTicket

__all__ = ["Connected", "certificate_verify_content"]


def certificate_verify_content(signer: str, transcript_hash: bytes) -> bytes:
    """§4.4.3: 64 spaces, the context string, a zero byte, then the transcript hash."""
    context = b"TLS 1.3, server CertificateVerify" if signer == "server" \
        else b"TLS 1.3, client CertificateVerify"
    return b"\x20" * 64 + context + b"\x00" + transcript_hash


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Connected(State):
    """CONNECTED (App. A): application data flows; post-handshake messages arrive here."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.KEY_UPDATE})
    in_transcript: ClassVar[bool] = False
    can_send_application_data: ClassVar[bool] = True
    can_receive_application_data: ClassVar[bool] = True

    role: str
    suite: SuiteInfo
    client_random: bytes = field(repr=False)
    client_secret: Secret = field(repr=False)
    server_secret: Secret = field(repr=False)
    exporter_secret: Secret = field(repr=False)
    resumption_secret: Secret = field(repr=False)
    generation_read: int = 0
    generation_write: int = 0

    @property
    def _read_is_client(self) -> bool:
        return self.role == "server"

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        if isinstance(msg, KeyUpdate):
            return self._receive_key_update(msg, out)
        if isinstance(msg, NewSessionTicket):
            return self._receive_ticket(msg, out)
        raise UnexpectedMessage(f"{type(msg).__name__} after the handshake")

    def _receive_ticket(self, msg: NewSessionTicket, out: Output) -> State:
        early = find(msg.extensions, EarlyDataTicket)
        out.emit(NewSessionTicketReceived(
            ticket_lifetime=msg.ticket_lifetime,
            max_early_data_size=early.max_early_data_size if early else 0))
        return self

    def _receive_key_update(self, msg: KeyUpdate, out: Output) -> State:
        if msg.request_update not in (KeyUpdateRequest.UPDATE_NOT_REQUESTED,
                                      KeyUpdateRequest.UPDATE_REQUESTED):
            raise IllegalParameter(f"KeyUpdate request_update {msg.request_update}")  # §4.6.3
        state = self._next_read(out)
        out.emit(KeyUpdated(direction="read", requested_by_peer=False))
        if msg.request_update == KeyUpdateRequest.UPDATE_REQUESTED and not out.write_closed:
            state = state.send_key_update(out, request_peer=False, requested_by_peer=True)
        return state

    def _next_read(self, out: Output) -> Connected:
        if self._read_is_client:
            secret = next_application_traffic_secret(self.suite.hash_name, self.client_secret)
            state = replace(self, client_secret=secret, generation_read=self.generation_read + 1)
        else:
            secret = next_application_traffic_secret(self.suite.hash_name, self.server_secret)
            state = replace(self, server_secret=secret, generation_read=self.generation_read + 1)
        out.install_read_key(self.suite, secret, "application")
        side = "CLIENT" if self._read_is_client else "SERVER"
        out.log_secret(f"{side}_TRAFFIC_SECRET_{state.generation_read}", self.client_random,
                       secret)
        return state

    def send_key_update(self, out: Output, request_peer: bool,
                        requested_by_peer: bool = False) -> Connected:
        """§4.6.3: send KeyUpdate under the old key, then switch our write key."""
        request = KeyUpdateRequest.UPDATE_REQUESTED if request_peer \
            else KeyUpdateRequest.UPDATE_NOT_REQUESTED
        out.send(KeyUpdate(request_update=request))
        if self._read_is_client:
            secret = next_application_traffic_secret(self.suite.hash_name, self.server_secret)
            state = replace(self, server_secret=secret, generation_write=self.generation_write + 1)
        else:
            secret = next_application_traffic_secret(self.suite.hash_name, self.client_secret)
            state = replace(self, client_secret=secret, generation_write=self.generation_write + 1)
        out.install_write_key(self.suite, secret, "application")
        side = "SERVER" if self._read_is_client else "CLIENT"
        out.log_secret(f"{side}_TRAFFIC_SECRET_{state.generation_write}", self.client_random,
                       secret)
        out.emit(KeyUpdated(direction="write", requested_by_peer=requested_by_peer))
        return state

    def export(self, label: bytes, context: bytes, length: int) -> bytes:
        return export_keying_material(self.suite.hash_name, self.exporter_secret, label,
                                      context, length)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConnected(Connected):
    """The client also receives NewSessionTicket (§4.6.1), and keeps it if it has a store."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.KEY_UPDATE, HandshakeType.NEW_SESSION_TICKET})
    tickets: TicketContext | None = None

    def _receive_ticket(self, msg: NewSessionTicket, out: Output) -> State:
        if self.tickets is not None:
            early = find(msg.extensions, EarlyDataTicket)
            store_ticket(self.tickets, self.resumption_secret, msg,
                         early.max_early_data_size if early else 0)
        return Connected._receive_ticket(self, msg, out)
