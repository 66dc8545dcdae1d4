"""The TLS 1.3 key-schedule steps both roles take at the same points of the handshake.

After the ServerHello both sides derive the handshake traffic secrets; after the
server's Finished, the application and exporter secrets. Each step logs its
secrets to the key log (NSS labels) and returns them; which key goes where is the
caller's business, because client and server read and write opposite ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tlsglass._fastinit import fast_init
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo
from tlsglass.handshake.base import Output
from tlsglass.keyschedule import EarlySecret, HandshakeSecret, MasterSecret

__all__ = ["ApplicationSecrets", "HandshakeKeys", "application_secrets", "handshake_keys"]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class HandshakeKeys:
    """The handshake secret and both handshake traffic secrets (§7.1)."""

    suite: SuiteInfo
    handshake_secret: HandshakeSecret = field(repr=False)
    client_handshake_secret: Secret = field(repr=False)
    server_handshake_secret: Secret = field(repr=False)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationSecrets:
    master: MasterSecret = field(repr=False)
    client: Secret = field(repr=False)
    server: Secret = field(repr=False)
    exporter: Secret = field(repr=False)


def handshake_keys(suite: SuiteInfo, shared_secret: bytes | None, client_random: bytes,
                   out: Output, early: EarlySecret | None = None) -> HandshakeKeys:
    """§7.1 over ClientHello..ServerHello; the transcript hash must already be chosen.

    `early` carries the PSK when one was accepted; `shared_secret` is None in psk_ke.
    """
    transcript_hash = out.transcript.digest()
    early = early or EarlySecret.start(suite.hash_name)
    hs = early.handshake_secret(shared_secret)
    client_secret = hs.client_handshake_traffic_secret(transcript_hash)
    server_secret = hs.server_handshake_traffic_secret(transcript_hash)
    out.log_secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_random, client_secret)
    out.log_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", client_random, server_secret)
    return HandshakeKeys(suite=suite, handshake_secret=hs, client_handshake_secret=client_secret,
                         server_handshake_secret=server_secret)


def application_secrets(keys: HandshakeKeys, client_random: bytes,
                        out: Output) -> ApplicationSecrets:
    """§7.1 over ClientHello..server Finished: the traffic secrets _0 and the exporter's."""
    transcript_hash = out.transcript.digest()
    master = keys.handshake_secret.master_secret()
    secrets = ApplicationSecrets(
        master=master,
        client=master.client_application_traffic_secret_0(transcript_hash),
        server=master.server_application_traffic_secret_0(transcript_hash),
        exporter=master.exporter_master_secret(transcript_hash))
    out.log_secret("SERVER_TRAFFIC_SECRET_0", client_random, secrets.server)
    out.log_secret("CLIENT_TRAFFIC_SECRET_0", client_random, secrets.client)
    out.log_secret("EXPORTER_SECRET", client_random, secrets.exporter)
    return secrets
