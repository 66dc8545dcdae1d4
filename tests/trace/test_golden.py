"""Deterministic handshakes rendered as text and JSON, compared with golden files.

RFC 8448 fixes every random value and key share, so its handshakes (simple 1-RTT,
HelloRetryRequest, and the same 1-RTT client refusing the RFC's certificate for want
of a trusted root) trace identically on every run. The clock is fixed too. Mutual TLS
between our own client and server is made deterministic the same way (fixed_pki.py).
Regenerate after an intended change with TLSGLASS_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import fixed_pki
import tlsglass
from fixed_pki import FixedPki
from helpers import Pair, Pki
from test_rfc8448 import _load, certificate_of, factory, feeder, h, pinned, replay_hook
from tlsglass import ClientConfig, Connection, NamedGroup, ServerConfig, TrustStore
from tlsglass.trace import Recorder, Story, render_json, render_text

GOLDEN = Path(__file__).resolve().parent / "golden"
DATA = Path(__file__).resolve().parents[1] / "data"
# Inside the RFC 8448 certificate's validity (2016-07-30 to 2026-07-30).
CLOCK = datetime(2016, 8, 1, tzinfo=UTC).timestamp()


def _compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TLSGLASS_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def simple_1rtt_story(with_bytes: bool = True) -> Story:
    doc = _load(DATA / "rfc8448_simple_1rtt.json")
    recorder = Recorder()
    client = Connection(ClientConfig(
        server_name="server", verifier=pinned(certificate_of(doc)),
        key_share_groups=(NamedGroup.X25519,), middlebox_compatibility=False,
        entropy=feeder(h(doc, "client_hello")[6:38]), clock=lambda: CLOCK,
        key_pair_factory=factory((NamedGroup.X25519, h(doc, "client_private_key"))),
        hello_hook=replay_hook(h(doc, "client_hello")), trace=recorder))
    client.start_handshake()
    client.data_to_send()
    client.receive_data(h(doc, "server_hello_record"))
    client.receive_data(h(doc, "server_handshake_flight_record"))
    client.data_to_send()
    client.receive_data(h(doc, "new_session_ticket_record"))
    client.send_application_data(h(doc, "client_app_data_plaintext"))
    client.receive_data(h(doc, "server_app_data_record"))
    client.close()
    client.receive_data(h(doc, "server_alert_record"))
    return recorder.story(with_bytes=with_bytes)


def hrr_story() -> Story:
    doc = _load(DATA / "rfc8448_hrr.json")
    recorder = Recorder()
    client = Connection(ClientConfig(
        server_name="server", verifier=pinned(certificate_of(doc)),
        groups=(NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1),
        key_share_groups=(NamedGroup.X25519,), middlebox_compatibility=False,
        entropy=feeder(h(doc, "client_hello_1")[6:38]), clock=lambda: CLOCK,
        key_pair_factory=factory((NamedGroup.X25519, h(doc, "client_private_key_1")),
                                 (NamedGroup.SECP256R1, h(doc, "client_private_key_2"))),
        hello_hook=replay_hook(h(doc, "client_hello_1"), h(doc, "client_hello_2")),
        trace=recorder))
    client.start_handshake()
    client.data_to_send()
    client.receive_data(h(doc, "hello_retry_request_record"))
    client.receive_data(h(doc, "server_hello_record"))
    client.receive_data(h(doc, "server_handshake_flight_record"))
    return recorder.story()


def unknown_ca_story() -> tuple[Story, tlsglass.TLSError]:
    """The RFC's server flight to a client that trusts only an unrelated root."""
    doc = _load(DATA / "rfc8448_simple_1rtt.json")
    recorder = Recorder()
    client = Connection(ClientConfig(
        server_name="server", trust=TrustStore.from_pem(Pki().pem),
        key_share_groups=(NamedGroup.X25519,), middlebox_compatibility=False,
        entropy=feeder(h(doc, "client_hello")[6:38]), clock=lambda: CLOCK,
        key_pair_factory=factory((NamedGroup.X25519, h(doc, "client_private_key"))),
        hello_hook=replay_hook(h(doc, "client_hello")), trace=recorder))
    client.start_handshake()
    client.receive_data(h(doc, "server_hello_record"))
    with pytest.raises(tlsglass.TLSError) as failure:
        client.receive_data(h(doc, "server_handshake_flight_record"))
    return recorder.story(), failure.value


def test_rfc8448_simple_1rtt_text() -> None:
    _compare("rfc8448_simple_1rtt.txt", render_text(simple_1rtt_story()))


def test_rfc8448_simple_1rtt_json() -> None:
    text = render_json(simple_1rtt_story())
    _compare("rfc8448_simple_1rtt.json", text)
    doc: dict[str, Any] = json.loads(text)
    assert doc["schema"] == "tlsglass-trace"
    titles = [step["title"] for step in doc["story"]["steps"]]
    assert titles[:6] == ["ClientHello", "ServerHello", "EncryptedExtensions", "Certificate",
                          "CertificateVerify", "Finished"]
    assert doc["story"]["outcome"] == "complete"


def test_rfc8448_hello_retry_request_text() -> None:
    story = hrr_story()
    _compare("rfc8448_hrr.txt", render_text(story))
    titles = [s.title for s in story.steps]
    assert titles[:3] == ["ClientHello", "HelloRetryRequest", "ClientHello"]
    assert "retry with a key share for SECP256R1" in story.steps[1].summary


def test_rfc8448_unknown_ca_text() -> None:
    story, error = unknown_ca_story()
    _compare("rfc8448_unknown_ca.txt", render_text(story))
    assert story.outcome == "failed"
    assert story.steps[-1].title == "Alert UNKNOWN_CA"
    assert str(error.__cause__ or error) in story.failure


def test_rendering_is_deterministic() -> None:
    assert render_json(simple_1rtt_story()) == render_json(simple_1rtt_story())


def mutual_tls_stories() -> tuple[Story, Story]:
    """Mutual TLS between our client and server, every input fixed (fixed_pki.py)."""
    pki = FixedPki()
    rc, rs = Recorder(), Recorder()
    common: dict[str, Any] = {"groups": (NamedGroup.X25519,), "clock": lambda: fixed_pki.CLOCK}
    client = ClientConfig(server_name="server.test", trust=pki.trust, trace=rc,
                          certificate=pki.issue("client.test", 3, server=False),
                          entropy=fixed_pki.entropy("client"),
                          key_pair_factory=fixed_pki.key_pairs("client"), **common)
    server = ServerConfig(certificates=(pki.issue("server.test", 2),), client_auth="required",
                          client_trust=pki.trust, trace=rs, entropy=fixed_pki.entropy("server"),
                          key_pair_factory=fixed_pki.key_pairs("server"), **common)
    Pair(client, server).handshake()
    return rc.story(), rs.story(with_bytes=True)


def test_mutual_tls_golden() -> None:
    client, server = mutual_tls_stories()
    _compare("mutual_tls_client.txt", render_text(client))
    _compare("mutual_tls_server.txt", render_text(server))
    _compare("mutual_tls_server.json", render_json(server))
    assert "CertificateRequest" in [s.title for s in client.steps]
    assert client.outcome == server.outcome == "complete"
