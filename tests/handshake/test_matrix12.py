"""TLS 1.2 client and server in memory: every ECDHE suite x group x certificate kind,
version negotiation across both configs' ranges, and the paths around them (ALPN, SNI,
record_size_limit, exporters, key log, close_notify, renegotiation refused, reassembly
byte by byte and at random split points)."""

from __future__ import annotations

import itertools

import pytest

import tlsglass
from helpers import Issued, Pair, Pki, byte_by_byte, client_config, random_splits, server_config
from tlsglass import CipherSuite, NamedGroup, ProtocolVersion
from tlsglass.config import DEFAULT_TLS12_CIPHER_SUITES
from tlsglass.enums import AlertDescription
from tlsglass.errors import LocalProtocolError, RemoteProtocolError
from tlsglass.wire import encode_handshake
from tlsglass.wire.handshake12 import HelloRequest

V12, V13 = ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_3
GROUPS = [NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1, NamedGroup.X448]
ECDSA_SUITES = [s for s in DEFAULT_TLS12_CIPHER_SUITES if "ECDSA" in s.name]
RSA_SUITES = [s for s in DEFAULT_TLS12_CIPHER_SUITES if "_RSA_" in s.name]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def leaves(pki: Pki) -> dict[str, Issued]:
    return {kind: pki.issue(kind=kind) for kind in ("ec256", "ec384", "rsa2048")}


def _pair12(pki: Pki, server: Issued | list[Issued], split: object = None,
            client_options: dict[str, object] | None = None, **server_options: object) -> Pair:
    client = client_config(pki, maximum_version=V12, **(client_options or {}))
    if split is None:
        return Pair(client, server_config(server, **server_options)).handshake()
    return Pair(client, server_config(server, **server_options), split).handshake()  # type: ignore[arg-type]


def _roundtrip(pair: Pair) -> None:
    pair.client.send_application_data(b"ping")
    pair.pump()
    assert pair.data("server") == b"ping"
    pair.server.send_application_data(b"pong" * 5000)
    pair.pump()
    assert pair.data("client") == b"pong" * 5000


CASES = [(s, g, k) for s, g, k in itertools.product(DEFAULT_TLS12_CIPHER_SUITES, GROUPS,
                                                     ("ec256", "ec384", "rsa2048"))
         if ("ECDSA" in s.name) == k.startswith("ec")]


@pytest.mark.parametrize(("suite", "group", "kind"), CASES,
                         ids=lambda v: getattr(v, "name", None) or str(v))
def test_every_suite_group_certificate(pki: Pki, leaves: dict[str, Issued],
                                       suite: CipherSuite, group: NamedGroup, kind: str) -> None:
    # RFC 8422 §5.1: an ECDSA certificate's curve must be among the client's groups too.
    curve = {"ec256": NamedGroup.SECP256R1, "ec384": NamedGroup.SECP384R1}.get(kind, group)
    groups = tuple(dict.fromkeys((group, curve)))
    pair = _pair12(pki, leaves[kind], client_options={"tls12_cipher_suites": (suite,),
                                                      "groups": groups}, groups=groups)
    for conn in (pair.client, pair.server):
        assert conn.version == V12
        assert conn.cipher_suite == suite
        assert conn.group == group
    _roundtrip(pair)


@pytest.mark.parametrize("split", [byte_by_byte, random_splits(1), random_splits(2)],
                         ids=["byte_by_byte", "random1", "random2"])
@pytest.mark.parametrize("kind", ["ec256", "rsa2048"])
def test_reassembly(pki: Pki, leaves: dict[str, Issued], split: object, kind: str) -> None:
    pair = _pair12(pki, leaves[kind], split)
    _roundtrip(pair)


@pytest.mark.parametrize(("client", "server", "expected"), [
    ((V12, V13), (V12, V13), V13),
    ((V12, V12), (V12, V13), V12),
    ((V12, V13), (V12, V12), V12),
    ((V12, V12), (V12, V12), V12),
    ((V13, V13), (V12, V13), V13),
    ((V12, V13), (V13, V13), V13),
    ((V13, V13), (V12, V12), AlertDescription.PROTOCOL_VERSION),
    ((V12, V12), (V13, V13), AlertDescription.PROTOCOL_VERSION),
])
def test_version_negotiation(pki: Pki, leaves: dict[str, Issued], client: tuple[int, int],
                             server: tuple[int, int], expected: int) -> None:
    pair = Pair(client_config(pki, minimum_version=client[0], maximum_version=client[1]),
                server_config(leaves["ec256"], minimum_version=server[0],
                              maximum_version=server[1]))
    if expected == AlertDescription.PROTOCOL_VERSION:
        pair.client.start_handshake()
        with pytest.raises(RemoteProtocolError) as info:
            pair.pump()
        assert info.value.alert == AlertDescription.PROTOCOL_VERSION
        with pytest.raises(tlsglass.FatalAlertReceived):
            pair.pump()  # the alert reaches the side that did not raise
        assert pair.client.failed and pair.server.failed
        return
    pair.handshake()
    assert pair.client.version == pair.server.version == expected
    _roundtrip(pair)


def test_alpn_sni_and_certificate_selection(pki: Pki, leaves: dict[str, Issued]) -> None:
    other = pki.issue(names=("other.test",), kind="rsa2048")
    pair = _pair12(pki, [leaves["ec256"], other],
                   client_options={"server_name": "other.test",
                                   "alpn_protocols": ("h2", "http/1.1")},
                   alpn_protocols=("http/1.1",))
    assert pair.client.alpn_protocol == pair.server.alpn_protocol == "http/1.1"
    assert pair.server.server_name == "other.test"
    assert pair.client.peer_certificates[0].dns_names == ("other.test",)
    assert "RSA" in CipherSuite(pair.client.cipher_suite or 0).name


def test_record_size_limit(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = _pair12(pki, leaves["ec256"], client_options={"record_size_limit": 256},
                   record_size_limit=512)
    records: list[bytes] = []
    pair.server.send_application_data(b"x" * 2000)
    data = pair.server.data_to_send()
    while data:
        length = int.from_bytes(data[3:5], "big")
        records.append(data[: 5 + length])
        data = data[5 + length:]
    # 256 plaintext bytes + 8 explicit nonce + 16 tag (RFC 8449 §4: TLS 1.2 counts plaintext).
    assert max(len(r) - 5 for r in records) == 256 + 24
    for record in records:
        pair.client_events.extend(pair.client.receive_data(record))
    assert pair.data("client") == b"x" * 2000
    pair.client.send_application_data(b"y" * 2000)
    pair.pump()
    assert pair.data("server") == b"y" * 2000


def test_exporters_agree_and_distinguish_contexts(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = _pair12(pki, leaves["ec256"])
    for context in (None, b"", b"ctx"):
        assert pair.client.export_keying_material("EXPERIMENTAL a", context, 40) == \
            pair.server.export_keying_material("EXPERIMENTAL a", context, 40)
    assert pair.client.export_keying_material("EXPERIMENTAL a", None) != \
        pair.client.export_keying_material("EXPERIMENTAL a", b"")  # RFC 5705 §4
    with pytest.raises(LocalProtocolError, match="reserved"):
        pair.client.export_keying_material("key expansion")


def test_key_log_has_the_master_secret(pki: Pki, leaves: dict[str, Issued]) -> None:
    logged: list[tuple[str, bytes, bytes]] = []
    pair = _pair12(pki, leaves["ec256"],
                   client_options={"key_log": lambda *a: logged.append(a)})
    assert [(label, len(secret)) for label, _, secret in logged] == [("CLIENT_RANDOM", 48)]
    assert pair.client.handshake_complete


def test_close_notify_both_ways(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = _pair12(pki, leaves["ec256"])
    pair.client.close()
    pair.pump()
    assert pair.take("server") == [tlsglass.ConnectionClosed()]
    pair.server.close()
    pair.pump()
    assert pair.take("client") == [tlsglass.ConnectionClosed()]
    with pytest.raises(LocalProtocolError):
        pair.client.send_application_data(b"late")


def _hello_request_record(pair: Pair) -> None:
    """Seal a HelloRequest with the server's record layer, as a renegotiating server would."""
    records = pair.server._records
    pair.server._out.append(records.protect(22, encode_handshake(HelloRequest())))


def test_hello_request_answered_with_no_renegotiation(pki: Pki, leaves: dict[str, Issued]
                                                      ) -> None:
    pair = _pair12(pki, leaves["ec256"])
    _hello_request_record(pair)
    pair.pump()
    assert pair.take("server") == [tlsglass.AlertReceived(
        level=1, description=AlertDescription.NO_RENEGOTIATION)]
    _roundtrip(pair)  # the connection carries on


@pytest.mark.parametrize(("kind", "scheme"), [("ed25519", 0x0807), ("ed448", 0x0808)])
def test_eddsa_certificates_in_ecdhe_ecdsa_suites(pki: Pki, kind: str, scheme: int) -> None:
    """RFC 8422 §5.1.3: EdDSA keys sign ServerKeyExchange in the ECDHE_ECDSA suites."""
    pair = _pair12(pki, pki.issue(kind=kind))
    assert "ECDHE_ECDSA" in CipherSuite(pair.client.cipher_suite or 0).name
    assert pair.client.signature_scheme == pair.server.signature_scheme == scheme
    _roundtrip(pair)
