"""Making a root trusted: a PEM bundle, an NSS database, and how to do it elsewhere.

Chromium and Firefox on Linux read NSS databases (`~/.pki/nssdb` for Chromium,
each Firefox profile folder for Firefox), which `certutil` from libnss3-tools
edits. Operating-system stores need administrator rights, so for those we print
the commands instead of running them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Final

from cryptography import x509

from tlsglass.ca.errors import CAError

__all__ = ["DEFAULT_NSS_DB", "add_to_bundle", "add_to_nss", "instructions"]

DEFAULT_NSS_DB: Final = Path("~/.pki/nssdb")
_TIMEOUT: Final = 30


def add_to_bundle(bundle: Path, root_pem: bytes) -> bool:
    """Append the root to a PEM bundle (created if missing); False if it was already there."""
    root = x509.load_pem_x509_certificate(root_pem)
    try:
        existing = bundle.read_bytes() if bundle.exists() else b""
    except OSError as exc:
        raise CAError(f"cannot read {bundle}: {exc.strerror or exc}") from None
    try:
        if root in x509.load_pem_x509_certificates(existing):
            return False
    except ValueError:
        if existing.strip():
            raise CAError(f"{bundle} is not a PEM certificate bundle") from None
    separator = b"" if not existing or existing.endswith(b"\n") else b"\n"
    try:
        with bundle.open("ab") as f:
            f.write(separator + root_pem)
    except OSError as exc:
        raise CAError(f"cannot write {bundle}: {exc.strerror or exc}") from None
    return True


def add_to_nss(database: Path, root_path: Path, nickname: str) -> None:
    """Trust the root for TLS servers ("C,,") in an NSS sql: database, creating it if needed."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise CAError("certutil is not installed: on Debian or Ubuntu, "
                      "`sudo apt install libnss3-tools`")
    database = database.expanduser()
    where = f"sql:{database}"
    if not (database / "cert9.db").exists():
        database.mkdir(mode=0o700, parents=True, exist_ok=True)
        _certutil([certutil, "-N", "-d", where, "--empty-password"])
    # -t "C,,": a trusted CA for issuing server certificates (SSL); not for mail or code.
    _certutil([certutil, "-A", "-d", where, "-n", nickname, "-t", "C,,", "-i", str(root_path)])


def _certutil(args: list[str]) -> None:
    try:
        result = subprocess.run(args, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CAError(f"certutil failed to run: {exc}") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout).decode(errors="replace").strip()
        raise CAError(f"certutil failed: {message}")


def instructions(root_path: Path, nickname: str) -> str:
    """How to trust the root in the places we do not touch ourselves."""
    root = root_path.resolve()
    return f"""\
To trust this CA elsewhere:
  Debian/Ubuntu (system-wide, curl, OpenSSL):
    sudo cp {root} /usr/local/share/ca-certificates/{nickname.replace(' ', '-')}.crt
    sudo update-ca-certificates
  Fedora/RHEL:
    sudo cp {root} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust
  macOS:
    sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {root}
  Windows (administrator PowerShell; export the root as DER for the .cer):
    Import-Certificate -FilePath root.cer -CertStoreLocation Cert:\\LocalMachine\\Root
  Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities
    > Import, or `tlsglass ca trust --nss-db PROFILE_FOLDER`
  Python (requests, httpx, pip) and curl, for one shell:
    export SSL_CERT_FILE={root} REQUESTS_CA_BUNDLE={root} CURL_CA_BUNDLE={root}
  Node.js:
    export NODE_EXTRA_CA_CERTS={root}
  tlsglass:
    ClientConfig.for_server("localhost", ca_file="{root}")
"""
