"""Findings compared with testssl.sh (Debian package `testssl.sh`) on the same servers.

Slow: testssl.sh tries each suite of each version with many full connections
(about 70 s for the legacy server here, where `tlsglass scan` takes about 2 s).
docs/scan-vs-testssl.md lists the differences that remain and why.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from peers import need
from scan_helpers import Files, check, s_server, scan_port
from tlsglass.scan import Report

# testssl.sh makes hundreds of connections to a single-threaded s_server: on a busy
# 2-core machine the legacy server alone has taken up to 170 s.
pytestmark = [pytest.mark.slow, pytest.mark.interop, pytest.mark.timeout(600)]

_PROTOCOLS = {"SSLv3": 0x0300, "TLS1": 0x0301, "TLS1_1": 0x0302, "TLS1_2": 0x0303,
              "TLS1_3": 0x0304}
_CIPHER_PREFIX = {"ssl3": 0x0300, "tls1": 0x0301, "tls1_1": 0x0302, "tls1_2": 0x0303,
                  "tls1_3": 0x0304}


def _testssl(port: int, files: Files, tmp: Path) -> dict[str, str]:
    """Run testssl.sh (protocols, suites per protocol, server defaults); id -> finding."""
    out = tmp / "testssl.json"
    args = [need("testssl"), "--quiet", "--color", "0", "--warnings", "off", "-p", "-E", "-S",
            "--add-ca", str(files.ca), "--jsonfile", str(out), f"127.0.0.1:{port}"]
    subprocess.run(args, capture_output=True, timeout=400, check=False)
    entries: list[dict[str, Any]] = json.loads(out.read_text())
    return {e["id"]: str(e["finding"]) for e in entries}


def _their_suites(found: dict[str, str]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for key in found:
        if key.startswith("cipher-") and "_x" in key:
            proto, code = key.removeprefix("cipher-").rsplit("_x", 1)
            out.setdefault(_CIPHER_PREFIX[proto], set()).add(int(code, 16))
    return out


def _compare(report: Report, theirs: dict[str, str]) -> None:
    accepted = {v.version for v in report.versions if v.accepted}
    for name, version in _PROTOCOLS.items():
        offered = theirs[name].startswith("offered")
        assert offered == (version in accepted), (name, theirs[name])
    ours = {f.version: {s.code for s in f.suites} for f in report.suites}
    assert ours == _their_suites(theirs)
    extensions = theirs["TLS_extensions"]
    if accepted - {0x0304}:
        assert check(report, "extended_master_secret")[0] == ("#23" in extensions)
        assert check(report, "secure_renegotiation")[0] == ("#65281" in extensions)
    assert report.chain is not None
    assert theirs["cert_chain_of_trust"].startswith("passed") == report.chain.trusted
    # testssl.sh says "EC 256 bits" where tlsglass says "ECDSA P-256".
    assert theirs["cert_keySize"].endswith(f" {report.chain.certificates[0].key_bits} bits")


def test_legacy_server_matches_testssl(files: Files, tmp_path: Path) -> None:
    with s_server(tmp_path, files.rsa_cert, files.rsa_key, "-cipher",
                  "ALL:COMPLEMENTOFALL:@SECLEVEL=0", "-no_tls1_3") as port:
        report = scan_port(port, files.trust)
        theirs = _testssl(port, files, tmp_path)
    _compare(report, theirs)


def test_default_server_matches_testssl(files: Files, tmp_path: Path) -> None:
    with s_server(tmp_path, files.ec_cert, files.ec_key) as port:
        report = scan_port(port, files.trust)
        theirs = _testssl(port, files, tmp_path)
    _compare(report, theirs)
