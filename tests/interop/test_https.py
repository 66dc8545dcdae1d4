"""HTTPS against real peers: curl and gnutls-cli fetch from `tlsglass serve --http DIR`;
`tlsglass get` and httpx over tlsglass fetch from Python's http.server behind
Python's ssl (OpenSSL), with and without a client certificate.

Everything listens on 127.0.0.1 on free ports and is stopped by the test that
started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import http.server
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import Pki
from peers import Process, free_port, need, run, wait_for_port
from tlsglass import CertifiedKey
from tlsglass.http import AsyncTLSGlassTransport, TLSGlassTransport
from websites import Web, make_web

pytestmark = pytest.mark.interop

TLSGLASS = [sys.executable, "-m", "tlsglass"]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Web:
    return make_web(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def pem(web: Web, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("pem")
    cert_a, key_a = web.pki.write(directory, web.a, "a")
    cert_b, key_b = web.pki.write(directory, web.b, "b")
    client = web.pki.issue(["client"], server=False)
    cert_c, key_c = web.pki.write(directory, client, "client")
    return {"a": cert_a, "a_key": key_a, "b": cert_b, "b_key": key_b, "client": cert_c,
            "client_key": key_c}


@contextlib.contextmanager
def tlsglass_serve(web: Web, pem: dict[str, Path], tmp: Path, *extra: str
                   ) -> Iterator[tuple[int, int, Process]]:
    port, plain = free_port(), free_port()
    args = [*TLSGLASS, "serve", "--port", str(port), "--redirect-port", str(plain),
            "--http", str(web.root_a), "--cert", str(pem["a"]), "--key", str(pem["a_key"]),
            "--site", f"{web.root_b}:{pem['b']}:{pem['b_key']}", "--hsts", "31536000", *extra]
    with run(args, tmp, "tlsglass-serve") as server:
        wait_for_port(port, server.proc)
        wait_for_port(plain, server.proc)
        yield port, plain, server
        # Ctrl-C is a graceful shutdown: the server says so and exits cleanly.
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(15) == 0, server.output()
        assert "shutting down" in server.output()


def _curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([need("curl"), "-sS", *args], capture_output=True, timeout=30,
                          check=False)


def test_curl_http1_http2_sites_and_redirect(web: Web, pem: dict[str, Path],
                                             tmp_path: Path) -> None:
    with tlsglass_serve(web, pem, tmp_path) as (port, plain, server):
        resolve = ["--resolve", f"a.test:{port}:127.0.0.1", "--resolve", f"b.test:{port}:127.0.0.1",
                   "--resolve", f"b.test:{plain}:127.0.0.1", "--cacert", str(web.ca_file)]
        facts = "%{http_version} %{response_code} %{ssl_verify_result}\n"
        h1 = _curl(*resolve, "--http1.1", "--tlsv1.3", "-w", facts, f"https://a.test:{port}/")
        h2 = _curl(*resolve, "--http2", "-w", facts, f"https://b.test:{port}/")
        big = _curl(*resolve, "--http2", f"https://a.test:{port}/big.bin")
        head = _curl(*resolve, "-I", f"https://a.test:{port}/style.css")
        missing = _curl(*resolve, "-w", facts, "-o", "/dev/null", f"https://a.test:{port}/x/")
        moved = _curl(*resolve, "-L", "-w", facts, f"http://b.test:{plain}/")
        log = server.wait_output("GET / HTTP/1.1")
    assert h1.returncode == 0, h1.stderr
    assert h1.stdout.decode().endswith("site A</h1>\n1.1 200 0\n")
    assert h2.stdout.decode().endswith("site B</h1>\n2 200 0\n")
    assert hashlib.sha256(big.stdout).digest() == hashlib.sha256(web.big).digest()
    head_text = head.stdout.decode().lower()
    assert "content-type: text/css; charset=utf-8" in head_text
    assert "strict-transport-security: max-age=31536000" in head_text
    assert missing.stdout.decode() == "2 404 0\n"
    assert moved.stdout.decode().endswith("site B</h1>\n2 200 0\n")
    assert "tls=TLS1_3" in log and "sni=b.test" in log


def test_gnutls_cli_gets_a_page(web: Web, pem: dict[str, Path], tmp_path: Path) -> None:
    with tlsglass_serve(web, pem, tmp_path) as (port, _, _server), run(
            [need("gnutls-cli"), "--x509cafile", str(web.ca_file), "--port", str(port),
             "--alpn", "http/1.1", "localhost"], tmp_path, "gnutls-cli") as client:
        client.wait_output("Handshake was completed")
        client.send(b"GET /style.css HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        out = client.wait_output("green }")
    assert "HTTP/1.1 200 OK" in out and "(TLS1.3" in out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def python_https(root: Path, pki: Pki, pem: dict[str, Path], client_ca: bool = False
                 ) -> Iterator[int]:
    """Python's http.server behind Python's ssl, in a thread; yields its port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem["a"], pem["a_key"])
    if client_ca:
        context.load_verify_locations(cadata=pki.pem.decode())
        context.verify_mode = ssl.CERT_REQUIRED
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _get(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*TLSGLASS, "get", *args], capture_output=True, timeout=30,
                          check=False)


def test_tlsglass_get_from_python_ssl(web: Web, pem: dict[str, Path], tmp_path: Path) -> None:
    with python_https(web.root_a, web.pki, pem) as port:
        out = tmp_path / "big.bin"
        saved = _get("--cacert", str(web.ca_file), "-o", str(out), f"https://localhost:{port}/big.bin")
        verbose = _get("-v", "--cacert", str(web.ca_file), f"https://127.0.0.1:{port}/")
        untrusted = _get(f"https://localhost:{port}/")
    assert saved.returncode == 0, saved.stderr
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(web.big).digest()
    err = verbose.stderr.decode()
    assert verbose.returncode == 0, err
    assert b"site A" in verbose.stdout
    assert "version:          TLS1_3" in err and "> CLIENT_HELLO" in err
    assert "< HTTP/1.0 200 OK" in err and "verification:     OK" in err
    assert untrusted.returncode == 1
    assert "tlsglass: " in untrusted.stderr.decode() and "certificate" in untrusted.stderr.decode()


def test_tlsglass_get_with_client_certificate(web: Web, pem: dict[str, Path]) -> None:
    with python_https(web.root_a, web.pki, pem, client_ca=True) as port:
        url = f"https://localhost:{port}/style.css"
        with_cert = _get("--cacert", str(web.ca_file), "--cert", str(pem["client"]),
                         "--key", str(pem["client_key"]), url)
        without = _get("--cacert", str(web.ca_file), url)
    assert with_cert.returncode == 0 and with_cert.stdout == b"h1 { color: green }\n"
    assert without.returncode == 1
    assert "alert certificate_required" in without.stderr.decode()


def test_tlsglass_get_follows_redirects_from_tlsglass_serve(
        web: Web, pem: dict[str, Path], tmp_path: Path) -> None:
    with tlsglass_serve(web, pem, tmp_path) as (port, plain, _):
        got = _get("--cacert", str(web.ca_file), "--http2", "-v",
                   "--resolve", f"b.test:{plain}:127.0.0.1",
                   "--resolve", f"b.test:{port}:127.0.0.1", f"http://b.test:{plain}/")
    err = got.stderr.decode()
    assert got.returncode == 0, err
    assert b"site B" in got.stdout
    assert f"* redirected: 301 -> https://b.test:{port}/" in err
    assert "ALPN protocol:    h2" in err and "< HTTP/2 200" in err


def test_httpx_over_tlsglass_to_python_ssl(web: Web, pem: dict[str, Path]) -> None:
    client_cert = CertifiedKey.from_files(pem["client"], pem["client_key"])
    with python_https(web.root_a, web.pki, pem, client_ca=True) as port:
        url = f"https://localhost:{port}/big.bin"
        transport = TLSGlassTransport(trust=web.pki.trust, certificate=client_cert)
        with httpx.Client(transport=transport) as client:
            bodies = [client.get(url).content for _ in range(2)]

        async def fetch() -> list[bytes]:
            async with httpx.AsyncClient(transport=AsyncTLSGlassTransport(
                    trust=web.pki.trust, certificate=client_cert)) as client:
                answers = await asyncio.gather(*(client.get(url) for _ in range(4)))
            return [a.content for a in answers]

        bodies += asyncio.run(fetch())
    digest = hashlib.sha256(web.big).digest()
    assert [hashlib.sha256(b).digest() for b in bodies] == [digest] * 6


def test_httpx_over_tlsglass_to_tlsglass_serve(web: Web, pem: dict[str, Path],
                                               tmp_path: Path) -> None:
    with tlsglass_serve(web, pem, tmp_path) as (port, _, _server):
        resolve = {("b.test", port): "127.0.0.1"}
        with httpx.Client(transport=TLSGlassTransport(trust=web.pki.trust, http2=True,
                                                      resolve=resolve)) as client:
            got = client.get(f"https://b.test:{port}/")
    assert got.http_version == "HTTP/2" and "site B" in got.text
    assert got.headers["strict-transport-security"] == "max-age=31536000"


def test_tlsglass_get_explains_failures(web: Web) -> None:
    refused = _get("--cacert", str(web.ca_file), f"https://127.0.0.1:{free_port()}/")
    assert refused.returncode == 1
    assert refused.stderr.decode() == "tlsglass: connection refused: nothing is listening there\n"
    bad = _get("--resolve", "nonsense", "https://localhost/")
    assert bad.returncode != 0 and "HOST:PORT:ADDR" in bad.stderr.decode()


def test_curl_with_a_client_certificate(web: Web, pem: dict[str, Path], tmp_path: Path) -> None:
    """serve --http with --client-ca: curl must present a certificate from that CA."""
    with tlsglass_serve(web, pem, tmp_path, "--client-ca", str(web.ca_file)) as (port, _, _server):
        url = f"https://localhost:{port}/style.css"
        with_cert = _curl("--cacert", str(web.ca_file), "--cert", str(pem["client"]),
                          "--key", str(pem["client_key"]), url)
        without = _curl("--cacert", str(web.ca_file), url)
        ours = _get("--cacert", str(web.ca_file), "--cert", str(pem["client"]),
                    "--key", str(pem["client_key"]), url)
    assert with_cert.returncode == 0 and with_cert.stdout == b"h1 { color: green }\n"
    assert ours.returncode == 0 and ours.stdout == b"h1 { color: green }\n"
    # TLS 1.3 clients finish before the server has judged them: our certificate_required
    # alert and close race curl's request, so curl reports either the alert or the
    # closed socket. Either way it fails, and no byte of the page reaches it.
    assert without.returncode != 0 and without.stdout == b"", without.stderr
    # The server's side of it, in its handshake log on stderr.
    assert "certificate_required" in _server.output(), _server.output()[-2000:]
