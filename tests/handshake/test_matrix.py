"""Client and server in memory: every suite x group x signature scheme, plus the paths
around them (HelloRetryRequest, ALPN, SNI certificate selection, KeyUpdate, exporters,
record_size_limit, padding, byte-by-byte and random reassembly)."""

from __future__ import annotations

import itertools

import pytest

import tlsglass
from helpers import Issued, Pair, Pki, byte_by_byte, client_config, random_splits, server_config
from tlsglass import CipherSuite, NamedGroup, SignatureScheme
from tlsglass.errors import RemoteProtocolError

SUITES = list(CipherSuite)[:3]
GROUPS = [NamedGroup.X25519MLKEM768, NamedGroup.X25519, NamedGroup.SECP256R1,
          NamedGroup.SECP384R1, NamedGroup.X448, NamedGroup.SECP256R1MLKEM768,
          NamedGroup.SECP384R1MLKEM1024]
# (certificate key kind, the scheme the server must then use)
SCHEMES = [
    ("ec256", SignatureScheme.ECDSA_SECP256R1_SHA256),
    ("ec384", SignatureScheme.ECDSA_SECP384R1_SHA384),
    ("ed25519", SignatureScheme.ED25519),
    ("ed448", SignatureScheme.ED448),
    ("rsa2048", SignatureScheme.RSA_PSS_RSAE_SHA256),
]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def leaves(pki: Pki) -> dict[str, Issued]:
    return {kind: pki.issue(kind=kind) for kind, _ in SCHEMES}


def _roundtrip(pair: Pair) -> None:
    pair.client.send_application_data(b"ping")
    pair.pump()
    assert pair.data("server") == b"ping"
    pair.server.send_application_data(b"pong" * 5000)
    pair.pump()
    assert pair.data("client") == b"pong" * 5000


@pytest.mark.parametrize(("suite", "group", "kind_scheme"),
                         list(itertools.product(SUITES, GROUPS, SCHEMES)),
                         ids=lambda v: getattr(v, "name", None) or str(v[0]))
def test_every_suite_group_scheme(pki: Pki, leaves: dict[str, Issued], suite: CipherSuite,
                                  group: NamedGroup, kind_scheme: tuple[str, SignatureScheme]
                                  ) -> None:
    kind, scheme = kind_scheme
    pair = Pair(client_config(pki, cipher_suites=(suite,), groups=(group,),
                              key_share_groups=(group,)),
                server_config(leaves[kind], groups=tuple(GROUPS))).handshake()
    for conn in (pair.client, pair.server):
        assert conn.version == tlsglass.ProtocolVersion.TLS1_3
        assert conn.cipher_suite == suite
        assert conn.group == group
        assert conn.signature_scheme == scheme
    _roundtrip(pair)


@pytest.mark.parametrize("split", [byte_by_byte, random_splits(1), random_splits(2)],
                         ids=["byte-by-byte", "random-1", "random-2"])
def test_reassembly_at_any_split(pki: Pki, leaves: dict[str, Issued], split: object) -> None:
    pair = Pair(client_config(pki), server_config(leaves["rsa2048"]), split=split)  # type: ignore[arg-type]
    pair.handshake()
    _roundtrip(pair)


def test_hello_retry_request_for_a_missing_share(pki: Pki, leaves: dict[str, Issued]) -> None:
    events: list[object] = []
    pair = Pair(client_config(pki, key_share_groups=(NamedGroup.X25519,), trace=events.append),
                server_config(leaves["ec256"], groups=(NamedGroup.SECP384R1,)))
    pair.handshake()
    assert pair.client.group == NamedGroup.SECP384R1
    received = [r.message for r in events if isinstance(r, tlsglass.observe.MessageTrace)
                and r.direction == "in"]
    assert received[0].is_hello_retry_request  # type: ignore[attr-defined]
    _roundtrip(pair)


def test_hello_retry_without_cookie(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki, key_share_groups=(NamedGroup.X25519,)),
                server_config(leaves["ec256"], groups=(NamedGroup.SECP256R1,),
                              hello_retry_cookie=False)).handshake()
    assert pair.server.group == NamedGroup.SECP256R1


def test_no_common_group_is_handshake_failure(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki, groups=(NamedGroup.X25519,), key_share_groups=(
        NamedGroup.X25519,)), server_config(leaves["ec256"], groups=(NamedGroup.SECP256R1,)))
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == tlsglass.AlertDescription.HANDSHAKE_FAILURE
    with pytest.raises(tlsglass.FatalAlertReceived) as alert:
        pair.pump()
    assert alert.value.description == tlsglass.AlertDescription.HANDSHAKE_FAILURE


def test_alpn_server_preference(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki, alpn_protocols=("http/1.1", "h2")),
                server_config(leaves["ec256"], alpn_protocols=("h2", "http/1.1"))).handshake()
    assert pair.client.alpn_protocol == pair.server.alpn_protocol == "h2"


def test_alpn_no_overlap_is_no_application_protocol(pki: Pki,
                                                    leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki, alpn_protocols=("spdy/3",)),
                server_config(leaves["ec256"], alpn_protocols=("h2",)))
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == tlsglass.AlertDescription.NO_APPLICATION_PROTOCOL


def test_certificate_chosen_by_sni_and_by_signature_schemes(pki: Pki) -> None:
    a = pki.issue(names=("a.test",), kind="ec256")
    b_rsa = pki.issue(names=("b.test",), kind="rsa2048")
    b_ec = pki.issue(names=("b.test",), kind="ec384")
    server = server_config([a, b_rsa, b_ec])
    pair = Pair(client_config(pki, server_name="b.test"), server).handshake()
    assert pair.client.peer_certificates[0] == b_rsa.certified.leaf
    only_ecdsa = (SignatureScheme.ECDSA_SECP384R1_SHA384,)
    pair = Pair(client_config(pki, server_name="b.test", signature_schemes=only_ecdsa),
                server).handshake()
    assert pair.client.peer_certificates[0] == b_ec.certified.leaf
    pair = Pair(client_config(pki, server_name="a.test"), server).handshake()
    assert pair.client.peer_certificates[0] == a.certified.leaf
    assert pair.server.server_name == "a.test"


def test_key_update_both_ways(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki), server_config(leaves["ec256"])).handshake()
    pair.client.key_update(request_peer=True)
    pair.pump()
    assert tlsglass.KeyUpdated(direction="read", requested_by_peer=False) in pair.take("server")
    _roundtrip(pair)
    pair.server.key_update(request_peer=False)
    pair.pump()
    assert pair.take("client") == [tlsglass.KeyUpdated(direction="read",
                                                        requested_by_peer=False)]
    _roundtrip(pair)


def test_automatic_key_update_before_the_usage_limit(pki: Pki,
                                                     leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki, key_update_after_records=3),
                server_config(leaves["ec256"])).handshake()
    for i in range(10):
        pair.client.send_application_data(b"x%d" % i)
    pair.pump()
    events = pair.take("server")
    assert sum(isinstance(e, tlsglass.KeyUpdated) for e in events) >= 3
    assert b"".join(e.data for e in events if isinstance(e, tlsglass.ApplicationData)) == \
        b"".join(b"x%d" % i for i in range(10))


def test_exporter_agrees(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki), server_config(leaves["ec256"])).handshake()
    a = pair.client.export_keying_material("EXPORTER-test", b"ctx", 48)
    assert a == pair.server.export_keying_material(b"EXPORTER-test", b"ctx", 48)
    assert len(a) == 48
    assert a != pair.client.export_keying_material("EXPORTER-test", b"other", 48)


def test_record_size_limit_and_padding(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki, record_size_limit=512, padding=lambda t, n: 100),
                server_config(leaves["ec256"], record_size_limit=1024)).handshake()
    pair.server.send_application_data(b"y" * 5000)
    data = pair.server.data_to_send()
    # Every record the server sends now carries at most 511 bytes of content (RFC 8449).
    lengths = []
    while data:
        n = int.from_bytes(data[3:5], "big")
        lengths.append(n)
        data = data[5 + n :]
    assert max(lengths) <= 512 + 16
    pair2 = Pair(client_config(pki, padding=lambda t, n: 300), server_config(leaves["ec256"]))
    pair2.handshake()
    _roundtrip(pair2)


def test_close_notify_each_way(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki), server_config(leaves["ec256"])).handshake()
    pair.client.close()
    pair.pump()
    assert pair.take("server") == [tlsglass.ConnectionClosed()]
    with pytest.raises(tlsglass.LocalProtocolError):
        pair.client.send_application_data(b"late")
    pair.server.send_application_data(b"still open")  # half-close: the server may still send
    pair.server.close()
    pair.pump()
    assert pair.take("client") == [tlsglass.ApplicationData(data=b"still open"),
                                   tlsglass.ConnectionClosed()]


def test_eof_without_close_notify_is_truncation(pki: Pki, leaves: dict[str, Issued]) -> None:
    pair = Pair(client_config(pki), server_config(leaves["ec256"])).handshake()
    assert pair.client.receive_data(b"") == [tlsglass.ConnectionTruncated()]


def test_grease_is_sent_and_tolerated(pki: Pki, leaves: dict[str, Issued]) -> None:
    events: list[object] = []
    pair = Pair(client_config(pki, grease=True, trace=events.append),
                server_config(leaves["ec256"])).handshake()
    hello = next(r.message for r in events if isinstance(r, tlsglass.observe.MessageTrace))
    assert any(tlsglass.enums.is_grease(s) for s in hello.cipher_suites)  # type: ignore[attr-defined]
    assert any(tlsglass.enums.is_grease(e.type_code) for e in hello.extensions)  # type: ignore[attr-defined]
    _roundtrip(pair)


def test_key_log_writes_every_secret(pki: Pki, leaves: dict[str, Issued]) -> None:
    logged: list[tuple[str, bytes, bytes]] = []
    pair = Pair(client_config(pki, key_log=lambda *a: logged.append(a)),
                server_config(leaves["ec256"])).handshake()
    labels = [label for label, _, _ in logged]
    assert labels == ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                      "SERVER_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_0", "EXPORTER_SECRET"]
    assert {r for _, r, _ in logged} == {pair.client._facts.client_random}
