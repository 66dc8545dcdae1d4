"""TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2): the server's side.

(The client's answer is in client_auth13.py.) The
transcript of each exchange is the whole handshake followed by that exchange's
own messages (§4.4 table: Handshake Context = ClientHello ... client Finished +
CertificateRequest), and the Finished key comes from the current
client_application_traffic_secret_N. Each exchange hashes a fork of the
handshake transcript, fed only by the dispatcher (`transcript_for`) and by the
bytes `Output.send` returns; the handshake's own transcript never changes.

The server asks through `Connection.request_client_certificate()` (one request
at a time) and walks PostAuthWaitCert -> PostAuthWaitCV -> PostAuthWaitFinished,
all of them Connected: application data and KeyUpdate keep flowing meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import ClassVar

from tlsglass._fastinit import fast_init
from tlsglass.config import ServerConfig
from tlsglass.crypto import sign
from tlsglass.enums import HandshakeType, SignatureScheme, describe
from tlsglass.errors import (
    DecodeError,
    DecryptError,
    IllegalParameter,
)
from tlsglass.events import PostHandshakeAuthComplete
from tlsglass.handshake.base import Negotiated, Output, State, decide
from tlsglass.handshake.connected13 import Connected, certificate_verify_content
from tlsglass.handshake.server import verify_client
from tlsglass.handshake.server13 import certificate_request
from tlsglass.keyschedule import verify_finished
from tlsglass.transcript import Transcript
from tlsglass.wire.handshake import (
    Certificate,
    CertificateVerify,
    Finished,
    HandshakeMessage,
)
from tlsglass.x509 import Certificate as X509Certificate

__all__ = ["PostAuthWaitCV", "PostAuthWaitCert", "PostAuthWaitFinished",
           "start_post_handshake_auth"]

_CONTEXT_LEN = 16  # unique per connection (§4.3.2): random, from the config's entropy


def _connected_fields(state: Connected) -> dict[str, object]:
    return {f.name: getattr(state, f.name) for f in fields(Connected)}


# -- server ----------------------------------------------------------------------------


def start_post_handshake_auth(state: Connected, config: ServerConfig, negotiated: Negotiated,
                              out: Output, entropy: bytes) -> State:
    """Send a CertificateRequest with a fresh context; the caller checked it may (§4.6.2)."""
    transcript = out.transcript.fork()
    context = entropy[:_CONTEXT_LEN]
    transcript.add(out.send(certificate_request(config, context)))
    return PostAuthWaitCert(config=config, negotiated=negotiated, transcript=transcript,
                            certificate_request_context=context, **_connected_fields(state))  # type: ignore[arg-type]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _PostAuth(Connected):
    """What the server holds while its post-handshake CertificateRequest is outstanding."""

    config: ServerConfig = field(repr=False)
    negotiated: Negotiated
    transcript: Transcript = field(repr=False, compare=False)
    certificate_request_context: bytes

    def transcript_for(self, msg_type: int, out: Output) -> Transcript | None:
        return None if msg_type == HandshakeType.KEY_UPDATE else self.transcript

    def _carry(self) -> dict[str, object]:
        return {"config": self.config, "negotiated": self.negotiated,
                "transcript": self.transcript,
                "certificate_request_context": self.certificate_request_context,
                **_connected_fields(self)}


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PostAuthWaitCert(_PostAuth):
    """The client's Certificate, answering our request (§4.4.2)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.KEY_UPDATE, HandshakeType.CERTIFICATE})

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        if not isinstance(msg, Certificate):
            return Connected.handle(self, msg, out)
        if msg.certificate_request_context != self.certificate_request_context:
            raise IllegalParameter("client Certificate answers a request we did not send")
        if not msg.certificate_list:
            decide(out, "client_certificate", "none", (), "the client declined (§4.6.2)")
            return PostAuthWaitFinished(**self._carry())  # type: ignore[arg-type]
        chain = tuple(X509Certificate.from_der(e.cert_data) for e in msg.certificate_list)
        verify_client(self.config, chain, out)
        return PostAuthWaitCV(chain=chain, **self._carry())  # type: ignore[arg-type]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PostAuthWaitCV(_PostAuth):
    """The client proves it holds its certificate's key (§4.4.3)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.KEY_UPDATE, HandshakeType.CERTIFICATE_VERIFY})
    chain: tuple[X509Certificate, ...] = field(repr=False)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        if not isinstance(msg, CertificateVerify):
            return Connected.handle(self, msg, out)
        if msg.algorithm not in self.config.signature_schemes:
            raise IllegalParameter(
                f"client CertificateVerify uses {describe(SignatureScheme, msg.algorithm)}, "
                "which we did not ask for")
        content = certificate_verify_content("client", self.transcript.digest_before_last())
        if not sign.verify(msg.algorithm, self.chain[0].public_key, content, msg.signature):
            raise DecryptError("client CertificateVerify signature does not verify")
        return PostAuthWaitFinished(chain=self.chain, **self._carry())  # type: ignore[arg-type]


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class PostAuthWaitFinished(_PostAuth):
    """The client's Finished over this exchange, keyed by its current traffic secret (§4.4)."""

    expects: ClassVar[frozenset[HandshakeType]] = frozenset(
        {HandshakeType.KEY_UPDATE, HandshakeType.FINISHED})
    chain: tuple[X509Certificate, ...] = field(default=(), repr=False)

    def handle(self, msg: HandshakeMessage, out: Output) -> State:
        if not isinstance(msg, Finished):
            return Connected.handle(self, msg, out)
        suite = self.suite
        if len(msg.verify_data) != suite.hash_len:
            raise DecodeError(f"Finished of {len(msg.verify_data)} bytes, not {suite.hash_len}")
        if not verify_finished(suite.hash_name, self.client_secret,
                               self.transcript.digest_before_last(), msg.verify_data):
            raise DecryptError("client Finished does not match the post-handshake transcript")
        if self.chain:
            out.update(replace(self.negotiated, peer_certificates=self.chain))
        out.emit(PostHandshakeAuthComplete(
            certificate_request_context=self.certificate_request_context,
            peer_certificates=self.chain))
        return Connected(**_connected_fields(self))  # type: ignore[arg-type]
