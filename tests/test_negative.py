"""Every way to be wrong, with the exact alert: tampering, bad Finished, illegal
parameters, missing extensions, and certificates that must be refused."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import replace

import pytest

import tlsglass
from helpers import NOW, Pair, Pki, client_config, server_config
from tlsglass import AlertDescription as AD
from tlsglass import Connection, NamedGroup
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import TLS13_SUITES
from tlsglass.errors import RemoteProtocolError
from tlsglass.record import RecordProtection
from tlsglass.wire import (
    ClientHello,
    Extension,
    KeyShareEntry,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    RawExtension,
    ServerHello,
    SupportedGroups,
    SupportedVersionsServerHello,
    encode_handshake,
    encode_header,
)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def fails_with(alert: AD, action: Callable[[], object]) -> RemoteProtocolError:
    with pytest.raises(RemoteProtocolError) as info:
        action()
    assert info.value.alert == alert, str(info.value)
    return info.value


def split_records(data: bytes) -> list[bytes]:
    out = []
    while data:
        n = 5 + int.from_bytes(data[3:5], "big")
        out.append(data[:n])
        data = data[n:]
    return out


# -- record protection -------------------------------------------------------


def test_tampered_record_is_bad_record_mac(pki: Pki) -> None:
    pair = Pair(client_config(pki), server_config(pki.issue())).handshake()
    pair.client.send_application_data(b"attack at dawn")
    record = bytearray(pair.client.data_to_send())
    record[-1] ^= 1
    fails_with(AD.BAD_RECORD_MAC, lambda: pair.server.receive_data(bytes(record)))
    assert pair.server.state == "_Error"
    # The fatal alert is queued, and the connection refuses further input.
    alert = pair.server.data_to_send()
    assert alert[0] == 23 and len(alert) == 5 + 2 + 1 + 16
    with pytest.raises(tlsglass.LocalProtocolError):
        pair.server.receive_data(b"more")
    with pytest.raises(tlsglass.FatalAlertReceived) as info:
        pair.client.receive_data(alert)
    assert info.value.description == AD.BAD_RECORD_MAC


def test_tampered_header_is_bad_record_mac(pki: Pki) -> None:
    pair = Pair(client_config(pki), server_config(pki.issue())).handshake()
    pair.client.send_application_data(b"x")
    record = bytearray(pair.client.data_to_send())
    record[2] = 1  # legacy_record_version is authenticated as additional data
    fails_with(AD.BAD_RECORD_MAC, lambda: pair.server.receive_data(bytes(record)))


def test_replayed_record_is_bad_record_mac(pki: Pki) -> None:
    pair = Pair(client_config(pki), server_config(pki.issue())).handshake()
    pair.client.send_application_data(b"pay 10")
    record = pair.client.data_to_send()
    pair.server.receive_data(record)
    fails_with(AD.BAD_RECORD_MAC, lambda: pair.server.receive_data(record))


def test_oversized_records_are_record_overflow(pki: Pki) -> None:
    server = Connection(server_config(pki.issue()))
    fails_with(AD.RECORD_OVERFLOW,
               lambda: server.receive_data(encode_header(22, 0x0303, (1 << 14) + 1)))
    pair = Pair(client_config(pki), server_config(pki.issue())).handshake()
    fails_with(AD.RECORD_OVERFLOW, lambda: pair.server.receive_data(
        encode_header(23, 0x0303, (1 << 14) + 257) + bytes(100)))


def test_unknown_content_type_is_unexpected_message(pki: Pki) -> None:
    server = Connection(server_config(pki.issue()))
    fails_with(AD.UNEXPECTED_MESSAGE, lambda: server.receive_data(b"GET / HTTP/1.1\r\n\r\n"))


def test_application_data_before_the_handshake(pki: Pki) -> None:
    server = Connection(server_config(pki.issue()))
    fails_with(AD.UNEXPECTED_MESSAGE,
               lambda: server.receive_data(encode_header(23, 0x0303, 3) + b"abc"))


def test_change_cipher_spec_rules(pki: Pki) -> None:
    server = Connection(server_config(pki.issue()))
    # Before the first ClientHello a ChangeCipherSpec is an unexpected record (§5).
    fails_with(AD.UNEXPECTED_MESSAGE,
               lambda: server.receive_data(encode_header(20, 0x0303, 1) + b"\x01"))
    pair = Pair(client_config(pki), server_config(pki.issue()))
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    fails_with(AD.UNEXPECTED_MESSAGE,
               lambda: pair.server.receive_data(encode_header(20, 0x0303, 1) + b"\x02"))


# -- a man in the middle who knows the keys ------------------------------------


class KeyCapture:
    def __init__(self) -> None:
        self.secrets: dict[str, bytes] = {}

    def __call__(self, label: str, client_random: bytes, secret: bytes) -> None:
        self.secrets[label] = secret


def test_wrong_server_finished_is_decrypt_error(pki: Pki) -> None:
    keys = KeyCapture()
    suite = TLS13_SUITES[tlsglass.CipherSuite.TLS_AES_128_GCM_SHA256]
    client = Connection(client_config(pki, cipher_suites=(suite.suite,)))
    server = Connection(server_config(pki.issue(), key_log=keys))
    client.start_handshake()
    server.receive_data(client.data_to_send())
    records = split_records(server.data_to_send())
    secret = Secret("s hs", keys.secrets["SERVER_HANDSHAKE_TRAFFIC_SECRET"])
    opener, sealer = RecordProtection(suite, secret), RecordProtection(suite, secret)
    forged = []
    for record in records:
        if record[0] != 23:
            forged.append(record)
            continue
        inner = bytearray(opener.open(record[:5], record[5:]))
        inner[-2] ^= 0xFF  # the last byte of the server's Finished, before the content type
        forged.append(sealer.seal(inner[-1], bytes(inner[:-1]), 0))
    fails_with(AD.DECRYPT_ERROR, lambda: client.receive_data(b"".join(forged)))


def test_wrong_client_finished_is_decrypt_error(pki: Pki) -> None:
    keys = KeyCapture()
    suite = TLS13_SUITES[tlsglass.CipherSuite.TLS_AES_128_GCM_SHA256]
    client = Connection(client_config(pki, cipher_suites=(suite.suite,), key_log=keys,
                                      middlebox_compatibility=False))
    server = Connection(server_config(pki.issue()))
    client.start_handshake()
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    [record] = split_records(client.data_to_send())
    secret = Secret("c hs", keys.secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"])
    inner = bytearray(RecordProtection(suite, secret).open(record[:5], record[5:]))
    inner[-2] ^= 1
    forged = RecordProtection(suite, secret).seal(inner[-1], bytes(inner[:-1]), 0)
    fails_with(AD.DECRYPT_ERROR, lambda: server.receive_data(forged))


# -- a hand-made server: ServerHellos the client must refuse -------------------


def _started_client(pki: Pki, **options: object) -> tuple[Connection, ClientHello]:
    traced: list[object] = []
    client = Connection(client_config(pki, trace=traced.append, **options))
    client.start_handshake()
    client.data_to_send()
    hello = next(r.message for r in traced if isinstance(r, tlsglass.observe.MessageTrace))
    assert isinstance(hello, ClientHello)
    return client, hello


def _server_hello(hello: ClientHello, **changes: object) -> bytes:
    group = NamedGroup.X25519
    share = tlsglass.crypto.kx.generate_key_pair(group).public_bytes()
    msg = ServerHello(random=bytes(32), legacy_session_id_echo=hello.legacy_session_id,
                      cipher_suite=tlsglass.CipherSuite.TLS_AES_128_GCM_SHA256,
                      extensions=(KeyShareServerHello(server_share=KeyShareEntry(
                          group=group, key_exchange=share)),
                          SupportedVersionsServerHello(selected_version=0x0304)))
    msg = replace(msg, **changes)  # type: ignore[arg-type]
    body = encode_handshake(msg)
    return encode_header(22, 0x0303, len(body)) + body


@pytest.mark.parametrize(("name", "changes"), [
    ("suite not offered", {"cipher_suite": 0x1304}),
    ("session id not echoed", {"legacy_session_id_echo": b"\x01" * 32}),
    ("compression", {"legacy_compression_method": 1}),
    ("legacy version", {"legacy_version": 0x0304}),
])
def test_server_hello_illegal_parameter(pki: Pki, name: str, changes: dict[str, object]) -> None:
    client, hello = _started_client(pki)
    fails_with(AD.ILLEGAL_PARAMETER, lambda: client.receive_data(_server_hello(hello, **changes)))


def test_server_hello_selecting_a_version_we_did_not_offer(pki: Pki) -> None:
    client, hello = _started_client(pki)
    exts: tuple[Extension, ...] = (SupportedVersionsServerHello(selected_version=0x0305),)
    fails_with(AD.ILLEGAL_PARAMETER,
               lambda: client.receive_data(_server_hello(hello, extensions=exts)))


def test_server_hello_for_tls12_with_downgrade_sentinel(pki: Pki) -> None:
    client, hello = _started_client(pki)
    random = bytes(24) + bytes.fromhex("444f574e47524401")
    fails_with(AD.ILLEGAL_PARAMETER,
               lambda: client.receive_data(_server_hello(hello, random=random, extensions=())))
    # Without the sentinel, a client that requires TLS 1.3 refuses the version itself.
    client, hello = _started_client(pki, minimum_version=tlsglass.ProtocolVersion.TLS1_3)
    fails_with(AD.PROTOCOL_VERSION,
               lambda: client.receive_data(_server_hello(hello, extensions=())))


def test_server_key_share_for_a_group_we_did_not_send(pki: Pki) -> None:
    client, hello = _started_client(pki, key_share_groups=(NamedGroup.X25519MLKEM768,))
    fails_with(AD.ILLEGAL_PARAMETER, lambda: client.receive_data(_server_hello(hello)))


def test_server_key_share_that_is_not_a_point(pki: Pki) -> None:
    client, hello = _started_client(pki)
    bad = (KeyShareServerHello(server_share=KeyShareEntry(group=NamedGroup.X25519,
                                                          key_exchange=bytes(32))),
           SupportedVersionsServerHello(selected_version=0x0304))
    fails_with(AD.ILLEGAL_PARAMETER,
               lambda: client.receive_data(_server_hello(hello, extensions=bad)))


def test_unsolicited_extension_is_unsupported_extension(pki: Pki) -> None:
    client, hello = _started_client(pki)
    exts = (*_server_hello_extensions(hello), RawExtension(code=0x1234, data=b""))
    fails_with(AD.UNSUPPORTED_EXTENSION,
               lambda: client.receive_data(_server_hello(hello, extensions=exts)))


def _server_hello_extensions(hello: ClientHello) -> tuple[Extension, ...]:
    share = tlsglass.crypto.kx.generate_key_pair(NamedGroup.X25519).public_bytes()
    return (KeyShareServerHello(server_share=KeyShareEntry(group=NamedGroup.X25519,
                                                           key_exchange=share)),
            SupportedVersionsServerHello(selected_version=0x0304))


def test_hello_retry_request_rules(pki: Pki) -> None:
    from tlsglass.wire import HELLO_RETRY_REQUEST_RANDOM

    def hrr(hello: ClientHello, group: int) -> bytes:
        exts = (KeyShareHelloRetryRequest(selected_group=group),
                SupportedVersionsServerHello(selected_version=0x0304))
        return _server_hello(hello, random=HELLO_RETRY_REQUEST_RANDOM, extensions=exts)

    client, hello = _started_client(pki)
    # Asking for a group the client already sent a share for changes nothing: illegal.
    fails_with(AD.ILLEGAL_PARAMETER, lambda: client.receive_data(hrr(hello, NamedGroup.X25519)))
    client, hello = _started_client(pki, groups=(NamedGroup.X25519, NamedGroup.SECP256R1),
                                    key_share_groups=(NamedGroup.X25519,))
    fails_with(AD.ILLEGAL_PARAMETER, lambda: client.receive_data(hrr(hello, NamedGroup.X448)))
    client, hello = _started_client(pki, groups=(NamedGroup.X25519, NamedGroup.SECP256R1),
                                    key_share_groups=(NamedGroup.X25519,))
    client.receive_data(hrr(hello, NamedGroup.SECP256R1))
    fails_with(AD.UNEXPECTED_MESSAGE,
               lambda: client.receive_data(hrr(hello, NamedGroup.SECP256R1)))


# -- a hand-made client: ClientHellos the server must refuse --------------------


def _hooked_pair(pki: Pki, hook: Callable[[ClientHello], ClientHello]) -> Pair:
    pair = Pair(client_config(pki, hello_hook=hook), server_config(pki.issue()))
    pair.client.start_handshake()
    return pair


def _drop(code: int) -> Callable[[ClientHello], ClientHello]:
    return lambda h: replace(h, extensions=tuple(e for e in h.extensions if e.type_code != code))


@pytest.mark.parametrize(("name", "hook", "alert"), [
    ("duplicate extension", lambda h: replace(h, extensions=(*h.extensions[:1], *h.extensions)),
     AD.ILLEGAL_PARAMETER),
    # The server falls back to TLS 1.2 with the §4.1.3 sentinel; the client catches it.
    ("no supported_versions: a downgrade", _drop(43), AD.ILLEGAL_PARAMETER),
    ("no signature_algorithms", _drop(13), AD.MISSING_EXTENSION),
    ("no key_share", _drop(51), AD.MISSING_EXTENSION),
    ("compression", lambda h: replace(h, legacy_compression_methods=b"\x01\x00"),
     AD.ILLEGAL_PARAMETER),
    ("no common suite", lambda h: replace(h, cipher_suites=(0x1304, 0xC02F)),
     AD.HANDSHAKE_FAILURE),
    ("share outside supported_groups", lambda h: replace(h, extensions=tuple(
        SupportedGroups(values=(NamedGroup.SECP256R1,)) if e.type_code == 10 else e
        for e in h.extensions)), AD.ILLEGAL_PARAMETER),
    ("extension not allowed in ClientHello", lambda h: replace(h, extensions=(
        RawExtension(code=48, data=b"\x00\x00"), *h.extensions)), AD.ILLEGAL_PARAMETER),
    ("fallback from TLS 1.3", lambda h: replace(_drop(43)(h), cipher_suites=(
        *h.cipher_suites, 0x5600)), AD.INAPPROPRIATE_FALLBACK),
])
def test_client_hello_refused(pki: Pki, name: str, hook: Callable[[ClientHello], ClientHello],
                              alert: AD) -> None:
    pair = _hooked_pair(pki, hook)
    fails_with(alert, pair.pump)


def test_second_client_hello_must_match_the_first(pki: Pki) -> None:
    calls = []

    def hook(h: ClientHello) -> ClientHello:
        calls.append(h)
        return h if len(calls) == 1 else replace(h, cipher_suites=h.cipher_suites[:1])

    pair = Pair(client_config(pki, hello_hook=hook, key_share_groups=(NamedGroup.X25519,)),
                server_config(pki.issue(), groups=(NamedGroup.SECP256R1,)))
    pair.client.start_handshake()
    fails_with(AD.ILLEGAL_PARAMETER, pair.pump)
    assert len(calls) == 2


# -- certificates the client must refuse --------------------------------------


@pytest.mark.parametrize(("name", "make", "alert"), [
    ("expired", lambda pki: pki.issue(not_before=NOW - datetime.timedelta(days=60), days=30),
     AD.CERTIFICATE_EXPIRED),
    ("not yet valid", lambda pki: pki.issue(not_before=NOW + datetime.timedelta(days=2)),
     AD.CERTIFICATE_EXPIRED),
    ("wrong host", lambda pki: pki.issue(names=("elsewhere.test",)), AD.BAD_CERTIFICATE),
    ("unknown CA", lambda pki: Pki("someone else's root").issue(), AD.UNKNOWN_CA),
    ("client-only certificate", lambda pki: pki.issue(server=False),
     AD.UNSUPPORTED_CERTIFICATE),
])
def test_certificate_refused(pki: Pki, name: str, make: Callable[[Pki], object],
                             alert: AD) -> None:
    pair = Pair(client_config(pki), server_config(make(pki)))  # type: ignore[arg-type]
    pair.client.start_handshake()
    error = fails_with(alert, pair.pump)
    assert str(error)
    with pytest.raises(tlsglass.FatalAlertReceived) as info:
        pair.pump()
    assert info.value.description == alert


def test_self_signed_certificate_is_unknown_ca(pki: Pki) -> None:
    alone = Pki("localhost")  # a self-signed certificate standing for itself
    certified = tlsglass.CertifiedKey((tlsglass.Certificate.from_der(alone.der),),
                                      alone.key)
    pair = Pair(client_config(pki), tlsglass.ServerConfig(certificates=(certified,)))
    pair.client.start_handshake()
    error = fails_with(AD.UNKNOWN_CA, pair.pump)
    assert "self-signed" in str(error) or "not trusted" in str(error)


def test_verification_off_needs_the_conspicuous_option(pki: Pki) -> None:
    with pytest.raises(tlsglass.ConfigError):
        tlsglass.ClientConfig(trust=pki.trust)  # no server_name, verification on
    config = tlsglass.ClientConfig(trust=pki.trust, insecure_skip_verification=True)
    Pair(config, server_config(Pki("other").issue())).handshake()


def test_config_refuses_old_versions() -> None:
    with pytest.raises(tlsglass.ConfigError, match="insecure"):
        tlsglass.ClientConfig(server_name="x", minimum_version=0x0301)  # type: ignore[arg-type]
