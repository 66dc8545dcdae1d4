"""TrustStore construction and the loaders behind it, including the system bundle."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tlsglass.errors import ConfigError
from tlsglass.x509 import SYSTEM_CA_DIRECTORIES, SYSTEM_CA_FILES, TrustStore
from tlsglass.x509.trust import _load_system
from x509_pki import Pki

# A root in some distributions' bundles has serial number 0, which cryptography warns about.
IGNORE_SERIAL_WARNING = pytest.mark.filterwarnings(
    "ignore::cryptography.utils.CryptographyDeprecationWarning"
)


def _copy(pki: Pki, directory: Path, name: str, as_name: str) -> Path:
    target = directory / as_name
    target.write_bytes(pki.path(name).read_bytes())
    return target


def test_from_certificates_deduplicates_in_order(pki: Pki) -> None:
    store = TrustStore.from_certificates([pki["root"], pki["rsa_root"], pki["root"]])
    assert store.certificates == (pki["root"], pki["rsa_root"])
    assert len(store) == 2
    assert list(store) == [pki["root"], pki["rsa_root"]]
    assert pki["root"] in store and pki["leaf"] not in store and "root" not in store
    assert repr(store) == "TrustStore(2 certificates)"


def test_store_equality_and_anchor_lookup(pki: Pki) -> None:
    one = TrustStore.from_certificates([pki["root"]])
    assert one == TrustStore((pki["root"],)) and hash(one) == hash(TrustStore((pki["root"],)))
    assert one != TrustStore.from_certificates([pki["rsa_root"]])
    assert one.anchor_for(pki["root"].pyca) is pki["root"]
    assert one.anchor_for(pki["leaf"].pyca) is None


def test_empty_store_is_config_error() -> None:
    with pytest.raises(ConfigError, match="at least one certificate"):
        TrustStore.from_certificates([])


def test_from_pem_and_from_file(pki: Pki, tmp_path: Path) -> None:
    bundle = pki.path("root").read_bytes() + pki.path("rsa_root").read_bytes()
    assert TrustStore.from_pem(bundle).certificates == (pki["root"], pki["rsa_root"])
    der_file = tmp_path / "root.der"
    der_file.write_bytes(pki["root"].der)
    assert TrustStore.from_file(der_file).certificates == (pki["root"],)
    assert TrustStore.from_file(pki.path("root")).certificates == (pki["root"],)


def test_from_file_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"trust store file '.*missing\.pem' does not exist"):
        TrustStore.from_file(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match=r"PEM block 1 in trust store file .*junk\.pem"):
        TrustStore.from_file(junk)
    with pytest.raises(ConfigError, match="no certificates found in PEM data"):
        TrustStore.from_pem(b"")


def test_from_directory_reads_pem_crt_and_hashed_names(pki: Pki, tmp_path: Path) -> None:
    _copy(pki, tmp_path, "root", "root.pem")
    (tmp_path / "rsa.crt").write_bytes(pki["rsa_root"].der)  # DER in a .crt file
    _copy(pki, tmp_path, "unknown_root", "1a2b3c4d.0")
    _copy(pki, tmp_path, "ed25519_root", "notes.txt")  # wrong name: ignored
    _copy(pki, tmp_path, "intermediate", "1a2b3c4d.r0")  # the CRL naming: ignored
    (tmp_path / "key.pem").write_bytes(
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    )
    (tmp_path / "deadbeef.0").symlink_to(tmp_path / "gone.pem")  # dangling c_rehash link
    (tmp_path / "sub.pem").mkdir()
    store = TrustStore.from_directory(tmp_path)
    assert set(store.certificates) == {pki["root"], pki["rsa_root"], pki["unknown_root"]}
    assert store.certificates[0] == pki["unknown_root"]  # sorted by file name


def test_from_directory_made_by_openssl_rehash(pki: Pki, tmp_path: Path) -> None:
    for name in ("root", "rsa_root"):
        _copy(pki, tmp_path, name, f"{name}.pem")
    subprocess.run(["openssl", "rehash", str(tmp_path)], check=True, capture_output=True)
    hashed = [p for p in tmp_path.iterdir() if p.name.endswith(".0")]
    assert len(hashed) == 2
    store = TrustStore.from_directory(tmp_path)
    assert len(store) == 2  # each certificate once, though reached by file and by link
    assert set(store.certificates) == {pki["root"], pki["rsa_root"]}


def test_from_directory_errors(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        TrustStore.from_directory(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="is not a directory"):
        TrustStore.from_directory(pki.path("root"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no certificates found in trust store directory"):
        TrustStore.from_directory(empty)
    (empty / "broken.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(ConfigError, match=r"broken\.pem' is not valid"):
        TrustStore.from_directory(empty)


@IGNORE_SERIAL_WARNING
def test_system_store_loads_many_roots() -> None:
    if not any(os.path.isfile(f) for f in SYSTEM_CA_FILES) and not any(
        os.path.isdir(d) for d in SYSTEM_CA_DIRECTORIES
    ):
        pytest.skip("this machine has no system trust store")
    store = TrustStore.system(environ={})
    assert len(store) > 50


@IGNORE_SERIAL_WARNING
def test_system_store_uses_the_first_existing_bundle(pki: Pki, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.crt")
    bundle = str(pki.path("root"))
    store = _load_system({}, [missing, bundle, "/etc/ssl/certs/ca-certificates.crt"], [])
    assert store.certificates == (pki["root"],)


def test_system_store_falls_back_to_a_directory(pki: Pki, tmp_path: Path) -> None:
    _copy(pki, tmp_path, "rsa_root", "rsa_root.pem")
    store = _load_system({}, [str(tmp_path / "missing.crt")], [str(tmp_path)])
    assert store.certificates == (pki["rsa_root"],)


def test_system_store_not_found_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no system trust store found .*set SSL_CERT_FILE"):
        _load_system({}, [str(tmp_path / "a.crt")], [str(tmp_path / "certs")])


def test_system_store_honours_ssl_cert_file(pki: Pki) -> None:
    store = TrustStore.system(environ={"SSL_CERT_FILE": str(pki.path("rsa_root"))})
    assert store.certificates == (pki["rsa_root"],)


def test_system_store_honours_ssl_cert_dir_list(pki: Pki, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    _copy(pki, first, "root", "root.pem")
    _copy(pki, second, "rsa_root", "rsa_root.pem")
    environ = {
        "SSL_CERT_FILE": str(pki.path("unknown_root")),
        "SSL_CERT_DIR": f"{first}{os.pathsep}{second}",
    }
    store = TrustStore.system(environ=environ)
    assert store.certificates == (pki["unknown_root"], pki["root"], pki["rsa_root"])


def test_system_store_reads_os_environ(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.path("root")))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert TrustStore.system().certificates == (pki["root"],)


def test_system_store_bad_environment_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SSL_CERT_FILE is set, but: .* does not exist"):
        TrustStore.system(environ={"SSL_CERT_FILE": str(tmp_path / "nope.pem")})
    with pytest.raises(ConfigError, match=r"SSL_CERT_DIR is set, but: .* does not exist"):
        TrustStore.system(environ={"SSL_CERT_DIR": str(tmp_path / "nope")})


def test_system_bundle_skips_certificates_cryptography_refuses(pki: Pki, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    garbage = b"-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n"
    bundle.write_bytes(garbage + pki.path("root").read_bytes())
    assert _load_system({}, [str(bundle)], []).certificates == (pki["root"],)
    with pytest.raises(ConfigError):
        TrustStore.from_file(bundle)  # a file the user names is held to the strict rule
