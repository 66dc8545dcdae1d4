"""The local CA: a root (and optionally an intermediate) in a folder, issuing and revoking.

    ca = LocalCA.init("~/my-ca")                       # ECDSA P-256 root, 10 years
    issued = ca.issue_server(["localhost", "127.0.0.1"])
    ServerConfig.from_files(issued.certificate_path, issued.key_path)
    ClientConfig.for_server("localhost", ca_file=ca.root_path)

The layout is in `tlsglass.ca.files`. Every method either completes, with the
index saved, or raises CAError with a sentence saying what went wrong.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tlsglass.ca import build
from tlsglass.ca.build import CAKey, Profile, PublicKey, Revoked, SubjectNames, Validity
from tlsglass.ca.csr import read_csr
from tlsglass.ca.errors import CAError
from tlsglass.ca.files import (
    INDEX,
    Index,
    Record,
    read_certificate,
    read_key,
    utc_iso,
    write_key,
    write_public,
)
from tlsglass.x509 import Certificate, TrustStore

__all__ = ["REASONS", "IssuedFiles", "LocalCA", "read_records", "read_root"]

Clock = Callable[[], datetime.datetime]
# RFC 5280 §5.3.1: "unspecified" is better left out (no reason given); removeFromCRL
# is for delta CRLs only.
REASONS: Final = {flag.value: flag for flag in x509.ReasonFlags
                  if flag not in (x509.ReasonFlags.remove_from_crl,
                                  x509.ReasonFlags.unspecified)}


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True, slots=True)
class IssuedFiles:
    """What an issue or sign wrote: the chain file, the key file (None for a CSR), the record."""

    certificate_path: Path
    key_path: Path | None
    record: Record
    chain: tuple[Certificate, ...]


@dataclass(frozen=True)
class LocalCA:
    """An opened CA folder. `init` creates one, `open` loads one (keys decrypted in memory)."""

    directory: Path
    root: x509.Certificate
    intermediate: x509.Certificate | None
    _root_key: CAKey = field(repr=False)
    _intermediate_key: CAKey | None = field(repr=False)
    clock: Clock = field(default=_utc_now, repr=False)

    # -- creating and opening -------------------------------------------------------------

    @classmethod
    def init(cls, directory: str | Path, *, key_type: str = "ec256",
             common_name: str = "tlsglass local CA", intermediate: bool = False,
             password: bytes | None = None, force: bool = False, days: int = 3650,
             clock: Clock = _utc_now) -> LocalCA:
        """Create a root (and an intermediate) in `directory`; replace one only if `force`."""
        path = Path(directory).expanduser()
        if (path / INDEX).exists() and not force:
            raise CAError(f"a CA already exists in {path}; replace it with --force "
                          "(force=True), and every certificate it issued stops being trusted")
        _make_private_dir(path)
        validity = Validity.starting(clock(), days)
        root_key = build.generate_key(key_type)
        # Path length (RFC 5280 §4.2.1.9): at most one CA below the root, none below that.
        root = build.build_ca_certificate(common_name, root_key, validity,
                                          path_length=1 if intermediate else 0)
        ca = cls(path, root, None, root_key, None, clock)
        ca._write_ca_files("root", root, root_key, password)
        index = Index(intermediate, 1, ())
        if intermediate:
            ca, record = ca._with_intermediate(common_name, key_type, validity, password)
            index = index.add(record)
        index.save(path)
        ca.write_crl()
        return ca

    def _with_intermediate(self, common_name: str, key_type: str, validity: Validity,
                           password: bytes | None) -> tuple[LocalCA, Record]:
        key = build.generate_key(key_type)
        cert = build.build_ca_certificate(f"{common_name} intermediate"[:64], key, validity,
                                          path_length=0, issuer=(self.root, self._root_key))
        self._write_ca_files("intermediate", cert, key, password)
        record = Record.of(cert, "intermediate", (), "intermediate.pem")
        return replace(self, intermediate=cert, _intermediate_key=key), record

    def _write_ca_files(self, stem: str, cert: x509.Certificate, key: CAKey,
                        password: bytes | None) -> None:
        write_key(self.directory / f"{stem}.key", key, password)
        write_public(self.directory / f"{stem}.pem", _pem(cert))

    @classmethod
    def open(cls, directory: str | Path, password: bytes | None = None,
             clock: Clock = _utc_now) -> LocalCA:
        path = Path(directory).expanduser()
        index = Index.load(path)
        root = read_certificate(path / "root.pem")
        root_key = read_key(path / "root.key", password)
        inter, inter_key = None, None
        if index.intermediate:
            inter = read_certificate(path / "intermediate.pem")
            inter_key = read_key(path / "intermediate.key", password)
        return cls(path, root, inter, root_key, inter_key, clock)

    # -- what clients trust -------------------------------------------------------------

    @property
    def root_path(self) -> Path:
        return self.directory / "root.pem"

    @property
    def crl_path(self) -> Path:
        return self.directory / "crl.pem"

    def root_bytes(self, encoding: str = "pem") -> bytes:
        """The root certificate as "pem" or "der"."""
        return read_root(self.directory, encoding)

    @property
    def trust(self) -> TrustStore:
        """A trust store holding just this CA's root."""
        der = self.root.public_bytes(serialization.Encoding.DER)
        return TrustStore.from_certificates([Certificate.from_der(der)])

    @property
    def _issuer(self) -> tuple[x509.Certificate, CAKey]:
        if self.intermediate is not None and self._intermediate_key is not None:
            return self.intermediate, self._intermediate_key
        return self.root, self._root_key

    # -- issuing ------------------------------------------------------------------------

    def issue_server(self, names: Sequence[str], *, days: int = 90, key_type: str = "ec256",
                     out: Path | None = None) -> IssuedFiles:
        """A key and a serverAuth certificate for DNS names and IP addresses."""
        subject = build.parse_names(names)
        return self._issue_new_key("server", subject, subject.first, days, key_type, out)

    def issue_client(self, name: str, *, days: int = 90, key_type: str = "ec256",
                     out: Path | None = None) -> IssuedFiles:
        """A key and a clientAuth certificate whose subject is CN=name."""
        return self._issue_new_key("client", None, name, days, key_type, out)

    def _issue_new_key(self, profile: Profile, names: SubjectNames | None, common_name: str,
                       days: int, key_type: str, out: Path | None) -> IssuedFiles:
        key = build.generate_key(key_type)
        stem = _stem(common_name)
        key_path = (out or self.directory / "issued") / f"{stem}.key"
        issued = self._issue(profile, key.public_key(), names, common_name, days, out, stem)
        write_key(key_path, key, None)  # a server reads it unattended: no password
        return replace(issued, key_path=key_path)

    def sign_csr(self, data: bytes, *, profile: Profile = "server", days: int = 90,
                 out: Path | None = None) -> IssuedFiles:
        """Certify the key in a PKCS#10 request for the names it asks for, once checked."""
        request = read_csr(data, need_names=profile == "server")
        names = request.names if profile == "server" else None
        return self._issue(profile, request.public_key, names, request.common_name, days, out,
                           _stem(request.common_name))

    def _issue(self, profile: Profile, public_key: PublicKey, names: SubjectNames | None,
               common_name: str, days: int, out: Path | None, stem: str) -> IssuedFiles:
        cert = build.build_leaf(profile, public_key, names, common_name,
                                Validity.starting(self.clock(), days), self._issuer)
        chain = [cert] if self.intermediate is None else [cert, self.intermediate]
        folder = out or self.directory / "issued"
        folder.mkdir(parents=True, exist_ok=True)
        cert_path = folder / f"{stem}.pem"
        write_public(cert_path, b"".join(_pem(c) for c in chain))
        record = Record.of(cert, profile, names.all if names else (), self._relative(cert_path))
        index = Index.load(self.directory)
        index.add(record).save(self.directory)
        ours = tuple(Certificate.from_der(c.public_bytes(serialization.Encoding.DER))
                     for c in chain)
        return IssuedFiles(cert_path, None, record, ours)

    def _relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.directory.resolve()))
        except ValueError:
            return str(path.resolve())

    # -- revocation ---------------------------------------------------------------------

    def records(self) -> tuple[Record, ...]:
        return read_records(self.directory)

    def revoke(self, which: str, reason: str | None = None) -> Record:
        """Revoke by serial (hex, colons allowed) or common name, then rewrite the CRL."""
        if reason is not None and reason not in REASONS:
            raise CAError(f"unknown revocation reason {reason!r}; choose from "
                          + ", ".join(REASONS))
        index = Index.load(self.directory)
        target = _find(index.records, which)
        if target.profile == "intermediate":
            raise CAError("revoking the intermediate means replacing the CA: run init --force")
        done = replace(target, revoked_at=utc_iso(self.clock()), reason=reason)
        records = tuple(done if r is target else r for r in index.records)
        replace(index, records=records).save(self.directory)
        self.write_crl()
        return done

    def write_crl(self, days: int = 30) -> Path:
        """Write crl.pem: the signing CA's CRL, then (with an intermediate) the root's."""
        index = Index.load(self.directory)
        now = self.clock()
        revoked = [Revoked(r.serial_number, datetime.datetime.fromisoformat(r.revoked_at),
                           REASONS[r.reason] if r.reason else None)
                   for r in index.records if r.revoked_at is not None]
        leaves = [r for r in revoked if not self._is_intermediate(r.serial)]
        crls = [build.build_crl(self._issuer, leaves, index.crl_number, now, days)]
        if self.intermediate is not None:
            crls.append(build.build_crl((self.root, self._root_key), [], index.crl_number,
                                        now, days))
        replace(index, crl_number=index.crl_number + 1).save(self.directory)
        write_public(self.crl_path,
                     b"".join(c.public_bytes(serialization.Encoding.PEM) for c in crls))
        return self.crl_path

    def _is_intermediate(self, serial: int) -> bool:
        return self.intermediate is not None and self.intermediate.serial_number == serial


def read_records(directory: str | Path) -> tuple[Record, ...]:
    """The index of a CA folder; reads only public files, so no password is needed."""
    return Index.load(Path(directory).expanduser()).records


def read_root(directory: str | Path, encoding: str = "pem") -> bytes:
    """A CA folder's root certificate as "pem" or "der"; no password needed."""
    path = Path(directory).expanduser()
    Index.load(path)  # a clear error when the folder holds no CA
    root = read_certificate(path / "root.pem")
    if encoding not in ("pem", "der"):
        raise CAError(f"export as pem or der, not {encoding!r}")
    return root.public_bytes(serialization.Encoding.PEM if encoding == "pem"
                             else serialization.Encoding.DER)


def _find(records: Sequence[Record], which: str) -> Record:
    serial = which.replace(":", "").lower().lstrip("0")
    by_serial = [r for r in records if r.serial.lstrip("0") == serial]
    matches = by_serial or [r for r in records if r.common_name == which and not r.revoked]
    if not matches:
        raise CAError(f"no certificate with serial or name {which!r}; see `tlsglass ca list`")
    if len(matches) > 1:
        serials = ", ".join(r.serial for r in matches)
        raise CAError(f"{len(matches)} certificates are named {which!r}; revoke one by "
                      f"serial: {serials}")
    if matches[0].revoked:
        raise CAError(f"certificate {matches[0].serial} is already revoked")
    return matches[0]


def _stem(name: str) -> str:
    """A file name for a certificate: the name, with anything unsafe replaced."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name.replace("*", "wildcard")).lstrip(".") or "cert"


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _make_private_dir(path: Path) -> None:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
    except OSError as exc:
        raise CAError(f"cannot create the CA folder {path}: {exc.strerror or exc}") from None
