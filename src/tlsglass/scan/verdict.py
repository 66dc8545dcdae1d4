"""The verdict: known weaknesses by name, the Mozilla profile the server fits, a grade.

Weaknesses are found by rules over the findings (one small function per family);
each carries a severity, and the grade is capped by the worst one: critical -> F,
high -> C, medium -> B. A chain that does not verify gives T (trust), as the
grade would otherwise describe a connection no browser makes. A+ needs the
modern profile and no weakness at all; every reason is listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from tlsglass.enums import ProtocolVersion
from tlsglass.scan.findings import (
    ChainFinding,
    Check,
    SignaturesFinding,
    SuitesFinding,
    Verdict,
    VersionFinding,
    Weakness,
)
from tlsglass.scan.mozilla import GUIDELINES_VERSION, PROFILES, Profile
from tlsglass.scan.probes import VERSION_NAMES
from tlsglass.scan.suites import suite_info

__all__ = ["judge"]

_V = ProtocolVersion
_CAP: Final = {"critical": "F", "high": "C", "medium": "B", "low": "A"}
_ORDER: Final = ("A+", "A", "B", "C", "F")
_DH_BITS: Final = re.compile(r"DH (\d+) bits")


def judge(versions: Sequence[VersionFinding], suites: Sequence[SuitesFinding],
          checks: Sequence[Check], chain: ChainFinding | None,
          signatures: SignaturesFinding | None) -> Verdict:
    accepted = {v.version for v in versions if v.accepted}
    weaknesses = [*_version_weaknesses(accepted), *_suite_weaknesses(suites),
                  *_check_weaknesses(checks, accepted), *_chain_weaknesses(chain),
                  *_signature_weaknesses(signatures)]
    profile, profile_reasons = _fit(accepted, suites, chain)
    grade = "A+" if profile == "modern" else "A"
    for w in weaknesses:
        grade = max(grade, _CAP[w.severity], key=_ORDER.index)
    reasons = [f"{w.name}: {w.detail}" for w in weaknesses] + profile_reasons
    if chain is not None and not chain.trusted:
        grade = "F" if grade == "F" else "T"
        reasons.insert(0, f"certificate not trusted: {chain.trust_detail}")
    if not accepted:
        grade, reasons = "F", ["no TLS version was accepted", *reasons]
    return Verdict(grade=grade, profile=profile, guidelines=GUIDELINES_VERSION,
                   reasons=tuple(reasons), weaknesses=tuple(weaknesses))


def _weak(name: str, detail: str, severity: str) -> Weakness:
    return Weakness(name=name, detail=detail, severity=severity)


def _version_weaknesses(accepted: set[int]) -> Iterable[Weakness]:
    if _V.SSL3_0 in accepted:
        yield _weak("SSLv3/POODLE", "SSL 3.0 is accepted (RFC 7568 forbids it)", "critical")
    if _V.TLS1_0 in accepted:
        yield _weak("TLS 1.0 offered", "deprecated by RFC 8996 (BEAST with CBC)", "medium")
    if _V.TLS1_1 in accepted:
        yield _weak("TLS 1.1 offered", "deprecated by RFC 8996", "medium")
    if accepted and _V.TLS1_2 not in accepted and _V.TLS1_3 not in accepted:
        yield _weak("No TLS 1.2 or 1.3", "only obsolete versions are accepted", "critical")


# (test on SuiteInfo, weakness name, detail, severity)
_SUITE_RULES: Final = (
    ("export", "EXPORT suites (FREAK/Logjam)", "40/56-bit export cryptography", "critical"),
    ("null_cipher", "NULL encryption", "traffic is sent unencrypted", "critical"),
    ("anonymous", "Anonymous key exchange", "the server is not authenticated", "critical"),
    ("rc4", "RC4", "RC4 is prohibited by RFC 7465", "high"),
    ("single_des", "DES/RC2", "56-bit or weaker ciphers", "high"),
    ("triple_des", "3DES/SWEET32", "64-bit block cipher (CVE-2016-2183)", "medium"),
)


def _suite_weaknesses(found: Sequence[SuitesFinding]) -> Iterable[Weakness]:
    infos = [(s, suite_info(s.code)) for f in found for s in f.suites]
    for attr, name, detail, severity in _SUITE_RULES:
        hits = sorted({i.name for _, i in infos if getattr(i, attr)})
        if hits:
            yield _weak(name, f"{detail}: {', '.join(hits)}", severity)
    rsa = sorted({i.name for _, i in infos if i.key_exchange in ("RSA", "RSA_EXPORT")})
    if rsa:
        yield _weak("RSA key exchange (no forward secrecy)", ", ".join(rsa), "medium")
    dh = sorted({int(m.group(1)) for s, _ in infos if (m := _DH_BITS.match(s.key_exchange))})
    if dh and dh[0] < 1024:
        yield _weak("Weak DH (Logjam)", f"{dh[0]}-bit DH group", "high")
    elif dh and dh[0] < 2048:
        yield _weak("Weak DH", f"{dh[0]}-bit DH group (2048 bits recommended)", "medium")


def _check_weaknesses(checks: Sequence[Check], accepted: set[int]) -> Iterable[Weakness]:
    by_key = {c.key: c for c in checks}
    legacy = any(v < _V.TLS1_3 for v in accepted)
    rules = (
        ("extended_master_secret", "Missing extended master secret",
         "TLS 1.2 sessions are open to the triple handshake attack (RFC 7627)", "medium"),
        ("secure_renegotiation", "Insecure renegotiation",
         "no RFC 5746 renegotiation_info (CVE-2009-3555)", "high"),
        ("compression", "TLS compression (CRIME)", "DEFLATE is accepted", "high"),
        ("fallback_scsv", "No TLS_FALLBACK_SCSV", "protocol downgrades are not detected",
         "low"),
    )
    for key, name, detail, severity in rules:
        check = by_key.get(key)
        if check is not None and check.ok is False and (legacy or key == "compression"):
            yield _weak(name, detail, severity)


def _chain_weaknesses(chain: ChainFinding | None) -> Iterable[Weakness]:
    if chain is None or not chain.certificates:
        return
    leaf = chain.certificates[0]
    if leaf.key_type == "RSA" and leaf.key_bits < 2048:
        yield _weak("Weak RSA key", f"{leaf.key_bits}-bit RSA certificate key", "high")
    sha1 = [c.subject for c in chain.certificates
            if "SHA-1" in c.signature_algorithm and not c.self_issued]
    if sha1:
        yield _weak("SHA-1 certificate signature", ", ".join(sha1), "high")
    if leaf.days_left < 0:
        yield _weak("Expired certificate", f"expired {-leaf.days_left} days ago", "critical")
    elif leaf.days_left < 30:
        yield _weak("Certificate expires soon", f"in {leaf.days_left} days", "low")
    if chain.hostname_ok is False:
        yield _weak("Name mismatch", chain.hostname_detail, "critical")
    if not chain.order_ok:
        yield _weak("Chain out of order", chain.order_detail, "low")


def _signature_weaknesses(signatures: SignaturesFinding | None) -> Iterable[Weakness]:
    if signatures is None:
        return
    sha1 = [n for n in signatures.names if n.endswith("SHA1")]
    if sha1:
        yield _weak("SHA-1 handshake signatures", f"accepted in TLS 1.2: {', '.join(sha1)}",
                    "low")


def _fit(accepted: set[int], suites: Sequence[SuitesFinding],
         chain: ChainFinding | None) -> tuple[str, list[str]]:
    """The strictest Mozilla profile the server fits, and why it misses the stricter ones."""
    reasons: list[str] = []
    for profile in PROFILES.values():
        misses = _misses(profile, accepted, suites, chain)
        if not misses:
            return profile.name, [*reasons, f"fits Mozilla '{profile.name}' ({GUIDELINES_VERSION})"]
        reasons.append(f"not Mozilla '{profile.name}': {'; '.join(misses[:4])}")
    return "none", reasons


def _misses(profile: Profile, accepted: set[int], suites: Sequence[SuitesFinding],
            chain: ChainFinding | None) -> list[str]:
    misses = [f"accepts {_name(v)}" for v in sorted(accepted - profile.versions)]
    extra = sorted({s.name for f in suites for s in f.suites if s.name not in profile.suites})
    if extra:
        misses.append(f"accepts {len(extra)} suite(s) it does not list, e.g. {extra[0]}")
    dh = [int(m.group(1)) for f in suites for s in f.suites
          if (m := _DH_BITS.match(s.key_exchange))]
    if dh and (profile.dh_param_size is None or min(dh) < profile.dh_param_size):
        misses.append(f"DH groups of {min(dh)} bits")
    if chain is not None and chain.certificates:
        misses += _certificate_misses(profile, chain)
    return misses


def _certificate_misses(profile: Profile, chain: ChainFinding) -> list[str]:
    leaf = chain.certificates[0]
    out = []
    if leaf.key_type not in profile.certificate_types:
        wanted = "/".join(sorted(profile.certificate_types))
        out.append(f"{leaf.key_type} certificate (wants {wanted})")
    if leaf.key_type == "RSA" and profile.rsa_key_size and leaf.key_bits < profile.rsa_key_size:
        out.append(f"RSA key of {leaf.key_bits} bits")
    if leaf.lifetime_days > profile.certificate_lifespan_days:
        out.append(f"certificate valid for {leaf.lifetime_days} days "
                   f"(at most {profile.certificate_lifespan_days})")
    return out


def _name(version: int) -> str:
    return VERSION_NAMES.get(version, hex(version))
