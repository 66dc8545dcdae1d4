"""`tlsglass scan HOST[:PORT]`: is this server's TLS really secure?

Presentation only: the probes, findings and verdict live in tlsglass.scan.
Progress goes to stderr (one updating line on a terminal); the report goes to
stdout as text (coloured on a terminal) or as JSON (docs/scan-schema.md).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sys

from tlsglass import TrustStore
from tlsglass.cli._common import split_hostport
from tlsglass.scan import Target, render_text, scan, to_json

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("scan", help="scan HOST[:PORT]: versions, suites, features, "
                                    "certificate, and a verdict")
    p.add_argument("target", help="HOST, HOST:PORT or [IPv6]:PORT (default port 443)")
    p.add_argument("--servername", help="SNI and the name to check (default: HOST unless an IP)")
    p.add_argument("--cafile", help="judge the chain against these roots, not the system's")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--concurrency", type=int, default=8, help="probes at once (default 8)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per probe")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _server_name(args: argparse.Namespace, host: str) -> str | None:
    if args.servername:
        return str(args.servername)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None  # RFC 6066 §3: literal IP addresses are not sent as SNI


def _progress(count: int, label: str) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    print(f"\x1b[2K[{count:4}] {label}" if end == "\r" else f"[{count:4}] {label}",
          end=end, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    host, port = split_hostport(args.target)
    trust = TrustStore.from_file(args.cafile) if args.cafile else TrustStore.system()
    target = Target(host=host, port=port, server_name=_server_name(args, host),
                    timeout=args.timeout)
    report = asyncio.run(scan(target, trust, concurrency=max(1, args.concurrency),
                              progress=None if args.quiet else _progress))
    if not args.quiet and sys.stderr.isatty():
        print("\x1b[2K", end="\r", file=sys.stderr)
    if args.format == "json":
        print(to_json(report))
    else:
        colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        print(render_text(report, colour), end="")
    return 0 if report.reachable else 2
