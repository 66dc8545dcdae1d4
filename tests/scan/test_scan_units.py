"""The scanner's pure parts: suite names, hellos, the flight reader, and the verdict."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tlsglass.enums import ProtocolVersion
from tlsglass.errors import DecodeError
from tlsglass.scan.findings import (
    CertificateFinding,
    ChainFinding,
    Check,
    SuiteFinding,
    SuitesFinding,
    VersionFinding,
)
from tlsglass.scan.hello import HelloSpec, build_hello
from tlsglass.scan.suites import LEGACY_SUITES, TLS13_SUITES, suite_info
from tlsglass.scan.transport import _Framer
from tlsglass.scan.verdict import judge
from tlsglass.wire import ClientHello, Reader, RecordHeader

_V = ProtocolVersion


@pytest.mark.parametrize(("code", "kx", "cipher", "flags"), [
    (0x0003, "RSA_EXPORT", "RC4_40", {"export", "rc4"}),
    (0x000A, "RSA", "3DES_EDE_CBC", {"triple_des"}),
    (0x0018, "DH_anon", "RC4_128", {"anonymous", "rc4", "dhe"}),
    (0xC006, "ECDHE_ECDSA", "NULL", {"null_cipher", "forward_secrecy", "ecdhe"}),
    (0xC0AC, "ECDHE_ECDSA", "AES_128_CCM", {"aead", "forward_secrecy", "ecdhe"}),
    (0xCCAA, "DHE_RSA", "CHACHA20_POLY1305", {"aead", "forward_secrecy", "dhe"}),
    (0x1301, "", "AES_128_GCM", {"aead", "forward_secrecy"}),
])
def test_suite_names_are_read(code: int, kx: str, cipher: str, flags: set[str]) -> None:
    info = suite_info(code)
    assert (info.key_exchange, info.cipher) == (kx, cipher)
    every = {"export", "rc4", "triple_des", "anonymous", "null_cipher", "aead",
             "forward_secrecy", "dhe", "ecdhe", "single_des"}
    assert {f for f in every if getattr(info, f)} == flags


def _records(data: bytes) -> list[tuple[RecordHeader, bytes]]:
    out, r = [], Reader(data)
    while not r.at_end():
        header = RecordHeader.decode(r)
        out.append((header, r.read(header.length)))
    return out


def test_hellos_decode_and_fragment_at_2_14() -> None:
    spec = HelloSpec(version=_V.TLS1_3, cipher_suites=TLS13_SUITES, server_name="example.org",
                     pad_to=20000)
    records = _records(build_hello(spec))
    assert [h.length for h, _ in records] == [16384, 20000 - 16384]
    body = b"".join(b for _, b in records)
    assert len(body) == 20000
    hello = ClientHello.decode(Reader(body[4:]))
    assert hello.cipher_suites == TLS13_SUITES


def test_ssl3_hello_has_no_extensions_and_an_ssl3_record() -> None:
    records = _records(build_hello(HelloSpec(version=_V.SSL3_0, cipher_suites=LEGACY_SUITES,
                                             plain=True)))
    header, body = records[0]
    assert header.legacy_record_version == _V.SSL3_0
    hello = ClientHello.decode(Reader(body[4:]))
    assert hello.legacy_version == _V.SSL3_0 and hello.extensions == ()


def test_one_record_hello_exceeds_the_record_limit() -> None:
    spec = HelloSpec(version=_V.TLS1_2, cipher_suites=LEGACY_SUITES, pad_to=17000,
                     one_record=True)
    assert _records(build_hello(spec))[0][0].length == 17000


@given(st.binary(max_size=300), st.integers(1, 50))
def test_framer_takes_any_bytes_or_raises_decode_error(data: bytes, step: int) -> None:
    framer = _Framer()
    try:
        for i in range(0, len(data), step):
            framer.feed(data[i : i + step])
    except DecodeError:
        return
    framer.flight()


def _finding(version: int, accepted: bool) -> VersionFinding:
    return VersionFinding(version=version, name=str(version), accepted=accepted, answer="")


def _suites(version: int, *codes: int, kx: str = "ECDH X25519") -> SuitesFinding:
    return SuitesFinding(version=version, name="", server_order=None, suites=tuple(
        SuiteFinding(code=c, name=suite_info(c).name, key_exchange=kx,
                     forward_secrecy=suite_info(c).forward_secrecy) for c in codes))


_CERT = CertificateFinding(
    subject="CN=x", issuer="CN=root", not_before="", not_after="", days_left=60, lifetime_days=80,
    key="ECDSA P-256", key_type="ECDSA", key_bits=256, signature_algorithm="ECDSA with SHA-256",
    sans=("x",), ocsp_urls=(), crl_urls=(), sha256="", self_issued=False)
_CHAIN = ChainFinding(certificates=(_CERT,), source="", order_ok=True, order_detail="",
                      trusted=True, trust_detail="", hostname_ok=True, hostname_detail="")
_GOOD12 = [Check(key=k, title=k, supported=True, detail="", ok=True)
           for k in ("extended_master_secret", "secure_renegotiation", "fallback_scsv")]


def test_modern_server_gets_a_plus() -> None:
    versions = [_finding(_V.TLS1_2, False), _finding(_V.TLS1_3, True)]
    verdict = judge(versions, [_suites(_V.TLS1_3, 0x1301, 0x1302)], [], _CHAIN, None)
    assert (verdict.grade, verdict.profile, verdict.weaknesses) == ("A+", "modern", ())


def test_intermediate_server_gets_a() -> None:
    versions = [_finding(_V.TLS1_2, True), _finding(_V.TLS1_3, True)]
    suites = [_suites(_V.TLS1_3, 0x1301), _suites(_V.TLS1_2, 0xC02B, 0xC02F)]
    verdict = judge(versions, suites, _GOOD12, _CHAIN, None)
    assert (verdict.grade, verdict.profile) == ("A", "intermediate")
    assert any(r.startswith("not Mozilla 'modern': accepts TLS 1.2") for r in verdict.reasons)


@pytest.mark.parametrize(("change", "weakness", "grade"), [
    ({"ssl3": True}, "SSLv3/POODLE", "F"),
    ({"suite": 0x0005}, "RC4", "C"),
    ({"suite": 0x000A}, "3DES/SWEET32", "B"),
    ({"suite": 0x0003}, "EXPORT suites (FREAK/Logjam)", "F"),
    ({"suite": 0x0002}, "NULL encryption", "F"),
    ({"suite": 0x002F}, "RSA key exchange (no forward secrecy)", "B"),
    ({"dh": "DH 1024 bits"}, "Weak DH", "B"),
    ({"dh": "DH 512 bits"}, "Weak DH (Logjam)", "C"),
    ({"no": "extended_master_secret"}, "Missing extended master secret", "B"),
    ({"no": "secure_renegotiation"}, "Insecure renegotiation", "C"),
    ({"sha1": True}, "SHA-1 certificate signature", "C"),
    ({"rsa_bits": 1024}, "Weak RSA key", "C"),
    ({"expired": True}, "Expired certificate", "F"),
])
def test_weaknesses_are_named_and_cap_the_grade(change: dict[str, object], weakness: str,
                                                grade: str) -> None:
    versions = [_finding(_V.TLS1_2, True), _finding(_V.SSL3_0, bool(change.get("ssl3")))]
    code = change.get("suite", 0xC02F)
    assert isinstance(code, int)
    suites = [_suites(_V.TLS1_2, code, kx=str(change.get("dh", "ECDH X25519")))]
    checks = [replace(c, ok=False) if c.key == change.get("no") else c for c in _GOOD12]
    cert = _CERT
    if change.get("sha1"):
        cert = replace(cert, signature_algorithm="RSA PKCS#1 v1.5 with SHA-1")
    if "rsa_bits" in change:
        cert = replace(cert, key_type="RSA", key_bits=1024)
    if change.get("expired"):
        cert = replace(cert, days_left=-3)
    verdict = judge(versions, suites, checks, replace(_CHAIN, certificates=(cert,)), None)
    assert weakness in {w.name for w in verdict.weaknesses}
    assert verdict.grade == grade
    assert any(r.startswith(weakness) for r in verdict.reasons)


def test_untrusted_chain_gets_t() -> None:
    versions = [_finding(_V.TLS1_3, True)]
    chain = replace(_CHAIN, trusted=False, trust_detail="self-signed")
    verdict = judge(versions, [_suites(_V.TLS1_3, 0x1301)], [], chain, None)
    assert verdict.grade == "T"
    assert verdict.reasons[0] == "certificate not trusted: self-signed"


def test_long_lived_certificate_misses_modern() -> None:
    versions = [_finding(_V.TLS1_3, True)]
    chain = replace(_CHAIN, certificates=(replace(_CERT, lifetime_days=200),))
    verdict = judge(versions, [_suites(_V.TLS1_3, 0x1301)], [], chain, None)
    assert verdict.profile == "intermediate"
    assert "certificate valid for 200 days (at most 90)" in verdict.reasons[0]
