"""What each cipher suite means: its AEAD, hash, key and IV lengths, and version.

Part of the `crypto/` room (STYLE.md §2): constant tables only, no protocol
logic. Door: `AeadAlgorithm`, `SuiteInfo`, `TLS13_SUITES`, `TLS12_SUITES`,
`suite_info`.

Only AEAD suites are listed (convention 10: AEAD suites only). For TLS 1.3 the
suite fixes the AEAD and the HKDF hash, and the key exchange is negotiated
separately (RFC 8446 §B.4). For TLS 1.2 the suite also fixes the key exchange
and the PRF hash (RFC 5246 §5). The per-record nonce is 12 bytes everywhere:
TLS 1.3 and ChaCha20-Poly1305 in TLS 1.2 (RFC 7905 §2) XOR a 12-byte implicit IV
with the sequence number; AES-GCM in TLS 1.2 joins a 4-byte implicit salt with an
8-byte explicit nonce sent in each record (RFC 5288 §3).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from tlsglass.enums import CipherSuite, ProtocolVersion

__all__ = [
    "TLS12_SUITES",
    "TLS13_SUITES",
    "AeadAlgorithm",
    "SuiteInfo",
    "suite_info",
]


class AeadAlgorithm(enum.Enum):
    """The AEAD algorithms tlsglass supports (RFC 5116 names)."""

    AES_128_GCM = "AES_128_GCM"
    AES_256_GCM = "AES_256_GCM"
    CHACHA20_POLY1305 = "CHACHA20_POLY1305"

    @property
    def key_len(self) -> int:
        """Key length in bytes (RFC 5116 §5.1, §5.2; RFC 8439 §2.8)."""
        return 16 if self is AeadAlgorithm.AES_128_GCM else 32


@dataclass(frozen=True, slots=True)
class SuiteInfo:
    """The parameters one cipher suite fixes.

    `hash_name` is the HKDF hash (TLS 1.3) or the PRF hash (TLS 1.2).
    `iv_len` is the length of the per-record AEAD nonce. `fixed_iv_len` is the
    implicit part derived from the key schedule (client_write_IV /
    server_write_IV in RFC 5246 §6.3); the rest, `explicit_nonce_len`, travels in
    each TLS 1.2 record.
    """

    suite: CipherSuite
    aead: AeadAlgorithm
    hash_name: str
    hash_len: int
    key_len: int
    iv_len: int
    version: ProtocolVersion
    key_exchange: str
    fixed_iv_len: int

    @property
    def explicit_nonce_len(self) -> int:
        """Bytes of nonce carried in each record: 8 for TLS 1.2 AES-GCM, else 0."""
        return self.iv_len - self.fixed_iv_len


_HASH_LEN: Final[Mapping[str, int]] = MappingProxyType({"sha256": 32, "sha384": 48})


def _info(
    suite: CipherSuite,
    aead: AeadAlgorithm,
    hash_name: str,
    version: ProtocolVersion,
    key_exchange: str,
) -> SuiteInfo:
    if version is ProtocolVersion.TLS1_3 or aead is AeadAlgorithm.CHACHA20_POLY1305:
        fixed_iv_len = 12  # RFC 8446 §5.3, RFC 7905 §2
    else:
        fixed_iv_len = 4  # RFC 5288 §3: GCMNonce.salt
    return SuiteInfo(
        suite=suite,
        aead=aead,
        hash_name=hash_name,
        hash_len=_HASH_LEN[hash_name],
        key_len=aead.key_len,
        iv_len=12,
        version=version,
        key_exchange=key_exchange,
        fixed_iv_len=fixed_iv_len,
    )


def _table(*infos: SuiteInfo) -> Mapping[CipherSuite, SuiteInfo]:
    return MappingProxyType({info.suite: info for info in infos})


_CS = CipherSuite
_AES128 = AeadAlgorithm.AES_128_GCM
_AES256 = AeadAlgorithm.AES_256_GCM
_CHACHA = AeadAlgorithm.CHACHA20_POLY1305
_V13 = ProtocolVersion.TLS1_3
_V12 = ProtocolVersion.TLS1_2

TLS13_SUITES: Final[Mapping[CipherSuite, SuiteInfo]] = _table(
    _info(_CS.TLS_AES_128_GCM_SHA256, _AES128, "sha256", _V13, "any"),
    _info(_CS.TLS_AES_256_GCM_SHA384, _AES256, "sha384", _V13, "any"),
    _info(_CS.TLS_CHACHA20_POLY1305_SHA256, _CHACHA, "sha256", _V13, "any"),
)
"""The TLS 1.3 suites tlsglass implements (RFC 8446 §B.4), in preference order."""

TLS12_SUITES: Final[Mapping[CipherSuite, SuiteInfo]] = _table(
    # RFC 5289 §3.2 (ECDHE + GCM), RFC 7905 §2 (ChaCha20-Poly1305)
    _info(_CS.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, _AES128, "sha256", _V12, "ECDHE_ECDSA"),
    _info(_CS.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, _AES256, "sha384", _V12, "ECDHE_ECDSA"),
    _info(
        _CS.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, _CHACHA, "sha256", _V12, "ECDHE_ECDSA"
    ),
    _info(_CS.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, _AES128, "sha256", _V12, "ECDHE_RSA"),
    _info(_CS.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, _AES256, "sha384", _V12, "ECDHE_RSA"),
    _info(_CS.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, _CHACHA, "sha256", _V12, "ECDHE_RSA"),
    # RFC 5288 §3 (DHE_RSA and RSA + GCM)
    _info(_CS.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, _AES128, "sha256", _V12, "DHE_RSA"),
    _info(_CS.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, _AES256, "sha384", _V12, "DHE_RSA"),
    _info(_CS.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, _CHACHA, "sha256", _V12, "DHE_RSA"),
    _info(_CS.TLS_RSA_WITH_AES_128_GCM_SHA256, _AES128, "sha256", _V12, "RSA"),
    _info(_CS.TLS_RSA_WITH_AES_256_GCM_SHA384, _AES256, "sha384", _V12, "RSA"),
)
"""The TLS 1.2 AEAD suites tlsglass implements, in preference order."""


def suite_info(suite: int) -> SuiteInfo | None:
    """The parameters of `suite` (a wire value), or None if tlsglass does not implement it."""
    try:
        known = CipherSuite(suite)
    except ValueError:
        return None  # GREASE or unknown code point (convention 3)
    return TLS13_SUITES.get(known) or TLS12_SUITES.get(known)
