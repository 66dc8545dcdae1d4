"""Blocking adapter: a socket-like object that speaks TLS through a Connection.

It feeds what the transport gives into `receive_data`, sends whatever
`data_to_send()` holds after every call, and turns events into return values;
it makes no protocol decisions. Policy on EOF: an EOF after close_notify reads as
b"" (a clean end); an EOF without close_notify raises `TruncatedError`, because a
truncation attack must not look like a clean end.

It wraps any object with `sendall`, `recv` and `close` (a socket, or anything that
quacks like one), not only TCP. It is not thread-safe: concurrent use raises.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable
from typing import Protocol

import tlsglass
from tlsglass import (
    ApplicationData,
    ClientConfig,
    Connection,
    ConnectionClosed,
    ConnectionTruncated,
    EarlyDataAccepted,
    EarlyDataReceived,
    Event,
    HandshakeComplete,
    PostHandshakeAuthComplete,
    ServerConfig,
    TLSError,
)
from tlsglass.enums import CipherSuite, NamedGroup, ProtocolVersion, describe

__all__ = ["TLSSocket", "TruncatedError", "connect", "wrap_server"]


class TruncatedError(TLSError, ConnectionError):
    """The transport ended without close_notify: the data may have been cut short."""


class Transport(Protocol):
    def sendall(self, data: bytes, /) -> object: ...

    def recv(self, bufsize: int, /) -> bytes: ...

    def close(self) -> None: ...


class _RawTLS(io.RawIOBase):
    """The raw layer under makefile(): reads and writes plaintext through a TLSSocket."""

    def __init__(self, tls: TLSSocket) -> None:
        self._tls = tls

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._tls.recv_into(buffer)

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._tls.sendall(bytes(data))
        return len(data)


class TLSSocket:
    """A blocking TLS stream over a transport; use as a context manager."""

    def __init__(self, transport: Transport, conn: Connection) -> None:
        self.transport = transport
        self.conn = conn
        self._plaintext = bytearray()
        self._closed_by_peer = False
        self._lock = threading.Lock()
        self.handshake: HandshakeComplete | None = None
        # 0-RTT: the client's data was accepted; the server's count of early bytes,
        # which reach recv() like any others but may have been replayed (RFC 8446 §8).
        self.early_data_accepted = False
        self.early_data_received = 0
        self._post_auth: PostHandshakeAuthComplete | None = None

    # -- plumbing ----------------------------------------------------------

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.transport.sendall(data)

    def _pump_once(self) -> None:
        data = self.transport.recv(65536)
        try:
            events = self.conn.receive_data(data)
        finally:
            self._flush()
        self._absorb(events)

    def _absorb(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, ApplicationData):
                self._plaintext += event.data
            elif isinstance(event, HandshakeComplete):
                self.handshake = event
            elif isinstance(event, EarlyDataReceived):
                self._plaintext += event.data
                self.early_data_received += len(event.data)
            elif isinstance(event, EarlyDataAccepted):
                self.early_data_accepted = True
            elif isinstance(event, PostHandshakeAuthComplete):
                self._post_auth = event
            elif isinstance(event, ConnectionClosed):
                self._closed_by_peer = True
            elif isinstance(event, ConnectionTruncated):
                raise TruncatedError("the peer closed the connection without close_notify")

    def _guard(self) -> threading.Lock:
        if self._lock.locked():
            raise RuntimeError("TLSSocket used from two threads at once")
        return self._lock

    # -- public --------------------------------------------------------------

    def do_handshake(self, early_data: bytes = b"") -> HandshakeComplete:
        """Run the handshake. A client's `early_data` goes out as 0-RTT data when a
        ticket allows it; whatever the server did not accept is sent again once the
        handshake is done, so the peer always gets all of it, in order."""
        with self._guard():
            early = b""
            if not self.conn.started:
                self.conn.start_handshake()
                early = early_data[:self.conn.early_data_limit]
                self.conn.send_early_data(early)
                self._flush()
            while self.handshake is None:
                if self._closed_by_peer:
                    raise TruncatedError("the peer closed the connection during the handshake")
                self._pump_once()
            rest = early_data[len(early):] if self.early_data_accepted else early_data
            if rest:
                self.conn.send_application_data(rest)
                self._flush()
            return self.handshake

    def sendall(self, data: bytes) -> None:
        with self._guard():
            self.conn.send_application_data(data)
            self._flush()

    send = sendall

    def recv(self, bufsize: int = 65536) -> bytes:
        """Up to bufsize bytes; b"" after the peer's close_notify."""
        with self._guard():
            while not self._plaintext and not self._closed_by_peer:
                self._pump_once()
            out = bytes(self._plaintext[:bufsize])
            del self._plaintext[:bufsize]
            return out

    def recv_into(self, buffer: bytearray | memoryview, nbytes: int = 0) -> int:
        """Like socket.recv_into: fill `buffer` with up to nbytes (0: its size)."""
        view = memoryview(buffer).cast("B")
        data = self.recv(nbytes or len(view))
        view[: len(data)] = data
        return len(data)

    def makefile(self, mode: str = "rb", buffering: int | None = None) -> io.BufferedIOBase:
        """A binary file object over this stream ("rb", "wb" or "rwb")."""
        raw = _RawTLS(self)
        size = buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE
        if "r" in mode and "w" in mode:
            return io.BufferedRWPair(raw, raw, size)  # type: ignore[type-var]
        if "w" in mode:
            return io.BufferedWriter(raw, size)  # type: ignore[type-var]
        return io.BufferedReader(raw, size)

    def shutdown(self, how: int = socket.SHUT_WR) -> None:
        """Send close_notify (we will write no more); reading goes on until the peer's."""
        with self._guard():
            self.conn.close()
            self._flush()
        if how == socket.SHUT_RDWR and isinstance(self.transport, socket.socket):
            self.transport.shutdown(how)

    def getpeercert(self) -> dict[str, object] | None:
        """The peer's leaf certificate in the shape of ssl.SSLSocket.getpeercert()."""
        chain = self.conn.peer_certificates
        if not chain:
            return None
        leaf = chain[0]
        return {
            "subject": leaf.subject,
            "issuer": leaf.issuer,
            "serialNumber": f"{leaf.serial_number:X}",
            "notBefore": leaf.not_before.strftime("%b %d %H:%M:%S %Y GMT"),
            "notAfter": leaf.not_after.strftime("%b %d %H:%M:%S %Y GMT"),
            "subjectAltName": tuple(("DNS", n) for n in leaf.dns_names)
            + tuple(("IP Address", a) for a in leaf.ip_addresses),
            "sha256": leaf.sha256_fingerprint,
        }

    def peer_certificates(self) -> tuple[tlsglass.Certificate, ...]:
        """The whole chain the peer sent, leaf first."""
        return self.conn.peer_certificates

    def request_client_certificate(self) -> tuple[tlsglass.Certificate, ...]:
        """Server, TLS 1.3: ask for the client's certificate now (§4.6.2) and wait for it.

        Returns the verified chain, or () if the client declined; application data
        that arrives meanwhile is kept for recv(). A chain that fails verification
        raises, with the alert already sent.
        """
        with self._guard():
            self._post_auth = None
            self.conn.request_client_certificate()
            self._flush()
            while self._post_auth is None:
                if self._closed_by_peer:
                    raise TruncatedError("the peer closed before answering the request")
                self._pump_once()
            return self._post_auth.peer_certificates

    def key_update(self, request_peer: bool = True) -> None:
        with self._guard():
            self.conn.key_update(request_peer)
            self._flush()

    def close(self) -> None:
        try:
            self.conn.close()
            self._flush()
        except OSError:
            pass
        finally:
            self.transport.close()

    def __enter__(self) -> TLSSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> str | None:
        v = self.conn.version
        return None if v is None else describe(ProtocolVersion, v)

    def cipher(self) -> str | None:
        c = self.conn.cipher_suite
        return None if c is None else describe(CipherSuite, c)

    def group(self) -> str | None:
        g = self.conn.group
        return None if g is None else describe(NamedGroup, g)

    def selected_alpn_protocol(self) -> str | None:
        return self.conn.alpn_protocol


def connect(host: str, port: int, config: ClientConfig, timeout: float | None = 10.0,
            socket_factory: Callable[..., socket.socket] = socket.create_connection,
            early_data: bytes = b"") -> TLSSocket:
    """Open TCP, run the handshake, return the TLS socket. `early_data` is sent in
    0-RTT when possible (see TLSSocket.do_handshake), else right after the handshake."""
    return _handshake(socket_factory((host, port), timeout=timeout), config, early_data)


def wrap_server(sock: socket.socket, config: ServerConfig) -> TLSSocket:
    """Run the server handshake on an accepted socket."""
    return _handshake(sock, config)


def _handshake(sock: socket.socket, config: ClientConfig | ServerConfig,
               early_data: bytes = b"") -> TLSSocket:
    """Wrap `sock`, run the handshake, and close the socket if it fails."""
    tls = TLSSocket(sock, Connection(config))
    try:
        tls.do_handshake(early_data)
    except BaseException:
        sock.close()
        raise
    return tls
