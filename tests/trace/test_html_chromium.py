"""The HTML page in a real browser: headless Chromium renders every message, each one opens
on a click, and a screenshot is kept as a test artifact (TLSGLASS_ARTIFACTS, else tmp)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from helpers import Pair, Pki, client_config, server_config
from peers import need
from tlsglass.trace import Recorder, render_html

# Test-only: click every message's summary, then record whether it opened and shows a body.
_CLICK_ALL = """<script>
const out = [];
for (const d of document.querySelectorAll('details.step')) {
  d.querySelector('summary').click();
  const body = d.querySelector('.body');
  out.push(d.id + ' ' + d.open + ' ' + (body.getBoundingClientRect().height > 20));
}
const pre = document.createElement('pre');
pre.id = 'clicked';
pre.textContent = out.join('\\n');
document.body.append(pre);
</script>"""


def _chromium(*args: str) -> str:
    result = subprocess.run(
        [need("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--virtual-time-budget=2000", *args], capture_output=True, text=True, timeout=60,
        check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_every_message_appears_and_expands_in_chromium(tmp_path: Path) -> None:
    pki = Pki()
    rc, rs = Recorder(), Recorder()
    Pair(client_config(pki, trace=rc), server_config(pki.issue(), trace=rs)).handshake()
    client, server = rc.story(with_bytes=True), rs.story(with_bytes=True)
    page = render_html(client, server)
    plain = tmp_path / "trace.html"
    plain.write_text(page, encoding="utf-8")
    dom = _chromium("--dump-dom", plain.as_uri())
    steps = [*client.steps, *server.steps]
    assert len(re.findall(r"<details class=\"step", dom)) == len(steps)
    for step in steps:
        assert f"<b>{step.title}</b>" in dom
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.replace("</body>", _CLICK_ALL + "</body>"), encoding="utf-8")
    dom = _chromium("--dump-dom", clicked.as_uri())
    [results] = re.findall(r"<pre id=\"clicked\">(.*?)</pre>", dom, re.S)
    rows = [line.split() for line in results.strip().splitlines()]
    assert [row[0] for row in rows] == [f"step-{s.number}" for s in steps]
    assert all(row[1:] == ["true", "true"] for row in rows), rows
    artifacts = Path(os.environ.get("TLSGLASS_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "trace-expanded.png"
    _chromium("--window-size=1100,4000", f"--screenshot={shot}", clicked.as_uri())
    assert shot.stat().st_size > 10_000
