"""Secret: key material that never shows itself (STYLE convention 9).

A Secret's repr names only its label and length. The bytes come out through
`reveal()`, a name chosen so that every place that handles raw key material is
easy to find by search. Equality is constant-time.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

__all__ = ["DeferredSecret", "Secret"]


class Secret:
    """Named key material; `repr` shows the label and length, never the value."""

    __slots__ = ("_value", "label")

    def __init__(self, label: str, value: bytes) -> None:
        self.label = label
        self._value = bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def __len__(self) -> int:
        return len(self.reveal())

    def __repr__(self) -> str:
        return f"Secret({self.label!r}, {len(self)} bytes)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.reveal(), other.reveal())

    def __hash__(self) -> int:
        return hash((self.label, len(self)))


class DeferredSecret(Secret):
    """A Secret whose value is computed by its first `reveal()`.

    For key-schedule values that most connections never use (the exporter and
    resumption master secrets, RFC 8446 §7.1): deriving them costs an HKDF-Expand
    each, about 1% of a full handshake, and only an exporter call, a ticket or a key
    log needs them. `compute` is dropped once it has run.
    """

    __slots__ = ("_compute",)

    def __init__(self, label: str, compute: Callable[[], bytes]) -> None:
        super().__init__(label, b"")
        self._compute: Callable[[], bytes] | None = compute

    def reveal(self) -> bytes:
        compute = self._compute
        if compute is not None:
            self._value = bytes(compute())
            self._compute = None
        return self._value
