"""The probes: each sends crafted ClientHellos and returns one typed finding.

A `Prober` carries the target, the concurrency bound and the progress callback;
every probe is a small coroutine over it. Probes decide from the server's
plaintext answer only (transport.py), so none completes an insecure handshake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from tlsglass.enums import (
    AlertDescription,
    HandshakeType,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
    describe,
)
from tlsglass.errors import DecodeError
from tlsglass.scan.findings import (
    GroupsFinding,
    SignaturesFinding,
    SuiteFinding,
    SuitesFinding,
    VersionFinding,
)
from tlsglass.scan.hello import ALL_GROUPS, ALL_SIGNATURE_SCHEMES, HelloSpec, build_hello
from tlsglass.scan.suites import LEGACY_SUITES, TLS13_SUITES, suite_info
from tlsglass.scan.transport import Flight, Target, exchange
from tlsglass.wire import (
    DheServerParams,
    EcdheServerParams,
    KeyShareHelloRetryRequest,
    KeyShareServerHello,
    Reader,
    SignedParams,
    find,
)

__all__ = [
    "VERSION_NAMES",
    "Prober",
    "alert_is",
    "probe_groups",
    "probe_signatures12",
    "probe_suites",
    "probe_version",
    "server_key_exchange",
]

_V = ProtocolVersion
VERSION_NAMES: Final[Mapping[int, str]] = MappingProxyType({
    _V.SSL3_0: "SSL 3.0", _V.TLS1_0: "TLS 1.0", _V.TLS1_1: "TLS 1.1", _V.TLS1_2: "TLS 1.2",
    _V.TLS1_3: "TLS 1.3"})
Progress = Callable[[int, str], None]
_EC_GROUPS: Final = (NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1,
                     NamedGroup.SECP521R1, NamedGroup.X448)


class Prober:
    """Sends hellos to one target, at most `limit` at a time, reporting each one."""

    def __init__(self, target: Target, limit: int, progress: Progress | None = None) -> None:
        self.target = target
        self.sent = 0
        self._gate = asyncio.Semaphore(limit)
        self._progress = progress

    def spec(self, version: int, suites: tuple[int, ...] | None = None) -> HelloSpec:
        """A hello for `version` offering everything the scanner knows by default."""
        if suites is None:
            suites = TLS13_SUITES if version >= _V.TLS1_3 else LEGACY_SUITES
        return HelloSpec(version=version, cipher_suites=suites,
                         server_name=self.target.server_name,
                         plain=version == _V.SSL3_0)

    async def send(self, spec: HelloSpec, label: str) -> Flight:
        async with self.slot(label):
            return await exchange(self.target, build_hello(spec))

    @asynccontextmanager
    async def slot(self, label: str) -> AsyncIterator[None]:
        """One connection's turn under the bound (whole handshakes use it directly)."""
        async with self._gate:
            yield
            self.sent += 1
            if self._progress is not None:
                self._progress(self.sent, label)


def server_key_exchange(flight: Flight, code: int) -> EcdheServerParams | \
        DheServerParams | None:
    """The params of the flight's ServerKeyExchange, for the kind of suite `code` is.

    Only the params: the signature after them has no algorithm field before TLS 1.2
    (RFC 4346 §7.4.3), and the scanner reads every version."""
    body = flight.message(HandshakeType.SERVER_KEY_EXCHANGE)
    info = suite_info(code)
    if body is None or not (info.ecdhe or info.dhe):
        return None
    try:
        if info.ecdhe:
            return EcdheServerParams.decode(Reader(body))
        return DheServerParams.decode(Reader(body))
    except DecodeError:
        return None


def _prime_bits(params: DheServerParams) -> int:
    return int.from_bytes(params.dh_p, "big").bit_length()


async def probe_version(p: Prober, version: int) -> VersionFinding:
    flight = await p.send(p.spec(version), f"version {VERSION_NAMES[version]}")
    chosen = flight.version
    if chosen is not None and chosen != version:
        answer = f"ServerHello for {describe(ProtocolVersion, chosen)}"
    else:
        answer = flight.describe()
    return VersionFinding(version=version, name=VERSION_NAMES[version],
                          accepted=chosen == version, answer=answer)


async def probe_suites(p: Prober, version: int) -> SuitesFinding:
    """Offer every suite, remove the one chosen, repeat: the order of choices is the
    server's preference when it enforces one (tested by offering its top two reversed)."""
    base = p.spec(version)
    remaining = list(base.cipher_suites)
    found: list[SuiteFinding] = []
    while remaining:
        flight = await p.send(replace(base, cipher_suites=tuple(remaining)),
                              f"suites {VERSION_NAMES[version]}")
        chosen = _chosen_suite(flight, version, remaining)
        if chosen is None:
            break
        remaining.remove(chosen)
        found.append(_suite_finding(flight, chosen))
    order = None
    if len(found) >= 2:
        top = (found[1].code, found[0].code)
        flight = await p.send(replace(base, cipher_suites=top),
                              f"suite order {VERSION_NAMES[version]}")
        picked = _chosen_suite(flight, version, list(top))
        order = None if picked is None else picked == found[0].code
    return SuitesFinding(version=version, name=VERSION_NAMES[version], suites=tuple(found),
                         server_order=order)


def _chosen_suite(flight: Flight, version: int, offered: list[int]) -> int | None:
    sh = flight.server_hello
    if sh is None or sh.cipher_suite not in offered:
        return None
    # A HelloRetryRequest names the suite too (RFC 8446 §4.1.4).
    if not sh.is_hello_retry_request and flight.version != version:
        return None
    return sh.cipher_suite


def _suite_finding(flight: Flight, code: int) -> SuiteFinding:
    info = suite_info(code)
    return SuiteFinding(code=code, name=info.name, key_exchange=_kx_detail(flight, code),
                        forward_secrecy=info.forward_secrecy)


def _kx_detail(flight: Flight, code: int) -> str:
    sh = flight.server_hello
    if sh is not None and not suite_info(code).key_exchange:
        share = find(sh.extensions, KeyShareServerHello)
        retry = find(sh.extensions, KeyShareHelloRetryRequest)
        group = share.server_share.group if share else retry.selected_group if retry else None
        return "" if group is None else f"ECDH {describe(NamedGroup, group)}"
    ske = server_key_exchange(flight, code)
    if isinstance(ske, EcdheServerParams):
        return f"ECDH {describe(NamedGroup, ske.named_curve)}"
    if isinstance(ske, DheServerParams):
        return f"DH {_prime_bits(ske)} bits"
    return suite_info(code).key_exchange


async def probe_groups(p: Prober, tls13: bool, tls12: int | None) -> GroupsFinding:
    """1.3: offer each group alone without a share, so a server that supports it must
    answer with a HelloRetryRequest naming it. 1.2: each curve alone, ECDHE suites only."""
    jobs13 = [_group13(p, g) for g in ALL_GROUPS] if tls13 else []
    jobs12 = [_group12(p, tls12, g) for g in _EC_GROUPS] if tls12 else []
    results = await asyncio.gather(*jobs13, *jobs12)
    g13 = tuple(g for g, ok in zip(ALL_GROUPS, results[: len(jobs13)], strict=False) if ok)
    g12 = tuple(g for g, ok in zip(_EC_GROUPS, results[len(jobs13) :], strict=False) if ok)
    hrr = "TLS 1.3 not accepted"
    if tls13:
        # Each group above was offered without a share, so each was found by its HRR.
        hrr = (f"sends HelloRetryRequest for {len(g13)} group(s) offered without a share; "
               f"{await _hrr_behaviour(p, g13)}")
    names = tuple(describe(NamedGroup, g) for g in dict.fromkeys((*g13, *g12)))
    return GroupsFinding(tls13=g13, tls12=g12, names=names, hello_retry_request=hrr)


async def _group13(p: Prober, group: int) -> bool:
    spec = replace(p.spec(_V.TLS1_3), groups=(group,), key_share_groups=())
    flight = await p.send(spec, f"group {describe(NamedGroup, group)}")
    sh = flight.server_hello
    retry = find(sh.extensions, KeyShareHelloRetryRequest) if sh else None
    return retry is not None and retry.selected_group == group


async def _group12(p: Prober, version: int, group: int) -> bool:
    suites = tuple(c for c in LEGACY_SUITES if suite_info(c).ecdhe)
    spec = replace(p.spec(version, suites), groups=(group,))
    flight = await p.send(spec, f"curve {describe(NamedGroup, group)}")
    sh = flight.server_hello
    ske = server_key_exchange(flight, sh.cipher_suite) if sh else None
    return isinstance(ske, EcdheServerParams) and ske.named_curve == group


async def _hrr_behaviour(p: Prober, accepted: tuple[int, ...]) -> str:
    """Offer every accepted group, with a share only for the last: does it ask for more?"""
    if len(accepted) < 2:
        return "only one group: nothing to retry for" if accepted else "no group accepted"
    last = _shareable(accepted)
    spec = replace(p.spec(_V.TLS1_3), groups=accepted, key_share_groups=(last,))
    flight = await p.send(spec, "HelloRetryRequest")
    sh = flight.server_hello
    if sh is None:
        return f"refused a hello with a {describe(NamedGroup, last)} share: {flight.describe()}"
    retry = find(sh.extensions, KeyShareHelloRetryRequest)
    if retry is not None:
        return (f"HelloRetryRequest for {describe(NamedGroup, retry.selected_group)} "
                f"when offered a {describe(NamedGroup, last)} share")
    return f"used the {describe(NamedGroup, last)} share it was given (no HelloRetryRequest)"


def _shareable(accepted: tuple[int, ...]) -> int:
    """The least preferred accepted group the scanner can make a real share for."""
    return next((g for g in reversed(accepted) if g in _EC_GROUPS), accepted[-1])


async def probe_signatures12(p: Prober, version: int | None,
                             tls13: tuple[int, ...]) -> SignaturesFinding:
    """TLS 1.2 only has ServerKeyExchange in the clear: offer one scheme at a time."""
    schemes: tuple[int, ...] = ()
    if version == _V.TLS1_2:
        results = await asyncio.gather(*(_signature12(p, s) for s in ALL_SIGNATURE_SCHEMES))
        schemes = tuple(s for s, ok in zip(ALL_SIGNATURE_SCHEMES, results, strict=True) if ok)
    names = tuple(describe(SignatureScheme, s) for s in dict.fromkeys((*tls13, *schemes)))
    return SignaturesFinding(tls13=tls13, tls12=schemes, names=names)


async def _signature12(p: Prober, scheme: int) -> bool:
    suites = tuple(c for c in LEGACY_SUITES if suite_info(c).forward_secrecy)
    spec = replace(p.spec(_V.TLS1_2, suites), signature_schemes=(scheme,))
    flight = await p.send(spec, "signature schemes")
    sh = flight.server_hello
    body = flight.message(HandshakeType.SERVER_KEY_EXCHANGE)
    if sh is None or body is None:
        return False
    try:
        signed, _ = SignedParams.from_body(body, dhe=suite_info(sh.cipher_suite).dhe)
    except DecodeError:
        return False
    return signed.algorithm == scheme


def alert_is(flight: Flight, description: AlertDescription) -> bool:
    return flight.alert is not None and flight.alert.description == description

