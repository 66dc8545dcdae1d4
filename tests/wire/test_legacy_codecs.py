"""Convention 4 for wire/legacy.py (CertificateStatus and status_request, RFC 6066 §8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import mutations, opaque
from tlsglass.errors import DecodeError
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.legacy import CertificateStatus, CertificateStatusRequest

_STRATEGIES: Final[dict[str, st.SearchStrategy[Any]]] = {
    "CertificateStatus": st.builds(CertificateStatus, response=opaque(1, 1 << 24)),
}

_DECODERS: Final[dict[str, Callable[[Reader], Any]]] = {
    "CertificateStatus": CertificateStatus.decode,
}


def _encode(value: Any) -> bytes:
    w = Writer()
    value.encode(w)
    return w.getvalue()


def _decode(name: str, data: bytes) -> Any:
    r = Reader(data)
    value = _DECODERS[name](r)
    r.finish(name)
    return value


@pytest.mark.parametrize("name", sorted(_STRATEGIES))
@given(data=st.data())
def test_round_trip(name: str, data: st.DataObject) -> None:
    value = data.draw(_STRATEGIES[name])
    encoded = _encode(value)
    assert _decode(name, encoded) == value
    assert _encode(_decode(name, encoded)) == encoded


@pytest.mark.parametrize("name", sorted(_STRATEGIES))
@given(data=st.data())
def test_damaged_bytes_decode_or_raise_decode_error(name: str, data: st.DataObject) -> None:
    damaged = data.draw(st.one_of(st.binary(max_size=64),
                                  mutations(_STRATEGIES[name].map(_encode))))
    try:
        value = _decode(name, damaged)
    except DecodeError:
        return
    assert _encode(value) == damaged


@given(value=st.builds(CertificateStatusRequest, responder_id_list=st.lists(
    opaque(1, 30), max_size=3).map(tuple), request_extensions=opaque(0, 20)))
def test_status_request_round_trip(value: CertificateStatusRequest) -> None:
    w = Writer()
    value.encode_body(w)
    r = Reader(w.getvalue())
    assert CertificateStatusRequest.decode_body(r) == value
    assert r.at_end()


def test_status_type_other_than_ocsp_is_refused() -> None:
    with pytest.raises(DecodeError, match="CertificateStatusType 2"):
        _decode("CertificateStatus", b"\x02\x00\x00\x01\x00")
