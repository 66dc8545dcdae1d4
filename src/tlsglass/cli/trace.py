"""`tlsglass trace HOST[:PORT]` or `tlsglass trace https://...`: the handshake, step by step.

Connects with the tlsglass client, records what the engine reports and prints the
story: text (colour on a terminal, plain when piped), JSON or one HTML page. For
an https:// URL it also sends a GET and shows the response's status line. A
failing handshake is traced up to the failure, and the exit status is 1.
`--reveal-secrets` adds the traffic secrets to the story and writes a key log.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

from tlsglass import CertifiedKey, ClientConfig, KeyLog, TLSError, TrustStore
from tlsglass.cli._common import (
    add_common_options,
    apply_common_options,
    explain,
    split_hostport,
)
from tlsglass.io import TLSSocket, connect, key_log_from_environment
from tlsglass.trace import Recorder, Story, render_html, render_json, render_text

__all__ = ["add_parser", "output_story", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("trace", help="explain a real handshake with HOST[:PORT], step by step")
    p.add_argument("target", help="HOST, HOST:PORT, [IPv6]:PORT or https://HOST[:PORT]/PATH")
    p.add_argument("--format", choices=("text", "json", "html"), default="text")
    p.add_argument("-o", "--output", help="write the story to this file instead of stdout")
    p.add_argument("--bytes", action="store_true",
                   help="show each message's bytes, field by field, and its record header")
    p.add_argument("--reveal-secrets", action="store_true",
                   help="show the traffic secrets and write them as a key log "
                        "(local demonstrations only)")
    p.add_argument("--cafile", help="trust these roots instead of the system's")
    p.add_argument("--capath", help="trust the roots in this directory")
    p.add_argument("--servername", help="SNI and the name to verify (default: HOST)")
    p.add_argument("--cert", help="client certificate chain (PEM), for servers that ask")
    p.add_argument("--key", help="client private key (PEM)")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--insecure", action="store_true",
                   help="do NOT verify the server's certificate (insecure)")
    add_common_options(p)  # --alpn, --suites, --groups, versions, --keylog


def _target(text: str) -> tuple[str, int, str | None]:
    """Host, port and, for a URL, the path to GET."""
    if "://" not in text:
        host, port = split_hostport(text)
        return host, port, None
    url = urlsplit(text)
    if url.scheme != "https" or not url.hostname:
        raise SystemExit(f"tlsglass: only https:// URLs can be traced, not {text!r}")
    return url.hostname, url.port or 443, (url.path or "/") + (
        f"?{url.query}" if url.query else "")


def _config(args: argparse.Namespace, host: str, recorder: Recorder, http: bool
            ) -> ClientConfig:
    options: dict[str, object] = {"server_name": args.servername or host, "trace": recorder,
                                  "insecure_skip_verification": args.insecure}
    if args.cafile:
        options["trust"] = TrustStore.from_file(args.cafile)
    elif args.capath:
        options["trust"] = TrustStore.from_directory(args.capath)
    if args.cert:
        options["certificate"] = CertifiedKey.from_files(args.cert, args.key or args.cert)
    if http and not args.alpn:
        args.alpn = ["http/1.1"]
    apply_common_options(options, args)
    if args.reveal_secrets:
        options["key_log"] = _Tee(recorder.key_log, options.get("key_log"))  # type: ignore[arg-type]
    return ClientConfig(**options)  # type: ignore[arg-type]


class _Tee:
    """With --reveal-secrets: secrets go into the story, and to --keylog/SSLKEYLOGFILE too."""

    def __init__(self, first: KeyLog, second: KeyLog | None) -> None:
        self.first, self.second = first, second

    def __call__(self, label: str, client_random: bytes, secret: bytes) -> None:
        self.first(label, client_random, secret)
        if self.second is not None:
            self.second(label, client_random, secret)


def _get(tls: TLSSocket, host: str, path: str) -> str:
    """GET `path` and return the status line (the story then shows the data records)."""
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsglass-trace\r\n"
                "Connection: close\r\n\r\n".encode())
    response = b""
    while b"\r\n" not in response and len(response) < 65536:
        chunk = tls.recv()
        if not chunk:
            break
        response += chunk
    return response.split(b"\r\n", 1)[0].decode("latin-1")


def output_story(story: Story, args: argparse.Namespace, title: str) -> None:
    """Render in the chosen format to -o FILE or stdout (colour only on a terminal)."""
    if args.format == "json":
        text = render_json(story)
    elif args.format == "html":
        text = render_html(story, title=title)
    else:
        terminal = args.output is None and sys.stdout.isatty()
        colour = terminal and "NO_COLOR" not in os.environ
        width = min(shutil.get_terminal_size((98, 24)).columns, 120) - 2 if terminal else 96
        text = render_text(story, colour=colour, width=width)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"tlsglass: story written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _write_key_log(recorder: Recorder, args: argparse.Namespace) -> None:
    """--reveal-secrets with no key log of its own: write one, so Wireshark can decrypt."""
    if args.keylog or key_log_from_environment() is not None:
        print("tlsglass: secrets also written to the key log", file=sys.stderr)
        return
    path = Path("tlsglass-trace.keylog")
    with path.open("a", encoding="ascii") as f:
        f.write(recorder.key_log_lines())
    path.chmod(0o600)
    print(f"tlsglass: secrets written to {path} (NSS key log format)", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    host, port, path = _target(args.target)
    recorder = Recorder()
    config = _config(args, host, recorder, path is not None)
    status, failure = 0, ""
    try:
        with connect(host, port, config, timeout=args.timeout) as tls:
            if path is not None:
                line = _get(tls, host, path)
                print(f"tlsglass: GET {path} -> {line}", file=sys.stderr)
    except (TLSError, OSError) as exc:
        status, failure = 1, explain(exc)
    if not recorder.records:
        print(f"tlsglass: {failure}", file=sys.stderr)
        return status
    story = recorder.story(with_bytes=args.bytes, reveal=args.reveal_secrets)
    output_story(story, args, f"TLS handshake with {host}:{port}, step by step")
    if args.reveal_secrets:
        _write_key_log(recorder, args)
    if failure:
        print(f"tlsglass: {failure}", file=sys.stderr)
    return status
