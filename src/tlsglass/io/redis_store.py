"""Session stores in Redis, so that a fleet of servers shares resumption and replay state.

Door: `RedisTicketKeys`, `RedisReplayStore`, `RedisSessionCache` (redis-py; install
`tlsglass[redis]`). Give every server process the same three objects' settings
and Redis: each then opens the others' tickets, refuses a ClientHello that any of
them has already taken 0-RTT data from, and resumes the others' TLS 1.2 session IDs.

    import redis
    r = redis.Redis(host="10.0.0.5")
    config = ServerConfig.from_files(..., ticket_keys=RedisTicketKeys(r),
                                     replay_store=RedisReplayStore(r),
                                     max_early_data_size=16384)

How each maps to Redis:

- ticket keys: one key per rotation epoch, `<prefix>ticket-key:<epoch>`, created
  with SET NX (the first process of an epoch picks the key, the others read it) and
  expiring once the epoch's grace period is over. Each process also keeps the keys
  it has seen, so sealing and opening a ticket cost no round trip most of the time.
- replay records: SET NX with an expiry; a token already present is a replay.
- the session cache: plain SET with an expiry, GET and DEL.

Failure policy: these sit on the handshake path, and Redis may be down. Reads
fail safe: a ticket that cannot be looked up means a full handshake; a replay
record that cannot be written refuses the 0-RTT data (RFC 8446 §8.2); a session
that cannot be cached is simply not resumable. Only `current()` (the key that
seals new tickets) raises, because a ticket must not be sealed under a key the
rest of the fleet cannot find. The Redis calls block: with the asyncio adapter
they run on the event loop, so keep Redis close (or use a local replica).
"""

from __future__ import annotations

import hashlib

import redis

from tlsglass import RotatingTicketKeys, TicketKey

__all__ = ["RedisReplayStore", "RedisSessionCache", "RedisTicketKeys"]

_DEFAULT_PREFIX = "tlsglass:"


class RedisTicketKeys(RotatingTicketKeys):
    """Rotating ticket keys shared through Redis (see the module docstring)."""

    def __init__(self, client: redis.Redis, prefix: str = _DEFAULT_PREFIX,
                 rotation_interval: float = 3600.0, grace_period: float = 7200.0) -> None:
        super().__init__(rotation_interval, grace_period)
        self._redis = client
        self._prefix = prefix

    def _name(self, epoch: int) -> str:
        return f"{self._prefix}ticket-key:{epoch}"

    def _fetch(self, epoch: int) -> TicketKey | None:
        try:
            value = self._redis.get(self._name(epoch))
        except redis.RedisError:
            return None  # a full handshake instead of a resumption
        if not isinstance(value, bytes) or len(value) != 32:
            return None
        return TicketKey(epoch.to_bytes(8, "big"), value)

    def _create(self, epoch: int, candidate: TicketKey, now: float) -> TicketKey:
        ttl_ms = max(1, int(self.lifetime(epoch, now) * 1000))
        name = self._name(epoch)
        self._redis.set(name, candidate.key, nx=True, px=ttl_ms)
        winner = self._fetch(epoch)  # ours, or the one another process set first
        if winner is None:
            raise redis.RedisError(f"ticket key {name} vanished right after it was set")
        return winner


class RedisReplayStore:
    """Single-use records in Redis: SET NX with an expiry (RFC 8446 §8)."""

    def __init__(self, client: redis.Redis, prefix: str = _DEFAULT_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix

    def __repr__(self) -> str:
        return f"RedisReplayStore({self._prefix!r})"

    def claim(self, token: bytes, now: float, expires_at: float) -> bool:
        # Hashed: tokens are binders or ticket identities, which need not be readable.
        name = self._prefix + "seen:" + hashlib.sha256(token).hexdigest()
        ttl_ms = max(1, int((expires_at - now) * 1000))
        try:
            return bool(self._redis.set(name, b"1", nx=True, px=ttl_ms))
        except redis.RedisError:
            return False  # cannot record it, so refuse (§8.2)


class RedisSessionCache:
    """TLS 1.2 session IDs to encoded session state, in Redis until `expires_at`.

    `expires_at` is absolute (the config's clock: wall time by default), so the
    servers and Redis should agree on the time, as NTP makes them.
    """

    def __init__(self, client: redis.Redis, prefix: str = _DEFAULT_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix

    def __repr__(self) -> str:
        return f"RedisSessionCache({self._prefix!r})"

    def _name(self, session_id: bytes) -> str:
        return self._prefix + "session:" + session_id.hex()

    def put(self, session_id: bytes, state: bytes, expires_at: float) -> None:
        try:
            self._redis.set(self._name(session_id), state, exat=max(1, int(expires_at) + 1))
        except redis.RedisError:
            return  # not cached: the session cannot be resumed, nothing worse

    def get(self, session_id: bytes, now: float) -> bytes | None:
        try:
            value = self._redis.get(self._name(session_id))
        except redis.RedisError:
            return None
        return value if isinstance(value, bytes) else None

    def remove(self, session_id: bytes) -> None:
        try:
            self._redis.delete(self._name(session_id))
        except redis.RedisError:
            return
