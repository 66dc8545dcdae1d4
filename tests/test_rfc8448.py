"""RFC 8448 replayed through the real engine, byte for byte where the RFC allows.

The client side of §3 (simple 1-RTT) and §5 (HelloRetryRequest) is reproduced
exactly: the RFC's randoms and key shares are injected through the config's
entropy and key-pair hooks and the RFC's ClientHellos through `hello_hook`; every
secret the key log sees, and every record the client sends, must equal the RFC's.
The server side sends a ServerHello identical to the RFC's, and its encrypted
flight opens under the RFC's handshake keys (RSA-PSS signatures are randomised,
so CertificateVerify is checked by verification).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

import tlsglass
from tlsglass import ClientConfig, Connection, NamedGroup, ServerConfig
from tlsglass.config import CertifiedKey
from tlsglass.crypto.aead import Aead
from tlsglass.crypto.kx import KeyPair, key_pair_from_private
from tlsglass.crypto.suites import AeadAlgorithm
from tlsglass.wire import ClientHello, decode_handshake, encode_handshake
from tlsglass.x509 import Certificate, VerifiedChain

DATA = Path(__file__).resolve().parent / "data"


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


@pytest.fixture(scope="module")
def simple() -> dict[str, Any]:
    return _load(DATA / "rfc8448_simple_1rtt.json")


@pytest.fixture(scope="module")
def hrr() -> dict[str, Any]:
    return _load(DATA / "rfc8448_hrr.json")


def h(doc: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(doc["values"][name])


def rsa_key(doc: dict[str, Any]) -> rsa.RSAPrivateKey:
    k = {name: int(value, 16) for name, value in doc["server_rsa_private_key"].items()}
    public = rsa.RSAPublicNumbers(k["public_exponent"], k["modulus"])
    return rsa.RSAPrivateNumbers(k["prime1"], k["prime2"], k["private_exponent"], k["exponent1"],
                                 k["exponent2"], k["coefficient"], public).private_key()


def certificate_of(doc: dict[str, Any]) -> Certificate:
    msg = decode_handshake(11, h(doc, "certificate")[4:])
    return Certificate.from_der(msg.certificate_list[0].cert_data)  # type: ignore[attr-defined]


def feeder(*chunks: bytes) -> Callable[[int], bytes]:
    """An entropy source that hands out the RFC's values in order."""
    queue: Iterator[bytes] = iter(chunks)

    def entropy(n: int) -> bytes:
        value = next(queue)
        assert len(value) == n, (len(value), n)
        return value

    return entropy


def factory(*pairs: tuple[NamedGroup, bytes]) -> Callable[[NamedGroup], KeyPair]:
    queue = iter(pairs)

    def make(group: NamedGroup) -> KeyPair:
        expected, private = next(queue)
        assert group == expected
        return key_pair_from_private(group, private)

    return make


class KeyLog:
    def __init__(self) -> None:
        self.secrets: dict[str, bytes] = {}

    def __call__(self, label: str, client_random: bytes, secret: bytes) -> None:
        self.secrets[label] = secret


def pinned(expected: Certificate) -> Callable[..., VerifiedChain]:
    """A verifier that accepts exactly the RFC's self-signed certificate."""

    def verify(chain: Any, server_name: str | None, now: float) -> VerifiedChain:
        assert chain[0] == expected
        return VerifiedChain(chain=tuple(chain), server_name=server_name)

    return verify


def replay_hook(*hellos: bytes) -> Callable[[ClientHello], ClientHello]:
    """Replace each ClientHello by the RFC's, after checking ours agrees where it must."""
    queue = iter(hellos)

    def hook(ours: ClientHello) -> ClientHello:
        theirs = decode_handshake(1, next(queue)[4:])
        assert isinstance(theirs, ClientHello)
        assert ours.random == theirs.random
        ours_share = [e for e in ours.extensions if e.type_code == 51]
        theirs_share = [e for e in theirs.extensions if e.type_code == 51]
        assert ours_share == theirs_share
        return theirs

    return hook


def test_simple_1rtt_client_byte_for_byte(simple: dict[str, Any]) -> None:
    log = KeyLog()
    config = ClientConfig(
        server_name="server", verifier=pinned(certificate_of(simple)),
        key_share_groups=(NamedGroup.X25519,), middlebox_compatibility=False,
        entropy=feeder(h(simple, "client_hello")[6:38]),
        key_pair_factory=factory((NamedGroup.X25519, h(simple, "client_private_key"))),
        hello_hook=replay_hook(h(simple, "client_hello")), key_log=log)
    client = Connection(config)
    client.start_handshake()
    assert client.data_to_send() == h(simple, "client_hello_record")
    events = client.receive_data(h(simple, "server_hello_record"))
    assert events == []
    events = client.receive_data(h(simple, "server_handshake_flight_record"))
    assert [type(e) for e in events] == [tlsglass.HandshakeComplete]
    assert client.data_to_send() == h(simple, "client_finished_record")
    assert log.secrets == {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET": h(simple, "client_handshake_traffic_secret"),
        "SERVER_HANDSHAKE_TRAFFIC_SECRET": h(simple, "server_handshake_traffic_secret"),
        "CLIENT_TRAFFIC_SECRET_0": h(simple, "client_application_traffic_secret"),
        "SERVER_TRAFFIC_SECRET_0": h(simple, "server_application_traffic_secret"),
        "EXPORTER_SECRET": h(simple, "exporter_master_secret"),
    }
    events = client.receive_data(h(simple, "new_session_ticket_record"))
    assert events == [tlsglass.NewSessionTicketReceived(ticket_lifetime=30,
                                                        max_early_data_size=1024)]
    client.send_application_data(h(simple, "client_app_data_plaintext"))
    assert client.data_to_send() == h(simple, "client_app_data_record")
    events = client.receive_data(h(simple, "server_app_data_record"))
    assert events == [tlsglass.ApplicationData(data=h(simple, "server_app_data_plaintext"))]
    client.close()
    assert client.data_to_send() == h(simple, "client_alert_record")
    assert client.receive_data(h(simple, "server_alert_record")) == [tlsglass.ConnectionClosed()]


def test_simple_1rtt_resumption_secret(simple: dict[str, Any]) -> None:
    """The resumption_master_secret the client derives is the RFC's (checked via the state)."""
    config = ClientConfig(
        server_name="server", verifier=pinned(certificate_of(simple)),
        key_share_groups=(NamedGroup.X25519,), middlebox_compatibility=False,
        entropy=feeder(h(simple, "client_hello")[6:38]),
        key_pair_factory=factory((NamedGroup.X25519, h(simple, "client_private_key"))),
        hello_hook=replay_hook(h(simple, "client_hello")))
    client = Connection(config)
    client.start_handshake()
    client.receive_data(h(simple, "server_hello_record") + h(simple,
                                                             "server_handshake_flight_record"))
    state = client._state
    assert state.resumption_secret.reveal() == h(simple, "resumption_master_secret")  # type: ignore[attr-defined]


def _open_records(data: bytes, key: bytes, iv: bytes) -> list[tuple[int, bytes]]:
    """Open consecutive TLS 1.3 records (sequence numbers from 0) with a known key."""
    aead, out, seq = Aead(AeadAlgorithm.AES_128_GCM, key), [], 0
    while data:
        length = int.from_bytes(data[3:5], "big")
        header, body, data = data[:5], data[5 : 5 + length], data[5 + length :]
        nonce = (int.from_bytes(iv, "big") ^ seq).to_bytes(12, "big")
        inner = aead.open(nonce, body, header)
        assert inner is not None
        inner = inner.rstrip(b"\x00")
        out.append((inner[-1], inner[:-1]))
        seq += 1
    return out


def test_simple_1rtt_server(simple: dict[str, Any]) -> None:
    key = rsa_key(simple)
    log = KeyLog()
    config = ServerConfig(
        certificates=(CertifiedKey((certificate_of(simple),), key),),
        entropy=feeder(h(simple, "server_hello")[6:38]),
        key_pair_factory=factory((NamedGroup.X25519, h(simple, "server_private_key"))),
        key_log=log)
    server = Connection(config)
    assert server.receive_data(h(simple, "client_hello_record")) == []
    out = server.data_to_send()
    sh_record = h(simple, "server_hello_record")
    assert out[: len(sh_record)] == sh_record
    assert log.secrets["SERVER_HANDSHAKE_TRAFFIC_SECRET"] == h(
        simple, "server_handshake_traffic_secret")
    assert log.secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"] == h(
        simple, "client_handshake_traffic_secret")
    [(content_type, flight)] = _open_records(out[len(sh_record) :],
                                             h(simple, "server_handshake_key"),
                                             h(simple, "server_handshake_iv"))
    assert content_type == 22
    messages = []
    while flight:
        n = 4 + int.from_bytes(flight[1:4], "big")
        messages.append(flight[:n])
        flight = flight[n:]
    assert [m[0] for m in messages] == [8, 11, 15, 20]
    assert messages[1] == h(simple, "certificate")
    cv = decode_handshake(15, messages[2][4:])
    import hashlib

    transcript = hashlib.sha256(h(simple, "client_hello") + h(simple, "server_hello")
                                + messages[0] + messages[1]).digest()
    content = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00" + transcript
    key.public_key().verify(cv.signature, content,  # type: ignore[attr-defined]
                            padding.PSS(padding.MGF1(SHA256()), 32), SHA256())


def test_hello_retry_request_client_byte_for_byte(hrr: dict[str, Any]) -> None:
    log = KeyLog()
    config = ClientConfig(
        server_name="server", verifier=pinned(certificate_of(hrr)),
        groups=(NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1),
        key_share_groups=(NamedGroup.X25519,), middlebox_compatibility=False,
        entropy=feeder(h(hrr, "client_hello_1")[6:38]),
        key_pair_factory=factory((NamedGroup.X25519, h(hrr, "client_private_key_1")),
                                 (NamedGroup.SECP256R1, h(hrr, "client_private_key_2"))),
        hello_hook=replay_hook(h(hrr, "client_hello_1"), h(hrr, "client_hello_2")), key_log=log)
    client = Connection(config)
    client.start_handshake()
    assert client.data_to_send() == h(hrr, "client_hello_1_record")
    assert client.receive_data(h(hrr, "hello_retry_request_record")) == []
    assert client.data_to_send() == h(hrr, "client_hello_2_record")
    assert client.receive_data(h(hrr, "server_hello_record")) == []
    events = client.receive_data(h(hrr, "server_handshake_flight_record"))
    assert [type(e) for e in events] == [tlsglass.HandshakeComplete]
    assert client.group == NamedGroup.SECP256R1
    assert client.data_to_send() == h(hrr, "client_finished_record")
    assert log.secrets["CLIENT_TRAFFIC_SECRET_0"] == h(hrr, "client_application_traffic_secret")
    assert log.secrets["SERVER_TRAFFIC_SECRET_0"] == h(hrr, "server_application_traffic_secret")
    client.close()
    assert client.data_to_send() == h(hrr, "client_alert_record")


def test_hello_retry_request_server(hrr: dict[str, Any]) -> None:
    """Our server asks for P-256 exactly as the RFC's does (its cookie is its own)."""
    cookie = decode_handshake(2, h(hrr, "hello_retry_request")[4:]).extensions[1].cookie  # type: ignore[attr-defined]
    config = ServerConfig(
        certificates=(CertifiedKey((certificate_of(hrr),), rsa_key(hrr)),),
        groups=(NamedGroup.SECP256R1,),
        entropy=feeder(b"\x00" * 32, h(hrr, "server_hello")[6:38]),
        key_pair_factory=factory((NamedGroup.SECP256R1, h(hrr, "server_private_key"))))
    server = Connection(config)
    server.receive_data(h(hrr, "client_hello_1_record"))
    ours = server.data_to_send()
    theirs = decode_handshake(2, h(hrr, "hello_retry_request")[4:])
    mine = decode_handshake(2, ours[9:])
    assert mine.extensions[0] == theirs.extensions[0]  # type: ignore[attr-defined]
    assert mine.extensions[2] == theirs.extensions[2]  # type: ignore[attr-defined]
    assert len(cookie) > 0
    assert encode_handshake(mine)[4:38] == h(hrr, "hello_retry_request")[4:38]
