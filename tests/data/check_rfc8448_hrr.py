"""Cross-check tests/data/rfc8448_hrr.json by recomputation with `cryptography`.

Usage: .venv/bin/python tests/data/check_rfc8448_hrr.py [RFC8448.txt]

A standalone script, not a pytest module.  It exits non-zero on any mismatch.  It checks:

* that extract_rfc8448_hrr.py reproduces the JSON byte for byte from the RFC text;
* every HKDF step of the trace on its own (info strings, Extract and Expand-Label outputs);
* the whole key schedule again from the inputs only (private keys and handshake messages):
  ECDHE, the RFC 8446 §4.4.1 message_hash transcript rule, every secret, traffic key and IV,
  both Finished values, and every record (sealed and opened with AES-128-GCM);
* the structure of the messages (what CH1 offers, what the HRR selects, that CH2 is CH1 with
  key_share replaced and cookie and padding added), the certificate against the §2 RSA key, and
  the CertificateVerify signature (RSA-PSS is randomised: verified, not reproduced).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = Path(__file__).resolve().parent
JSON_PATH = HERE / "rfc8448_hrr.json"
GENERATOR = HERE / "extract_rfc8448_hrr.py"
DEFAULT_RFC = HERE.parents[1] / ".." / "shared" / "specs" / "rfc8448.txt"
SIMPLE_1RTT = HERE.parents[1] / ".." / "shared" / "vectors" / "rfc8448_simple_1rtt.json"

HASH_LEN = 32
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

# Handshake and extension code points used below (RFC 8446 §4, §4.2).
CLIENT_HELLO, SERVER_HELLO, ENCRYPTED_EXTENSIONS, CERTIFICATE = 1, 2, 8, 11
CERTIFICATE_VERIFY, FINISHED, MESSAGE_HASH = 15, 20, 254
EXT_SUPPORTED_GROUPS, EXT_PADDING, EXT_COOKIE = 0x000A, 0x0015, 0x002C
EXT_SUPPORTED_VERSIONS, EXT_KEY_SHARE = 0x002B, 0x0033
X25519, SECP256R1, SECP384R1 = 0x001D, 0x0017, 0x0018
TLS_AES_128_GCM_SHA256 = 0x1301
RSA_PSS_RSAE_SHA256 = 0x0804


class Checker:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def ok(self, what: str, cond: bool, detail: str = "") -> None:
        if cond:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"FAIL {what}{': ' + detail if detail else ''}")

    def eq(self, what: str, got: bytes, want: bytes) -> None:
        self.ok(what, got == want, f"\n  got  {got.hex()}\n  want {want.hex()}")


# --- primitives, written from RFC 5869 / RFC 8446 §7.1 on top of `cryptography` -------------


def sha256(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SHA256())
    h.update(data)
    return h.finalize()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac_sha256(salt or bytes(HASH_LEN), ikm)


def hkdf_label(label: bytes, context: bytes, length: int) -> bytes:
    full = b"tls13 " + label
    return length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context


def expand_label(secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    info = hkdf_label(label, context, length)
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def derive_secret(secret: bytes, label: bytes, transcript: bytes) -> bytes:
    return expand_label(secret, label, sha256(transcript), HASH_LEN)


def traffic_key_iv(secret: bytes) -> tuple[bytes, bytes]:
    return expand_label(secret, b"key", b"", 16), expand_label(secret, b"iv", b"", 12)


def nonce(iv: bytes, seq: int) -> bytes:
    return bytes(a ^ b for a, b in zip(iv, seq.to_bytes(len(iv), "big"), strict=True))


def seal_record(key: bytes, iv: bytes, seq: int, content: bytes, content_type: int) -> bytes:
    inner = content + bytes([content_type])
    header = b"\x17\x03\x03" + (len(inner) + 16).to_bytes(2, "big")
    return header + AESGCM(key).encrypt(nonce(iv, seq), inner, header)


def open_record(key: bytes, iv: bytes, seq: int, record: bytes) -> tuple[int, bytes]:
    header, body = record[:5], record[5:]
    inner = AESGCM(key).decrypt(nonce(iv, seq), body, header).rstrip(b"\x00")
    return inner[-1], inner[:-1]


def plaintext_record(version: int, message: bytes) -> bytes:
    return b"\x16" + version.to_bytes(2, "big") + len(message).to_bytes(2, "big") + message


# --- a minimal reader for the message structure checks --------------------------------------


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vec(self, n: int) -> bytes:
        return self.take(self.uint(n))

    def done(self) -> bool:
        return self.pos == len(self.data)


def handshake_body(msg: bytes, msg_type: int) -> bytes:
    r = Reader(msg)
    if r.uint(1) != msg_type:
        raise ValueError(f"not handshake type {msg_type}")
    body = r.vec(3)
    if not r.done():
        raise ValueError("trailing bytes after handshake message")
    return body


def extensions(r: Reader) -> list[tuple[int, bytes]]:
    ext = Reader(r.vec(2))
    out = []
    while not ext.done():
        out.append((ext.uint(2), ext.vec(2)))
    if not r.done():
        raise ValueError("trailing bytes after extensions")
    return out


def uint16_list(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def parse_hello(msg: bytes, msg_type: int) -> dict[str, Any]:
    r = Reader(handshake_body(msg, msg_type))
    out: dict[str, Any] = {"version": r.uint(2), "random": r.take(32), "session_id": r.vec(1)}
    if msg_type == CLIENT_HELLO:
        out["cipher_suites"] = uint16_list(r.vec(2))
        out["compression"] = r.vec(1)
    else:
        out["cipher_suite"] = r.uint(2)
        out["compression"] = r.take(1)
    out["extensions"] = extensions(r)
    return out


def ext(hello: dict[str, Any], ext_type: int) -> bytes:
    found = [body for t, body in hello["extensions"] if t == ext_type]
    if len(found) != 1:
        raise ValueError(f"extension {ext_type:#06x} appears {len(found)} times")
    body: bytes = found[0]
    return body


def client_key_shares(hello: dict[str, Any]) -> list[tuple[int, bytes]]:
    outer = Reader(ext(hello, EXT_KEY_SHARE))
    r = Reader(outer.vec(2))
    shares = []
    while not r.done():
        shares.append((r.uint(2), r.vec(2)))
    return shares


# --- the checks -----------------------------------------------------------------------------


def check_reproducible(c: Checker, rfc: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        proc = subprocess.run(
            [sys.executable, str(GENERATOR), str(rfc), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        c.ok("generator runs", proc.returncode == 0, proc.stderr)
        if proc.returncode == 0:
            c.ok(
                "generator reproduces rfc8448_hrr.json byte for byte",
                out.read_bytes() == JSON_PATH.read_bytes(),
            )


def check_steps(c: Checker, data: dict[str, Any]) -> None:
    """Each printed HKDF step on its own, plus the link from every step field to `values`."""
    vals: dict[str, str] = data["values"]
    hex_names: dict[str, list[str]] = {}
    for name, h in vals.items():
        hex_names.setdefault(h, []).append(name)
    for i, step in enumerate(data["steps"]):
        f = {label: bytes.fromhex(h) for label, h in step["fields"]}
        where = f"step {i} ({step['actor']} {step['title']})"
        title: str = step["title"]
        if "PRK" in f and "expanded" in f:
            label = title.split('"')[1].removeprefix("tls13 ").encode()
            self_len = len(f["expanded"])
            c.eq(f"{where}: info", f["info"], hkdf_label(label, f["hash"], self_len))
            c.eq(
                f"{where}: expanded",
                HKDFExpand(hashes.SHA256(), self_len, f["info"]).derive(f["PRK"]),
                f["expanded"],
            )
            if label == b"derived":
                c.eq(f'{where}: hash is Hash("")', f["hash"], sha256(b""))
            if "finished" in f:
                c.ok(f"{where}: Finished context is empty", f["hash"] == b"")
        if "key expanded" in f:
            c.eq(f"{where}: key info", f["key info"], hkdf_label(b"key", b"", 16))
            c.eq(f"{where}: iv info", f["iv info"], hkdf_label(b"iv", b"", 12))
            c.eq(
                f"{where}: key",
                HKDFExpand(hashes.SHA256(), 16, f["key info"]).derive(f["PRK"]),
                f["key expanded"],
            )
            c.eq(
                f"{where}: iv",
                HKDFExpand(hashes.SHA256(), 12, f["iv info"]).derive(f["PRK"]),
                f["iv expanded"],
            )
        if "salt" in f and "secret" in f:
            c.eq(f"{where}: HKDF-Extract", hkdf_extract(f["salt"], f["IKM"]), f["secret"])
        if (
            "payload" in f
            and "complete record" in f
            and title == "send handshake record"
            and f["complete record"][0] == 0x16
        ):
            c.eq(f"{where}: plaintext record body", f["complete record"][5:], f["payload"])
        for label, h in step["fields"]:
            c.ok(f"{where}: {label} is lowercase hex", h == h.lower())
    for name, h in vals.items():
        c.ok(
            f"values.{name} appears in the steps",
            any(h == fh for s in data["steps"] for _, fh in s["fields"]),
        )


def check_messages(c: Checker, v: dict[str, bytes]) -> None:
    ch1 = parse_hello(v["client_hello_1"], CLIENT_HELLO)
    hrr = parse_hello(v["hello_retry_request"], SERVER_HELLO)
    ch2 = parse_hello(v["client_hello_2"], CLIENT_HELLO)
    sh = parse_hello(v["server_hello"], SERVER_HELLO)

    c.ok(
        "CH1 offers TLS_AES_128_GCM_SHA256, CHACHA20, AES_256",
        ch1["cipher_suites"] == [0x1301, 0x1303, 0x1302],
    )
    c.ok(
        "CH1 supported_groups = x25519, secp256r1, secp384r1",
        uint16_list(ext(ch1, EXT_SUPPORTED_GROUPS)[2:]) == [X25519, SECP256R1, SECP384R1],
    )
    c.ok(
        "CH1 key_share = one x25519 share = client_public_key_1",
        client_key_shares(ch1) == [(X25519, v["client_public_key_1"])],
    )
    c.ok("CH1 supported_versions = TLS 1.3", ext(ch1, EXT_SUPPORTED_VERSIONS) == b"\x02\x03\x04")

    c.eq(
        'HRR random is SHA-256("HelloRetryRequest")',
        hrr["random"],
        hashlib.sha256(b"HelloRetryRequest").digest(),
    )
    c.eq("HRR random constant (RFC 8446 §4.1.3)", hrr["random"], HRR_RANDOM)
    c.ok("HRR selects TLS_AES_128_GCM_SHA256", hrr["cipher_suite"] == TLS_AES_128_GCM_SHA256)
    c.ok(
        "HRR key_share selected_group = secp256r1",
        ext(hrr, EXT_KEY_SHARE) == SECP256R1.to_bytes(2, "big"),
    )
    c.ok("HRR supported_versions = TLS 1.3", ext(hrr, EXT_SUPPORTED_VERSIONS) == b"\x03\x04")
    cookie = ext(hrr, EXT_COOKIE)
    c.ok(
        "HRR cookie is a well-formed opaque<1..2^16-1>",
        len(cookie) >= 3 and int.from_bytes(cookie[:2], "big") == len(cookie) - 2,
    )
    c.ok(
        "HRR extensions are key_share, cookie, supported_versions",
        [t for t, _ in hrr["extensions"]] == [EXT_KEY_SHARE, EXT_COOKIE, EXT_SUPPORTED_VERSIONS],
    )

    c.ok(
        "CH2 keeps random, session_id, suites, compression of CH1",
        all(
            ch1[k] == ch2[k]
            for k in ("version", "random", "session_id", "cipher_suites", "compression")
        ),
    )
    c.ok(
        "CH2 key_share = one secp256r1 share = client_public_key_2",
        client_key_shares(ch2) == [(SECP256R1, v["client_public_key_2"])],
    )
    c.eq("CH2 echoes the HRR cookie", ext(ch2, EXT_COOKIE), cookie)
    pad = ext(ch2, EXT_PADDING)
    c.ok("CH2 padding extension is all zeros", pad == bytes(len(pad)), f"{len(pad)} octets")
    ch1_rest = [(t, b) for t, b in ch1["extensions"] if t != EXT_KEY_SHARE]
    ch2_rest = [
        (t, b) for t, b in ch2["extensions"] if t not in (EXT_KEY_SHARE, EXT_COOKIE, EXT_PADDING)
    ]
    c.ok(
        "CH2 = CH1 with key_share replaced and cookie, padding added (RFC 8446 §4.1.2)",
        ch1_rest == ch2_rest
        and [t for t, _ in ch1["extensions"]].index(EXT_KEY_SHARE)
        == [t for t, _ in ch2["extensions"]].index(EXT_KEY_SHARE),
    )

    c.ok("SH random is not the HRR value", sh["random"] != HRR_RANDOM)
    c.ok("SH selects TLS_AES_128_GCM_SHA256", sh["cipher_suite"] == TLS_AES_128_GCM_SHA256)
    ks = Reader(ext(sh, EXT_KEY_SHARE))
    c.ok(
        "SH key_share = secp256r1, server_public_key",
        (ks.uint(2), ks.vec(2), ks.done()) == (SECP256R1, v["server_public_key"], True),
    )
    c.ok("SH supported_versions = TLS 1.3", ext(sh, EXT_SUPPORTED_VERSIONS) == b"\x03\x04")

    ee = Reader(handshake_body(v["encrypted_extensions"], ENCRYPTED_EXTENSIONS))
    c.ok("EncryptedExtensions parses", bool(extensions(ee)) and ee.done())
    fin_s = handshake_body(v["server_finished"], FINISHED)
    fin_c = handshake_body(v["client_finished"], FINISHED)
    c.eq(
        "server Finished body = server_finished_verify_data",
        fin_s,
        v["server_finished_verify_data"],
    )
    c.eq(
        "client Finished body = client_finished_verify_data",
        fin_c,
        v["client_finished_verify_data"],
    )
    c.eq(
        "server flight = EE || Certificate || CertificateVerify || Finished",
        v["server_handshake_flight_plaintext"],
        v["encrypted_extensions"]
        + v["certificate"]
        + v["certificate_verify"]
        + v["server_finished"],
    )

    c.eq(
        "CH1 record (legacy_record_version 0x0301)",
        v["client_hello_1_record"],
        plaintext_record(0x0301, v["client_hello_1"]),
    )
    c.eq(
        "HRR record",
        v["hello_retry_request_record"],
        plaintext_record(0x0303, v["hello_retry_request"]),
    )
    c.eq(
        "CH2 record (legacy_record_version 0x0303 after HRR)",
        v["client_hello_2_record"],
        plaintext_record(0x0303, v["client_hello_2"]),
    )
    c.eq("SH record", v["server_hello_record"], plaintext_record(0x0303, v["server_hello"]))


def check_keys(c: Checker, v: dict[str, bytes]) -> bytes:
    """Public keys from the private keys, and the P-256 ECDHE secret from both sides."""
    x_priv = x25519.X25519PrivateKey.from_private_bytes(v["client_private_key_1"])
    c.eq(
        "client_public_key_1 = X25519(client_private_key_1)",
        x_priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        v["client_public_key_1"],
    )

    def p256(priv: bytes) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(int.from_bytes(priv, "big"), ec.SECP256R1())

    client, server = p256(v["client_private_key_2"]), p256(v["server_private_key"])
    uncompressed = (Encoding.X962, PublicFormat.UncompressedPoint)
    c.eq(
        "client_public_key_2 = P-256(client_private_key_2)",
        client.public_key().public_bytes(*uncompressed),
        v["client_public_key_2"],
    )
    c.eq(
        "server_public_key = P-256(server_private_key)",
        server.public_key().public_bytes(*uncompressed),
        v["server_public_key"],
    )
    curve = ec.SECP256R1()
    client_view = client.exchange(
        ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, v["server_public_key"])
    )
    server_view = server.exchange(
        ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, v["client_public_key_2"])
    )
    c.eq("ECDHE (client side) = ecdhe_shared_secret", client_view, v["ecdhe_shared_secret"])
    c.eq("ECDHE (server side) = ecdhe_shared_secret", server_view, v["ecdhe_shared_secret"])
    return client_view


def check_schedule(
    c: Checker, v: dict[str, bytes], computed: dict[str, bytes], ecdhe: bytes
) -> None:
    """The whole schedule from inputs only, with the HRR transcript rule of RFC 8446 §4.4.1."""
    ch1_hash = sha256(v["client_hello_1"])
    message_hash = bytes([MESSAGE_HASH, 0, 0, HASH_LEN]) + ch1_hash
    c.eq("computed.client_hello_1_hash", computed["client_hello_1_hash"], ch1_hash)
    c.eq("computed.message_hash", computed["message_hash"], message_hash)
    t_hrr = message_hash + v["hello_retry_request"]
    t_ch2 = t_hrr + v["client_hello_2"]
    t_sh = t_ch2 + v["server_hello"]
    t_cert = t_sh + v["encrypted_extensions"] + v["certificate"]
    t_cv = t_cert + v["certificate_verify"]
    c.eq("computed.transcript_hash_ch1_hrr", computed["transcript_hash_ch1_hrr"], sha256(t_hrr))
    c.eq("computed.transcript_hash_ch1_ch2", computed["transcript_hash_ch1_ch2"], sha256(t_ch2))
    c.eq("computed.transcript_hash_ch1_cert", computed["transcript_hash_ch1_cert"], sha256(t_cert))
    c.eq("computed.transcript_hash_ch1_cv", computed["transcript_hash_ch1_cv"], sha256(t_cv))
    c.eq(
        "transcript_hash_ch1_sh = Hash(message_hash || HRR || CH2 || SH)",
        sha256(t_sh),
        v["transcript_hash_ch1_sh"],
    )
    c.ok(
        "the plain CH1..SH hash would differ (the rewrite matters)",
        sha256(v["client_hello_1"] + t_sh[len(message_hash) :]) != v["transcript_hash_ch1_sh"],
    )

    early = hkdf_extract(b"", bytes(HASH_LEN))
    c.eq("early_secret", early, v["early_secret"])
    derived_hs = derive_secret(early, b"derived", b"")
    c.eq("derived_secret_for_handshake", derived_hs, v["derived_secret_for_handshake"])
    hs = hkdf_extract(derived_hs, ecdhe)
    c.eq("handshake_secret", hs, v["handshake_secret"])
    c_hs = derive_secret(hs, b"c hs traffic", t_sh)
    s_hs = derive_secret(hs, b"s hs traffic", t_sh)
    c.eq("client_handshake_traffic_secret", c_hs, v["client_handshake_traffic_secret"])
    c.eq("server_handshake_traffic_secret", s_hs, v["server_handshake_traffic_secret"])
    derived_ms = derive_secret(hs, b"derived", b"")
    c.eq("derived_secret_for_master", derived_ms, v["derived_secret_for_master"])
    master = hkdf_extract(derived_ms, bytes(HASH_LEN))
    c.eq("master_secret", master, v["master_secret"])

    s_hs_key, s_hs_iv = traffic_key_iv(s_hs)
    c_hs_key, c_hs_iv = traffic_key_iv(c_hs)
    c.eq("server_handshake_key", s_hs_key, v["server_handshake_key"])
    c.eq("server_handshake_iv", s_hs_iv, v["server_handshake_iv"])
    c.eq("client_handshake_key", c_hs_key, v["client_handshake_key"])
    c.eq("client_handshake_iv", c_hs_iv, v["client_handshake_iv"])

    s_fk = expand_label(s_hs, b"finished", b"", HASH_LEN)
    c.eq("server_finished_key", s_fk, v["server_finished_key"])
    s_vd = hmac_sha256(s_fk, sha256(t_cv))
    c.eq(
        "server_finished_verify_data = HMAC(fk, Hash(..CertificateVerify))",
        s_vd,
        v["server_finished_verify_data"],
    )
    c.eq("server_finished message", bytes([FINISHED, 0, 0, HASH_LEN]) + s_vd, v["server_finished"])
    t_sfin = t_cv + v["server_finished"]
    c.eq("transcript_hash_ch1_sfin", sha256(t_sfin), v["transcript_hash_ch1_sfin"])

    c_ap = derive_secret(master, b"c ap traffic", t_sfin)
    s_ap = derive_secret(master, b"s ap traffic", t_sfin)
    c.eq("client_application_traffic_secret", c_ap, v["client_application_traffic_secret"])
    c.eq("server_application_traffic_secret", s_ap, v["server_application_traffic_secret"])
    c.eq(
        "exporter_master_secret",
        derive_secret(master, b"exp master", t_sfin),
        v["exporter_master_secret"],
    )
    s_ap_key, s_ap_iv = traffic_key_iv(s_ap)
    c_ap_key, c_ap_iv = traffic_key_iv(c_ap)
    c.eq("server_application_key", s_ap_key, v["server_application_key"])
    c.eq("server_application_iv", s_ap_iv, v["server_application_iv"])
    c.eq("client_application_key", c_ap_key, v["client_application_key"])
    c.eq("client_application_iv", c_ap_iv, v["client_application_iv"])

    c_fk = expand_label(c_hs, b"finished", b"", HASH_LEN)
    c.eq("client_finished_key", c_fk, v["client_finished_key"])
    c_vd = hmac_sha256(c_fk, sha256(t_sfin))
    c.eq(
        "client_finished_verify_data = HMAC(fk, Hash(..server Finished))",
        c_vd,
        v["client_finished_verify_data"],
    )
    c.eq("client_finished message", bytes([FINISHED, 0, 0, HASH_LEN]) + c_vd, v["client_finished"])
    t_cfin = t_sfin + v["client_finished"]
    c.eq("transcript_hash_ch1_cfin", sha256(t_cfin), v["transcript_hash_ch1_cfin"])
    c.eq(
        "resumption_master_secret",
        derive_secret(master, b"res master", t_cfin),
        v["resumption_master_secret"],
    )

    # Records: seal and compare byte for byte, then open and compare the plaintext.
    records = [
        (
            "server_handshake_flight",
            s_hs_key,
            s_hs_iv,
            0,
            22,
            v["server_handshake_flight_plaintext"],
            v["server_handshake_flight_record"],
        ),
        (
            "client_finished",
            c_hs_key,
            c_hs_iv,
            0,
            22,
            v["client_finished"],
            v["client_finished_record"],
        ),
        (
            "client_alert",
            c_ap_key,
            c_ap_iv,
            0,
            21,
            v["client_alert_plaintext"],
            v["client_alert_record"],
        ),
        (
            "server_alert",
            s_ap_key,
            s_ap_iv,
            0,
            21,
            v["server_alert_plaintext"],
            v["server_alert_record"],
        ),
    ]
    for name, key, iv, seq, ctype, plain, record in records:
        c.eq(
            f"{name}_record = AES-128-GCM seal (seq {seq})",
            seal_record(key, iv, seq, plain, ctype),
            record,
        )
        try:
            got_type, got = open_record(key, iv, seq, record)
        except Exception as exc:  # any failure to open is a mismatch
            c.ok(f"{name}_record opens", False, repr(exc))
            continue
        c.ok(f"{name}_record inner content type = {ctype}", got_type == ctype)
        c.eq(f"{name}_record decrypts to the printed payload", got, plain)
    c.eq(
        "alerts are close_notify (warning)",
        v["client_alert_plaintext"] + v["server_alert_plaintext"],
        b"\x01\x00\x01\x00",
    )


def check_certificate(
    c: Checker, data: dict[str, Any], v: dict[str, bytes], computed: dict[str, bytes]
) -> None:
    k = {name: int(h, 16) for name, h in data["server_rsa_private_key"].items()}
    public = rsa.RSAPublicNumbers(k["public_exponent"], k["modulus"])
    try:
        priv = rsa.RSAPrivateNumbers(
            p=k["prime1"],
            q=k["prime2"],
            d=k["private_exponent"],
            dmp1=k["exponent1"],
            dmq1=k["exponent2"],
            iqmp=k["coefficient"],
            public_numbers=public,
        ).private_key()
        c.ok("server_rsa_private_key is a consistent RSA key", True)
    except ValueError as exc:
        c.ok("server_rsa_private_key is a consistent RSA key", False, repr(exc))
        return
    c.ok("RSA p*q = n", k["prime1"] * k["prime2"] == k["modulus"])
    if SIMPLE_1RTT.exists():
        simple = json.loads(SIMPLE_1RTT.read_text(encoding="utf-8"))
        c.ok(
            "RSA key matches shared/vectors/rfc8448_simple_1rtt.json",
            simple["server_rsa_private_key"] == data["server_rsa_private_key"],
        )
        c.ok(
            "certificate is the §3 certificate",
            simple["values"]["certificate"] == data["values"]["certificate"],
        )
    else:
        print(f"note: {SIMPLE_1RTT} not found; skipped comparison with §3")

    r = Reader(handshake_body(v["certificate"], CERTIFICATE))
    c.ok("Certificate has an empty request context", r.vec(1) == b"")
    entries = Reader(r.vec(3))
    der = entries.vec(3)
    entry_ext = entries.vec(2)
    c.ok(
        "Certificate has one entry without extensions",
        entries.done() and r.done() and entry_ext == b"",
    )
    cert = x509.load_der_x509_certificate(der)
    cert_key = cert.public_key()
    c.ok(
        "certificate key is the §2 RSA public key",
        isinstance(cert_key, rsa.RSAPublicKey) and cert_key.public_numbers() == public,
    )
    if isinstance(cert_key, rsa.RSAPublicKey) and cert.signature_hash_algorithm is not None:
        try:
            cert_key.verify(
                cert.signature,
                cert.tbs_certificate_bytes,
                padding.PKCS1v15(),
                cert.signature_hash_algorithm,
            )
            c.ok("certificate self-signature verifies", True)
        except InvalidSignature:
            c.ok("certificate self-signature verifies", False)

    cv = Reader(handshake_body(v["certificate_verify"], CERTIFICATE_VERIFY))
    scheme, signature = cv.uint(2), cv.vec(2)
    c.ok("CertificateVerify uses rsa_pss_rsae_sha256", scheme == RSA_PSS_RSAE_SHA256 and cv.done())
    content = (
        b" " * 64 + b"TLS 1.3, server CertificateVerify\x00" + computed["transcript_hash_ch1_cert"]
    )
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=HASH_LEN)
    try:
        priv.public_key().verify(signature, content, pss, hashes.SHA256())
        c.ok("CertificateVerify signature verifies over Hash(message_hash..Certificate)", True)
    except InvalidSignature:
        c.ok("CertificateVerify signature verifies over Hash(message_hash..Certificate)", False)
    # And it must not verify over the transcript without the §4.4.1 rewrite.
    plain = sha256(
        v["client_hello_1"]
        + v["hello_retry_request"]
        + v["client_hello_2"]
        + v["server_hello"]
        + v["encrypted_extensions"]
        + v["certificate"]
    )
    try:
        priv.public_key().verify(signature, content[:-HASH_LEN] + plain, pss, hashes.SHA256())
        c.ok("CertificateVerify does not verify without the message_hash rewrite", False)
    except InvalidSignature:
        c.ok("CertificateVerify does not verify without the message_hash rewrite", True)


def main(argv: list[str]) -> int:
    rfc = Path(argv[1]) if len(argv) > 1 else DEFAULT_RFC
    c = Checker()
    data: dict[str, Any] = json.loads(JSON_PATH.read_text(encoding="utf-8"))
    c.ok(
        "source_text_sha256 matches the RFC text",
        hashlib.sha256(rfc.read_bytes()).hexdigest() == data["source_text_sha256"],
    )
    check_reproducible(c, rfc)
    v = {name: bytes.fromhex(h) for name, h in data["values"].items()}
    computed = {name: bytes.fromhex(h) for name, h in data["computed"].items()}
    check_steps(c, data)
    try:
        check_messages(c, v)
    except (ValueError, KeyError) as exc:
        c.ok("messages parse", False, repr(exc))
    ecdhe = check_keys(c, v)
    check_schedule(c, v, computed, ecdhe)
    check_certificate(c, data, v, computed)
    # Every name in `values` must be covered by a recomputation above or be a pure input.
    inputs = {
        "client_private_key_1",
        "client_private_key_2",
        "server_private_key",
        "client_hello_1",
        "hello_retry_request",
        "client_hello_2",
        "server_hello",
        "encrypted_extensions",
        "certificate",
        "certificate_verify",
        "client_alert_plaintext",
        "server_alert_plaintext",
    }
    print(
        f"{c.passed} checks passed, {len(c.failed)} failed "
        f"({len(v)} values, {len(v) - len(inputs & set(v))} recomputed, "
        f"{len(inputs & set(v))} inputs checked structurally)"
    )
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
