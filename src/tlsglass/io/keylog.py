"""SSLKEYLOGFILE: the NSS key log format that Wireshark and other tools read.

Each line is `LABEL <client_random hex> <secret hex>`; see
https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/.
A `KeyLogFile` is a `KeyLog` hook for ClientConfig/ServerConfig. It appends and
flushes each line at once, under a lock, so several connections may share one.
Secrets leave tlsglass only through such a hook, and only when a user sets one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["KeyLogFile", "format_line", "key_log_from_environment"]


def format_line(label: str, client_random: bytes, secret: bytes) -> str:
    return f"{label} {client_random.hex()} {secret.hex()}\n"


class KeyLogFile:
    """Appends NSS key log lines to `path` (created 0600 if it does not exist)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.close(fd)

    def __repr__(self) -> str:
        return f"KeyLogFile({str(self.path)!r})"

    def __call__(self, label: str, client_random: bytes, secret: bytes) -> None:
        line = format_line(label, client_random, secret)
        with self._lock, self.path.open("a", encoding="ascii") as f:
            f.write(line)


def key_log_from_environment(environ: dict[str, str] | None = None) -> KeyLogFile | None:
    """A KeyLogFile for $SSLKEYLOGFILE, when the user asks for it by setting it."""
    env = os.environ if environ is None else environ
    path = env.get("SSLKEYLOGFILE")
    return KeyLogFile(path) if path else None
