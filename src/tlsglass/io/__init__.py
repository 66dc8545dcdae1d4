"""Adapters around the sans-I/O engine: blocking sockets (sync) and asyncio (aio, to come)."""

from tlsglass.io.sync import TLSSocket, TruncatedError, connect, wrap_server

__all__ = ["TLSSocket", "TruncatedError", "connect", "wrap_server"]
