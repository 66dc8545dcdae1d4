"""TLS 1.2 key exchange, both roles: ECDHE (RFC 8422), FFDHE (RFC 7919 groups in
DHE_RSA suites) and RSA key transport (RFC 5246 §7.4.7.1).

Each function takes the suite's key-exchange name ("ECDHE_ECDSA", "ECDHE_RSA",
"DHE_RSA", "RSA") and returns wire structures or the premaster secret; the states in
client12.py and server12.py call them and never look inside a key exchange themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from tlsglass.crypto import rsakx
from tlsglass.crypto.kx import FFDHE_GENERATOR, FFDHE_PRIMES, KeyPair, ffdhe_group_for
from tlsglass.crypto.sign import AnyPublicKey, PrivateKey
from tlsglass.enums import NamedGroup, ProtocolVersion, SignatureScheme, describe
from tlsglass.errors import IllegalParameter, InsufficientSecurity
from tlsglass.wire.buffer import Writer
from tlsglass.wire.handshake12 import (
    DheClientPublic,
    DheServerParams,
    EcdheClientPublic,
    EcdheServerParams,
    EncryptedPreMasterSecret,
)

__all__ = ["ECDHE_GROUPS", "ECDSA_SIGN", "RSA_SIGN", "client_key_exchange", "is_dhe",
           "is_rsa", "scheme_fits_kind", "server_group", "server_params", "server_premaster",
           "signs_with_ecdsa"]

# RFC 8422 §5.1.1: the curves TLS 1.2 ECDHE may use here (no hybrids).
ECDHE_GROUPS: Final = (NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1,
                       NamedGroup.X448)


# RFC 5246 §7.4.4 ClientCertificateType; RFC 8422 §5.5 ecdsa_sign.
RSA_SIGN: Final = 1
ECDSA_SIGN: Final = 64


def is_dhe(kind: str) -> bool:
    return kind == "DHE_RSA"


def is_rsa(kind: str) -> bool:
    return kind == "RSA"


def signs_with_ecdsa(kind: str) -> bool:
    return kind == "ECDHE_ECDSA"


# RFC 8422 §2, §5.1.3: the ECDHE_ECDSA suites also carry EdDSA signatures.
_ECDSA_SCHEMES: Final = frozenset({SignatureScheme.ECDSA_SECP256R1_SHA256,
                                   SignatureScheme.ECDSA_SECP384R1_SHA384,
                                   SignatureScheme.ECDSA_SECP521R1_SHA512,
                                   SignatureScheme.ED25519, SignatureScheme.ED448})
_RSA_SCHEMES: Final = frozenset({
    SignatureScheme.RSA_PKCS1_SHA256, SignatureScheme.RSA_PKCS1_SHA384,
    SignatureScheme.RSA_PKCS1_SHA512, SignatureScheme.RSA_PSS_RSAE_SHA256,
    SignatureScheme.RSA_PSS_RSAE_SHA384, SignatureScheme.RSA_PSS_RSAE_SHA512,
    SignatureScheme.RSA_PSS_PSS_SHA256, SignatureScheme.RSA_PSS_PSS_SHA384,
    SignatureScheme.RSA_PSS_PSS_SHA512})


def scheme_fits_kind(scheme: int, kind: str) -> bool:
    """RFC 5246 §7.4.2 / RFC 8422 §2: ECDSA (or EdDSA) signatures for *_ECDSA suites, RSA
    for the rest."""
    return scheme in (_ECDSA_SCHEMES if signs_with_ecdsa(kind) else _RSA_SCHEMES)


def _encoded(value: EcdheClientPublic | DheClientPublic | EncryptedPreMasterSecret) -> bytes:
    w = Writer()
    value.encode(w)
    return w.getvalue()


def _byte_len(n: int) -> int:
    return (n.bit_length() + 7) // 8


def _strip(premaster: bytes) -> bytes:
    """RFC 5246 §8.1.2: leading zero bytes of Z are stripped in a DH premaster secret."""
    return premaster.lstrip(b"\x00")


def _dh_value(group: NamedGroup, value: bytes) -> bytes:
    """A peer's Y left-padded to the size of p, the form kx checks (RFC 7919 §5.1)."""
    p_len = _byte_len(FFDHE_PRIMES[group])
    if len(value) > p_len:
        raise IllegalParameter(f"{describe(NamedGroup, group)} public value longer than p")
    return value.rjust(p_len, b"\x00")


def server_group(params: EcdheServerParams | DheServerParams, ours: tuple[int, ...]
                 ) -> NamedGroup:
    """The client's view: which of its groups the server's parameters are."""
    if isinstance(params, EcdheServerParams):
        if params.named_curve not in ours or params.named_curve not in ECDHE_GROUPS:
            raise IllegalParameter(
                f"server chose {describe(NamedGroup, params.named_curve)}, not offered")
        return NamedGroup(params.named_curve)
    group = ffdhe_group_for(int.from_bytes(params.dh_p, "big"),
                            int.from_bytes(params.dh_g, "big"))
    if group is None or group not in ours:
        # RFC 7919 §3: a client may refuse a group it does not know to be safe.
        raise InsufficientSecurity("server's Diffie-Hellman group is not an RFC 7919 group "
                                   "we enabled")
    return group


def server_params(group: NamedGroup, pair: KeyPair) -> EcdheServerParams | DheServerParams:
    """The server's ServerECDHParams or ServerDHParams for its fresh key pair."""
    if group in FFDHE_PRIMES:
        p = FFDHE_PRIMES[group]
        return DheServerParams(dh_p=p.to_bytes(_byte_len(p), "big"),
                               dh_g=bytes((FFDHE_GENERATOR,)), dh_ys=pair.public_bytes())
    return EcdheServerParams(named_curve=group, public=pair.public_bytes())


def client_key_exchange(kind: str, group: NamedGroup | None,
                        params: EcdheServerParams | DheServerParams | None,
                        server_key: AnyPublicKey, factory: Callable[[NamedGroup], KeyPair],
                        entropy: Callable[[int], bytes]) -> tuple[bytes, bytes]:
    """The ClientKeyExchange body and the premaster secret."""
    if is_rsa(kind):
        # RFC 5246 §7.4.7.1: client_version (the highest we offer in this form) + 46 random.
        premaster = ProtocolVersion.TLS1_2.to_bytes(2, "big") + entropy(46)
        encrypted = rsakx.encrypt_premaster(server_key, premaster)
        return _encoded(EncryptedPreMasterSecret(encrypted=encrypted)), premaster
    assert group is not None and params is not None
    pair = factory(group)
    if isinstance(params, DheServerParams):
        shared = pair.exchange(_dh_value(group, params.dh_ys))
        return _encoded(DheClientPublic(dh_yc=pair.public_bytes())), _strip(shared)
    shared = pair.exchange(params.public)
    return _encoded(EcdheClientPublic(ecdh_yc=pair.public_bytes())), shared


def server_premaster(kind: str, body: bytes, pair: KeyPair | None, private_key: PrivateKey,
                     client_version: int, entropy: Callable[[int], bytes]) -> bytes:
    """The premaster secret from the client's ClientKeyExchange body."""
    if is_rsa(kind):
        encrypted = EncryptedPreMasterSecret.from_body(body).encrypted
        # Drawn before decrypting, and used on any failure (RFC 5246 §7.4.7.1 step 1).
        random_premaster = entropy(rsakx.PREMASTER_LEN)
        return rsakx.decrypt_premaster(private_key, encrypted, client_version, random_premaster)
    assert pair is not None
    if is_dhe(kind):
        public = DheClientPublic.from_body(body).dh_yc
        return _strip(pair.exchange(_dh_value(pair.group, public)))
    return pair.exchange(EcdheClientPublic.from_body(body).ecdh_yc)
