"""tlsglass: TLS 1.3 in Python, client and server, that you can see through.

The front door. Everything in `__all__` is the stable API:

    conn = tlsglass.Connection(tlsglass.ClientConfig(server_name="example.org"))
    conn.start_handshake()                  # queues the ClientHello
    sock.sendall(conn.data_to_send())
    for event in conn.receive_data(sock.recv(65536)):
        match event:
            case tlsglass.HandshakeComplete(): ...
            case tlsglass.ApplicationData(data=data): ...
"""

from tlsglass.config import (
    CertificateRequestInfo,
    CertifiedKey,
    ClientCertificates,
    ClientCertificateSelector,
    ClientConfig,
    KeyLog,
    ServerConfig,
)
from tlsglass.connection import Connection
from tlsglass.enums import (
    AlertDescription,
    CipherSuite,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
)
from tlsglass.errors import (
    BadCertificate,
    CertificateExpired,
    ConfigError,
    FatalAlertReceived,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    TLSError,
    UnknownCA,
)
from tlsglass.events import (
    AlertReceived,
    ApplicationData,
    ConnectionClosed,
    ConnectionTruncated,
    EarlyDataAccepted,
    EarlyDataReceived,
    EarlyDataRejected,
    Event,
    HandshakeComplete,
    KeyUpdated,
    NewSessionTicketReceived,
    PostHandshakeAuthComplete,
)
from tlsglass.session import (
    ClientTicket,
    ClientTicketStore,
    ExternalPsk,
    InMemoryReplayStore,
    InMemorySessionCache,
    InMemoryTicketStore,
    ReplayStore,
    RotatingTicketKeys,
    SessionCache,
    TicketKey,
    TicketKeySource,
)
from tlsglass.x509 import Certificate, TrustStore, VerifiedChain

__version__ = "0.1.0"

__all__ = [
    "AlertDescription",
    "AlertReceived",
    "ApplicationData",
    "BadCertificate",
    "Certificate",
    "CertificateExpired",
    "CertificateRequestInfo",
    "CertifiedKey",
    "CipherSuite",
    "ClientCertificateSelector",
    "ClientCertificates",
    "ClientConfig",
    "ClientTicket",
    "ClientTicketStore",
    "ConfigError",
    "Connection",
    "ConnectionClosed",
    "ConnectionTruncated",
    "EarlyDataAccepted",
    "EarlyDataReceived",
    "EarlyDataRejected",
    "Event",
    "ExternalPsk",
    "FatalAlertReceived",
    "HandshakeComplete",
    "InMemoryReplayStore",
    "InMemorySessionCache",
    "InMemoryTicketStore",
    "KeyLog",
    "KeyUpdated",
    "LocalProtocolError",
    "NamedGroup",
    "NewSessionTicketReceived",
    "PostHandshakeAuthComplete",
    "ProtocolError",
    "ProtocolVersion",
    "RemoteProtocolError",
    "ReplayStore",
    "RotatingTicketKeys",
    "ServerConfig",
    "SessionCache",
    "SignatureScheme",
    "TLSError",
    "TicketKey",
    "TicketKeySource",
    "TrustStore",
    "UnknownCA",
    "VerifiedChain",
]
