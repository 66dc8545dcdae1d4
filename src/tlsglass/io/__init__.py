"""Adapters around the sans-I/O engine: blocking sockets (sync) and asyncio streams (aio)."""

from tlsglass.io import aio
from tlsglass.io.aio import TLSStreamReader, TLSStreamWriter, open_connection, start_server
from tlsglass.io.keylog import KeyLogFile, key_log_from_environment
from tlsglass.io.sync import TLSSocket, TruncatedError, connect, wrap_server

__all__ = ["KeyLogFile", "TLSSocket", "TLSStreamReader", "TLSStreamWriter", "TruncatedError",
           "aio", "connect", "key_log_from_environment", "open_connection", "start_server",
           "wrap_server"]
