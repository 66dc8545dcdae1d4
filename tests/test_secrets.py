"""Convention 9, suite-wide: no secret's bytes or hex show up in any repr, trace record,
event or exception text, across successful and failing handshakes."""

from __future__ import annotations

import time

import pytest

from helpers import Pair, Pki, client_config, server_config
from tlsglass.errors import TLSError


class Recorder:
    def __init__(self) -> None:
        self.secrets: list[bytes] = []
        self.texts: list[str] = []

    def key_log(self, label: str, client_random: bytes, secret: bytes) -> None:
        self.secrets.append(secret)

    def trace(self, record: object) -> None:
        self.texts.append(repr(record))


def _leaks(secret: bytes, text: str) -> bool:
    return secret.hex() in text or secret.hex().upper() in text or repr(secret)[2:-1] in text


def _check(recorder: Recorder, *objects: object) -> None:
    texts = [*recorder.texts, *(repr(o) for o in objects), *(str(o) for o in objects)]
    assert recorder.secrets
    for secret in recorder.secrets:
        for text in texts:
            assert not _leaks(secret, text), f"secret leaked into: {text[:200]}"


def test_no_secret_in_reprs_traces_or_events() -> None:
    pki = Pki()
    rec = Recorder()
    pair = Pair(client_config(pki, key_log=rec.key_log, trace=rec.trace),
                server_config(pki.issue(), key_log=rec.key_log, trace=rec.trace))
    pair.client.start_handshake()
    pair.pump()
    events = pair.take("client") + pair.take("server")
    pair.client.key_update()
    pair.pump()
    pair.client.send_application_data(b"data")
    pair.pump()
    events += pair.take("client") + pair.take("server")
    _check(rec, pair.client, pair.server, pair.client._state, pair.server._state,
           pair.client._records.read, pair.client._records.write,
           pair.client.transcript, *events)


@pytest.mark.parametrize("tamper_at", [0, 5, 40])
def test_no_secret_in_failure_messages(tamper_at: int) -> None:
    pki = Pki()
    rec = Recorder()
    pair = Pair(client_config(pki, key_log=rec.key_log, trace=rec.trace),
                server_config(pki.issue(), key_log=rec.key_log, trace=rec.trace)).handshake()
    pair.client.send_application_data(b"x" * 64)
    record = bytearray(pair.client.data_to_send())
    record[-1 - tamper_at] ^= 0x55
    errors: list[BaseException] = []
    try:
        pair.server.receive_data(bytes(record))
    except TLSError as exc:
        errors.extend([exc, exc.__cause__ or exc])
    assert errors
    _check(rec, *errors, pair.server._state)


def test_secret_repr_is_a_label_and_a_length() -> None:
    from tlsglass.crypto.secret import Secret

    s = Secret("client_handshake_traffic_secret", b"\x01" * 32)
    assert repr(s) == "Secret('client_handshake_traffic_secret', 32 bytes)"
    assert "01" not in str(s)


def test_no_secret_in_resumption_0rtt_or_the_stores() -> None:
    """The same with tickets, PSKs and 0-RTT: the ticket store, the ticket keys, the
    sealed state, the external PSK and every decision the tracer saw."""
    from tlsglass import ExternalPsk, InMemoryTicketStore, RotatingTicketKeys

    pki = Pki()
    rec = Recorder()
    store, keys = InMemoryTicketStore(), RotatingTicketKeys()
    client = client_config(pki, key_log=rec.key_log, trace=rec.trace, ticket_store=store,
                           enable_early_data=True)
    server = server_config(pki.issue(), key_log=rec.key_log, trace=rec.trace, ticket_keys=keys,
                           max_early_data_size=100)
    Pair(client, server).handshake()
    tickets = [store.take("localhost", time.time())]
    assert tickets[0] is not None
    store.put("localhost", tickets[0])
    rec.secrets += [tickets[0].secret.reveal(), *(k.key for k in keys._keys.values())]
    pair = Pair(client, server)
    pair.client.start_handshake()
    pair.client.send_early_data(b"early")
    pair.pump()
    events = pair.take("client") + pair.take("server")
    psk = ExternalPsk(b"id", b"\x42" * 32)
    rec.secrets.append(psk.key)
    _check(rec, store, keys, tickets[0], psk, client, server, pair.client._state,
           pair.server._state, *events)


def test_no_secret_in_post_handshake_authentication() -> None:
    pki = Pki()
    rec = Recorder()
    alice = pki.issue(names=("alice.test",), server=False)
    pair = Pair(client_config(pki, key_log=rec.key_log, trace=rec.trace,
                              certificate=alice.certified, post_handshake_auth=True),
                server_config(pki.issue(), key_log=rec.key_log, trace=rec.trace,
                              client_trust=pki.trust)).handshake()
    pair.server.request_client_certificate()
    pending = pair.server._state  # PostAuthWaitCert: secrets, a transcript fork, the config
    pair.pump()
    _check(rec, pending, pair.client._state, pair.server._state,
           *pair.take("client"), *pair.take("server"))
