"""What the CA reads from people and files is untrusted: it is accepted or refused with
CAError, never another exception (names, CSRs, index files)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlsglass.ca import CAError, LocalCA
from tlsglass.ca.build import parse_names
from tlsglass.ca.csr import read_csr

_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@given(st.lists(st.text(max_size=80), min_size=1, max_size=4))
def test_any_text_is_a_name_or_a_clear_refusal(names: list[str]) -> None:
    try:
        parsed = parse_names(names)
    except CAError as exc:
        assert str(exc)
    else:
        assert parsed.dns_names or parsed.ip_addresses


@given(st.lists(_LABEL, min_size=2, max_size=5))
def test_dns_names_survive(labels: list[str]) -> None:
    name = ".".join([*labels[:-1], "test"])
    assert parse_names([name]).dns_names == (name,)


@given(st.ip_addresses())
def test_ip_addresses_survive(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert parse_names([str(ip)]).ip_addresses == (ip,)


@settings(max_examples=200)
@given(st.binary(max_size=600))
def test_random_bytes_are_not_a_csr(data: bytes) -> None:
    with pytest.raises(CAError):
        read_csr(data, need_names=True)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_damaged_index_is_a_clear_error(tmp_path_factory: pytest.TempPathFactory,
                                        body: bytes) -> None:
    folder: Path = tmp_path_factory.mktemp("index")
    LocalCA.init(folder / "ca")
    (folder / "ca/ca.json").write_bytes(body)
    with pytest.raises(CAError, match="cannot read the CA index"):
        LocalCA.open(folder / "ca").records()
