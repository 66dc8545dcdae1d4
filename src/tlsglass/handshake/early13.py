"""0-RTT early data (RFC 8446 §2.3, §4.2.10, §8), the parts both roles share.

Client: `begin_early_data` derives client_early_traffic_secret over the
ClientHello and seals from then on under it, so `Connection.send_early_data`
can follow the hello at once; `early_data_answer` reads the server's verdict in
EncryptedExtensions. Server: `accept_early_data` applies every condition of
§4.2.10 and the anti-replay rules of §8 (a fresh ticket age, and the ClientHello's
binder recorded in the ReplayStore), and says why when it declines.
"""

from __future__ import annotations

from dataclasses import replace

from tlsglass.config import ClientConfig, ServerConfig
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import TLS13_SUITES, SuiteInfo
from tlsglass.enums import CipherSuite, ExtensionType
from tlsglass.errors import IllegalParameter
from tlsglass.events import EarlyDataAccepted, EarlyDataRejected
from tlsglass.handshake.base import Output, decide
from tlsglass.handshake.psk13 import TICKET_AGE_WINDOW_MS, AcceptedPsk, OfferedPsk
from tlsglass.keyschedule import EarlySecret
from tlsglass.wire.extension_block import find, find_raw
from tlsglass.wire.extensions import EarlyDataIndication
from tlsglass.wire.handshake import ClientHello, EncryptedExtensions

__all__ = ["accept_early_data", "begin_early_data", "early_data_answer", "early_suite",
           "wants_early_data"]


def _early_secret(suite: SuiteInfo, psk: Secret, transcript_hash: bytes, client_random: bytes,
                  out: Output) -> Secret:
    """§7.1: client_early_traffic_secret and early_exporter_master_secret over ClientHello."""
    early = EarlySecret.start(suite.hash_name, psk.reveal())
    secret = early.client_early_traffic_secret(transcript_hash)
    out.log_secret("CLIENT_EARLY_TRAFFIC_SECRET", client_random, secret)
    out.log_secret("EARLY_EXPORTER_SECRET", client_random,
                   early.early_exporter_master_secret(transcript_hash))
    return secret


def early_suite(psk: OfferedPsk) -> SuiteInfo | None:
    ticket = psk.ticket
    if ticket is None:
        return None
    return TLS13_SUITES.get(CipherSuite(ticket.cipher_suite)) \
        if ticket.cipher_suite in TLS13_SUITES else None


def wants_early_data(config: ClientConfig, psk: OfferedPsk) -> bool:
    """§4.2.10: only with a ticket that allows it, its suite, and its ALPN still offered."""
    ticket = psk.ticket
    if not config.enable_early_data or ticket is None or not ticket.max_early_data_size:
        return False
    if ticket.cipher_suite not in config.cipher_suites:
        return False
    return ticket.alpn_protocol is None or ticket.alpn_protocol in config.alpn_protocols


def begin_early_data(hello: ClientHello, psk: OfferedPsk | None,
                     out: Output) -> OfferedPsk | None:
    """After the ClientHello went out: seal under the early key if 0-RTT was offered."""
    if psk is None or find_raw(hello.extensions, ExtensionType.EARLY_DATA) is None:
        return psk
    suite = early_suite(psk)
    assert suite is not None
    transcript_hash = out.transcript.pending_digest_with(suite.hash_name, b"")
    secret = _early_secret(suite, psk.secret, transcript_hash, hello.random, out)
    out.install_write_key(suite, secret, "early")
    return replace(psk, early_secret=secret)


def early_data_answer(psk_offered: OfferedPsk | None, psk: OfferedPsk | None, suite: SuiteInfo,
                      alpn: str | None, msg: EncryptedExtensions, out: Output) -> bool:
    """Client, at EncryptedExtensions: was our 0-RTT data accepted? (§4.2.10)"""
    offered = psk_offered is not None and psk_offered.early_secret is not None
    if find(msg.extensions, EarlyDataIndication) is None:
        if offered:
            out.emit(EarlyDataRejected())
        return False
    if psk is None or psk.ticket is None or psk.early_secret is None:
        raise IllegalParameter("server accepted early data without accepting its PSK")
    # §4.2.10: the client checks the server kept the ticket's suite and ALPN.
    if suite.suite != psk.ticket.cipher_suite or alpn != psk.ticket.alpn_protocol:
        raise IllegalParameter("server accepted early data under another suite or ALPN")
    out.emit(EarlyDataAccepted())
    return True


def accept_early_data(config: ServerConfig, hello: ClientHello, psk: AcceptedPsk | None,
                      alpn: str | None, out: Output) -> Secret | None:
    """Server: client_early_traffic_secret if we take the 0-RTT data, else None."""
    if find_raw(hello.extensions, ExtensionType.EARLY_DATA) is None:
        return None
    reason = _refusal(config, psk, alpn)
    if reason is None:
        assert psk is not None
        now = config.clock()
        # §8.2: record the ClientHello (by its binder) for as long as its age is fresh.
        if not config.replay_store.claim(b"0rtt:" + psk.binder, now,
                                         now + 2 * TICKET_AGE_WINDOW_MS / 1000):
            reason = "this ClientHello was seen before, or cannot be recorded (§8.2)"
    if reason is not None:
        decide(out, "early_data", "rejected", (), reason)
        return None
    assert psk is not None
    decide(out, "early_data", "accepted", (), "fresh ticket, same suite and ALPN, not a replay")
    transcript_hash = out.transcript.pending_digest_with(psk.suite.hash_name, b"")
    return _early_secret(psk.suite, psk.secret, transcript_hash, hello.random, out)


def _refusal(config: ServerConfig, psk: AcceptedPsk | None, alpn: str | None) -> str | None:
    if psk is None or psk.state is None or psk.index != 0:
        return "0-RTT needs our ticket as the first PSK identity (§4.2.10)"
    state = psk.state
    if not config.max_early_data_size or not state.max_early_data_size:
        return "0-RTT is off (max_early_data_size is 0)"
    if psk.suite.suite != state.cipher_suite:
        return "the ticket was issued under another cipher suite"
    if (alpn or "").encode() != state.alpn_protocol:
        return "the ALPN protocol differs from the ticket's"
    if not psk.fresh:
        return f"the ticket's age is off by more than {TICKET_AGE_WINDOW_MS} ms (§8.3)"
    return None
