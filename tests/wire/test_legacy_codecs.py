"""Convention 4 for wire/legacy.py (the pre-1.3 plaintext messages the scanner reads).

Strategies live here rather than in tests/strategies.py until the TLS 1.2 branch's
codecs are reconciled with these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import mutations, opaque, uint
from tlsglass.errors import DecodeError
from tlsglass.wire.buffer import Reader, Writer
from tlsglass.wire.legacy import (
    Certificate12,
    CertificateStatus,
    CertificateStatusRequest,
    DigitallySigned,
    ServerHelloDone,
    ServerKeyExchangeDhe,
    ServerKeyExchangeEcdhe,
)

_STRATEGIES: Final[dict[str, st.SearchStrategy[Any]]] = {
    "Certificate12": st.builds(Certificate12, certificate_list=st.lists(
        opaque(1, 1 << 24), max_size=4).map(tuple)),
    "ServerKeyExchangeEcdhe": st.builds(ServerKeyExchangeEcdhe, named_curve=uint(2),
                                        public=opaque(1, 255), signed_params=opaque(0, 60)),
    "ServerKeyExchangeDhe": st.builds(ServerKeyExchangeDhe, dh_p=opaque(1, 300, 300),
                                      dh_g=opaque(1, 4), dh_ys=opaque(1, 60),
                                      signed_params=opaque(0, 60)),
    "DigitallySigned": st.builds(DigitallySigned, algorithm=uint(2), signature=opaque(0, 80)),
    "CertificateStatus": st.builds(CertificateStatus, response=opaque(1, 1 << 24)),
    "ServerHelloDone": st.just(ServerHelloDone()),
}

_DECODERS: Final[dict[str, Callable[[Reader], Any]]] = {
    "Certificate12": Certificate12.decode,
    "ServerKeyExchangeEcdhe": ServerKeyExchangeEcdhe.decode,
    "ServerKeyExchangeDhe": ServerKeyExchangeDhe.decode,
    "DigitallySigned": DigitallySigned.decode,
    "CertificateStatus": CertificateStatus.decode,
    "ServerHelloDone": ServerHelloDone.decode,
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


def test_dhe_prime_bits_counts_significant_bits() -> None:
    ske = ServerKeyExchangeDhe(dh_p=b"\x00\x80" + bytes(127), dh_g=b"\x02", dh_ys=b"\x01")
    assert ske.prime_bits == 1024


def test_explicit_curves_are_refused() -> None:
    with pytest.raises(DecodeError, match="not named_curve"):
        _decode("ServerKeyExchangeEcdhe", b"\x01\x00\x17\x01\x04")


def test_status_type_other_than_ocsp_is_refused() -> None:
    with pytest.raises(DecodeError, match="CertificateStatusType 2"):
        _decode("CertificateStatus", b"\x02\x00\x00\x01\x00")
