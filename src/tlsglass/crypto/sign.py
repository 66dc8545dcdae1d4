"""SignatureScheme -> sign/verify with pyca keys, including RSA-PSS parameters; key loading.

Part of the `crypto/` room (STYLE.md §2). Door: `PrivateKey`, `PublicKey`,
`sign`, `verify`, `schemes_for_key`, `tls12_schemes_for_key`,
`load_private_key_pem`, `load_private_key_file`, `public_key_of`,
`public_keys_equal`.

This module knows what each SignatureScheme (RFC 8446 §4.2.3) computes; which
schemes are acceptable where is the caller's policy. The two key loaders are the
only I/O in the room (convention 1): users or adapters call them while building
a config, never the engine.

Two details the RFCs leave easy to get wrong:

- RSASSA-PSS always uses MGF1 with the scheme's hash and a salt as long as the
  digest (RFC 8446 §4.2.3), when signing and when verifying.
- In TLS 1.3 an ECDSA scheme names its curve (ecdsa_secp256r1_sha256 only with a
  P-256 key). In TLS 1.2 the same code point means only "ECDSA with SHA-256"
  (RFC 5246 §7.4.1.4.1), so `sign` and `verify` take `curve_bound=False` there.

pyca/cryptography 50 loads keys whose SubjectPublicKeyInfo algorithm is
id-RSASSA-PSS as ordinary RSA keys and forgets the OID, so no key object can tell
rsa_pss_pss_* from rsa_pss_rsae_*; the signature computation is the same for
both. Whoever reads the certificate (x509/) knows the OID and passes
`rsassa_pss=True` to `schemes_for_key`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final, TypeAlias, cast

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from tlsglass.enums import SignatureScheme
from tlsglass.errors import ConfigError, InternalError

__all__ = [
    "PrivateKey",
    "PublicKey",
    "load_private_key_file",
    "load_private_key_pem",
    "public_key_of",
    "public_keys_equal",
    "schemes_for_key",
    "sign",
    "tls12_schemes_for_key",
    "verify",
]

PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
PublicKey: TypeAlias = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)
# Any key a certificate may carry; only PublicKey ones can verify TLS signatures.
AnyPublicKey: TypeAlias = CertificatePublicKeyTypes

_S = SignatureScheme


class _Scheme:
    """What one SignatureScheme computes, with its pyca parameter objects built once.

    The objects (a hash instance, ECDSA(hash), RSASSA-PSS padding) hold no state, so
    one of each serves every signature; building them per call showed in handshake
    profiles (convention 16).
    """

    __slots__ = ("curve", "ecdsa", "hash", "hash_algorithm", "kind", "pss")

    def __init__(self, kind: str, hash_cls: type[hashes.HashAlgorithm] | None = None,
                 curve: str | None = None) -> None:
        self.kind = kind  # "rsa_pkcs1", "rsa_pss", "ecdsa", "ed25519" or "ed448"
        self.hash = hash_cls
        self.curve = curve  # the curve a TLS 1.3 ECDSA scheme is bound to
        self.hash_algorithm: hashes.HashAlgorithm | None = None
        self.ecdsa: ec.ECDSA | None = None
        self.pss: padding.PSS | None = None
        if hash_cls is not None:
            self.hash_algorithm = hash_cls()
            if kind == "ecdsa":
                self.ecdsa = ec.ECDSA(self.hash_algorithm)
            elif kind == "rsa_pss":
                self.pss = _pss(hash_cls)

    def __repr__(self) -> str:
        return f"_Scheme({self.kind!r}, {self.hash_algorithm!r}, {self.curve!r})"


def _pss(hash_cls: type[hashes.HashAlgorithm]) -> padding.PSS:
    """RSASSA-PSS as RFC 8446 §4.2.3 fixes it: MGF1 with the same hash, salt = digest length."""
    algorithm = hash_cls()
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)


_SCHEMES: Final[Mapping[SignatureScheme, _Scheme]] = MappingProxyType(
    {
        _S.RSA_PKCS1_SHA1: _Scheme("rsa_pkcs1", hashes.SHA1),
        _S.RSA_PKCS1_SHA256: _Scheme("rsa_pkcs1", hashes.SHA256),
        _S.RSA_PKCS1_SHA384: _Scheme("rsa_pkcs1", hashes.SHA384),
        _S.RSA_PKCS1_SHA512: _Scheme("rsa_pkcs1", hashes.SHA512),
        _S.RSA_PSS_RSAE_SHA256: _Scheme("rsa_pss", hashes.SHA256),
        _S.RSA_PSS_RSAE_SHA384: _Scheme("rsa_pss", hashes.SHA384),
        _S.RSA_PSS_RSAE_SHA512: _Scheme("rsa_pss", hashes.SHA512),
        _S.RSA_PSS_PSS_SHA256: _Scheme("rsa_pss", hashes.SHA256),
        _S.RSA_PSS_PSS_SHA384: _Scheme("rsa_pss", hashes.SHA384),
        _S.RSA_PSS_PSS_SHA512: _Scheme("rsa_pss", hashes.SHA512),
        _S.ECDSA_SHA1: _Scheme("ecdsa", hashes.SHA1),
        _S.ECDSA_SECP256R1_SHA256: _Scheme("ecdsa", hashes.SHA256, "secp256r1"),
        _S.ECDSA_SECP384R1_SHA384: _Scheme("ecdsa", hashes.SHA384, "secp384r1"),
        _S.ECDSA_SECP521R1_SHA512: _Scheme("ecdsa", hashes.SHA512, "secp521r1"),
        _S.ED25519: _Scheme("ed25519"),
        _S.ED448: _Scheme("ed448"),
    }
)

_ECDSA_BY_CURVE: Final[Mapping[str, SignatureScheme]] = MappingProxyType(
    {
        "secp256r1": _S.ECDSA_SECP256R1_SHA256,
        "secp384r1": _S.ECDSA_SECP384R1_SHA384,
        "secp521r1": _S.ECDSA_SECP521R1_SHA512,
    }
)
_RSA_PSS_RSAE: Final = (_S.RSA_PSS_RSAE_SHA256, _S.RSA_PSS_RSAE_SHA384, _S.RSA_PSS_RSAE_SHA512)
_RSA_PSS_PSS: Final = (_S.RSA_PSS_PSS_SHA256, _S.RSA_PSS_PSS_SHA384, _S.RSA_PSS_PSS_SHA512)
_RSA_PKCS1: Final = (_S.RSA_PKCS1_SHA256, _S.RSA_PKCS1_SHA384, _S.RSA_PKCS1_SHA512)


# Wire value -> member: a lookup, not an enum call (two a full handshake).
_SCHEME_BY_VALUE: Final[Mapping[int, SignatureScheme]] = MappingProxyType(
    {int(s): s for s in _SCHEMES})


def _scheme(scheme: int) -> tuple[SignatureScheme, _Scheme] | None:
    known = _SCHEME_BY_VALUE.get(scheme)
    return None if known is None else (known, _SCHEMES[known])


def _pss_fits(key_size: int, hash_cls: type[hashes.HashAlgorithm]) -> bool:
    """RFC 8017 §9.1.1: emLen >= hLen + sLen + 2, with emLen = ceil((modBits - 1) / 8)."""
    em_len = (key_size - 1 + 7) // 8
    return em_len >= 2 * hash_cls().digest_size + 2


# pyca's key classes are ABCs: isinstance against them runs ABCMeta's Python-level check
# each time (two to six a signature, ~0.5 us each), so each concrete key type is
# classified once.
_KEY_KINDS: Final = (
    (rsa.RSAPrivateKey, "rsa"), (ec.EllipticCurvePrivateKey, "ec"),
    (ed25519.Ed25519PrivateKey, "ed25519"), (ed448.Ed448PrivateKey, "ed448"),
    (rsa.RSAPublicKey, "rsa_public"), (ec.EllipticCurvePublicKey, "ec_public"),
    (ed25519.Ed25519PublicKey, "ed25519_public"), (ed448.Ed448PublicKey, "ed448_public"),
)
_KIND_OF_TYPE: dict[type, str] = {}


def _key_kind(key: object) -> str:
    """"rsa", "ec", "ed25519", "ed448" (with "_public" for public keys), or "" for others."""
    kind = _KIND_OF_TYPE.get(type(key))
    if kind is None:
        kind = next((name for cls, name in _KEY_KINDS if isinstance(key, cls)), "")
        _KIND_OF_TYPE[type(key)] = kind
    return kind


def _curve_ok(info: _Scheme, curve_name: str, curve_bound: bool) -> bool:
    return info.curve is None or not curve_bound or info.curve == curve_name


def sign(
    scheme: int, key: PrivateKey, data: bytes, *, curve_bound: bool = True
) -> bytes:
    """Sign `data` with `key` as `scheme` says (ECDSA signatures are DER, RFC 8446 §4.2.3).

    Raises InternalError if the key cannot produce that scheme: the caller should
    have chosen from `schemes_for_key`. Pass `curve_bound=False` for TLS 1.2.
    """
    found = _scheme(scheme)
    if found is None:
        raise InternalError(f"cannot sign with unknown signature scheme {scheme:#06x}")
    known, info = found
    try:
        signature = _sign(info, key, data, curve_bound)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InternalError(f"signing with {known.name} failed: {exc}") from None
    if signature is None:
        raise InternalError(f"a {_describe_key(key)} cannot sign with {known.name}")
    return signature


def _sign(info: _Scheme, key: PrivateKey, data: bytes, curve_bound: bool) -> bytes | None:
    """The signature, or None if the key cannot make this kind of signature."""
    kind = _key_kind(key)
    if kind == "ec":
        ec_key = cast(ec.EllipticCurvePrivateKey, key)
        if info.ecdsa is not None and _curve_ok(info, ec_key.curve.name, curve_bound):
            return ec_key.sign(data, info.ecdsa)
    elif kind == "rsa" and info.hash_algorithm is not None:
        rsa_key = cast(rsa.RSAPrivateKey, key)
        if info.pss is not None:
            if not _pss_fits(rsa_key.key_size, type(info.hash_algorithm)):
                return None
            return rsa_key.sign(data, info.pss, info.hash_algorithm)
        if info.kind == "rsa_pkcs1":
            return rsa_key.sign(data, padding.PKCS1v15(), info.hash_algorithm)
    elif kind == info.kind == "ed25519":
        return cast(ed25519.Ed25519PrivateKey, key).sign(data)
    elif kind == info.kind == "ed448":
        return cast(ed448.Ed448PrivateKey, key).sign(data)
    return None


def verify(
    scheme: int, key: AnyPublicKey, data: bytes, signature: bytes, *, curve_bound: bool = True
) -> bool:
    """True if `signature` over `data` is valid for `key` under `scheme`.

    False for a bad signature, an unknown scheme, or a scheme that does not fit the
    key (including an ECDSA curve mismatch unless `curve_bound=False`, for TLS 1.2).
    SHA-1 and PKCS#1 v1.5 schemes verify here too; refusing them is the caller's policy.
    """
    found = _scheme(scheme)
    if found is None:
        return False
    try:
        return _verify(found[1], key, data, signature, curve_bound)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False


def _verify(info: _Scheme, key: AnyPublicKey, data: bytes, signature: bytes,
            bound: bool) -> bool:
    kind = _key_kind(key)
    if kind == "ec_public":
        ec_key = cast(ec.EllipticCurvePublicKey, key)
        if info.ecdsa is None or not _curve_ok(info, ec_key.curve.name, bound):
            return False
        ec_key.verify(signature, data, info.ecdsa)
        return True
    if kind == "rsa_public" and info.hash_algorithm is not None:
        rsa_key = cast(rsa.RSAPublicKey, key)
        if info.pss is not None:
            rsa_key.verify(signature, data, info.pss, info.hash_algorithm)
            return True
        if info.kind == "rsa_pkcs1":
            rsa_key.verify(signature, data, padding.PKCS1v15(), info.hash_algorithm)
            return True
        return False
    if kind == "ed25519_public" and info.kind == "ed25519":
        cast(ed25519.Ed25519PublicKey, key).verify(signature, data)
        return True
    if kind == "ed448_public" and info.kind == "ed448":
        cast(ed448.Ed448PublicKey, key).verify(signature, data)
        return True
    return False


def schemes_for_key(
    key: PrivateKey | AnyPublicKey, *, rsassa_pss: bool = False
) -> tuple[SignatureScheme, ...]:
    """The schemes `key` can produce in a TLS 1.3 CertificateVerify, best first.

    RSA keys give rsa_pss_rsae_* (rsa_pss_pss_* if `rsassa_pss`, for a certificate
    whose key OID is id-RSASSA-PSS, RFC 8446 §4.2.3), omitting a hash too large for
    the modulus. ECDSA keys give the one scheme bound to their curve; a curve with
    no TLS scheme gives ().
    """
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        candidates = _RSA_PSS_PSS if rsassa_pss else _RSA_PSS_RSAE
        return tuple(s for s in candidates if _fits(s, key.key_size))
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        own = _ECDSA_BY_CURVE.get(key.curve.name)
        return () if own is None else (own,)
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return (_S.ED25519,)
    if isinstance(key, ed448.Ed448PrivateKey | ed448.Ed448PublicKey):
        return (_S.ED448,)
    return ()


def tls12_schemes_for_key(
    key: PrivateKey | PublicKey, *, rsassa_pss: bool = False
) -> tuple[SignatureScheme, ...]:
    """The schemes `key` can produce in TLS 1.2 (signature_algorithms, RFC 5246 §7.4.1.4.1).

    As `schemes_for_key`, plus RSA PKCS#1 v1.5 with SHA-256/384/512 for RSA keys,
    and, for ECDSA keys, the other SHA-2 ECDSA code points after the curve's own
    (TLS 1.2 does not bind them to a curve; sign with `curve_bound=False`).
    """
    schemes = schemes_for_key(key, rsassa_pss=rsassa_pss)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and not rsassa_pss:
        return schemes + _RSA_PKCS1
    if schemes and isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        others = tuple(s for s in _ECDSA_BY_CURVE.values() if s not in schemes)
        return schemes + others
    return schemes


def _fits(scheme: SignatureScheme, key_size: int) -> bool:
    info = _SCHEMES[scheme]
    return info.hash is not None and _pss_fits(key_size, info.hash)


def public_key_of(key: PrivateKey) -> PublicKey:
    """The public half of `key`."""
    return key.public_key()


def public_keys_equal(a: AnyPublicKey, b: AnyPublicKey) -> bool:
    """True if both keys have the same SubjectPublicKeyInfo (e.g. a certificate and its key)."""
    return _spki(a) == _spki(b)


def _spki(key: AnyPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _describe_key(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"{key.key_size}-bit RSA key"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"ECDSA {key.curve.name} key"
    name = type(key).__name__
    for suffix in ("PrivateKey", "PublicKey"):
        name = name.removesuffix(suffix)
    return f"{name} key"


# --- loading ---------------------------------------------------------------------------


def load_private_key_pem(data: bytes, password: bytes | None = None) -> PrivateKey:
    """Parse a private key from PEM (PKCS#8 or traditional) or DER.

    Raises ConfigError, with a message saying what is wrong, for data that holds
    no private key, a missing or wrong password, or a key type TLS cannot use.
    """
    try:
        key = _load(data, password)
    except TypeError:
        # pyca: encrypted without a password, or a password for a plain key.
        if password is None:
            raise ConfigError("the private key is encrypted: a password is needed") from None
        raise ConfigError("a password was given but the private key is not encrypted") from None
    except UnsupportedAlgorithm:
        raise ConfigError("the private key uses an unsupported algorithm or cipher") from None
    except ValueError:
        raise ConfigError(_why_unreadable(data, password)) from None
    return _check_usable(key)


def _load(data: bytes, password: bytes | None) -> object:
    if b"-----BEGIN" in data:
        return serialization.load_pem_private_key(data, password)
    return serialization.load_der_private_key(data, password)


def _why_unreadable(data: bytes, password: bytes | None) -> str:
    if password is not None:
        try:
            _load(data, None)
        except TypeError:
            return "cannot decrypt the private key: wrong password?"
        except (ValueError, UnsupportedAlgorithm):
            pass
    if b"-----BEGIN" in data and b"PRIVATE KEY-----" not in data:
        if b"CERTIFICATE-----" in data:
            return "the PEM data holds a certificate, not a private key"
        if b"PUBLIC KEY-----" in data:
            return "the PEM data holds a public key, not a private key"
        return "the PEM data holds no PRIVATE KEY block"
    return "the data is not a valid PEM or DER private key"


def _check_usable(key: object) -> PrivateKey:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in _ECDSA_BY_CURVE:
            raise ConfigError(
                f"EC keys on {key.curve.name} cannot sign in TLS; use P-256, P-384 or P-521"
            )
        return key
    if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key
    raise ConfigError(
        f"unsupported private key type ({_describe_key(key)}); "
        "use an RSA, ECDSA (P-256/P-384/P-521), Ed25519 or Ed448 key"
    )


def load_private_key_file(
    path: str | os.PathLike[str], password: bytes | None = None
) -> PrivateKey:
    """Read and parse a PEM or DER private key file; ConfigError names the file on failure."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"private key file {os.fspath(path)!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"private key file {os.fspath(path)!r} is a directory") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot read private key file {os.fspath(path)!r}: {reason}") from None
    try:
        return load_private_key_pem(data, password)
    except ConfigError as exc:
        raise ConfigError(f"private key file {os.fspath(path)!r}: {exc}") from None
