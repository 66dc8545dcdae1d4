"""`tlsglass connect`: like `openssl s_client`; show the session, then relay stdin/stdout."""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys

import tlsglass
from tlsglass import CertifiedKey, ClientCertificates, ClientConfig, TrustStore
from tlsglass.cli._common import (
    add_common_options,
    add_psk_options,
    apply_common_options,
    describe_session,
    psk_from_args,
    split_hostport,
)
from tlsglass.io import TLSSocket, TruncatedError, connect

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("connect", help="connect to HOST[:PORT], show the session, relay data")
    p.add_argument("target", help="HOST, HOST:PORT or [IPv6]:PORT (default port 443)")
    p.add_argument("--cafile", help="trust these roots instead of the system's")
    p.add_argument("--capath", help="trust the roots in this directory")
    p.add_argument("--servername", help="SNI and the name to verify (default: HOST)")
    p.add_argument("--cert", action="append",
                   help="client certificate chain (PEM); repeat to let the server's CA list "
                        "choose")
    p.add_argument("--key", action="append", help="client private key (PEM) for each --cert")
    p.add_argument("--post-handshake-auth", action="store_true",
                   help="let the server ask for the client certificate after the handshake")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--no-relay", action="store_true", help="show the session and exit")
    p.add_argument("--insecure", action="store_true",
                   help="do NOT verify the server's certificate (insecure)")
    add_common_options(p)
    add_psk_options(p)


def _client_config(args: argparse.Namespace, host: str) -> ClientConfig:
    options: dict[str, object] = {"server_name": args.servername or host}
    if args.cafile:
        options["trust"] = TrustStore.from_file(args.cafile)
    elif args.capath:
        options["trust"] = TrustStore.from_directory(args.capath)
    options["insecure_skip_verification"] = args.insecure
    if args.cert:
        keys = args.key or args.cert
        if len(keys) != len(args.cert):
            raise SystemExit("tlsglass: give one --key for each --cert")
        certified = tuple(CertifiedKey.from_files(c, k)
                          for c, k in zip(args.cert, keys, strict=True))
        if len(certified) == 1:
            options["certificate"] = certified[0]
        else:  # RFC 8446 §4.2.4: the first one a CA the server names issued
            options["certificate_selector"] = ClientCertificates(certified)
    options["post_handshake_auth"] = args.post_handshake_auth
    options["external_psk"] = psk_from_args(args)
    apply_common_options(options, args)
    return ClientConfig(**options)  # type: ignore[arg-type]


def _relay(tls: TLSSocket) -> None:
    """Copy stdin to the server and the server's data to stdout until either side ends."""
    sock = tls.transport
    assert isinstance(sock, socket.socket)
    stdin = sys.stdin.buffer
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ, "net")
    stdin_open = True
    try:
        sel.register(stdin, selectors.EVENT_READ, "stdin")
    except (ValueError, PermissionError):  # stdin is a regular file: send it all at once
        tls.sendall(stdin.read())
        stdin_open = False
    sock.settimeout(None)
    conn = tls.conn
    while True:
        for key, _ in sel.select():
            if key.data == "net":
                # One read of the socket at a time: a record that is not application
                # data (a ticket, a KeyUpdate) must not make us wait for more.
                events = conn.receive_data(sock.recv(65536))
                sock.sendall(conn.data_to_send())
                for event in events:
                    if isinstance(event, tlsglass.ApplicationData):
                        sys.stdout.buffer.write(event.data)
                        sys.stdout.flush()
                    elif isinstance(event, tlsglass.ConnectionClosed):
                        return
                    elif isinstance(event, tlsglass.ConnectionTruncated):
                        raise TruncatedError("the server closed the connection without "
                                             "close_notify")
            elif stdin_open:
                chunk = os.read(stdin.fileno(), 65536)
                if chunk:
                    tls.sendall(chunk)
                else:
                    sel.unregister(stdin)
                    stdin_open = False
                    tls.conn.close()  # we are done sending: close_notify
                    sock.sendall(tls.conn.data_to_send())


def run(args: argparse.Namespace) -> int:
    host, port = split_hostport(args.target)
    config = _client_config(args, host)
    with connect(host, port, config, timeout=args.timeout) as tls:
        print("\n".join(describe_session(tls, not args.insecure)), file=sys.stderr, flush=True)
        if not args.no_relay:
            _relay(tls)
    return 0
