"""`tlsglass ca`: a local certificate authority in a folder (see `tlsglass.ca.LocalCA`).

    tlsglass ca init [--intermediate] [--key-type ec256|ec384|rsa2048|...|ed25519]
    tlsglass ca issue server localhost 127.0.0.1    # issued/localhost.pem + .key
    tlsglass ca issue client alice                   # clientAuth, for mutual TLS
    tlsglass ca sign request.csr [--client]          # a CSR from `openssl req`
    tlsglass ca revoke SERIAL|NAME [--reason R]      # and rewrites crl.pem
    tlsglass ca list | export [--der] | trust [--nss-db DIR] [--pem-bundle FILE]
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Final

from tlsglass.ca import (
    DEFAULT_NSS_DB,
    KEY_TYPES,
    REASONS,
    CAError,
    IssuedFiles,
    LocalCA,
    add_to_bundle,
    add_to_nss,
    instructions,
    read_records,
    read_root,
)

__all__ = ["add_parser", "run"]

_DEFAULT_DIR: Final = "~/.local/share/tlsglass/ca"


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", default=os.environ.get("TLSGLASS_CA_DIR", _DEFAULT_DIR),
                        help="the CA folder (default: $TLSGLASS_CA_DIR or %(default)s)")
    common.add_argument("--password-file",
                        help="file whose first line is the CA key password")
    common.add_argument("--ask-password", action="store_true",
                        help="prompt for the CA key password")
    return common


def _leaf_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, default=90, help="validity in days (default 90)")
    p.add_argument("--out", type=Path, help="write the files here (default: DIR/issued)")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ca", help="a local certificate authority: init, issue, sign, trust")
    verbs = p.add_subparsers(dest="ca_command", required=True)
    common = _common()
    init = verbs.add_parser("init", parents=[common], help="create the root CA")
    init.add_argument("--key-type", choices=KEY_TYPES, default="ec256")
    init.add_argument("--name", default="tlsglass local CA", help="the root's common name")
    init.add_argument("--intermediate", action="store_true",
                      help="sign certificates with an intermediate under the root")
    init.add_argument("--days", type=int, default=3650, help="validity (default 10 years)")
    init.add_argument("--force", action="store_true", help="replace an existing CA")
    issue = verbs.add_parser("issue", help="a new key and certificate")
    kinds = issue.add_subparsers(dest="profile", required=True)
    server = kinds.add_parser("server", parents=[common], help="serverAuth, for DNS names/IPs")
    server.add_argument("names", nargs="+", metavar="NAME")
    client = kinds.add_parser("client", parents=[common], help="clientAuth, for mutual TLS")
    client.add_argument("names", nargs=1, metavar="NAME")
    for leaf in (server, client):
        leaf.add_argument("--key-type", choices=KEY_TYPES, default="ec256")
        _leaf_options(leaf)
    sign = verbs.add_parser("sign", parents=[common], help="sign a PKCS#10 CSR")
    sign.add_argument("csr", type=Path)
    sign.add_argument("--client", action="store_true", help="a client certificate")
    _leaf_options(sign)
    _more_verbs(verbs, common)


def _more_verbs(verbs: argparse._SubParsersAction[argparse.ArgumentParser],
                common: argparse.ArgumentParser) -> None:
    revoke = verbs.add_parser("revoke", parents=[common], help="revoke, and rewrite the CRL")
    revoke.add_argument("which", metavar="SERIAL|NAME")
    revoke.add_argument("--reason", choices=sorted(REASONS))
    crl = verbs.add_parser("crl", parents=[common], help="write a fresh crl.pem")
    crl.add_argument("--days", type=int, default=30, help="until the next update (default 30)")
    verbs.add_parser("list", parents=[common], help="what this CA issued")
    export = verbs.add_parser("export", parents=[common], help="the root certificate")
    export.add_argument("--der", action="store_true", help="DER instead of PEM")
    export.add_argument("--out", type=Path, help="write here instead of standard output")
    trust = verbs.add_parser("trust", parents=[common], help="trust the root")
    trust.add_argument("--pem-bundle", type=Path, help="append the root to this PEM bundle")
    trust.add_argument("--nss-db", type=Path, nargs="?", const=DEFAULT_NSS_DB,
                       help=f"add it to an NSS database (default {DEFAULT_NSS_DB}: Chromium)")
    trust.add_argument("--nickname", default="tlsglass local CA")


def _password(args: argparse.Namespace, *, confirm: bool = False) -> bytes | None:
    if args.password_file:
        try:
            lines = Path(args.password_file).read_bytes().splitlines()
        except OSError as exc:
            raise CAError(f"cannot read the password file: {exc.strerror or exc}") from None
        if not lines or not lines[0]:
            raise CAError(f"the password file {args.password_file} is empty")
        return lines[0]
    if not args.ask_password:
        return None
    first = getpass.getpass("CA key password: ").encode()
    if confirm and getpass.getpass("again: ").encode() != first:
        raise CAError("the passwords differ")
    return first or None


def _open(args: argparse.Namespace) -> LocalCA:
    return LocalCA.open(args.dir, _password(args))


def _init(args: argparse.Namespace) -> int:
    ca = LocalCA.init(args.dir, key_type=args.key_type, common_name=args.name,
                      intermediate=args.intermediate, password=_password(args, confirm=True),
                      force=args.force, days=args.days)
    print(f"root certificate: {ca.root_path}  (give this to clients)")
    if args.key_type == "ed25519":
        print("note: browsers and the Web PKI profile (tlsglass's own verifier too) accept "
              "only RSA and ECDSA CA keys; OpenSSL and GnuTLS accept Ed25519", file=sys.stderr)
    if ca.intermediate is not None:
        print(f"intermediate:     {ca.directory / 'intermediate.pem'}  (signs certificates)")
    print(f"private keys:     {ca.directory}/*.key  (mode 0600)\n"
          f"next: tlsglass ca issue server localhost 127.0.0.1 --dir {ca.directory}\n"
          f"      tlsglass ca trust --dir {ca.directory}")
    return 0


def _show(issued: IssuedFiles) -> int:
    record = issued.record
    print(f"certificate chain: {issued.certificate_path}")
    if issued.key_path is not None:
        print(f"private key:       {issued.key_path}  (mode 0600)")
    print(f"subject:           CN={record.common_name}\n"
          f"names:             {', '.join(record.names) or '-'}\n"
          f"usage:             {record.profile}Auth\n"
          f"serial:            {record.serial}\n"
          f"valid until:       {record.not_after}")
    return 0


def _issue(args: argparse.Namespace) -> int:
    ca = _open(args)
    if args.profile == "server":
        return _show(ca.issue_server(args.names, days=args.days, key_type=args.key_type,
                                     out=args.out))
    return _show(ca.issue_client(args.names[0], days=args.days, key_type=args.key_type,
                                 out=args.out))


def _sign(args: argparse.Namespace) -> int:
    try:
        data = args.csr.read_bytes()
    except OSError as exc:
        raise CAError(f"cannot read the CSR {args.csr}: {exc.strerror or exc}") from None
    ca = _open(args)
    return _show(ca.sign_csr(data, profile="client" if args.client else "server",
                             days=args.days, out=args.out))


def _revoke(args: argparse.Namespace) -> int:
    ca = _open(args)
    record = ca.revoke(args.which, args.reason)
    print(f"revoked {record.serial} (CN={record.common_name}); CRL written to {ca.crl_path}")
    return 0


def _crl(args: argparse.Namespace) -> int:
    print(f"CRL written to {_open(args).write_crl(args.days)}")
    return 0


def _list(args: argparse.Namespace) -> int:
    records = read_records(args.dir)
    print(f"{'serial':<40}  {'kind':<12}  {'valid until':<10}  {'status':<7}  name")
    for r in records:
        status = "revoked" if r.revoked else "valid"
        names = ", ".join(r.names) if r.names else f"CN={r.common_name}"
        print(f"{r.serial:<40}  {r.profile:<12}  {r.not_after[:10]:<10}  {status:<7}  {names}")
    return 0


def _export(args: argparse.Namespace) -> int:
    data = read_root(args.dir, "der" if args.der else "pem")
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        args.out.write_bytes(data)
        print(f"root certificate written to {args.out} ({'DER' if args.der else 'PEM'})")
    return 0


def _trust(args: argparse.Namespace) -> int:
    pem = read_root(args.dir)
    root = Path(args.dir).expanduser() / "root.pem"
    if args.pem_bundle:
        added = add_to_bundle(args.pem_bundle, pem)
        print(f"{'added to' if added else 'already in'} the PEM bundle {args.pem_bundle}")
    if args.nss_db:
        add_to_nss(args.nss_db, root, args.nickname)
        print(f"trusted for TLS servers in the NSS database {args.nss_db.expanduser()} "
              f"as {args.nickname!r} (Chromium/Firefox: restart the browser)")
    print(instructions(root, args.nickname))
    return 0


_VERBS: Final = {"init": _init, "issue": _issue, "sign": _sign, "revoke": _revoke,
                 "crl": _crl, "list": _list, "export": _export, "trust": _trust}


def run(args: argparse.Namespace) -> int:
    return _VERBS[args.ca_command](args)
