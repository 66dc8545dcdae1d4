"""Peer certificates are interned by their DER bytes (x509/certificate.py, from_der).

The cache may only ever save work: the same bytes give the same immutable object,
different bytes never do, garbage is refused every time (never remembered), the
cache is bounded, and trust is not remembered (a chain is verified afresh by
every handshake, so a certificate that stops being trusted is refused at once).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tlsglass.errors import BadCertificate, UnknownCA
from tlsglass.x509 import Certificate, TrustStore, verify_server_chain
from tlsglass.x509.certificate import INTERNED_CERTIFICATES, _interned
from x509_pki import Spec, issue, p256


def _der(common_name: str) -> tuple[bytes, bytes]:
    now = datetime.now(UTC)
    root = issue(Spec(common_name=f"{common_name} root", key=p256(), ca=True), now)
    leaf = issue(Spec(common_name=common_name, key=p256(), dns=("a.test",), issuer=root), now)
    return leaf.cert.public_bytes(Encoding.DER), root.cert.public_bytes(Encoding.DER)


def test_same_bytes_same_object_other_bytes_other_object() -> None:
    leaf, root = _der("interned")
    first = Certificate.from_der(leaf)
    assert Certificate.from_der(bytearray(leaf)) is first
    assert Certificate.from_der(memoryview(leaf)) is first
    assert Certificate.from_der(root) is not first
    assert Certificate(leaf) is not first and Certificate(leaf) == first  # direct: a new parse


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01", b"not DER at all"])
def test_garbage_is_refused_every_time(garbage: bytes) -> None:
    for _ in range(2):
        with pytest.raises(BadCertificate):
            Certificate.from_der(garbage)
    assert _interned.cache_info().currsize <= INTERNED_CERTIFICATES


def test_bounded() -> None:
    leaf, _ = _der("bounded")
    first = Certificate.from_der(leaf)
    for i in range(INTERNED_CERTIFICATES):
        Certificate.from_der(_der(f"filler {i}")[0])
    assert _interned.cache_info().currsize == INTERNED_CERTIFICATES
    assert Certificate.from_der(leaf) is not first  # pushed out, parsed again
    assert Certificate.from_der(leaf) == first


def test_trust_is_not_remembered() -> None:
    leaf_der, root_der = _der("trust")
    leaf, root = Certificate.from_der(leaf_der), Certificate.from_der(root_der)
    now = datetime.now(UTC)
    verify_server_chain((leaf,), TrustStore.from_certificates([root]), "a.test", now)
    other_root = Certificate.from_der(_der("other")[1])
    with pytest.raises(UnknownCA):
        verify_server_chain((Certificate.from_der(leaf_der),),
                            TrustStore.from_certificates([other_root]), "a.test", now)
