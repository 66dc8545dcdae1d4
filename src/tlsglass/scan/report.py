"""Rendering a Report: JSON (schema in docs/scan-schema.md) and text for people.

Text uses ANSI colours only when asked (the CLI asks when stdout is a terminal):
green for good, yellow for questionable, red for weaknesses.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Final

from tlsglass.scan.findings import Check, Report

__all__ = ["SCHEMA_VERSION", "render_text", "to_json"]

SCHEMA_VERSION: Final = 1
_COLOURS: Final = {"good": "\033[32m", "warn": "\033[33m", "bad": "\033[31m",
                   "bold": "\033[1m"}
_RESET: Final = "\033[0m"
_GRADE_TONE: Final = {"A+": "good", "A": "good", "B": "warn", "C": "bad", "F": "bad",
                      "T": "bad"}


def to_json(report: Report) -> str:
    return json.dumps({"schema_version": SCHEMA_VERSION, **asdict(report)}, indent=2)


class _Paint:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, tone: str, text: str) -> str:
        return f"{_COLOURS[tone]}{text}{_RESET}" if self.colour else text


def render_text(report: Report, colour: bool = False) -> str:
    paint = _Paint(colour)
    lines = [paint("bold", f"tlsglass scan {report.host}:{report.port}")
             + (f" (SNI {report.server_name})" if report.server_name else ""),
             f"{report.probes} probes in {report.seconds:.2f} s, started {report.started}"]
    if report.error:
        lines.append(paint("bad", f"error: {report.error}"))
    lines += _versions(report, paint) + _suites(report, paint) + _groups(report)
    lines += _checks(report.checks, paint) + _chain(report, paint) + _verdict(report, paint)
    return "\n".join(lines) + "\n"


def _versions(report: Report, paint: _Paint) -> list[str]:
    out = ["", paint("bold", "Protocol versions")]
    for v in report.versions:
        old = v.version < 0x0303
        tone = ("bad" if old else "good") if v.accepted else ("good" if old else "warn")
        state = "accepted" if v.accepted else f"refused ({v.answer})"
        out.append(f"  {v.name:8} {paint(tone, state)}")
    return out


def _suites(report: Report, paint: _Paint) -> list[str]:
    out: list[str] = []
    for s in report.suites:
        order = {True: "server's order", False: "client's order", None: "order unknown"}
        out += ["", paint("bold", f"Cipher suites, {s.name} ({order[s.server_order]})")]
        for suite in s.suites:
            tone = "good" if suite.forward_secrecy else "bad"
            out.append(f"  0x{suite.code:04x} {suite.name:48} {paint(tone, suite.key_exchange)}")
    return out


def _groups(report: Report) -> list[str]:
    out: list[str] = []
    if report.groups is not None:
        out += ["", "Groups: " + (", ".join(report.groups.names) or "none"),
                f"  HelloRetryRequest: {report.groups.hello_retry_request}"]
    if report.signatures is not None:
        out.append("Signature schemes: " + (", ".join(report.signatures.names) or "none seen"))
    return out


def _checks(checks: tuple[Check, ...], paint: _Paint) -> list[str]:
    out = ["", paint("bold", "Features and reactions")] if checks else []
    for c in checks:
        mark = {True: "yes", False: "no", None: "n/a"}[c.supported]
        tone = {True: "good", False: "bad", None: "warn"}[c.ok]
        out.append(f"  {c.title:44} {paint(tone, mark):>3}  {c.detail}")
    return out


def _chain(report: Report, paint: _Paint) -> list[str]:
    chain = report.chain
    if chain is None:
        return []
    out = ["", paint("bold", f"Certificate chain (from the {chain.source})"),
           f"  order:    {paint('good' if chain.order_ok else 'bad', chain.order_detail)}",
           f"  trust:    {paint('good' if chain.trusted else 'bad', chain.trust_detail)}",
           f"  hostname: {chain.hostname_detail}"]
    for i, c in enumerate(chain.certificates, 1):
        tone = "bad" if c.days_left < 0 else "warn" if c.days_left < 30 else "good"
        out += [f"  [{i}] {c.subject}", f"      issuer {c.issuer}",
                f"      {c.key}, {c.signature_algorithm}, "
                + paint(tone, f"expires {c.not_after} ({c.days_left} days)")]
        if c.sans:
            out.append(f"      names {', '.join(c.sans)}")
        if c.ocsp_urls or c.crl_urls:
            out.append(f"      OCSP {', '.join(c.ocsp_urls) or '-'}; "
                       f"CRL {', '.join(c.crl_urls) or '-'}")
    return out


def _verdict(report: Report, paint: _Paint) -> list[str]:
    v = report.verdict
    out = ["", paint("bold", "Verdict: ") + paint(_GRADE_TONE.get(v.grade, "warn"),
                                                  f"grade {v.grade}")
           + f", Mozilla profile: {v.profile} ({v.guidelines})"]
    for w in v.weaknesses:
        tone = "bad" if w.severity in ("critical", "high") else "warn"
        out.append("  " + paint(tone, f"[{w.severity}] {w.name}") + f": {w.detail}")
    out += [f"  - {r}" for r in v.reasons if not any(r.startswith(w.name)
                                                     for w in v.weaknesses)]
    return out
