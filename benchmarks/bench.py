"""tlsglass against Python's ssl (OpenSSL): handshakes per second and bulk throughput.

    .venv/bin/python benchmarks/bench.py            # ~1 minute
    .venv/bin/python benchmarks/bench.py --quick    # ~10 seconds

Both stacks run client and server in one process with no sockets: tlsglass as two
`Connection`s shuttling bytes, ssl as two `SSLObject`s over `MemoryBIO` pairs, with
the same certificates (a P-256 CA; P-256 and RSA-2048 leaves for "localhost"), the
client verifying the chain and the name, TLS 1.3 only, X25519.

Python's ssl cannot choose TLS 1.3 cipher suites (`set_ciphers` is TLS 1.2 only),
so each ssl measurement runs in a worker subprocess started with `OPENSSL_CONF`
pointing at a throwaway config whose `Ciphersuites =` line names the one suite
(and `Groups = X25519`); the worker reports which suite was in fact negotiated.
tlsglass runs in this process. Rounds alternate, tlsglass then ssl, for every
metric in turn, so machine noise falls on both alike; each round runs for a fixed
time and the table shows medians. A ratio is the median of the per-round ratios.

The structure of a run (metrics, rounds, order) is fixed; the numbers are not,
and nothing here asserts a timing (STYLE convention 15).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import cryptography
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import tlsglass
from tlsglass import (
    ApplicationData,
    CertifiedKey,
    CipherSuite,
    ClientConfig,
    Connection,
    NamedGroup,
    ServerConfig,
)

RECORD: Final = 16 * 1024
PAYLOAD: Final = os.urandom(RECORD)
HOST: Final = "localhost"

# The ssl worker variants: one OPENSSL_CONF each, pinning the TLS 1.3 suite.
SSL_SUITES: Final = {
    "aes128": "TLS_AES_128_GCM_SHA256",
    "aes256": "TLS_AES_256_GCM_SHA384",
    "chacha": "TLS_CHACHA20_POLY1305_SHA256",
}
TLSGLASS_SUITES: Final = {
    "aes128": CipherSuite.TLS_AES_128_GCM_SHA256,
    "aes256": CipherSuite.TLS_AES_256_GCM_SHA384,
    "chacha": CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
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
Groups = X25519
"""


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


# -- the tlsglass side (this process) ------------------------------------------------------


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


def tlsglass_handshakes(w: Workload, seconds: float) -> tuple[int, float]:
    """Full handshakes until `seconds` have passed: (count, elapsed)."""
    count = 0
    start = time.perf_counter()
    while True:
        _tlsglass_handshake(w)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count, elapsed


def tlsglass_bulk(w: Workload, seconds: float) -> tuple[int, float]:
    """16 KiB records, client seals and server opens: (records, elapsed)."""
    client, server = _tlsglass_handshake(w)
    send, pull, receive = client.send_application_data, client.data_to_send, server.receive_data
    payload = PAYLOAD
    count = 0
    start = time.perf_counter()
    while True:
        for _ in range(16):
            send(payload)
            (event,) = receive(pull())
            if not isinstance(event, ApplicationData) or len(event.data) != RECORD:
                raise RuntimeError(f"unexpected event {event!r}")
        count += 16
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count, elapsed


def _tlsglass_workloads(certs: Path) -> dict[str, Workload]:
    x25519 = {"groups": (NamedGroup.X25519,), "key_share_groups": (NamedGroup.X25519,)}
    ecdsa = CertifiedKey.from_files(certs / "ecdsa.pem", certs / "ecdsa.key")
    rsa_key = CertifiedKey.from_files(certs / "rsa.pem", certs / "rsa.key")
    ca = certs / "ca.pem"

    def client(**options: Any) -> ClientConfig:
        return ClientConfig.for_server(HOST, ca_file=ca, **options)

    loads = {
        "ecdsa": Workload(client(**x25519), ServerConfig(certificates=(ecdsa,))),
        "rsa": Workload(client(**x25519), ServerConfig(certificates=(rsa_key,))),
        "mlkem": Workload(client(), ServerConfig(certificates=(ecdsa,))),
    }
    for name, suite in TLSGLASS_SUITES.items():
        loads[name] = Workload(client(cipher_suites=(suite,), **x25519),
                               ServerConfig(certificates=(ecdsa,)))
    return loads


def _describe(w: Workload) -> str:
    client, _ = _tlsglass_handshake(w)
    suite = CipherSuite(client.cipher_suite).name if client.cipher_suite is not None else "?"
    group = NamedGroup(client.group).name if client.group is not None else "?"
    return f"{suite}, {group}"


# -- the ssl side (worker subprocesses) -----------------------------------------------------


class SslSide:
    """Client and server contexts for one OPENSSL_CONF; runs the ssl half of each round."""

    def __init__(self, certs: Path) -> None:
        self.client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies chain and name
        self.client.minimum_version = ssl.TLSVersion.TLSv1_3
        self.client.load_verify_locations(certs / "ca.pem")
        self.servers: dict[str, ssl.SSLContext] = {}
        for stem in ("ecdsa", "rsa"):
            server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server.minimum_version = ssl.TLSVersion.TLSv1_3
            server.num_tickets = 0  # tlsglass sends no NewSessionTicket either
            server.load_cert_chain(certs / f"{stem}.pem", certs / f"{stem}.key")
            self.servers[stem] = server

    def handshake(self, cert: str) -> tuple[ssl.SSLObject, ssl.MemoryBIO, ssl.SSLObject,
                                            ssl.MemoryBIO]:
        c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
        client = self.client.wrap_bio(c_in, c_out, server_hostname=HOST)
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

    def handshakes(self, cert: str, seconds: float) -> tuple[int, float]:
        count = 0
        start = time.perf_counter()
        while True:
            self.handshake(cert)
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return count, elapsed

    def bulk(self, seconds: float) -> tuple[int, float]:
        client, c_out, server, s_in = self.handshake("ecdsa")
        write, pull, push, read = client.write, c_out.read, s_in.write, server.read
        payload = PAYLOAD
        count = 0
        start = time.perf_counter()
        while True:
            for _ in range(16):
                write(payload)
                push(pull())
                if len(read(RECORD)) != RECORD:
                    raise RuntimeError("short read")
            count += 16
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return count, elapsed

    def describe(self) -> str:
        client, _, _, _ = self.handshake("ecdsa")
        cipher = client.cipher()
        return f"{cipher[0] if cipher else '?'} ({client.version()})"


def worker(certs: Path) -> None:
    """Answer one JSON request per line on stdin with one JSON line on stdout."""
    side = SslSide(certs)
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        reply: dict[str, Any]
        if op == "describe":
            reply = {"info": side.describe()}
        elif op == "handshake":
            count, elapsed = side.handshakes(request["cert"], request["seconds"])
            reply = {"count": count, "elapsed": elapsed}
        elif op == "bulk":
            count, elapsed = side.bulk(request["seconds"])
            reply = {"count": count, "elapsed": elapsed}
        else:
            raise ValueError(op)
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
        stdin, stdout = self._pipes()
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"ssl worker exited with {self.proc.wait()}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _pipes(self) -> tuple[TextIO, TextIO]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        return self.proc.stdin, self.proc.stdout

    def close(self) -> None:
        stdin, stdout = self._pipes()
        stdin.close()
        self.proc.wait(timeout=10)
        stdout.close()


# -- rounds and the table -------------------------------------------------------------------


Measure = Callable[[float], tuple[int, float]]


@dataclass
class Metric:
    """One row: a tlsglass and (usually) an ssl measurement, run in alternate rounds."""

    name: str
    unit: str  # "hs/s" (ratio is a time ratio) or "MB/s" (ratio is a throughput ratio)
    ours: Measure
    theirs: Measure | None
    target: str = ""
    ours_rates: list[float] = field(default_factory=list)
    theirs_rates: list[float] = field(default_factory=list)
    reference: Metric | None = None  # for a row ssl has no counterpart for

    def rate(self, count: int, elapsed: float) -> float:
        scale = RECORD / 1e6 if self.unit == "MB/s" else 1.0
        return count * scale / elapsed

    def ratio(self) -> float | None:
        if self.theirs is None and self.reference is None:
            return None
        theirs = self.theirs_rates if self.theirs is not None else \
            self.reference.theirs_rates if self.reference is not None else []
        pairs = list(zip(self.ours_rates, theirs, strict=False))
        if not pairs:
            return None
        if self.unit == "hs/s":  # time per handshake, tlsglass / ssl
            return statistics.median(t / o for o, t in pairs)
        return statistics.median(o / t for o, t in pairs)


def _ssl_measure(w: Worker, **request: Any) -> Measure:
    def measure(seconds: float) -> tuple[int, float]:
        reply = w.ask(seconds=seconds, **request)
        return int(reply["count"]), float(reply["elapsed"])

    return measure


def _build_metrics(loads: dict[str, Workload], workers: dict[str, Worker]) -> list[Metric]:
    def hs(name: str) -> Measure:
        return lambda s: tlsglass_handshakes(loads[name], s)

    def bulk(name: str) -> Measure:
        return lambda s: tlsglass_bulk(loads[name], s)

    handshake_target = "time <= 1.2x"
    bulk_target = "thru >= 0.9x"
    ecdsa = Metric("handshake X25519, ECDSA P-256", "hs/s", hs("ecdsa"),
                   _ssl_measure(workers["aes128"], op="handshake", cert="ecdsa"),
                   handshake_target)
    return [
        ecdsa,
        Metric("handshake X25519, RSA-2048", "hs/s", hs("rsa"),
               _ssl_measure(workers["aes128"], op="handshake", cert="rsa"), handshake_target),
        Metric("handshake X25519MLKEM768, ECDSA (vs ssl X25519)", "hs/s", hs("mlkem"), None,
               reference=ecdsa),
        Metric("bulk TLS_AES_128_GCM_SHA256", "MB/s", bulk("aes128"),
               _ssl_measure(workers["aes128"], op="bulk"), bulk_target),
        Metric("bulk TLS_CHACHA20_POLY1305_SHA256", "MB/s", bulk("chacha"),
               _ssl_measure(workers["chacha"], op="bulk"), bulk_target),
        Metric("bulk TLS_AES_256_GCM_SHA384", "MB/s", bulk("aes256"),
               _ssl_measure(workers["aes256"], op="bulk"), bulk_target),
    ]


def _run_rounds(metrics: list[Metric], rounds: int, seconds: float) -> None:
    for m in metrics:  # warm-up: imports, caches, first-call costs; not recorded
        m.ours(seconds / 10)
        if m.theirs is not None:
            m.theirs(seconds / 10)
    for index in range(rounds):
        for m in metrics:
            # Alternate which stack goes first, so neither always follows the other.
            order = [(m.ours, m.ours_rates), (m.theirs, m.theirs_rates)]
            for measure, rates in order if index % 2 == 0 else order[::-1]:
                if measure is not None:
                    rates.append(m.rate(*measure(seconds)))
        print(f"  round {index + 1}/{rounds} done", flush=True)


def _fmt_rate(rates: list[float]) -> str:
    if not rates:
        return "-"
    return f"{statistics.median(rates):,.0f}"


def _verdict(m: Metric, ratio: float | None) -> str:
    if ratio is None or not m.target:
        return ""
    met = ratio <= 1.2 if m.unit == "hs/s" else ratio >= 0.9
    return "met" if met else "NOT met"


def _print_table(metrics: list[Metric]) -> None:
    header = ("metric", "unit", "tlsglass", "ssl", "ratio", "target", "")
    rows = [header]
    for m in metrics:
        ratio = m.ratio()
        ratio_text = "-" if ratio is None else f"{ratio:.2f}"
        rows.append((m.name, m.unit, _fmt_rate(m.ours_rates), _fmt_rate(m.theirs_rates),
                     ratio_text, m.target, _verdict(m, ratio)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                 *(c.rjust(w) for c, w in zip(row[2:5], widths[2:5], strict=True)),
                 row[5].ljust(widths[5]), row[6]]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths[:6]))
    print("\nratio: handshakes = tlsglass time / ssl time (lower is better); "
          "bulk = tlsglass MB/s / ssl MB/s (higher is better);\n"
          "       the median of per-round ratios. MB = 10^6 bytes of plaintext, "
          "16 KiB per record, client seals and server opens.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run (~10 s)")
    parser.add_argument("--rounds", type=int, help="rounds per metric (default 7, quick 3)")
    parser.add_argument("--seconds", type=float, help="seconds per measurement")
    parser.add_argument("--worker", metavar="CERT_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(Path(args.worker))
        return
    rounds = args.rounds or (3 if args.quick else 7)
    seconds = args.seconds or (0.18 if args.quick else 0.6)

    with tempfile.TemporaryDirectory(prefix="tlsglass-bench-") as tmp:
        certs = Path(tmp)
        _write_pem_files(certs)
        workers = {variant: Worker(certs, variant) for variant in SSL_SUITES}
        try:
            loads = _tlsglass_workloads(certs)
            default_pick = SslSide(certs).describe()  # this process: no OPENSSL_CONF of ours
            print(f"python {platform.python_version()}, {ssl.OPENSSL_VERSION} (ssl), "
                  f"cryptography {cryptography.__version__} (tlsglass {tlsglass.__version__}), "
                  f"{platform.machine()}")
            print(f"ssl's own TLS 1.3 choice here: {default_pick}")
            for variant in SSL_SUITES:
                print(f"  {variant}: tlsglass {_describe(loads[variant])}; "
                      f"ssl {workers[variant].ask(op='describe')['info']}, X25519 (Groups=)")
            print(f"  handshakes: tlsglass {_describe(loads['ecdsa'])}, "
                  f"extra row {_describe(loads['mlkem'])}")
            print(f"{rounds} rounds x {seconds:g} s per stack and metric\n", flush=True)
            metrics = _build_metrics(loads, workers)
            _run_rounds(metrics, rounds, seconds)
        finally:
            for w in workers.values():
                w.close()
    print()
    _print_table(metrics)


if __name__ == "__main__":
    main()
