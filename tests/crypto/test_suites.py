"""What each cipher suite means (crypto/suites.py)."""

from __future__ import annotations

import dataclasses

import pytest

from tlsglass.crypto.suites import (
    TLS12_SUITES,
    TLS13_SUITES,
    AeadAlgorithm,
    SuiteInfo,
    suite_info,
)
from tlsglass.enums import CipherSuite, ProtocolVersion


def _aead_from_name(name: str) -> AeadAlgorithm:
    if "AES_128_GCM" in name:
        return AeadAlgorithm.AES_128_GCM
    if "AES_256_GCM" in name:
        return AeadAlgorithm.AES_256_GCM
    assert "CHACHA20_POLY1305" in name
    return AeadAlgorithm.CHACHA20_POLY1305


ALL = {**TLS13_SUITES, **TLS12_SUITES}


def test_tls13_suites_are_the_three_rfc8446_aead_suites() -> None:
    assert list(TLS13_SUITES) == [
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ]


def test_every_gcm_or_chacha_suite_in_the_registry_is_covered() -> None:
    wanted = {s for s in CipherSuite if "_GCM_" in s.name or "CHACHA20" in s.name}
    assert set(ALL) == wanted


@pytest.mark.parametrize("suite", list(ALL), ids=lambda s: s.name)
def test_parameters_follow_the_suite_name(suite: CipherSuite) -> None:
    info = ALL[suite]
    assert info.suite is suite
    assert info.aead is _aead_from_name(suite.name)
    assert info.hash_name == ("sha384" if suite.name.endswith("SHA384") else "sha256")
    assert info.hash_len == {"sha256": 32, "sha384": 48}[info.hash_name]
    assert info.key_len == (16 if info.aead is AeadAlgorithm.AES_128_GCM else 32)
    assert info.iv_len == 12


@pytest.mark.parametrize("suite", list(TLS13_SUITES), ids=lambda s: s.name)
def test_tls13_suite_details(suite: CipherSuite) -> None:
    info = TLS13_SUITES[suite]
    assert info.version is ProtocolVersion.TLS1_3
    assert info.key_exchange == "any"
    assert info.fixed_iv_len == 12
    assert info.explicit_nonce_len == 0


@pytest.mark.parametrize("suite", list(TLS12_SUITES), ids=lambda s: s.name)
def test_tls12_suite_details(suite: CipherSuite) -> None:
    info = TLS12_SUITES[suite]
    assert info.version is ProtocolVersion.TLS1_2
    assert info.key_exchange == suite.name.removeprefix("TLS_").split("_WITH_")[0]
    assert info.key_exchange in {"ECDHE_ECDSA", "ECDHE_RSA", "DHE_RSA", "RSA"}
    if info.aead is AeadAlgorithm.CHACHA20_POLY1305:
        assert (info.fixed_iv_len, info.explicit_nonce_len) == (12, 0)  # RFC 7905 §2
    else:
        assert (info.fixed_iv_len, info.explicit_nonce_len) == (4, 8)  # RFC 5288 §3


def test_suite_info_takes_wire_integers() -> None:
    assert suite_info(0x1301) is TLS13_SUITES[CipherSuite.TLS_AES_128_GCM_SHA256]
    assert suite_info(0xC02F) is TLS12_SUITES[CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
    assert suite_info(CipherSuite.TLS_CHACHA20_POLY1305_SHA256) is not None


@pytest.mark.parametrize(
    "value",
    [
        0x1304,  # TLS_AES_128_CCM_SHA256: known but not implemented
        0x1305,
        0x00FF,  # SCSV
        0x5600,
        0x0A0A,  # GREASE
        0xFAFA,
        0x0000,
        0xFFFF,
    ],
)
def test_suite_info_is_none_for_what_we_do_not_implement(value: int) -> None:
    assert suite_info(value) is None


def test_tables_and_entries_are_immutable() -> None:
    info = TLS13_SUITES[CipherSuite.TLS_AES_128_GCM_SHA256]
    with pytest.raises(TypeError):
        TLS13_SUITES[CipherSuite.TLS_AES_128_GCM_SHA256] = info  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.key_len = 32  # type: ignore[misc]
    assert isinstance(info, SuiteInfo)
