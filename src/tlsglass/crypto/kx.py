"""Key-exchange groups behind one interface: ECDHE, FFDHE and the hybrid ML-KEM groups.

Part of the `crypto/` room (STYLE.md §2). Door: `SUPPORTED_GROUPS`, `KeyPair`,
`KeyPairFactory`, `generate_key_pair`, `key_pair_from_private`, `encapsulate`,
`FFDHE_PRIMES`, `FFDHE_GENERATOR`, `ffdhe_group_for`.

The client calls a `KeyPairFactory` (by default `generate_key_pair`) for each
group it offers, sends `public_bytes()` in its key_share, and later calls
`exchange()` with the server's key_exchange. The server calls `encapsulate()`
with the client's key_exchange and gets back its own key_exchange and the shared
secret. For (EC)DHE groups that is "generate a key pair and exchange"; for the
hybrid groups the server encapsulates to the client's ML-KEM key. Tests inject
fixed key pairs through the factory so RFC 8448 replays byte for byte
(convention 1). A TLS 1.2 server (EC)DHE exchange is symmetric: generate, send
`public_bytes()`, then `exchange()` with the client's value.

Encodings (RFC 8446 §4.2.8): X25519/X448 shares are the raw 32/56 bytes; P-256
and P-384 shares are uncompressed points (§4.2.8.2) and the secret is the
x-coordinate (§7.4.2); FFDHE shares and secrets are left-padded to the byte
length of p (§4.2.8.1, §7.4.1). TLS 1.2 callers must left-pad a shorter dh_Ys
before calling `exchange()` and strip leading zeros from the FFDHE result to get
the pre_master_secret (RFC 5246 §8.1.2). Hybrid layouts follow
draft-ietf-tls-ecdhe-mlkem §3.1.

Every malformed peer value raises `IllegalParameter`; no pyca exception escapes.
Key pairs print as their group only (convention 9).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Protocol

from cryptography.hazmat.primitives.asymmetric import dh, ec, mlkem, x448, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.utils import CryptographyDeprecationWarning

from tlsglass._fastinit import fast_init
from tlsglass.enums import NamedGroup
from tlsglass.errors import ConfigError, IllegalParameter, InternalError

__all__ = [
    "FFDHE_GENERATOR",
    "FFDHE_PRIMES",
    "SUPPORTED_GROUPS",
    "KeyPair",
    "KeyPairFactory",
    "encapsulate",
    "ffdhe_group_for",
    "generate_key_pair",
    "key_pair_from_private",
]

with warnings.catch_warnings():
    # pyca 50 deprecates finite-field DH (its names warn on access). The RFC 7919
    # groups stay available for TLS 1.2 DHE_RSA suites; bind the names once here.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    _DHParameterNumbers: Final = dh.DHParameterNumbers
    _DHPublicNumbers: Final = dh.DHPublicNumbers

_G = NamedGroup

SUPPORTED_GROUPS: Final[tuple[NamedGroup, ...]] = (
    _G.X25519MLKEM768,
    _G.X25519,
    _G.SECP256R1,
    _G.SECP384R1,
    _G.X448,
    _G.SECP256R1MLKEM768,
    _G.SECP384R1MLKEM1024,
    _G.FFDHE2048,
    _G.FFDHE3072,
    _G.FFDHE4096,
)
"""The groups this module implements, in a sensible default preference order."""


class KeyPair(Protocol):
    """One ephemeral key-exchange key of one group."""

    @property
    def group(self) -> NamedGroup: ...

    def public_bytes(self) -> bytes:
        """The key_exchange value we send (KeyShareEntry, RFC 8446 §4.2.8)."""
        ...

    def exchange(self, peer_key_exchange: bytes) -> bytes:
        """The shared secret, given the peer's key_exchange; IllegalParameter if it is malformed."""
        ...


KeyPairFactory = Callable[[NamedGroup], KeyPair]

# --- RFC 7919 Appendix A primes (checked against the formula in tests) ---------------

FFDHE_GENERATOR: Final = 2
_FFDHE2048_P: Final = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF",
    16,
)
_FFDHE3072_P: Final = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
    16,
)
_FFDHE4096_P: Final = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
    "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A"
    "7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038"
    "092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
    "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E655F6AFFFFFFFFFFFFFFFF",
    16,
)

FFDHE_PRIMES: Final[Mapping[NamedGroup, int]] = MappingProxyType(
    {_G.FFDHE2048: _FFDHE2048_P, _G.FFDHE3072: _FFDHE3072_P, _G.FFDHE4096: _FFDHE4096_P}
)
"""The safe prime p of each RFC 7919 group; the generator is 2 and q = (p - 1) / 2."""


def ffdhe_group_for(p: int, g: int) -> NamedGroup | None:
    """The RFC 7919 group with prime p and generator g, if any (RFC 7919 §4, for TLS 1.2)."""
    if g != FFDHE_GENERATOR:
        return None
    for group, prime in FFDHE_PRIMES.items():
        if prime == p:
            return group
    return None


# --- group tables ----------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class _EcSpec:
    curve: type[ec.SECP256R1] | type[ec.SECP384R1]
    size: int  # bytes per coordinate


_EC: Final[Mapping[NamedGroup, _EcSpec]] = MappingProxyType(
    {_G.SECP256R1: _EcSpec(ec.SECP256R1, 32), _G.SECP384R1: _EcSpec(ec.SECP384R1, 48)}
)

_MlkemPrivate = mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey
_MlkemPublic = mlkem.MLKEM768PublicKey | mlkem.MLKEM1024PublicKey


@fast_init
@dataclass(frozen=True, slots=True)
class _HybridSpec:
    """draft-ietf-tls-ecdhe-mlkem §3.1: which halves, in which order, of which sizes."""

    classical: NamedGroup
    kem_private: type[mlkem.MLKEM768PrivateKey] | type[mlkem.MLKEM1024PrivateKey]
    kem_public: type[mlkem.MLKEM768PublicKey] | type[mlkem.MLKEM1024PublicKey]
    ek_len: int  # ML-KEM encapsulation key (client share part)
    ct_len: int  # ML-KEM ciphertext (server share part)
    classical_len: int  # ECDH share, the same size on both sides
    kem_first: bool  # ML-KEM part first, in both the shares and the shared secret


_HYBRID: Final[Mapping[NamedGroup, _HybridSpec]] = MappingProxyType(
    {
        # ML-KEM first "for historical reasons" (draft §3).
        _G.X25519MLKEM768: _HybridSpec(
            _G.X25519, mlkem.MLKEM768PrivateKey, mlkem.MLKEM768PublicKey, 1184, 1088, 32, True
        ),
        # ECDH first, so the first secret comes from a FIPS-approved scheme (draft §3).
        _G.SECP256R1MLKEM768: _HybridSpec(
            _G.SECP256R1, mlkem.MLKEM768PrivateKey, mlkem.MLKEM768PublicKey, 1184, 1088, 65, False
        ),
        _G.SECP384R1MLKEM1024: _HybridSpec(
            _G.SECP384R1, mlkem.MLKEM1024PrivateKey, mlkem.MLKEM1024PublicKey, 1568, 1568, 97, False
        ),
    }
)

_MLKEM_SEED_LEN: Final = 64  # FIPS 203 §7.1: d || z


def _illegal(group: NamedGroup, problem: str) -> IllegalParameter:
    return IllegalParameter(f"{group.name} key share: {problem}")


# Wire value -> member: a lookup, not an enum call (~1 us each, three a full handshake).
_SUPPORTED_BY_VALUE: Final[Mapping[int, NamedGroup]] = MappingProxyType(
    {int(g): g for g in SUPPORTED_GROUPS})


def _supported(group: int) -> NamedGroup:
    known = _SUPPORTED_BY_VALUE.get(group)
    if known is None:
        raise InternalError(f"key-exchange group {group:#06x} is not implemented")
    return known


# --- key pairs -------------------------------------------------------------------------


class _KeyPairBase:
    __slots__ = ("_group", "_public")

    def __init__(self, group: NamedGroup, public: bytes) -> None:
        self._group = group
        self._public = public

    @property
    def group(self) -> NamedGroup:
        return self._group

    def public_bytes(self) -> bytes:
        return self._public

    def __repr__(self) -> str:
        return f"KeyPair({self._group.name})"


def _check_length(group: NamedGroup, peer: bytes, expected: int) -> None:
    if len(peer) != expected:
        raise _illegal(group, f"expected {expected} bytes, got {len(peer)}")


def _check_nonzero(group: NamedGroup, secret: bytes) -> bytes:
    if not any(secret):  # RFC 8446 §7.4.2: abort on an all-zero X25519/X448 result
        raise _illegal(group, "shared secret is all zeros (small-order point)")
    return secret


_MontgomeryPrivate = x25519.X25519PrivateKey | x448.X448PrivateKey
_MontgomeryPublic = x25519.X25519PublicKey | x448.X448PublicKey


def _montgomery_functions() -> tuple[Callable[[], x25519.X25519PrivateKey],
                                     Callable[[bytes], x25519.X25519PublicKey],
                                     Callable[[], x448.X448PrivateKey],
                                     Callable[[bytes], x448.X448PublicKey]]:
    """pyca's X25519/X448 generate and from_public_bytes, as cheap to call as possible.

    The public classmethods import pyca's backend and ask it about FIPS mode on every
    call (~3 us each, four calls a full handshake); they then call the functions of
    pyca's Rust bindings that are used here directly, once the same FIPS question
    has been answered at import. Where the bindings are not laid out as expected,
    or the algorithms are refused, the public API is used (and refuses as it does).
    """
    public = (x25519.X25519PrivateKey.generate, x25519.X25519PublicKey.from_public_bytes,
              x448.X448PrivateKey.generate, x448.X448PublicKey.from_public_bytes)
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
        from cryptography.hazmat.bindings._rust import openssl as rust_openssl
        if not (backend.x25519_supported() and backend.x448_supported()):
            return public
        return (rust_openssl.x25519.generate_key, rust_openssl.x25519.from_public_bytes,
                rust_openssl.x448.generate_key, rust_openssl.x448.from_public_bytes)
    except (ImportError, AttributeError):
        return public


_X25519_GENERATE, _X25519_PUBLIC, _X448_GENERATE, _X448_PUBLIC = _montgomery_functions()
_MONTGOMERY_PUBLIC: Final[Mapping[NamedGroup, Callable[[bytes], _MontgomeryPublic]]] = \
    MappingProxyType({_G.X25519: _X25519_PUBLIC, _G.X448: _X448_PUBLIC})


class _MontgomeryKeyPair(_KeyPairBase):
    """X25519 or X448 (RFC 7748): raw public keys of a fixed size.

    The group is given, not worked out with isinstance: pyca's key classes are ABCs,
    and each check runs ABCMeta's Python-level hook (two a key pair).
    """

    __slots__ = ("_peer_key", "_private")

    def __init__(self, group: NamedGroup, private: _MontgomeryPrivate) -> None:
        super().__init__(group, private.public_key().public_bytes_raw())
        self._private = private
        self._peer_key = _MONTGOMERY_PUBLIC[group]

    def exchange(self, peer_key_exchange: bytes) -> bytes:
        group = self._group
        _check_length(group, peer_key_exchange, len(self._public))
        try:
            secret = self._private.exchange(self._peer_key(peer_key_exchange))  # type: ignore[arg-type]
        except ValueError:  # pyca refuses a small-order peer point
            raise _illegal(group, "shared secret is all zeros (small-order point)") from None
        return _check_nonzero(group, secret)


class _EcKeyPair(_KeyPairBase):
    __slots__ = ("_private", "_spec")

    def __init__(self, group: NamedGroup, private: ec.EllipticCurvePrivateKey) -> None:
        spec = _EC[group]
        # UncompressedPointRepresentation (RFC 8446 §4.2.8.2): 4 || X || Y
        public = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        super().__init__(group, public)
        self._private = private
        self._spec = spec

    def exchange(self, peer_key_exchange: bytes) -> bytes:
        group, size = self._group, self._spec.size
        _check_length(group, peer_key_exchange, 1 + 2 * size)
        if peer_key_exchange[0] != 4:
            raise _illegal(group, "not an uncompressed point (RFC 8446 §4.2.8.2)")
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(
                self._spec.curve(), peer_key_exchange
            )
            secret = self._private.exchange(ec.ECDH(), peer)
        except ValueError:
            raise _illegal(group, "not a point on the curve") from None
        return secret  # the x-coordinate, already `size` bytes (RFC 8446 §7.4.2)


class _FfdheKeyPair(_KeyPairBase):
    __slots__ = ("_p", "_private")

    def __init__(self, group: NamedGroup, private: dh.DHPrivateKey) -> None:
        p = FFDHE_PRIMES[group]
        y = private.public_key().public_numbers().y
        super().__init__(group, y.to_bytes(_byte_len(p), "big"))  # RFC 8446 §4.2.8.1
        self._private = private
        self._p = p

    def exchange(self, peer_key_exchange: bytes) -> bytes:
        group, p = self._group, self._p
        p_len = _byte_len(p)
        _check_length(group, peer_key_exchange, p_len)
        y = int.from_bytes(peer_key_exchange, "big")
        if not 1 < y < p - 1:  # RFC 7919 §5.1, RFC 8446 §4.2.8.1
            raise _illegal(group, "public value out of range 1 < y < p-1")
        try:
            peer = _DHPublicNumbers(y, _DHParameterNumbers(p, FFDHE_GENERATOR)).public_key()
            secret = self._private.exchange(peer)
        except ValueError:
            raise _illegal(group, "invalid Diffie-Hellman public value") from None
        return secret.rjust(p_len, b"\x00")  # RFC 8446 §7.4.1: padded to the size of p


class _HybridKeyPair(_KeyPairBase):
    """The client half of a hybrid group: ML-KEM decapsulation plus a classical exchange."""

    __slots__ = ("_classical", "_kem", "_spec")

    def __init__(self, group: NamedGroup, kem: _MlkemPrivate, classical: KeyPair) -> None:
        spec = _HYBRID[group]
        if classical.group != spec.classical:
            raise InternalError(f"{group.name} needs a {spec.classical.name} key pair")
        ek = kem.public_key().public_bytes_raw()
        ecdh = classical.public_bytes()
        super().__init__(group, ek + ecdh if spec.kem_first else ecdh + ek)
        self._spec = spec
        self._kem = kem
        self._classical = classical

    def exchange(self, peer_key_exchange: bytes) -> bytes:
        spec, group = self._spec, self._group
        _check_length(group, peer_key_exchange, spec.ct_len + spec.classical_len)
        if spec.kem_first:
            ct, ecdh_share = peer_key_exchange[: spec.ct_len], peer_key_exchange[spec.ct_len :]
        else:
            ecdh_share = peer_key_exchange[: spec.classical_len]
            ct = peer_key_exchange[spec.classical_len :]
        ecdh_secret = self._classical.exchange(ecdh_share)
        try:
            kem_secret = self._kem.decapsulate(ct)
        except ValueError:
            # The length is right, so this is not the peer's fault (draft §3.1.2).
            raise InternalError(f"{group.name}: ML-KEM decapsulation failed") from None
        return kem_secret + ecdh_secret if spec.kem_first else ecdh_secret + kem_secret


def _byte_len(n: int) -> int:
    return (n.bit_length() + 7) // 8


# --- factories -------------------------------------------------------------------------


def _ffdhe_private(group: NamedGroup) -> dh.DHPrivateKey:
    p = FFDHE_PRIMES[group]
    numbers = _DHParameterNumbers(p, FFDHE_GENERATOR, (p - 1) // 2)
    return numbers.parameters().generate_private_key()


def generate_key_pair(group: NamedGroup) -> KeyPair:
    """A fresh key pair for `group` (the default `KeyPairFactory`)."""
    group = _supported(group)
    if group == _G.X25519:
        return _MontgomeryKeyPair(group, _X25519_GENERATE())
    if group == _G.X448:
        return _MontgomeryKeyPair(group, _X448_GENERATE())
    if group in _EC:
        return _EcKeyPair(group, ec.generate_private_key(_EC[group].curve()))
    if group in FFDHE_PRIMES:
        return _FfdheKeyPair(group, _ffdhe_private(group))
    spec = _HYBRID[group]
    return _HybridKeyPair(group, spec.kem_private.generate(), generate_key_pair(spec.classical))


def key_pair_from_private(group: NamedGroup, private: bytes) -> KeyPair:
    """A key pair from a fixed private key, so tests can replay known traces.

    X25519/X448 take the raw 32/56-byte scalar (RFC 7748); P-256/P-384 the
    big-endian private scalar of 32/48 bytes. A hybrid group takes the 64-byte
    ML-KEM seed (FIPS 203 d || z) followed by its classical half's private key.
    Raises ConfigError for a key of the wrong size or value.
    """
    group = _supported(group)
    if group in _HYBRID:
        spec = _HYBRID[group]
        seed, rest = private[:_MLKEM_SEED_LEN], private[_MLKEM_SEED_LEN:]
        if len(seed) != _MLKEM_SEED_LEN:
            raise ConfigError(f"{group.name} private key must start with a 64-byte ML-KEM seed")
        kem = spec.kem_private.from_seed_bytes(seed)
        return _HybridKeyPair(group, kem, key_pair_from_private(spec.classical, rest))
    try:
        if group == _G.X25519:
            _require_len(group, private, 32)
            return _MontgomeryKeyPair(group, x25519.X25519PrivateKey.from_private_bytes(private))
        if group == _G.X448:
            _require_len(group, private, 56)
            return _MontgomeryKeyPair(group, x448.X448PrivateKey.from_private_bytes(private))
        if group in _EC:
            spec_ec = _EC[group]
            _require_len(group, private, spec_ec.size)
            scalar = int.from_bytes(private, "big")
            return _EcKeyPair(group, ec.derive_private_key(scalar, spec_ec.curve()))
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{group.name} private key is not valid for the curve") from None
    raise ConfigError(f"{group.name} key pairs cannot be built from a private key here")


def _require_len(group: NamedGroup, private: bytes, expected: int) -> None:
    if len(private) != expected:
        raise ConfigError(f"{group.name} private key must be {expected} bytes, got {len(private)}")


def encapsulate(
    group: int, peer_key_exchange: bytes, factory: KeyPairFactory = generate_key_pair
) -> tuple[bytes, bytes]:
    """The server side of one key share: (our key_exchange, shared secret).

    `peer_key_exchange` is the client's value for `group`; `factory` supplies our
    (EC)DHE key pair, or the classical half of a hybrid group.
    """
    known = _supported(group)
    spec = _HYBRID.get(known)
    if spec is not None:
        return _hybrid_encapsulate(known, spec, peer_key_exchange, factory)
    key_pair = _from_factory(factory, known)
    return key_pair.public_bytes(), key_pair.exchange(peer_key_exchange)


def _from_factory(factory: KeyPairFactory, group: NamedGroup) -> KeyPair:
    key_pair = factory(group)
    if key_pair.group != group:
        raise InternalError(f"key-pair factory returned {key_pair!r} for {group.name}")
    return key_pair


def _hybrid_encapsulate(
    group: NamedGroup, spec: _HybridSpec, peer: bytes, factory: KeyPairFactory
) -> tuple[bytes, bytes]:
    _check_length(group, peer, spec.ek_len + spec.classical_len)
    if spec.kem_first:
        ek_bytes, ecdh_peer = peer[: spec.ek_len], peer[spec.ek_len :]
    else:
        ecdh_peer, ek_bytes = peer[: spec.classical_len], peer[spec.classical_len :]
    try:
        # pyca performs the FIPS 203 §7.2 encapsulation key (modulus) check here.
        ek: _MlkemPublic = spec.kem_public.from_public_bytes(ek_bytes)
    except ValueError:
        raise _illegal(group, "ML-KEM encapsulation key check failed (FIPS 203 §7.2)") from None
    classical = _from_factory(factory, spec.classical)
    ecdh_secret = classical.exchange(ecdh_peer)
    kem_secret, ct = ek.encapsulate()
    ecdh_share = classical.public_bytes()
    if spec.kem_first:
        return ct + ecdh_share, kem_secret + ecdh_secret
    return ecdh_share + ct, ecdh_secret + kem_secret
