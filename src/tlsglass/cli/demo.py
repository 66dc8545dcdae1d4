"""`tlsglass demo`: watch a whole TLS 1.3 handshake from both sides, no network needed.

A tlsglass server with a throwaway CA listens on 127.0.0.1; a tlsglass client that
trusts only that CA connects, sends one encrypted HTTP request and reads the
answer. Both sides record what their engine did, and the two stories are printed
side by side (one after the other when the terminal is narrow), then the request
and response that travelled encrypted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import threading
from pathlib import Path

from tlsglass import ClientConfig, ServerConfig, TLSError
from tlsglass.ca import ThrowawayCA
from tlsglass.cli._common import describe_session
from tlsglass.io import connect, wrap_server
from tlsglass.trace import Recorder, Story, render_html, render_text, side_by_side

__all__ = ["add_parser", "run"]

_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 28\r\n\r\n"
             b"hello from a tlsglass server")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="a tlsglass client and server handshake on loopback, "
                                    "explained step by step")
    p.add_argument("--bytes", action="store_true",
                   help="show each message's bytes, field by field")
    p.add_argument("--html", metavar="FILE", help="also write both stories as one HTML page")
    p.add_argument("--width", type=int, help="terminal width (default: detected)")


def _serve(listener: socket.socket, config: ServerConfig, errors: list[BaseException]) -> None:
    try:
        sock, _ = listener.accept()
        with wrap_server(sock, config) as tls:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = tls.recv()
                if not chunk:
                    return
                request += chunk
            tls.sendall(_RESPONSE)
    except (TLSError, OSError) as exc:
        errors.append(exc)


def _handshake(client: Recorder, server: Recorder) -> tuple[list[str], bytes]:
    ca = ThrowawayCA.create()
    server_config = ServerConfig(certificates=(ca.issue_server("localhost", "127.0.0.1"),),
                                 alpn_protocols=("http/1.1",), trace=server)
    errors: list[BaseException] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        thread = threading.Thread(target=_serve, args=(listener, server_config, errors),
                                  daemon=True)
        thread.start()
        config = ClientConfig(server_name="localhost", trust=ca.trust,
                              alpn_protocols=("http/1.1",), trace=client)
        with connect("127.0.0.1", port, config) as tls:
            session = describe_session(tls, True)
            tls.sendall(_REQUEST)
            response = b""
            while len(response) < len(_RESPONSE) and (chunk := tls.recv()):
                response += chunk
        thread.join(10)
    if errors:
        raise errors[0]
    return session, response


def _print_stories(client: Story, server: Story, width: int) -> None:
    column = (width - 3) // 2
    if column >= 72:
        print(side_by_side(render_text(client, width=column - 2),
                           render_text(server, width=column - 2), column))
        return
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    print(render_text(client, colour=colour, width=min(width, 96) - 2))
    print(render_text(server, colour=colour, width=min(width, 96) - 2))


def run(args: argparse.Namespace) -> int:
    client, server = Recorder(), Recorder()
    session, response = _handshake(client, server)
    client_story = client.story(with_bytes=args.bytes)
    server_story = server.story(with_bytes=args.bytes)
    width = args.width or shutil.get_terminal_size((100, 24)).columns
    print("tlsglass demo: a tlsglass client and a tlsglass server on 127.0.0.1, with a "
          "throwaway CA that only this client trusts.\n")
    _print_stories(client_story, server_story, width)
    print("The session, as the client sees it:")
    print("\n".join("  " + line for line in session))
    print("\nThen, encrypted under the application traffic keys (RFC 8446 §5.2):")
    print("  client -> server: " + repr(_REQUEST.decode()))
    print("  server -> client: " + repr(response.decode("latin-1")))
    if args.html:
        Path(args.html).write_text(render_html(client_story, server_story,
                                               title="tlsglass demo: both sides of a "
                                                     "TLS 1.3 handshake"), encoding="utf-8")
        print(f"\nBoth stories as one page: {args.html}")
    return 0
