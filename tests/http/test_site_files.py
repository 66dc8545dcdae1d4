"""Sites, name lookup, safe path resolution and the static-file responder, without a network.

The path rules are also a property: whatever the request target, the file chosen
is inside the document root, or nothing is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import Pki
from tlsglass import ConfigError
from tlsglass.http import Site
from tlsglass.http._files import CHUNK, respond
from tlsglass.http._site import SiteMap, content_type, host_of, resolve_path


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    www = tmp_path / "www"
    (www / "docs").mkdir(parents=True)
    (www / "index.html").write_text("<h1>home</h1>")
    (www / "docs" / "a b.txt").write_text("spaced")
    (www / ".env").write_text("SECRET=1")
    (www / ".well-known").mkdir()
    (www / ".well-known" / "security.txt").write_text("Contact: x")
    (tmp_path / "outside.txt").write_text("not yours")
    (www / "link-out").symlink_to(tmp_path / "outside.txt")
    (www / "link-in").symlink_to(www / "index.html")
    return www.resolve()


@pytest.mark.parametrize("target", [
    "/../outside.txt", "/docs/../../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E%2Foutside.txt",
    "/docs/..%2f..%2foutside.txt", "/.env", "/docs/%2e%65nv", "/link-out", "/a%00b",
    "/..\\outside.txt", "/%ff%fe", "relative", "",
])
def test_refused_targets(root: Path, target: str) -> None:
    assert resolve_path(root, target) is None


@pytest.mark.parametrize(("target", "expected"), [
    ("/", ""), ("/index.html", "index.html"), ("/docs/a%20b.txt", "docs/a b.txt"),
    ("/docs/./a%20b.txt?x=1#f", "docs/a b.txt"), ("//docs//a%20b.txt", "docs/a b.txt"),
    ("/.well-known/security.txt", ".well-known/security.txt"), ("/link-in", "index.html"),
])
def test_allowed_targets(root: Path, target: str, expected: str) -> None:
    assert resolve_path(root, target) == (root / expected).resolve()


@settings(max_examples=300, deadline=None)
@given(target=st.text(alphabet=st.sampled_from("/.%2eEfF0\\a\x00?#~ "), max_size=40))
def test_resolution_never_leaves_the_root(tmp_path_factory: pytest.TempPathFactory,
                                          target: str) -> None:
    root = tmp_path_factory.getbasetemp().resolve()
    found = resolve_path(root, "/" + target)
    assert found is None or found.is_relative_to(root)


def test_content_types() -> None:
    assert content_type(Path("a.HTML")) == "text/html; charset=utf-8"
    assert content_type(Path("a.js")) == "text/javascript; charset=utf-8"
    assert content_type(Path("a.woff2")) == "font/woff2"
    assert content_type(Path("noext")) == "application/octet-stream"


def test_site_names_and_lookup(pki: Pki, root: Path) -> None:
    a = Site(root, pki.issue(["a.test", "*.a.test"]).certified)
    b = Site(root, pki.issue(["b.test"]).certified, names=("B.test.",))
    assert a.names == ("a.test", "*.a.test") and b.names == ("b.test",)
    sites = SiteMap.of([a, b])
    assert sites.for_server_name("www.a.test") is a
    assert sites.for_server_name("x.y.a.test") is a  # one label only: falls to the default
    assert sites.find("x.y.a.test") is None
    assert sites.for_server_name("b.test") is b and sites.for_server_name(None) is a
    assert sites.certificates == (a.certificate, b.certificate)
    assert host_of("[::1]:8443") == "::1" and host_of("a.test:443") == "a.test"
    assert host_of("a.test") == "a.test"


def test_site_refuses_a_missing_root(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a folder"):
        Site(tmp_path / "nope", pki.issue().certified)


def _site(pki: Pki, root: Path) -> Site:
    return Site(root, pki.issue(["localhost"]).certified)


def test_get_head_and_errors(pki: Pki, root: Path) -> None:
    site = _site(pki, root)
    got = respond(site, "GET", "/", (("server", "t"),))
    headers = dict(got.headers)
    assert got.status == 200 and b"".join(got.chunks()) == b"<h1>home</h1>"
    assert headers["content-type"].startswith("text/html") and headers["content-length"] == "13"
    assert headers["server"] == "t" and "last-modified" in headers
    got.close()
    head = respond(site, "HEAD", "/")
    assert head.status == 200 and dict(head.headers)["content-length"] == "13"
    assert head.body_length == 0 and list(head.chunks()) == []
    head.close()
    assert respond(site, "GET", "/nope").status == 404
    assert respond(site, "GET", "/.env").status == 404
    post = respond(site, "POST", "/")
    assert post.status == 405 and dict(post.headers)["allow"] == "GET, HEAD"
    moved = respond(site, "GET", "/docs?q=1")
    assert moved.status == 301 and dict(moved.headers)["location"] == "/docs/?q=1"
    assert respond(site, "GET", "/docs/").status == 404  # no index.html, no listing
    # "//docs" must not become a protocol-relative redirect to a host named "docs"
    assert dict(respond(site, "GET", "//docs").headers)["location"] == "/docs/"


def test_fifo_is_not_opened(pki: Pki, root: Path) -> None:
    os.mkfifo(root / "pipe")
    assert respond(_site(pki, root), "GET", "/pipe").status == 404


def test_large_file_in_chunks(pki: Pki, root: Path) -> None:
    data = os.urandom(3 * CHUNK + 5)
    (root / "big.bin").write_bytes(data)
    got = respond(_site(pki, root), "GET", "/big.bin")
    chunks = list(got.chunks())
    got.close()
    assert b"".join(chunks) == data and max(map(len, chunks)) == CHUNK


def test_conditional_get(pki: Pki, root: Path) -> None:
    site = _site(pki, root)
    first = respond(site, "GET", "/")
    first.close()
    modified = dict(first.headers)["last-modified"]
    again = respond(site, "GET", "/", if_modified_since=modified)
    assert again.status == 304 and again.body_length == 0
    assert dict(again.headers) == {"last-modified": modified}
    for stale in ("Thu, 01 Jan 1970 00:00:00 GMT", "not a date", "Thu, 01 Jan 2099 00:00:00"):
        answer = respond(site, "GET", "/", if_modified_since=stale)
        answer.close()
        assert answer.status == 200, stale
