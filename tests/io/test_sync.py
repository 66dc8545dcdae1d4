"""The blocking adapter's socket-like surface, over real loopback sockets."""

from __future__ import annotations

import socket

import pytest

import tlsglass
from helpers import Pki, client_config, server_config
from peers import ThreadServer, echo
from tlsglass.io import TLSSocket, TruncatedError, connect


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def test_socket_like_surface(pki: Pki) -> None:
    with ThreadServer(server_config(pki.issue(), alpn_protocols=("h2",)), echo) as srv, \
            connect("127.0.0.1", srv.port, client_config(pki, alpn_protocols=("h2",))) as tls:
        assert tls.version() == "TLS1_3"
        assert tls.cipher() == "TLS_AES_128_GCM_SHA256"
        assert tls.selected_alpn_protocol() == "h2"
        cert = tls.getpeercert()
        assert cert is not None
        assert cert["subjectAltName"] == (("DNS", "localhost"), ("IP Address", "127.0.0.1"))
        tls.sendall(b"into a buffer")
        buffer = bytearray(100)
        n = tls.recv_into(buffer)
        assert bytes(buffer[:n]) == b"into a buffer"
        f = tls.makefile("rwb")
        f.write(b"line one\nline two\n")
        f.flush()
        assert f.readline() == b"line one\n"
        assert f.readline() == b"line two\n"
        tls.shutdown(socket.SHUT_WR)  # close_notify: the echo server ends, and so do we
        assert tls.recv() == b""
    assert not srv.errors, srv.errors


def test_truncation_is_not_a_clean_end(pki: Pki) -> None:
    def cut(tls: TLSSocket) -> None:
        tls.sendall(b"partial")
        tls.transport.close()  # no close_notify

    with ThreadServer(server_config(pki.issue()), cut) as srv, \
            connect("127.0.0.1", srv.port, client_config(pki)) as tls:
        assert tls.recv() == b"partial"
        with pytest.raises(TruncatedError):
            tls.recv()


def test_handshake_failure_closes_the_socket(pki: Pki) -> None:
    with ThreadServer(server_config(Pki("other").issue()), echo) as srv, \
            pytest.raises(tlsglass.RemoteProtocolError) as info:
        connect("127.0.0.1", srv.port, client_config(pki))
    assert info.value.alert == tlsglass.AlertDescription.UNKNOWN_CA
