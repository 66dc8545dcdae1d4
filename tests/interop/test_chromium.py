"""A real browser: headless Chromium loads two sites from `tlsglass serve --http` by SNI.

The certificates come from `tlsglass ca` and the CA is trusted the way a person would
do it, `tlsglass ca trust --nss-db` into a fresh NSS database under a temporary HOME
(no --ignore-certificate-errors): the README's "how do I get SSL" story end to end.
Host names are mapped to
127.0.0.1 inside Chromium only. The server's access log says what the connection
negotiated: TLS 1.3, HTTP/2 through ALPN, and the group, which this test reports
(Chromium offers X25519MLKEM768 and tlsglass prefers it). Every Chromium run is
bounded in time and its whole process group is stopped.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from peers import free_port, need, run, wait_for_port
from websites import Web, make_web

pytestmark = pytest.mark.interop

_LIMIT = 90.0  # seconds for one Chromium run; a page load takes about one


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Web:
    return make_web(tmp_path_factory.mktemp("web"))


def _nss_home(tmp: Path, name: str) -> Path:
    """A HOME with an empty NSS database (what Chromium on Linux reads): it trusts nothing
    until `tlsglass ca trust --nss-db` adds a root."""
    home = tmp / name
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    certutil = need("certutil")
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    return home


def _chromium(home: Path, *args: str) -> str:
    """Run headless Chromium with HOME=home; its stdout. Always stops the process group.

    Each run has a fresh profile, so that no page comes from the previous run's cache.
    """
    profile = tempfile.mkdtemp(prefix="profile-", dir=home)
    command = [need("chromium"), "--headless", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}",
               "--host-resolver-rules=MAP a.test 127.0.0.1, MAP b.test 127.0.0.1", *args]
    if os.geteuid() == 0:
        command.insert(2, "--no-sandbox")  # Chromium's sandbox refuses to run as root
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=_LIMIT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return out.decode(errors="replace")


def _tlsglass(*args: str, home: Path | None = None) -> None:
    env = {**os.environ, "HOME": str(home)} if home is not None else None
    result = subprocess.run([sys.executable, "-m", "tlsglass", *args], capture_output=True,
                            text=True, timeout=60, check=False, env=env)
    assert result.returncode == 0, result.stderr


def test_chromium_loads_sites_over_tls13(web: Web, tmp_path: Path) -> None:
    ca = tmp_path / "ca"
    _tlsglass("ca", "init", "--dir", str(ca))
    _tlsglass("ca", "issue", "server", "a.test", "--dir", str(ca))
    _tlsglass("ca", "issue", "server", "b.test", "--dir", str(ca))
    cert_a, key_a = ca / "issued" / "a.test.pem", ca / "issued" / "a.test.key"
    cert_b, key_b = ca / "issued" / "b.test.pem", ca / "issued" / "b.test.key"
    port = free_port()
    serve = [sys.executable, "-m", "tlsglass", "serve", "--port", str(port),
             "--http", str(web.root_a), "--cert", str(cert_a), "--key", str(key_a),
             "--site", f"{web.root_b}:{cert_b}:{key_b}", "--hsts", "300"]
    with run(serve, tmp_path, "tlsglass-serve") as server:
        wait_for_port(port, server.proc)
        home = _nss_home(tmp_path, "home")
        _tlsglass("ca", "trust", "--dir", str(ca), "--nss-db", home=home)  # ~/.pki/nssdb
        page_a = _chromium(home, "--dump-dom", f"https://a.test:{port}/")
        page_b = _chromium(home, "--dump-dom", f"https://b.test:{port}/")
        shot = tmp_path / "a.test.png"
        _chromium(home, f"--screenshot={shot}", "--window-size=800,600",
                  f"https://a.test:{port}/")
        # Control: a browser that does not trust the CA gets no page.
        untrusting = _nss_home(tmp_path, "untrusting")
        refused = _chromium(untrusting, "--dump-dom", f"https://a.test:{port}/")
        log = server.wait_output("sni=b.test")
    assert '<h1 id="site">site A</h1>' in page_a
    assert '<h1 id="site">site B</h1>' in page_b
    assert "site A" not in refused
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert '"GET /style.css HTTP/2" 200' in log  # the page's stylesheet, same connection
    served = re.findall(r'"GET / HTTP/(\S+)" 200 \d+ site=(\S+) tls=(\S+) group=(\S+) '
                        r"alpn=(\S+) sni=(\S+)", log)
    assert {s[1] for s in served} == {"a.test", "b.test"}
    assert len(served) == 3  # a.test twice (DOM, screenshot), b.test once; none untrusted
    for http_version, site, tls, _group, alpn, sni in served:
        assert (http_version, tls, alpn, sni) == ("2", "TLS1_3", "h2", site)
    groups = {s[3] for s in served}
    print(f"\nChromium negotiated: TLS 1.3, HTTP/2, group {', '.join(sorted(groups))}; "
          f"screenshot {shot}")
    assert groups == {"X25519MLKEM768"}
