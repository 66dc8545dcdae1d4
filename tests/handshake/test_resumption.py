"""TLS 1.3 resumption in memory: tickets, psk_dhe_ke and psk_ke, HRR with a PSK, binders,
ticket ages and lifetimes, key rotation, single-use tickets, and malformed PSK offers."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tlsglass
from helpers import (
    Pair,
    Pki,
    Splitter,
    byte_by_byte,
    client_config,
    random_splits,
    server_config,
    whole,
)
from strategies import mutations
from tlsglass import AlertDescription as AD
from tlsglass import Connection, InMemoryTicketStore, NamedGroup
from tlsglass.enums import PskKeyExchangeMode
from tlsglass.errors import RemoteProtocolError
from tlsglass.wire import ClientHello, PreSharedKeyClientHello, PskIdentity

DHE, KE = PskKeyExchangeMode.PSK_DHE_KE, PskKeyExchangeMode.PSK_KE


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


class Clock:
    """A clock the test moves; it starts now, so the test certificates are valid."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


def _configs(pki: Pki, clock: Clock | None = None, client: dict[str, object] | None = None,
             server: dict[str, object] | None = None
             ) -> tuple[tlsglass.ClientConfig, tlsglass.ServerConfig]:
    clock = clock or Clock()
    options: dict[str, object] = {"ticket_store": InMemoryTicketStore(), **(client or {})}
    c = client_config(pki, clock=clock, **options)
    s = server_config(pki.issue(), clock=clock, **(server or {}))
    return c, s


def _store(config: tlsglass.ClientConfig) -> InMemoryTicketStore:
    store = config.ticket_store
    assert isinstance(store, InMemoryTicketStore)
    return store


@pytest.mark.parametrize("split", [whole, byte_by_byte, random_splits(5)],
                         ids=["whole", "byte_by_byte", "random_splits"])
def test_resumed_handshake_psk_dhe_ke(pki: Pki, split: Splitter) -> None:
    c, s = _configs(pki, client={"alpn_protocols": ("h2",)}, server={"alpn_protocols": ("h2",)})
    first = Pair(c, s, split).handshake()
    assert not first.client.resumed and not first.server.resumed
    assert len(_store(c)) == 2  # the server's default: two tickets
    second = Pair(c, s, split)
    second.client.start_handshake()
    second.pump()
    done = [e for e in second.client_events if isinstance(e, tlsglass.HandshakeComplete)]
    assert done and done[0].resumed and second.client.resumed and second.server.resumed
    assert second.client.signature_scheme is None  # no CertificateVerify
    assert second.client.group == NamedGroup.X25519MLKEM768  # (EC)DHE still ran
    assert second.client.alpn_protocol == "h2"
    # The resumed session remembers whom it talks to.
    assert second.client.peer_certificates == first.client.peer_certificates
    second.client.send_application_data(b"again")
    second.pump()
    assert second.data("server") == b"again"
    # One ticket spent (single use), two new ones.
    assert len(_store(c)) == 3


def test_resumed_flight_has_no_certificate(pki: Pki) -> None:
    seen: list[str] = []

    def sink(record: object) -> None:
        msg = getattr(record, "message", None)
        if msg is not None:
            seen.append(type(msg).__name__)

    c, s = _configs(pki)
    Pair(c, s).handshake()
    Pair(c, replace(s, trace=sink)).handshake()
    assert "Certificate" not in seen and "CertificateVerify" not in seen
    assert seen.count("NewSessionTicket") == 2


def test_psk_ke_without_dhe(pki: Pki) -> None:
    c, s = _configs(pki, client={"psk_key_exchange_modes": (KE,)},
                    server={"psk_key_exchange_modes": (DHE, KE)})
    Pair(c, s).handshake()
    second = Pair(c, s).handshake()
    assert second.client.resumed and second.client.group is None
    assert second.server.group is None


def test_psk_ke_offered_but_server_wants_dhe_means_a_full_handshake(pki: Pki) -> None:
    c, s = _configs(pki, client={"psk_key_exchange_modes": (KE,)})
    Pair(c, s).handshake()
    # Our server only does psk_dhe_ke, so it sends no tickets to a psk_ke-only client.
    assert len(_store(c)) == 0
    assert not Pair(c, s).handshake().client.resumed


def test_hello_retry_request_with_a_psk(pki: Pki) -> None:
    c, s = _configs(pki, client={"key_share_groups": (NamedGroup.X25519,)},
                    server={"groups": (NamedGroup.SECP256R1, NamedGroup.X25519)})
    Pair(c, s).handshake()
    retry_server = replace(s, groups=(NamedGroup.SECP256R1,))
    second = Pair(c, retry_server, byte_by_byte).handshake()
    assert second.client.resumed and second.server.resumed
    assert second.client.group == NamedGroup.SECP256R1


def test_resumption_needs_the_same_server_name(pki: Pki) -> None:
    c, s = _configs(pki)
    Pair(c, s).handshake()
    # A ticket for "localhost" offered to a server that hears another name.
    other = replace(c, server_name="127.0.0.1")
    leaf = pki.issue(names=("localhost", "127.0.0.1"))
    pair = Pair(replace(other, ticket_store=c.ticket_store), replace(s, certificates=(
        leaf.certified,)))
    # The client keys tickets by name, so it offers none; force it through the store.
    ticket = _store(c).take("localhost", s.clock())
    assert ticket is not None
    _store(c).put("127.0.0.1", ticket)
    assert not pair.handshake().server.resumed


def test_expired_ticket_means_a_full_handshake(pki: Pki) -> None:
    clock = Clock()
    c, s = _configs(pki, clock, server={"ticket_lifetime": 60})
    Pair(c, s).handshake()
    clock.now += 61
    assert not Pair(c, s).handshake().server.resumed


def test_server_refuses_a_ticket_past_its_lifetime_even_if_the_client_offers_it(
        pki: Pki) -> None:
    clock = Clock()
    c, s = _configs(pki, clock, server={"ticket_lifetime": 60})
    Pair(c, s).handshake()
    ticket = _store(c).take("localhost", clock.now)
    assert ticket is not None
    _store(c).put("localhost", replace(ticket, lifetime=7200))  # a lying client clock
    clock.now += 61
    pair = Pair(c, s).handshake()
    assert not pair.server.resumed and not pair.client.resumed


def test_resumption_cannot_outlive_max_session_age(pki: Pki) -> None:
    """§4.6.1: tickets issued on a resumed connection keep the full handshake's time, so
    a chain of resumptions ends max_session_age after the last certificate check."""
    clock = Clock()
    c, s = _configs(pki, clock, server={"ticket_lifetime": 3600, "max_session_age": 5000})
    Pair(c, s).handshake()  # the full handshake, at t = 0
    clock.now += 3000
    assert Pair(c, s).handshake().server.resumed
    ticket = _store(c).take("localhost", clock.now)
    assert ticket is not None and ticket.lifetime == 2000  # what is left of the 5000 s
    _store(c).put("localhost", replace(ticket, lifetime=7200))  # a client that ignores it
    clock.now += 2001
    pair = Pair(c, s).handshake()
    assert not pair.server.resumed and not pair.client.resumed


def test_lowering_max_session_age_retires_tickets_already_out(pki: Pki) -> None:
    clock = Clock()
    c, s = _configs(pki, clock, server={"ticket_lifetime": 3600})
    Pair(c, s).handshake()
    clock.now += 1200
    assert not Pair(c, replace(s, max_session_age=1000)).handshake().server.resumed


def test_rotated_ticket_key_within_grace_resumes_and_after_it_does_not(pki: Pki) -> None:
    base = time.time() // 100 * 100
    clock = Clock(base)
    keys = tlsglass.RotatingTicketKeys(rotation_interval=100, grace_period=50)
    c, s = _configs(pki, clock, server={"ticket_keys": keys, "ticket_lifetime": 3600})
    Pair(c, s).handshake()  # sealed in epoch N
    clock.now = base + 120  # epoch N+1: the old key is in its grace period
    assert Pair(c, s).handshake().server.resumed
    clock.now = base + 500  # the tickets from base + 120 are epochs old
    assert not Pair(c, s).handshake().server.resumed


def test_a_stranger_servers_ticket_is_ignored(pki: Pki) -> None:
    c, s = _configs(pki)
    Pair(c, s).handshake()
    stranger = replace(s, ticket_keys=tlsglass.RotatingTicketKeys())
    pair = Pair(c, stranger).handshake()
    assert not pair.server.resumed and len(pair.client.peer_certificates) == 1


def test_client_tickets_are_single_use_by_default(pki: Pki) -> None:
    c, s = _configs(pki, server={"tickets_per_connection": 1})
    Pair(c, s).handshake()
    assert len(_store(c)) == 1
    Pair(c, replace(s, tickets_per_connection=0)).handshake()
    assert len(_store(c)) == 0
    assert not Pair(c, s).handshake().client.resumed


def test_single_use_tickets_on_the_server(pki: Pki) -> None:
    store = InMemoryTicketStore(single_use=False)
    c, s = _configs(pki, client={"ticket_store": store},
                    server={"single_use_tickets": True, "tickets_per_connection": 1})
    Pair(c, replace(s, single_use_tickets=False)).handshake()
    quiet = replace(s, tickets_per_connection=0)
    assert Pair(c, quiet).handshake().server.resumed
    # The same ticket again: the server has recorded it, so a full handshake (§8.1).
    assert not Pair(c, quiet).handshake().server.resumed


def test_resumed_session_keeps_the_client_certificate(pki: Pki) -> None:
    client_leaf = pki.issue(names=("client",), server=False)
    c, s = _configs(pki, client={"certificate": client_leaf.certified},
                    server={"client_auth": "required", "client_trust": pki.trust})
    first = Pair(c, s).handshake()
    second = Pair(c, s).handshake()
    assert second.server.resumed
    assert second.server.peer_certificates == first.server.peer_certificates != ()


def test_required_client_auth_does_not_resume_an_anonymous_session(pki: Pki) -> None:
    c, s = _configs(pki, client={"certificate": pki.issue(names=("c",), server=False).certified},
                    server={"client_auth": "optional", "client_trust": pki.trust})
    Pair(replace(c, certificate=None), s).handshake()
    required = replace(s, client_auth="required")
    pair = Pair(c, required).handshake()
    assert not pair.server.resumed and pair.server.peer_certificates


def test_tickets_survive_key_update_and_count_is_configurable(pki: Pki) -> None:
    c, s = _configs(pki, server={"tickets_per_connection": 4})
    pair = Pair(c, s).handshake()
    assert len(_store(c)) == 4
    pair.client.key_update()
    pair.pump()
    assert Pair(c, s).handshake().client.resumed


# -- malformed offers ---------------------------------------------------------------------


def _fails(alert: AD, conn: Connection, data: bytes) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        conn.receive_data(data)
    assert info.value.alert == alert, str(info.value)


def _resumable(pki: Pki) -> tuple[tlsglass.ClientConfig, tlsglass.ServerConfig]:
    c, s = _configs(pki)
    Pair(c, s).handshake()
    return c, s


def test_tampered_binder_is_decrypt_error(pki: Pki) -> None:
    c, s = _resumable(pki)
    client = Connection(c)
    client.start_handshake()
    hello = bytearray(client.data_to_send())
    hello[-1] ^= 1  # the binder is the ClientHello's last byte
    _fails(AD.DECRYPT_ERROR, Connection(s), bytes(hello))


def test_tampered_ticket_age_breaks_the_binder(pki: Pki) -> None:
    c, s = _resumable(pki)
    client = Connection(c)
    client.start_handshake()
    hello = bytearray(client.data_to_send())
    hello[-(2 + 1 + 32) - 1] ^= 1  # obfuscated_ticket_age sits just before the binders
    _fails(AD.DECRYPT_ERROR, Connection(s), bytes(hello))


def _hooked(pki: Pki, ext: PreSharedKeyClientHello, last: bool = True,
            modes: bool = True) -> tlsglass.ClientConfig:
    def hook(hello: ClientHello) -> ClientHello:
        exts = [e for e in hello.extensions
                if modes or e.type_code != tlsglass.enums.ExtensionType.PSK_KEY_EXCHANGE_MODES]
        exts.insert(len(exts) if last else 0, ext)
        return replace(hello, extensions=tuple(exts))

    return client_config(pki, hello_hook=hook)


_IDENTITY = PskIdentity(identity=b"\x01" * 40, obfuscated_ticket_age=7)


@pytest.mark.parametrize(("ext", "last", "modes", "alert"), [
    (PreSharedKeyClientHello(identities=(_IDENTITY, _IDENTITY), binders=(bytes(32),)), True,
     True, AD.ILLEGAL_PARAMETER),
    (PreSharedKeyClientHello(identities=(_IDENTITY,), binders=(bytes(32),)), False, True,
     AD.ILLEGAL_PARAMETER),
    (PreSharedKeyClientHello(identities=(_IDENTITY,), binders=(bytes(32),)), True, False,
     AD.MISSING_EXTENSION),
], ids=["binder_count", "not_last", "no_modes"])
def test_malformed_pre_shared_key(pki: Pki, ext: PreSharedKeyClientHello, last: bool,
                                  modes: bool, alert: AD) -> None:
    client = Connection(_hooked(pki, ext, last, modes))
    client.start_handshake()
    _fails(alert, Connection(server_config(pki.issue())), client.data_to_send())


def test_unknown_identity_is_a_full_handshake(pki: Pki) -> None:
    ext = PreSharedKeyClientHello(identities=(_IDENTITY,), binders=(bytes(32),))
    pair = Pair(_hooked(pki, ext), server_config(pki.issue())).handshake()
    assert not pair.server.resumed


def test_truncated_pre_shared_key_is_decode_error(pki: Pki) -> None:
    c, s = _resumable(pki)
    client = Connection(c)
    client.start_handshake()
    hello = bytearray(client.data_to_send())
    # Claim one byte less in the binders list than there is.
    at = len(hello) - 33 - 2
    hello[at:at + 2] = (32).to_bytes(2, "big")
    _fails(AD.DECODE_ERROR, Connection(s), bytes(hello))


def test_server_selecting_an_identity_we_did_not_offer_is_illegal_parameter(pki: Pki) -> None:
    c, s = _resumable(pki)

    client = Connection(c)
    client.start_handshake()
    server = Connection(s)
    server.receive_data(client.data_to_send())
    flight = bytearray(server.data_to_send())
    # The ServerHello ends with pre_shared_key: type 41, length 2, selected_identity 0.
    sh_len = int.from_bytes(flight[3:5], "big")
    end = 5 + sh_len
    assert flight[end - 6:end - 2] == b"\x00\x29\x00\x02"
    flight[end - 1] = 1
    _fails(AD.ILLEGAL_PARAMETER, client, bytes(flight))


# -- damaged resumption flights ----------------------------------------------------------------


_FUZZ_PKI = Pki()
_FUZZ_CLIENT, _FUZZ_SERVER = _configs(
    _FUZZ_PKI, client={"enable_early_data": True, "ticket_store": InMemoryTicketStore(
        single_use=False)}, server={"max_early_data_size": 64})
Pair(_FUZZ_CLIENT, _FUZZ_SERVER).handshake()


def _resumption_flight() -> bytes:
    """A ClientHello with pre_shared_key and early_data, then a 0-RTT record."""
    client = Connection(_FUZZ_CLIENT)
    client.start_handshake()
    client.send_early_data(b"early bytes")
    return client.data_to_send()


_FLIGHT = _resumption_flight()


@settings(max_examples=150, deadline=None)
@given(damaged=mutations(st.just(_FLIGHT)), split=st.integers(1, 400))
def test_damaged_resumption_flight_only_raises_tls_errors(damaged: bytes, split: int) -> None:
    """A damaged PSK offer ends in a fatal alert (or a full handshake), never a crash."""
    server = Connection(_FUZZ_SERVER)
    try:
        for at in range(0, len(damaged), split):
            server.receive_data(damaged[at:at + split])
    except RemoteProtocolError:
        assert server.failed and server.data_to_send()
