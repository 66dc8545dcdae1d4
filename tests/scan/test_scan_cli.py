"""`tlsglass scan` as a command, against `tlsglass serve`: JSON out, text out, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from peers import free_port, run, wait_for_port
from scan_helpers import Files

pytestmark = pytest.mark.interop

TLSGLASS = [sys.executable, "-m", "tlsglass"]


def _scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TLSGLASS, "scan", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def test_scan_tlsglass_serve_json(files: Files, tmp_path: Path) -> None:
    port = free_port()
    serve = [*TLSGLASS, "serve", "--port", str(port), "--cert", str(files.ec_cert),
             "--key", str(files.ec_key)]
    with run(serve, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        result = _scan(f"127.0.0.1:{port}", "--servername", "localhost", "--cafile",
                       str(files.ca), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    accepted = [v["name"] for v in report["versions"] if v["accepted"]]
    assert accepted == ["TLS 1.2", "TLS 1.3"]
    tls13, tls12 = report["suites"]
    assert [s["name"] for s in tls13["suites"]] == [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
    # An ECDSA certificate: only the ECDHE_ECDSA AEAD suites, in tlsglass's own order.
    assert [s["name"] for s in tls12["suites"]] == [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"]
    assert tls12["server_order"] is True
    # tlsglass offers the hybrid post-quantum group, and answers a missing share with HRR.
    assert "X25519MLKEM768" in report["groups"]["names"]
    assert report["groups"]["hello_retry_request"].startswith("sends HelloRetryRequest for ")
    checks = {c["key"]: c for c in report["checks"]}
    for key in ("grease", "oversized_record", "fallback_scsv", "downgrade_sentinel",
                "extended_master_secret", "secure_renegotiation"):
        assert checks[key]["ok"] is True, key
    assert checks["psk_tickets_13"]["supported"] is True
    assert checks["psk_resumption_13"]["supported"] is True
    assert checks["record_size_limit_13"]["detail"] == "16385"
    assert report["chain"]["trusted"] is True
    assert report["chain"]["certificates"][0]["key"] == "ECDSA P-256"
    assert report["verdict"]["profile"] == "intermediate"
    assert report["verdict"]["grade"] == "A"
    assert report["verdict"]["weaknesses"] == []
    assert "[   1] version" in result.stderr  # progress, one line per probe when piped


def test_scan_text_output_is_plain_when_piped(files: Files, tmp_path: Path) -> None:
    port = free_port()
    serve = [*TLSGLASS, "serve", "--port", str(port), "--cert", str(files.ec_cert),
             "--key", str(files.ec_key)]
    with run(serve, tmp_path, "serve") as server:
        wait_for_port(port, server.proc)
        plain = _scan(f"localhost:{port}", "--cafile", str(files.ca), "--quiet")
        coloured = _scan(f"localhost:{port}", "--cafile", str(files.ca), "--quiet",
                         "--color", "always")
    assert plain.returncode == 0, plain.stderr
    assert "\x1b[" not in plain.stdout
    assert "TLS 1.3  accepted" in plain.stdout
    assert "TLS 1.0  refused (alert protocol_version)" in plain.stdout
    assert "Verdict: grade A" in plain.stdout
    assert plain.stderr == ""
    assert "\x1b[32maccepted\x1b[0m" in coloured.stdout


def test_scan_of_a_closed_port_exits_2() -> None:
    result = _scan(f"127.0.0.1:{free_port()}", "--quiet", "--timeout", "2")
    assert result.returncode == 2
    assert "connection failed" in result.stdout
    assert "grade F" in result.stdout
