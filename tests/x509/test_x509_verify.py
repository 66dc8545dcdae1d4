"""verify_server_chain / verify_client_chain: good chains, and each refusal's class and reason."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.x509.verification import VerificationError

from tlsglass.errors import (
    BadCertificate,
    CertificateExpired,
    ConfigError,
    ProtocolError,
    UnknownCA,
    UnsupportedCertificate,
)
from tlsglass.x509 import (
    DEFAULT_MAX_CHAIN_DEPTH,
    TrustStore,
    VerifiedChain,
    normalize_server_name,
    verify_client_chain,
    verify_server_chain,
)
from x509_pki import LONG_CHAIN, Pki

ROOT = "CN=tlsglass Test Root,O=tlsglass tests"
INTERMEDIATE = "CN=tlsglass Test Intermediate,O=tlsglass tests"
LEAF = "CN=localhost,O=tlsglass tests"


@pytest.fixture(scope="module")
def store(pki: Pki) -> TrustStore:
    return TrustStore.from_certificates([pki["root"], pki["rsa_root"]])


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def server(
    pki: Pki, store: TrustStore, names: list[str], server_name: str | None = "localhost"
) -> VerifiedChain:
    return verify_server_chain(pki.chain(*names), store, server_name, pki.now)


def refusal(
    pki: Pki, store: TrustStore, names: list[str], server_name: str | None = "localhost"
) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        server(pki, store, names, server_name)
    assert "<Certificate(" not in str(info.value)  # cryptography's repr is replaced by names
    return info.value


# -- Chains that verify --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server_name", "normalised"),
    [
        ("localhost", "localhost"),
        ("example.test", "example.test"),
        ("LocalHost", "localhost"),
        ("localhost.", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
    ],
)
def test_good_chain_verifies_for_dns_and_ip_names(
    pki: Pki, store: TrustStore, server_name: str, normalised: str
) -> None:
    verified = server(pki, store, ["leaf", "intermediate"], server_name)
    assert verified.chain == (pki["leaf"], pki["intermediate"], pki["root"])
    assert verified.leaf == pki["leaf"]
    assert verified.trust_anchor == pki["root"]
    assert verified.server_name == normalised


def test_intermediates_in_any_order_with_extras(pki: Pki, store: TrustStore) -> None:
    sent = ["leaf", "unknown_root", "root", "rsa_root", "expired_intermediate", "intermediate"]
    verified = server(pki, store, sent)
    assert verified.chain == (pki["leaf"], pki["intermediate"], pki["root"])
    deep = server(pki, store, ["deep_leaf", "intermediate", "sub_intermediate"], "deep.test")
    assert deep.chain == pki.chain("deep_leaf", "sub_intermediate", "intermediate", "root")


def test_chain_members_are_the_objects_given(pki: Pki, store: TrustStore) -> None:
    sent = pki.chain("leaf", "intermediate")
    verified = verify_server_chain(sent, store, "localhost", pki.now)
    assert verified.chain[0] is sent[0] and verified.chain[1] is sent[1]
    assert verified.trust_anchor is store.certificates[0]


@pytest.mark.parametrize("leaf", ["p384_leaf", "rsa_leaf", "ed25519_leaf", "ed448_leaf"])
def test_leaf_key_types_verify(pki: Pki, store: TrustStore, leaf: str) -> None:
    assert server(pki, store, [leaf, "intermediate"]).leaf == pki[leaf]


def test_rsa_pss_signed_leaf_verifies(pki: Pki, store: TrustStore) -> None:
    assert server(pki, store, ["pss_leaf"]).trust_anchor == pki["rsa_root"]


def test_wildcard_matches_one_label(pki: Pki, store: TrustStore) -> None:
    assert server(pki, store, ["wildcard_leaf", "intermediate"], "a.example.test")
    for name in ("a.b.example.test", "example.test"):
        with pytest.raises(BadCertificate, match=r"it names \*\.example\.test$"):
            server(pki, store, ["wildcard_leaf", "intermediate"], name)


def test_self_signed_leaf_trusted_directly(pki: Pki) -> None:
    own = TrustStore.from_certificates([pki["self_signed_leaf"]])
    verified = server(pki, own, ["self_signed_leaf"])
    assert verified.chain == (pki["self_signed_leaf"],)
    assert verified.leaf is verified.trust_anchor


@pytest.mark.parametrize("leaf", ["leaf", "wrong_name_leaf", "wildcard_leaf"])
def test_no_server_name_checks_everything_but_the_name(
    pki: Pki, store: TrustStore, leaf: str
) -> None:
    verified = server(pki, store, [leaf, "intermediate"], None)
    assert verified.server_name is None
    assert verified.trust_anchor == pki["root"]


def test_no_server_name_still_refuses_bad_chains(pki: Pki, store: TrustStore) -> None:
    assert isinstance(
        refusal(pki, store, ["expired_leaf", "intermediate"], None), CertificateExpired
    )
    assert isinstance(refusal(pki, store, ["unknown_ca_leaf"], None), UnknownCA)
    assert isinstance(
        refusal(pki, store, ["client_only_leaf", "intermediate"], None), UnsupportedCertificate
    )
    error = refusal(pki, store, ["no_san_leaf", "intermediate"], None)
    assert isinstance(error, BadCertificate)
    assert "not valid for any host: it has no subjectAltName" in str(error)


def test_time_is_the_argument_naive_means_utc(pki: Pki, store: TrustStore) -> None:
    chain = pki.chain("leaf", "intermediate")
    naive = pki.now.replace(tzinfo=None)
    assert verify_server_chain(chain, store, "localhost", naive).leaf == pki["leaf"]
    elsewhere = pki.now.astimezone(timezone(timedelta(hours=-7)))
    assert verify_server_chain(chain, store, "localhost", elsewhere).leaf == pki["leaf"]
    later = pki.now + timedelta(days=31)
    with pytest.raises(CertificateExpired, match=f"expired on .* \\(now {_when(later)}\\)"):
        verify_server_chain(chain, store, "localhost", later)


def test_max_chain_depth(pki: Pki, store: TrustStore) -> None:
    names = ["long_leaf", *(f"long_{i}" for i in range(LONG_CHAIN))]
    with pytest.raises(UnknownCA, match=f"no trust anchor within {DEFAULT_MAX_CHAIN_DEPTH} "):
        server(pki, store, names)
    chain = pki.chain(*names)
    verified = verify_server_chain(chain, store, "localhost", pki.now, max_chain_depth=LONG_CHAIN)
    assert len(verified.chain) == LONG_CHAIN + 2
    with pytest.raises(ConfigError, match="max_chain_depth"):
        verify_server_chain(chain, store, "localhost", pki.now, max_chain_depth=256)


# -- Refusals: class and reason ------------------------------------------------------------------


def test_empty_chain(pki: Pki, store: TrustStore) -> None:
    with pytest.raises(BadCertificate, match=r"^no certificate$"):
        verify_server_chain([], store, "localhost", pki.now)
    with pytest.raises(BadCertificate, match=r"^no certificate$"):
        verify_client_chain([], store, pki.now)
    with pytest.raises(BadCertificate, match=r"^no certificate$"):
        VerifiedChain(())


def test_expired_leaf(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["expired_leaf", "intermediate"])
    assert isinstance(error, CertificateExpired)
    assert str(error) == (
        f"certificate for 'CN=expired.test,O=tlsglass tests' expired on "
        f"{_when(pki['expired_leaf'].not_after)} (now {_when(pki.now)})"
    )


def test_not_yet_valid_leaf(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["future_leaf", "intermediate"])
    assert isinstance(error, CertificateExpired)
    assert str(error) == (
        f"certificate for 'CN=future.test,O=tlsglass tests' is not valid until "
        f"{_when(pki['future_leaf'].not_before)} (now {_when(pki.now)})"
    )


def test_expired_intermediate(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["leaf", "expired_intermediate"])
    assert isinstance(error, CertificateExpired)
    assert str(error).startswith(f"intermediate certificate '{INTERMEDIATE}' expired on ")
    assert isinstance(error.__cause__, VerificationError)


def test_expired_trust_anchor(pki: Pki) -> None:
    store = TrustStore.from_certificates([pki["expired_root"]])
    error = refusal(pki, store, ["leaf", "intermediate"])
    assert isinstance(error, CertificateExpired)
    assert str(error).startswith(f"trust anchor '{ROOT}' expired on ")


def test_unknown_issuer(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["unknown_ca_leaf"])
    assert isinstance(error, UnknownCA)
    assert str(error).startswith(
        f"issuer 'CN=tlsglass Unknown Root,O=tlsglass tests' of certificate '{LEAF}' is not trusted"
    )


def test_unknown_root_sent_along(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["unknown_ca_leaf", "unknown_root"])
    assert isinstance(error, UnknownCA)
    assert str(error) == (
        f"the chain for '{LEAF}' ends at self-signed certificate "
        "'CN=tlsglass Unknown Root,O=tlsglass tests', which is not in the trust store"
    )


def test_missing_intermediate(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["leaf"])
    assert isinstance(error, UnknownCA)
    assert f"issuer '{INTERMEDIATE}' of certificate '{LEAF}' is not trusted" in str(error)


def test_self_signed_leaf_not_in_store(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["self_signed_leaf"])
    assert isinstance(error, UnknownCA)
    assert str(error) == f"certificate for '{LEAF}' is self-signed and is not in the trust store"


@pytest.mark.parametrize("server_name", ["other.test", "10.0.0.1", "127.0.0.2", "localhost.test"])
def test_name_mismatch(pki: Pki, store: TrustStore, server_name: str) -> None:
    error = refusal(pki, store, ["leaf", "intermediate"], server_name)
    assert isinstance(error, BadCertificate)
    assert str(error) == (
        f"certificate is not valid for '{server_name}': "
        "it names localhost, example.test, 127.0.0.1, ::1"
    )


def test_wrong_hostname_leaf(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["wrong_name_leaf", "intermediate"], "localhost")
    assert isinstance(error, BadCertificate)
    assert (
        str(error) == "certificate is not valid for 'localhost': it names elsewhere.test, 10.9.8.7"
    )
    assert server(pki, store, ["wrong_name_leaf", "intermediate"], "10.9.8.7")


def test_leaf_without_subject_alt_name(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["no_san_leaf", "intermediate"])
    assert isinstance(error, BadCertificate)
    assert "is not valid for 'localhost': it has no subjectAltName extension" in str(error)


def test_bad_signature(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["forged_leaf", "intermediate"])
    assert isinstance(error, BadCertificate)
    assert str(error) == (
        "the signature on certificate 'CN=forged.test,O=tlsglass tests' does not verify "
        f"with the key of its issuer '{INTERMEDIATE}'"
    )


def test_client_auth_only_leaf_is_not_for_servers(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["client_only_leaf", "intermediate"])
    assert isinstance(error, UnsupportedCertificate)
    assert str(error) == (
        "certificate for 'CN=client.test,O=tlsglass tests' is not valid for server "
        "authentication: its extendedKeyUsage allows only clientAuth"
    )


def test_ca_certificate_as_leaf(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["intermediate", "root"])
    assert isinstance(error, BadCertificate)


def test_path_length_constraint(pki: Pki, store: TrustStore) -> None:
    names = ["pathlen_leaf", "pathlen0_intermediate", "below_pathlen_intermediate"]
    error = refusal(pki, store, names)
    assert isinstance(error, BadCertificate)
    assert str(error) == (
        "certificate chain for 'CN=pathlen.test,O=tlsglass tests' was refused: "
        "path length constraint violated"
    )


def test_ed25519_ca_is_unsupported(pki: Pki) -> None:
    store = TrustStore.from_certificates([pki["ed25519_root"]])
    error = refusal(pki, store, ["ed25519_ca_leaf"])
    assert isinstance(error, UnsupportedCertificate)
    assert str(error).startswith(
        "CA certificate 'CN=tlsglass Ed25519 Root,O=tlsglass tests' has an Ed25519 key"
    )


def test_weak_rsa_ca_is_unsupported(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["weak_ca_leaf", "weak_intermediate"])
    assert isinstance(error, UnsupportedCertificate)
    assert "has an RSA 1024 key, below the 2048-bit minimum" in str(error)


def test_forbidden_signature_parameters(pki: Pki, store: TrustStore) -> None:
    error = refusal(pki, store, ["bad_pss_leaf"])
    assert isinstance(error, UnsupportedCertificate)
    assert str(error) == (
        "certificate 'CN=bad-pss.test,O=tlsglass tests' is signed with RSA-PSS with SHA-256 "
        "and parameters that the Web PKI profile does not allow"
    )


# -- Server names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Example.TEST", "example.test"),
        ("example.test.", "example.test"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("192.0.2.1", "192.0.2.1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("a" * 63 + ".test", "a" * 63 + ".test"),
    ],
)
def test_normalize_server_name(name: str, normalised: str) -> None:
    assert normalize_server_name(name) == normalised


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "exa mple.test",
        "a_b.test",
        "-x.test",
        "x-.test",
        "a..b",
        "*.example.test",
        "a" * 64 + ".test",
        ("a" * 60 + ".") * 5,
    ],
)
def test_invalid_server_name_is_config_error(pki: Pki, store: TrustStore, name: str) -> None:
    with pytest.raises(ConfigError, match="is neither a DNS name nor an IP address"):
        normalize_server_name(name)
    with pytest.raises(ConfigError):
        server(pki, store, ["leaf", "intermediate"], name)


# -- Client chains (mutual TLS) ------------------------------------------------------------------


@pytest.mark.parametrize("leaf", ["client_only_leaf", "client_no_san_leaf"])
def test_client_chain_verifies(pki: Pki, store: TrustStore, leaf: str) -> None:
    verified = verify_client_chain(pki.chain(leaf, "intermediate"), store, pki.now)
    assert verified.chain == pki.chain(leaf, "intermediate", "root")
    assert verified.server_name is None


def test_server_only_leaf_is_not_a_client_certificate(pki: Pki, store: TrustStore) -> None:
    with pytest.raises(UnsupportedCertificate, match="not valid for client authentication"):
        verify_client_chain(pki.chain("leaf", "intermediate"), store, pki.now)


def test_client_chain_refusals(pki: Pki, store: TrustStore) -> None:
    with pytest.raises(CertificateExpired, match=r"expired\.test.* expired on"):
        verify_client_chain(pki.chain("expired_leaf", "intermediate"), store, pki.now)
    with pytest.raises(UnknownCA, match=f"issuer '{INTERMEDIATE}'"):
        verify_client_chain(pki.chain("client_only_leaf"), store, pki.now)
    with pytest.raises(CertificateExpired, match="intermediate certificate"):
        verify_client_chain(pki.chain("client_only_leaf", "expired_intermediate"), store, pki.now)


# -- The fixture PKI is sane for a real peer ------------------------------------------------------


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
@pytest.mark.parametrize(
    ("leaf", "untrusted", "accepted"),
    [
        ("leaf", ["intermediate"], True),
        ("deep_leaf", ["intermediate", "sub_intermediate"], True),
        ("rsa_leaf", ["intermediate"], True),
        ("ed25519_leaf", ["intermediate"], True),
        ("expired_leaf", ["intermediate"], False),
        ("unknown_ca_leaf", [], False),
        ("forged_leaf", ["intermediate"], False),
        ("client_only_leaf", ["intermediate"], False),
    ],
)
def test_openssl_verify_agrees(
    pki: Pki, store: TrustStore, tmp_path: Path, leaf: str, untrusted: list[str], accepted: bool
) -> None:
    command = ["openssl", "verify", "-purpose", "sslserver", "-CAfile", str(pki.path("root"))]
    if untrusted:
        bundle = tmp_path / "untrusted.pem"
        bundle.write_bytes(b"".join(pki.path(name).read_bytes() for name in untrusted))
        command += ["-untrusted", str(bundle)]
    if leaf != "deep_leaf":
        command += ["-verify_hostname", "localhost"]
    result = subprocess.run([*command, str(pki.path(leaf))], capture_output=True, text=True)
    assert (result.returncode == 0) is accepted, result.stdout + result.stderr
    if accepted:
        assert result.stdout.strip() == f"{pki.path(leaf)}: OK"
    name = "deep.test" if leaf == "deep_leaf" else "localhost"
    ours = [leaf, *untrusted]
    if accepted:
        assert server(pki, store, ours, name).leaf == pki[leaf]
    else:
        refusal(pki, store, ours, name)


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_openssl_verify_checks_the_ip_address(pki: Pki) -> None:
    command = [
        "openssl",
        "verify",
        "-CAfile",
        str(pki.path("root")),
        "-untrusted",
        str(pki.path("intermediate")),
        "-purpose",
        "sslserver",
        "-verify_ip",
        "127.0.0.1",
        str(pki.path("leaf")),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_verification_is_deterministic_in_time(pki: Pki, store: TrustStore) -> None:
    # Nothing reads a clock: `now` alone decides, so a past time gives the same answer each call.
    when = datetime(2020, 1, 1, tzinfo=UTC)
    for _ in range(2):
        with pytest.raises(CertificateExpired, match="is not valid until"):
            verify_server_chain(pki.chain("leaf", "intermediate"), store, "localhost", when)
