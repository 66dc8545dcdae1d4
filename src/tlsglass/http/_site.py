"""Sites (names + certificate + document root), lookup by name, and safe path resolution.

A request path is untrusted: it is percent-decoded once, split on "/", and refused
(None) if any segment is "..", starts with "." (dotfiles such as .git or .env are
never served; ".well-known" is the exception, RFC 8615), or holds a NUL or a
backslash. What remains is joined under the root and resolved, and a result outside
the resolved root (a symlink pointing out) is refused too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from tlsglass import CertifiedKey, ConfigError

__all__ = ["Site", "SiteMap", "content_type", "host_of", "is_ip", "resolve_path",
           "split_target"]

_TEXT: Final = "; charset=utf-8"
# A fixed table rather than the `mimetypes` module, whose answers depend on the
# machine's /etc/mime.types.
_CONTENT_TYPES: Final[dict[str, str]] = {
    ".html": "text/html" + _TEXT, ".htm": "text/html" + _TEXT, ".css": "text/css" + _TEXT,
    ".js": "text/javascript" + _TEXT, ".mjs": "text/javascript" + _TEXT,
    ".json": "application/json", ".map": "application/json", ".txt": "text/plain" + _TEXT,
    ".md": "text/markdown" + _TEXT, ".csv": "text/csv" + _TEXT, ".xml": "application/xml",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
    ".wasm": "application/wasm", ".pdf": "application/pdf", ".zip": "application/zip",
    ".gz": "application/gzip", ".mp4": "video/mp4", ".webm": "video/webm",
    ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav",
    ".pem": "application/x-pem-file", ".crt": "application/x-x509-ca-cert",
}
_DEFAULT_TYPE: Final = "application/octet-stream"


def content_type(path: Path) -> str:
    return _CONTENT_TYPES.get(path.suffix.lower(), _DEFAULT_TYPE)


def _normal_name(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass(frozen=True, slots=True)
class Site:
    """A website: the names it answers to, its certificate, and the folder it serves.

    `names` defaults to the certificate's DNS names and IP addresses. A name may be
    a wildcard ("*.example.org", one label, as in certificates).
    """

    root: Path
    certificate: CertifiedKey = field(repr=False)
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        root = Path(self.root).resolve()
        if not root.is_dir():
            raise ConfigError(f"the document root {self.root} is not a folder")
        object.__setattr__(self, "root", root)
        names = self.names or (*self.certificate.leaf.dns_names,
                               *self.certificate.leaf.ip_addresses)
        if not names:
            raise ConfigError("a site needs at least one name (its certificate names none)")
        object.__setattr__(self, "names", tuple(_normal_name(n) for n in names))

    @property
    def name(self) -> str:
        return self.names[0]

    def answers_to(self, name: str) -> bool:
        wanted = _normal_name(name)
        for pattern in self.names:
            if pattern == wanted:
                return True
            if pattern.startswith("*.") and "." in wanted \
                    and wanted.split(".", 1)[1] == pattern[2:]:
                return True
        return False


@dataclass(frozen=True, slots=True)
class SiteMap:
    """Several sites on one address: the first one is the default."""

    sites: tuple[Site, ...]

    def __post_init__(self) -> None:
        if not self.sites:
            raise ConfigError("at least one site is needed")

    @classmethod
    def of(cls, sites: Sequence[Site]) -> SiteMap:
        return cls(tuple(sites))

    @property
    def default(self) -> Site:
        return self.sites[0]

    @property
    def certificates(self) -> tuple[CertifiedKey, ...]:
        """Each site's certificate once, the default site's first (it answers without SNI)."""
        out: list[CertifiedKey] = []
        for site in self.sites:
            if all(site.certificate is not c for c in out):
                out.append(site.certificate)
        return tuple(out)

    def find(self, name: str | None) -> Site | None:
        if not name:
            return None
        return next((s for s in self.sites if s.answers_to(name)), None)

    def for_server_name(self, server_name: str | None) -> Site:
        """The site a TLS connection serves: chosen by SNI, else the default."""
        return self.find(server_name) or self.default


def host_of(authority: str) -> str:
    """The host part of a Host header or :authority ("[::1]:8443" -> "::1")."""
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    host, sep, port = authority.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host
    return authority


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of an origin-form request-target (RFC 9112 §3.2.1).

    Not urlsplit: it would read "//a/b" as a host "a" and a path "/b".
    """
    path, _, query = target.partition("?")
    return path.partition("#")[0], query.partition("#")[0]


def resolve_path(root: Path, target: str) -> Path | None:
    """The file under `root` that request-target `target` names, or None if refused."""
    path = split_target(target)[0]
    if not path.startswith("/"):
        return None
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    parts = [p for p in decoded.split("/") if p not in ("", ".")]
    for part in parts:
        if "\x00" in part or "\\" in part or part == "..":
            return None
        if part.startswith(".") and part != ".well-known":
            return None
    candidate = root.joinpath(*parts).resolve()
    if not candidate.is_relative_to(root):
        return None  # a symlink that leads out of the document root
    return candidate
