"""Yes/no properties of the server, each one `Check` (findings.py).

Some come from probes of their own (TLS_FALLBACK_SCSV, compression, the downgrade
sentinel, reactions to GREASE, unknown versions and oversized hellos); the rest
are read from the ServerHello of one ordinary pre-1.3 hello (`from_flight12`) and
from the TLS 1.3 handshake (`from_tls13`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from tlsglass.enums import AlertDescription, HandshakeType, ProtocolVersion
from tlsglass.scan.findings import Check
from tlsglass.scan.handshake13 import Tls13Facts
from tlsglass.scan.probes import VERSION_NAMES, Prober, alert_is
from tlsglass.scan.suites import LEGACY_SUITES
from tlsglass.scan.transport import Flight
from tlsglass.wire import (
    ALPN,
    ExtendedMasterSecret,
    RawExtension,
    RecordSizeLimit,
    RenegotiationInfo,
    SessionTicket,
    find,
)
from tlsglass.wire.handshake import TLS11_DOWNGRADE_SENTINEL, TLS12_DOWNGRADE_SENTINEL

__all__ = [
    "from_flight12",
    "from_tls13",
    "probe_compression",
    "probe_downgrade_sentinel",
    "probe_fallback_scsv",
    "probe_grease",
    "probe_oversized_hello",
    "probe_oversized_record",
    "probe_session_id",
    "probe_unknown_version",
]

_V = ProtocolVersion
_FALLBACK_SCSV: Final = 0x5600  # RFC 7507 §2
_GREASE_SUITE: Final = 0x0A0A  # RFC 8701 §2
_GREASE_GROUP: Final = 0x1A1A
_GREASE_EXTENSION: Final = 0x2A2A
_GREASE_VERSION: Final = 0x3A3A
_UNKNOWN_VERSION: Final = 0x0305


def _check(key: str, title: str, supported: bool | None, detail: str,
           ok: bool | None) -> Check:
    return Check(key=key, title=title, supported=supported, detail=detail, ok=ok)


async def probe_fallback_scsv(p: Prober, accepted: list[int]) -> Check:
    """RFC 7507: a hello below the server's best version, carrying TLS_FALLBACK_SCSV,
    must be refused with inappropriate_fallback."""
    title = "TLS_FALLBACK_SCSV"
    if len(accepted) < 2:
        return _check("fallback_scsv", title, None, "only one version accepted: no downgrade "
                      "to protect against", None)
    lower = sorted(accepted)[-2]
    suites = (*LEGACY_SUITES, _FALLBACK_SCSV)
    flight = await p.send(p.spec(lower, suites), "TLS_FALLBACK_SCSV")
    if alert_is(flight, AlertDescription.INAPPROPRIATE_FALLBACK):
        return _check("fallback_scsv", title, True, f"a {VERSION_NAMES[lower]} fallback is "
                      "refused with inappropriate_fallback", True)
    return _check("fallback_scsv", title, False, f"a {VERSION_NAMES[lower]} hello with the "
                  f"SCSV got: {flight.describe()}", False)


async def probe_compression(p: Prober, version: int | None) -> Check:
    """CRIME needs TLS-level compression: offer DEFLATE (1) before null (0)."""
    title = "TLS compression (CRIME)"
    if version is None:
        return _check("compression", title, False, "TLS 1.3 has no compression", True)
    flight = await p.send(replace(p.spec(version), compression_methods=b"\x01\x00"),
                          "compression")
    sh = flight.server_hello
    if sh is None:
        return _check("compression", title, None, flight.describe(), None)
    chose = sh.legacy_compression_method
    return _check("compression", title, chose != 0, f"chose compression method {chose}",
                  chose == 0)


async def probe_downgrade_sentinel(p: Prober, accepted: list[int]) -> Check:
    """RFC 8446 §4.1.3: a 1.3 server answering a 1.2 hello ends its random with DOWNGRD."""
    title = "Downgrade sentinel (RFC 8446 §4.1.3)"
    if _V.TLS1_3 not in accepted:
        return _check("downgrade_sentinel", title, None, "TLS 1.3 not accepted", None)
    lower = [v for v in accepted if v < _V.TLS1_3]
    if not lower:
        return _check("downgrade_sentinel", title, None, "no lower version accepted", None)
    version = max(lower)
    flight = await p.send(p.spec(version), "downgrade sentinel")
    sh = flight.server_hello
    expected = TLS12_DOWNGRADE_SENTINEL if version == _V.TLS1_2 else TLS11_DOWNGRADE_SENTINEL
    present = sh is not None and sh.random[-8:] == expected
    return _check("downgrade_sentinel", title, present,
                  f"{VERSION_NAMES[version]} ServerHello.random "
                  f"{'ends' if present else 'does not end'} with the sentinel", present)


async def probe_grease(p: Prober, version: int) -> Check:
    """RFC 8701: GREASE suites, groups, extensions and versions must be ignored."""
    spec = p.spec(version)
    spec = replace(spec, cipher_suites=(_GREASE_SUITE, *spec.cipher_suites),
                   groups=(_GREASE_GROUP, *spec.groups),
                   extras=(RawExtension(code=_GREASE_EXTENSION, data=b""),),
                   supported_versions=(_GREASE_VERSION, version)
                   if version >= _V.TLS1_3 else None)
    flight = await p.send(spec, "GREASE")
    ok = flight.version == version
    return _check("grease", "Tolerates GREASE (RFC 8701)", ok,
                  "answered normally" if ok else flight.describe(), ok)


async def probe_unknown_version(p: Prober, best: int) -> Check:
    """A future version must be negotiated down, never refused (RFC 8446 §4.2.1, App. D)."""
    if best >= _V.TLS1_3:
        spec = replace(p.spec(_V.TLS1_3),
                       supported_versions=(_UNKNOWN_VERSION, _V.TLS1_3, _V.TLS1_2))
        what = "supported_versions offering 0x0305 first"
    else:
        spec = replace(p.spec(best), legacy_version=_UNKNOWN_VERSION)
        what = "legacy_version 0x0305"
    flight = await p.send(spec, "unknown version")
    chosen = flight.version
    ok = chosen == best
    detail = (f"{what}: chose {VERSION_NAMES.get(chosen or 0, hex(chosen or 0))}" if chosen
              else f"{what}: {flight.describe()}")
    return _check("unknown_version", "Negotiates down from an unknown version", ok, detail, ok)


async def probe_oversized_hello(p: Prober, version: int) -> Check:
    """A 20 KB hello spans two records; a server must reassemble it (or refuse it with an
    alert), never hang."""
    flight = await p.send(replace(p.spec(version), pad_to=20000), "oversized hello")
    answered = flight.server_hello is not None
    ok = answered or flight.alert is not None
    return _check("oversized_hello", "Answers a 20 KB ClientHello in two records", answered,
                  "ServerHello" if answered else flight.describe(), ok)


async def probe_oversized_record(p: Prober, version: int) -> Check:
    """A record over 2^14 bytes must be refused with record_overflow (RFC 8446 §5.1)."""
    flight = await p.send(replace(p.spec(version), pad_to=17000, one_record=True),
                          "oversized record")
    ok = alert_is(flight, AlertDescription.RECORD_OVERFLOW)
    return _check("oversized_record", "Refuses a record over 2^14 bytes", ok,
                  flight.describe(), ok if flight.server_hello is None else False)


async def probe_session_id(p: Prober, version: int | None) -> Check:
    """RFC 5246 §7.4.1.3: a server that caches sessions gives each one an ID. Asked without
    the session_ticket extension, because a server issuing a ticket may send none."""
    title = "Session IDs (resumption)"
    if version is None:
        return _check("session_id_resumption", title, None, "TLS 1.3 only", None)
    flight = await p.send(replace(p.spec(version), session_ticket=False), "session ID")
    sh = flight.server_hello
    if sh is None:
        return _check("session_id_resumption", title, None, flight.describe(), None)
    n = len(sh.legacy_session_id_echo)
    return _check("session_id_resumption", title, n > 0,
                  f"{VERSION_NAMES[version]}: session ID of {n} bytes", None)


def from_flight12(flight: Flight) -> list[Check]:
    """The pre-1.3 properties visible in one ServerHello and its flight."""
    sh = flight.server_hello
    if sh is None:
        return []
    ext = sh.extensions
    ems = find(ext, ExtendedMasterSecret) is not None
    reneg = find(ext, RenegotiationInfo) is not None
    ticket = find(ext, SessionTicket) is not None
    stapled = flight.message(HandshakeType.CERTIFICATE_STATUS) is not None
    alpn = find(ext, ALPN)
    rsl = find(ext, RecordSizeLimit)
    v = VERSION_NAMES.get(flight.version or 0, "TLS")
    return [
        _check("extended_master_secret", "Extended master secret (RFC 7627)", ems,
               f"{v}: {'negotiated' if ems else 'not negotiated'}", ems),
        _check("secure_renegotiation", "Secure renegotiation (RFC 5746)", reneg,
               f"{v}: renegotiation_info {'answered' if reneg else 'missing'}", reneg),
        _check("session_tickets", "Session tickets (RFC 5077)", ticket,
               f"{v}: session_ticket {'answered' if ticket else 'not answered'}", None),
        _check("ocsp_stapling_12", "OCSP stapling, TLS 1.2", stapled,
               f"{v}: {'CertificateStatus sent' if stapled else 'no CertificateStatus'}", None),
        _check("alpn_12", "ALPN, TLS 1.2", alpn is not None,
               f"{v}: chose {alpn.protocol_name_list[0].decode(errors='replace')}"
               if alpn else f"{v}: no ALPN (offered h2, http/1.1)", None),
        _check("record_size_limit_12", "record_size_limit (RFC 8449), TLS 1.2", rsl is not None,
               f"{v}: {rsl.record_size_limit}" if rsl else f"{v}: not answered", None),
    ]


def from_tls13(facts: Tls13Facts) -> list[Check]:
    """What the TLS 1.3 handshake showed: ALPN, tickets, 0-RTT, OCSP, record_size_limit."""
    if facts.error is not None:
        return [_check("handshake_13", "TLS 1.3 handshake", False, facts.error, False)]
    tickets = len(facts.tickets)
    early = max((t.max_early_data_size for t in facts.tickets), default=0)
    return [
        _check("alpn_13", "ALPN, TLS 1.3", facts.alpn is not None,
               f"chose {facts.alpn}" if facts.alpn else "no ALPN (offered h2, http/1.1)", None),
        _check("psk_tickets_13", "TLS 1.3 session tickets (PSK resumption)", tickets > 0,
               f"{tickets} NewSessionTicket(s)"
               + (f", lifetime {facts.tickets[0].ticket_lifetime} s" if tickets else ""), None),
        _check("psk_resumption_13", "TLS 1.3 resumption with a ticket", facts.resumed
               if facts.resumption_tried else None,
               ("a second handshake offering a ticket was resumed" if facts.resumed else
                "a ticket was offered, the server made a full handshake")
               if facts.resumption_tried else "not tried (no ticket or no server name)", None),
        _check("early_data_13", "0-RTT early data", early > 0,
               f"max_early_data_size {early}" if early else "tickets allow no early data",
               None),
        _check("ocsp_stapling_13", "OCSP stapling, TLS 1.3", facts.ocsp_stapled,
               "status_request in the leaf's CertificateEntry" if facts.ocsp_stapled
               else "no stapled response", None),
        _check("record_size_limit_13", "record_size_limit (RFC 8449), TLS 1.3",
               facts.record_size_limit is not None,
               str(facts.record_size_limit) if facts.record_size_limit else "not answered",
               None),
    ]
