"""`tlsglass ca` end to end: what it makes is used by `tlsglass serve` and by real peers."""

from __future__ import annotations

import socket
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from peers import free_port, need, run, wait_for_port

pytestmark = pytest.mark.interop

TLSGLASS = [sys.executable, "-m", "tlsglass"]


def tlsglass(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TLSGLASS, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def ok(*args: str) -> str:
    result = tlsglass(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA with an intermediate and a password, a server and a client certificate."""
    folder = tmp_path_factory.mktemp("cli-ca")
    (folder / "password").write_text("open sesame\n")
    common = ("--dir", str(folder / "ca"), "--password-file", str(folder / "password"))
    ok("ca", "init", "--intermediate", *common)
    ok("ca", "issue", "server", "localhost", "127.0.0.1", *common)
    ok("ca", "issue", "client", "alice", *common)
    return folder / "ca"


def _common(ca: Path) -> tuple[str, ...]:
    return ("--dir", str(ca), "--password-file", str(ca.parent / "password"))


def _serve(ca: Path, tmp: Path, *extra: str) -> tuple[list[str], int]:
    port = free_port()
    return [*TLSGLASS, "serve", "--port", str(port), "--cert",
            str(ca / "issued/localhost.pem"), "--key", str(ca / "issued/localhost.key"),
            *extra], port


def test_layout_and_modes(ca: Path) -> None:
    for private in ("root.key", "intermediate.key", "issued/localhost.key", "issued/alice.key"):
        assert stat.S_IMODE((ca / private).stat().st_mode) == 0o600, private
    assert stat.S_IMODE(ca.stat().st_mode) == 0o700
    listing = ok("ca", "list", "--dir", str(ca))
    assert "localhost, 127.0.0.1" in listing and "CN=alice" in listing
    assert "intermediate" in listing


def test_serve_with_issued_files_to_openssl_s_client(ca: Path, tmp_path: Path) -> None:
    need("openssl")
    args, port = _serve(ca, tmp_path)
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        s_client = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                    "localhost", "-CAfile", str(ca / "root.pem"), "-verify_return_error",
                    "-verify_hostname", "localhost"]
        with run(s_client, tmp_path, "s_client") as client:
            client.wait_output("Verify return code: 0 (ok)")
            client.send(b"issued by tlsglass ca\n")
            client.wait_output("issued by tlsglass ca")


def test_serve_with_issued_files_to_curl_and_python_ssl(ca: Path, tmp_path: Path) -> None:
    need("curl")
    args, port = _serve(ca, tmp_path, "--http")
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        page = subprocess.run(["curl", "-sS", "--cacert", str(ca / "root.pem"),
                               f"https://localhost:{port}/"],
                              capture_output=True, text=True, timeout=30, check=False)
        assert page.returncode == 0, page.stderr
        assert "Your TLS connection" in page.stdout
        context = ssl.create_default_context(cafile=str(ca / "root.pem"))
        with socket.create_connection(("127.0.0.1", port), 10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert tls.recv(100).startswith(b"HTTP/1.1 200 OK")


def test_client_certificate_to_openssl_s_server_verify(ca: Path, tmp_path: Path) -> None:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
            str(ca / "issued/localhost.pem"), "-key", str(ca / "issued/localhost.key"),
            "-cert_chain", str(ca / "issued/localhost.pem"), "-Verify", "2", "-CAfile",
            str(ca / "root.pem"), "-verify_return_error", "-rev", "-naccept", "1"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        result = subprocess.run(
            [*TLSGLASS, "connect", f"localhost:{port}", "--cafile", str(ca / "root.pem"),
             "--cert", str(ca / "issued/alice.pem"), "--key", str(ca / "issued/alice.key")],
            input=b"mutual\n", capture_output=True, timeout=30, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"lautum\n"
    assert "CN = alice" in server.output()


def test_curl_client_certificate_to_serve(ca: Path, tmp_path: Path) -> None:
    need("curl")
    # The spelling: serve --require-client-cert CAFILE (= --client-ca + required).
    args, port = _serve(ca, tmp_path, "--http", "--require-client-cert", str(ca / "root.pem"))
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        base = ["curl", "-sS", "--cacert", str(ca / "root.pem"), f"https://localhost:{port}/"]
        page = subprocess.run([*base, "--cert", str(ca / "issued/alice.pem"), "--key",
                               str(ca / "issued/alice.key")],
                              capture_output=True, text=True, timeout=30, check=False)
        assert page.returncode == 0, page.stderr
        refused = subprocess.run(base, capture_output=True, text=True, timeout=30, check=False)
        assert refused.returncode != 0
        assert "CN=alice" in server.output()


def test_sign_openssl_csr_then_revoke_and_crl(ca: Path, tmp_path: Path) -> None:
    need("openssl")
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(tmp_path / "web.key"), "-out", str(tmp_path / "web.csr"), "-subj",
                    "/CN=web.test", "-addext", "subjectAltName=DNS:web.test"],
                   capture_output=True, timeout=60, check=True)
    out = ok("ca", "sign", str(tmp_path / "web.csr"), "--out", str(tmp_path), *_common(ca))
    serial = next(line.split()[-1] for line in out.splitlines() if line.startswith("serial:"))
    chain = str(tmp_path / "web.test.pem")
    verify = ["openssl", "verify", "-CAfile", str(ca / "root.pem"), "-untrusted", chain,
              "-CRLfile", str(ca / "crl.pem"), "-crl_check", chain]
    assert subprocess.run(verify, capture_output=True, timeout=30, check=False).returncode == 0
    ok("ca", "revoke", serial, "--reason", "superseded", *_common(ca))
    revoked = subprocess.run(verify, capture_output=True, text=True, timeout=30, check=False)
    assert revoked.returncode != 0
    assert "certificate revoked" in revoked.stdout + revoked.stderr
    assert "revoked" in ok("ca", "list", "--dir", str(ca))


def test_export_pem_and_der(ca: Path, tmp_path: Path) -> None:
    need("openssl")
    assert ok("ca", "export", "--dir", str(ca)) == (ca / "root.pem").read_text()
    ok("ca", "export", "--der", "--out", str(tmp_path / "root.cer"), "--dir", str(ca))
    converted = subprocess.run(["openssl", "x509", "-inform", "DER", "-in",
                                str(tmp_path / "root.cer")],
                               capture_output=True, text=True, timeout=30, check=True)
    assert converted.stdout == (ca / "root.pem").read_text()


def test_trust_in_an_nss_database_and_a_bundle(ca: Path, tmp_path: Path) -> None:
    need("certutil")
    nss, bundle = tmp_path / "nssdb", tmp_path / "bundle.pem"
    bundle.write_text("")
    out = ok("ca", "trust", "--dir", str(ca), "--nss-db", str(nss), "--pem-bundle", str(bundle),
             "--nickname", "my dev CA")
    assert "update-ca-certificates" in out and "SSL_CERT_FILE" in out
    listed = subprocess.run(["certutil", "-L", "-d", f"sql:{nss}"], capture_output=True,
                            text=True, timeout=30, check=True).stdout
    line = next(line for line in listed.splitlines() if line.startswith("my dev CA"))
    assert line.split()[-1] == "C,,"
    assert bundle.read_text() == (ca / "root.pem").read_text()
    again = ok("ca", "trust", "--dir", str(ca), "--pem-bundle", str(bundle))
    assert "already in" in again
    assert bundle.read_text() == (ca / "root.pem").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["init"], "a CA already exists"),
    (["issue", "server", "no_such host"], "is neither a valid DNS name nor an IP address"),
    (["issue", "server", "300.1.2.3"], "is neither a valid DNS name nor an IP address"),
    (["issue", "client", "bob", "--password-file", "{wrong}"], "wrong password"),
    (["issue", "client", "bob", "--password-file", "/nonexistent"], "cannot read the password"),
    (["sign", "{tampered}"], "signature does not verify"),
    (["sign", "/nonexistent.csr"], "cannot read the CSR"),
    (["revoke", "nobody"], "no certificate with serial or name"),
])
def test_errors_for_a_person(ca: Path, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "wrong").write_text("guess\n")
    csr = subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null",
                          "-subj", "/CN=csr.test", "-outform", "DER"],
                         capture_output=True, timeout=60, check=True).stdout
    (tmp_path / "tampered.csr").write_bytes(csr.replace(b"csr.test", b"csr.tesu"))
    filled = [a.format(wrong=tmp_path / "wrong", tampered=tmp_path / "tampered.csr")
              for a in args]
    common = ("--dir", str(ca)) if "--password-file" in filled else _common(ca)
    result = tlsglass("ca", *filled, *common)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("tlsglass: ") and "Traceback" not in result.stderr


def test_key_file_that_is_not_a_key(tmp_path: Path) -> None:
    ok("ca", "init", "--dir", str(tmp_path / "ca"))
    (tmp_path / "ca/root.key").write_text("-----BEGIN CERTIFICATE-----\n")
    result = tlsglass("ca", "issue", "client", "x", "--dir", str(tmp_path / "ca"))
    assert result.returncode == 1
    assert "holds a certificate, not a private key" in result.stderr, result.stderr
    missing = tlsglass("ca", "list", "--dir", str(tmp_path / "nothing"))
    assert "holds no CA" in missing.stderr and "tlsglass ca init" in missing.stderr


def test_gnutls_cli_client_certificate_to_serve(ca: Path, tmp_path: Path) -> None:
    need("gnutls-cli")
    args, port = _serve(ca, tmp_path, "--client-ca", str(ca / "root.pem"))
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        cli = ["gnutls-cli", "-p", str(port), "--x509cafile", str(ca / "root.pem"),
               "--x509certfile", str(ca / "issued/alice.pem"), "--x509keyfile",
               str(ca / "issued/alice.key"), "localhost"]
        with run(cli, tmp_path, "gnutls-cli") as client:
            client.wait_output("Handshake was completed")
            client.send(b"gnutls with a certificate\n")
            client.wait_output("Simple Client Mode:\n\ngnutls with a certificate")
        assert "CN=alice" in server.wait_output("CN=alice")


def test_connect_with_a_certificate_to_gnutls_serv(ca: Path, tmp_path: Path) -> None:
    need("gnutls-serv")
    port = free_port()
    args = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile",
            str(ca / "issued/localhost.pem"), "--x509keyfile", str(ca / "issued/localhost.key"),
            "--x509cafile", str(ca / "root.pem"), "--require-client-cert", "--verify-client-cert"]
    with run(args, tmp_path, "gnutls-serv") as server:
        wait_for_port(port, server.proc)
        result = subprocess.run(
            [*TLSGLASS, "connect", f"localhost:{port}", "--cafile", str(ca / "root.pem"),
             "--cert", str(ca / "issued/alice.pem"), "--key", str(ca / "issued/alice.key")],
            input=b"echo me\n", capture_output=True, timeout=30, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"echo me\n"


def test_curl_answers_post_handshake_auth_from_serve(ca: Path, tmp_path: Path) -> None:
    need("curl")
    args, port = _serve(ca, tmp_path, "--http", "--client-ca", str(ca / "root.pem"),
                        "--client-auth", "post-handshake")
    with run(args, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        base = ["curl", "-sS", "--cacert", str(ca / "root.pem"), f"https://localhost:{port}/"]
        page = subprocess.run([*base, "--cert", str(ca / "issued/alice.pem"), "--key",
                               str(ca / "issued/alice.key")],
                              capture_output=True, text=True, timeout=30, check=False)
        assert page.returncode == 0, page.stderr
        assert "client certificate:     CN=alice" in page.stdout
        declined = subprocess.run(base, capture_output=True, text=True, timeout=30, check=False)
        assert declined.returncode == 0 and "client certificate:" not in declined.stdout
        log = server.wait_output("none (the client declined)")
    assert "post-handshake client certificate: CN=alice" in log


def test_connect_picks_the_certificate_the_server_asks_for(ca: Path, tmp_path: Path) -> None:
    need("openssl")
    other = tmp_path / "other"
    ok("ca", "init", "--dir", str(other), "--name", "another CA")
    ok("ca", "issue", "client", "mallory", "--dir", str(other))
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
            str(ca / "issued/localhost.pem"), "-key", str(ca / "issued/localhost.key"),
            "-cert_chain", str(ca / "issued/localhost.pem"), "-Verify", "2", "-CAfile",
            str(ca / "root.pem"), "-verify_return_error", "-rev", "-naccept", "1"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        result = subprocess.run(
            [*TLSGLASS, "connect", f"localhost:{port}", "--cafile", str(ca / "root.pem"),
             "--cert", str(other / "issued/mallory.pem"), "--key",
             str(other / "issued/mallory.key"), "--cert", str(ca / "issued/alice.pem"),
             "--key", str(ca / "issued/alice.key")],
            input=b"which one\n", capture_output=True, timeout=30, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"eno hcihw\n"
    assert "CN = alice" in server.output()


def test_connect_answers_s_server_post_handshake_request(ca: Path, tmp_path: Path) -> None:
    need("openssl")
    need("stdbuf")
    port = free_port()
    args = ["stdbuf", "-oL", "openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
            str(ca / "issued/localhost.pem"), "-key", str(ca / "issued/localhost.key"),
            "-cert_chain", str(ca / "issued/localhost.pem"), "-CAfile", str(ca / "root.pem"),
            "-verify_return_error", "-naccept", "1"]
    connect = [*TLSGLASS, "connect", f"localhost:{port}", "--cafile", str(ca / "root.pem"),
               "--cert", str(ca / "issued/alice.pem"), "--key", str(ca / "issued/alice.key"),
               "--post-handshake-auth"]
    with run(args, tmp_path, "s_server") as server:
        server.wait_output("ACCEPT")
        with run(connect, tmp_path, "connect") as client:
            client.send(b"ready\n")
            server.wait_output("ready")
            server.send(b"c\n")
            server.wait_output("SSL_do_handshake -> 1")
            server.send(b"after\n")
            client.wait_output("after")
            out = server.wait_output("depth=0 CN = alice")
    assert "verify error" not in out
