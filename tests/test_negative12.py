"""TLS 1.2 refusals, each with the alert RFC 5246 (and RFCs 7507, 7627, 5746, 8422, 8446
§4.1.3) names: old versions, fallback, downgrade, missing extended_master_secret or
renegotiation_info, tampered or out-of-order messages, bad key-exchange values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

import tlsglass
from helpers import Pair, Pki, client_config, server_config
from tlsglass import Connection, ProtocolVersion
from tlsglass.enums import AlertDescription as AD
from tlsglass.errors import RemoteProtocolError
from tlsglass.wire import (
    ClientHello,
    EcPointFormats,
    Extension,
    RawExtension,
    RenegotiationInfo,
    ServerHello,
    SupportedGroups,
    SupportedVersionsClientHello,
    Writer,
    encode_handshake,
)
from tlsglass.wire.handshake12 import SignedParams, decode_handshake12
from tlsglass.wire.record import encode_header

V12 = ProtocolVersion.TLS1_2
Rewrite = Callable[[int, bytes], bytes]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def fails_with(alert: AD, action: Callable[[], object]) -> RemoteProtocolError:
    with pytest.raises(RemoteProtocolError) as info:
        action()
    assert info.value.alert == alert, str(info.value)
    return info.value


def _messages(flight: bytes) -> list[tuple[int, bytes]]:
    """Plaintext handshake records -> (msg_type, body) in order."""
    data = b""
    while flight:
        length = int.from_bytes(flight[3:5], "big")
        assert flight[0] == 22
        data += flight[5 : 5 + length]
        flight = flight[5 + length:]
    out = []
    while data:
        length = int.from_bytes(data[1:4], "big")
        out.append((data[0], data[4 : 4 + length]))
        data = data[4 + length:]
    return out


def _flight(messages: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(bytes((t,)) + len(b).to_bytes(3, "big") + b for t, b in messages)
    return encode_header(22, 0x0303, len(body)) + body


def _server_flight(pki: Pki, rewrite: Rewrite, client_options: dict[str, object] | None = None,
                   **server_options: object) -> tuple[Connection, bytes]:
    """A client and the real server's first flight, each message passed through `rewrite`."""
    # No ticket store: the flights stay the plain full handshake of RFC 5246 §7.3.
    options: dict[str, object] = {"ticket_store": None, **(client_options or {})}
    pair = Pair(client_config(pki, **options), server_config(pki.issue(), **server_options))
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    messages = [(t, rewrite(t, b)) for t, b in _messages(pair.server.data_to_send())]
    return pair.client, _flight(messages)


def _with_server_hello(change: Callable[[ServerHello], ServerHello]) -> Rewrite:
    def rewrite(msg_type: int, body: bytes) -> bytes:
        if msg_type != 2:
            return body
        return encode_handshake(change(decode_handshake12(2, body)))[4:]  # type: ignore[arg-type]
    return rewrite


def _drop_ext(code: int) -> Callable[[ServerHello], ServerHello]:
    return lambda h: replace(h, extensions=tuple(e for e in h.extensions if e.type_code != code))


# -- the client refuses ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "change", "alert"), [
    ("TLS 1.1", lambda h: replace(h, legacy_version=0x0302), AD.PROTOCOL_VERSION),
    ("SSL 3.0", lambda h: replace(h, legacy_version=0x0300), AD.PROTOCOL_VERSION),
    ("TLS 1.1 sentinel", lambda h: replace(h, random=h.random[:24] + b"DOWNGRD\x00"),
     AD.ILLEGAL_PARAMETER),
    ("no extended_master_secret", _drop_ext(23), AD.HANDSHAKE_FAILURE),
    ("no renegotiation_info", _drop_ext(0xFF01), AD.HANDSHAKE_FAILURE),
    ("renegotiation_info not empty", lambda h: replace(h, extensions=tuple(
        RenegotiationInfo(renegotiated_connection=b"x") if e.type_code == 0xFF01 else e
        for e in h.extensions)), AD.HANDSHAKE_FAILURE),
    ("a TLS 1.3 suite", lambda h: replace(h, cipher_suite=0x1301), AD.ILLEGAL_PARAMETER),
    ("a suite not offered", lambda h: replace(h, cipher_suite=0xC030), AD.ILLEGAL_PARAMETER),
    ("compression", lambda h: replace(h, legacy_compression_method=1), AD.ILLEGAL_PARAMETER),
    ("an extension not offered", lambda h: replace(h, extensions=(
        *h.extensions, RawExtension(code=35, data=b""))), AD.UNSUPPORTED_EXTENSION),
])
def test_client_refuses_server_hello(pki: Pki, name: str,
                                     change: Callable[[ServerHello], ServerHello],
                                     alert: AD) -> None:
    client, flight = _server_flight(pki, _with_server_hello(change), maximum_version=V12)
    fails_with(alert, lambda: client.receive_data(flight))
    assert client.failed


def test_client_without_ems_requirement_accepts_a_legacy_server(pki: Pki) -> None:
    client, flight = _server_flight(pki, _with_server_hello(_drop_ext(23)),
                                    client_options={"require_extended_master_secret": False},
                                    maximum_version=V12)
    client.receive_data(flight)
    assert client.state == "WaitChangeCipherSpec"


def test_downgrade_sentinel_from_a_real_server(pki: Pki) -> None:
    """A 1.3-capable server answers a ClientHello stripped of supported_versions in 1.2
    with the sentinel; the 1.3-capable client that sent the original catches it."""
    def strip(h: ClientHello) -> ClientHello:
        return replace(h, extensions=tuple(e for e in h.extensions if e.type_code != 43))
    client, flight = _server_flight(pki, lambda t, b: b, client_options={"hello_hook": strip})
    assert _messages(flight)[0][1][2 + 24 : 2 + 32] == b"DOWNGRD\x01"
    fails_with(AD.ILLEGAL_PARAMETER, lambda: client.receive_data(flight))


def _with_key_exchange(change: Callable[[bytes], bytes]) -> Rewrite:
    return lambda t, b: change(b) if t == 12 else b


@pytest.mark.parametrize(("name", "change", "alert"), [
    ("signature flipped", lambda b: b[:-1] + bytes((b[-1] ^ 1,)), AD.DECRYPT_ERROR),
    ("params changed", lambda b: b[:5] + bytes((b[5] ^ 1,)) + b[6:], AD.DECRYPT_ERROR),
    ("explicit curve", lambda b: b"\x01" + b[1:], AD.DECODE_ERROR),
    ("truncated", lambda b: b[:-3], AD.DECODE_ERROR),
    ("trailing byte", lambda b: b + b"\x00", AD.DECODE_ERROR),
    ("empty", lambda b: b"", AD.DECODE_ERROR),
    ("group not offered", lambda b: b[:1] + (0x0019).to_bytes(2, "big") + b[3:],
     AD.ILLEGAL_PARAMETER),
    ("scheme not offered", lambda b: _resign(b, 0x0201), AD.ILLEGAL_PARAMETER),
])
def test_client_refuses_server_key_exchange(pki: Pki, name: str, change: Callable[[bytes], bytes],
                                            alert: AD) -> None:
    client, flight = _server_flight(pki, _with_key_exchange(change), maximum_version=V12)
    fails_with(alert, lambda: client.receive_data(flight))


def _resign(body: bytes, algorithm: int) -> bytes:
    signed, _ = SignedParams.from_body(body)
    w = Writer()
    replace(signed, algorithm=algorithm).encode(w)
    return w.getvalue()


def test_change_cipher_spec_too_early(pki: Pki) -> None:
    client, flight = _server_flight(pki, lambda t, b: b, maximum_version=V12)
    first = _flight(_messages(flight)[:1])  # the ServerHello alone
    client.receive_data(first)
    fails_with(AD.UNEXPECTED_MESSAGE, lambda: client.receive_data(b"\x14\x03\x03\x00\x01\x01"))


def test_hello_request_during_the_handshake_is_ignored(pki: Pki) -> None:
    client, flight = _server_flight(pki, lambda t, b: b, maximum_version=V12)
    messages = _messages(flight)
    client.receive_data(_flight(messages[:1]))
    client.receive_data(_flight([(0, b"")]))  # RFC 5246 §7.4.1.1
    assert client.state == "WaitCertificate"
    client.receive_data(_flight(messages[1:]))
    assert client.state == "WaitChangeCipherSpec"
    fails_with(AD.DECODE_ERROR, lambda: client.receive_data(_flight([(0, b"x")])))


def test_server_hello_done_before_key_exchange(pki: Pki) -> None:
    client, flight = _server_flight(pki, lambda t, b: b, maximum_version=V12)
    messages = _messages(flight)
    fails_with(AD.UNEXPECTED_MESSAGE,
               lambda: client.receive_data(_flight([messages[0], messages[1], messages[3]])))


# -- the server refuses ------------------------------------------------------------------

def _hooked(pki: Pki, hook: Callable[[ClientHello], ClientHello],
            client_options: dict[str, object] | None = None, **server_options: object) -> Pair:
    options: dict[str, object] = {"ticket_store": None, **(client_options or {})}
    pair = Pair(client_config(pki, hello_hook=hook, **options),
                server_config(pki.issue(), **server_options))
    pair.client.start_handshake()
    return pair


def _versions(*values: int) -> Extension:
    return SupportedVersionsClientHello(values=values)


def _point_formats(*values: int) -> Extension:
    return EcPointFormats(ec_point_format_list=values)


def _groups(*values: int) -> Extension:
    return SupportedGroups(values=values)


def _legacy(version: int) -> Callable[[ClientHello], ClientHello]:
    return lambda h: replace(h, legacy_version=version, extensions=tuple(
        e for e in h.extensions if e.type_code != 43))


def _drop(code: int) -> Callable[[ClientHello], ClientHello]:
    return lambda h: replace(h, extensions=tuple(e for e in h.extensions if e.type_code != code))


@pytest.mark.parametrize(("name", "hook", "alert"), [
    ("SSL 3.0", _legacy(0x0300), AD.PROTOCOL_VERSION),
    ("TLS 1.0", _legacy(0x0301), AD.PROTOCOL_VERSION),
    ("TLS 1.1", _legacy(0x0302), AD.PROTOCOL_VERSION),
    ("TLS 1.1 in supported_versions", lambda h: replace(h, extensions=(
        *h.extensions, _versions(0x0302, 0x0301))), AD.PROTOCOL_VERSION),
    ("fallback SCSV below our best", lambda h: replace(h, cipher_suites=(
        *h.cipher_suites, 0x5600)), AD.INAPPROPRIATE_FALLBACK),
    ("no extended_master_secret", _drop(23), AD.HANDSHAKE_FAILURE),
    ("renegotiation_info not empty", lambda h: replace(h, extensions=tuple(
        RenegotiationInfo(renegotiated_connection=b"\x01" * 12) if e.type_code == 0xFF01 else e
        for e in h.extensions)), AD.HANDSHAKE_FAILURE),
    ("no signature_algorithms", _drop(13), AD.HANDSHAKE_FAILURE),
    ("no null compression", lambda h: replace(h, legacy_compression_methods=b"\x01"),
     AD.ILLEGAL_PARAMETER),
    ("compressed points only", lambda h: replace(h, extensions=tuple(
        _point_formats(1) if e.type_code == 11 else e for e in h.extensions)),
     AD.ILLEGAL_PARAMETER),
    ("no common group", lambda h: replace(h, extensions=tuple(
        _groups(0x0100) if e.type_code == 10 else e for e in h.extensions)),
     AD.HANDSHAKE_FAILURE),
])
def test_server_refuses_client_hello(pki: Pki, name: str,
                                     hook: Callable[[ClientHello], ClientHello],
                                     alert: AD) -> None:
    pair = _hooked(pki, hook, client_options={"maximum_version": V12})
    fails_with(alert, pair.pump)
    assert pair.server.failed


def test_ecdsa_certificate_on_a_curve_the_client_lacks(pki: Pki) -> None:
    """RFC 8422 §5.1: a P-256 key is of no use to a client that lists only X25519."""
    pair = Pair(client_config(pki, maximum_version=V12, groups=(tlsglass.NamedGroup.X25519,)),
                server_config(pki.issue(kind="ec256")))
    pair.client.start_handshake()
    fails_with(AD.HANDSHAKE_FAILURE, pair.pump)
    # With an RSA certificate beside it, the server uses that one instead.
    pair = Pair(client_config(pki, maximum_version=V12, groups=(tlsglass.NamedGroup.X25519,)),
                server_config([pki.issue(kind="ec256"), pki.issue(kind="rsa2048")]))
    pair.handshake()
    assert "_RSA_" in tlsglass.CipherSuite(pair.client.cipher_suite or 0).name


def test_fallback_scsv_is_fine_when_the_server_tops_out_there(pki: Pki) -> None:
    pair = _hooked(pki, lambda h: replace(h, cipher_suites=(*h.cipher_suites, 0x5600)),
                   client_options={"maximum_version": V12}, maximum_version=V12)
    pair.pump()
    assert pair.server.handshake_complete


def test_secure_renegotiation_by_scsv_alone(pki: Pki) -> None:
    hook = _drop(0xFF01)
    pair = _hooked(pki, lambda h: replace(hook(h), cipher_suites=(*h.cipher_suites, 0x00FF)),
                   client_options={"maximum_version": V12})
    pair.pump()
    assert pair.client.handshake_complete and pair.server.handshake_complete


def _client_key_exchange(change: Callable[[bytes], bytes]) -> Callable[[Pair], bytes]:
    def tamper(pair: Pair) -> bytes:
        return _rewrite_client_flight(pair.client.data_to_send(), change)
    return tamper


def _rewrite_client_flight(data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    # The client's flight: ClientKeyExchange (plaintext), CCS, protected Finished.
    length = int.from_bytes(data[3:5], "big")
    record, rest = data[: 5 + length], data[5 + length:]
    ((msg_type, body),) = _messages(record)
    assert msg_type == 16
    return _flight([(16, change(body))]) + rest


@pytest.mark.parametrize(("name", "change", "alert"), [
    ("not a point", lambda b: b"\x20" + bytes(32), AD.ILLEGAL_PARAMETER),
    ("empty", lambda b: b"", AD.DECODE_ERROR),
    ("length past the end", lambda b: b"\x40" + b[1:], AD.DECODE_ERROR),
    ("trailing byte", lambda b: b + b"\x00", AD.DECODE_ERROR),
])
def test_server_refuses_client_key_exchange(pki: Pki, name: str,
                                            change: Callable[[bytes], bytes], alert: AD) -> None:
    groups = (tlsglass.NamedGroup.X25519, tlsglass.NamedGroup.SECP256R1)
    pair = Pair(client_config(pki, maximum_version=V12, groups=groups),
                server_config(pki.issue()))
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    flight = _client_key_exchange(change)(pair)
    fails_with(alert, lambda: pair.server.receive_data(flight))


def test_finished_that_does_not_match(pki: Pki) -> None:
    pair = Pair(client_config(pki, maximum_version=V12), server_config(pki.issue()))
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    flight = bytearray(pair.client.data_to_send())
    flight[-1] ^= 1  # the Finished record's tag: the record itself no longer authenticates
    fails_with(AD.BAD_RECORD_MAC, lambda: pair.server.receive_data(bytes(flight)))


def test_renegotiating_client_hello_is_refused(pki: Pki) -> None:
    pair = Pair(client_config(pki, maximum_version=V12), server_config(pki.issue())).handshake()
    hello = ClientHello(random=bytes(32), cipher_suites=(0xC02B,),
                        extensions=(RenegotiationInfo(renegotiated_connection=bytes(12)),))
    records = pair.client._records
    pair.client._out.append(records.protect(22, encode_handshake(hello)))
    pair.pump()
    assert pair.take("client") == [tlsglass.AlertReceived(level=1,
                                                          description=AD.NO_RENEGOTIATION)]
    assert pair.server.handshake_complete and not pair.server.failed


def test_application_data_before_finished(pki: Pki) -> None:
    pair = Pair(client_config(pki, maximum_version=V12), server_config(pki.issue()))
    pair.client.start_handshake()
    fails_with(AD.UNEXPECTED_MESSAGE,
               lambda: pair.server.receive_data(b"\x17\x03\x03\x00\x05hello"))

