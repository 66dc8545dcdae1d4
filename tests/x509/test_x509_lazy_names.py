"""Names and subjectAltName are parsed when first read, and a malformed one is still refused.

Certificate.from_der leaves the names to whoever reads them first (a handshake that
verifies with the trust store reads none). These tests pin what that must not
change: a peer certificate with a malformed subjectAltName is refused with
bad_certificate at its Certificate message, by cryptography's verifier, and the
display fields of such a certificate raise BadCertificate, never a bare ValueError.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

import tlsglass
from tlsglass import CertifiedKey, ClientConfig, Connection, ServerConfig
from tlsglass.enums import AlertDescription
from tlsglass.errors import BadCertificate
from tlsglass.x509 import Certificate, TrustStore, verify_server_chain
from x509_pki import Issuer, Spec, issue, p256

# A subjectAltName whose SEQUENCE claims 3 bytes and holds 2 (RFC 5280 §4.2.1.6 cut short).
_TRUNCATED_SAN = b"\x30\x03\x82\x01"


_Broken = tuple[Certificate, ec.EllipticCurvePrivateKey, Certificate]  # leaf, its key, root


def _leaf(root: Issuer, san: bytes, now: datetime
          ) -> tuple[Certificate, ec.EllipticCurvePrivateKey]:
    key = p256()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, san),
                       critical=False)
        .sign(root.key, hashes.SHA256())
    )
    return Certificate.from_der(cert.public_bytes(Encoding.DER)), key


@pytest.fixture(scope="module")
def broken() -> _Broken:
    now = datetime.now(UTC)
    root = issue(Spec(common_name="lazy names root", key=p256(), ca=True), now)
    leaf, key = _leaf(root, _TRUNCATED_SAN, now)
    return leaf, key, Certificate.from_der(root.cert.public_bytes(Encoding.DER))


def test_the_handshake_fields_parse_without_the_names(
        broken: _Broken) -> None:
    leaf, _, _ = broken
    assert isinstance(leaf.public_key, ec.EllipticCurvePublicKey)
    assert leaf.not_before < leaf.not_after


@pytest.mark.parametrize("name", ["dns_names", "ip_addresses", "subject", "sha256_fingerprint"])
def test_a_malformed_subject_alt_name_raises_bad_certificate_when_read(
        broken: _Broken, name: str) -> None:
    leaf, _, _ = broken
    with pytest.raises(BadCertificate, match="malformed"):
        getattr(leaf, name)


def test_the_verifier_refuses_a_malformed_subject_alt_name(
        broken: _Broken) -> None:
    leaf, _, root = broken
    with pytest.raises(BadCertificate):
        verify_server_chain((leaf,), TrustStore.from_certificates([root]), "localhost",
                            datetime.now(UTC))


def test_a_client_refuses_it_with_bad_certificate(
        broken: _Broken) -> None:
    leaf, key, root = broken
    client = Connection(ClientConfig(server_name="localhost",
                                     trust=TrustStore.from_certificates([root])))
    certified = CertifiedKey((leaf,), key)
    # A selector, so that the server sends the chain without matching SNI against its names.
    server = Connection(ServerConfig(certificate_selector=lambda name, schemes: certified))
    client.start_handshake()
    server.receive_data(client.data_to_send())
    with pytest.raises(tlsglass.RemoteProtocolError) as info:
        client.receive_data(server.data_to_send())
    assert isinstance(info.value.__cause__, BadCertificate)
    assert info.value.alert == AlertDescription.BAD_CERTIFICATE
    with pytest.raises(tlsglass.FatalAlertReceived) as alert:
        server.receive_data(client.data_to_send())
    assert alert.value.description == AlertDescription.BAD_CERTIFICATE
