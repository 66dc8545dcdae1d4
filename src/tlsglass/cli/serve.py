"""`tlsglass serve`: like `openssl s_server`; an echo server or a small HTTPS responder."""

from __future__ import annotations

import argparse
import dataclasses
import socket
import sys
import threading

from tlsglass import (
    CertifiedKey,
    CipherSuite,
    LocalProtocolError,
    NamedGroup,
    ServerConfig,
    TLSError,
    TrustStore,
)
from tlsglass.ca import ThrowawayCA
from tlsglass.cli._common import (
    add_common_options,
    add_psk_options,
    apply_common_options,
    describe_session,
    explain,
    psk_from_args,
)
from tlsglass.cli._static import add_static_options, narrate, run_static
from tlsglass.enums import SignatureScheme, describe
from tlsglass.io import TLSSocket, wrap_server
from tlsglass.observe import MessageTrace, TraceRecord
from tlsglass.trace import Recorder
from tlsglass.wire import ALPN, ClientHello, SignatureAlgorithms, SupportedGroups, find

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="an echo server or HTTPS responder")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--cert", action="append", help="certificate chain (repeat; chosen by SNI)")
    p.add_argument("--key", action="append", help="private key for each --cert")
    p.add_argument("--client-ca", help="ask clients for a certificate from these roots (mTLS)")
    p.add_argument("--require-client-cert", metavar="CAFILE",
                   help="short for --client-ca CAFILE --client-auth required")
    p.add_argument("--client-auth", choices=("optional", "required", "post-handshake"),
                   default="required",
                   help="with --client-ca: whether a client certificate is required, or asked "
                        "for after the handshake (TLS 1.3 post-handshake authentication)")
    p.add_argument("--http", nargs="?", const=True, default=None, metavar="DIR",
                   help="HTTPS: serve the files in DIR (HTTP/1.1 and HTTP/2); with no DIR, "
                        "answer any request with a page describing the connection")
    add_static_options(p)
    p.add_argument("--trace", action="store_true",
                   help="narrate each incoming handshake, step by step, on stdout")
    p.add_argument("--trace-bytes", action="store_true",
                   help="with --trace: also each message's bytes, field by field")
    add_common_options(p)
    add_psk_options(p)


def _server_config(args: argparse.Namespace) -> ServerConfig:
    options: dict[str, object] = {}
    psk = psk_from_args(args)
    if psk is not None:
        options["external_psks"] = (psk,)  # with no --cert: no certificate at all
    if args.cert:
        keys = args.key or args.cert
        if len(keys) != len(args.cert):
            raise SystemExit("tlsglass: give one --key for each --cert")
        options["certificates"] = tuple(CertifiedKey.from_files(c, k)
                                        for c, k in zip(args.cert, keys, strict=True))
    elif psk is None:
        ca = ThrowawayCA.create()
        options["certificates"] = (ca.issue_server("localhost", "127.0.0.1", "::1"),)
        print("tlsglass: no --cert given; using a throwaway certificate for localhost "
              "(clients must skip verification or trust this root):\n"
              + ca.root_pem.decode(), file=sys.stderr)
    if args.client_ca:
        options["client_trust"] = TrustStore.from_file(args.client_ca)
        if args.client_auth != "post-handshake":
            options["client_auth"] = args.client_auth
    apply_common_options(options, args)
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
    lines = describe_session(tls, False)[:6] + _offer_summary(hello)
    if tls.conn.peer_certificates:  # mutual TLS, in the handshake or after it
        lines.append(f"client certificate:     {tls.conn.peer_certificates[0].subject}")
    body = ("<!doctype html><title>tlsglass</title><h1>Your TLS connection</h1><pre>\n"
            + "\n".join(lines) + "\n</pre>\n").encode()
    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def _serve_one(sock: socket.socket, peer: str, config: ServerConfig, args: argparse.Namespace
               ) -> None:
    hellos: list[ClientHello] = []
    recorder = Recorder()
    narrated = threading.Event()  # after the story is told, stop recording

    def sink(record: TraceRecord) -> None:
        if isinstance(record, MessageTrace) and isinstance(record.message, ClientHello):
            hellos.append(record.message)
        if args.trace and not narrated.is_set():
            recorder(record)

    sock.settimeout(30)
    try:
        _session(sock, peer, dataclasses.replace(config, trace=sink), args.http, hellos,
                 (recorder, narrated) if args.trace else None, args.trace_bytes,
                 post_handshake=bool(args.client_ca) and args.client_auth == "post-handshake")
    except (TLSError, OSError) as exc:
        print(f"{peer}: {explain(exc)}", file=sys.stderr)
    if args.trace and not narrated.is_set() and recorder.records:
        narrate(peer, recorder, args.trace_bytes)  # a failed handshake, up to the failure


def _ask_for_certificate(tls: TLSSocket, peer: str) -> None:
    """TLS 1.3 post-handshake authentication (RFC 8446 §4.6.2), when the client offers it."""
    try:
        chain = tls.request_client_certificate()
    except LocalProtocolError as exc:
        print(f"{peer}: no client certificate requested: {exc}", file=sys.stderr)
        return
    print(f"{peer}: post-handshake client certificate: "
          f"{chain[0].subject if chain else 'none (the client declined)'}", file=sys.stderr)


def _session(sock: socket.socket, peer: str, config: ServerConfig, http: bool,
             hellos: list[ClientHello], tracing: tuple[Recorder, threading.Event] | None,
             with_bytes: bool, *, post_handshake: bool = False) -> None:
    with wrap_server(sock, config) as tls:
        if post_handshake:
            _ask_for_certificate(tls, peer)
        who = tls.conn.peer_certificates[0].subject if tls.conn.peer_certificates else ""
        print(f"{peer}: {tls.version()} {tls.cipher()} {tls.group()} {who}".rstrip(),
              file=sys.stderr)
        if tracing is not None:  # the handshake is done: tell it before serving
            narrate(peer, tracing[0], with_bytes)
            tracing[1].set()
        if http:
            _http_answer(tls, hellos[-1] if hellos else None)
        else:
            while data := tls.recv():
                tls.sendall(data)


def run(args: argparse.Namespace) -> int:
    if args.require_client_cert:
        if args.client_ca and args.client_ca != args.require_client_cert:
            raise SystemExit("tlsglass: --require-client-cert already names the client CA")
        args.client_ca, args.client_auth = args.require_client_cert, "required"
    if isinstance(args.http, str):
        if args.client_ca and args.client_auth == "post-handshake":
            raise SystemExit("tlsglass: --client-auth post-handshake works with the echo "
                             "server and the responder, not with --http DIR")
        return run_static(args)
    if args.site or args.redirect_port is not None or args.hsts is not None:
        raise SystemExit("tlsglass: --site, --redirect-port and --hsts need --http DIR "
                         "(the static-file server)")
    config = _server_config(args)
    with socket.create_server((args.host, args.port)) as listener:
        mode = "HTTPS responder" if args.http else "echo server"
        print(f"tlsglass {mode} on {args.host}:{listener.getsockname()[1]}",
              file=sys.stderr, flush=True)
        while True:
            sock, address = listener.accept()
            threading.Thread(target=_serve_one, args=(sock, address[0], config, args),
                             daemon=True).start()
