"""The whole scan: probes in phases, run concurrently under one bound.

Phase 1 asks which versions the server accepts; everything else depends on that
answer and runs together in phase 2 (suites per version, groups, signature
schemes, the yes/no checks, the TLS 1.3 handshake); the verdict comes last.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime

import tlsglass
from tlsglass.enums import HandshakeType, ProtocolVersion, SignatureScheme
from tlsglass.scan import checks
from tlsglass.scan.chain import analyse_chain
from tlsglass.scan.findings import (
    ChainFinding,
    Check,
    GroupsFinding,
    Report,
    SignaturesFinding,
    SuitesFinding,
    Verdict,
    VersionFinding,
)
from tlsglass.scan.handshake13 import Tls13Facts, handshake13
from tlsglass.scan.probes import (
    VERSION_NAMES,
    Prober,
    Progress,
    probe_groups,
    probe_signatures12,
    probe_suites,
    probe_version,
)
from tlsglass.scan.transport import Flight, Target
from tlsglass.scan.verdict import judge
from tlsglass.wire import Certificate12, decode_whole

__all__ = ["scan"]

_V = ProtocolVersion
# The 1.3 schemes tlsglass can verify; each is tried alone in a handshake of its own.
_ALPN = (b"h2", b"http/1.1")
_SCHEMES13 = (SignatureScheme.ECDSA_SECP256R1_SHA256, SignatureScheme.ECDSA_SECP384R1_SHA384,
              SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384,
              SignatureScheme.RSA_PSS_RSAE_SHA512, SignatureScheme.RSA_PSS_PSS_SHA256,
              SignatureScheme.ED25519, SignatureScheme.ED448)


async def scan(target: Target, trust: tlsglass.TrustStore, *, concurrency: int = 8,
               progress: Progress | None = None) -> Report:
    """Scan one server and judge it."""
    started, clock = datetime.now(UTC), time.monotonic()
    p = Prober(target, concurrency, progress)
    versions = await asyncio.gather(*(probe_version(p, v) for v in VERSION_NAMES))
    accepted = [v.version for v in versions if v.accepted]
    if not accepted:
        error = versions[-1].answer if all(v.answer == versions[-1].answer for v in versions) \
            else "no version accepted"
        verdict = judge(versions, (), (), None, None)
        return _report(target, started, clock, p, versions=tuple(versions), error=error,
                       verdict=verdict)
    suites, groups, signatures, found_checks, chain = await _phase2(p, accepted, trust)
    verdict = judge(versions, suites, found_checks, chain, signatures)
    return _report(target, started, clock, p, versions=tuple(versions), suites=suites,
                   groups=groups, signatures=signatures, checks=found_checks, chain=chain,
                   verdict=verdict)


async def _phase2(p: Prober, accepted: list[int], trust: tlsglass.TrustStore
                  ) -> tuple[tuple[SuitesFinding, ...], GroupsFinding, SignaturesFinding,
                             tuple[Check, ...], ChainFinding | None]:
    tls13 = _V.TLS1_3 in accepted
    legacy = max((v for v in accepted if v < _V.TLS1_3), default=None)
    best = max(accepted)
    suites_job = asyncio.gather(*(probe_suites(p, v) for v in sorted(accepted, reverse=True)))
    checks_job = asyncio.gather(
        checks.probe_fallback_scsv(p, accepted), checks.probe_compression(p, legacy),
        checks.probe_downgrade_sentinel(p, accepted), checks.probe_grease(p, best),
        checks.probe_unknown_version(p, best), checks.probe_oversized_hello(p, best),
        checks.probe_oversized_record(p, best), checks.probe_session_id(p, legacy))
    # RFC 8449 §4: a TLS 1.2 limit is at most 2^14.
    flight12 = p.send(replace(p.spec(legacy), alpn=_ALPN, record_size_limit=1 << 14),
                      "extensions") if legacy else _nothing()
    facts = _handshake13(p, trust) if tls13 else _no_facts()
    schemes13 = _schemes13(p, trust) if tls13 else _no_schemes()
    (suites, groups, found, flight, facts13, s13) = await asyncio.gather(
        suites_job, probe_groups(p, tls13, legacy), checks_job, flight12, facts, schemes13)
    signatures = await probe_signatures12(p, legacy, s13)
    all_checks = (*found, *(checks.from_flight12(flight) if flight else ()),
                  *(checks.from_tls13(facts13) if tls13 else ()))
    chain = _chain(p.target, trust, facts13, flight)
    return tuple(suites), groups, signatures, tuple(all_checks), chain


async def _handshake13(p: Prober, trust: tlsglass.TrustStore) -> Tls13Facts:
    """A full handshake, then (given a ticket) a second one that offers it (§2.2)."""
    store = tlsglass.InMemoryTicketStore()
    async with p.slot("TLS 1.3 handshake"):
        first = await handshake13(p.target, trust, store=store)
    if first.error is not None or not first.tickets or p.target.server_name is None:
        return first
    async with p.slot("TLS 1.3 resumption"):
        second = await handshake13(p.target, trust, tickets=False, store=store)
    return replace(first, resumed=second.error is None and second.resumed,
                   resumption_tried=True)


async def _schemes13(p: Prober, trust: tlsglass.TrustStore) -> tuple[int, ...]:
    async def one(scheme: SignatureScheme) -> bool:
        async with p.slot("TLS 1.3 signature schemes"):
            facts = await handshake13(p.target, trust, (scheme,), tickets=False)
        return facts.error is None and facts.signature_scheme == scheme
    results = await asyncio.gather(*(one(s) for s in _SCHEMES13))
    return tuple(int(s) for s, ok in zip(_SCHEMES13, results, strict=True) if ok)


async def _nothing() -> Flight | None:
    return None


async def _no_facts() -> Tls13Facts:
    return Tls13Facts(error="TLS 1.3 not accepted")


async def _no_schemes() -> tuple[int, ...]:
    return ()


def _chain(target: Target, trust: tlsglass.TrustStore, facts: Tls13Facts,
           flight: Flight | None) -> ChainFinding | None:
    now = datetime.now(UTC)
    if facts.certificates:
        return analyse_chain(facts.certificates, trust, target.server_name, now,
                             "TLS 1.3 handshake")
    body = flight.message(HandshakeType.CERTIFICATE) if flight else None
    if body is None:
        return None
    try:
        message = decode_whole(Certificate12.decode, body, "Certificate")
        certs = tuple(tlsglass.Certificate.from_der(d) for d in message.certificate_list)
    except tlsglass.TLSError as exc:
        return ChainFinding(certificates=(), source="TLS 1.2 Certificate", order_ok=False,
                            order_detail=str(exc), trusted=False, trust_detail=str(exc),
                            hostname_ok=None, hostname_detail="")
    return analyse_chain(certs, trust, target.server_name, now, "TLS 1.2 Certificate")


def _report(target: Target, started: datetime, clock: float, p: Prober, *,
            verdict: Verdict, versions: tuple[VersionFinding, ...],
            suites: tuple[SuitesFinding, ...] = (), groups: GroupsFinding | None = None,
            signatures: SignaturesFinding | None = None, checks: tuple[Check, ...] = (),
            chain: ChainFinding | None = None, error: str | None = None) -> Report:
    reachable = any(not v.answer.startswith(("connection failed", "not TLS"))
                    for v in versions)
    return Report(host=target.host, port=target.port, server_name=target.server_name,
                  started=started.isoformat(timespec="seconds"),
                  seconds=round(time.monotonic() - clock, 3), probes=p.sent,
                  reachable=reachable, error=error, versions=versions, suites=suites,
                  groups=groups, signatures=signatures, checks=checks, chain=chain,
                  verdict=verdict)
