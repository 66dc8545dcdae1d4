"""Extract the RFC 8448 §5 "HelloRetryRequest" trace into tests/data/rfc8448_hrr.json.

Usage: python tests/data/extract_rfc8448_hrr.py [RFC8448.txt [OUTPUT.json]]

The RFC text defaults to ../shared/specs/rfc8448.txt relative to the repository root and the
output to rfc8448_hrr.json next to this script.  Standard library only.

The layout follows shared/vectors/rfc8448_simple_1rtt.json: ``values`` maps a snake_case name to
lowercase hex for every key, random, message, secret, traffic key/IV, Finished value and record
that the RFC prints; ``steps`` is the trace in RFC order.  ``computed`` holds a few transcript
values that RFC 8448 does not print (the RFC 8446 §4.4.1 message_hash rewrite of ClientHello1 and
intermediate transcript hashes); they are computed here with hashlib and cross-checked, together
with everything else, by check_rfc8448_hrr.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEFAULT_RFC = REPO_ROOT / ".." / "shared" / "specs" / "rfc8448.txt"
DEFAULT_OUT = HERE / "rfc8448_hrr.json"

_FOOTER = re.compile(r"^Thomson\s+Informational\s+\[Page \d+\]$")
_HEADER = re.compile(r"^RFC 8448\s+(Example )?TLS 1\.3 Traces\s+January 2019$")
_STEP = re.compile(r"^ {3}\{(client|server)\}  (.*)$")
_FIELD = re.compile(
    r"^(?P<indent> +)(?P<label>[A-Za-z][^:()]*?(?: \([a-z]+\))?)"
    r"(?: \((?P<n>\d+) octets?\))?:  (?P<rest>.*)$"
)
_HEX_LINE = re.compile(r"^(?:[0-9a-f]{2} )*[0-9a-f]{2}$")


class ExtractError(Exception):
    pass


def clean_lines(text: str) -> list[str]:
    """Split into lines and drop form feeds and the page headers and footers."""
    out = []
    for line in text.splitlines():
        line = line.replace("\f", "").rstrip()
        if _FOOTER.match(line) or _HEADER.match(line):
            continue
        out.append(line)
    return out


def section(lines: list[str], start: str, end: str) -> list[str]:
    """Lines of the section whose heading (at column 0) is ``start``, up to heading ``end``."""
    i = lines.index(start)
    j = lines.index(end, i + 1)
    return lines[i + 1 : j]


def parse_fields(lines: list[str], indent: int) -> list[tuple[str, str, int | None]]:
    """Parse ``label (N octets):  hex...`` fields whose first line is indented by ``indent``.

    Hex continuation lines are indented more deeply; blank lines (left over from removed page
    breaks) may sit anywhere inside a dump.
    """
    fields: list[tuple[str, str, int | None]] = []
    cur: list[str] | None = None
    for line in lines:
        if not line.strip():
            continue
        m = _FIELD.match(line)
        if m and len(m["indent"]) == indent:
            rest = m["rest"].strip()
            n = int(m["n"]) if m["n"] is not None else None
            if rest in ("(empty)", "0 (all zero octets)"):
                fields.append((m["label"], "", n))
                cur = None
                continue
            if not _HEX_LINE.match(rest):
                raise ExtractError(f"unexpected field text: {line!r}")
            cur = [rest]
            fields.append((m["label"], "", n))
        elif (
            cur is not None
            and len(line) - len(line.lstrip()) > indent
            and _HEX_LINE.match(line.strip())
        ):
            cur.append(line.strip())
        else:
            raise ExtractError(f"unexpected line: {line!r}")
        label, _, n = fields[-1]
        fields[-1] = (label, "".join(" ".join(cur).split()), n)
    for label, hexval, n in fields:
        if n is not None and len(hexval) != 2 * n:
            raise ExtractError(f"{label}: expected {n} octets, got {len(hexval) // 2}")
    return fields


def parse_steps(lines: list[str]) -> list[dict[str, Any]]:
    """Split a trace section into steps: ``{actor}  title[:]`` followed by fields."""
    starts = [i for i, line in enumerate(lines) if _STEP.match(line)]
    steps = []
    for k, i in enumerate(starts):
        block = lines[i : starts[k + 1] if k + 1 < len(starts) else len(lines)]
        m = _STEP.match(block[0])
        assert m is not None
        title_parts = [m[2].strip()]
        j = 1
        # A wrapped title continues on the lines that follow directly (no blank line).
        while j < len(block) and block[j].strip() and not _FIELD.match(block[j]):
            title_parts.append(block[j].strip())
            j += 1
        title = " ".join(title_parts)
        has_fields = title.endswith(":")
        title = title.rstrip(":")
        fields = parse_fields(block[j:], indent=6)
        if has_fields != bool(fields):
            raise ExtractError(f"step {title!r}: colon/fields mismatch")
        steps.append(
            {
                "actor": m[1],
                "title": title,
                "fields": [[label, hexval] for label, hexval, _ in fields],
            }
        )
    return steps


# The §5 trace, step by step: (actor, title, {field label: value name}).  Labels not listed
# (HKDF info strings, the all-zero IKM, the empty Finished context) get no name.
_KEYS = {"key expanded": "key", "iv expanded": "iv"}


def _keys(prk: str, prefix: str) -> dict[str, str]:
    return {"PRK": prk, **{k: f"{prefix}_{v}" for k, v in _KEYS.items()}}


NAMES: list[tuple[str, str, dict[str, str]]] = [
    (
        "client",
        "create an ephemeral x25519 key pair",
        {"private key": "client_private_key_1", "public key": "client_public_key_1"},
    ),
    ("client", "construct a ClientHello handshake message", {"ClientHello": "client_hello_1"}),
    (
        "client",
        "send handshake record",
        {"payload": "client_hello_1", "complete record": "client_hello_1_record"},
    ),
    ("server", "construct a ServerHello handshake message", {"ServerHello": "hello_retry_request"}),
    (
        "server",
        "send handshake record",
        {"payload": "hello_retry_request", "complete record": "hello_retry_request_record"},
    ),
    (
        "client",
        "create an ephemeral P-256 key pair",
        {"private key": "client_private_key_2", "public key": "client_public_key_2"},
    ),
    ("client", "construct a ClientHello handshake message", {"ClientHello": "client_hello_2"}),
    (
        "client",
        "send handshake record",
        {"payload": "client_hello_2", "complete record": "client_hello_2_record"},
    ),
    ("server", 'extract secret "early"', {"secret": "early_secret"}),
    (
        "server",
        "create an ephemeral P-256 key pair",
        {"private key": "server_private_key", "public key": "server_public_key"},
    ),
    ("server", "construct a ServerHello handshake message", {"ServerHello": "server_hello"}),
    (
        "server",
        'derive secret for handshake "tls13 derived"',
        {"PRK": "early_secret", "expanded": "derived_secret_for_handshake"},
    ),
    (
        "server",
        'extract secret "handshake"',
        {
            "salt": "derived_secret_for_handshake",
            "IKM": "ecdhe_shared_secret",
            "secret": "handshake_secret",
        },
    ),
    (
        "server",
        'derive secret "tls13 c hs traffic"',
        {
            "PRK": "handshake_secret",
            "hash": "transcript_hash_ch1_sh",
            "expanded": "client_handshake_traffic_secret",
        },
    ),
    (
        "server",
        'derive secret "tls13 s hs traffic"',
        {
            "PRK": "handshake_secret",
            "hash": "transcript_hash_ch1_sh",
            "expanded": "server_handshake_traffic_secret",
        },
    ),
    (
        "server",
        'derive secret for master "tls13 derived"',
        {"PRK": "handshake_secret", "expanded": "derived_secret_for_master"},
    ),
    (
        "server",
        'extract secret "master"',
        {"salt": "derived_secret_for_master", "secret": "master_secret"},
    ),
    (
        "server",
        "send handshake record",
        {"payload": "server_hello", "complete record": "server_hello_record"},
    ),
    (
        "server",
        "derive write traffic keys for handshake data",
        _keys("server_handshake_traffic_secret", "server_handshake"),
    ),
    (
        "server",
        "construct an EncryptedExtensions handshake message",
        {"EncryptedExtensions": "encrypted_extensions"},
    ),
    ("server", "construct a Certificate handshake message", {"Certificate": "certificate"}),
    (
        "server",
        "construct a CertificateVerify handshake message",
        {"CertificateVerify": "certificate_verify"},
    ),
    (
        "server",
        'calculate finished "tls13 finished"',
        {
            "PRK": "server_handshake_traffic_secret",
            "expanded": "server_finished_key",
            "finished": "server_finished_verify_data",
        },
    ),
    ("server", "construct a Finished handshake message", {"Finished": "server_finished"}),
    (
        "server",
        "send handshake record",
        {
            "payload": "server_handshake_flight_plaintext",
            "complete record": "server_handshake_flight_record",
        },
    ),
    (
        "server",
        'derive secret "tls13 c ap traffic"',
        {
            "PRK": "master_secret",
            "hash": "transcript_hash_ch1_sfin",
            "expanded": "client_application_traffic_secret",
        },
    ),
    (
        "server",
        'derive secret "tls13 s ap traffic"',
        {
            "PRK": "master_secret",
            "hash": "transcript_hash_ch1_sfin",
            "expanded": "server_application_traffic_secret",
        },
    ),
    (
        "server",
        'derive secret "tls13 exp master"',
        {
            "PRK": "master_secret",
            "hash": "transcript_hash_ch1_sfin",
            "expanded": "exporter_master_secret",
        },
    ),
    (
        "server",
        "derive write traffic keys for application data",
        _keys("server_application_traffic_secret", "server_application"),
    ),
    (
        "server",
        "derive read traffic keys for handshake data",
        _keys("client_handshake_traffic_secret", "client_handshake"),
    ),
    ("client", 'extract secret "early" (same as server early secret)', {}),
    (
        "client",
        'derive secret for handshake "tls13 derived"',
        {"PRK": "early_secret", "expanded": "derived_secret_for_handshake"},
    ),
    ("client", 'extract secret "handshake" (same as server handshake secret)', {}),
    ("client", 'derive secret "tls13 c hs traffic" (same as server)', {}),
    ("client", 'derive secret "tls13 s hs traffic" (same as server)', {}),
    ("client", 'derive secret for master "tls13 derived" (same as server)', {}),
    ("client", 'extract secret "master" (same as server master secret)', {}),
    (
        "client",
        "derive read traffic keys for handshake data (same as server handshake data "
        "write traffic keys)",
        {},
    ),
    ("client", 'calculate finished "tls13 finished" (same as server)', {}),
    ("client", 'derive secret "tls13 c ap traffic" (same as server)', {}),
    ("client", 'derive secret "tls13 s ap traffic" (same as server)', {}),
    ("client", 'derive secret "tls13 exp master" (same as server)', {}),
    (
        "client",
        "derive write traffic keys for handshake data (same as server handshake data "
        "read traffic keys)",
        {},
    ),
    (
        "client",
        "derive read traffic keys for application data (same as server application "
        "data write traffic keys)",
        {},
    ),
    (
        "client",
        'calculate finished "tls13 finished"',
        {
            "PRK": "client_handshake_traffic_secret",
            "expanded": "client_finished_key",
            "finished": "client_finished_verify_data",
        },
    ),
    ("client", "construct a Finished handshake message", {"Finished": "client_finished"}),
    (
        "client",
        "send handshake record",
        {"payload": "client_finished", "complete record": "client_finished_record"},
    ),
    (
        "client",
        "derive write traffic keys for application data",
        _keys("client_application_traffic_secret", "client_application"),
    ),
    (
        "client",
        'derive secret "tls13 res master"',
        {
            "PRK": "master_secret",
            "hash": "transcript_hash_ch1_cfin",
            "expanded": "resumption_master_secret",
        },
    ),
    ("server", 'calculate finished "tls13 finished" (same as client)', {}),
    (
        "server",
        "derive read traffic keys for application data (same as client application "
        "data write traffic keys)",
        {},
    ),
    ("server", 'derive secret "tls13 res master" (same as client)', {}),
    (
        "client",
        "send alert record",
        {"payload": "client_alert_plaintext", "complete record": "client_alert_record"},
    ),
    (
        "server",
        "send alert record",
        {"payload": "server_alert_plaintext", "complete record": "server_alert_record"},
    ),
]

RSA_LABELS = {
    "modulus (public)": "modulus",
    "public exponent": "public_exponent",
    "private exponent": "private_exponent",
    "prime1": "prime1",
    "prime2": "prime2",
    "exponent1": "exponent1",
    "exponent2": "exponent2",
    "coefficient": "coefficient",
}


def name_values(steps: list[dict[str, Any]]) -> dict[str, str]:
    if len(steps) != len(NAMES):
        raise ExtractError(f"expected {len(NAMES)} steps, parsed {len(steps)}")
    values: dict[str, str] = {}
    for step, (actor, title, names) in zip(steps, NAMES, strict=True):
        if (step["actor"], step["title"]) != (actor, title):
            raise ExtractError(
                f"step mismatch: {step['actor']} {step['title']!r}, expected {actor} {title!r}"
            )
        labels = [label for label, _ in step["fields"]]
        missing = set(names) - set(labels)
        if missing:
            raise ExtractError(f"step {title!r} lacks fields {sorted(missing)}")
        for label, hexval in step["fields"]:
            name = names.get(label)
            if name is None:
                continue
            if values.setdefault(name, hexval) != hexval:
                raise ExtractError(f"{name}: inconsistent values in the trace")
    return values


def rsa_key(lines: list[str]) -> dict[str, str]:
    body = section(lines, "2.  Private Keys", "3.  Simple 1-RTT Handshake")
    first = next(i for i, line in enumerate(body) if line.startswith("   modulus (public):"))
    fields = parse_fields(body[first:], indent=3)
    key = {RSA_LABELS[label]: hexval for label, hexval, _ in fields}
    if set(key) != set(RSA_LABELS.values()):
        raise ExtractError(f"RSA key fields: {sorted(key)}")
    return key


def computed(values: dict[str, str]) -> dict[str, str]:
    """Transcript values RFC 8448 does not print (RFC 8446 §4.4.1), computed with hashlib."""
    msg = {k: bytes.fromhex(v) for k, v in values.items()}
    ch1_hash = hashlib.sha256(msg["client_hello_1"]).digest()
    message_hash = bytes([0xFE, 0, 0, len(ch1_hash)]) + ch1_hash
    transcript = [message_hash]
    out = {"client_hello_1_hash": ch1_hash.hex(), "message_hash": message_hash.hex()}
    for name, label in [
        ("hello_retry_request", "transcript_hash_ch1_hrr"),
        ("client_hello_2", "transcript_hash_ch1_ch2"),
        ("server_hello", None),
        ("encrypted_extensions", None),
        ("certificate", "transcript_hash_ch1_cert"),
        ("certificate_verify", "transcript_hash_ch1_cv"),
    ]:
        transcript.append(msg[name])
        if label:
            out[label] = hashlib.sha256(b"".join(transcript)).hexdigest()
    return out


def extract(text: str) -> dict[str, Any]:
    lines = clean_lines(text)
    steps = parse_steps(section(lines, "5.  HelloRetryRequest", "6.  Client Authentication"))
    values = name_values(steps)
    return {
        "source": "RFC 8448, Example Handshake Traces for TLS 1.3 (M. Thomson, January 2019), "
        "https://www.rfc-editor.org/rfc/rfc8448",
        "source_text_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "generated_by": "tests/data/extract_rfc8448_hrr.py",
        "cipher_suite": "TLS_AES_128_GCM_SHA256",
        "group": "secp256r1",
        "client_hello_1_key_share_group": "x25519",
        "note": "hex strings are lowercase; '' means the RFC printed (empty) or "
        "'0 (all zero octets)' (the HKDF default salt). Each step lists fields in RFC "
        "order as [label, hex]. The RFC labels the HelloRetryRequest 'ServerHello' (same "
        "handshake type). ClientHello1 offers x25519, secp256r1 and secp384r1 with an "
        "x25519 key share; the HelloRetryRequest selects secp256r1 and carries a cookie, "
        "which ClientHello2 echoes. transcript_hash_ch1_* are hashes of the transcript "
        "from ClientHello1, replaced by the synthetic message_hash message (RFC 8446 "
        "§4.4.1), through the named message. 'computed' holds values the RFC does not "
        "print, derived from the trace with SHA-256; 'server_rsa_private_key' is the "
        "RFC 8448 §2 key for the certificate used here.",
        "section": "5",
        "title": "HelloRetryRequest",
        "values": values,
        "computed": computed(values),
        "server_rsa_private_key": rsa_key(lines),
        "steps": steps,
    }


def main(argv: list[str]) -> int:
    rfc = Path(argv[1]) if len(argv) > 1 else DEFAULT_RFC
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    data = extract(rfc.read_text(encoding="utf-8"))
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(data['values'])} values, {len(data['steps'])} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
