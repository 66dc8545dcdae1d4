"""A test PKI for the x509 tests, built with cryptography (the `pki` fixture is in conftest.py).

Main hierarchy: "tlsglass Test Root" (ECDSA P-384) -> "tlsglass Test Intermediate"
(ECDSA P-256) -> leaves. Every certificate is valid from a day before `Pki.now`
to 30 days after it unless its name says otherwise, and each is also written as
`<name>.pem` in `Pki.directory`. Private keys stay in memory and are dropped once
the PKI is built; nothing here writes a key to disk.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tlsglass.x509 import Certificate

Key = CertificateIssuerPrivateKeyTypes
SERVER_AUTH = (ExtendedKeyUsageOID.SERVER_AUTH,)
CLIENT_AUTH = (ExtendedKeyUsageOID.CLIENT_AUTH,)


@dataclass(frozen=True)
class Issuer:
    cert: x509.Certificate
    key: Key = field(repr=False)


@dataclass(frozen=True)
class Pki:
    """The certificates tests use, as tlsglass Certificates, with their PEM files."""

    directory: Path
    now: datetime
    certs: dict[str, Certificate]

    def __getitem__(self, name: str) -> Certificate:
        return self.certs[name]

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.pem"

    def chain(self, *names: str) -> tuple[Certificate, ...]:
        return tuple(self.certs[n] for n in names)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tlsglass tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _hash_for(key: Key) -> hashes.SHA256 | hashes.SHA384 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


@dataclass(frozen=True, kw_only=True)
class Spec:
    """What to put in one certificate; the defaults make a good serverAuth leaf."""

    common_name: str
    key: Key = field(repr=False)
    issuer: Issuer | None = None  # None: self-signed
    ca: bool = False
    path_length: int | None = None
    dns: Sequence[str] = ()
    ips: Sequence[str] = ()
    eku: Sequence[x509.ObjectIdentifier] = SERVER_AUTH
    not_before: timedelta = timedelta(days=-1)
    not_after: timedelta = timedelta(days=30)
    signing_key: Key | None = field(default=None, repr=False)  # forge: sign with another key
    pss_salt: int | None = None  # sign with RSA-PSS using this salt length


def issue(spec: Spec, now: datetime) -> Issuer:
    public = spec.key.public_key()
    issuer_name = spec.issuer.cert.subject if spec.issuer else _name(spec.common_name)
    issuer_key = spec.issuer.key if spec.issuer else spec.key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(spec.common_name))
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + spec.not_before)
        .not_valid_after(now + spec.not_after)
        .add_extension(x509.BasicConstraints(ca=spec.ca, path_length=spec.path_length), True)
        .add_extension(_key_usage(ca=spec.ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in spec.dns]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in spec.ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if spec.eku and not spec.ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(spec.eku)), critical=False)
    signer = spec.signing_key or issuer_key
    if spec.pss_salt is not None:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=spec.pss_salt)
        cert = builder.sign(signer, hashes.SHA256(), rsa_padding=pss)
    else:
        cert = builder.sign(signer, _hash_for(signer))
    return Issuer(cert, spec.key)


def p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def p384() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


LEAF_DNS = ("localhost", "example.test")
LEAF_IPS = ("127.0.0.1", "::1")
LONG_CHAIN = 10  # intermediates in the "long_*" chain, more than DEFAULT_MAX_CHAIN_DEPTH


class _Builder:
    """Issues certificates into `made`, one name each."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.made: dict[str, Issuer] = {}

    def add(self, name: str, spec: Spec) -> Issuer:
        self.made[name] = issue(spec, self.now)
        return self.made[name]

    def leaf(self, name: str, issuer: Issuer, spec: Spec) -> None:
        self.add(name, replace(spec, issuer=issuer))


def _build(now: datetime) -> dict[str, x509.Certificate]:
    b = _Builder(now)
    root = b.add("root", Spec(common_name="tlsglass Test Root", key=p384(), ca=True))
    inter_key = p256()
    inter = b.add(
        "intermediate",
        Spec(common_name="tlsglass Test Intermediate", key=inter_key, issuer=root, ca=True),
    )
    _leaves(b, inter)
    _broken_chains(b, root, inter)
    _other_hierarchies(b)
    return {name: issuer.cert for name, issuer in b.made.items()}


def _leaves(b: _Builder, inter: Issuer) -> None:
    def spec(cn: str, key: Key | None = None) -> Spec:
        return Spec(common_name=cn, key=key or p256(), dns=("localhost",))

    days = timedelta(days=1)
    b.leaf("leaf", inter, replace(spec("localhost"), dns=LEAF_DNS, ips=LEAF_IPS))
    b.leaf(
        "expired_leaf", inter, replace(spec("expired.test"), not_before=-60 * days, not_after=-days)
    )
    b.leaf("future_leaf", inter, replace(spec("future.test"), not_before=days))
    b.leaf("client_only_leaf", inter, replace(spec("client.test"), eku=CLIENT_AUTH))
    b.leaf(
        "client_no_san_leaf", inter, replace(spec("client without SAN"), dns=(), eku=CLIENT_AUTH)
    )
    b.leaf(
        "wrong_name_leaf",
        inter,
        replace(spec("elsewhere.test"), dns=("elsewhere.test",), ips=("10.9.8.7",)),
    )
    b.leaf("wildcard_leaf", inter, replace(spec("*.example.test"), dns=("*.example.test",)))
    b.leaf("no_san_leaf", inter, replace(spec("localhost without SAN"), dns=()))
    b.leaf("p384_leaf", inter, spec("p384.test", p384()))
    b.leaf("rsa_leaf", inter, spec("rsa.test", rsa_key()))
    b.leaf("ed25519_leaf", inter, spec("ed25519.test", ed25519.Ed25519PrivateKey.generate()))
    b.leaf("ed448_leaf", inter, spec("ed448.test", ed448.Ed448PrivateKey.generate()))


def _broken_chains(b: _Builder, root: Issuer, inter: Issuer) -> None:
    days = timedelta(days=1)
    # Same name and key as the intermediate (and the root), but outside the validity window.
    b.add(
        "expired_intermediate",
        Spec(
            common_name="tlsglass Test Intermediate",
            key=inter.key,
            issuer=root,
            ca=True,
            not_before=-90 * days,
            not_after=-2 * days,
        ),
    )
    b.add(
        "expired_root",
        Spec(
            common_name="tlsglass Test Root",
            key=root.key,
            ca=True,
            not_before=-90 * days,
            not_after=-3 * days,
        ),
    )
    b.add(
        "forged_leaf",
        Spec(
            common_name="forged.test",
            key=p256(),
            issuer=inter,
            dns=("localhost",),
            signing_key=p256(),
        ),
    )
    b.add("self_signed_leaf", Spec(common_name="localhost", key=p256(), dns=("localhost",)))
    unknown = b.add("unknown_root", Spec(common_name="tlsglass Unknown Root", key=p256(), ca=True))
    b.add(
        "unknown_ca_leaf",
        Spec(common_name="localhost", key=p256(), issuer=unknown, dns=("localhost",)),
    )
    sub = b.add(
        "sub_intermediate",
        Spec(common_name="tlsglass Test Sub-Intermediate", key=p256(), issuer=inter, ca=True),
    )
    b.add("deep_leaf", Spec(common_name="deep.test", key=p256(), issuer=sub, dns=("deep.test",)))
    limited = b.add(
        "pathlen0_intermediate",
        Spec(common_name="tlsglass Pathlen-0 CA", key=p256(), issuer=root, ca=True, path_length=0),
    )
    below = b.add(
        "below_pathlen_intermediate",
        Spec(common_name="tlsglass Too-Deep CA", key=p256(), issuer=limited, ca=True),
    )
    b.add(
        "pathlen_leaf",
        Spec(common_name="pathlen.test", key=p256(), issuer=below, dns=("localhost",)),
    )
    parent = root
    for depth in range(LONG_CHAIN):
        parent = b.add(
            f"long_{depth}",
            Spec(common_name=f"tlsglass Long Chain CA {depth}", key=p256(), issuer=parent, ca=True),
        )
    b.add("long_leaf", Spec(common_name="long.test", key=p256(), issuer=parent, dns=("localhost",)))


def _other_hierarchies(b: _Builder) -> None:
    rsa_root = b.add("rsa_root", Spec(common_name="tlsglass RSA Root", key=rsa_key(), ca=True))
    b.add(
        "pss_leaf",
        Spec(
            common_name="pss.test", key=rsa_key(), issuer=rsa_root, dns=("localhost",), pss_salt=32
        ),
    )
    b.add(
        "bad_pss_leaf",
        Spec(
            common_name="bad-pss.test",
            key=rsa_key(),
            issuer=rsa_root,
            dns=("localhost",),
            pss_salt=20,
        ),
    )
    weak = b.add(
        "weak_intermediate",
        Spec(common_name="tlsglass Weak RSA CA", key=rsa_key(1024), issuer=rsa_root, ca=True),
    )
    b.add(
        "weak_ca_leaf", Spec(common_name="weak.test", key=p256(), issuer=weak, dns=("localhost",))
    )
    ed_root = b.add(
        "ed25519_root",
        Spec(
            common_name="tlsglass Ed25519 Root", key=ed25519.Ed25519PrivateKey.generate(), ca=True
        ),
    )
    b.add(
        "ed25519_ca_leaf",
        Spec(common_name="ed-ca.test", key=p256(), issuer=ed_root, dns=("localhost",)),
    )


def build_pki(directory: Path) -> Pki:
    """Issue every test certificate now and write each as `<name>.pem` in `directory`."""
    now = datetime.now(UTC).replace(microsecond=0)
    certs: dict[str, Certificate] = {}
    for name, cert in _build(now).items():
        (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        certs[name] = Certificate.from_der(cert.public_bytes(serialization.Encoding.DER))
    return Pki(directory=directory, now=now, certs=certs)
