"""The CA folder on disk: file modes, key files, and the index of what was issued.

    DIR/ca.json            the index: every certificate issued, revocations, CRL number
    DIR/root.pem           the root certificate (what clients trust)
    DIR/root.key           its private key, mode 0600, encrypted when a password is set
    DIR/intermediate.pem   optional: the CA that signs leaves, under the root
    DIR/intermediate.key   its key, mode 0600
    DIR/crl.pem            the latest CRL(s): the signing CA's, then the root's
    DIR/issued/NAME.pem    a leaf's chain (leaf, then the intermediate if any)
    DIR/issued/NAME.key    its private key, mode 0600

The folder itself is 0700. Private keys are created 0600 before any byte is
written, so there is no moment when another user could read them.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tlsglass.ca.build import CAKey
from tlsglass.ca.errors import CAError
from tlsglass.crypto.sign import load_private_key_pem
from tlsglass.errors import ConfigError

__all__ = ["INDEX", "Index", "Record", "read_certificate", "read_key", "write_key",
           "write_public"]

INDEX: Final = "ca.json"
_FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class Record:
    """One issued certificate, as the index keeps it."""

    serial: str                 # lower-case hex, no separators
    profile: str                # "server", "client" or "intermediate"
    common_name: str
    names: tuple[str, ...]
    not_after: str              # ISO 8601, UTC
    path: str                   # the chain file, relative to the CA folder when inside it
    revoked_at: str | None = None
    reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def serial_number(self) -> int:
        return int(self.serial, 16)

    @classmethod
    def of(cls, cert: x509.Certificate, profile: str, names: tuple[str, ...],
           path: str) -> Record:
        cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return cls(f"{cert.serial_number:x}", profile, str(cn[0].value) if cn else "", names,
                   cert.not_valid_after_utc.isoformat(), path)


@dataclass(frozen=True, slots=True)
class Index:
    """ca.json: whether an intermediate signs, the CRL number, and the records."""

    intermediate: bool
    crl_number: int
    records: tuple[Record, ...]

    def save(self, directory: Path) -> None:
        body = {"format": _FORMAT, "intermediate": self.intermediate,
                "crl_number": self.crl_number, "records": [asdict(r) for r in self.records]}
        tmp = directory / (INDEX + ".tmp")
        write_public(tmp, (json.dumps(body, indent=1) + "\n").encode())
        tmp.replace(directory / INDEX)  # atomic: a crash leaves the old index whole

    @classmethod
    def load(cls, directory: Path) -> Index:
        path = directory / INDEX
        try:
            body = json.loads(path.read_text())
            records = tuple(Record(**{**r, "names": tuple(r["names"])}) for r in body["records"])
            return cls(bool(body["intermediate"]), int(body["crl_number"]), records)
        except FileNotFoundError:
            raise CAError(f"{directory} holds no CA (no {INDEX}): create one with "
                          "`tlsglass ca init`") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CAError(f"cannot read the CA index {path}: {exc}") from None

    def add(self, record: Record) -> Index:
        return replace(self, records=(*self.records, record))


def write_public(path: Path, data: bytes) -> None:
    _write(path, data, 0o644)


def write_key(path: Path, key: CAKey, password: bytes | None) -> None:
    """PKCS#8 PEM, mode 0600; encrypted with the best scheme pyca offers when a password is set."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption())
    _write(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   encryption), 0o600)


def _write(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)  # the file may have existed with a wider mode
            f.write(data)
    except OSError as exc:
        raise CAError(f"cannot write {path}: {exc.strerror or exc}") from None


def read_key(path: Path, password: bytes | None) -> CAKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CAError(f"cannot read the CA key {path}: {exc.strerror or exc}") from None
    try:
        return load_private_key_pem(data, password)
    except ConfigError as exc:
        hint = " (give the CA password)" if "password is needed" in str(exc) else ""
        raise CAError(f"the CA key {path}: {exc}{hint}") from None


def read_certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except OSError as exc:
        raise CAError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise CAError(f"{path} does not hold a PEM certificate") from None


def utc_iso(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).isoformat()
