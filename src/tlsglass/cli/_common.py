"""What the commands share: option groups, session descriptions, errors for a person."""

from __future__ import annotations

import argparse
import socket

import tlsglass
from tlsglass import CipherSuite, ExternalPsk, NamedGroup, ProtocolVersion
from tlsglass.enums import AlertDescription, SignatureScheme, describe
from tlsglass.io import KeyLogFile, TLSSocket, TruncatedError, key_log_from_environment

__all__ = ["VERSIONS", "add_common_options", "apply_common_options", "describe_session",
           "enum_list", "explain", "split_hostport"]

VERSIONS = {"1.2": ProtocolVersion.TLS1_2, "1.3": ProtocolVersion.TLS1_3}


def enum_list(kind: type[CipherSuite] | type[NamedGroup], text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    out = []
    for name in text.split(","):
        try:
            out.append(kind[name.strip().upper().replace("-", "_")])
        except KeyError:
            choices = ", ".join(m.name for m in kind)
            raise SystemExit(f"tlsglass: unknown {kind.__name__} {name!r}; "
                             f"choose from {choices}") from None
    return tuple(out)


def apply_common_options(config: dict[str, object], args: argparse.Namespace) -> None:
    if args.alpn:
        config["alpn_protocols"] = tuple(args.alpn)
    if args.suites:
        suites = enum_list(CipherSuite, args.suites)
        # TLS 1.2 suite names have _WITH_ (RFC 5246 App. A.5); 1.3's do not (RFC 8446 B.4).
        tls12 = tuple(s for s in suites if "_WITH_" in CipherSuite(s).name)
        tls13 = tuple(s for s in suites if s not in tls12)
        if tls13:
            config["cipher_suites"] = tls13
        if tls12:
            config["tls12_cipher_suites"] = tls12
    if args.groups:
        config["groups"] = enum_list(NamedGroup, args.groups)
    if args.min_version:
        config["minimum_version"] = VERSIONS[args.min_version]
    if args.max_version:
        config["maximum_version"] = VERSIONS[args.max_version]
    if args.keylog:
        config["key_log"] = KeyLogFile(args.keylog)
    elif (from_env := key_log_from_environment()) is not None:
        config["key_log"] = from_env  # SSLKEYLOGFILE set for this command: the user asked


def describe_session(tls: TLSSocket, verified: bool) -> list[str]:
    conn = tls.conn
    scheme = conn.signature_scheme
    lines = [
        f"version:          {tls.version()}",
        f"cipher suite:     {tls.cipher()}",
        f"key exchange:     {tls.group()}",
        f"signature scheme: {describe(SignatureScheme, scheme) if scheme else '-'}",
        f"ALPN protocol:    {tls.selected_alpn_protocol() or '-'}",
        f"server name:      {conn.server_name or '-'}",
    ]
    for i, cert in enumerate(conn.peer_certificates):
        names = ", ".join((*cert.dns_names, *cert.ip_addresses)) or "-"
        lines += [f"certificate {i}:    {cert.subject}",
                  f"  issuer:         {cert.issuer}",
                  f"  valid:          {cert.not_before:%Y-%m-%d %H:%M} to "
                  f"{cert.not_after:%Y-%m-%d %H:%M} UTC",
                  f"  names:          {names}",
                  f"  key:            {cert.key_description}, signed with "
                  f"{cert.signature_algorithm}"]
    if conn.resumed and not conn.peer_certificates:
        lines.append("verification:     by the pre-shared key: no certificate was needed")
        return lines
    lines.append("verification:     " + ("OK: the chain leads to a trusted root and names "
                                         "this server" if verified else
                                         "SKIPPED (--insecure): anyone could be on the other end"))
    return lines


def add_psk_options(p: argparse.ArgumentParser) -> None:
    """An external PSK (RFC 8446 §2.2): TLS without certificates; as openssl's -psk."""
    p.add_argument("--psk", metavar="HEX", help="pre-shared key in hex (>= 16 bytes)")
    p.add_argument("--psk-identity", default="Client_identity",
                   help="the PSK's identity (default, as OpenSSL's: Client_identity)")


def psk_from_args(args: argparse.Namespace) -> ExternalPsk | None:
    if not args.psk:
        return None
    try:
        key = bytes.fromhex(args.psk)
    except ValueError:
        raise SystemExit("tlsglass: --psk must be hexadecimal") from None
    return ExternalPsk(args.psk_identity.encode(), key)


def add_common_options(p: argparse.ArgumentParser) -> None:
    """Options both `connect` and `serve` take."""
    p.add_argument("--alpn", action="append", help="ALPN protocol (repeat for several)")
    p.add_argument("--suites", help="comma-separated suites, TLS 1.3 and/or 1.2, e.g. "
                                    "TLS_AES_128_GCM_SHA256,"
                                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
    p.add_argument("--groups", help="comma-separated groups, e.g. X25519MLKEM768,X25519")
    p.add_argument("--min-version", choices=sorted(VERSIONS),
                   help="lowest TLS version to accept (default 1.2; SSL 3.0, TLS 1.0 and "
                        "1.1 are never spoken)")
    p.add_argument("--max-version", choices=sorted(VERSIONS),
                   help="highest TLS version to offer (default 1.3); a 1.3-capable side "
                        "detects a downgrade to 1.2 (RFC 8446 §4.1.3)")
    p.add_argument("--keylog", help="append secrets to this NSS key log file (Wireshark)")


def split_hostport(text: str, default_port: int = 443) -> tuple[str, int]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = text.rpartition(":")
    if not sep or ":" in host:
        return text, default_port
    try:
        return host, int(port)
    except ValueError:
        raise SystemExit(f"tlsglass: {port!r} is not a port number") from None


def explain(exc: BaseException) -> str:
    if isinstance(exc, tlsglass.RemoteProtocolError):
        return (f"handshake failed: {exc} (we sent the alert "
                f"{describe(AlertDescription, exc.alert).lower()})")
    if isinstance(exc, tlsglass.FatalAlertReceived):
        return f"the peer refused the connection: it sent the alert " \
               f"{describe(AlertDescription, exc.description).lower()}"
    if isinstance(exc, TruncatedError):
        return "the connection was cut without close_notify (data may be missing)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: nothing is listening there"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out: the peer did not answer in time"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name: {exc.strerror}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    return str(exc)
