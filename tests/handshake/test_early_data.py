"""0-RTT in memory (RFC 8446 §2.3, §4.2.10, §8): accepted, rejected for each reason, the
replayed ClientHello refused, limits on both sides, and HRR ending 0-RTT."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

import tlsglass
from helpers import (
    Pair,
    Pki,
    Splitter,
    byte_by_byte,
    client_config,
    random_splits,
    server_config,
    whole,
)
from tlsglass import AlertDescription as AD
from tlsglass import (
    Connection,
    EarlyDataAccepted,
    EarlyDataReceived,
    EarlyDataRejected,
    InMemoryTicketStore,
    LocalProtocolError,
    NamedGroup,
)
from tlsglass.errors import RemoteProtocolError
from tlsglass.observe import Decision


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def _ready(pki: Pki, client: dict[str, object] | None = None,
           server: dict[str, object] | None = None
           ) -> tuple[tlsglass.ClientConfig, tlsglass.ServerConfig]:
    """Configs after one full handshake, so the client holds 0-RTT tickets."""
    options: dict[str, object] = {"ticket_store": InMemoryTicketStore(),
                                  "enable_early_data": True, **(client or {})}
    c = client_config(pki, **options)
    s = server_config(pki.issue(), **{"max_early_data_size": 1024, **(server or {})})
    Pair(c, s).handshake()
    return c, s


def _zero_rtt(c: tlsglass.ClientConfig, s: tlsglass.ServerConfig, data: bytes = b"GET /",
              split: Splitter = whole) -> Pair:
    pair = Pair(c, s, split)
    pair.client.start_handshake()
    pair.client.send_early_data(data)
    pair.pump()
    assert pair.client.handshake_complete and pair.server.handshake_complete
    return pair


def _early(events: list[tlsglass.Event]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, EarlyDataReceived))


def _complete(events: list[tlsglass.Event]) -> tlsglass.HandshakeComplete:
    return next(e for e in events if isinstance(e, tlsglass.HandshakeComplete))


@pytest.mark.parametrize("split", [whole, byte_by_byte, random_splits(9)],
                         ids=["whole", "byte_by_byte", "random_splits"])
def test_accepted(pki: Pki, split: Splitter) -> None:
    c, s = _ready(pki)
    pair = Pair(c, s, split)
    pair.client.start_handshake()
    assert pair.client.early_data_limit == 1024
    pair.client.send_early_data(b"GET / ")
    pair.client.send_early_data(b"HTTP/1.1")
    assert pair.client.early_data_limit == 1024 - 14
    pair.pump()
    assert _early(pair.server_events) == b"GET / HTTP/1.1"
    assert any(isinstance(e, EarlyDataAccepted) for e in pair.client_events)
    assert _complete(pair.client_events).early_data_accepted
    assert _complete(pair.server_events).early_data_accepted
    assert pair.client.early_data_limit == 0  # over once the server answered
    pair.client.send_application_data(b"1-RTT")
    pair.pump()
    assert pair.data("server") == b"1-RTT"


@pytest.mark.parametrize(("client", "server", "why"), [
    ({}, {"max_early_data_size": 0}, "0-RTT is off"),
    ({"alpn_protocols": ("h2", "http/1.1")}, {"alpn_protocols": ("http/1.1",)}, "ALPN"),
    ({}, {"clock": lambda: time.time() + 30}, "age"),
], ids=["server_off", "alpn_changed", "ticket_age"])
def test_rejected_but_resumed(pki: Pki, client: dict[str, object], server: dict[str, object],
                              why: str) -> None:
    h2: dict[str, object] = {"alpn_protocols": ("h2",)}
    base_client = h2 if "alpn_protocols" in client else {}
    base_server = h2 if "alpn_protocols" in server else {}
    c, s = _ready(pki, base_client, base_server)
    reasons: list[str] = []

    def sink(record: object) -> None:
        if isinstance(record, Decision) and record.topic == "early_data":
            reasons.append(record.reason)

    pair = _zero_rtt(replace(c, **client), replace(s, trace=sink, **server))  # type: ignore[arg-type]
    assert pair.server.resumed and _early(pair.server_events) == b""
    assert any(isinstance(e, EarlyDataRejected) for e in pair.client_events)
    assert not _complete(pair.client_events).early_data_accepted
    assert why in reasons[0]


def test_replayed_client_hello_is_refused(pki: Pki) -> None:
    c, s = _ready(pki)
    client = Connection(c)
    client.start_handshake()
    client.send_early_data(b"transfer 100")
    first_flight = client.data_to_send()
    assert _early(Connection(s).receive_data(first_flight)) == b"transfer 100"
    # An attacker sends the same bytes again: the binder is recorded (§8.2).
    replayed = Connection(s)
    assert _early(replayed.receive_data(first_flight)) == b""
    assert replayed.resumed  # still a resumption, with the early data skipped


def test_replay_to_a_server_with_its_own_replay_store_is_only_stopped_by_sharing(
        pki: Pki) -> None:
    """Why the ReplayStore must be shared by every server that shares ticket keys."""
    c, s = _ready(pki)
    client = Connection(c)
    client.start_handshake()
    client.send_early_data(b"x")
    flight = client.data_to_send()
    Connection(s).receive_data(flight)
    other = replace(s, replay_store=tlsglass.InMemoryReplayStore())
    assert _early(Connection(other).receive_data(flight)) == b"x"


def test_single_use_tickets_also_stop_the_replay(pki: Pki) -> None:
    c, s = _ready(pki, server={"single_use_tickets": True})
    client = Connection(c)
    client.start_handshake()
    client.send_early_data(b"x")
    flight = client.data_to_send()
    Connection(s).receive_data(flight)
    replayed = Connection(s)  # §8.1: the ticket is spent, so not even a resumption
    assert _early(replayed.receive_data(flight)) == b"" and not replayed.resumed


def test_hello_retry_request_ends_0rtt(pki: Pki) -> None:
    c, s = _ready(pki, client={"key_share_groups": (NamedGroup.X25519,)})
    pair = _zero_rtt(c, replace(s, groups=(NamedGroup.SECP256R1,)), split=byte_by_byte)
    assert pair.server.resumed and _early(pair.server_events) == b""
    assert any(isinstance(e, EarlyDataRejected) for e in pair.client_events)


def test_client_limits(pki: Pki) -> None:
    c, _ = _ready(pki)
    conn = Connection(c)
    conn.start_handshake()
    with pytest.raises(LocalProtocolError):
        conn.send_early_data(bytes(1025))
    without_ticket = Connection(client_config(pki, enable_early_data=True))
    without_ticket.start_handshake()
    assert without_ticket.early_data_limit == 0
    with pytest.raises(LocalProtocolError):
        without_ticket.send_early_data(b"x")
    not_enabled = Connection(replace(c, enable_early_data=False))
    not_enabled.start_handshake()
    assert not_enabled.early_data_limit == 0


def test_server_enforces_max_early_data_size(pki: Pki) -> None:
    c, s = _ready(pki)
    store = c.ticket_store
    assert isinstance(store, InMemoryTicketStore)
    ticket = store.take("localhost", time.time())
    assert ticket is not None
    store.put("localhost", replace(ticket, max_early_data_size=4096))  # a lying client
    client = Connection(c)
    client.start_handshake()
    client.send_early_data(bytes(2048))
    with pytest.raises(RemoteProtocolError) as info:
        Connection(s).receive_data(client.data_to_send())
    assert info.value.alert == AD.UNEXPECTED_MESSAGE


def test_refused_early_data_larger_than_16_kib_is_skipped(pki: Pki) -> None:
    """A server whose tickets allow 40 KiB skips that much when it refuses (a replay here)."""
    c, s = _ready(pki, server={"max_early_data_size": 40_000})
    client = Connection(c)
    client.start_handshake()
    client.send_early_data(bytes(30_000))
    flight = client.data_to_send()
    Connection(s).receive_data(flight)
    replayed = Connection(s)
    assert _early(replayed.receive_data(flight)) == b""  # skipped, not an error
    assert not replayed.failed
