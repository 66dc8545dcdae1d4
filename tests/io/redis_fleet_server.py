"""One tlsglass server process of a fleet that shares a Redis (run by test_redis_store.py).

    python redis_fleet_server.py REDIS_PORT CERT KEY

Prints `LISTENING <port>`, then serves echo connections one at a time until its
stdin closes; each negotiation decision about PSKs and 0-RTT, and each outcome,
is printed as one line so that the test can read what happened.
"""

from __future__ import annotations

import socket
import sys
import threading

import redis

import tlsglass
from tlsglass.io import wrap_server
from tlsglass.io.redis_store import RedisReplayStore, RedisTicketKeys
from tlsglass.observe import Decision, TraceRecord


def say(line: str) -> None:
    print(line, flush=True)


def trace(record: TraceRecord) -> None:
    if isinstance(record, Decision) and record.topic in ("psk", "early_data"):
        say(f"{record.topic} {record.chosen}: {record.reason}")


def serve(listener: socket.socket, config: tlsglass.ServerConfig) -> None:
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        sock.settimeout(5)
        try:
            with wrap_server(sock, config) as tls:
                say(f"handshake resumed={tls.conn.resumed} early={tls.early_data_received}")
                while data := tls.recv():
                    tls.sendall(data)
        except (tlsglass.TLSError, OSError) as exc:
            say(f"failed {type(exc).__name__}")


def main() -> None:
    redis_port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    client = redis.Redis(host="127.0.0.1", port=redis_port)
    config = tlsglass.ServerConfig.from_files(
        cert, key, ticket_keys=RedisTicketKeys(client), replay_store=RedisReplayStore(client),
        max_early_data_size=1024, trace=trace)
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=serve, args=(listener, config), daemon=True).start()
    say(f"LISTENING {listener.getsockname()[1]}")
    sys.stdin.read()  # the test closes our stdin to stop us
    listener.close()


if __name__ == "__main__":
    main()
