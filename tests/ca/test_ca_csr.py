"""Signing PKCS#10 requests made by `openssl req`, and refusing the ones we should not sign."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from peers import need
from tlsglass import CertifiedKey
from tlsglass.ca import CAError, LocalCA
from tlsglass.x509 import load_certificate_file, verify_client_chain, verify_server_chain

NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.init(tmp_path_factory.mktemp("csr") / "ca", intermediate=True)


def openssl_req(tmp: Path, subject: str, *extra: str, key: str = "ec") -> tuple[bytes, Path]:
    """A CSR and its key file, made by `openssl req`."""
    need("openssl")
    key_path = tmp / "req.key"
    newkey = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key == "ec"
              else ["-newkey", key])
    result = subprocess.run(["openssl", "req", "-new", *newkey, "-nodes", "-keyout",
                             str(key_path), "-subj", subject, *extra],
                            capture_output=True, timeout=60, check=True)
    return result.stdout, key_path


def test_openssl_req_with_sans(ca: LocalCA, tmp_path: Path) -> None:
    csr, key = openssl_req(tmp_path, "/CN=csr.test",
                           "-addext", "subjectAltName=DNS:csr.test,DNS:www.csr.test,IP:127.0.0.1")
    issued = ca.sign_csr(csr, out=tmp_path)
    assert issued.key_path is None
    assert issued.record.names == ("csr.test", "www.csr.test", "127.0.0.1")
    chain = load_certificate_file(issued.certificate_path)
    verify_server_chain(chain, ca.trust, "www.csr.test", NOW)
    verify_server_chain(chain, ca.trust, "127.0.0.1", NOW)
    CertifiedKey.from_files(issued.certificate_path, key)  # the requester's key fits
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(ca.root_path), "-untrusted",
                               str(issued.certificate_path), "-purpose", "sslserver",
                               str(issued.certificate_path)],
                              capture_output=True, timeout=30, check=False)
    assert verified.returncode == 0, verified.stdout


def test_common_name_only_request_gets_it_as_a_san(ca: LocalCA, tmp_path: Path) -> None:
    csr, _ = openssl_req(tmp_path, "/O=Old Style/CN=legacy.test", key="rsa:2048")
    issued = ca.sign_csr(csr, out=tmp_path)
    leaf = load_certificate_file(issued.certificate_path)[0]
    assert leaf.dns_names == ("legacy.test",)
    assert leaf.subject == "CN=legacy.test"  # the CA decides the subject, not the requester


def test_client_request(ca: LocalCA, tmp_path: Path) -> None:
    csr, _ = openssl_req(tmp_path, "/CN=dave")
    issued = ca.sign_csr(csr, profile="client", out=tmp_path)
    chain = load_certificate_file(issued.certificate_path)
    assert verify_client_chain(chain, ca.trust, NOW).leaf.subject == "CN=dave"
    eku = chain[0].pyca.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_bad_signature_is_refused(ca: LocalCA, tmp_path: Path) -> None:
    csr, _ = openssl_req(tmp_path, "/CN=csr.test", "-outform", "DER")
    tampered = csr.replace(b"csr.test", b"csr.tesu")  # the signed part changed
    assert tampered != csr
    with pytest.raises(CAError, match="signature does not verify"):
        ca.sign_csr(tampered)


@pytest.mark.parametrize(("subject", "extra", "key", "error"), [
    ("/CN=ca.test", ("-addext", "basicConstraints=critical,CA:TRUE"), "ec", "asks to be a CA"),
    ("/CN=x", ("-addext", "subjectAltName=DNS:bad_name.test"), "ec", "neither a valid DNS name"),
    ("/CN=x", ("-addext", "subjectAltName=email:a@b.test"), "ec", "only DNS names"),
    ("/CN=not a host", (), "ec", "neither a valid DNS name"),
    ("/O=no name", (), "ec", "names no host"),
    ("/CN=weak.test", (), "rsa:1024", "too small"),
])
def test_requests_that_are_refused(ca: LocalCA, tmp_path: Path, subject: str,
                                   extra: tuple[str, ...], key: str, error: str) -> None:
    csr, _ = openssl_req(tmp_path, subject, *extra, key=key)
    with pytest.raises(CAError, match=error):
        ca.sign_csr(csr)


def test_garbage_is_not_a_csr(ca: LocalCA) -> None:
    with pytest.raises(CAError, match="not a PEM or DER certificate signing request"):
        ca.sign_csr(b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE "
                    b"REQUEST-----\n")
    with pytest.raises(CAError, match="not a PEM or DER"):
        ca.sign_csr(b"\x30\x03\x02\x01\x00")


def test_server_subject_is_the_first_name_not_what_the_request_says(ca: LocalCA,
                                                                    tmp_path: Path) -> None:
    csr, _ = openssl_req(tmp_path, "/CN=Definitely Your Bank",
                         "-addext", "subjectAltName=DNS:shop.test")
    leaf = load_certificate_file(ca.sign_csr(csr, out=tmp_path).certificate_path)[0]
    assert leaf.subject == "CN=shop.test" and leaf.dns_names == ("shop.test",)


def test_client_request_needs_a_common_name(ca: LocalCA, tmp_path: Path) -> None:
    csr, _ = openssl_req(tmp_path, "/O=Nobody In Particular")
    with pytest.raises(CAError, match="no common name"):
        ca.sign_csr(csr, profile="client")
