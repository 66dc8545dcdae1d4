"""`fast_init` keeps every decorated class's dataclass contract (tlsglass/_fastinit.py)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

import tlsglass
from tlsglass._fastinit import fast_init


def _decorated_classes() -> list[type]:
    found: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(tlsglass.__path__, "tlsglass."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, type) and "__dataclass_init__" in value.__dict__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


DECORATED = _decorated_classes()


def test_the_engine_uses_it() -> None:
    names = {c.__qualname__ for c in DECORATED}
    assert {"ClientHello", "Negotiated", "ApplicationData", "HandshakeComplete",
            "WaitFinished", "KeyShareEntry", "Certificate"} <= names
    assert len(DECORATED) > 150


def _same_signature(new: Any, old: Any) -> None:
    new_params = list(inspect.signature(new).parameters.values())
    old_params = list(inspect.signature(old).parameters.values())
    assert [(p.name, p.kind) for p in new_params] == [(p.name, p.kind) for p in old_params]
    for n, o in zip(new_params, old_params, strict=True):
        assert (n.default is inspect.Parameter.empty) == (o.default is inspect.Parameter.empty)
        if o.default is not inspect.Parameter.empty and not repr(o.default).startswith("<factory"):
            assert n.default is o.default, n.name


def _build(init: Any, cls: type, kwargs: dict[str, Any]) -> tuple[object | None, type | None]:
    instance: object = object.__new__(cls)
    try:
        init(instance, **kwargs)
    except Exception as exc:  # a __post_init__ refusing our placeholder values
        return None, type(exc)
    return instance, None


@pytest.mark.parametrize("cls", DECORATED, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_same_contract_as_the_dataclass(cls: type) -> None:
    old = cls.__dict__["__dataclass_init__"]
    new = cls.__dict__["__init__"]
    _same_signature(new, old)
    # Every parameter without a default gets a distinct placeholder; the two inits must
    # store the same objects (or refuse alike, where __post_init__ checks them).
    kwargs = {p.name: object() for p in inspect.signature(old).parameters.values()
              if p.name != "self" and p.default is inspect.Parameter.empty}
    ours, our_error = _build(new, cls, kwargs)
    theirs, their_error = _build(old, cls, kwargs)
    assert our_error == their_error
    if ours is None or theirs is None:
        return
    for f in dataclasses.fields(cls):
        mine, expected = getattr(ours, f.name), getattr(theirs, f.name)
        if f.default_factory is not dataclasses.MISSING:
            assert mine == expected and type(mine) is type(expected)
        else:
            assert mine is expected, f.name
    for f in dataclasses.fields(cls)[:1]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(ours, f.name, None)


@fast_init
@dataclass(frozen=True, slots=True)
class _Base:
    a: int
    b: str = "b"


@fast_init
@dataclass(frozen=True, slots=True)
class _Mixed(_Base):
    tag: ClassVar[str] = "mixed"
    c: list[int] = field(default_factory=list)
    d: int = field(default=4, kw_only=True)
    e: int = field(default=0, init=False)
    f: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "f", (self.a, self.d))


def test_defaults_factories_inheritance_and_post_init() -> None:
    one = _Mixed(1)
    assert (one.a, one.b, one.c, one.d, one.e, one.f) == (1, "b", [], 4, 0, (1, 4))
    assert one.c is not _Mixed(1).c  # a fresh list each time
    two = _Mixed(2, "x", [3], d=5)
    assert two == _Mixed(2, "x", [3], d=5) and two.f == (2, 5)
    assert dataclasses.replace(two, a=7).f == (7, 5)
    with pytest.raises(TypeError):
        _Mixed(1, "x", [], 5)  # type: ignore[call-arg]  # d is keyword-only
    with pytest.raises(TypeError):
        _Mixed(1, e=3)  # type: ignore[call-arg]  # e is not an init parameter
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.a = 3  # type: ignore[misc]


def test_refuses_what_it_cannot_serve() -> None:
    @dataclass(slots=True)
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    for cls in (Mutable, NoSlots, int):
        with pytest.raises(TypeError):
            fast_init(cls)
