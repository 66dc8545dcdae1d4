"""Shared test helpers: a throwaway PKI, and `Pair`, a client and a server joined in memory.

`Pair.handshake()` shuttles bytes between two Connections until both are done;
`split` re-feeds every flight byte by byte or at random split points, so each
exchange is also a test of reassembly across records and reads.
"""

from __future__ import annotations

import datetime
import ipaddress
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import tlsglass
from tlsglass import ClientConfig, Connection, ServerConfig
from tlsglass.config import CertifiedKey
from tlsglass.x509 import Certificate, TrustStore

KeyKind = str  # "ec256", "ec384", "rsa2048", "ed25519", "ed448"


PrivateKey = (ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
              | ed448.Ed448PrivateKey)


def make_key(kind: KeyKind) -> PrivateKey:
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    raise ValueError(kind)


def _hash_for(key: object) -> hashes.SHA256 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    return hashes.SHA256()


NOW = datetime.datetime.now(datetime.UTC)


@dataclass
class Issued:
    """A certificate and its key, in pyca and tlsglass form."""

    cert: x509.Certificate
    key: PrivateKey
    certified: CertifiedKey = field(repr=False)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())


class Pki:
    """A root CA that issues leaf certificates on demand."""

    def __init__(self, name: str = "tlsglass test root", kind: KeyKind = "ec256") -> None:
        self.key = make_key(kind)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, _hash_for(self.key))
        )
        self.trust = TrustStore.from_certificates([Certificate.from_der(self.der)])

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, names: Iterable[str] = ("localhost", "127.0.0.1"), kind: KeyKind = "ec256",
              days: int = 30, not_before: datetime.datetime | None = None,
              server: bool = True) -> Issued:
        key = make_key(kind)
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        start = not_before or NOW - datetime.timedelta(hours=1)
        eku = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, next(iter(names),
                                                                                  "leaf"))]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
            .sign(self.key, _hash_for(self.key))
        )
        chain = (Certificate.from_der(cert.public_bytes(serialization.Encoding.DER)),)
        return Issued(cert, key, CertifiedKey(chain, key))

    def write(self, directory: Path, issued: Issued, stem: str = "server") -> tuple[Path, Path]:
        """Write the leaf chain and key as PEM files; returns (cert_path, key_path)."""
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        cert_path.write_bytes(issued.pem)
        key_path.write_bytes(issued.key_pem)
        key_path.chmod(0o600)
        return cert_path, key_path


def client_config(pki: Pki, **options: object) -> ClientConfig:
    options.setdefault("server_name", "localhost")
    return ClientConfig(trust=pki.trust, **options)  # type: ignore[arg-type]


def server_config(issued: Issued | Iterable[Issued], **options: object) -> ServerConfig:
    items = [issued] if isinstance(issued, Issued) else list(issued)
    return ServerConfig(certificates=tuple(i.certified for i in items), **options)  # type: ignore[arg-type]


Splitter = Callable[[bytes], list[bytes]]


def whole(data: bytes) -> list[bytes]:
    return [data] if data else []


def byte_by_byte(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def random_splits(seed: int) -> Splitter:
    rng = random.Random(seed)

    def split(data: bytes) -> list[bytes]:
        out, i = [], 0
        while i < len(data):
            n = rng.randint(1, 300)
            out.append(data[i : i + n])
            i += n
        return out

    return split


class Pair:
    """A client and a server Connection wired together in memory."""

    def __init__(self, client: ClientConfig, server: ServerConfig,
                 split: Splitter = whole) -> None:
        self.client = Connection(client)
        self.server = Connection(server)
        self.split = split
        self.client_events: list[tlsglass.Event] = []
        self.server_events: list[tlsglass.Event] = []

    def _deliver(self, sender: Connection, receiver: Connection,
                 events: list[tlsglass.Event]) -> bool:
        data = sender.data_to_send()
        for chunk in self.split(data):
            events.extend(receiver.receive_data(chunk))
        return bool(data)

    def pump(self) -> None:
        """Move bytes both ways until neither side has anything to send."""
        for _ in range(50):
            moved = self._deliver(self.client, self.server, self.server_events)
            moved |= self._deliver(self.server, self.client, self.client_events)
            if not moved:
                return
        raise AssertionError("the pair never went quiet")

    def handshake(self) -> Pair:
        self.client.start_handshake()
        self.pump()
        assert self.client.handshake_complete, self.client.state
        assert self.server.handshake_complete, self.server.state
        for events in (self.client_events, self.server_events):
            assert sum(isinstance(e, tlsglass.HandshakeComplete) for e in events) == 1
            events.clear()
        return self

    def take(self, side: str) -> list[tlsglass.Event]:
        events = self.client_events if side == "client" else self.server_events
        taken = list(events)
        events.clear()
        return taken

    def data(self, side: str) -> bytes:
        return b"".join(e.data for e in self.take(side) if isinstance(e, tlsglass.ApplicationData))
