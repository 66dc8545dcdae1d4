"""RFC 5246 §7.4.2 (and RFC 8422 §5.3): a TLS 1.2 server certificate whose keyUsage
extension is present must allow what the suite does with its key: keyEncipherment for
RSA key transport, digitalSignature for the (EC)DHE suites, which sign the parameters.
A client refuses anything else with unsupported_certificate, and a server does not
pick a suite its certificate's keyUsage forbids."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from helpers import Pair, Pki, client_config
from tlsglass import (
    AlertDescription,
    CipherSuite,
    ProtocolVersion,
    RemoteProtocolError,
    ServerConfig,
)
from tlsglass.config import CertifiedKey
from tlsglass.enums import HandshakeType
from tlsglass.wire import Writer
from tlsglass.wire.handshake12 import Certificate12
from tlsglass.wire.record import encode_header
from tlsglass.x509 import Certificate

V12 = ProtocolVersion.TLS1_2
RSA_KX = CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256
ECDHE_RSA = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _leaf(pki: Pki, key: rsa.RSAPrivateKey, *, signing: bool, encipherment: bool
          ) -> CertifiedKey:
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(pki.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                pki.key.public_key()), False)
            .add_extension(x509.KeyUsage(
                digital_signature=signing, key_encipherment=encipherment,
                content_commitment=False, data_encipherment=False, key_agreement=False,
                key_cert_sign=False, crl_sign=False, encipher_only=False,
                decipher_only=False), critical=True)
            .sign(pki.key, hashes.SHA256()))
    return CertifiedKey((Certificate.from_der(cert.public_bytes(serialization.Encoding.DER)),),
                        key)


def _options(*suites: CipherSuite) -> dict[str, object]:
    return {"tls12_cipher_suites": suites, "allow_rsa_key_transport": RSA_KX in suites}


def _swap_certificate(flight: bytes, der: bytes) -> bytes:
    """The server's plaintext first flight with its leaf replaced by `der` (same key: the
    ServerKeyExchange signature still verifies, so only keyUsage differs)."""
    data, out = b"", b""
    while flight:
        length = int.from_bytes(flight[3:5], "big")
        data, flight = data + flight[5 : 5 + length], flight[5 + length:]
    while data:
        length = int.from_bytes(data[1:4], "big")
        msg_type, body, data = data[0], data[4 : 4 + length], data[4 + length:]
        if msg_type == HandshakeType.CERTIFICATE:
            w = Writer()
            Certificate12(certificate_list=(der,)).encode(w)
            body = w.getvalue()
        out += bytes((msg_type,)) + len(body).to_bytes(3, "big") + body
    return encode_header(22, 0x0303, len(out)) + out


@pytest.mark.parametrize(("suite", "signing", "encipherment"), [
    (RSA_KX, True, False),  # a signing-only key must not decrypt premaster secrets
    (ECDHE_RSA, False, True),  # an encryption-only key must not sign ECDHE parameters
])
def test_client_refuses_a_key_usage_the_suite_does_not_fit(
        pki: Pki, rsa_key: rsa.RSAPrivateKey, suite: CipherSuite, signing: bool,
        encipherment: bool) -> None:
    """A server that sends such a certificate anyway (ours would not pick the suite)."""
    both = _leaf(pki, rsa_key, signing=True, encipherment=True)
    restricted = _leaf(pki, rsa_key, signing=signing, encipherment=encipherment)
    server = ServerConfig(certificates=(both,), **_options(suite))  # type: ignore[arg-type]
    pair = Pair(client_config(pki, maximum_version=V12, **_options(suite)), server)
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    flight = _swap_certificate(pair.server.data_to_send(), restricted.leaf.der)
    with pytest.raises(RemoteProtocolError) as info:
        pair.client.receive_data(flight)
    assert info.value.alert == AlertDescription.UNSUPPORTED_CERTIFICATE


@pytest.mark.parametrize(("signing", "encipherment", "chosen"), [
    (True, False, ECDHE_RSA), (False, True, RSA_KX)])
def test_server_picks_only_a_suite_its_key_usage_allows(
        pki: Pki, rsa_key: rsa.RSAPrivateKey, signing: bool, encipherment: bool,
        chosen: CipherSuite) -> None:
    certified = _leaf(pki, rsa_key, signing=signing, encipherment=encipherment)
    options = _options(RSA_KX, ECDHE_RSA)
    server = ServerConfig(certificates=(certified,), **options)  # type: ignore[arg-type]
    pair = Pair(client_config(pki, maximum_version=V12, **options), server).handshake()
    assert pair.server.cipher_suite == chosen


def test_server_with_no_suite_its_key_usage_allows_refuses(
        pki: Pki, rsa_key: rsa.RSAPrivateKey) -> None:
    certified = _leaf(pki, rsa_key, signing=True, encipherment=False)
    server = ServerConfig(certificates=(certified,), **_options(RSA_KX))  # type: ignore[arg-type]
    pair = Pair(client_config(pki, maximum_version=V12, **_options(RSA_KX)), server)
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.receive_data(pair.client.data_to_send())
    assert info.value.alert == AlertDescription.HANDSHAKE_FAILURE


@pytest.mark.parametrize(("suite", "signing", "encipherment"), [
    (RSA_KX, True, True), (ECDHE_RSA, True, True), (RSA_KX, False, True),
    (ECDHE_RSA, True, False)])
def test_fitting_key_usage_is_fine(pki: Pki, rsa_key: rsa.RSAPrivateKey, suite: CipherSuite,
                                   signing: bool, encipherment: bool) -> None:
    certified = _leaf(pki, rsa_key, signing=signing, encipherment=encipherment)
    server = ServerConfig(certificates=(certified,), **_options(suite))  # type: ignore[arg-type]
    pair = Pair(client_config(pki, maximum_version=V12, **_options(suite)), server).handshake()
    assert pair.client.cipher_suite == suite
