"""A real TLS 1.3 handshake with the tlsglass client, to see what 1.3 encrypts.

In TLS 1.3 the certificate chain, ALPN answer, record_size_limit, stapled OCSP
response and tickets travel encrypted, so the scanner completes one ordinary 1.3
handshake (secure by construction: tlsglass speaks nothing weaker). Verification
is switched off here on purpose, because the chain is judged separately
(chain.py) and a scanner must still report on a server whose certificate fails.
The trace sink shows the decrypted EncryptedExtensions and Certificate messages.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, replace

import tlsglass
from tlsglass.enums import ExtensionType, SignatureScheme
from tlsglass.observe import MessageTrace, TraceRecord
from tlsglass.scan.transport import Target
from tlsglass.wire import (
    Certificate,
    ClientHello,
    EncryptedExtensions,
    RecordSizeLimit,
    find,
    find_raw,
)
from tlsglass.wire.legacy import CertificateStatusRequest

__all__ = ["Tls13Facts", "handshake13"]

# After the handshake a server sends its tickets; wait this long for them.
_TICKET_WAIT = 0.3


@dataclass(frozen=True, slots=True, kw_only=True)
class Tls13Facts:
    error: str | None = None
    cipher_suite: int | None = None
    group: int | None = None
    signature_scheme: int | None = None
    alpn: str | None = None
    certificates: tuple[tlsglass.Certificate, ...] = field(default=(), repr=False)
    tickets: tuple[tlsglass.NewSessionTicketReceived, ...] = ()
    ocsp_stapled: bool = False
    record_size_limit: int | None = None
    resumed: bool = False  # this handshake resumed with a ticket from an earlier one
    resumption_tried: bool = False  # set by the runner when it offered a ticket


class _Collector:
    """A TraceSink that keeps every record (the handshake is short)."""

    def __init__(self) -> None:
        self.records: list[TraceRecord] = []

    def __call__(self, record: TraceRecord) -> None:
        self.records.append(record)


def _ask_for_ocsp(hello: ClientHello) -> ClientHello:
    """RFC 8446 §4.4.2.1: status_request in the ClientHello asks for a stapled response."""
    return replace(hello, extensions=(*hello.extensions, CertificateStatusRequest()))


def _config(target: Target, trust: tlsglass.TrustStore, traces: _Collector,
            schemes: tuple[SignatureScheme, ...] | None,
            store: tlsglass.ClientTicketStore | None) -> tlsglass.ClientConfig:
    config = tlsglass.ClientConfig(
        server_name=target.server_name, trust=trust, ticket_store=store,
        insecure_skip_verification=True, alpn_protocols=("h2", "http/1.1"),
        record_size_limit=1 << 14, trace=traces, hello_hook=_ask_for_ocsp,
        minimum_version=tlsglass.ProtocolVersion.TLS1_3)
    if schemes is not None:
        config = replace(config, signature_schemes=schemes)
    return config


async def handshake13(target: Target, trust: tlsglass.TrustStore,
                      schemes: tuple[SignatureScheme, ...] | None = None,
                      tickets: bool = True,
                      store: tlsglass.ClientTicketStore | None = None) -> Tls13Facts:
    """One 1.3 handshake; `schemes` limits signature_algorithms; `tickets` waits for
    NewSessionTickets; `store` keeps them, and offers one if it holds any (§2.2)."""
    traces = _Collector()
    try:
        conn = tlsglass.Connection(_config(target, trust, traces, schemes, store))
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port), target.timeout)
    except (OSError, TimeoutError, tlsglass.TLSError) as exc:
        return Tls13Facts(error=str(exc) or type(exc).__name__)
    try:
        done, seen = await asyncio.wait_for(_run(conn, reader, writer, tickets),
                                            target.timeout)
    except (OSError, TimeoutError, tlsglass.TLSError) as exc:
        return Tls13Facts(error=str(exc) or type(exc).__name__)
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)
    return _facts(done, seen, traces.records)


async def _run(conn: tlsglass.Connection, reader: asyncio.StreamReader,
               writer: asyncio.StreamWriter, tickets: bool
               ) -> tuple[tlsglass.HandshakeComplete, list[tlsglass.Event]]:
    conn.start_handshake()
    events: list[tlsglass.Event] = []
    complete: tlsglass.HandshakeComplete | None = None
    while complete is None:
        writer.write(conn.data_to_send())
        data = await reader.read(65536)
        events += conn.receive_data(data)
        complete = next((e for e in events if isinstance(e, tlsglass.HandshakeComplete)), None)
        if not data and complete is None:
            raise OSError("server closed the connection during the handshake")
    writer.write(conn.data_to_send())
    if tickets:
        await _collect_tickets(conn, reader, events)
    conn.close()
    writer.write(conn.data_to_send())
    return complete, events


async def _collect_tickets(conn: tlsglass.Connection, reader: asyncio.StreamReader,
                           events: list[tlsglass.Event]) -> None:
    with contextlib.suppress(TimeoutError, OSError, tlsglass.TLSError):
        while True:
            data = await asyncio.wait_for(reader.read(65536), _TICKET_WAIT)
            if not data:
                return
            events += conn.receive_data(data)


def _facts(done: tlsglass.HandshakeComplete, events: list[tlsglass.Event],
           traces: list[TraceRecord]) -> Tls13Facts:
    messages = [t.message for t in traces if isinstance(t, MessageTrace) and t.direction == "in"]
    ee = next((m for m in messages if isinstance(m, EncryptedExtensions)), None)
    cert = next((m for m in messages if isinstance(m, Certificate)), None)
    rsl = find(ee.extensions, RecordSizeLimit) if ee else None
    stapled = bool(cert and cert.certificate_list and find_raw(
        cert.certificate_list[0].extensions, ExtensionType.STATUS_REQUEST))
    return Tls13Facts(
        cipher_suite=done.cipher_suite, group=done.group,
        signature_scheme=done.signature_scheme, alpn=done.alpn_protocol,
        certificates=done.peer_certificates,
        tickets=tuple(e for e in events if isinstance(e, tlsglass.NewSessionTicketReceived)),
        ocsp_stapled=stapled, record_size_limit=rsl.record_size_limit if rsl else None,
        resumed=done.resumed)
