"""The local CA's one exception: a sentence for a person, never a traceback."""

from __future__ import annotations

from tlsglass.errors import TLSError

__all__ = ["CAError"]


class CAError(TLSError, ValueError):
    """The CA cannot do what was asked; the message says why and, where it can, what to do."""
