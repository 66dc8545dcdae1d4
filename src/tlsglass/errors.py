"""The exception tree: every protocol error names the alert it causes (convention 6).

Internal code raises the specific `ProtocolError` subclass; the Connection alone
decides whose fault it was and re-raises it as `RemoteProtocolError` (the peer
sent something wrong; our fatal alert is already queued) or `LocalProtocolError`
(the caller misused the API; nothing goes on the wire).
"""

from __future__ import annotations

from typing import ClassVar

from tlsglass.enums import AlertDescription, AlertLevel, describe

__all__ = [
    "AccessDenied",
    "BadCertificate",
    "BadRecordMac",
    "CertificateExpired",
    "CertificateRequired",
    "CertificateRevoked",
    "CertificateUnknown",
    "ConfigError",
    "DecodeError",
    "DecryptError",
    "EncodeError",
    "FatalAlertReceived",
    "HandshakeFailure",
    "IllegalParameter",
    "InappropriateFallback",
    "InsufficientSecurity",
    "InternalError",
    "LocalProtocolError",
    "MissingExtension",
    "NoApplicationProtocol",
    "ProtocolError",
    "ProtocolVersionError",
    "RecordOverflow",
    "RemoteProtocolError",
    "TLSError",
    "UnexpectedMessage",
    "UnknownCA",
    "UnknownPSKIdentity",
    "UnrecognizedName",
    "UnsupportedCertificate",
    "UnsupportedExtension",
    "alert_for",
]


class TLSError(Exception):
    """Base of every exception tlsglass raises on purpose."""


class ConfigError(TLSError, ValueError):
    """A ClientConfig/ServerConfig (or a file it was built from) is invalid."""


class EncodeError(TLSError, ValueError):
    """A value we were asked to encode does not fit its wire field (too long, out of range)."""


class ProtocolError(TLSError):
    """A violation of the protocol; `alert` is the description our fatal alert carries."""

    alert: ClassVar[AlertDescription] = AlertDescription.INTERNAL_ERROR



class DecodeError(ProtocolError):
    """Bytes that do not parse: bad length, truncated, trailing data, out-of-range value."""

    alert = AlertDescription.DECODE_ERROR


class UnexpectedMessage(ProtocolError):
    """A message or record that is not allowed in the current state."""

    alert = AlertDescription.UNEXPECTED_MESSAGE


class IllegalParameter(ProtocolError):
    """A field parsed but its value is wrong or inconsistent with what was negotiated."""

    alert = AlertDescription.ILLEGAL_PARAMETER


class HandshakeFailure(ProtocolError):
    """No acceptable set of parameters could be negotiated."""

    alert = AlertDescription.HANDSHAKE_FAILURE


class BadRecordMac(ProtocolError):
    """A protected record did not authenticate (RFC 8446 §5.2)."""

    alert = AlertDescription.BAD_RECORD_MAC


class RecordOverflow(ProtocolError):
    """A record longer than the negotiated limit (RFC 8446 §5.1, §5.2; RFC 8449)."""

    alert = AlertDescription.RECORD_OVERFLOW


class DecryptError(ProtocolError):
    """A Finished, binder or signature check failed (RFC 8446 §6.2)."""

    alert = AlertDescription.DECRYPT_ERROR


class ProtocolVersionError(ProtocolError):
    """The peer's version is one we will not speak."""

    alert = AlertDescription.PROTOCOL_VERSION


class InsufficientSecurity(ProtocolError):
    """The peer offers only parameters weaker than we accept."""

    alert = AlertDescription.INSUFFICIENT_SECURITY


class InternalError(ProtocolError):
    """Something on our side failed that is not the peer's fault."""

    alert = AlertDescription.INTERNAL_ERROR


class BadCertificate(ProtocolError):
    """A certificate is corrupt, or its signatures do not verify, or its name does not match."""

    alert = AlertDescription.BAD_CERTIFICATE


class UnsupportedCertificate(ProtocolError):
    """A certificate of a type or key we cannot use."""

    alert = AlertDescription.UNSUPPORTED_CERTIFICATE


class CertificateRevoked(ProtocolError):
    """A certificate was revoked by its issuer."""

    alert = AlertDescription.CERTIFICATE_REVOKED


class CertificateExpired(ProtocolError):
    """A certificate is outside its validity period."""

    alert = AlertDescription.CERTIFICATE_EXPIRED


class CertificateUnknown(ProtocolError):
    """A certificate was refused for a reason no narrower alert names."""

    alert = AlertDescription.CERTIFICATE_UNKNOWN


class UnknownCA(ProtocolError):
    """The chain does not lead to a trusted root."""

    alert = AlertDescription.UNKNOWN_CA


class AccessDenied(ProtocolError):
    """The peer is authenticated but not allowed."""

    alert = AlertDescription.ACCESS_DENIED


class InappropriateFallback(ProtocolError):
    """TLS_FALLBACK_SCSV seen while we support a higher version (RFC 7507)."""

    alert = AlertDescription.INAPPROPRIATE_FALLBACK


class MissingExtension(ProtocolError):
    """A mandatory extension is absent (RFC 8446 §9.2)."""

    alert = AlertDescription.MISSING_EXTENSION


class UnsupportedExtension(ProtocolError):
    """An extension we did not offer came back, or one not allowed in that message."""

    alert = AlertDescription.UNSUPPORTED_EXTENSION


class UnrecognizedName(ProtocolError):
    """No certificate or virtual host matches the server_name."""

    alert = AlertDescription.UNRECOGNIZED_NAME


class UnknownPSKIdentity(ProtocolError):
    """No acceptable PSK identity was offered."""

    alert = AlertDescription.UNKNOWN_PSK_IDENTITY


class CertificateRequired(ProtocolError):
    """The server required a client certificate and got none (RFC 8446 §4.4.2.4)."""

    alert = AlertDescription.CERTIFICATE_REQUIRED


class NoApplicationProtocol(ProtocolError):
    """The client's ALPN offer has nothing the server supports (RFC 7301 §3.2)."""

    alert = AlertDescription.NO_APPLICATION_PROTOCOL


class LocalProtocolError(TLSError):
    """The caller used the Connection wrongly; nothing was sent to the peer."""


class RemoteProtocolError(TLSError):
    """The peer broke the protocol; the fatal alert `alert` is queued in data_to_send().

    The specific ProtocolError is chained as `__cause__`.
    """

    def __init__(self, message: str, alert: AlertDescription) -> None:
        super().__init__(message)
        self.alert = alert


class FatalAlertReceived(TLSError):
    """The peer sent a fatal alert; the connection is over.

    (Non-fatal alerts arrive as the `AlertReceived` event instead.)
    """

    def __init__(self, description: int, level: int = AlertLevel.FATAL) -> None:
        super().__init__(f"peer sent alert {describe(AlertDescription, description)}")
        self.description = description
        self.level = level


def alert_for(exc: BaseException) -> AlertDescription:
    """The one place that maps an exception to the alert we send for it."""
    if isinstance(exc, ProtocolError):
        return exc.alert
    return AlertDescription.INTERNAL_ERROR
