"""RFC 8448 §4, the resumed 0-RTT handshake, as a known-answer test.

The client side is replayed byte for byte through the engine: the RFC's ticket and
PSK sit in the client's ticket store, its random and key share come from the
config's hooks, and the ClientHello (binder included), the 0-RTT record,
EndOfEarlyData, Finished and every key-log secret must equal the RFC's. The
server's PSK arithmetic (binder, early secrets) is checked against the RFC with
the same functions the server uses; the RFC's ticket is sealed by the RFC's
server, so ours cannot open it and the server cannot be replayed whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import tlsglass
from test_rfc8448 import KeyLog, factory, feeder
from tlsglass import ClientConfig, Connection, InMemoryTicketStore, NamedGroup
from tlsglass.crypto.secret import Secret
from tlsglass.keyschedule import EarlySecret
from tlsglass.session import ClientTicket, check_binder, compute_binder
from tlsglass.wire import ClientHello, PreSharedKeyClientHello, decode_handshake

DATA = Path(__file__).resolve().parent / "data"
NOW = 1_700_000_000.0


@pytest.fixture(scope="module")
def trace() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "rfc8448_resumed_0rtt.json").read_text())
    return doc


def h(doc: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(doc["values"][name])


def _records(doc: dict[str, Any], actor: str, title: str) -> list[bytes]:
    return [bytes.fromhex(dict(step["fields"])["complete record"]) for step in doc["steps"]
            if step["actor"] == actor and step["title"] == title]


def _rfc_hello(doc: dict[str, Any]) -> ClientHello:
    hello = decode_handshake(1, h(doc, "client_hello")[4:])
    assert isinstance(hello, ClientHello)
    return hello


def test_binder_and_early_secrets(trace: dict[str, Any]) -> None:
    psk = Secret("psk", h(trace, "psk"))
    early = EarlySecret.start("sha256", psk.reveal())
    assert early.secret.reveal() == h(trace, "early_secret")
    assert early.binder_key(external=False).reveal() == h(trace, "binder_key")
    binder_hash = hashlib.sha256(h(trace, "client_hello_prefix")).digest()
    assert binder_hash == h(trace, "binder_hash")
    assert compute_binder("sha256", psk, False, binder_hash) == h(trace, "binder")
    assert check_binder("sha256", psk, False, binder_hash, h(trace, "binder"))
    assert not check_binder("sha256", psk, True, binder_hash, h(trace, "binder"))
    ch_hash = hashlib.sha256(h(trace, "client_hello")).digest()
    assert early.client_early_traffic_secret(ch_hash).reveal() == \
        h(trace, "client_early_traffic_secret")
    assert early.early_exporter_master_secret(ch_hash).reveal() == \
        h(trace, "early_exporter_master_secret")


def test_truncated_hello_is_the_rfc_prefix(trace: dict[str, Any]) -> None:
    """§4.2.11.2: the binder covers the ClientHello up to the binders list."""
    hello = _rfc_hello(trace)
    psk = hello.extensions[-1]
    assert isinstance(psk, PreSharedKeyClientHello)
    raw = h(trace, "client_hello")
    assert raw[:len(raw) - psk.binders_length] == h(trace, "client_hello_prefix")


def _client(trace: dict[str, Any], log: KeyLog) -> ClientConfig:
    rfc = _rfc_hello(trace)
    offered = rfc.extensions[-1]
    assert isinstance(offered, PreSharedKeyClientHello)
    identity = offered.identities[0]
    store = InMemoryTicketStore()
    # Age 0 on our clock, so ticket_age_add is the RFC's obfuscated age itself.
    store.put("server", ClientTicket(
        version=0x0304, cipher_suite=0x1301, identity=identity.identity,
        secret=Secret("psk", h(trace, "psk")), received_at=NOW, lifetime=30,
        ticket_age_add=identity.obfuscated_ticket_age, max_early_data_size=1024,
        server_name="server"))

    def hook(ours: ClientHello) -> ClientHello:
        assert ours.random == rfc.random
        # Ours gets the RFC's extensions but its own pre_shared_key, binder and all.
        return replace(rfc, extensions=rfc.extensions[:-1])

    return ClientConfig(
        server_name="server", key_share_groups=(NamedGroup.X25519,),
        middlebox_compatibility=False, entropy=feeder(rfc.random),
        key_pair_factory=factory((NamedGroup.X25519, h(trace, "client_private_key"))),
        hello_hook=hook, key_log=log, ticket_store=store, enable_early_data=True,
        clock=lambda: NOW)


def test_resumed_0rtt_client_byte_for_byte(trace: dict[str, Any]) -> None:
    log = KeyLog()
    client = Connection(_client(trace, log))
    client.start_handshake()
    assert client.data_to_send() == h(trace, "client_hello_record")
    assert client.early_data_limit == 1024
    client.send_early_data(h(trace, "client_early_data_plaintext"))
    assert client.data_to_send() == h(trace, "client_early_data_record")
    server_hello_record = _records(trace, "server", "send handshake record")[0]
    assert client.receive_data(server_hello_record) == []
    events = client.receive_data(h(trace, "server_handshake_flight_record"))
    assert [type(e) for e in events] == [tlsglass.EarlyDataAccepted, tlsglass.HandshakeComplete]
    done = events[1]
    assert isinstance(done, tlsglass.HandshakeComplete)
    assert done.resumed and done.early_data_accepted and done.peer_certificates == ()
    assert client.data_to_send() == h(trace, "end_of_early_data_record") + \
        h(trace, "client_finished_record")
    assert log.secrets == {
        "CLIENT_EARLY_TRAFFIC_SECRET": h(trace, "client_early_traffic_secret"),
        "EARLY_EXPORTER_SECRET": h(trace, "early_exporter_master_secret"),
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET": h(trace, "client_handshake_traffic_secret"),
        "SERVER_HANDSHAKE_TRAFFIC_SECRET": h(trace, "server_handshake_traffic_secret"),
        "CLIENT_TRAFFIC_SECRET_0": h(trace, "client_application_traffic_secret"),
        "SERVER_TRAFFIC_SECRET_0": h(trace, "server_application_traffic_secret"),
        "EXPORTER_SECRET": h(trace, "exporter_master_secret"),
    }
    state = client._state
    assert state.resumption_secret.reveal() == h(trace, "resumption_master_secret")  # type: ignore[attr-defined]
    payload = bytes(range(50))
    client.send_application_data(payload)
    assert client.data_to_send() == h(trace, "client_app_data_record")
    server_app = _records(trace, "server", "send application_data record")[0]
    assert client.receive_data(server_app) == [tlsglass.ApplicationData(data=payload)]
    client.close()
    assert client.data_to_send() == h(trace, "client_alert_record")
    assert client.receive_data(h(trace, "server_alert_record")) == [tlsglass.ConnectionClosed()]
