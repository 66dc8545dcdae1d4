"""session.py: ticket sealing and key rotation, binders, and the bounded in-memory stores."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlsglass.crypto.secret import Secret
from tlsglass.errors import ConfigError, DecodeError
from tlsglass.session import (
    ClientTicket,
    ExternalPsk,
    InMemoryReplayStore,
    InMemorySessionCache,
    InMemoryTicketStore,
    RotatingTicketKeys,
    check_binder,
    compute_binder,
    obfuscated_ticket_age,
    open_ticket,
    seal_ticket,
)
from tlsglass.wire.ticket import SessionState

_STATE = SessionState(version=0x0304, cipher_suite=0x1301, secret=bytes(range(32)),
                      issued_at_ms=1_000_000, authenticated_at_ms=1_000_000, lifetime=7200,
                      ticket_age_add=12345,
                      max_early_data_size=16384, alpn_protocol=b"h2", server_name=b"example.org")


def _entropy(n: int) -> bytes:
    return bytes(range(n))


def test_sealed_ticket_opens_with_the_same_keys_and_hides_the_secret() -> None:
    keys = RotatingTicketKeys(rotation_interval=100, grace_period=50)
    ticket = seal_ticket(keys.current(1000.0, _entropy), _STATE, _entropy)
    assert _STATE.secret not in ticket
    assert open_ticket(keys, ticket, 1010.0) == _STATE


def test_tampered_or_foreign_tickets_do_not_open() -> None:
    keys = RotatingTicketKeys(rotation_interval=100, grace_period=50)
    ticket = seal_ticket(keys.current(1000.0, _entropy), _STATE, _entropy)
    for i in (0, 8, 20, len(ticket) - 1):
        bad = bytearray(ticket)
        bad[i] ^= 1
        assert open_ticket(keys, bytes(bad), 1010.0) is None
    assert open_ticket(keys, ticket[:30], 1010.0) is None
    other = RotatingTicketKeys(rotation_interval=100, grace_period=50)
    other.current(1000.0, lambda n: b"\x07" * n)
    assert open_ticket(other, ticket, 1010.0) is None


def test_rotation_keeps_the_previous_key_for_the_grace_period() -> None:
    keys = RotatingTicketKeys(rotation_interval=100, grace_period=50)
    first = keys.current(1000.0, _entropy)
    ticket = seal_ticket(first, _STATE, _entropy)
    second = keys.current(1120.0, lambda n: b"\x09" * n)
    assert second.key_id != first.key_id
    assert open_ticket(keys, ticket, 1120.0) == _STATE  # epoch 10 ended at 1100, grace to 1150
    assert open_ticket(keys, ticket, 1150.0) is None
    keys.current(1300.0, _entropy)
    assert keys.lookup(first.key_id, 1300.0) is None  # and it was dropped


def test_binder_is_checked_in_constant_time_and_depends_on_the_kind() -> None:
    psk = Secret("psk", b"\x01" * 32)
    digest = b"\x02" * 32
    binder = compute_binder("sha256", psk, False, digest)
    assert check_binder("sha256", psk, False, digest, binder)
    assert not check_binder("sha256", psk, True, digest, binder)
    assert not check_binder("sha256", psk, False, b"\x03" * 32, binder)
    assert not check_binder("sha256", psk, False, digest, binder[:-1])


def _ticket(received_at: float = 100.0, lifetime: int = 60, n: int = 0) -> ClientTicket:
    return ClientTicket(version=0x0304, cipher_suite=0x1301, identity=bytes([n]) * 8,
                        secret=Secret("psk", b"\x05" * 32), received_at=received_at,
                        lifetime=lifetime, ticket_age_add=0xFFFFFFF0)


def test_client_store_is_single_use_newest_first_and_bounded() -> None:
    store = InMemoryTicketStore(max_servers=2, per_server=2)
    for n in range(3):
        store.put("a", _ticket(n=n))
    assert len(store) == 2
    assert [store.take("a", 101.0).identity[0] for _ in range(2)] == [2, 1]  # type: ignore[union-attr]
    assert store.take("a", 101.0) is None
    store.put("a", _ticket())
    store.put("b", _ticket())
    store.put("c", _ticket())
    assert store.take("a", 101.0) is None  # least recently used server went first
    assert store.take("c", 101.0) is not None


def test_client_store_skips_expired_and_can_be_multi_use() -> None:
    store = InMemoryTicketStore(single_use=False)
    store.put("a", _ticket(lifetime=10))
    assert store.take("a", 111.0) is None
    store.put("a", _ticket())
    assert store.take("a", 101.0) == store.take("a", 102.0) is not None


def test_obfuscated_age_wraps_modulo_2_32() -> None:
    assert obfuscated_ticket_age(_ticket(), 100.5) == (500 + 0xFFFFFFF0) & 0xFFFFFFFF


def test_replay_store_refuses_repeats_until_expiry_and_when_full() -> None:
    store = InMemoryReplayStore(max_entries=2)
    assert store.claim(b"x", 0.0, 10.0)
    assert not store.claim(b"x", 5.0, 15.0)
    assert store.claim(b"y", 5.0, 15.0)
    assert not store.claim(b"z", 5.0, 15.0)  # full of live tokens: refuse (§8.2)
    assert store.claim(b"x", 11.0, 20.0)  # expired, so it may be claimed again


def test_session_cache_expires_and_is_bounded() -> None:
    cache = InMemorySessionCache(max_entries=2)
    cache.put(b"1", b"s1", 10.0)
    cache.put(b"2", b"s2", 10.0)
    assert cache.get(b"1", 5.0) == b"s1"
    cache.put(b"3", b"s3", 10.0)
    assert cache.get(b"2", 5.0) is None  # least recently used
    assert cache.get(b"1", 11.0) is None
    cache.remove(b"3")
    assert cache.get(b"3", 5.0) is None


def test_external_psk_is_validated_and_hidden() -> None:
    psk = ExternalPsk(b"id", b"k" * 32)
    assert "kkkk" not in repr(psk)
    for bad in ({"identity": b""}, {"key": b"short"}, {"hash_name": "md5"}):
        args: dict[str, object] = {"identity": b"id", "key": b"k" * 32, **bad}
        with pytest.raises(ConfigError):
            ExternalPsk(**args)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 5), st.integers(1, 8)),
                    max_size=60),
       capacity=st.integers(1, 5))
def test_replay_store_matches_a_model(ops: list[tuple[int, int, int]], capacity: int) -> None:
    """Against a plain dict: a token is refused while live, the store never holds more
    than its capacity, and a full store refuses rather than forgets (§8.2)."""
    store = InMemoryReplayStore(max_entries=capacity)
    model: dict[bytes, float] = {}
    now = 0.0
    for token_n, step, ttl in ops:
        now += step
        token = bytes([token_n])
        model = {t: e for t, e in model.items() if e > now}
        expected = token not in model and len(model) < capacity
        assert store.claim(token, now, now + ttl) is expected
        if expected:
            model[token] = now + ttl
        assert len(store) == len(model) <= capacity


def test_stores_shared_by_threads() -> None:
    """A threaded server shares one config: one claim wins, one key per epoch, and a
    single-use ticket goes to one connection only."""
    import threading

    store = InMemoryReplayStore()
    keys = RotatingTicketKeys()
    tickets = InMemoryTicketStore()
    for n in range(200):
        tickets.put("a", _ticket(n=n % 256))
    wins: list[bool] = []
    made: list[bytes] = []
    taken: list[bytes] = []
    start = threading.Barrier(8)

    def worker(seed: int) -> None:
        start.wait()
        wins.extend(store.claim(n.to_bytes(2, "big"), 0.0, 10.0) for n in range(300))
        made.append(keys.current(1000.0, lambda k: bytes([seed]) * k).key)
        while (ticket := tickets.take("a", 101.0)) is not None:
            taken.append(ticket.identity)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 300
    assert len(set(made)) == 1
    assert len(taken) == len(set(taken)) == 4  # per_server keeps the newest four


def test_format_1_session_state_is_still_read() -> None:
    """Tickets sealed before the authentication time was added (format 1) still open; their
    issue time stands in for it."""
    current = _STATE.to_bytes()
    assert current[0] == 2
    # Format 1 is format 2 without the 8-byte authenticated_at_ms after issued_at_ms.
    at = 1 + 2 + 2 + 1 + len(_STATE.secret) + 8
    old = b"\x01" + current[1:at] + current[at + 8:]
    decoded = SessionState.from_bytes(old)
    assert decoded == _STATE  # _STATE was authenticated when it was issued
    with pytest.raises(DecodeError):
        SessionState.from_bytes(b"\x03" + current[1:])
