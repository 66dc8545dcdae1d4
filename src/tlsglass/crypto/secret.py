"""Secret: key material that never shows itself (STYLE convention 9).

A Secret's repr names only its label and length. The bytes come out through
`reveal()`, a name chosen so that every place that handles raw key material is
easy to find by search. Equality is constant-time.
"""

from __future__ import annotations

import hmac

__all__ = ["Secret"]


class Secret:
    """Named key material; `repr` shows the label and length, never the value."""

    __slots__ = ("_value", "label")

    def __init__(self, label: str, value: bytes) -> None:
        self.label = label
        self._value = bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.label!r}, {len(self._value)} bytes)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash((self.label, len(self._value)))
