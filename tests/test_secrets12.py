"""Convention 9 for TLS 1.2: no master secret, nor a write key or implicit IV derived
from one, shows up in any repr, trace record, event or exception text, in full,
resumed, RSA-key-transport, DHE and failing handshakes."""

from __future__ import annotations

import os

import pytest

from helpers import Pair, Pki, client_config, server_config
from tlsglass import CipherSuite, NamedGroup, ProtocolVersion
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import TLS12_SUITES
from tlsglass.errors import TLSError
from tlsglass.keyschedule import key_block12
from tlsglass.observe import MessageTrace
from tlsglass.session import InMemorySessionCache, InMemoryTicketStore
from tlsglass.wire import ServerHello


class Recorder:
    def __init__(self) -> None:
        self.logged: list[tuple[bytes, bytes]] = []
        self.records: list[object] = []

    def key_log(self, label: str, client_random: bytes, secret: bytes) -> None:
        assert label == "CLIENT_RANDOM"
        self.logged.append((client_random, secret))

    def trace(self, record: object) -> None:
        self.records.append(record)

    def secrets(self, suite: CipherSuite) -> list[bytes]:
        """Each master secret, and the write keys and IVs of its key block."""
        info = TLS12_SUITES[suite]
        server_randoms = {r.message.random for r in self.records if isinstance(r, MessageTrace)
                          and isinstance(r.message, ServerHello)}
        out = []
        for client_random, master in self.logged:
            out.append(master)
            for server_random in server_randoms:
                block = key_block12(info, Secret("m", master), client_random, server_random)
                out += [block.client_write_key.reveal(), block.server_write_key.reveal(),
                        block.client_write_iv, block.server_write_iv]
        return out


def _leaks(secret: bytes, text: str) -> bool:
    return secret.hex() in text or secret.hex().upper() in text or repr(secret)[2:-1] in text


def _handshake(pair: Pair, tamper: bool) -> list[object]:
    pair.client.start_handshake()
    try:
        if tamper:  # the client's Finished record damaged: bad_record_mac on the server
            pair.server.receive_data(pair.client.data_to_send())
            pair.client.receive_data(pair.server.data_to_send())
            flight = bytearray(pair.client.data_to_send())
            flight[-3] ^= 1
            pair.server.receive_data(bytes(flight))
        pair.pump()
        pair.client.send_application_data(b"data")
        pair.pump()
    except TLSError as exc:
        return [exc, exc.__cause__]
    return []


@pytest.mark.parametrize(("name", "client", "server", "rounds", "tamper"), [
    ("full", {}, {}, 1, False),
    ("resumed", {"ticket_store": InMemoryTicketStore()}, {}, 2, False),
    ("rsa key transport", {"tls12_cipher_suites": (CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,),
                           "allow_rsa_key_transport": True}, None, 1, False),
    ("dhe", {"tls12_cipher_suites": (CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,),
             "groups": (NamedGroup.FFDHE2048,)}, None, 1, False),
    ("failing", {}, {}, 1, True),
])
def test_no_tls12_secret_in_text(name: str, client: dict[str, object],
                                 server: dict[str, object] | None, rounds: int,
                                 tamper: bool) -> None:
    pki = Pki()
    rec = Recorder()
    server_options = client if server is None else server
    client_cfg = client_config(pki, maximum_version=ProtocolVersion.TLS1_2,
                               key_log=rec.key_log, trace=rec.trace, **client)
    server_cfg = server_config(pki.issue(kind="rsa2048"), key_log=rec.key_log,
                               trace=rec.trace,
                               **{k: v for k, v in server_options.items() if k != "ticket_store"})
    objects: list[object] = []
    for _ in range(rounds):
        pair = Pair(client_cfg, server_cfg)
        objects += _handshake(pair, tamper)
        objects += [pair.client, pair.server, pair.client._state,
                    pair.server._state, pair.client._records.read,
                    pair.client._records.write, *pair.take("client"),
                    *pair.take("server")]
    texts = [*(repr(r) for r in rec.records), *(repr(o) for o in objects),
             *(str(o) for o in objects)]
    suite = CipherSuite(pair.client.cipher_suite or pair.server.cipher_suite or 0)
    secrets = rec.secrets(suite)
    assert secrets
    for secret in secrets:
        for text in texts:
            assert not _leaks(secret, text), f"secret leaked into: {text[:200]}"


def test_no_premaster_ticket_key_or_session_state_in_text() -> None:
    """The secrets around a session rather than in it: the RSA premaster secret (the
    client's 46 random bytes, and the 48 a server draws for the Bleichenbacher path), the
    ticket key, and the sealed or cached session state, in the reprs of configs, stores,
    tickets, states, trace records, events and exceptions."""
    drawn: list[bytes] = []

    def entropy(n: int) -> bytes:
        value = os.urandom(n)
        if n in (46, 48):  # premaster secrets; randoms and session IDs are public
            drawn.append(value)
        return value

    pki = Pki()
    rec = Recorder()
    rsa = {"tls12_cipher_suites": (CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,),
           "allow_rsa_key_transport": True, "entropy": entropy, "trace": rec.trace,
           "key_log": rec.key_log}
    store, cache = InMemoryTicketStore(), InMemorySessionCache()
    client_cfg = client_config(pki, maximum_version=ProtocolVersion.TLS1_2, ticket_store=store,
                               **rsa)
    server_cfg = server_config(pki.issue(kind="rsa2048"), session_cache=cache, **rsa)
    objects: list[object] = [client_cfg, server_cfg, store, cache, server_cfg.ticket_keys]
    for tamper in (False, False, True):
        pair = Pair(client_cfg, server_cfg)
        objects += _handshake(pair, tamper)
        objects += [pair.client._state, pair.server._state, *pair.take("client"),
                    *pair.take("server")]
    key = server_cfg.ticket_keys.current(server_cfg.clock(), entropy)
    ticket = store.take("tls1.2 localhost", client_cfg.clock())
    objects += [key, ticket]
    assert drawn and ticket is not None
    texts = [*(repr(r) for r in rec.records), *(repr(o) for o in objects),
             *(str(o) for o in objects)]
    for secret in (*drawn, key.key, ticket.secret.reveal(),
                   *rec.secrets(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256)):
        for text in texts:
            assert not _leaks(secret, text), f"secret leaked into: {text[:200]}"
