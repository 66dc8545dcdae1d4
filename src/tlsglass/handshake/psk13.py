"""TLS 1.3 PSKs for both roles: offering and choosing them, binders, and tickets.

Client: `offer_psk` appends pre_shared_key (last, §4.2.11) to a ClientHello, with
the binder over the hello truncated before the binders (§4.2.11.2); `ticket_for`
turns a NewSessionTicket into a stored `ClientTicket` (§4.6.1).

Server: `select_psk` walks the client's identities, opens the first usable one (a
sealed ticket of ours or a configured external PSK), picks a suite with its hash,
and checks its binder in constant time; `issue_tickets` sends NewSessionTickets
after the client's Finished. Neither trusts anything in the identity until the
ticket's AEAD tag has been checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from tlsglass._fastinit import fast_init
from tlsglass.config import ClientConfig, ServerConfig
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import TLS13_SUITES, SuiteInfo, suite_info
from tlsglass.enums import CipherSuite, ProtocolVersion, PskKeyExchangeMode, describe
from tlsglass.errors import DecryptError, HandshakeFailure, IllegalParameter
from tlsglass.handshake.base import Output, decide
from tlsglass.keyschedule import resumption_psk
from tlsglass.session import (
    ClientTicket,
    ClientTicketStore,
    check_binder,
    compute_binder,
    obfuscated_ticket_age,
    open_ticket,
    seal_ticket,
)
from tlsglass.wire.buffer import Writer
from tlsglass.wire.extension_block import find
from tlsglass.wire.extensions import (
    EarlyDataIndication,
    EarlyDataTicket,
    PreSharedKeyClientHello,
    PreSharedKeyServerHello,
    PskIdentity,
    PskKeyExchangeModes,
)
from tlsglass.wire.handshake import ClientHello, NewSessionTicket, ServerHello, encode_handshake
from tlsglass.wire.ticket import SessionState
from tlsglass.x509 import Certificate as X509Certificate

__all__ = [
    "TICKET_AGE_WINDOW_MS",
    "AcceptedPsk",
    "OfferedPsk",
    "TicketContext",
    "accepted_psk",
    "claim_ticket",
    "issue_tickets",
    "offer_psk",
    "select_psk",
    "store_ticket",
    "ticket_chain",
]

# §8.3: how far the client's idea of the ticket's age may stray from ours for
# 0-RTT; it covers clock drift and one round trip.
TICKET_AGE_WINDOW_MS = 10_000
_TLS13 = ProtocolVersion.TLS1_3


def _hash_of(suite: int) -> str | None:
    """The hash of a TLS 1.3 suite; None for a TLS 1.2 one (never used with a 1.3 PSK)."""
    info = suite_info(suite)
    return info.hash_name if info is not None and info.version == _TLS13 else None


def _truncated(hello: ClientHello, psk: PreSharedKeyClientHello) -> bytes:
    """§4.2.11.2: the encoded ClientHello up to, not including, the binders list."""
    raw = encode_handshake(hello)
    return raw[:len(raw) - psk.binders_length]


# -- client ---------------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class OfferedPsk:
    """The one PSK a client offers: a stored ticket, or the configured external PSK."""

    secret: Secret = field(repr=False)
    hash_name: str
    external: bool
    ticket: ClientTicket | None = None
    # Set once 0-RTT is offered: client_early_traffic_secret (§7.1).
    early_secret: Secret | None = field(default=None, repr=False)
    # The ClientHello that carries it, encoded once for the binder; sent as is.
    encoded_hello: bytes = field(default=b"", repr=False, compare=False)


def _choose_offer(config: ClientConfig, now: float) -> OfferedPsk | None:
    if config.external_psk is not None:
        psk = config.external_psk
        return OfferedPsk(secret=psk.secret, hash_name=psk.hash_name, external=True)
    store = config.ticket_store
    if store is None:
        return None
    ticket = store.take(config.server_name or "", now)
    if ticket is None or ticket.version != _TLS13:
        return None
    info = suite_info(ticket.cipher_suite)
    # §4.2.11: a ticket is offered only with suites of its hash.
    if info is None or not any(_hash_of(s) == info.hash_name for s in config.cipher_suites):
        return None
    return OfferedPsk(secret=ticket.secret, hash_name=info.hash_name, external=False,
                      ticket=ticket)


def _identity(config: ClientConfig, offered: OfferedPsk, now: float) -> PskIdentity:
    if offered.ticket is None:
        assert config.external_psk is not None
        # §4.2.11: external identities carry an obfuscated_ticket_age of 0.
        return PskIdentity(identity=config.external_psk.identity, obfuscated_ticket_age=0)
    return PskIdentity(identity=offered.ticket.identity,
                       obfuscated_ticket_age=obfuscated_ticket_age(offered.ticket, now))


def offer_psk(config: ClientConfig, hello: ClientHello, out: Output,
              offered: OfferedPsk | None = None, hash_name: str | None = None,
              early: Callable[[OfferedPsk], bool] | None = None
              ) -> tuple[ClientHello, OfferedPsk | None]:
    """Append pre_shared_key with its binder. Without `offered`, pick one (first hello),
    with early_data before it if `early` says so; after a HelloRetryRequest,
    `hash_name` is the suite's hash the PSK must match (and 0-RTT is over, §4.2.10)."""
    now = config.clock()
    if offered is None:
        offered = _choose_offer(config, now)
    if offered is None or (hash_name is not None and offered.hash_name != hash_name):
        return hello, None
    if early is not None and hash_name is None and early(offered) \
            and find(hello.extensions, EarlyDataIndication) is None:  # (a hook may add it)
        hello = replace(hello, extensions=(*hello.extensions, EarlyDataIndication()))
    length = 48 if offered.hash_name == "sha384" else 32
    ext = PreSharedKeyClientHello(identities=(_identity(config, offered, now),),
                                  binders=(bytes(length),))
    draft = replace(hello, extensions=(*hello.extensions, ext))
    partial = _truncated(draft, ext)
    if hash_name is None:
        digest = out.transcript.pending_digest_with(offered.hash_name, partial)
    else:
        digest = out.transcript.digest_with(partial)
    binder = compute_binder(offered.hash_name, offered.secret, offered.external, digest)
    final = replace(ext, binders=(binder,))
    w = Writer()
    final.encode_binders(w)  # the binders have the placeholder's length: only they change
    hello = replace(hello, extensions=(*hello.extensions, final))
    return hello, replace(offered, encoded_hello=partial + w.getvalue())


def accepted_psk(config: ClientConfig, offered: OfferedPsk | None, msg: ServerHello,
                 suite: SuiteInfo) -> OfferedPsk | None:
    """§4.2.11: the server's selected_identity must be one we offered, with its hash."""
    selected = find(msg.extensions, PreSharedKeyServerHello)
    if selected is None:
        if config.external_psk is not None and config.server_name is None \
                and not config.insecure_skip_verification and config.verifier is None:
            raise HandshakeFailure("the server did not accept our external PSK, and without "
                                   "a server_name its certificate cannot be verified")
        return None
    if offered is None or selected.selected_identity != 0:
        raise IllegalParameter(f"server selected PSK identity {selected.selected_identity}, "
                               "which was not offered")
    if offered.hash_name != suite.hash_name:
        raise IllegalParameter("server chose a suite whose hash does not match the PSK")
    return offered


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class TicketContext:
    """What a client needs to keep the tickets a connection receives (§4.6.1)."""

    store: ClientTicketStore = field(repr=False)
    key: str
    suite: SuiteInfo
    alpn_protocol: str | None
    server_name: str | None
    peer_certificates: tuple[X509Certificate, ...] = field(repr=False)
    clock: Callable[[], float] = field(repr=False)


def ticket_chain(ticket: ClientTicket | None) -> tuple[X509Certificate, ...]:
    """The server's certificates from the session a ticket resumes (§4.6.1)."""
    if ticket is None:
        return ()
    parsed = tuple(c for c in ticket.parsed_certificates if isinstance(c, X509Certificate))
    if len(parsed) == len(ticket.peer_certificates):
        return parsed
    return tuple(X509Certificate.from_der(der) for der in ticket.peer_certificates)


def store_ticket(context: TicketContext, resumption_secret: Secret,
                 msg: NewSessionTicket, max_early_data_size: int) -> None:
    """Derive the ticket's PSK (§4.6.1) and keep it; a zero lifetime means "do not"."""
    if msg.ticket_lifetime > 604800:
        raise IllegalParameter("ticket_lifetime above seven days (§4.6.1)")
    if msg.ticket_lifetime == 0:
        return
    psk = resumption_psk(context.suite.hash_name, resumption_secret, msg.ticket_nonce)
    context.store.put(context.key, ClientTicket(
        version=_TLS13, cipher_suite=context.suite.suite, identity=msg.ticket, secret=psk,
        received_at=context.clock(), lifetime=msg.ticket_lifetime,
        ticket_age_add=msg.ticket_age_add, max_early_data_size=max_early_data_size,
        alpn_protocol=context.alpn_protocol, server_name=context.server_name,
        peer_certificates=tuple(c.der for c in context.peer_certificates),
        parsed_certificates=context.peer_certificates))


# -- server ---------------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedPsk:
    """The PSK a server selected (§4.2.11), proven by its binder."""

    index: int
    identity: bytes = field(repr=False)
    secret: Secret = field(repr=False)
    suite: SuiteInfo
    mode: PskKeyExchangeMode
    external: bool
    state: SessionState | None = field(default=None, repr=False)
    # §8.3: whether the client's view of the ticket's age matches ours (0-RTT only).
    fresh: bool = False
    binder: bytes = field(default=b"", repr=False)


@fast_init
@dataclass(frozen=True, slots=True)
class _Candidate:
    secret: Secret = field(repr=False)
    hash_name: str
    external: bool
    state: SessionState | None = field(repr=False)
    fresh: bool


def _open_identity(config: ServerConfig, identity: PskIdentity, server_name: str | None,
                   now: float) -> _Candidate | None:
    for psk in config.external_psks:
        if psk.identity == identity.identity:
            return _Candidate(psk.secret, psk.hash_name, True, None, False)
    state = open_ticket(config.ticket_keys, identity.identity, now)
    if state is None or state.version != _TLS13:
        return None
    info = suite_info(state.cipher_suite)
    now_ms = int(now * 1000)
    age = now_ms - state.issued_at_ms
    if info is None or age < -1000 or age > state.lifetime * 1000:
        return None  # §4.6.1: expired, or from the future
    if now_ms - state.authenticated_at_ms > config.max_session_age * 1000:
        return None  # §4.6.1: the session's full handshake is too long ago
    # A ticket is resumed under the name it was issued for (§4.2.11, §4.6.1).
    if state.server_name != (server_name or "").encode():
        return None
    if config.client_auth == "required" and not state.peer_certificates:
        return None
    client_age = (identity.obfuscated_ticket_age - state.ticket_age_add) & 0xFFFFFFFF
    fresh = abs(client_age - age) <= TICKET_AGE_WINDOW_MS
    return _Candidate(Secret("resumption_psk", state.secret), info.hash_name, False, state,
                      fresh)


def _suite_for(config: ServerConfig, offered: Sequence[int], candidate: _Candidate,
               forced_suite: int | None) -> SuiteInfo | None:
    """A suite with the PSK's hash (§4.2.11); the ticket's own suite first (0-RTT needs it)."""
    if forced_suite is not None:
        info = TLS13_SUITES.get(CipherSuite(forced_suite))
        return info if info is not None and info.hash_name == candidate.hash_name else None
    usable = [s for s in config.cipher_suites
              if s in offered and _hash_of(s) == candidate.hash_name]
    if candidate.state is not None and candidate.state.cipher_suite in usable:
        return TLS13_SUITES[CipherSuite(candidate.state.cipher_suite)]
    return TLS13_SUITES[usable[0]] if usable else None


def _mode(config: ServerConfig, hello: ClientHello) -> PskKeyExchangeMode | None:
    modes = find(hello.extensions, PskKeyExchangeModes)
    offered = modes.ke_modes if modes is not None else ()
    return next((m for m in config.psk_key_exchange_modes if m in offered), None)


def select_psk(config: ServerConfig, hello: ClientHello, server_name: str | None,
               out: Output, forced_suite: int | None = None) -> AcceptedPsk | None:
    """The first identity we can use, its binder checked; None means a full handshake."""
    ext = find(hello.extensions, PreSharedKeyClientHello)
    if ext is None:
        return None
    if len(ext.identities) != len(ext.binders):
        raise IllegalParameter("pre_shared_key has as many binders as identities (§4.2.11)")
    mode = _mode(config, hello)
    if mode is None:
        decide(out, "psk", "none", (), "no PSK key exchange mode in common (§4.2.9)")
        return None
    now = config.clock()
    for index, identity in enumerate(ext.identities):
        candidate = _open_identity(config, identity, server_name, now)
        if candidate is None:
            continue
        suite = _suite_for(config, hello.cipher_suites, candidate, forced_suite)
        if suite is None:
            continue
        # The hello as received, not re-encoded (the transcript keeps its bytes).
        digest = out.transcript.binder_digest(suite.hash_name, ext.binders_length)
        binder = ext.binders[index]
        if not check_binder(suite.hash_name, candidate.secret, candidate.external, digest,
                            binder):
            raise DecryptError("PSK binder does not verify (§4.2.11)")
        decide(out, "psk", f"identity {index}", (), "external PSK" if candidate.external
               else "our ticket, opened and within its lifetime")
        return AcceptedPsk(index=index, identity=identity.identity, secret=candidate.secret,
                           suite=suite, mode=mode, external=candidate.external,
                           state=candidate.state, fresh=candidate.fresh, binder=binder)
    decide(out, "psk", "none", (), "no offered identity is usable; full handshake")
    return None


def claim_ticket(config: ServerConfig, psk: AcceptedPsk, out: Output) -> bool:
    """§8.1: with single-use tickets, a ticket resumes one connection only."""
    state = psk.state
    if not config.single_use_tickets or state is None:
        return True
    expires = state.issued_at_ms / 1000 + state.lifetime
    if config.replay_store.claim(b"ticket:" + psk.identity, config.clock(), expires):
        return True
    decide(out, "psk", "none", (), "single-use ticket already used (§8.1); full handshake")
    return False


def issue_tickets(config: ServerConfig, suite: SuiteInfo, resumption_secret: Secret,
                  alpn_protocol: str | None, server_name: str | None,
                  peer_certificates: tuple[bytes, ...], out: Output,
                  authenticated_at_ms: int | None = None) -> None:
    """§4.6.1: `tickets_per_connection` NewSessionTickets, each with its own nonce.

    `authenticated_at_ms` is the time of the full handshake a resumed session goes
    back to (None: this one); tickets never outlive `max_session_age` from it.
    """
    if not config.tickets_per_connection:
        return
    now = config.clock()
    now_ms = int(now * 1000)
    authenticated = now_ms if authenticated_at_ms is None else authenticated_at_ms
    lifetime = min(config.ticket_lifetime,
                   (authenticated + config.max_session_age * 1000 - now_ms) // 1000)
    if lifetime <= 0:
        decide(out, "tickets", "0", (), "the session is max_session_age old (§4.6.1)")
        return
    key = config.ticket_keys.current(now, config.entropy)
    extensions = (EarlyDataTicket(max_early_data_size=config.max_early_data_size),) \
        if config.max_early_data_size else ()
    for n in range(config.tickets_per_connection):
        nonce = n.to_bytes(2, "big")
        age_add = int.from_bytes(config.entropy(4), "big")
        psk = resumption_psk(suite.hash_name, resumption_secret, nonce)
        state = SessionState(
            version=_TLS13, cipher_suite=suite.suite, secret=psk.reveal(),
            issued_at_ms=now_ms, authenticated_at_ms=authenticated, lifetime=lifetime,
            ticket_age_add=age_add, max_early_data_size=config.max_early_data_size,
            alpn_protocol=(alpn_protocol or "").encode(),
            server_name=(server_name or "").encode(), peer_certificates=peer_certificates)
        out.send(NewSessionTicket(ticket_lifetime=lifetime, ticket_age_add=age_add,
                                  ticket_nonce=nonce,
                                  ticket=seal_ticket(key, state, config.entropy),
                                  extensions=extensions), transcript=False)
    if config.tickets_per_connection and out.tracing:
        decide(out, "tickets", str(config.tickets_per_connection), (),
               f"valid {lifetime} s, sealed under key "
               f"{int.from_bytes(key.key_id, 'big')}; {describe(CipherSuite, suite.suite)}")
