"""tlsglass against Python's ssl (OpenSSL): handshakes per second and bulk throughput.

    .venv/bin/python benchmarks/bench.py                      # ~45 seconds
    .venv/bin/python benchmarks/bench.py --quick              # ~10 seconds
    .venv/bin/python benchmarks/bench.py --profile handshake  # cProfile of tlsglass only
    .venv/bin/python benchmarks/bench.py --profile bulk

Both stacks run client and server in one process with no sockets: tlsglass as two
`Connection`s shuttling bytes, ssl as two `SSLObject`s over `MemoryBIO` pairs. They
use the same certificates (a P-256 CA; P-256 and RSA-2048 leaves for "localhost",
written as PEM files for ssl), the client verifies the chain and the name, TLS 1.3
only, X25519, and neither server sends a NewSessionTicket, except in the resumed
handshake row: there both servers issue one ticket per connection, and each
client resumes (psk_dhe_ke, so X25519 still runs) with a ticket from before.
The last two rows put tlsglass's bulk path beside `cryptography`'s AEAD alone
(sealing and opening the same 16 KiB records, header as additional data, no
record layer): their "ssl" column is that floor, and the ratio is how close the
record layer comes to it.

Python's ssl cannot choose TLS 1.3 cipher suites (`set_ciphers` is TLS 1.2 only),
so the measuring happens in worker subprocesses, one per suite, each started with
`OPENSSL_CONF` pointing at a throwaway config whose `Ciphersuites =` line names that
suite (and `Groups = X25519`); the header shows what each worker in fact negotiated.
Both stacks run in the same worker, in slices of 25 ms that alternate between
them, so machine noise falls on both alike; this process only orchestrates.

In each round a stack times every operation (a handshake, or a record averaged over
a batch of 16) and keeps the median, which a burst of noise barely moves. The table
shows the median over rounds; each ratio is the median of the per-round ratios,
with their range beside it.

The structure of a run (metrics, rounds, order) is fixed; the numbers are not,
and nothing here asserts a timing (STYLE convention 15).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import json
import os
import platform
import pstats
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import cryptography
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import tlsglass
from tlsglass import (
    ApplicationData,
    CertifiedKey,
    CipherSuite,
    ClientConfig,
    Connection,
    InMemoryTicketStore,
    NamedGroup,
    ProtocolVersion,
    ServerConfig,
)

RECORD: Final = 16 * 1024
BATCH: Final = 16  # records timed together; the per-record time is the batch's / BATCH
SLICE: Final = 0.025  # seconds one stack runs before the other takes over, within a round
PAYLOAD: Final = os.urandom(RECORD)
HOST: Final = "localhost"

# The ssl worker variants: one OPENSSL_CONF each, pinning the TLS 1.3 suite.
SSL_SUITES: Final = {
    "aes128": "TLS_AES_128_GCM_SHA256",
    "chacha": "TLS_CHACHA20_POLY1305_SHA256",
    "aes256": "TLS_AES_256_GCM_SHA384",
}
TLSGLASS_SUITES: Final = {
    "aes128": CipherSuite.TLS_AES_128_GCM_SHA256,
    "chacha": CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    "aes256": CipherSuite.TLS_AES_256_GCM_SHA384,
}
OPENSSL_CONF_TEMPLATE: Final = """\
openssl_conf = openssl_init

[openssl_init]
ssl_conf = ssl_module

[ssl_module]
system_default = tls_defaults

[tls_defaults]
MinProtocol = TLSv1.3
Ciphersuites = {suite}
Groups = X25519:P-256
"""
# P-256 is listed second so that a TLS 1.2 server may use its P-256 ECDSA certificate
# (RFC 8422 §5.1); key shares (1.3) and ECDHE (set_ecdh_curve) stay X25519.
HANDSHAKE_TARGET: Final = 1.2  # tlsglass handshake time at most this times ssl's
RESUME_TARGET: Final = 1.5  # issue 5: a resumed handshake at most this times ssl's
BULK_TARGET: Final = 0.9  # tlsglass throughput at least this times ssl's

# Per-operation times, in seconds, from one round of one stack.
Times = list[float]
Measure = Callable[[float], Times]


# -- certificates -------------------------------------------------------------------------


def _write_pem_files(directory: Path) -> None:
    """ca.pem, plus {ecdsa,rsa}.pem / .key leaves for HOST, signed by a P-256 CA."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tlsglass bench CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    leaf_keys: dict[str, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] = {
        "ecdsa": ec.generate_private_key(ec.SECP256R1()),
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }
    for stem, key in leaf_keys.items():
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        (directory / f"{stem}.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path = directory / f"{stem}.key"
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)


# -- the two stacks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """A tlsglass client and server config pair, built once and shared by every connection."""

    client: ClientConfig
    server: ServerConfig


def _tlsglass_handshake(w: Workload) -> tuple[Connection, Connection]:
    client, server = Connection(w.client), Connection(w.server)
    client.start_handshake()
    for _ in range(10):
        to_server = client.data_to_send()
        if to_server:
            server.receive_data(to_server)
        to_client = server.data_to_send()
        if to_client:
            client.receive_data(to_client)
        if not to_server and not to_client:
            break
    if not (client.handshake_complete and server.handshake_complete):
        raise RuntimeError(f"tlsglass handshake did not finish: {client!r} {server!r}")
    return client, server


def tlsglass_handshakes(w: Workload) -> Measure:
    """Full handshakes, each timed."""

    def run(seconds: float) -> Times:
        clock = time.perf_counter
        times: Times = []
        end = clock() + seconds
        while True:
            start = clock()
            _tlsglass_handshake(w)
            stop = clock()
            times.append(stop - start)
            if stop >= end:
                return times

    return run


def tlsglass_bulk(w: Workload) -> Measure:
    """Per-record times of 16 KiB records over one connection: client seals, server opens."""
    client, server = _tlsglass_handshake(w)
    send, pull, receive = client.send_application_data, client.data_to_send, server.receive_data

    def run(seconds: float) -> Times:
        payload, clock = PAYLOAD, time.perf_counter
        times: Times = []
        end = clock() + seconds
        while True:
            start = clock()
            for _ in range(BATCH):
                send(payload)
                (event,) = receive(pull())
                if not isinstance(event, ApplicationData) or len(event.data) != RECORD:
                    raise RuntimeError(f"unexpected event {event!r}")
            stop = clock()
            times.append((stop - start) / BATCH)
            if stop >= end:
                return times

    return run


def pyca_aead(variant: str) -> Measure:
    """Per-record times of pyca's AEAD alone: seal then open one TLS 1.3 record's worth.

    The same work the record layer hands pyca for a 16 KiB record (the content type
    byte appended, the 5-byte header as additional data), with no record layer around it.
    """
    cipher = ChaCha20Poly1305(os.urandom(32)) if variant == "chacha" \
        else AESGCM(os.urandom(32 if variant == "aes256" else 16))
    inner, nonce = PAYLOAD + b"\x17", os.urandom(12)
    header = bytes((23, 3, 3)) + (len(inner) + 16).to_bytes(2, "big")
    seal, open_ = cipher.encrypt, cipher.decrypt

    def run(seconds: float) -> Times:
        clock = time.perf_counter
        times: Times = []
        end = clock() + seconds
        while True:
            start = clock()
            for _ in range(BATCH):
                if len(open_(nonce, seal(nonce, inner, header), header)) != RECORD + 1:
                    raise RuntimeError("short record")
            stop = clock()
            times.append((stop - start) / BATCH)
            if stop >= end:
                return times

    return run


def _tlsglass_workloads(certs: Path) -> dict[str, Workload]:
    x25519 = {"groups": (NamedGroup.X25519,), "key_share_groups": (NamedGroup.X25519,)}
    ecdsa = CertifiedKey.from_files(certs / "ecdsa.pem", certs / "ecdsa.key")
    rsa_key = CertifiedKey.from_files(certs / "rsa.pem", certs / "rsa.key")
    ca = certs / "ca.pem"

    def client(**options: Any) -> ClientConfig:
        return ClientConfig.for_server(HOST, ca_file=ca, **options)

    def server(key: CertifiedKey, tickets: int = 0) -> ServerConfig:
        return ServerConfig(certificates=(key,), tickets_per_connection=tickets)

    loads = {
        "ecdsa": Workload(client(**x25519), server(ecdsa)),
        "rsa": Workload(client(**x25519), server(rsa_key)),
        "mlkem": Workload(client(), server(ecdsa)),
        # Multi-use client tickets: each resumption takes the newest, the server adds one.
        "resume": Workload(client(ticket_store=InMemoryTicketStore(single_use=False),
                                  **x25519), server(ecdsa, tickets=1)),
    }
    tls12 = {"maximum_version": ProtocolVersion.TLS1_2,
             "groups": (NamedGroup.X25519, NamedGroup.SECP256R1)}
    loads["ecdsa12"] = Workload(client(**tls12), server(ecdsa))
    loads["rsa12"] = Workload(client(**tls12), server(rsa_key))
    loads["resume12"] = Workload(client(ticket_store=InMemoryTicketStore(single_use=False),
                                        **tls12), server(ecdsa, tickets=1))
    for name, suite in TLSGLASS_SUITES.items():
        loads[name] = Workload(client(cipher_suites=(suite,), **x25519), server(ecdsa))
    first, _ = _tlsglass_handshake(loads["resume"])  # the ticket the first resumption uses
    if first.resumed or not _tlsglass_handshake(loads["resume"])[0].resumed:
        raise RuntimeError("the resumption workload does not resume")
    first, _ = _tlsglass_handshake(loads["resume12"])  # a full one, which leaves a ticket
    if first.resumed or not _tlsglass_handshake(loads["resume12"])[0].resumed:
        raise RuntimeError("the TLS 1.2 resumption workload does not resume")
    return loads


def _describe(w: Workload) -> str:
    client, _ = _tlsglass_handshake(w)
    suite = CipherSuite(client.cipher_suite).name if client.cipher_suite is not None else "?"
    group = NamedGroup(client.group).name if client.group is not None else "?"
    return f"{suite}, {group}"


class SslSide:
    """ssl client and server contexts: same files, TLS 1.3 only (TLS 1.2 only for the
    "...12" servers, with the suite tlsglass picks), no tickets."""

    def __init__(self, certs: Path) -> None:
        self.client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies chain and name
        self.client.minimum_version = ssl.TLSVersion.TLSv1_2
        self.client.load_verify_locations(certs / "ca.pem")
        self.servers: dict[str, ssl.SSLContext] = {}
        for name, stem in (("ecdsa", "ecdsa"), ("rsa", "rsa"), ("resume", "ecdsa")):
            server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server.minimum_version = ssl.TLSVersion.TLSv1_3
            # No NewSessionTicket (tlsglass sends none either), but one for resumption.
            server.num_tickets = 1 if name == "resume" else 0
            server.load_cert_chain(certs / f"{stem}.pem", certs / f"{stem}.key")
            self.servers[name] = server
        for name, stem in (("ecdsa12", "ecdsa"), ("rsa12", "rsa"), ("resume12", "ecdsa")):
            # TLS 1.2 only, with the suite and group tlsglass picks; tickets for resumption.
            server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server.minimum_version = server.maximum_version = ssl.TLSVersion.TLSv1_2
            if name != "resume12":
                server.options |= ssl.OP_NO_TICKET
            server.set_ecdh_curve("X25519")
            kind = "ECDSA" if stem == "ecdsa" else "RSA"
            server.set_ciphers(f"ECDHE-{kind}-AES128-GCM-SHA256")
            server.load_cert_chain(certs / f"{stem}.pem", certs / f"{stem}.key")
            self.servers[name] = server
        self.sessions = {name: self._first_session(name) for name in ("resume", "resume12")}

    def _first_session(self, name: str) -> ssl.SSLSession:
        """A full handshake with a resumption server, and the ticket it sent."""
        client, _, _, _ = self.handshake(name)
        with contextlib.suppress(ssl.SSLWantReadError):
            client.read(1)  # takes in the NewSessionTicket waiting in the client's BIO
        session = client.session
        if session is None or not self.handshake(name, session)[0].session_reused:
            raise RuntimeError("ssl did not resume")
        return session

    def handshake(self, cert: str, session: ssl.SSLSession | None = None) -> tuple[
            ssl.SSLObject, ssl.MemoryBIO, ssl.SSLObject, ssl.MemoryBIO]:
        c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
        client = self.client.wrap_bio(c_in, c_out, server_hostname=HOST, session=session)
        server = self.servers[cert].wrap_bio(s_in, s_out, server_side=True)
        client_done = server_done = False
        for _ in range(10):
            if not client_done:
                try:
                    client.do_handshake()
                    client_done = True
                except ssl.SSLWantReadError:
                    pass
            s_in.write(c_out.read())
            if not server_done:
                try:
                    server.do_handshake()
                    server_done = True
                except ssl.SSLWantReadError:
                    pass
            c_in.write(s_out.read())
            if client_done and server_done:
                return client, c_out, server, s_in
        raise RuntimeError("ssl handshake did not finish")

    def handshakes(self, cert: str) -> Measure:
        session = self.sessions.get(cert)

        def run(seconds: float) -> Times:
            clock = time.perf_counter
            times: Times = []
            end = clock() + seconds
            while True:
                start = clock()
                self.handshake(cert, session)
                stop = clock()
                times.append(stop - start)
                if stop >= end:
                    return times

        return run

    def bulk(self) -> Measure:
        client, c_out, server, s_in = self.handshake("ecdsa")
        write, pull, push, read = client.write, c_out.read, s_in.write, server.read

        def run(seconds: float) -> Times:
            payload, clock = PAYLOAD, time.perf_counter
            times: Times = []
            end = clock() + seconds
            while True:
                start = clock()
                for _ in range(BATCH):
                    write(payload)
                    push(pull())
                    if len(read(RECORD)) != RECORD:
                        raise RuntimeError("short read")
                stop = clock()
                times.append((stop - start) / BATCH)
                if stop >= end:
                    return times

        return run

    def describe(self) -> str:
        client, _, _, _ = self.handshake("ecdsa")
        cipher = client.cipher()
        return f"{cipher[0] if cipher else '?'} ({client.version()})"


# -- what is measured, and the workers that measure it -----------------------------------------


@dataclass(frozen=True)
class Spec:
    """One row of the table, and what its worker runs for it."""

    name: str
    unit: str  # "hs/s": the ratio is a time ratio; "MB/s": a throughput ratio
    variant: str  # which worker (OPENSSL_CONF) runs it
    load: str  # the tlsglass Workload
    ssl_cert: str | None  # a handshake with this server certificate; None: bulk
    has_target: bool = True
    # The ssl column measures pyca's AEAD alone (seal + open of the same records), the
    # floor a Python record layer on pyca cannot go under.
    aead_floor: bool = False

    @property
    def limit(self) -> float:
        if self.load in ("resume", "resume12"):
            return RESUME_TARGET
        return HANDSHAKE_TARGET if self.unit == "hs/s" else BULK_TARGET

    def rate(self, per_op: float) -> float:
        return (RECORD / 1e6 if self.unit == "MB/s" else 1.0) / per_op


SPECS: Final = (
    Spec("handshake X25519, ECDSA P-256", "hs/s", "aes128", "ecdsa", "ecdsa"),
    Spec("handshake X25519, RSA-2048", "hs/s", "aes128", "rsa", "rsa"),
    Spec("resumed handshake psk_dhe_ke X25519", "hs/s", "aes128", "resume", "resume"),
    # OpenSSL 3.0 has no ML-KEM: the ssl side of this row is its X25519 ECDSA handshake.
    Spec("handshake X25519MLKEM768, ECDSA (ssl: X25519)", "hs/s", "aes128", "mlkem", "ecdsa",
         has_target=False),
    Spec("handshake TLS 1.2 ECDHE X25519, ECDSA P-256", "hs/s", "aes128", "ecdsa12",
         "ecdsa12"),
    Spec("handshake TLS 1.2 ECDHE X25519, RSA-2048", "hs/s", "aes128", "rsa12", "rsa12"),
    Spec("resumed handshake TLS 1.2 ticket", "hs/s", "aes128", "resume12", "resume12"),
    Spec("bulk TLS_AES_128_GCM_SHA256", "MB/s", "aes128", "aes128", None),
    Spec("bulk TLS_CHACHA20_POLY1305_SHA256", "MB/s", "chacha", "chacha", None),
    Spec("bulk TLS_AES_256_GCM_SHA384", "MB/s", "aes256", "aes256", None),
    Spec("bulk AES_128_GCM (ssl: pyca seal+open alone)", "MB/s", "aes128", "aes128", None,
         has_target=False, aead_floor=True),
    Spec("bulk CHACHA20_POLY1305 (ssl: pyca seal+open alone)", "MB/s", "chacha", "chacha",
         None, has_target=False, aead_floor=True),
)


def _interleaved(ours: Measure, theirs: Measure, seconds: float, first: int) -> tuple[
        float, float]:
    """Run both for `seconds` each, in alternating slices; the median time of each's ops."""
    slices = max(1, round(seconds / SLICE))
    ours_times: Times = []
    theirs_times: Times = []
    for index in range(slices):
        order = [(ours, ours_times), (theirs, theirs_times)]
        for measure, times in order if (index + first) % 2 == 0 else order[::-1]:
            times.extend(measure(seconds / slices))
    return statistics.median(ours_times), statistics.median(theirs_times)


def worker(certs: Path) -> None:
    """Answer one JSON request per line on stdin with one JSON line on stdout.

    Both stacks live here, so they share one process state and run in slices of a
    few milliseconds that alternate; this process's OPENSSL_CONF fixes ssl's suite.
    """
    side = SslSide(certs)
    loads = _tlsglass_workloads(certs)
    for line in sys.stdin:
        request = json.loads(line)
        reply: dict[str, Any]
        if request["op"] == "describe":
            reply = {"ssl": side.describe(),
                     "tlsglass": {name: _describe(w) for name, w in loads.items()}}
        else:
            spec = SPECS[request["spec"]]
            load = loads[spec.load]
            if spec.aead_floor:
                ours, theirs = tlsglass_bulk(load), pyca_aead(spec.load)
            elif spec.ssl_cert is None:
                ours, theirs = tlsglass_bulk(load), side.bulk()
            else:
                ours, theirs = tlsglass_handshakes(load), side.handshakes(spec.ssl_cert)
            reply = dict(zip(("tlsglass", "ssl"), _interleaved(
                ours, theirs, request["seconds"], request["first"]), strict=True))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


class Worker:
    """A worker subprocess whose OpenSSL speaks only one TLS 1.3 suite."""

    def __init__(self, certs: Path, variant: str) -> None:
        conf = certs / f"openssl-{variant}.cnf"
        conf.write_text(OPENSSL_CONF_TEMPLATE.format(suite=SSL_SUITES[variant]))
        env = dict(os.environ, OPENSSL_CONF=str(conf))
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(certs)], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker exited with {self.proc.wait()}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


# -- rounds and the table -------------------------------------------------------------------


@dataclass
class Row:
    """The per-round median operation times of one Spec, tlsglass and ssl."""

    spec: Spec
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)

    def ratios(self) -> list[float]:
        """Per round: tlsglass time / ssl time (handshakes), tlsglass / ssl MB/s (bulk)."""
        pairs = zip(self.ours, self.theirs, strict=True)
        if self.spec.unit == "hs/s":
            return [ours / theirs for ours, theirs in pairs]
        return [theirs / ours for ours, theirs in pairs]

    def target(self) -> str:
        if not self.spec.has_target:
            return ""
        return f"<= {self.spec.limit}" if self.spec.unit == "hs/s" else f">= {self.spec.limit}"

    def verdict(self, ratio: float) -> str:
        if not self.spec.has_target:
            return ""
        met = ratio <= self.spec.limit if self.spec.unit == "hs/s" else ratio >= self.spec.limit
        return "met" if met else "NOT met"


def _run_rounds(workers: dict[str, Worker], rounds: int, seconds: float,
                only: str | None = None) -> list[Row]:
    chosen = [i for i, spec in enumerate(SPECS) if only is None or only in spec.name]
    rows = [Row(SPECS[i]) for i in chosen]
    for index in chosen:  # warm-up: first calls, caches; not recorded
        workers[SPECS[index].variant].ask(op="round", spec=index, seconds=seconds / 5, first=0)
    for round_index in range(rounds):
        for index, row in zip(chosen, rows, strict=True):
            reply = workers[row.spec.variant].ask(op="round", spec=index, seconds=seconds,
                                                  first=round_index % 2)
            row.ours.append(float(reply["tlsglass"]))
            row.theirs.append(float(reply["ssl"]))
        print(f"  round {round_index + 1}/{rounds} done", flush=True)
    return rows


def _print_table(rows: list[Row]) -> None:
    header = ("metric", "unit", "tlsglass", "ssl", "ratio", "range", "target", "")
    table = [header]
    for row in rows:
        ratios = row.ratios()
        ratio = statistics.median(ratios)
        table.append((row.spec.name, row.spec.unit,
                      f"{row.spec.rate(statistics.median(row.ours)):,.0f}",
                      f"{row.spec.rate(statistics.median(row.theirs)):,.0f}",
                      f"{ratio:.2f}", f"{min(ratios):.2f}-{max(ratios):.2f}", row.target(),
                      row.verdict(ratio)))
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for n, line in enumerate(table):
        cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1]),
                 *(cell.rjust(w) for cell, w in zip(line[2:6], widths[2:6], strict=True)),
                 line[6].ljust(widths[6]), line[7]]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths[:7]))
    print(f"""
hs/s and MB/s: from the median time of one operation (a handshake; a record, timed in
batches of {BATCH}) in each round, then the median over rounds. MB = 10^6 bytes of
plaintext in 16 KiB records, client seals and server opens. ratio: handshakes tlsglass
time / ssl time (lower is better); bulk tlsglass MB/s / ssl MB/s (higher is better); the
median of the per-round ratios, the lowest and highest of which are under "range".""")


def _profile(kind: str, seconds: float) -> None:
    """cProfile tlsglass alone (no ssl): the handshake or the bulk path."""
    with tempfile.TemporaryDirectory(prefix="tlsglass-bench-") as tmp:
        certs = Path(tmp)
        _write_pem_files(certs)
        loads = _tlsglass_workloads(certs)
    run = tlsglass_handshakes(loads["ecdsa"]) if kind == "handshake" \
        else tlsglass_handshakes(loads["resume"]) if kind == "resume" \
        else tlsglass_bulk(loads["aes128"])
    run(seconds / 5)  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    count = len(run(seconds))
    profiler.disable()
    unit = "handshakes" if kind == "handshake" else f"batches of {BATCH} records"
    print(f"{count} {unit} under cProfile (which inflates Python-heavy code)\n")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run (~10 s)")
    parser.add_argument("--rounds", type=int, help="rounds per metric (default 15, quick 5)")
    parser.add_argument("--seconds", type=float,
                        help="seconds per measurement (default 0.25, quick 0.12)")
    parser.add_argument("--only", metavar="TEXT",
                        help="run only the rows whose metric contains TEXT (e.g. bulk)")
    parser.add_argument("--profile", choices=("handshake", "resume", "bulk"),
                        help="profile tlsglass's full or resumed handshake, or bulk path")
    parser.add_argument("--worker", metavar="CERT_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(Path(args.worker))
        return
    if args.profile:
        _profile(args.profile, args.seconds or 3.0)
        return
    rounds = args.rounds or (5 if args.quick else 15)
    seconds = args.seconds or (0.1 if args.quick else 0.25)

    print(f"python {platform.python_version()}, ssl with {ssl.OPENSSL_VERSION}, "
          f"tlsglass {tlsglass.__version__} with cryptography {cryptography.__version__}, "
          f"{platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="tlsglass-bench-") as tmp:
        certs = Path(tmp)
        _write_pem_files(certs)
        print(f"ssl's own TLS 1.3 suite here, unconstrained: {SslSide(certs).describe()}")
        workers = {variant: Worker(certs, variant) for variant in SSL_SUITES}
        try:
            infos = {variant: w.ask(op="describe") for variant, w in workers.items()}
            for variant, info in infos.items():
                print(f"  {variant} worker: ssl {info['ssl']}, X25519 (Groups=); "
                      f"tlsglass {info['tlsglass'][variant]}")
            tlsglass_info = infos["aes128"]["tlsglass"]
            print(f"  handshakes (aes128 worker): tlsglass {tlsglass_info['ecdsa']}; "
                  f"extra row {tlsglass_info['mlkem']}")
            print(f"{rounds} rounds x {seconds:g} s per stack and metric, in "
                  f"{SLICE * 1000:g} ms slices\n", flush=True)
            rows = _run_rounds(workers, rounds, seconds, args.only)
        finally:
            for w in workers.values():
                w.close()
    print()
    _print_table(rows)


if __name__ == "__main__":
    main()
