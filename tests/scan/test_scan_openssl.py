"""Scans of `openssl s_server` configured several ways; each finding checked.

OpenSSL 3.0 has no SSL 3.0 at all, so "old versions" means TLS 1.0 and 1.1,
which it still offers at security level 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import Pki
from scan_helpers import Files, check, s_server, scan_port, suites_of, weakness_names
from tlsglass import CipherSuite, NamedGroup, ProtocolVersion
from tlsglass.scan import Report

pytestmark = pytest.mark.interop
_V = ProtocolVersion


def _accepted(report: Report) -> set[int]:
    return {v.version for v in report.versions if v.accepted}


def test_tls13_only(files: Files, tmp_path: Path) -> None:
    with s_server(tmp_path, files.ec_cert, files.ec_key, "-tls1_3", "-alpn", "h2") as port:
        report = scan_port(port, files.trust)
    assert _accepted(report) == {_V.TLS1_3}
    refused = {v.version: v.answer for v in report.versions if not v.accepted}
    assert refused[_V.TLS1_2] == "alert protocol_version"
    assert suites_of(report, _V.TLS1_3) == [CipherSuite.TLS_AES_128_GCM_SHA256,
                                            CipherSuite.TLS_AES_256_GCM_SHA384,
                                            CipherSuite.TLS_CHACHA20_POLY1305_SHA256]
    assert report.groups is not None
    assert {NamedGroup.X25519, NamedGroup.SECP256R1} <= set(report.groups.tls13)
    # OpenSSL 3.0 has no ML-KEM: the hybrid group is asked about and refused.
    assert NamedGroup.X25519MLKEM768 not in report.groups.tls13
    assert report.signatures is not None
    assert "ECDSA_SECP256R1_SHA256" in report.signatures.names
    assert check(report, "alpn_13") == (True, None)
    assert check(report, "psk_tickets_13")[0] is True
    assert check(report, "psk_resumption_13")[0] is True
    assert check(report, "early_data_13")[0] is False
    assert check(report, "grease") == (True, True)
    assert check(report, "unknown_version") == (True, True)
    assert check(report, "oversized_hello") == (True, True)
    assert check(report, "oversized_record") == (True, True)
    assert check(report, "fallback_scsv")[0] is None
    assert report.chain is not None and report.chain.trusted and report.chain.hostname_ok
    assert report.verdict.profile == "modern"
    assert report.verdict.grade == "A+", report.verdict.reasons


def test_tls12_legacy_suites_and_rsa_key_exchange(files: Files, tmp_path: Path) -> None:
    # OpenSSL 3.0's default provider has no 3DES or RC4 left to offer.
    ciphers = "AES128-SHA:AES256-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"
    with s_server(tmp_path, files.rsa_cert, files.rsa_key, "-tls1_2", "-cipher", ciphers,
                  "-serverpref", "-status") as port:
        report = scan_port(port, files.trust)
    assert _accepted(report) == {_V.TLS1_2}
    # -serverpref: the server's order, which is the -cipher order.
    assert suites_of(report, _V.TLS1_2) == [0x002F, 0x003D, 0xC02F]
    assert next(f for f in report.suites).server_order is True
    found = {s.code: s for f in report.suites for s in f.suites}
    assert found[0x002F].key_exchange == "RSA" and not found[0x002F].forward_secrecy
    assert found[0xC02F].key_exchange.startswith("ECDH ")
    assert report.groups is not None and NamedGroup.X25519 in report.groups.tls12
    assert report.signatures is not None and "RSA_PSS_RSAE_SHA256" in report.signatures.names
    assert check(report, "extended_master_secret") == (True, True)
    assert check(report, "secure_renegotiation") == (True, True)
    assert check(report, "compression") == (False, True)
    assert check(report, "session_tickets")[0] is True
    assert check(report, "session_id_resumption")[0] is True
    assert report.chain is not None and report.chain.source == "TLS 1.2 Certificate"
    assert report.chain.certificates[0].key == "RSA 2048"
    names = weakness_names(report)
    assert names == {"RSA key exchange (no forward secrecy)", "SHA-1 handshake signatures"}
    assert report.verdict.profile == "old"
    assert report.verdict.grade == "B"


def test_old_versions_at_security_level_0(files: Files, tmp_path: Path) -> None:
    with s_server(tmp_path, files.rsa_cert, files.rsa_key, "-cipher",
                  "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
                  "-no_tls1_3") as port:
        report = scan_port(port, files.trust)
    assert _accepted(report) == {_V.TLS1_0, _V.TLS1_1, _V.TLS1_2}
    ssl3 = next(v for v in report.versions if v.version == _V.SSL3_0)
    assert not ssl3.accepted
    assert check(report, "fallback_scsv") == (True, True)
    assert check(report, "downgrade_sentinel")[0] is None  # no TLS 1.3 to downgrade from
    tls10 = suites_of(report, _V.TLS1_0)
    assert 0xC013 in tls10 and 0xC02F not in tls10  # no GCM before TLS 1.2
    names = weakness_names(report)
    assert {"TLS 1.0 offered", "TLS 1.1 offered", "Anonymous key exchange",
            "NULL encryption", "RSA key exchange (no forward secrecy)"} <= names
    assert 0x0002 in tls10  # TLS_RSA_WITH_NULL_SHA
    assert report.verdict.grade == "F"
    assert report.verdict.profile == "none"


def test_downgrade_sentinel_and_fallback(files: Files, tmp_path: Path) -> None:
    with s_server(tmp_path, files.ec_cert, files.ec_key) as port:
        report = scan_port(port, files.trust)
    assert _accepted(report) == {_V.TLS1_2, _V.TLS1_3}
    assert check(report, "downgrade_sentinel") == (True, True)
    assert check(report, "fallback_scsv") == (True, True)
    assert report.verdict.profile == "none"  # OpenSSL's defaults include CBC suites
    assert report.seconds < 10


def test_stapling_early_data_and_alpn(files: Files, tmp_path: Path) -> None:
    with s_server(tmp_path, files.ec_cert, files.ec_key, "-status_file",
                  str(files.ocsp_response), "-early_data", "-max_early_data", "16384",
                  "-alpn", "http/1.1") as port:
        report = scan_port(port, files.trust)
    assert check(report, "ocsp_stapling_12")[0] is True
    assert check(report, "ocsp_stapling_13")[0] is True
    assert check(report, "early_data_13")[0] is True
    assert next(c for c in report.checks if c.key == "early_data_13").detail == \
        "max_early_data_size 16384"
    alpn = {c.key: c.detail for c in report.checks if c.key.startswith("alpn")}
    assert alpn == {"alpn_12": "TLS 1.2: chose http/1.1", "alpn_13": "chose http/1.1"}


def test_no_tickets(files: Files, tmp_path: Path) -> None:
    with s_server(tmp_path, files.ec_cert, files.ec_key, "-no_ticket", "-num_tickets",
                  "0") as port:
        report = scan_port(port, files.trust)
    assert check(report, "session_tickets")[0] is False
    assert check(report, "psk_tickets_13")[0] is False
    assert check(report, "psk_resumption_13")[0] is None
    assert check(report, "session_id_resumption")[0] is True


def test_chain_order_and_extra_root(files: Files, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(Pki("someone else's root").pem)
    with s_server(tmp_path, files.ec_cert, files.ec_key, "-cert_chain", str(stranger),
                  "-no_tls1_2") as port:
        wrong = scan_port(port, files.trust)
    with s_server(tmp_path, files.ec_cert, files.ec_key, "-cert_chain", str(files.ca),
                  "-no_tls1_2") as port:
        with_root = scan_port(port, files.trust)
    assert wrong.chain is not None and not wrong.chain.order_ok
    assert "did not issue certificate 1" in wrong.chain.order_detail
    assert "Chain out of order" in weakness_names(wrong)
    assert with_root.chain is not None and with_root.chain.order_ok and with_root.chain.trusted
    assert with_root.chain.trust_detail.endswith("(the server also sent the root)")
    assert len(with_root.chain.certificates) == 2
