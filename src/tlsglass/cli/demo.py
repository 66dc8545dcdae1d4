"""`tlsglass demo`: a tlsglass client and server shake hands on loopback, no network needed."""

from __future__ import annotations

import argparse
import socket
import threading

from tlsglass import ClientConfig, ServerConfig
from tlsglass.ca import ThrowawayCA
from tlsglass.cli._common import describe_session
from tlsglass.io import connect, wrap_server

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("demo", help="a tlsglass client and server handshake on loopback")


def run(args: argparse.Namespace) -> int:
    ca = ThrowawayCA.create()
    server_config = ServerConfig(certificates=(ca.issue_server("localhost", "127.0.0.1"),),
                                 alpn_protocols=("http/1.1",))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        sock, _ = listener.accept()
        with wrap_server(sock, server_config) as tls:
            tls.sendall(b"echo: " + tls.recv())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    config = ClientConfig(server_name="localhost", trust=ca.trust, alpn_protocols=("http/1.1",))
    with connect("127.0.0.1", port, config) as tls:
        print(f"tlsglass client connected to a tlsglass server on 127.0.0.1:{port}")
        print("\n".join("  " + line for line in describe_session(tls, True)))
        tls.sendall(b"hello over TLS")
        print(f"  sent 'hello over TLS', got back {tls.recv().decode()!r}")
    thread.join(5)
    listener.close()
    return 0
