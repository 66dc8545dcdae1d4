"""`tlsglass serve --http DIR`: the static-file HTTPS server of tlsglass.http, from the shell.

The main site is DIR with --cert/--key (or a throwaway certificate for localhost);
each --site DIR:CERT:KEY adds a site on the same port, chosen by SNI among its
certificate's names. SIGINT or SIGTERM shuts down gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from tlsglass import CertifiedKey, TrustStore
from tlsglass.ca import ThrowawayCA
from tlsglass.cli._common import apply_common_options, explain
from tlsglass.trace import Recorder, render_text

__all__ = ["add_static_options", "narrate", "run_static"]

_PRINT_LOCK = threading.Lock()  # one story at a time on stdout (serve's echo threads)


def narrate(peer: str, recorder: Recorder, with_bytes: bool) -> None:
    """`serve --trace`: print one connection's story in one write, so that concurrent
    clients' stories do not interleave."""
    story = recorder.story("server", with_bytes=with_bytes)
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    with _PRINT_LOCK:
        sys.stdout.write(f"--- handshake from {peer} ---\n" + render_text(story, colour=colour))
        sys.stdout.flush()


def add_static_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", action="append", default=[], metavar="DIR:CERT:KEY",
                   help="with --http DIR: another site on the same port, chosen by SNI "
                        "among its certificate's names (repeat)")
    p.add_argument("--redirect-port", type=int,
                   help="with --http DIR: also listen for plain HTTP here, redirecting to HTTPS")
    p.add_argument("--hsts", type=int, metavar="SECONDS",
                   help="with --http DIR: send Strict-Transport-Security with this max-age")
    p.add_argument("--access-log", metavar="FILE", help="access log file (default: stderr)")
    p.add_argument("--handshake-timeout", type=float, default=10.0)
    p.add_argument("--idle-timeout", type=float, default=30.0,
                   help="close kept-alive connections idle this long (seconds)")


def _main_certificate(args: argparse.Namespace) -> CertifiedKey:
    if args.cert:
        if len(args.cert) > 1:
            raise SystemExit("tlsglass: with --http DIR, give one --cert; add sites with --site")
        return CertifiedKey.from_files(args.cert[0], (args.key or args.cert)[0])
    ca = ThrowawayCA.create()
    print("tlsglass: no --cert given; using a throwaway certificate for localhost "
          "(clients must trust this root):\n" + ca.root_pem.decode(), file=sys.stderr)
    return ca.issue_server("localhost", "127.0.0.1", "::1")


def _sites(args: argparse.Namespace) -> list[Any]:
    from tlsglass.http import Site

    extra = []
    for entry in args.site:  # checked before a throwaway certificate is made
        parts = entry.split(":")
        if len(parts) != 3:
            raise SystemExit(f"tlsglass: --site wants DIR:CERT:KEY, not {entry!r}")
        extra.append(parts)
    if not Path(args.http).is_dir():
        raise SystemExit(f"tlsglass: the document root {args.http} is not a folder")
    sites = [Site(Path(args.http), _main_certificate(args))]
    for root, cert, key in extra:
        sites.append(Site(Path(root), CertifiedKey.from_files(cert, key)))
    return sites


def _tls_options(args: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {}
    if args.client_ca:
        options["client_trust"] = TrustStore.from_file(args.client_ca)
        options["client_auth"] = args.client_auth
    apply_common_options(options, args)
    return options


async def _serve(args: argparse.Namespace, log: TextIO) -> None:
    from tlsglass.http import HTTPSServer, ServerOptions, server_config

    sites = _sites(args)
    with_bytes = args.trace_bytes
    options = ServerOptions(
        hsts_max_age=args.hsts, handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout, access_log=lambda r: print(r.line(), file=log, flush=True),
        handshake_log=lambda peer, exc: print(f"{peer}: {explain(exc)}", file=sys.stderr,
                                              flush=True),
        narrate=(lambda peer, recorder: narrate(peer, recorder, with_bytes))
        if args.trace else None)
    server = HTTPSServer(sites, options, config=server_config(sites, **_tls_options(args)))
    await server.start(args.host, args.port, redirect_port=args.redirect_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    names = "; ".join(f"{', '.join(s.names)} from {s.root}" for s in sites)
    redirect = f", redirecting http://{args.host}:{server.redirect_port}/" \
        if server.redirect_port is not None else ""
    print(f"tlsglass HTTPS server on https://{args.host}:{server.port}/{redirect} "
          f"(sites: {names})", file=sys.stderr, flush=True)
    await stop.wait()
    print("tlsglass: shutting down (finishing requests in progress)", file=sys.stderr, flush=True)
    await server.shutdown()


def run_static(args: argparse.Namespace) -> int:
    try:
        import tlsglass.http  # noqa: F401  (needs the `http` extra: h11, h2)
    except ImportError:
        raise SystemExit("tlsglass: serving files needs the http extra: "
                         "pip install 'tlsglass[http]'") from None
    with contextlib.ExitStack() as stack:
        log = (stack.enter_context(open(args.access_log, "a", encoding="utf-8"))
               if args.access_log else sys.stderr)
        asyncio.run(_serve(args, log))
    return 0
