"""Shared pieces for the scanner's tests: certificates on disk and scan helpers."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from helpers import Pki
from peers import free_port, need, run, wait_for_port
from tlsglass import TrustStore
from tlsglass.scan import Report, Target, scan


@dataclass(frozen=True)
class Files:
    ca: Path
    ec_cert: Path
    ec_key: Path
    rsa_cert: Path
    rsa_key: Path
    trust: TrustStore
    ocsp_response: Path  # a "good" OCSP response for the EC leaf, signed by the root


def make_files(directory: Path) -> Files:
    pki = Pki()
    (directory / "ca.pem").write_bytes(pki.pem)
    ec = pki.issue(days=80)
    ec_cert, ec_key = pki.write(directory, ec, "ec")
    rsa_cert, rsa_key = pki.write(directory, pki.issue(kind="rsa2048", days=80), "rsa")
    ocsp_path = directory / "ocsp.der"
    ocsp_path.write_bytes(_ocsp_good(pki, ec.cert))
    return Files(directory / "ca.pem", ec_cert, ec_key, rsa_cert, rsa_key, pki.trust,
                 ocsp_path)


def _ocsp_good(pki: Pki, leaf: x509.Certificate) -> bytes:
    """An RFC 6960 response saying `leaf` is good, for `openssl s_server -status_file`."""
    now = datetime.datetime.now(datetime.UTC)
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf, issuer=pki.cert, algorithm=hashes.SHA256(),
        cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now,
        next_update=now + datetime.timedelta(days=1), revocation_time=None,
        revocation_reason=None).responder_id(ocsp.OCSPResponderEncoding.HASH, pki.cert)
    response = builder.sign(pki.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def scan_port(port: int, trust: TrustStore, server_name: str | None = "localhost",
              timeout: float = 5.0) -> Report:
    target = Target(host="127.0.0.1", port=port, server_name=server_name, timeout=timeout)
    return asyncio.run(scan(target, trust))


def suites_of(report: Report, version: int) -> list[int]:
    return next([s.code for s in f.suites] for f in report.suites if f.version == version)


def check(report: Report, key: str) -> tuple[bool | None, bool | None]:
    """(supported, ok) of one check."""
    found = next(c for c in report.checks if c.key == key)
    return found.supported, found.ok


def weakness_names(report: Report) -> set[str]:
    return {w.name for w in report.verdict.weaknesses}


@contextmanager
def s_server(tmp: Path, cert: Path, key: Path, *options: str) -> Iterator[int]:
    need("openssl")
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
            "-key", str(key), "-quiet", *options]
    with run(args, tmp, "s_server") as server:
        wait_for_port(port, server.proc)
        yield port
