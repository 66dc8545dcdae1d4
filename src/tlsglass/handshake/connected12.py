"""TLS 1.2 pieces both roles share: the key derivation at ClientKeyExchange, the
Finished messages, the ServerKeyExchange signature, and the CONNECTED state.

RFC 5246 §8.1 and RFC 7627 §4 give the master secret, §6.3 the key block, §7.4.9
Finished, RFC 5705 the exporter. Renegotiation is refused (RFC 5746 is used only
to signal that): a HelloRequest or a renegotiating ClientHello is answered with a
no_renegotiation warning (RFC 5246 §7.4.1.1, §7.2.2) and the connection carries on.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import ClassVar, Final

from tlsglass._fastinit import fast_init
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo
from tlsglass.enums import AlertDescription, HandshakeType
from tlsglass.errors import DecodeError, DecryptError, UnexpectedMessage
from tlsglass.handshake.base import Output, State
from tlsglass.keyschedule import (
    export_keying_material12,
    finished_verify_data12,
    key_block12,
    master_secret12,
)
from tlsglass.wire.handshake import ClientHello, Finished, HandshakeMessage
from tlsglass.wire.handshake12 import HelloRequest

__all__ = ["Connected12", "SessionKeys12", "derive_session_keys", "finished12",
           "signed_params_content", "verify_finished12"]

# RFC 5705 §4: labels the TLS 1.2 key schedule itself uses may not be exported.
_RESERVED_EXPORTER_LABELS: Final = frozenset({b"client finished", b"server finished",
                                              b"master secret", b"key expansion",
                                              b"extended master secret"})


def signed_params_content(client_random: bytes, server_random: bytes, params: bytes) -> bytes:
    """RFC 5246 §7.4.3 / RFC 8422 §5.4: what the ServerKeyExchange signature covers."""
    return client_random + server_random + params


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SessionKeys12:
    """The master secret and the randoms it was made with: what a session is."""

    suite: SuiteInfo
    master_secret: Secret = field(repr=False)
    client_random: bytes = field(repr=False)
    server_random: bytes = field(repr=False)
    extended_master_secret: bool


def derive_session_keys(suite: SuiteInfo, pre_master_secret: bytes, ems: bool,
                        client_random: bytes, server_random: bytes,
                        out: Output) -> SessionKeys12:
    """The master secret, once the ClientKeyExchange has crossed the transcript."""
    session_hash = out.transcript.digest() if ems else None
    master = master_secret12(suite.hash_name, pre_master_secret, session_hash=session_hash,
                             client_random=client_random, server_random=server_random)
    out.log_secret("CLIENT_RANDOM", client_random, master)
    return SessionKeys12(suite=suite, master_secret=master, client_random=client_random,
                         server_random=server_random, extended_master_secret=ems)


def change_write_cipher(keys: SessionKeys12, out: Output) -> None:
    """Send ChangeCipherSpec; from here our records are protected (RFC 5246 §7.1)."""
    out.install_write_key12(keys.suite, key_block12(keys.suite, keys.master_secret,
                                                    keys.client_random, keys.server_random))


def change_read_cipher(keys: SessionKeys12, out: Output) -> None:
    out.install_read_key12(keys.suite, key_block12(keys.suite, keys.master_secret,
                                                   keys.client_random, keys.server_random))


def finished12(keys: SessionKeys12, sender: str, out: Output) -> Finished:
    """Our Finished over every handshake message so far (RFC 5246 §7.4.9)."""
    return Finished(verify_data=finished_verify_data12(
        keys.suite.hash_name, keys.master_secret, sender, out.transcript.digest()))


def verify_finished12(keys: SessionKeys12, sender: str, msg: Finished, out: Output) -> None:
    """The peer's Finished, over every message before it, compared in constant time."""
    if len(msg.verify_data) != 12:
        raise DecodeError(f"Finished of {len(msg.verify_data)} bytes, not 12 (RFC 5246 §7.4.9)")
    expected = finished_verify_data12(keys.suite.hash_name, keys.master_secret, sender,
                                      out.transcript.digest_before_last())
    if not hmac.compare_digest(expected, msg.verify_data):
        raise DecryptError(f"{sender} Finished does not match the handshake (RFC 5246 §7.4.9)")


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Connected12(State):
    """CONNECTED in TLS 1.2: application data flows; renegotiation is refused."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.HELLO_REQUEST, HandshakeType.CLIENT_HELLO})
    in_transcript: ClassVar[bool] = False
    can_send_application_data: ClassVar[bool] = True
    can_receive_application_data: ClassVar[bool] = True
    tls12: ClassVar[bool] = True

    role: str
    keys: SessionKeys12

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        # A HelloRequest comes only from a server, a ClientHello only from a client.
        expected = HelloRequest if self.role == "client" else ClientHello
        if not isinstance(msg, expected):
            raise UnexpectedMessage(f"{type(msg).__name__} after the handshake")
        if not out.write_closed:
            out.send_warning_alert(AlertDescription.NO_RENEGOTIATION)
        return self

    def export(self, label: bytes, context: bytes | None, length: int) -> bytes:
        """RFC 5705 §4 keying material; None and b"" are different contexts."""
        if label in _RESERVED_EXPORTER_LABELS:
            raise ValueError(f"exporter label {label!r} is reserved (RFC 5705 §4)")
        k = self.keys
        return export_keying_material12(k.suite.hash_name, k.master_secret, label, context,
                                        k.client_random, k.server_random, length)
