"""Convention 4's three properties for the TLS 1.2 messages and key-exchange bodies.

- decode(encode(x)) == x for every value the strategies make;
- bytes that decode re-encode to the same bytes;
- arbitrary bytes (and damaged valid encodings) decode or raise DecodeError, nothing else.
"""

from __future__ import annotations

from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import (
    TLS12_BODY_STRATEGIES,
    TLS12_MESSAGE_STRATEGIES,
    mutations,
    signed_dhe_params,
    signed_params,
)
from tlsglass.errors import DecodeError
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.handshake import HANDSHAKE_HEADER_LEN, HandshakeMessage, encode_handshake
from tlsglass.wire.handshake12 import SignedParams, decode_handshake12

PER_TYPE = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _body(msg: HandshakeMessage) -> bytes:
    return encode_handshake(msg)[HANDSHAKE_HEADER_LEN:]


def _encode(value: Any) -> bytes:
    w = Writer()
    value.encode(w)
    return w.getvalue()


def _decode_exact(cls: Any, data: bytes) -> Any:
    r = Reader(data)
    value = cls.decode(r)
    r.finish()
    return value


_DAMAGED: Final = {name: mutations(strategy.map(_body))
                   for name, strategy in TLS12_MESSAGE_STRATEGIES.items()}


@pytest.mark.parametrize("name", sorted(TLS12_MESSAGE_STRATEGIES))
@PER_TYPE
@given(data=st.data())
def test_message_codec(name: str, data: st.DataObject) -> None:
    msg = data.draw(TLS12_MESSAGE_STRATEGIES[name])
    assert decode_handshake12(msg.msg_type, _body(msg)) == msg
    body = data.draw(_DAMAGED[name] | st.binary(max_size=40))
    try:
        again = decode_handshake12(msg.msg_type, body)
    except DecodeError:
        return
    assert _body(again) == body


_BODIES: Final = sorted(TLS12_BODY_STRATEGIES, key=lambda c: str(getattr(c, "__name__", "")))


@pytest.mark.parametrize("cls", _BODIES, ids=lambda c: getattr(c, "__name__", "?"))
@PER_TYPE
@given(data=st.data())
def test_key_exchange_body_codec(cls: type, data: st.DataObject) -> None:
    value = data.draw(TLS12_BODY_STRATEGIES[cls])
    assert _decode_exact(cls, _encode(value)) == value
    raw = data.draw(mutations(st.just(_encode(value))) | st.binary(max_size=40))
    try:
        again = _decode_exact(cls, raw)
    except DecodeError:
        return
    assert _encode(again) == raw


@PER_TYPE
@given(msg_type=st.integers(0, 255), body=st.binary(max_size=64))
def test_any_bytes_decode_or_decode_error(msg_type: int, body: bytes) -> None:
    """Any type byte and body: a message that re-encodes to the same bytes, or DecodeError."""
    try:
        msg = decode_handshake12(msg_type, body)
    except DecodeError:
        return
    assert msg.msg_type == msg_type
    assert _body(msg) == body


@PER_TYPE
@given(signed=signed_dhe_params(), ecdhe=signed_params())
def test_server_key_exchange_bodies_split_params_from_signature(
        signed: SignedParams, ecdhe: SignedParams) -> None:
    """from_body returns the params exactly as sent: what the signature covers (§7.4.3)."""
    for value, dhe in ((signed, True), (ecdhe, False)):
        body = _encode(value)
        decoded, params = SignedParams.from_body(body, dhe=dhe)
        assert decoded == value
        assert params == _encode(value.params)
