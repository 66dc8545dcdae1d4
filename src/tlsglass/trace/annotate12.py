"""Labelled bytes of TLS 1.2's key-exchange messages, whose bodies depend on the suite.

ServerKeyExchange and ClientKeyExchange decode to one opaque `body` (their form
depends on the key exchange the ServerHello chose), so annotate.py, which reads
the dataclass, can only show it whole. Given the key exchange, this module decodes
the body with the wire room's codecs and labels its fields as RFC 5246 §7.4.3 /
§7.4.7 and RFC 8422 §5.4 / §5.7 name them. A body that does not decode for that key
exchange gets None, and the caller falls back to the generic annotation.
"""

from __future__ import annotations

from tlsglass import TLSError
from tlsglass.enums import HandshakeType, NamedGroup, SignatureScheme, describe
from tlsglass.trace.annotate import ByteField
from tlsglass.wire import (
    EC_CURVE_TYPE_NAMED_CURVE,
    ClientKeyExchange,
    DheClientPublic,
    DheServerParams,
    EcdheClientPublic,
    EncryptedPreMasterSecret,
    HandshakeMessage,
    ServerKeyExchange,
    SignedParams,
)

__all__ = ["annotate_key_exchange"]

_Layout = list[tuple[str, int, str]]  # (label, size in bytes, value for people)


def annotate_key_exchange(msg: HandshakeMessage, raw: bytes, key_exchange: str
                          ) -> tuple[ByteField, ...] | None:
    """Every byte of a ServerKeyExchange or ClientKeyExchange, or None if not decodable."""
    try:
        if isinstance(msg, ServerKeyExchange):
            layout = _server_layout(msg.body, key_exchange)
        elif isinstance(msg, ClientKeyExchange):
            layout = _client_layout(msg.body, key_exchange)
        else:
            return None
    except TLSError:
        return None
    if 4 + sum(size for _, size, _ in layout) != len(raw):
        return None
    fields = [ByteField(start=0, end=1, label="msg_type",
                        value=describe(HandshakeType, raw[0]), depth=0, data=raw[:1]),
              ByteField(start=1, end=4, label="length", value=str(len(raw) - 4), depth=0,
                        data=raw[1:4])]
    at = 4
    for label, size, value in layout:
        fields.append(ByteField(start=at, end=at + size, label=label, value=value, depth=0,
                                data=raw[at:at + size]))
        at += size
    return tuple(fields)


def _server_layout(body: bytes, key_exchange: str) -> _Layout:
    signed, _ = SignedParams.from_body(body, dhe=key_exchange == "DHE")
    params = signed.params
    if isinstance(params, DheServerParams):
        layout: _Layout = [
            ("dh_p", 2 + len(params.dh_p), f"{len(params.dh_p) * 8}-bit prime"),
            ("dh_g", 2 + len(params.dh_g), params.dh_g.hex()),
            ("dh_Ys", 2 + len(params.dh_ys), f"{len(params.dh_ys)} bytes: the server's public "
                                             "value")]
    else:
        layout = [
            ("curve_type", 1, f"named_curve ({EC_CURVE_TYPE_NAMED_CURVE})"),
            ("named_curve", 2, describe(NamedGroup, params.named_curve)),
            ("public", 1 + len(params.public), f"{len(params.public)} bytes: the server's "
                                               "ephemeral public key")]
    return [*layout, ("algorithm", 2, describe(SignatureScheme, signed.algorithm)),
            ("signature", 2 + len(signed.signature),
             f"{len(signed.signature)} bytes over client_random + server_random + params")]


def _client_layout(body: bytes, key_exchange: str) -> _Layout:
    if key_exchange == "RSA":
        encrypted = EncryptedPreMasterSecret.from_body(body).encrypted
        return [("EncryptedPreMasterSecret", 2 + len(encrypted),
                 f"{len(encrypted)} bytes: the premaster secret under the server's RSA key")]
    if key_exchange == "DHE":
        dh_yc = DheClientPublic.from_body(body).dh_yc
        return [("dh_Yc", 2 + len(dh_yc), f"{len(dh_yc)} bytes: the client's public value")]
    ecdh_yc = EcdheClientPublic.from_body(body).ecdh_yc
    return [("ecdh_Yc", 1 + len(ecdh_yc), f"{len(ecdh_yc)} bytes: the client's ephemeral "
                                          "public key")]
