"""RFC 5246 §7.4.2 (and RFC 8422 §5.3): a TLS 1.2 server certificate whose keyUsage
extension is present must allow what the suite does with its key: keyEncipherment for
RSA key transport, digitalSignature for the (EC)DHE suites, which sign the parameters.
A client refuses anything else with unsupported_certificate."""

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


@pytest.mark.parametrize(("suite", "signing", "encipherment"), [
    (RSA_KX, True, False),  # a signing-only key must not decrypt premaster secrets
    (ECDHE_RSA, False, True),  # an encryption-only key must not sign ECDHE parameters
])
def test_client_refuses_a_key_usage_the_suite_does_not_fit(
        pki: Pki, rsa_key: rsa.RSAPrivateKey, suite: CipherSuite, signing: bool,
        encipherment: bool) -> None:
    certified = _leaf(pki, rsa_key, signing=signing, encipherment=encipherment)
    server = ServerConfig(certificates=(certified,), **_options(suite))  # type: ignore[arg-type]
    pair = Pair(client_config(pki, maximum_version=V12, **_options(suite)), server)
    pair.client.start_handshake()
    pair.server.receive_data(pair.client.data_to_send())
    with pytest.raises(RemoteProtocolError) as info:
        pair.client.receive_data(pair.server.data_to_send())
    assert info.value.alert == AlertDescription.UNSUPPORTED_CERTIFICATE


@pytest.mark.parametrize(("suite", "signing", "encipherment"), [
    (RSA_KX, True, True), (ECDHE_RSA, True, True), (RSA_KX, False, True),
    (ECDHE_RSA, True, False)])
def test_fitting_key_usage_is_fine(pki: Pki, rsa_key: rsa.RSAPrivateKey, suite: CipherSuite,
                                   signing: bool, encipherment: bool) -> None:
    certified = _leaf(pki, rsa_key, signing=signing, encipherment=encipherment)
    server = ServerConfig(certificates=(certified,), **_options(suite))  # type: ignore[arg-type]
    pair = Pair(client_config(pki, maximum_version=V12, **_options(suite)), server).handshake()
    assert pair.client.cipher_suite == suite
