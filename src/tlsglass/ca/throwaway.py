"""A throwaway certificate authority kept in memory: for demos and loopback tests.

It makes an ECDSA P-256 root and issues server certificates for the names
given, valid for a day, with the same profiles as the local CA
(`tlsglass.ca.build`). Nothing is written to disk; the full local CA, with
files, revocation and trust installation, is `LocalCA` and `tlsglass ca`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tlsglass.ca.build import Validity, build_ca_certificate, build_leaf, parse_names
from tlsglass.config import CertifiedKey
from tlsglass.x509 import Certificate, TrustStore

__all__ = ["ThrowawayCA"]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class ThrowawayCA:
    """An in-memory root; `issue_server` gives a CertifiedKey, `trust` trusts the root."""

    root: Certificate
    _key: ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def create(cls, common_name: str = "tlsglass throwaway root") -> ThrowawayCA:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = build_ca_certificate(common_name, key, Validity.starting(_now(), 1),
                                    path_length=0)
        return cls(Certificate.from_der(cert.public_bytes(serialization.Encoding.DER)), key)

    @property
    def trust(self) -> TrustStore:
        return TrustStore.from_certificates([self.root])

    @property
    def root_pem(self) -> bytes:
        return self.root.pyca.public_bytes(serialization.Encoding.PEM)

    def issue_server(self, *names: str) -> CertifiedKey:
        subject = parse_names(names or ("localhost", "127.0.0.1", "::1"))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = build_leaf("server", key.public_key(), subject, subject.first,
                          Validity.starting(_now(), 1), (self.root.pyca, self._key))
        leaf = Certificate.from_der(cert.public_bytes(serialization.Encoding.DER))
        return CertifiedKey((leaf,), key)
