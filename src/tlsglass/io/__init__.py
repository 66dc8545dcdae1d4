"""Adapters around the sans-I/O engine: blocking sockets (sync) and asyncio (aio, to come)."""

from tlsglass.io.keylog import KeyLogFile, key_log_from_environment
from tlsglass.io.sync import TLSSocket, TruncatedError, connect, wrap_server

__all__ = ["KeyLogFile", "TLSSocket", "TruncatedError", "connect", "key_log_from_environment",
           "wrap_server"]
