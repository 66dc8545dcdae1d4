"""Resumption: tickets, PSK identities and binders, server ticket sealing, session stores.

Door: the store protocols the configs carry (`ClientTicketStore`, `TicketKeySource`,
`ReplayStore`, `SessionCache`), their bounded in-memory implementations, the
values they hold (`ClientTicket`, `TicketKey`, `ExternalPsk`), and the functions
the handshake uses: `seal_ticket`/`open_ticket`, `compute_binder`/`check_binder`,
`obfuscated_ticket_age`.

Design (RFC 8446 §2.2, §4.2.11, §4.6.1, §8; RFC 5077 for TLS 1.2 tickets):

- Tickets are stateless by default: the server seals a `SessionState` (wire/ticket.py)
  with AES-256-GCM under a ticket key and hands the result to the client as its
  identity. Only the ticket keys need sharing across a fleet.
- A `TicketKeySource` names one key per rotation epoch. The key for the current
  epoch seals; keys of earlier epochs still open tickets for a grace period. The
  key id in each ticket is the epoch number, so processes that share a store
  (see tlsglass.io.redis_store) agree on keys without talking to each other.
- A `ReplayStore` records single-use values (a ticket's identity, or a 0-RTT
  ClientHello's binder) until they expire; `claim` answers False for a repeat and
  also when it is full, since §8.2 says to refuse 0-RTT when we cannot record.
- A `SessionCache` keeps TLS 1.2 session-ID state as opaque bytes.
- A `ClientTicketStore` keeps tickets per server; `take` removes the ticket so it
  is used once (§C.4: reusing a ticket lets observers link connections).

None of this does I/O or reads a clock: every method is handed `now` (from the
config's clock) and, where it needs randomness, the config's entropy.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from tlsglass._fastinit import fast_init
from tlsglass.crypto.aead import Aead
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import AeadAlgorithm
from tlsglass.errors import ConfigError, DecodeError
from tlsglass.keyschedule import EarlySecret, finished_verify_data, verify_finished
from tlsglass.wire.ticket import SessionState

__all__ = [
    "ClientTicket",
    "ClientTicketStore",
    "Entropy",
    "ExternalPsk",
    "InMemoryReplayStore",
    "InMemorySessionCache",
    "InMemoryTicketStore",
    "ReplayStore",
    "RotatingTicketKeys",
    "SessionCache",
    "SessionState",
    "TicketKey",
    "TicketKeySource",
    "check_binder",
    "compute_binder",
    "obfuscated_ticket_age",
    "open_ticket",
    "seal_ticket",
    "ticket_key_id",
]

Entropy = Callable[[int], bytes]

TICKET_KEY_ID_LEN: Final = 8
_NONCE_LEN: Final = 12
_TICKET_AAD: Final = b"tlsglass ticket v1 "
_TICKET_AEAD: Final = AeadAlgorithm.AES_256_GCM
_MAX_TICKET_LIFETIME: Final = 604800  # §4.6.1: seven days


# -- PSKs and binders -----------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class ExternalPsk:
    """An out-of-band PSK (§2.2): an identity, the key, and the hash it is used with.

    §4.2.11: an external PSK is provisioned with one hash; SHA-256 if unsure
    (OpenSSL's `-psk` uses SHA-256 too).
    """

    identity: bytes
    key: bytes = field(repr=False)
    hash_name: str = "sha256"

    def __post_init__(self) -> None:
        if not 0 < len(self.identity) < 1 << 16:
            raise ConfigError("a PSK identity must be 1 to 65535 bytes")
        if len(self.key) < 16:
            raise ConfigError("an external PSK shorter than 16 bytes is too weak")
        if self.hash_name not in ("sha256", "sha384"):
            raise ConfigError("an external PSK's hash must be 'sha256' or 'sha384'")

    @property
    def secret(self) -> Secret:
        return Secret("external_psk", self.key)


def compute_binder(hash_name: str, psk: Secret, external: bool, transcript_hash: bytes) -> bytes:
    """§4.2.11.2: HMAC(finished key of binder_key, Transcript-Hash(truncated ClientHello))."""
    binder_key = EarlySecret.start(hash_name, psk.reveal()).binder_key(external)
    return finished_verify_data(hash_name, binder_key, transcript_hash)


def check_binder(hash_name: str, psk: Secret, external: bool, transcript_hash: bytes,
                 binder: bytes) -> bool:
    """Constant-time check of a client's binder (hmac.compare_digest underneath)."""
    binder_key = EarlySecret.start(hash_name, psk.reveal()).binder_key(external)
    return verify_finished(hash_name, binder_key, transcript_hash, binder)


# -- the client's tickets --------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientTicket:
    """A ticket as the client keeps it (§4.6.1), with the PSK derived from it."""

    version: int
    cipher_suite: int
    identity: bytes = field(repr=False)
    secret: Secret = field(repr=False)
    received_at: float
    lifetime: int
    ticket_age_add: int = field(default=0, repr=False)
    max_early_data_size: int = 0
    alpn_protocol: str | None = None
    server_name: str | None = None
    peer_certificates: tuple[bytes, ...] = field(default=(), repr=False)
    # The same certificates already parsed, for a store that keeps tickets in memory
    # (saves parsing them again on every resumption); a store that serializes keeps DER.
    parsed_certificates: tuple[object, ...] = field(default=(), repr=False, compare=False)
    # TLS 1.2 (RFC 5246 §7.4.1.2, RFC 5077): `secret` is the master secret, `identity`
    # the ticket (empty for a session-ID-only session), `session_id` what the client
    # sends to resume, and whether the session used extended_master_secret (RFC 7627).
    session_id: bytes = field(default=b"", repr=False)
    extended_master_secret: bool = True

    def expired(self, now: float) -> bool:
        return now >= self.received_at + min(self.lifetime, _MAX_TICKET_LIFETIME) \
            or now < self.received_at - 1

    def age_ms(self, now: float) -> int:
        return max(0, int((now - self.received_at) * 1000))


def obfuscated_ticket_age(ticket: ClientTicket, now: float) -> int:
    """§4.2.11.1: the ticket's age in milliseconds plus ticket_age_add, modulo 2^32."""
    return (ticket.age_ms(now) + ticket.ticket_age_add) & 0xFFFFFFFF


class ClientTicketStore(Protocol):
    """Where a client keeps tickets, by server (its `key`, normally the server name)."""

    def put(self, key: str, ticket: ClientTicket) -> None: ...

    def take(self, key: str, now: float) -> ClientTicket | None:
        """The newest unexpired ticket for `key`; single-use stores forget it."""
        ...


class InMemoryTicketStore:
    """Bounded LRU of servers, a few newest tickets each; single-use unless told otherwise."""

    def __init__(self, max_servers: int = 256, per_server: int = 4,
                 single_use: bool = True) -> None:
        if max_servers < 1 or per_server < 1:
            raise ConfigError("a ticket store needs room for at least one ticket")
        self._max_servers = max_servers
        self._per_server = per_server
        self.single_use = single_use
        self._tickets: OrderedDict[str, deque[ClientTicket]] = OrderedDict()

    def __repr__(self) -> str:
        return f"InMemoryTicketStore({len(self._tickets)} servers)"

    def put(self, key: str, ticket: ClientTicket) -> None:
        tickets = self._tickets.setdefault(key, deque(maxlen=self._per_server))
        tickets.append(ticket)
        self._tickets.move_to_end(key)
        while len(self._tickets) > self._max_servers:
            try:
                self._tickets.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break

    def take(self, key: str, now: float) -> ClientTicket | None:
        tickets = self._tickets.get(key)
        while tickets:
            try:
                ticket = tickets.pop()  # atomic: two connections never get one ticket
            except IndexError:  # another thread took the last one
                break
            if ticket.expired(now):
                continue
            if not self.single_use:
                tickets.append(ticket)
            return ticket
        return None

    def __len__(self) -> int:
        return sum(len(t) for t in list(self._tickets.values()))


# -- the server's ticket keys ------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class TicketKey:
    """One ticket-sealing key and its id (the rotation epoch, as 8 bytes)."""

    key_id: bytes
    key: bytes = field(repr=False)
    # One keyed AEAD per ticket key, not one per ticket (convention 16).
    aead: Aead = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.key_id) != TICKET_KEY_ID_LEN or len(self.key) != _TICKET_AEAD.key_len:
            raise ConfigError("a ticket key is an 8-byte id and a 32-byte AES-256-GCM key")
        object.__setattr__(self, "aead", Aead(_TICKET_AEAD, self.key))


def ticket_key_id(epoch: int) -> bytes:
    return epoch.to_bytes(TICKET_KEY_ID_LEN, "big")


class TicketKeySource(Protocol):
    """The server's ticket keys: the current one seals, recent ones still open."""

    def current(self, now: float, entropy: Entropy) -> TicketKey: ...

    def lookup(self, key_id: bytes, now: float) -> TicketKey | None:
        """The key with this id if it may still open tickets, else None."""
        ...


class RotatingTicketKeys:
    """Ticket keys by rotation epoch: a new key every `rotation_interval` seconds, the
    previous ones accepted for `grace_period` seconds after their epoch ends.

    This class keeps them in memory (one process). A shared store subclasses it and
    overrides `_fetch` and `_create` (tlsglass.io.redis_store.RedisTicketKeys): the
    epoch arithmetic is the same everywhere, so every process names keys alike.
    """

    def __init__(self, rotation_interval: float = 3600.0, grace_period: float = 7200.0) -> None:
        if rotation_interval <= 0 or grace_period < 0:
            raise ConfigError("rotation_interval must be positive, grace_period not negative")
        self.rotation_interval = rotation_interval
        self.grace_period = grace_period
        self._keys: dict[int, TicketKey] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(every {self.rotation_interval:g} s, {len(self._keys)} keys)"

    def epoch(self, now: float) -> int:
        return max(0, int(now // self.rotation_interval))

    def accepts(self, epoch: int, now: float) -> bool:
        """An epoch's key opens tickets until its end plus the grace period."""
        end = (epoch + 1) * self.rotation_interval
        return epoch <= self.epoch(now) and now < end + self.grace_period

    def lifetime(self, epoch: int, now: float) -> float:
        """Seconds from `now` until the epoch's key is no longer accepted."""
        return max(0.0, (epoch + 1) * self.rotation_interval + self.grace_period - now)

    def current(self, now: float, entropy: Entropy) -> TicketKey:
        epoch = self.epoch(now)
        key = self._keys.get(epoch) or self._fetch(epoch)
        if key is None:
            key = self._create(epoch, TicketKey(ticket_key_id(epoch),
                                                entropy(_TICKET_AEAD.key_len)), now)
        return self._remember(epoch, key, now)

    def lookup(self, key_id: bytes, now: float) -> TicketKey | None:
        if len(key_id) != TICKET_KEY_ID_LEN:
            return None
        epoch = int.from_bytes(key_id, "big")
        if not self.accepts(epoch, now):
            return None
        key = self._keys.get(epoch)
        if key is None:
            key = self._fetch(epoch)
            if key is not None:
                key = self._remember(epoch, key, now)
        return key

    def _remember(self, epoch: int, key: TicketKey, now: float) -> TicketKey:
        """Keep `key` for `epoch` unless a key is kept already: then that one (two
        threads that both made a key at an epoch's start must seal with the same)."""
        key = self._keys.setdefault(epoch, key)
        for old in [e for e in list(self._keys) if not self.accepts(e, now)]:
            self._keys.pop(old, None)
        return key

    def _fetch(self, epoch: int) -> TicketKey | None:
        """A key another holder created for `epoch` (none: in memory, we are alone)."""
        return None

    def _create(self, epoch: int, candidate: TicketKey, now: float) -> TicketKey:
        """Publish `candidate` for `epoch`, or return the key someone published first."""
        return candidate


def seal_ticket(key: TicketKey, state: SessionState, entropy: Entropy) -> bytes:
    """key_id || nonce || AES-256-GCM(state), the key id authenticated as AAD."""
    nonce = entropy(_NONCE_LEN)
    sealed = key.aead.seal(nonce, state.to_bytes(), _TICKET_AAD + key.key_id)
    return key.key_id + nonce + sealed


def open_ticket(keys: TicketKeySource, ticket: bytes, now: float) -> SessionState | None:
    """The state sealed in `ticket`, or None if no current key opens it (not an error:
    the handshake falls back to a full one, §4.2.11)."""
    head = TICKET_KEY_ID_LEN + _NONCE_LEN
    if len(ticket) < head + Aead.tag_len:
        return None
    key = keys.lookup(ticket[:TICKET_KEY_ID_LEN], now)
    if key is None:
        return None
    plain = key.aead.open(ticket[TICKET_KEY_ID_LEN:head], ticket[head:], _TICKET_AAD + key.key_id)
    if plain is None:
        return None
    try:
        return SessionState.from_bytes(plain)
    except DecodeError:
        return None


# -- single-use records and the TLS 1.2 session cache --------------------------------------


class ReplayStore(Protocol):
    """Single-use values (ticket identities, 0-RTT binders) recorded until they expire."""

    def claim(self, token: bytes, now: float, expires_at: float) -> bool:
        """True the first time `token` is seen before it expires; False for a repeat,
        or when the store cannot record it (then 0-RTT must be refused, §8.2)."""
        ...


class InMemoryReplayStore:
    """A bounded record of claimed tokens; when full of live tokens, it refuses.

    Expired tokens leave in expiry order (a heap), so a claim costs O(log n)
    however many tokens are recorded. One store may serve a threaded server: the
    claim itself is atomic (see `claim`), the bookkeeping around it tolerates races.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ConfigError("a replay store needs room for at least one entry")
        self._max = max_entries
        self._seen: dict[bytes, list[float]] = {}
        self._expiries: list[tuple[float, bytes]] = []

    def __repr__(self) -> str:
        return f"InMemoryReplayStore({len(self._seen)} of {self._max})"

    def __len__(self) -> int:
        return len(self._seen)

    def _forget_expired(self, now: float) -> None:
        expiries, seen = self._expiries, self._seen
        while expiries and expiries[0][0] <= now:
            try:
                expiry, token = heapq.heappop(expiries)
            except IndexError:  # another thread emptied it meanwhile
                return
            entry = seen.get(token)
            if entry is not None and entry[0] == expiry:
                seen.pop(token, None)

    def claim(self, token: bytes, now: float, expires_at: float) -> bool:
        self._forget_expired(now)
        if len(self._seen) >= self._max:
            return False
        entry = [expires_at]
        # dict.setdefault is one atomic step in CPython: of two threads claiming the
        # same token at once, exactly one gets True.
        if self._seen.setdefault(token, entry) is not entry:
            return False
        heapq.heappush(self._expiries, (expires_at, token))
        return True


class SessionCache(Protocol):
    """TLS 1.2 session IDs (RFC 5246 §7.4.1.2) to encoded session state, until expiry."""

    def put(self, session_id: bytes, state: bytes, expires_at: float) -> None: ...

    def get(self, session_id: bytes, now: float) -> bytes | None: ...

    def remove(self, session_id: bytes) -> None: ...


class InMemorySessionCache:
    """A bounded LRU session cache."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ConfigError("a session cache needs room for at least one entry")
        self._max = max_entries
        self._entries: OrderedDict[bytes, tuple[bytes, float]] = OrderedDict()

    def __repr__(self) -> str:
        return f"InMemorySessionCache({len(self._entries)} of {self._max})"

    def put(self, session_id: bytes, state: bytes, expires_at: float) -> None:
        self._entries.pop(session_id, None)
        self._entries[session_id] = (state, expires_at)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def get(self, session_id: bytes, now: float) -> bytes | None:
        entry = self._entries.get(session_id)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._entries[session_id]
            return None
        self._entries.move_to_end(session_id)
        return entry[0]

    def remove(self, session_id: bytes) -> None:
        self._entries.pop(session_id, None)
