"""The exporter and resumption master secrets are derived when first used (keyschedule.py).

They are still the RFC 8448 values; nothing computes them until an exporter call, a
ticket or a key log reveals them, and then only once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import Pair, Pki, client_config, server_config
from tlsglass import ClientConfig, InMemoryTicketStore
from tlsglass.crypto.secret import DeferredSecret, Secret
from tlsglass.keyschedule import MasterSecret

_VECTORS = Path(__file__).resolve().parent / "data" / "rfc8448_simple_1rtt.json"


@pytest.fixture(scope="module")
def rfc8448() -> dict[str, bytes]:
    doc = json.loads(_VECTORS.read_text())
    return {k: bytes.fromhex(v) for k, v in doc["values"].items() if isinstance(v, str)}


def test_deferred_secrets_are_the_rfc8448_values(rfc8448: dict[str, bytes]) -> None:
    master = MasterSecret("sha256", Secret("master_secret", rfc8448["master_secret"]))
    exporter = master.exporter_master_secret(rfc8448["transcript_hash_ch_sfin"])
    resumption = master.resumption_master_secret(rfc8448["transcript_hash_ch_cfin"])
    for secret, name in ((exporter, "exporter_master_secret"),
                         (resumption, "resumption_master_secret")):
        assert isinstance(secret, DeferredSecret)
        assert secret._compute is not None  # nothing derived yet
        assert secret.reveal() == rfc8448[name]
        assert secret._compute is None
        assert secret == Secret(secret.label, rfc8448[name]) and len(secret) == 32
        assert rfc8448[name].hex() not in repr(secret)


def test_computed_once() -> None:
    calls: list[int] = []

    def compute() -> bytes:
        calls.append(1)
        return b"\x01" * 32

    secret = DeferredSecret("x", compute)
    assert repr(secret) == "Secret('x', 32 bytes)"
    assert secret.reveal() == secret.reveal() == b"\x01" * 32
    assert calls == [1]


def _connected_secrets(pair: Pair) -> list[DeferredSecret]:
    states: list[Any] = [pair.client._state, pair.server._state]
    secrets = [s for st in states for s in (st.exporter_secret, st.resumption_secret)]
    assert all(isinstance(s, DeferredSecret) for s in secrets)
    return secrets


def test_a_plain_handshake_derives_neither() -> None:
    pki = Pki()
    server = server_config(pki.issue(), tickets_per_connection=0)
    pair = Pair(client_config(pki), server).handshake()
    assert all(s._compute is not None for s in _connected_secrets(pair))
    assert pair.client.export_keying_material("EXPERIMENTAL x", b"c") == \
        pair.server.export_keying_material("EXPERIMENTAL x", b"c")
    exporters = _connected_secrets(pair)[0::2]
    assert all(s._compute is None for s in exporters)


def test_tickets_and_key_logs_reveal_them() -> None:
    pki = Pki()
    logged: list[str] = []
    config = ClientConfig(trust=pki.trust, server_name="localhost",
                          ticket_store=InMemoryTicketStore(),
                          key_log=lambda label, random, secret: logged.append(label))
    pair = Pair(config, server_config(pki.issue(), tickets_per_connection=1)).handshake()
    assert "EXPORTER_SECRET" in logged
    assert not pair.take("client")  # the ticket arrived with the handshake, no event left
    client_resumption = pair.client._state.resumption_secret  # type: ignore[attr-defined]
    assert client_resumption._compute is None  # the ticket was stored with its PSK
