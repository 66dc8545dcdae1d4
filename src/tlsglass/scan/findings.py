"""The typed findings a scan produces: frozen dataclasses, JSON-ready by `asdict`.

Each probe returns one of these; `Report` gathers them with the verdict. Field
names are the keys of the JSON output (docs/scan-schema.md documents them).
Code points stay ints, with names alongside for people.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CertificateFinding",
    "ChainFinding",
    "Check",
    "GroupsFinding",
    "Report",
    "SignaturesFinding",
    "SuiteFinding",
    "SuitesFinding",
    "Verdict",
    "VersionFinding",
    "Weakness",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionFinding:
    version: int
    name: str
    accepted: bool
    answer: str  # what the server did: "ServerHello", "alert protocol_version", ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteFinding:
    code: int
    name: str
    key_exchange: str  # e.g. "ECDH x25519", "DH 2048 bits", "RSA" (no forward secrecy)
    forward_secrecy: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SuitesFinding:
    """The suites one version accepts, in the order the server chose them."""

    version: int
    name: str
    suites: tuple[SuiteFinding, ...]
    server_order: bool | None  # True: server's preference wins; None: could not tell


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupsFinding:
    tls13: tuple[int, ...]
    tls12: tuple[int, ...]
    names: tuple[str, ...]  # every group accepted in either version, by name
    hello_retry_request: str  # how the server reacts to a missing key share


@dataclass(frozen=True, slots=True, kw_only=True)
class SignaturesFinding:
    tls13: tuple[int, ...]
    tls12: tuple[int, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One yes/no property. `ok` is the judgement (None: neither good nor bad)."""

    key: str
    title: str
    supported: bool | None  # None: could not be determined
    detail: str
    ok: bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateFinding:
    subject: str
    issuer: str
    not_before: str
    not_after: str
    days_left: int
    lifetime_days: int  # not_after - not_before
    key: str  # "RSA 2048", "ECDSA P-256", ...
    key_type: str
    key_bits: int
    signature_algorithm: str
    sans: tuple[str, ...]
    ocsp_urls: tuple[str, ...]
    crl_urls: tuple[str, ...]
    sha256: str
    self_issued: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainFinding:
    certificates: tuple[CertificateFinding, ...]
    source: str  # which handshake it came from
    order_ok: bool
    order_detail: str
    trusted: bool
    trust_detail: str
    hostname_ok: bool | None  # None: no name to check (scan by IP without --sni)
    hostname_detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Weakness:
    name: str  # "SWEET32", "POODLE (SSL 3.0)", ...
    detail: str
    severity: str  # "critical", "high", "medium", "low"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    grade: str  # "A+", "A", "B", "C", "F", or "T" (certificate not trusted)
    profile: str  # "modern", "intermediate", "old" or "none"
    guidelines: str  # which Mozilla guidelines version the profile follows
    reasons: tuple[str, ...]
    weaknesses: tuple[Weakness, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    host: str
    port: int
    server_name: str | None
    started: str  # ISO 8601 UTC
    seconds: float
    probes: int
    reachable: bool
    error: str | None
    versions: tuple[VersionFinding, ...]
    suites: tuple[SuitesFinding, ...]
    groups: GroupsFinding | None
    signatures: SignaturesFinding | None
    checks: tuple[Check, ...]
    chain: ChainFinding | None
    verdict: Verdict
