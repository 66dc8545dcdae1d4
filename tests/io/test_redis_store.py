"""Two tlsglass server processes sharing a real `redis-server` (on 127.0.0.1, a free port,
no persistence): each resumes the other's tickets and takes 0-RTT data on them, and a
replayed 0-RTT ClientHello is refused by the second server. Plus the stores on their own."""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

import tlsglass
from helpers import Pki
from peers import Process, free_port, need, run, wait_for_port
from tlsglass import Connection, InMemoryTicketStore
from tlsglass.io import connect
from tlsglass.io.redis_store import RedisReplayStore, RedisSessionCache, RedisTicketKeys
from tlsglass.session import open_ticket, seal_ticket
from tlsglass.wire import SessionState

pytestmark = pytest.mark.interop

FLEET_SERVER = Path(__file__).resolve().parent / "redis_fleet_server.py"


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    need("redis-server")
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(directory)]
    with run(args, directory, "redis") as proc:
        wait_for_port(port, proc.proc)
        yield port
        proc.proc.terminate()


@pytest.fixture()
def r(redis_port: int) -> redis.Redis:
    client = redis.Redis(host="127.0.0.1", port=redis_port)
    client.flushall()
    return client


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = Pki()
    directory = tmp_path_factory.mktemp("fleet")
    (directory / "ca.pem").write_bytes(pki.pem)
    cert, key = pki.write(directory, pki.issue())
    return {"ca": directory / "ca.pem", "cert": cert, "key": key}


def _port_of(server: Process) -> int:
    match = re.search(r"LISTENING (\d+)", server.wait_output("LISTENING"))
    assert match
    return int(match.group(1))


def test_two_servers_share_tickets_and_replay_protection(r: redis.Redis, redis_port: int,
                                                         pem: dict[str, Path],
                                                         tmp_path: Path) -> None:
    args = [sys.executable, str(FLEET_SERVER), str(redis_port), str(pem["cert"]),
            str(pem["key"])]
    with ExitStack() as stack:
        a = stack.enter_context(run(args, tmp_path, "server_a"))
        b = stack.enter_context(run(args, tmp_path, "server_b"))
        port_a, port_b = _port_of(a), _port_of(b)
        client = tlsglass.ClientConfig.for_server(
            "localhost", ca_file=pem["ca"], ticket_store=InMemoryTicketStore(),
            enable_early_data=True)
        with connect("127.0.0.1", port_a, client) as tls:
            tls.sendall(b"full")
            assert tls.recv() == b"full" and not tls.conn.resumed
        # B opens A's ticket (same key from Redis) and takes the 0-RTT data.
        with connect("127.0.0.1", port_b, client, early_data=b"early to b") as tls:
            assert tls.recv() == b"early to b"
            assert tls.conn.resumed and tls.early_data_accepted
        b.wait_output("handshake resumed=True early=10")
        # A 0-RTT flight that A accepts...
        conn = Connection(client)
        conn.start_handshake()
        conn.send_early_data(b"pay 100")
        flight = conn.data_to_send()
        with socket.create_connection(("127.0.0.1", port_a)) as sock:
            sock.sendall(flight)
            while not conn.handshake_complete:
                conn.receive_data(sock.recv(65536))
            sock.sendall(conn.data_to_send())
        a.wait_output("handshake resumed=True early=7")
        # ...replayed by an attacker to B: B resumes, but refuses the early data.
        with socket.create_connection(("127.0.0.1", port_b)) as sock:
            sock.sendall(flight)
            out = b.wait_output("early_data rejected")
        rejected = [line for line in out.splitlines() if line.startswith("early_data rejected")]
        assert "seen before" in rejected[-1]  # §8.2, by the record A left in Redis
        assert "early=7" not in out


def test_ticket_keys_are_shared_and_rotate(r: redis.Redis) -> None:
    now = 1_000_000.0
    one = RedisTicketKeys(r, rotation_interval=100, grace_period=50)
    two = RedisTicketKeys(r, rotation_interval=100, grace_period=50)
    state = SessionState(version=0x0304, cipher_suite=0x1301, secret=bytes(32),
                         issued_at_ms=0, authenticated_at_ms=0, lifetime=10)
    ticket = seal_ticket(one.current(now, lambda n: b"\x01" * n), state, lambda n: bytes(n))
    assert two.current(now, lambda n: b"\x02" * n) == one.current(now, lambda n: bytes(n))
    assert open_ticket(two, ticket, now + 120) == state  # grace period
    assert open_ticket(RedisTicketKeys(r, rotation_interval=100, grace_period=50), ticket,
                       now + 160) is None
    assert 0 < r.pttl("tlsglass:ticket-key:10000") <= 150_000


def test_replay_store_and_session_cache(r: redis.Redis) -> None:
    store = RedisReplayStore(r)
    assert store.claim(b"binder", 0.0, 5.0)
    assert not RedisReplayStore(r).claim(b"binder", 1.0, 6.0)
    cache = RedisSessionCache(r)
    cache.put(b"\x01" * 32, b"state", time.time() + 60)
    assert RedisSessionCache(r).get(b"\x01" * 32, time.time()) == b"state"
    cache.remove(b"\x01" * 32)
    assert cache.get(b"\x01" * 32, time.time()) is None


def test_redis_down_fails_safe(redis_port: int) -> None:
    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    assert not RedisReplayStore(dead).claim(b"x", 0.0, 1.0)  # refuse 0-RTT (§8.2)
    assert RedisTicketKeys(dead).lookup(bytes(8), 1.0) is None
    assert RedisSessionCache(dead).get(b"id", 0.0) is None
