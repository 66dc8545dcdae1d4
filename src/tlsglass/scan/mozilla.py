"""Mozilla's server-side TLS recommendations, encoded as data.

Source: Mozilla "Security/Server Side TLS" guidelines, version 5.7
(https://ssl-config.mozilla.org/guidelines/5.7.json). Suites are written with
their IANA names (the guidelines list OpenSSL names; the mapping is Mozilla's own
cipher-suite table). A server *fits* a profile when everything it accepts is
allowed by the profile and its certificate meets the profile's key rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from tlsglass.enums import ProtocolVersion

__all__ = ["GUIDELINES_VERSION", "PROFILES", "Profile"]

GUIDELINES_VERSION: Final = "Mozilla Server Side TLS 5.7"

_V = ProtocolVersion
_TLS13: Final = frozenset({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                           "TLS_CHACHA20_POLY1305_SHA256"})
_INTERMEDIATE12: Final = frozenset({
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
})
_OLD12: Final = _INTERMEDIATE12 | frozenset({
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
})


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    name: str
    versions: frozenset[int]
    suites: frozenset[str]  # TLS 1.3 and earlier together, by IANA name
    groups: tuple[str, ...]  # recommended (reported, not required)
    certificate_types: frozenset[str]  # "ECDSA", "RSA"
    rsa_key_size: int | None
    dh_param_size: int | None
    certificate_lifespan_days: int
    server_preferred_order: bool


PROFILES: Final[Mapping[str, Profile]] = MappingProxyType({
    "modern": Profile(
        name="modern", versions=frozenset({_V.TLS1_3}), suites=_TLS13,
        groups=("X25519", "SECP256R1", "SECP384R1"), certificate_types=frozenset({"ECDSA"}),
        rsa_key_size=None, dh_param_size=None, certificate_lifespan_days=90,
        server_preferred_order=False),
    "intermediate": Profile(
        name="intermediate", versions=frozenset({_V.TLS1_2, _V.TLS1_3}),
        suites=_TLS13 | _INTERMEDIATE12, groups=("X25519", "SECP256R1", "SECP384R1"),
        certificate_types=frozenset({"ECDSA", "RSA"}), rsa_key_size=2048, dh_param_size=2048,
        certificate_lifespan_days=366, server_preferred_order=False),
    "old": Profile(
        name="old", versions=frozenset({_V.TLS1_0, _V.TLS1_1, _V.TLS1_2, _V.TLS1_3}),
        suites=_TLS13 | _OLD12, groups=("X25519", "SECP256R1", "SECP384R1"),
        certificate_types=frozenset({"RSA"}), rsa_key_size=2048, dh_param_size=1024,
        certificate_lifespan_days=366, server_preferred_order=True),
})
