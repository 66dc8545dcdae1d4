"""The `tlsglass` command: argument parsing and presentation only.

    tlsglass demo                 a tlsglass client and server handshake on loopback
    tlsglass connect HOST[:PORT]  like `openssl s_client`: show the session, relay stdin/stdout
    tlsglass serve                like `openssl s_server`: echo, or a small HTTPS responder
    tlsglass ca ...               a local CA: init, issue, sign, revoke, list, export, trust
    tlsglass trace HOST[:PORT]    explain a real handshake, step by step (text, JSON, HTML)
    tlsglass serve --http DIR     a static-file HTTPS server (HTTP/1.1 and HTTP/2, sites by SNI)
    tlsglass get URL              like curl: fetch a URL over tlsglass, following redirects
    tlsglass scan HOST[:PORT]     versions, suites, features, certificate and a verdict

Each command is one module with `add_parser(sub)` and `run(args) -> exit status`; add a
command by adding a module and naming it in `_COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from tlsglass import TLSError
from tlsglass.cli import ca, connect, demo, get, scan, serve, trace
from tlsglass.cli._common import explain

__all__ = ["main"]

_COMMANDS: dict[str, ModuleType] = {
    "demo": demo,
    "connect": connect,
    "serve": serve,
    "trace": trace,
    "ca": ca,
    "get": get,
    "scan": scan,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tlsglass",
                                     description="TLS 1.3 and 1.2 you can see through.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in _COMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = _COMMANDS[args.command].run
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except (TLSError, OSError) as exc:
        print(f"tlsglass: {explain(exc)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
