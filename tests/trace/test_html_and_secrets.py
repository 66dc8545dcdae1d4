"""The HTML page is well-formed and self-contained; no rendering shows a secret unless asked."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from helpers import Pair, Pki, client_config, server_config
from tlsglass.observe import MessageTrace
from tlsglass.trace import Recorder, Story, render_html, render_json, render_text
from tlsglass.wire import Finished

_VOID = {"meta", "br", "hr", "img", "input", "link"}


class _Checker(HTMLParser):
    """Tracks nesting; records every tag and attribute that could fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.fetching: list[str] = []
        self.details_ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action") or (value and "url(" in value):
                self.fetching.append(f"{tag} {name}={value}")
        if tag == "details":
            self.details_ids.append(dict(attrs).get("id") or "")
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()


def _handshake(reveal: bool = False) -> tuple[Story, Story, list[bytes], list[bytes]]:
    pki = Pki()
    secrets: list[bytes] = []
    rc, rs = Recorder(), Recorder()
    client_log = rc.key_log if reveal else (lambda label, cr, s: secrets.append(s))
    pair = Pair(client_config(pki, trace=rc, key_log=client_log),
                server_config(pki.issue(), trace=rs,
                              key_log=lambda label, cr, s: secrets.append(s))).handshake()
    pair.client.send_application_data(b"hello")
    pair.pump()
    finished = [r.message.verify_data for r in rc.records
                if isinstance(r, MessageTrace) and isinstance(r.message, Finished)]
    return (rc.story(with_bytes=True, reveal=reveal), rs.story(with_bytes=True), secrets,
            finished)


def test_html_is_well_formed_and_self_contained() -> None:
    client, server, _, _ = _handshake()
    page = render_html(client, server, title="<both> & sides")
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    assert checker.fetching == []
    assert "script" not in checker.tags and "link" not in checker.tags
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;both&gt; &amp; sides" in page
    # Every step of both stories is one expandable element, numbered in order.
    assert checker.details_ids == [f"step-{s.number}" for s in (*client.steps, *server.steps)]
    for step in client.steps:
        assert f"<b>{step.title}</b>" in page
    assert "Message bytes:" in page and "legacy_session_id" in page


def test_no_secret_in_any_rendering() -> None:
    client, server, secrets, finished = _handshake()
    assert len(secrets) >= 10 and finished
    for story in (client, server):
        for text in (render_text(story), render_json(story), render_html(story),
                     repr(story)):
            for value in (*secrets, *finished):
                assert value.hex() not in text and value.hex(" ") not in text


def test_reveal_shows_the_secrets_and_a_key_log() -> None:
    client, _, _, _ = _handshake(reveal=True)
    labels = [label for label, _ in client.secrets]
    assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in labels and "CLIENT_TRAFFIC_SECRET_0" in labels
    text = render_text(client)
    for label, value in client.secrets:
        assert f"{label} {value}" in text
    finished = [f for s in client.steps if s.title == "Finished" for f in s.message_bytes
                if f.label == "verify_data"]
    assert finished and not any(f.hidden for f in finished)


@pytest.mark.parametrize("render", [render_text, render_json, render_html])
def test_reveal_is_needed_even_with_a_key_log(render: object) -> None:
    """A Recorder used as key log keeps its secrets out of stories built without reveal."""
    pki = Pki()
    rc = Recorder()
    Pair(client_config(pki, trace=rc, key_log=rc.key_log),
         server_config(pki.issue())).handshake()
    values = [line.split()[2] for line in rc.key_log_lines().splitlines()]
    assert values
    text = render(rc.story(with_bytes=True))  # type: ignore[operator]
    assert not any(v in text for v in values)
