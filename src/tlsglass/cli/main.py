"""The `tlsglass` command: argument parsing and presentation only.

    tlsglass demo                 a tlsglass client and server handshake on loopback
    tlsglass connect HOST[:PORT]  like `openssl s_client`: show the session, relay stdin/stdout
    tlsglass serve                like `openssl s_server`: echo, or a small HTTPS responder
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import selectors
import socket
import sys
import threading
from collections.abc import Sequence

import tlsglass
from tlsglass import (
    CertifiedKey,
    CipherSuite,
    ClientConfig,
    NamedGroup,
    ProtocolVersion,
    ServerConfig,
    TLSError,
    TrustStore,
)
from tlsglass.ca import ThrowawayCA
from tlsglass.enums import AlertDescription, SignatureScheme, describe
from tlsglass.io import (
    KeyLogFile,
    TLSSocket,
    TruncatedError,
    connect,
    key_log_from_environment,
    wrap_server,
)
from tlsglass.observe import MessageTrace, TraceRecord
from tlsglass.wire import ALPN, ClientHello, SignatureAlgorithms, SupportedGroups, find

__all__ = ["main"]

_VERSIONS = {"1.2": ProtocolVersion.TLS1_2, "1.3": ProtocolVersion.TLS1_3}


def _enum_list(kind: type[CipherSuite] | type[NamedGroup], text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    out = []
    for name in text.split(","):
        try:
            out.append(kind[name.strip().upper().replace("-", "_")])
        except KeyError:
            choices = ", ".join(m.name for m in kind)
            raise SystemExit(f"tlsglass: unknown {kind.__name__} {name!r}; "
                             f"choose from {choices}") from None
    return tuple(out)


def _common_options(config: dict[str, object], args: argparse.Namespace) -> None:
    if args.alpn:
        config["alpn_protocols"] = tuple(args.alpn)
    if args.suites:
        config["cipher_suites"] = _enum_list(CipherSuite, args.suites)
    if args.groups:
        config["groups"] = _enum_list(NamedGroup, args.groups)
    if args.min_version:
        config["minimum_version"] = _VERSIONS[args.min_version]
    if args.max_version:
        config["maximum_version"] = _VERSIONS[args.max_version]
    if args.keylog:
        config["key_log"] = KeyLogFile(args.keylog)
    elif (from_env := key_log_from_environment()) is not None:
        config["key_log"] = from_env  # SSLKEYLOGFILE set for this command: the user asked


def _describe_session(tls: TLSSocket, verified: bool) -> list[str]:
    conn = tls.conn
    scheme = conn.signature_scheme
    lines = [
        f"version:          {tls.version()}",
        f"cipher suite:     {tls.cipher()}",
        f"key exchange:     {tls.group()}",
        f"signature scheme: {describe(SignatureScheme, scheme) if scheme else '-'}",
        f"ALPN protocol:    {tls.selected_alpn_protocol() or '-'}",
        f"server name:      {conn.server_name or '-'}",
    ]
    for i, cert in enumerate(conn.peer_certificates):
        names = ", ".join((*cert.dns_names, *cert.ip_addresses)) or "-"
        lines += [f"certificate {i}:    {cert.subject}",
                  f"  issuer:         {cert.issuer}",
                  f"  valid:          {cert.not_before:%Y-%m-%d %H:%M} to "
                  f"{cert.not_after:%Y-%m-%d %H:%M} UTC",
                  f"  names:          {names}",
                  f"  key:            {cert.key_description}, signed with "
                  f"{cert.signature_algorithm}"]
    lines.append("verification:     " + ("OK: the chain leads to a trusted root and names "
                                         "this server" if verified else
                                         "SKIPPED (--insecure): anyone could be on the other end"))
    return lines


# -- demo --------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
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
        print("\n".join("  " + line for line in _describe_session(tls, True)))
        tls.sendall(b"hello over TLS")
        print(f"  sent 'hello over TLS', got back {tls.recv().decode()!r}")
    thread.join(5)
    listener.close()
    return 0


# -- connect -------------------------------------------------------------------


def _split_hostport(text: str, default_port: int = 443) -> tuple[str, int]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = text.rpartition(":")
    if not sep or ":" in host:
        return text, default_port
    try:
        return host, int(port)
    except ValueError:
        raise SystemExit(f"tlsglass: {port!r} is not a port number") from None


def _client_config(args: argparse.Namespace, host: str) -> ClientConfig:
    options: dict[str, object] = {"server_name": args.servername or host}
    if args.cafile:
        options["trust"] = TrustStore.from_file(args.cafile)
    elif args.capath:
        options["trust"] = TrustStore.from_directory(args.capath)
    options["insecure_skip_verification"] = args.insecure
    if args.cert:
        options["certificate"] = CertifiedKey.from_files(args.cert, args.key or args.cert)
    _common_options(options, args)
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


def _connect(args: argparse.Namespace) -> int:
    host, port = _split_hostport(args.target)
    config = _client_config(args, host)
    with connect(host, port, config, timeout=args.timeout) as tls:
        print("\n".join(_describe_session(tls, not args.insecure)), file=sys.stderr, flush=True)
        if not args.no_relay:
            _relay(tls)
    return 0


# -- serve -----------------------------------------------------------------------


def _server_config(args: argparse.Namespace) -> ServerConfig:
    options: dict[str, object] = {}
    if args.cert:
        keys = args.key or args.cert
        if len(keys) != len(args.cert):
            raise SystemExit("tlsglass: give one --key for each --cert")
        options["certificates"] = tuple(CertifiedKey.from_files(c, k)
                                        for c, k in zip(args.cert, keys, strict=True))
    else:
        ca = ThrowawayCA.create()
        options["certificates"] = (ca.issue_server("localhost", "127.0.0.1", "::1"),)
        print("tlsglass: no --cert given; using a throwaway certificate for localhost "
              "(clients must skip verification or trust this root):\n"
              + ca.root_pem.decode(), file=sys.stderr)
    if args.client_ca:
        options["client_trust"] = TrustStore.from_file(args.client_ca)
        options["client_auth"] = args.client_auth
    _common_options(options, args)
    return ServerConfig(**options)  # type: ignore[arg-type]


def _offer_summary(hello: ClientHello | None) -> list[str]:
    if hello is None:
        return []
    groups = find(hello.extensions, SupportedGroups)
    schemes = find(hello.extensions, SignatureAlgorithms)
    alpn = find(hello.extensions, ALPN)
    return [
        "client offered suites:  " + ", ".join(describe(CipherSuite, s)
                                               for s in hello.cipher_suites),
        "client offered groups:  " + (", ".join(describe(NamedGroup, g) for g in groups.values)
                                      if groups else "-"),
        "client offered schemes: " + (", ".join(describe(SignatureScheme, s)
                                                for s in schemes.values) if schemes else "-"),
        "client offered ALPN:    " + (", ".join(p.decode("latin-1")
                                                for p in alpn.protocol_name_list)
                                      if alpn else "-"),
    ]


def _http_answer(tls: TLSSocket, hello: ClientHello | None) -> None:
    request = b""
    while b"\r\n\r\n" not in request and len(request) < 65536:
        chunk = tls.recv()
        if not chunk:
            return
        request += chunk
    lines = _describe_session(tls, False)[:6] + _offer_summary(hello)
    body = ("<!doctype html><title>tlsglass</title><h1>Your TLS connection</h1><pre>\n"
            + "\n".join(lines) + "\n</pre>\n").encode()
    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def _serve_one(sock: socket.socket, peer: str, config: ServerConfig, http: bool) -> None:
    hellos: list[ClientHello] = []

    def sink(record: TraceRecord) -> None:
        if isinstance(record, MessageTrace) and isinstance(record.message, ClientHello):
            hellos.append(record.message)

    sock.settimeout(30)
    try:
        with wrap_server(sock, dataclasses.replace(config, trace=sink)) as tls:
            who = tls.conn.peer_certificates[0].subject if tls.conn.peer_certificates else ""
            print(f"{peer}: {tls.version()} {tls.cipher()} {tls.group()} {who}".rstrip(),
                  file=sys.stderr)
            if http:
                _http_answer(tls, hellos[-1] if hellos else None)
            else:
                while data := tls.recv():
                    tls.sendall(data)
    except (TLSError, OSError) as exc:
        print(f"{peer}: {_explain(exc)}", file=sys.stderr)


def _serve(args: argparse.Namespace) -> int:
    config = _server_config(args)
    with socket.create_server((args.host, args.port)) as listener:
        mode = "HTTPS responder" if args.http else "echo server"
        print(f"tlsglass {mode} on {args.host}:{listener.getsockname()[1]}",
              file=sys.stderr, flush=True)
        while True:
            sock, address = listener.accept()
            threading.Thread(target=_serve_one, args=(sock, address[0], config, args.http),
                             daemon=True).start()


# -- errors for a person -------------------------------------------------------


def _explain(exc: BaseException) -> str:
    if isinstance(exc, tlsglass.RemoteProtocolError):
        return (f"handshake failed: {exc} (we sent the alert "
                f"{describe(AlertDescription, exc.alert).lower()})")
    if isinstance(exc, tlsglass.FatalAlertReceived):
        return f"the peer refused the connection: it sent the alert " \
               f"{describe(AlertDescription, exc.description).lower()}"
    if isinstance(exc, TruncatedError):
        return "the connection was cut without close_notify (data may be missing)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: nothing is listening there"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out: the peer did not answer in time"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name: {exc.strerror}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    return str(exc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tlsglass",
                                     description="TLS 1.3 you can see through.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="a tlsglass client and server handshake on loopback")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--alpn", action="append", help="ALPN protocol (repeat for several)")
        p.add_argument("--suites", help="comma-separated TLS 1.3 suites, e.g. "
                                        "TLS_AES_128_GCM_SHA256")
        p.add_argument("--groups", help="comma-separated groups, e.g. X25519MLKEM768,X25519")
        p.add_argument("--min-version", choices=sorted(_VERSIONS))
        p.add_argument("--max-version", choices=sorted(_VERSIONS))
        p.add_argument("--keylog", help="append secrets to this NSS key log file (Wireshark)")

    p = sub.add_parser("connect", help="connect to HOST[:PORT], show the session, relay data")
    p.add_argument("target", help="HOST, HOST:PORT or [IPv6]:PORT (default port 443)")
    p.add_argument("--cafile", help="trust these roots instead of the system's")
    p.add_argument("--capath", help="trust the roots in this directory")
    p.add_argument("--servername", help="SNI and the name to verify (default: HOST)")
    p.add_argument("--cert", help="client certificate chain (PEM)")
    p.add_argument("--key", help="client private key (PEM)")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--no-relay", action="store_true", help="show the session and exit")
    p.add_argument("--insecure", action="store_true",
                   help="do NOT verify the server's certificate (insecure)")
    common(p)

    p = sub.add_parser("serve", help="an echo server or HTTPS responder")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--cert", action="append", help="certificate chain (repeat; chosen by SNI)")
    p.add_argument("--key", action="append", help="private key for each --cert")
    p.add_argument("--client-ca", help="ask clients for a certificate from these roots (mTLS)")
    p.add_argument("--client-auth", choices=("optional", "required"), default="required",
                   help="with --client-ca: whether a client certificate is required")
    p.add_argument("--http", action="store_true",
                   help="answer any request with a page describing the connection")
    common(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"demo": _demo, "connect": _connect, "serve": _serve}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 130
    except (TLSError, OSError) as exc:
        print(f"tlsglass: {_explain(exc)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

