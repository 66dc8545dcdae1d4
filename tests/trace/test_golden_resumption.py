"""Golden stories of the handshakes that landed after the TLS 1.3 tracer: a full TLS 1.2
handshake (text and JSON with bytes), a TLS 1.2 resumption by session ticket, a TLS 1.3
resumption (psk_dhe_ke), an external-PSK handshake, and 0-RTT accepted and rejected.

Every input is fixed (fixed_pki.py: keys, certificates, entropy, key pairs, clock; the
server's ticket keys come from its entropy), so the stories are the same on every run.
Regenerate after an intended change with TLSGLASS_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import fixed_pki
from fixed_pki import FixedPki
from helpers import Pair
from tlsglass import (
    ClientConfig,
    ExternalPsk,
    InMemoryTicketStore,
    NamedGroup,
    ProtocolVersion,
    ServerConfig,
)
from tlsglass.trace import Recorder, Story, render_json, render_text

GOLDEN = Path(__file__).resolve().parent / "golden"


def _compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TLSGLASS_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def _configs(**client: Any) -> tuple[ClientConfig, ServerConfig]:
    pki = FixedPki()
    common: dict[str, Any] = {"groups": (NamedGroup.X25519,), "clock": lambda: fixed_pki.CLOCK}
    c = ClientConfig(**{"server_name": "server.test", "trust": pki.trust,
                        "ticket_store": InMemoryTicketStore(),
                        "entropy": fixed_pki.entropy("client"),
                        "key_pair_factory": fixed_pki.key_pairs("client"), **common, **client})
    s = ServerConfig(certificates=(pki.issue("server.test", 2),), max_early_data_size=1024,
                     entropy=fixed_pki.entropy("server"),
                     key_pair_factory=fixed_pki.key_pairs("server"), **common)
    return c, s


def _traced(c: ClientConfig, s: ServerConfig, early: bytes = b"") -> tuple[Story, Story, Pair]:
    rc, rs = Recorder(), Recorder()
    pair = Pair(replace(c, trace=rc), replace(s, trace=rs))
    pair.client.start_handshake()
    if early:
        pair.client.send_early_data(early)
    pair.pump()
    assert pair.client.handshake_complete and pair.server.handshake_complete
    return rc.story(), rs.story(with_bytes=True), pair


def test_tls12_full_handshake() -> None:
    c, s = _configs(maximum_version=ProtocolVersion.TLS1_2)
    client, server, _ = _traced(c, s)
    _compare("tls12_client.txt", render_text(client))
    _compare("tls12_server.json", render_json(server))
    titles = [step.title for step in client.steps]
    assert titles == ["ClientHello", "ServerHello", "Certificate", "ServerKeyExchange",
                      "ServerHelloDone", "ClientKeyExchange", "ChangeCipherSpec", "Finished",
                      "NewSessionTicket", "ChangeCipherSpec", "Finished"]
    assert client.outcome == server.outcome == "complete"
    trust = [n for n in client.steps[2].notes if n.kind == "trust"]
    assert trust and trust[0].ok and "fixed root" in trust[0].text
    doc = json.loads(render_json(server))["story"]
    kx = next(step for step in doc["steps"] if step["title"] == "ServerKeyExchange")
    assert ["named_curve", "X25519"] in kx["fields"]
    labels = [f["label"] for f in kx["message_bytes"]]
    assert labels == ["msg_type", "length", "curve_type", "named_curve", "public", "algorithm",
                      "signature"]
    cke = next(step for step in doc["steps"] if step["title"] == "ClientKeyExchange")
    assert [f["label"] for f in cke["message_bytes"]] == ["msg_type", "length", "ecdh_Yc"]
    for step in (kx, cke):  # the fields cover every byte of the message, in order
        spans = [(f["start"], f["end"]) for f in step["message_bytes"]]
        assert spans[0][0] == 0
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
        length = int(step["message_bytes"][1]["data"], 16)
        assert spans[-1][1] == 4 + length


def test_tls12_resumption() -> None:
    c, s = _configs(maximum_version=ProtocolVersion.TLS1_2)
    _traced(c, s)
    client, _, pair = _traced(c, s)
    assert pair.client.resumed
    _compare("tls12_resumed_client.txt", render_text(client))
    titles = [step.title for step in client.steps]
    assert titles == ["ClientHello", "ServerHello", "NewSessionTicket", "ChangeCipherSpec",
                      "Finished", "ChangeCipherSpec", "Finished"]
    assert "session ticket (RFC 5077) to resume" in client.steps[0].summary
    assert "the earlier session resumes" in client.steps[1].summary
    assert any("master_secret is kept" in n.text for n in client.steps[1].notes)


def test_tls13_resumption_psk_dhe_ke() -> None:
    c, s = _configs()
    _traced(c, s)
    client, _, pair = _traced(c, s)
    assert pair.client.resumed
    _compare("tls13_resumed_client.txt", render_text(client))
    titles = [step.title for step in client.steps]
    assert "Certificate" not in titles and "CertificateVerify" not in titles
    assert "key exchange over X25519" in client.steps[1].summary
    assert "accepts pre-shared key #0" in client.steps[1].summary
    assert any("Early Secret = HKDF-Extract(0, PSK)" in n.text and "psk_dhe_ke" in n.text
               for n in client.steps[1].notes)


def test_external_psk() -> None:
    psk = ExternalPsk(identity=b"sensor-17", key=bytes(range(32)))
    c, s = _configs(external_psk=psk)
    s = replace(s, external_psks=(psk,), certificates=())
    client, server, _ = _traced(c, s)
    _compare("external_psk_server.txt", render_text(server))
    assert "1 pre-shared key(s)" in server.steps[0].summary
    assert ("psk_identities", "'sensor-17' (external)") in server.steps[0].fields
    assert "Certificate" not in [step.title for step in server.steps]
    assert client.outcome == server.outcome == "complete"


def test_early_data_accepted() -> None:
    c, s = _configs(enable_early_data=True)
    _traced(c, s)
    client, server, _ = _traced(c, s, early=b"GET / HTTP/1.1\r\n\r\n")
    _compare("early_data_accepted_server.txt", render_text(server))
    _compare("early_data_accepted_client.txt", render_text(client))
    titles = [step.title for step in server.steps]
    assert "EndOfEarlyData" in titles and "Early data (0-RTT)" in titles
    assert titles.index("Early data (0-RTT)") < titles.index("EndOfEarlyData")
    assert "0-RTT data accepted" in " ".join(step.summary for step in server.steps)


def test_early_data_rejected() -> None:
    c, s = _configs(enable_early_data=True)
    _traced(c, s)
    client, _, pair = _traced(c, replace(s, max_early_data_size=0), early=b"GET /")
    assert pair.client.resumed
    _compare("early_data_rejected_client.txt", render_text(client))
    titles = [step.title for step in client.steps]
    assert "EndOfEarlyData" not in titles and "Early data (0-RTT)" in titles
    extensions = client.steps[titles.index("EncryptedExtensions")]
    assert "0-RTT data refused" in extensions.summary
