"""Trust stores: the certificates we accept as roots, with cryptography's Store built once.

A `TrustStore` is frozen and holds its certificates (deduplicated, in load order)
plus the `cryptography.x509.verification.Store` that path validation needs, so a
store can be built once and shared by every connection. The class methods are the
explicit loaders (convention 1): `from_pem`, `from_file`, `from_directory` and
`system()`, the only function in this room that reads the environment
(`SSL_CERT_FILE`, `SSL_CERT_DIR`, as OpenSSL does), and only when called.

Door: `TrustStore`, `SYSTEM_CA_FILES`, `SYSTEM_CA_DIRECTORIES`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import Store

from tlsglass.errors import ConfigError
from tlsglass.x509.certificate import (
    Certificate,
    _parse_certificate_bytes,
    _parse_pem,
    _read_file,
)

__all__ = ["SYSTEM_CA_DIRECTORIES", "SYSTEM_CA_FILES", "TrustStore"]

# Bundle files, in the order Go's crypto/x509 and others probe them; the first that exists wins.
SYSTEM_CA_FILES: Final[tuple[str, ...]] = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL 6
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # CentOS, RHEL 7+
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/pki/tls/cacert.pem",  # OpenELEC
    "/etc/ssl/cert.pem",  # Alpine, macOS, OpenBSD
    "/usr/local/etc/ssl/cert.pem",  # FreeBSD
    "/usr/local/share/certs/ca-root-nss.crt",  # FreeBSD (ca_root_nss)
    "/opt/homebrew/etc/ca-certificates/cert.pem",  # Homebrew on Apple silicon
    "/usr/local/etc/ca-certificates/cert.pem",  # Homebrew on Intel macOS
)

# Directories of single-certificate files, tried when no bundle file exists.
SYSTEM_CA_DIRECTORIES: Final[tuple[str, ...]] = (
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/system/etc/security/cacerts",  # Android
)

# OpenSSL's c_rehash names: 8 hex digits of the subject hash, a dot, a counter (".r0" is a CRL).
_HASHED_NAME: Final = re.compile(r"[0-9a-f]{8}\.[0-9]+")
_CERTIFICATE_SUFFIXES: Final = frozenset({".pem", ".crt"})


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TrustStore:
    """Trust anchors for chain verification; at least one, each once, in load order."""

    certificates: tuple[Certificate, ...]
    pyca_store: Store = field(init=False)
    _by_pyca: Mapping[x509.Certificate, Certificate] = field(init=False)
    # By the identity of the pyca objects this store holds (alive as long as it is):
    # cryptography's verifier hands back those very objects, and hashing one hashes
    # its whole DER.
    _by_identity: Mapping[int, Certificate] = field(init=False)

    def __post_init__(self) -> None:
        unique = tuple(dict.fromkeys(self.certificates))
        if not unique:
            raise ConfigError("a trust store needs at least one certificate")
        object.__setattr__(self, "certificates", unique)
        object.__setattr__(self, "pyca_store", Store([c.pyca for c in unique]))
        object.__setattr__(self, "_by_pyca", MappingProxyType({c.pyca: c for c in unique}))
        object.__setattr__(self, "_by_identity", MappingProxyType({id(c.pyca): c for c in unique}))

    @classmethod
    def from_certificates(cls, certificates: Iterable[Certificate]) -> TrustStore:
        return cls(tuple(certificates))

    @classmethod
    def from_pem(cls, data: bytes) -> TrustStore:
        """Every CERTIFICATE block in `data` becomes a trust anchor."""
        return cls(_parse_pem(data, "PEM data"))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TrustStore:
        """A PEM bundle (one or many certificates) or a single DER certificate."""
        data = _read_file(path, "trust store file")
        return cls(_parse_certificate_bytes(data, f"trust store file '{os.fspath(path)}'"))

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str]) -> TrustStore:
        """All *.pem and *.crt files plus OpenSSL hashed names (`5ad8a5d6.0`) in `path`.

        Files that hold only other PEM blocks (keys, CRLs) are skipped; a file with a
        broken certificate is a ConfigError that names it.
        """
        return cls(_load_directory(Path(path)))

    @classmethod
    def system(cls, *, environ: Mapping[str, str] | None = None) -> TrustStore:
        """The operating system's trust anchors.

        `SSL_CERT_FILE` and/or `SSL_CERT_DIR` (a `os.pathsep`-separated list), when
        set, are used instead of the built-in locations, like OpenSSL does. Otherwise
        the first file of `SYSTEM_CA_FILES` that exists is loaded, else the first
        directory of `SYSTEM_CA_DIRECTORIES` that holds certificates. Certificates in
        a system bundle that cryptography cannot use are left out rather than making
        the whole store unusable. `environ` defaults to `os.environ`.
        """
        env = os.environ if environ is None else environ
        # Operating-system bundles carry a few old roots that cryptography warns
        # about (serial number 0); the user did not choose them, so do not nag.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return _load_system(env, SYSTEM_CA_FILES, SYSTEM_CA_DIRECTORIES)

    def anchor_for(self, pyca: x509.Certificate) -> Certificate | None:
        """Our Certificate for a cryptography certificate in this store, if it is one."""
        cert = self._by_identity.get(id(pyca))
        return cert if cert is not None and cert.pyca is pyca else self._by_pyca.get(pyca)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, Certificate) and item.pyca in self._by_pyca

    def __len__(self) -> int:
        return len(self.certificates)

    def __iter__(self) -> Iterator[Certificate]:
        return iter(self.certificates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrustStore):
            return NotImplemented
        return self.certificates == other.certificates

    def __hash__(self) -> int:
        return hash(self.certificates)

    def __repr__(self) -> str:
        return f"TrustStore({len(self.certificates)} certificates)"


def _is_certificate_file_name(name: str) -> bool:
    return Path(name).suffix.lower() in _CERTIFICATE_SUFFIXES or bool(_HASHED_NAME.fullmatch(name))


def _load_directory(path: Path, *, skip_invalid: bool = False) -> tuple[Certificate, ...]:
    if not path.exists():
        raise ConfigError(f"trust store directory '{path}' does not exist")
    if not path.is_dir():
        raise ConfigError(f"trust store directory '{path}' is not a directory")
    try:
        names = sorted(entry.name for entry in os.scandir(path))
    except OSError as exc:
        raise ConfigError(f"cannot list trust store directory '{path}': {exc.strerror}") from exc
    found: list[Certificate] = []
    for name in names:
        file = path / name
        # is_file() follows symlinks, so dangling c_rehash links are skipped too.
        if _is_certificate_file_name(name) and file.is_file():
            found.extend(_load_directory_entry(file, skip_invalid=skip_invalid))
    if not found:
        raise ConfigError(f"no certificates found in trust store directory '{path}'")
    return tuple(found)


def _load_directory_entry(file: Path, *, skip_invalid: bool) -> tuple[Certificate, ...]:
    data = _read_file(file, "trust store file")
    source = f"trust store file '{file}'"
    if b"-----BEGIN " in data and b"-----BEGIN CERTIFICATE-----" not in data:
        return ()  # a key, CRL or request saved next to the certificates
    try:
        if skip_invalid and b"-----BEGIN " in data:
            return _parse_pem(data, source, skip_invalid=True)
        return _parse_certificate_bytes(data, source)
    except ConfigError:
        if skip_invalid:
            return ()
        raise


def _load_system(
    environ: Mapping[str, str], files: Sequence[str], directories: Sequence[str]
) -> TrustStore:
    cert_file = environ.get("SSL_CERT_FILE", "")
    cert_dirs = [d for d in environ.get("SSL_CERT_DIR", "").split(os.pathsep) if d]
    if cert_file or cert_dirs:
        return _load_from_environment(cert_file, cert_dirs)
    for name in files:
        if os.path.isfile(name):
            data = _read_file(name, "system trust store file")
            source = f"system trust store file '{name}'"
            return TrustStore(_parse_pem(data, source, skip_invalid=True))
    for name in directories:
        if os.path.isdir(name):
            try:
                return TrustStore(_load_directory(Path(name), skip_invalid=True))
            except ConfigError:
                continue
    looked = ", ".join([*files, *directories])
    raise ConfigError(
        "no system trust store found (looked for " + looked + "); set SSL_CERT_FILE or "
        "SSL_CERT_DIR, or build a TrustStore from your own CA file"
    )


def _load_from_environment(cert_file: str, cert_dirs: Sequence[str]) -> TrustStore:
    found: list[Certificate] = []
    if cert_file:
        try:
            data = _read_file(cert_file, "trust store file")
            found.extend(_parse_certificate_bytes(data, f"trust store file '{cert_file}'"))
        except ConfigError as exc:
            raise ConfigError(f"SSL_CERT_FILE is set, but: {exc}") from exc
    for directory in cert_dirs:
        try:
            found.extend(_load_directory(Path(directory)))
        except ConfigError as exc:
            raise ConfigError(f"SSL_CERT_DIR is set, but: {exc}") from exc
    return TrustStore(tuple(found))
