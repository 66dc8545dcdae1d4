"""The `tlsglass` command: argument parsing and presentation only.

    tlsglass demo                 a client and a server handshake on loopback
    tlsglass connect HOST:PORT    connect, show what was negotiated, relay stdin/stdout
    tlsglass serve                an echo server (a throwaway localhost certificate by default)
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from collections.abc import Sequence

import tlsglass
from tlsglass import ClientConfig, ServerConfig, TLSError, TrustStore
from tlsglass.ca import ThrowawayCA
from tlsglass.enums import AlertDescription, SignatureScheme, describe
from tlsglass.io import TLSSocket, connect, wrap_server

__all__ = ["main"]


def _facts(tls: TLSSocket) -> list[str]:
    conn = tls.conn
    scheme = conn.signature_scheme
    lines = [
        f"  version:          {tls.version()}",
        f"  cipher suite:     {tls.cipher()}",
        f"  key exchange:     {tls.group()}",
        f"  signature scheme: {describe(SignatureScheme, scheme) if scheme else '-'}",
        f"  ALPN protocol:    {tls.selected_alpn_protocol() or '-'}",
        f"  server name:      {conn.server_name or '-'}",
    ]
    for i, cert in enumerate(conn.peer_certificates):
        lines.append(f"  certificate {i}:    {cert.subject} (issuer {cert.issuer}; "
                     f"{cert.key_description}; valid until {cert.not_after:%Y-%m-%d})")
    return lines


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
        print("\n".join(_facts(tls)))
        tls.sendall(b"hello over TLS")
        print(f"  sent 'hello over TLS', got back {tls.recv().decode()!r}")
    thread.join(5)
    listener.close()
    return 0


def _split_hostport(text: str, default_port: int = 443) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host:
        return text, default_port
    return host.strip("[]"), int(port)


def _connect(args: argparse.Namespace) -> int:
    host, port = _split_hostport(args.target)
    trust = TrustStore.from_file(args.cafile) if args.cafile else TrustStore.system()
    config = ClientConfig(server_name=args.servername or host, trust=trust,
                          alpn_protocols=tuple(args.alpn or ()),
                          insecure_skip_verification=args.insecure)
    with connect(host, port, config, timeout=args.timeout) as tls:
        print("\n".join(_facts(tls)), file=sys.stderr)
        data = sys.stdin.buffer.read() if not sys.stdin.isatty() else b""
        if data:
            tls.sendall(data)
        while chunk := tls.recv():
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
    return 0


def _serve(args: argparse.Namespace) -> int:
    if args.cert:
        config = ServerConfig.from_files(args.cert, args.key)
    else:
        config = ServerConfig(certificates=(ThrowawayCA.create().issue_server(),))
    with socket.create_server((args.host, args.port)) as listener:
        print(f"tlsglass echo server on {args.host}:{listener.getsockname()[1]}",
              file=sys.stderr, flush=True)
        while True:
            sock, peer = listener.accept()
            try:
                with wrap_server(sock, config) as tls:
                    while data := tls.recv():
                        tls.sendall(data)
            except (TLSError, OSError) as exc:
                print(f"{peer[0]}: {exc}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tlsglass", description=tlsglass.__doc__.splitlines()[0]
                                     if tlsglass.__doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="handshake between a tlsglass client and server on loopback")
    p = sub.add_parser("connect", help="connect to HOST:PORT and relay stdin/stdout")
    p.add_argument("target")
    p.add_argument("--cafile")
    p.add_argument("--servername")
    p.add_argument("--alpn", action="append")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--insecure", action="store_true",
                   help="do not verify the server's certificate (INSECURE)")
    p = sub.add_parser("serve", help="an echo server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--cert")
    p.add_argument("--key")
    args = parser.parse_args(argv)
    handlers = {"demo": _demo, "connect": _connect, "serve": _serve}
    try:
        return handlers[args.command](args)
    except tlsglass.RemoteProtocolError as exc:
        print(f"tlsglass: handshake failed: {exc} (we sent the alert "
              f"{describe(AlertDescription, exc.alert)})", file=sys.stderr)
    except tlsglass.FatalAlertReceived as exc:
        print(f"tlsglass: {exc}", file=sys.stderr)
    except (TLSError, OSError) as exc:
        print(f"tlsglass: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
