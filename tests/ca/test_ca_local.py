"""The local CA's Python API: what it writes, and that OpenSSL and our verifier accept it."""

from __future__ import annotations

import datetime
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from peers import need
from tlsglass.ca import CAError, LocalCA, ThrowawayCA, read_records, read_root
from tlsglass.errors import UnsupportedCertificate
from tlsglass.x509 import load_certificate_file, verify_client_chain, verify_server_chain

NOW = datetime.datetime.now(datetime.UTC)


def openssl_verify(ca: LocalCA, chain_file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    need("openssl")
    return subprocess.run(["openssl", "verify", "-CAfile", str(ca.root_path), "-untrusted",
                           str(chain_file), *extra, str(chain_file)],
                          capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.init(tmp_path_factory.mktemp("ca") / "ca", intermediate=True)


@pytest.mark.parametrize("key_type", ["ec256", "ec384", "rsa2048", "rsa4096", "ed25519"])
@pytest.mark.parametrize("intermediate", [False, True], ids=["root", "intermediate"])
def test_every_key_type_issues_verifiable_server_certificates(
        tmp_path: Path, key_type: str, intermediate: bool) -> None:
    ca = LocalCA.init(tmp_path / "ca", key_type=key_type, intermediate=intermediate)
    issued = ca.issue_server(["localhost", "127.0.0.1", "::1"], key_type=key_type)
    chain = load_certificate_file(issued.certificate_path)
    assert len(chain) == (2 if intermediate else 1)
    for name in ("localhost", "127.0.0.1", "::1"):
        if key_type == "ed25519":
            # The Web PKI profile (browsers, cryptography's verifier, so ours) lets only
            # RSA and ECDSA keys sign certificates; OpenSSL and GnuTLS accept Ed25519.
            with pytest.raises(UnsupportedCertificate, match="Ed25519"):
                verify_server_chain(chain, ca.trust, name, NOW)
        else:
            assert verify_server_chain(chain, ca.trust, name, NOW).leaf == chain[0]
    result = openssl_verify(ca, issued.certificate_path, "-purpose", "sslserver",
                            "-verify_hostname", "localhost", "-x509_strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert isinstance(ca.root.public_key(), {"ec256": ec.EllipticCurvePublicKey,
                                             "ec384": ec.EllipticCurvePublicKey,
                                             "rsa2048": rsa.RSAPublicKey,
                                             "rsa4096": rsa.RSAPublicKey,
                                             "ed25519": ed25519.Ed25519PublicKey}[key_type])


def test_client_certificates_verify_for_client_auth_only(ca: LocalCA) -> None:
    issued = ca.issue_client("alice")
    chain = load_certificate_file(issued.certificate_path)
    assert verify_client_chain(chain, ca.trust, NOW).leaf.subject == "CN=alice"
    assert openssl_verify(ca, issued.certificate_path, "-purpose", "sslclient").returncode == 0
    refused = openssl_verify(ca, issued.certificate_path, "-purpose", "sslserver")
    assert refused.returncode != 0
    assert "unsuitable certificate purpose" in refused.stdout + refused.stderr


def test_certificate_profile(ca: LocalCA) -> None:
    issued = ca.issue_server(["www.example.test", "*.example.test", "192.0.2.7"], days=30)
    leaf, inter = (c.pyca for c in load_certificate_file(issued.certificate_path))
    ext = leaf.extensions
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert list(ext.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH]
    san = ext.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["www.example.test", "*.example.test"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["192.0.2.7"]
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = inter.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 30
    assert 0 < leaf.serial_number < 2**159 and leaf.serial_number.bit_length() > 150
    assert inter.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    assert ca.root.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 1


def test_serial_numbers_differ(ca: LocalCA) -> None:
    serials = {ca.issue_client(f"user{i}").record.serial for i in range(5)}
    assert len(serials) == 5


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_modes(tmp_path: Path) -> None:
    ca = LocalCA.init(tmp_path / "ca", intermediate=True, password=b"correct horse")
    issued = ca.issue_server(["localhost"])
    assert mode(ca.directory) == 0o700
    for key in (ca.directory / "root.key", ca.directory / "intermediate.key", issued.key_path):
        assert key is not None and mode(key) == 0o600, key
    assert b"ENCRYPTED PRIVATE KEY" in (ca.directory / "root.key").read_bytes()
    assert issued.key_path is not None
    assert b"ENCRYPTED" not in issued.key_path.read_bytes()  # servers read it unattended
    assert mode(issued.certificate_path) == 0o644
    assert read_root(ca.directory, "der") == ca.root_bytes("der")
    assert x509.load_der_x509_certificate(read_root(ca.directory, "der")) == ca.root


def test_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    first = LocalCA.init(tmp_path / "ca")
    with pytest.raises(CAError, match=r"already exists.*--force"):
        LocalCA.init(tmp_path / "ca")
    assert LocalCA.open(tmp_path / "ca").root == first.root
    second = LocalCA.init(tmp_path / "ca", force=True)
    assert second.root != first.root


def test_password_errors(tmp_path: Path) -> None:
    LocalCA.init(tmp_path / "ca", password=b"secret")
    with pytest.raises(CAError, match="password is needed"):
        LocalCA.open(tmp_path / "ca")
    with pytest.raises(CAError, match="wrong password"):
        LocalCA.open(tmp_path / "ca", b"guess")
    assert LocalCA.open(tmp_path / "ca", b"secret").issue_client("bob").record.profile == "client"


def test_unreadable_ca(tmp_path: Path) -> None:
    with pytest.raises(CAError, match="holds no CA"):
        LocalCA.open(tmp_path)
    ca = LocalCA.init(tmp_path / "ca")
    (ca.directory / "root.key").write_bytes(b"not a key")
    with pytest.raises(CAError, match=r"root\.key.*not a valid PEM or DER private key"):
        LocalCA.open(ca.directory)


@pytest.mark.parametrize("name", ["bad name", "-leading.hyphen", "a..b", "x" * 64 + ".test",
                                  "999.1.1.1", "*.com", "*", "foo.*.test", "", "1.2.3.4/24"])
def test_invalid_names_are_refused(ca: LocalCA, name: str) -> None:
    with pytest.raises(CAError, match=r"DNS name|wildcard|at least one"):
        ca.issue_server([name])


def test_names_are_normalised(ca: LocalCA) -> None:
    issued = ca.issue_server(["Bücher.Example.", "[2001:DB8::1]", "bücher.example"])
    assert issued.record.names == ("xn--bcher-kva.example", "2001:db8::1")


def test_revocation_and_crl(tmp_path: Path) -> None:
    ca = LocalCA.init(tmp_path / "ca", intermediate=True)
    kept, gone = ca.issue_server(["kept.test"]), ca.issue_server(["gone.test"])
    record = ca.revoke(gone.record.serial, "keyCompromise")
    assert record.revoked and record.reason == "keyCompromise"
    end = b"-----END X509 CRL-----\n"
    crls = [x509.load_pem_x509_crl(block + end)
            for block in ca.crl_path.read_bytes().split(end) if block.strip()]
    assert [c.issuer for c in crls] == [ca.intermediate.subject, ca.root.subject]  # type: ignore[union-attr]
    assert crls[0].is_signature_valid(ca.intermediate.public_key())  # type: ignore[union-attr, arg-type]
    entry = crls[0].get_revoked_certificate_by_serial_number(gone.record.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == \
        x509.ReasonFlags.key_compromise
    crl_check = ("-CRLfile", str(ca.crl_path), "-crl_check_all")
    revoked = openssl_verify(ca, gone.certificate_path, *crl_check)
    assert revoked.returncode != 0 and "certificate revoked" in revoked.stdout + revoked.stderr
    assert openssl_verify(ca, kept.certificate_path, *crl_check).returncode == 0
    statuses = {r.common_name: r.revoked for r in read_records(ca.directory)}
    assert statuses == {"tlsglass local CA intermediate": False, "kept.test": False,
                        "gone.test": True}


def test_revoke_errors(ca: LocalCA) -> None:
    with pytest.raises(CAError, match="no certificate"):
        ca.revoke("00ff")
    issued = ca.issue_client("carol")
    ca.revoke("carol")
    with pytest.raises(CAError, match="already revoked"):
        ca.revoke(issued.record.serial)
    with pytest.raises(CAError, match="unknown revocation reason"):
        ca.revoke("carol", "because")


def test_throwaway_ca_uses_the_same_server_profile() -> None:
    ca = ThrowawayCA.create()
    certified = ca.issue_server()
    for name in ("localhost", "127.0.0.1", "::1"):
        verify_server_chain(certified.chain, ca.trust, name, NOW)
    usage = certified.leaf.pyca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
