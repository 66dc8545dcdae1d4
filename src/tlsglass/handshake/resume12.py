"""TLS 1.2 resumption, both roles: session IDs (RFC 5246 §7.4.1.2, §7.3) and session
tickets (RFC 5077), through the stores and ticket protection of session.py.

    abbreviated, server: ClientHello with a ticket or session ID we can open -->
        send ServerHello, [NewSessionTicket,] ChangeCipherSpec, Finished --> WAIT_CCS
        --ChangeCipherSpec--> WAIT_FINISHED --Finished--> CONNECTED
    abbreviated, client: ServerHello echoing our session ID --> [WAIT_NEW_SESSION_TICKET]
        --> WAIT_CCS --ChangeCipherSpec--> WAIT_FINISHED --Finished: send
        ChangeCipherSpec, Finished--> CONNECTED

A session is resumed only with the same suite, the same extended_master_secret use
(RFC 7627 §5.3) and the same server name (RFC 6066 §3); otherwise the server simply
runs a full handshake, except that a session made with extended_master_secret offered
in a ClientHello without it aborts the handshake (RFC 7627 §5.3). The server's state
is sealed in the ticket (SessionState), or kept in its SessionCache under the session
ID; the client keeps a ClientTicket.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from tlsglass._fastinit import fast_init
from tlsglass.config import ClientConfig, ServerConfig
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import TLS12_SUITES, SuiteInfo
from tlsglass.enums import CipherSuite, HandshakeType, ProtocolVersion
from tlsglass.errors import DecodeError, HandshakeFailure, IllegalParameter, UnexpectedMessage
from tlsglass.events import HandshakeComplete
from tlsglass.handshake.base import Negotiated, Output, State, decide
from tlsglass.handshake.connected12 import (
    Connected12,
    SessionKeys12,
    change_read_cipher,
    change_write_cipher,
    finished12,
    verify_finished12,
)
from tlsglass.session import ClientTicket, SessionCache, open_ticket, seal_ticket
from tlsglass.wire.handshake import Finished, HandshakeMessage
from tlsglass.wire.handshake12 import NewSessionTicket12
from tlsglass.wire.ticket import SessionState
from tlsglass.x509 import Certificate as X509Certificate

__all__ = ["ClientResumed", "ServerResumed", "find_session12", "issue_ticket12",
           "keys_from_state", "peer_certificates", "remember_session12", "resume_client12",
           "resume_server12", "session_state12", "store_client_session12"]

_V12 = ProtocolVersion.TLS1_2


# -- what a session is, on each side ------------------------------------------------------


def session_state12(keys: SessionKeys12, n: Negotiated, now: float, lifetime: int
                    ) -> SessionState:
    return SessionState(
        version=_V12, cipher_suite=keys.suite.suite, secret=keys.master_secret.reveal(),
        issued_at_ms=int(now * 1000), authenticated_at_ms=int(now * 1000), lifetime=lifetime,
        alpn_protocol=(n.alpn_protocol or "").encode(),
        server_name=(n.server_name or "").encode(),
        extended_master_secret=keys.extended_master_secret,
        peer_certificates=tuple(c.der for c in n.peer_certificates))


def _cached_session(cache: SessionCache, session_id: bytes, now: float
                    ) -> SessionState | None:
    """A cache entry we cannot read (damaged, or another format in a shared store) is a
    cache miss, not the client's fault."""
    raw = cache.get(session_id, now)
    if raw is None:
        return None
    try:
        return SessionState.from_bytes(raw)
    except DecodeError:
        return None


def find_session12(config: ServerConfig, ticket: bytes | None, session_id: bytes,
                   server_name: str | None, ems: bool, offered: tuple[int, ...]
                   ) -> SessionState | None:
    """The session the ClientHello asks to resume, if we can and may (else None: a full
    handshake, never an error; RFC 5077 §3.4, RFC 5246 §7.4.1.2)."""
    now = config.clock()
    state = None
    if ticket:
        state = open_ticket(config.ticket_keys, ticket, now)
    elif session_id and config.session_cache is not None:
        state = _cached_session(config.session_cache, session_id, now)
    if state is None or state.version != _V12 or state.external:
        return None
    if state.extended_master_secret and not ems:
        # RFC 7627 §5.3: a session made with EMS, offered without it, MUST abort (the
        # other way round, below, is only not resumed).
        raise HandshakeFailure("session used extended_master_secret; this ClientHello "
                               "does not (RFC 7627 §5.3)")
    fresh = state.issued_at_ms <= now * 1000 < state.issued_at_ms + state.lifetime * 1000
    usable = (state.cipher_suite in offered and state.cipher_suite in config.tls12_cipher_suites
              and state.extended_master_secret == ems  # RFC 7627 §5.3
              and state.server_name == (server_name or "").encode()  # RFC 6066 §3
              # A session without a client certificate does not skip a required one.
              and (config.client_auth != "required" or bool(state.peer_certificates)))
    return state if fresh and usable else None


def issue_ticket12(config: ServerConfig, keys: SessionKeys12, n: Negotiated,
                   out: Output, resumed: SessionState | None = None) -> None:
    """RFC 5077 §3.3: NewSessionTicket, sent just before our ChangeCipherSpec. A ticket
    re-issued when resuming holds the same master secret: it keeps the session's issue
    time and lifetime, so resuming does not keep a master secret alive for ever."""
    now = config.clock()
    state = session_state12(keys, n, now, config.ticket_lifetime)
    if resumed is not None:
        state = replace(state, issued_at_ms=resumed.issued_at_ms,
                        authenticated_at_ms=resumed.authenticated_at_ms,
                        lifetime=resumed.lifetime)
    remaining = (state.issued_at_ms + state.lifetime * 1000 - int(now * 1000)) // 1000
    ticket = seal_ticket(config.ticket_keys.current(now, config.entropy), state,
                         config.entropy)
    out.send(NewSessionTicket12(ticket_lifetime_hint=max(1, remaining), ticket=ticket))


def remember_session12(config: ServerConfig, session_id: bytes, keys: SessionKeys12,
                       n: Negotiated) -> None:
    """A full handshake's session, kept under the session ID we sent (RFC 5246 §7.4.1.3)."""
    cache = config.session_cache
    if cache is None or not session_id:
        return
    now = config.clock()
    state = session_state12(keys, n, now, config.ticket_lifetime)
    cache.put(session_id, state.to_bytes(), now + config.ticket_lifetime)


def store_client_session12(config: ClientConfig, key: str, keys: SessionKeys12,
                           n: Negotiated, session_id: bytes,
                           ticket: NewSessionTicket12 | None) -> None:
    """After the server's Finished checked out (RFC 5077 §3.3): keep the session."""
    store = config.ticket_store
    if store is None or (not session_id and ticket is None):
        return  # RFC 5246 §7.4.1.3: an empty session ID means "not resumable"
    lifetime = ticket.ticket_lifetime_hint if ticket and ticket.ticket_lifetime_hint else 7200
    store.put(key, ClientTicket(
        version=_V12, cipher_suite=keys.suite.suite,
        identity=ticket.ticket if ticket is not None else b"", secret=keys.master_secret,
        received_at=config.clock(), lifetime=min(lifetime, 604800),
        alpn_protocol=n.alpn_protocol, server_name=n.server_name,
        peer_certificates=tuple(c.der for c in n.peer_certificates), session_id=session_id,
        extended_master_secret=keys.extended_master_secret))


def keys_from_state(state: SessionState, client_random: bytes, server_random: bytes
                    ) -> SessionKeys12:
    return SessionKeys12(suite=TLS12_SUITES[CipherSuite(state.cipher_suite)],
                         master_secret=Secret("master_secret", state.secret),
                         client_random=client_random, server_random=server_random,
                         extended_master_secret=state.extended_master_secret)


# -- server ---------------------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ServerResumed(State):
    """Our Finished is out; the client's ChangeCipherSpec, then its Finished."""

    tls12: ClassVar[bool] = True
    keys: SessionKeys12
    negotiated: Negotiated

    def change_cipher_spec(self, out: Output) -> State:
        change_read_cipher(self.keys, out)
        return _ServerResumedFinished(keys=self.keys, negotiated=self.negotiated)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _ServerResumedFinished(ServerResumed):
    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.FINISHED})

    def change_cipher_spec(self, out: Output) -> State:
        return State.change_cipher_spec(self, out)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Finished)
        verify_finished12(self.keys, "client", msg, out)
        _complete(self.negotiated, out)
        return Connected12(role="server", keys=self.keys)


def resume_server12(config: ServerConfig, keys: SessionKeys12, n: Negotiated,
                    issue_ticket: bool, out: Output, session: SessionState | None = None
                    ) -> State:
    """After our ServerHello: [NewSessionTicket,] ChangeCipherSpec, Finished (§7.3)."""
    if issue_ticket:
        issue_ticket12(config, keys, n, out, resumed=session)
    change_write_cipher(keys, out)
    out.send(finished12(keys, "server", out))
    decide(out, "resumption", "session resumed", (),
           "the client offered a session we could open, with the same suite and "
           "extended_master_secret")
    return ServerResumed(keys=keys, negotiated=n)


def _complete(n: Negotiated, out: Output) -> None:
    n = replace(n, resumed=True)
    out.update(n)
    out.emit(HandshakeComplete(version=_V12, cipher_suite=n.cipher_suite or 0, group=n.group,
                               signature_scheme=n.signature_scheme,
                               alpn_protocol=n.alpn_protocol, server_name=n.server_name,
                               peer_certificates=n.peer_certificates, resumed=True))


def peer_certificates(state: SessionState | ClientTicket) -> tuple[X509Certificate, ...]:
    return tuple(X509Certificate.from_der(der) for der in state.peer_certificates)


# -- client ---------------------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientResumed(State):
    """The server accepted our session: [NewSessionTicket], ChangeCipherSpec, Finished."""

    tls12: ClassVar[bool] = True
    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.NEW_SESSION_TICKET})
    config: ClientConfig = field(repr=False)
    store_key: str
    keys: SessionKeys12
    negotiated: Negotiated
    session_id: bytes = field(repr=False)
    ticket_expected: bool
    ticket: NewSessionTicket12 | None = None

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, NewSessionTicket12)
        if not self.ticket_expected or self.ticket is not None:
            # As in the full handshake, where the dispatcher refuses it (RFC 5077 §3.3).
            raise UnexpectedMessage("NewSessionTicket the server did not announce (RFC 5077)")
        return _ClientResumedCCS(**self._carry(), ticket=msg)

    def _carry(self) -> dict[str, Any]:
        return {"config": self.config, "store_key": self.store_key, "keys": self.keys,
                "negotiated": self.negotiated, "session_id": self.session_id,
                "ticket_expected": self.ticket_expected}

    def change_cipher_spec(self, out: Output) -> State:
        if self.ticket_expected and self.ticket is None:
            # RFC 5077 §3.3: once announced, the ticket comes before ChangeCipherSpec.
            return State.change_cipher_spec(self, out)
        change_read_cipher(self.keys, out)
        return _ClientResumedFinished(**self._carry(), ticket=self.ticket)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _ClientResumedCCS(ClientResumed):
    expects: ClassVar[frozenset[HandshakeType]] = frozenset()


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _ClientResumedFinished(ClientResumed):
    expects: ClassVar[frozenset[HandshakeType]] = frozenset({HandshakeType.FINISHED})

    def change_cipher_spec(self, out: Output) -> State:
        return State.change_cipher_spec(self, out)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        assert isinstance(msg, Finished)
        verify_finished12(self.keys, "server", msg, out)
        change_write_cipher(self.keys, out)
        out.send(finished12(self.keys, "client", out))
        store_client_session12(self.config, self.store_key, self.keys, self.negotiated,
                               self.session_id, self.ticket)
        _complete(self.negotiated, out)
        return Connected12(role="client", keys=self.keys)


def resume_client12(config: ClientConfig, store_key: str, session: ClientTicket,
                    suite: SuiteInfo, ems: bool, client_random: bytes, server_random: bytes,
                    n: Negotiated, session_id: bytes, ticket_expected: bool,
                    out: Output) -> State:
    """The ServerHello echoed our session ID: it resumes `session` (RFC 5246 §7.3)."""
    if suite.suite != session.cipher_suite:
        raise IllegalParameter("resumed session with another cipher suite (RFC 5246 §7.4.1.3)")
    if ems != session.extended_master_secret:
        raise HandshakeFailure("resumed session changes extended_master_secret (RFC 7627 §5.3)")
    keys = SessionKeys12(suite=suite, master_secret=session.secret, client_random=client_random,
                         server_random=server_random, extended_master_secret=ems)
    out.log_secret("CLIENT_RANDOM", client_random, session.secret)
    n = Negotiated(version=_V12, cipher_suite=suite.suite, alpn_protocol=n.alpn_protocol,
                   server_name=n.server_name, client_random=client_random,
                   peer_certificates=peer_certificates(session))
    return ClientResumed(config=config, store_key=store_key, keys=keys, negotiated=n,
                         session_id=session_id, ticket_expected=ticket_expected)
