"""Key-exchange groups (crypto/kx.py): agreement, encodings, RFC 8448, and refusals."""

from __future__ import annotations

import os
from types import MappingProxyType
from typing import Any, Final

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, mlkem, x25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlsglass.crypto.kx import (
    FFDHE_GENERATOR,
    FFDHE_PRIMES,
    SUPPORTED_GROUPS,
    KeyPair,
    encapsulate,
    ffdhe_group_for,
    generate_key_pair,
    key_pair_from_private,
)
from tlsglass.enums import NamedGroup
from tlsglass.errors import ConfigError, IllegalParameter, InternalError

G = NamedGroup

# group: (client share, server share, shared secret) lengths
SIZES = {
    G.X25519: (32, 32, 32),
    G.X448: (56, 56, 56),
    G.SECP256R1: (65, 65, 32),
    G.SECP384R1: (97, 97, 48),
    G.FFDHE2048: (256, 256, 256),
    G.FFDHE3072: (384, 384, 384),
    G.FFDHE4096: (512, 512, 512),
    # draft-ietf-tls-ecdhe-mlkem §3.1
    G.X25519MLKEM768: (1216, 1120, 64),
    G.SECP256R1MLKEM768: (1249, 1153, 64),
    G.SECP384R1MLKEM1024: (1665, 1665, 80),
}
HYBRIDS = (G.X25519MLKEM768, G.SECP256R1MLKEM768, G.SECP384R1MLKEM1024)


def test_supported_groups() -> None:
    assert set(SUPPORTED_GROUPS) == set(SIZES)
    assert SUPPORTED_GROUPS[0] is G.X25519MLKEM768
    assert isinstance(SUPPORTED_GROUPS, tuple)


@pytest.mark.parametrize("group", SUPPORTED_GROUPS, ids=lambda g: g.name)
def test_client_and_server_agree(group: NamedGroup) -> None:
    client = generate_key_pair(group)
    assert client.group is group
    client_share = client.public_bytes()
    server_share, server_secret = encapsulate(group, client_share)
    client_secret = client.exchange(server_share)
    assert client_secret == server_secret
    assert (len(client_share), len(server_share), len(server_secret)) == SIZES[group]
    # Fresh randomness each time.
    assert generate_key_pair(group).public_bytes() != client_share


@pytest.mark.parametrize("group", [g for g in SUPPORTED_GROUPS if g not in HYBRIDS])
def test_dh_groups_are_symmetric_for_tls12(group: NamedGroup) -> None:
    a, b = generate_key_pair(group), generate_key_pair(group)
    assert a.exchange(b.public_bytes()) == b.exchange(a.public_bytes())


@pytest.mark.parametrize("group", SUPPORTED_GROUPS, ids=lambda g: g.name)
def test_repr_shows_the_group_only(group: NamedGroup) -> None:
    kp = generate_key_pair(group)
    assert repr(kp) == f"KeyPair({group.name})"
    assert not hasattr(kp, "__dict__")


# --- RFC 8448 --------------------------------------------------------------------------


def test_rfc8448_x25519(rfc8448: dict[str, bytes]) -> None:
    v = rfc8448
    client = key_pair_from_private(G.X25519, v["client_private_key"])
    assert client.public_bytes() == v["client_public_key"]
    assert client.exchange(v["server_public_key"]) == v["ecdhe_shared_secret"]

    def server_factory(group: NamedGroup) -> KeyPair:
        return key_pair_from_private(group, v["server_private_key"])

    share, secret = encapsulate(G.X25519, v["client_public_key"], server_factory)
    assert share == v["server_public_key"]
    assert secret == v["ecdhe_shared_secret"]
    assert v["client_private_key"].hex() not in repr(client)


# --- hybrid layouts (draft-ietf-tls-ecdhe-mlkem §3.1) ----------------------------------

CLASSICAL = {
    G.X25519MLKEM768: G.X25519,
    G.SECP256R1MLKEM768: G.SECP256R1,
    G.SECP384R1MLKEM1024: G.SECP384R1,
}
KEM: dict[NamedGroup, type[mlkem.MLKEM768PrivateKey] | type[mlkem.MLKEM1024PrivateKey]] = {
    G.X25519MLKEM768: mlkem.MLKEM768PrivateKey,
    G.SECP256R1MLKEM768: mlkem.MLKEM768PrivateKey,
    G.SECP384R1MLKEM1024: mlkem.MLKEM1024PrivateKey,
}


def _classical_private(group: NamedGroup) -> bytes:
    if group is G.X25519:
        return bytes(range(1, 33))
    return (7).to_bytes(32 if group is G.SECP256R1 else 48, "big")


@pytest.mark.parametrize("group", HYBRIDS, ids=lambda g: g.name)
def test_hybrid_layout(group: NamedGroup) -> None:
    classical_group = CLASSICAL[group]
    seed = bytes(range(64))
    kem_private = KEM[group].from_seed_bytes(seed)
    ek = kem_private.public_key().public_bytes_raw()
    client_classical = key_pair_from_private(classical_group, _classical_private(classical_group))
    client = key_pair_from_private(group, seed + _classical_private(classical_group))
    kem_first = group is G.X25519MLKEM768
    share = client.public_bytes()
    ecdh_pub = client_classical.public_bytes()
    assert share == (ek + ecdh_pub if kem_first else ecdh_pub + ek)

    server_classical = generate_key_pair(classical_group)
    server_share, secret = encapsulate(group, share, lambda g: server_classical)
    ecdh_len = len(server_classical.public_bytes())
    if kem_first:
        ct, server_ecdh = server_share[:-ecdh_len], server_share[-ecdh_len:]
    else:
        server_ecdh, ct = server_share[:ecdh_len], server_share[ecdh_len:]
    assert server_ecdh == server_classical.public_bytes()
    kem_secret = kem_private.decapsulate(ct)
    ecdh_secret = client_classical.exchange(server_ecdh)
    assert secret == (kem_secret + ecdh_secret if kem_first else ecdh_secret + kem_secret)
    assert client.exchange(server_share) == secret


def test_p256_shares_are_uncompressed_points() -> None:
    kp = generate_key_pair(G.SECP256R1)
    share = kp.public_bytes()
    assert share[0] == 4
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), share)
    assert point.curve.name == "secp256r1"


# --- FFDHE (RFC 7919) ------------------------------------------------------------------


def _floor_e_times_power_of_two(k: int) -> int:
    """floor(2^k * e) from the series e = sum 1/n!, in integers."""
    guard = 64
    total, term, n = 0, 1 << (k + guard), 0
    while term:
        total += term
        n += 1
        term //= n
    return total >> guard


@pytest.mark.parametrize(
    ("group", "bits", "x"),
    [(G.FFDHE2048, 2048, 560316), (G.FFDHE3072, 3072, 2625351), (G.FFDHE4096, 4096, 5736041)],
)
def test_ffdhe_primes_follow_the_rfc7919_formula(group: NamedGroup, bits: int, x: int) -> None:
    # RFC 7919 Appendix A: p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1
    expected = (
        2**bits - 2 ** (bits - 64) + (_floor_e_times_power_of_two(bits - 130) + x) * 2**64 - 1
    )
    assert FFDHE_PRIMES[group] == expected
    assert FFDHE_GENERATOR == 2


def test_ffdhe_group_for() -> None:
    for group, p in FFDHE_PRIMES.items():
        assert ffdhe_group_for(p, 2) is group
        assert ffdhe_group_for(p, 5) is None
    assert ffdhe_group_for(23, 2) is None


@pytest.mark.parametrize("group", list(FFDHE_PRIMES), ids=lambda g: g.name)
def test_ffdhe_public_value_range(group: NamedGroup) -> None:
    p = FFDHE_PRIMES[group]
    length = (p.bit_length() + 7) // 8
    kp = generate_key_pair(group)
    for y in (0, 1, p - 1, p, p + 1, 2 ** (8 * length) - 1):
        with pytest.raises(IllegalParameter, match="out of range"):
            kp.exchange(y.to_bytes(length, "big"))
        with pytest.raises(IllegalParameter):
            encapsulate(group, y.to_bytes(length, "big"))
    with pytest.raises(IllegalParameter, match="expected"):
        kp.exchange((2).to_bytes(length - 1, "big"))  # not padded (RFC 8446 §4.2.8.1)
    assert len(kp.exchange((2).to_bytes(length, "big"))) == length


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("group", SUPPORTED_GROUPS, ids=lambda g: g.name)
def test_wrong_lengths_are_illegal(group: NamedGroup) -> None:
    _, server_len, _ = SIZES[group]
    kp = generate_key_pair(group)
    good = kp.public_bytes()
    for share in (b"", good[:-1], good + b"\x00"):
        with pytest.raises(IllegalParameter, match=group.name):
            encapsulate(group, share)
    for n in (0, server_len - 1, server_len + 1):
        with pytest.raises(IllegalParameter, match=group.name):
            kp.exchange(bytes(n))


@pytest.mark.parametrize("group", [G.SECP256R1, G.SECP384R1])
def test_ec_points_must_be_uncompressed_and_on_the_curve(group: NamedGroup) -> None:
    size = 32 if group is G.SECP256R1 else 48
    kp = generate_key_pair(group)
    share = kp.public_bytes()
    for prefix in (b"\x02", b"\x03", b"\x00", b"\x06", b"\x07"):
        with pytest.raises(IllegalParameter, match="uncompressed"):
            kp.exchange(prefix + share[1:])
    off_curve = b"\x04" + share[1 : 1 + size] + bytes(size - 1) + b"\x01"
    with pytest.raises(IllegalParameter, match="not a point"):
        kp.exchange(off_curve)
    with pytest.raises(IllegalParameter, match="not a point"):
        encapsulate(group, off_curve)
    with pytest.raises(IllegalParameter):
        kp.exchange(b"\x04" + bytes(2 * size))  # "(0, 0)", not the point at infinity


@pytest.mark.parametrize(("group", "size"), [(G.X25519, 32), (G.X448, 56)])
def test_small_order_points_give_illegal_parameter(group: NamedGroup, size: int) -> None:
    kp = generate_key_pair(group)
    small_order = [bytes(size), b"\x01" + bytes(size - 1)]  # 0 and 1 (RFC 7748 §6)
    for point in small_order:
        with pytest.raises(IllegalParameter, match="all zeros"):
            kp.exchange(point)
        with pytest.raises(IllegalParameter, match="all zeros"):
            encapsulate(group, point)


def test_x25519_small_order_in_a_hybrid_share() -> None:
    kp = generate_key_pair(G.X25519MLKEM768)
    share = kp.public_bytes()
    with pytest.raises(IllegalParameter, match="all zeros"):
        encapsulate(G.X25519MLKEM768, share[:1184] + bytes(32))
    server_share, _ = encapsulate(G.X25519MLKEM768, share)
    with pytest.raises(IllegalParameter, match="all zeros"):
        kp.exchange(server_share[:1088] + bytes(32))


@pytest.mark.parametrize("group", HYBRIDS, ids=lambda g: g.name)
def test_mlkem_encapsulation_key_check(group: NamedGroup) -> None:
    share = bytearray(generate_key_pair(group).public_bytes())
    ek_len = {G.X25519MLKEM768: 1184, G.SECP256R1MLKEM768: 1184, G.SECP384R1MLKEM1024: 1568}
    start = 0 if group is G.X25519MLKEM768 else len(share) - ek_len[group]
    share[start : start + 2] = b"\xff\xff"  # a coefficient >= q fails FIPS 203 §7.2
    with pytest.raises(IllegalParameter, match="FIPS 203"):
        encapsulate(group, bytes(share))


def test_random_mlkem_ciphertext_is_implicitly_rejected_not_an_error() -> None:
    kp = generate_key_pair(G.X25519MLKEM768)
    server_share, secret = encapsulate(G.X25519MLKEM768, kp.public_bytes())
    garbled = os.urandom(1088) + server_share[1088:]
    other = kp.exchange(garbled)  # FIPS 203 implicit rejection: a secret, just the wrong one
    assert len(other) == 64 and other != secret


def test_unsupported_groups_and_bad_factories() -> None:
    for group in (G.SECP521R1, G.FFDHE6144, 0x0A0A, 0xFFFF):
        with pytest.raises(InternalError):
            generate_key_pair(group)  # type: ignore[arg-type]
        with pytest.raises(InternalError):
            encapsulate(group, bytes(32))
    x25519_share = generate_key_pair(G.X25519).public_bytes()
    with pytest.raises(InternalError, match="factory"):
        encapsulate(G.X25519, x25519_share, lambda g: generate_key_pair(G.X448))
    hybrid_share = generate_key_pair(G.X25519MLKEM768).public_bytes()
    with pytest.raises(InternalError, match="factory"):
        encapsulate(G.X25519MLKEM768, hybrid_share, lambda g: generate_key_pair(G.SECP256R1))


def test_key_pair_from_private_validates() -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        key_pair_from_private(G.X25519, bytes(31))
    with pytest.raises(ConfigError, match="56 bytes"):
        key_pair_from_private(G.X448, bytes(57))
    with pytest.raises(ConfigError, match="32 bytes"):
        key_pair_from_private(G.SECP256R1, bytes(48))
    with pytest.raises(ConfigError, match="not valid"):
        key_pair_from_private(G.SECP256R1, bytes(32))  # scalar 0
    with pytest.raises(ConfigError, match="not valid"):
        key_pair_from_private(G.SECP384R1, b"\xff" * 48)  # scalar >= n
    with pytest.raises(ConfigError, match="seed"):
        key_pair_from_private(G.X25519MLKEM768, bytes(10))
    with pytest.raises(ConfigError):
        key_pair_from_private(G.FFDHE2048, bytes(256))
    secret_key = b"\x42" * 32
    with pytest.raises(ConfigError) as info:
        key_pair_from_private(G.SECP384R1, secret_key)
    assert secret_key.hex() not in str(info.value)


def test_key_pair_from_private_matches_pyca() -> None:
    private = bytes(range(32))
    expected = x25519.X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
    assert key_pair_from_private(G.X25519, private).public_bytes() == expected


# --- arbitrary peer bytes: IllegalParameter or a secret, nothing else ------------------

_CLIENTS: Final = MappingProxyType({group: generate_key_pair(group) for group in SUPPORTED_GROUPS})


def _peer_bytes() -> st.SearchStrategy[tuple[NamedGroup, bytes]]:
    def for_group(group: NamedGroup) -> st.SearchStrategy[tuple[NamedGroup, bytes]]:
        client_len, server_len, _ = SIZES[group]
        lengths = st.sampled_from(sorted({client_len, server_len, client_len - 1, 0, 1}))
        sized = lengths.flatmap(lambda n: st.binary(min_size=n, max_size=n))
        return st.tuples(st.just(group), st.one_of(st.binary(max_size=80), sized))

    return st.sampled_from(SUPPORTED_GROUPS).flatmap(for_group)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(case=_peer_bytes())
def test_arbitrary_peer_bytes(case: tuple[NamedGroup, bytes]) -> None:
    group, peer = case
    _, server_len, secret_len = SIZES[group]
    try:
        share, secret = encapsulate(group, peer)
    except IllegalParameter:
        pass
    else:
        assert len(share) == server_len and len(secret) == secret_len
    try:
        secret = _CLIENTS[group].exchange(peer)
    except IllegalParameter:
        pass
    else:
        assert len(secret) == secret_len


def test_montgomery_shortcuts_are_pycas_own_keys() -> None:
    """kx calls pyca's Rust X25519/X448 functions directly (after the FIPS check at
    import); they make the same key objects the public API does, and agree with it."""
    from cryptography.hazmat.primitives.asymmetric import x448, x25519

    from tlsglass.crypto import kx
    for generate, public, private_cls, public_cls in (
            (kx._X25519_GENERATE, kx._X25519_PUBLIC, x25519.X25519PrivateKey,
             x25519.X25519PublicKey),
            (kx._X448_GENERATE, kx._X448_PUBLIC, x448.X448PrivateKey, x448.X448PublicKey)):
        ours: Any = generate()
        theirs: Any = private_cls.generate()
        assert type(ours) is type(theirs) and isinstance(theirs, private_cls)
        peer: Any = public(theirs.public_key().public_bytes_raw())
        assert type(peer) is type(theirs.public_key()) and isinstance(peer, public_cls)
        back: Any = public_cls.from_public_bytes(ours.public_key().public_bytes_raw())
        assert ours.exchange(peer) == theirs.exchange(back)
