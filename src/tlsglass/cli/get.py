"""`tlsglass get URL`: a curl-like HTTPS client on httpx over tlsglass; follows redirects.

-v prints the TLS facts (as `connect` does), a summary of the handshake trace and
the HTTP exchange to stderr; the body goes to stdout or to -o FILE.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tlsglass import CertifiedKey, TLSError, TrustStore
from tlsglass.cli._common import add_common_options, apply_common_options, describe_session, explain
from tlsglass.enums import AlertDescription, HandshakeType, describe
from tlsglass.observe import AlertTrace, Decision, MessageTrace, TraceRecord

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("get", help="fetch an https:// URL (like curl), following redirects")
    p.add_argument("url")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the TLS session, the handshake and the HTTP headers")
    p.add_argument("-o", "--output", help="write the body to this file instead of stdout")
    p.add_argument("--cacert", help="trust these roots (PEM) instead of the system's")
    p.add_argument("--cert", help="client certificate chain (PEM), for mutual TLS")
    p.add_argument("--key", help="client private key (PEM)")
    p.add_argument("--resolve", action="append", default=[], metavar="HOST:PORT:ADDR",
                   help="connect to ADDR for HOST:PORT (repeat), keeping HOST for SNI")
    p.add_argument("--http2", action="store_true", help="offer HTTP/2 (h2) as well")
    p.add_argument("--head", "-I", action="store_true", help="send HEAD; show the headers")
    p.add_argument("--max-redirs", type=int, default=10, help="redirects to follow (0: none)")
    p.add_argument("--timeout", type=float, default=30.0)
    add_common_options(p)


def _resolve_map(entries: list[str]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    for entry in entries:
        host, _, rest = entry.partition(":")
        port, _, address = rest.partition(":")
        if not (host and port.isdigit() and address):
            raise SystemExit(f"tlsglass: --resolve wants HOST:PORT:ADDR, not {entry!r}")
        out[(host, int(port))] = address.strip("[]")
    return out


class _TraceSummary:
    """Collects a one-line-per-step summary of each handshake (messages, decisions, alerts)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, record: TraceRecord) -> None:
        if isinstance(record, MessageTrace):
            arrow = ">" if record.direction == "out" else "<"
            kind = describe(HandshakeType, record.raw[0]) if record.raw else "?"
            self.lines.append(f"  {arrow} {kind} ({len(record.raw)} bytes)")
        elif isinstance(record, Decision):
            reason = f" ({record.reason})" if record.reason else ""
            self.lines.append(f"  = {record.topic}: {record.chosen}{reason}")
        elif isinstance(record, AlertTrace):
            name = describe(AlertDescription, record.description).lower()
            self.lines.append(f"  ! alert {record.direction}: {name} {record.reason}".rstrip())


def _transport(args: argparse.Namespace, trace: _TraceSummary | None) -> Any:
    from tlsglass.http import TLSGlassTransport  # needs the `http` extra (httpx)

    options: dict[str, Any] = {}
    apply_common_options(options, args)
    options.pop("alpn_protocols", None)  # ALPN follows --http2
    if trace is not None:
        options["trace"] = trace
    trust = TrustStore.from_file(args.cacert) if args.cacert else None
    certificate = (CertifiedKey.from_files(args.cert, args.key or args.cert)
                   if args.cert else None)
    return TLSGlassTransport(trust=trust, certificate=certificate, http2=args.http2,
                             resolve=_resolve_map(args.resolve), **options)


def _show_exchange(response: Any, trace: _TraceSummary) -> None:
    err = sys.stderr
    stream = response.extensions.get("network_stream")
    tls = stream.get_extra_info("tlsglass") if stream is not None else None
    if trace.lines:
        print("* handshake:", *trace.lines, sep="\n", file=err)
        trace.lines.clear()
    if tls is not None:
        print(*("* " + line for line in describe_session(tls, True)), sep="\n", file=err)
    request = response.request
    print(f"> {request.method} {request.url.raw_path.decode()} {response.http_version}", file=err)
    for name, value in request.headers.items():
        print(f"> {name}: {value}", file=err)
    print(f"< {response.http_version} {response.status_code} {response.reason_phrase}", file=err)
    for name, value in response.headers.items():
        print(f"< {name}: {value}", file=err)


def run(args: argparse.Namespace) -> int:
    try:
        import httpx
    except ImportError:
        raise SystemExit("tlsglass: `get` needs the http extra: pip install 'tlsglass[http]'") \
            from None
    trace = _TraceSummary() if args.verbose else None
    method = "HEAD" if args.head else "GET"
    try:
        with httpx.Client(transport=_transport(args, trace), timeout=args.timeout,
                          follow_redirects=args.max_redirs > 0,
                          max_redirects=max(args.max_redirs, 0)) as client:
            response = client.request(method, args.url)
    except httpx.HTTPError as exc:
        print(f"tlsglass: {_explain_http(exc)}", file=sys.stderr)
        return 1
    if args.verbose:
        for earlier in response.history:
            print(f"* redirected: {earlier.status_code} -> {earlier.headers.get('location')}",
                  file=sys.stderr)
        _show_exchange(response, trace or _TraceSummary())
    elif args.head:
        print(f"{response.http_version} {response.status_code} {response.reason_phrase}")
        for name, value in response.headers.items():
            print(f"{name}: {value}")
    if args.output:
        with open(args.output, "wb") as out:
            out.write(response.content)
    elif not args.head:
        sys.stdout.buffer.write(response.content)
        sys.stdout.flush()
    return 0


def _explain_http(exc: BaseException) -> str:
    """The deepest TLS or network cause, in a sentence; else httpx's own message."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, TLSError | OSError):
            return explain(cause)
        # httpcore re-raises its errors `from None`: the context still holds ours.
        cause = cause.__cause__ or cause.__context__
    import httpx

    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects (see --max-redirs)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL: {exc} (give an https:// or http:// URL)"
    return str(exc) or type(exc).__name__
