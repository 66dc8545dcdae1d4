"""The static-file responder: (site, method, target) -> Response; no protocol, no network.

GET and HEAD are served; any other method gets 405 with Allow (RFC 9110 §15.5.6).
A folder named without its trailing slash is redirected to it (so relative links
resolve), and a folder is served through its index.html; there are no listings.
"""

from __future__ import annotations

import email.utils
import html
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from tlsglass.http._site import Site, content_type, resolve_path, split_target

__all__ = ["CHUNK", "REASONS", "Response", "error_response", "respond"]

CHUNK: Final = 1 << 16  # bytes read from a file per write
REASONS: Final[dict[int, str]] = {
    200: "OK", 301: "Moved Permanently", 304: "Not Modified", 308: "Permanent Redirect",
    400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
    413: "Content Too Large", 421: "Misdirected Request", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 503: "Service Unavailable",
}
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """What to answer: status, headers (with content-length), and a body or an open file."""

    status: int
    headers: Headers
    body: bytes = b""
    file: BinaryIO | None = field(default=None, repr=False)
    file_size: int = 0
    head: bool = False  # HEAD: the headers describe the body, which is not sent

    @property
    def body_length(self) -> int:
        if self.head:
            return 0
        return self.file_size if self.file is not None else len(self.body)

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces of at most CHUNK bytes; stops early if the file shrank."""
        if self.head:
            return
        if self.file is None:
            if self.body:
                yield self.body
            return
        left = self.file_size
        while left > 0:
            data = self.file.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def error_response(status: int, extra: Headers = (), head: bool = False) -> Response:
    reason = REASONS.get(status, "Error")
    body = (f"<!doctype html><title>{status} {reason}</title>"
            f"<h1>{status} {html.escape(reason)}</h1>\n").encode()
    headers = (("content-type", "text/html; charset=utf-8"),
               ("content-length", str(len(body))), *extra)
    return Response(status=status, headers=headers, body=body, head=head)


def _redirect(location: str, extra: Headers, head: bool) -> Response:
    body = f'<!doctype html><a href="{html.escape(location)}">moved here</a>\n'.encode()
    headers = (("location", location), ("content-type", "text/html; charset=utf-8"),
               ("content-length", str(len(body))), *extra)
    return Response(status=301, headers=headers, body=body, head=head)


def respond(site: Site, method: str, target: str, extra: Headers = (),
            if_modified_since: str | None = None) -> Response:
    """The answer to `method target` on `site`; `extra` headers go on every answer.

    With If-Modified-Since naming a time at or after the file's, the answer is 304
    (RFC 9110 §13.1.3), so that a browser's revalidation costs no body.
    """
    head = method == "HEAD"
    if method not in ("GET", "HEAD"):
        return error_response(405, (("allow", "GET, HEAD"), *extra))
    path = resolve_path(site.root, target)
    if path is None:
        return error_response(404, extra, head)
    if path.is_dir():
        url_path, url_query = split_target(target)
        if not url_path.endswith("/"):
            query = f"?{url_query}" if url_query else ""
            # One leading slash: "//host/dir/" would send the browser to another host.
            return _redirect(f"/{url_path.lstrip('/')}/{query}", extra, head)
        path = path / "index.html"
    return _file_response(path, extra, head, if_modified_since)


def _not_modified_since(mtime: float, if_modified_since: str | None) -> bool:
    if not if_modified_since:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored (RFC 9110 §13.1.3)
    if since.tzinfo is None:
        return False
    return int(mtime) <= since.timestamp()


def _file_response(path: Path, extra: Headers, head: bool,
                   if_modified_since: str | None = None) -> Response:
    if not path.is_file():  # checked before open(): opening a FIFO would block
        return error_response(404, extra, head)
    try:
        file = path.open("rb")
    except OSError:  # missing, a folder, unreadable: all look the same from outside
        return error_response(404, extra, head)
    info = os.fstat(file.fileno())
    if not stat.S_ISREG(info.st_mode):
        file.close()
        return error_response(404, extra, head)
    modified = ("last-modified", email.utils.formatdate(info.st_mtime, usegmt=True))
    if _not_modified_since(info.st_mtime, if_modified_since):
        file.close()
        return Response(status=304, headers=(modified, *extra))
    headers = (("content-type", content_type(path)), ("content-length", str(info.st_size)),
               modified, *extra)
    return Response(status=200, headers=headers, file=file, file_size=info.st_size, head=head)
