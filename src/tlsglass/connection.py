"""The sans-I/O facade: bytes in, bytes and events out (STYLE convention 1 and 6).

The Connection owns the record layer, the current handshake State, the
transcript and the outgoing buffer, and implements the Output the states write
through. It alone decides whose fault an error is:

- a ProtocolError while processing `receive_data` queues the fatal alert and is
  re-raised as RemoteProtocolError (the original chained as __cause__);
- misuse by the caller raises LocalProtocolError and sends nothing;
- a fatal alert from the peer raises FatalAlertReceived;
- anything else is a bug: internal_error is queued and the exception re-raised.

After any of these the connection stays in the ERROR state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Final

from tlsglass.config import ClientConfig, ServerConfig
from tlsglass.crypto.secret import Secret
from tlsglass.crypto.suites import SuiteInfo
from tlsglass.enums import AlertDescription, AlertLevel, ContentType
from tlsglass.errors import (
    DecodeError,
    FatalAlertReceived,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    UnexpectedMessage,
    alert_for,
)
from tlsglass.events import (
    AlertReceived,
    ApplicationData,
    ConnectionClosed,
    ConnectionTruncated,
    Event,
)
from tlsglass.handshake.base import Negotiated, State, dispatch
from tlsglass.handshake.client import start_client
from tlsglass.handshake.client13 import WaitSH
from tlsglass.handshake.connected12 import Connected12
from tlsglass.handshake.connected13 import Connected
from tlsglass.handshake.post_auth13 import start_post_handshake_auth
from tlsglass.handshake.server13 import Start
from tlsglass.keyschedule import KeyBlock12
from tlsglass.observe import (
    AlertTrace,
    KeyInstalled,
    MessageTrace,
    RecordTrace,
    StateChange,
    TraceRecord,
)
from tlsglass.record import RecordLayer, RecordProtection, RecordProtection12
from tlsglass.transcript import Transcript
from tlsglass.wire.alert import CHANGE_CIPHER_SPEC_BODY
from tlsglass.wire.handshake import HANDSHAKE_HEADER_LEN, HandshakeMessage, encode_handshake
from tlsglass.x509 import Certificate

__all__ = ["Connection"]

_HANDSHAKE: Final = int(ContentType.HANDSHAKE)
_APPLICATION_DATA: Final = int(ContentType.APPLICATION_DATA)
_ALERT: Final = int(ContentType.ALERT)
_CCS: Final = int(ContentType.CHANGE_CIPHER_SPEC)
# §6.1: the two closure alerts; every other alert is an error alert in TLS 1.3 (§6.2).
_CLOSURE: Final = frozenset({AlertDescription.CLOSE_NOTIFY, AlertDescription.USER_CANCELED})


class _Idle(State):
    """Before start_handshake (client)."""


class _Error(State):
    """ERROR: a fatal alert was sent or received; nothing more happens."""


class Connection:
    """One TLS connection, client or server, with no I/O of its own."""

    def __init__(self, config: ClientConfig | ServerConfig) -> None:
        self.config = config
        self.role = "client" if isinstance(config, ClientConfig) else "server"
        # Output.tracing as a plain attribute (the config cannot change): it is asked
        # ~44 times a full handshake, and a property call each time showed in the profile.
        self.tracing = config.trace is not None
        self.transcript = Transcript()
        self._records = RecordLayer(padding=config.padding)
        self._out: list[bytes] = []
        self._hs_out: list[bytes] = []
        self._hs_in = bytearray()
        self._events: list[Event] = []
        self._facts = Negotiated()
        self._peer_closed = False
        self._local_closed = False
        self._early_sent = 0
        # Application-data records may take the bulk path (receive_data): connected with
        # TLS 1.3 keys, and nobody tracing (who wants each record reported). Kept by
        # _set_state; an error clears it.
        self._bulk = False
        # The write key's RecordProtection while records of application data may be sealed
        # straight away (connected, TLS 1.3, open, unpadded, untraced); else None.
        self._bulk_write: RecordProtection | None = None
        self._state: State = Start(config=config) if isinstance(config, ServerConfig) \
            else _Idle()

    def __repr__(self) -> str:
        return f"<Connection {self.role} {self._state.name}>"

    # -- the caller's side ---------------------------------------------------

    def start_handshake(self) -> None:
        """Client: queue the ClientHello. (A server starts when the ClientHello arrives.)"""
        if not isinstance(self.config, ClientConfig) or not isinstance(self._state, _Idle):
            raise LocalProtocolError("start_handshake is for a client that has not started")
        config = self.config
        self._records.plaintext_version = 0x0301

        def start() -> None:
            self._set_state(WaitSH(sent=start_client(config, self)))
            self._flush_handshake()
            self._records.plaintext_version = 0x0303

        self._run(start, remote=False)

    def receive_data(self, data: bytes) -> list[Event]:
        """Feed bytes from the transport; b"" means the transport reached EOF."""
        if self._bulk and data and not self._hs_in and not self._peer_closed:
            # The bulk path (never after an error: that clears _bulk). Anything it does not
            # take whole goes on to the general path below.
            records = self._records
            content = records.open_application_record(data)
            if content is not None:
                return [ApplicationData(data=content)]
            contents, used = records.open_application_records(data)
            if contents:
                events: list[Event] = [ApplicationData(data=c) for c in contents]
                if used == len(data):
                    return events
                self._events.extend(events)
                data = data[used:]
        if isinstance(self._state, _Error):
            raise LocalProtocolError("the connection has failed; no more data can be processed")
        if not data:
            self._end_of_input()
        else:
            self._run(self._process, remote=True, arg=data)
        out, self._events = self._events, []
        return out

    def data_to_send(self) -> bytes:
        """Everything queued for the transport so far (b"" if nothing)."""
        if self._hs_out:
            self._flush_handshake()
        if not self._out:
            return b""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def send_application_data(self, data: bytes) -> None:
        write = self._bulk_write
        if write is not None and 0 < len(data) <= self._records.max_fragment_out \
                and not self._hs_out:
            # The bulk path: one record, nothing to trace or pad (see _set_state).
            self._out.append(write.seal_application_data(data))
            if write.seq >= write.limit:
                self.key_update(request_peer=False)  # §5.5: before the AEAD's usage limit
            return
        if not self._state.can_send_application_data:
            raise LocalProtocolError(f"cannot send application data in {self._state.name}")
        if self._local_closed:
            raise LocalProtocolError("cannot send application data after close()")
        if not data:
            return  # an empty record says nothing; do not send one
        if self._hs_out:
            self._flush_handshake()
        records = self._records
        current = records.write
        if current is not None and records.padding is None \
                and len(data) <= records.max_fragment_out:
            self._out.append(current.seal(_APPLICATION_DATA, bytes(data), 0))  # one record
        else:
            self._out.append(records.protect(_APPLICATION_DATA, bytes(data)))
        if self.config.trace is not None:  # convention 13: records out, too
            self._trace_record("out", _APPLICATION_DATA, len(data), current is not None,
                               self._out[-1][:5])
        if current is not None and current.seq >= current.limit:
            self.key_update(request_peer=False)  # §5.5: before the AEAD's usage limit

    @property
    def early_data_limit(self) -> int:
        """Client: how many more bytes of 0-RTT data may be sent now (0: none)."""
        state = self._state
        if not isinstance(state, WaitSH) or self._records.write is None:
            return 0
        return max(0, state.early_data_limit - self._early_sent)

    def send_early_data(self, data: bytes) -> None:
        """Client: send 0-RTT data after start_handshake (RFC 8446 §2.3). It may be
        replayed by an attacker, and the server may reject it (EarlyDataRejected)."""
        if len(data) > self.early_data_limit:
            raise LocalProtocolError(
                "0-RTT not possible: it needs a ticket that allows it, "
                "ClientConfig(enable_early_data=True), and no answer from the server yet"
                if not self.early_data_limit else
                f"only {self.early_data_limit} more bytes of early data are allowed")
        self._early_sent += len(data)
        if data:
            self._out.append(self._records.protect(_APPLICATION_DATA, bytes(data)))
            if self.config.trace is not None:  # convention 13: 0-RTT records out, too
                self._trace_record("out", _APPLICATION_DATA, len(data), True,
                                   self._out[-1][:5])

    def key_update(self, request_peer: bool = True) -> None:
        """§4.6.3: update our write key; with request_peer, ask the peer to update too."""
        state = self._state
        if not isinstance(state, Connected) or self._local_closed:
            raise LocalProtocolError("KeyUpdate is possible only on an open, connected session")
        self._run(lambda: self._set_state(state.send_key_update(self, request_peer)),
                  remote=False)

    def request_client_certificate(self) -> None:
        """Server, TLS 1.3: ask the client for its certificate now (§4.6.2).

        Needs a client that offered post_handshake_auth and a config with
        client_trust; one request at a time. The verified answer (or the client's
        refusal) arrives as a PostHandshakeAuthComplete event.
        """
        state, config = self._state, self.config
        if not isinstance(config, ServerConfig) or type(state) is not Connected \
                or self._local_closed:
            raise LocalProtocolError("only a connected TLS 1.3 server with no request "
                                     "outstanding can ask for a client certificate")
        if not self._facts.post_handshake_auth:
            raise LocalProtocolError("the client did not offer post_handshake_auth (§4.2.6)")
        if config.client_trust is None:
            raise LocalProtocolError("set client_trust in the ServerConfig to verify "
                                     "client certificates")
        facts = self._facts
        self._run(lambda: self._set_state(start_post_handshake_auth(
            state, config, facts, self, config.entropy(16))), remote=False)

    def close(self) -> None:
        """Queue close_notify; we send nothing more (§6.1)."""
        if self._local_closed or isinstance(self._state, _Error):
            return
        self._local_closed = True
        self._bulk_write = None
        self._send_alert(AlertLevel.WARNING, AlertDescription.CLOSE_NOTIFY)

    def export_keying_material(self, label: bytes | str, context: bytes | None = None,
                               length: int = 32) -> bytes:
        """§7.5 TLS-Exporter (RFC 5705 in TLS 1.2); available once the handshake is complete.

        In TLS 1.2 no context (None) and an empty one give different keys (RFC 5705 §4);
        in TLS 1.3 they are the same.
        """
        state = self._state
        raw_label = label.encode() if isinstance(label, str) else label
        if isinstance(state, Connected12):
            try:
                return state.export(raw_label, context, length)
            except ValueError as exc:
                raise LocalProtocolError(str(exc)) from None
        if not isinstance(state, Connected):
            raise LocalProtocolError("keying material can be exported after the handshake")
        return state.export(raw_label, context or b"", length)

    # -- read-only facts -----------------------------------------------------

    @property
    def state(self) -> str:
        return self._state.name

    @property
    def started(self) -> bool:
        """False only for a client whose start_handshake() has not been called yet."""
        return not isinstance(self._state, _Idle)

    @property
    def failed(self) -> bool:
        """Whether a fatal error ended the connection (it stays failed)."""
        return isinstance(self._state, _Error)

    @property
    def handshake_complete(self) -> bool:
        return isinstance(self._state, Connected | Connected12)

    @property
    def version(self) -> int | None:
        return self._facts.version

    @property
    def cipher_suite(self) -> int | None:
        return self._facts.cipher_suite

    @property
    def group(self) -> int | None:
        return self._facts.group

    @property
    def alpn_protocol(self) -> str | None:
        return self._facts.alpn_protocol

    @property
    def server_name(self) -> str | None:
        return self._facts.server_name

    @property
    def peer_certificates(self) -> tuple[Certificate, ...]:
        return self._facts.peer_certificates

    @property
    def signature_scheme(self) -> int | None:
        return self._facts.signature_scheme

    @property
    def resumed(self) -> bool:
        """Whether the handshake used a PSK (a ticket, or an external PSK) (§2.2)."""
        return self._facts.resumed

    # -- processing ----------------------------------------------------------

    def _run(self, action: Callable[..., None], remote: bool, arg: bytes | None = None) -> None:
        try:
            if arg is None:
                action()
            else:
                action(arg)
        except FatalAlertReceived:
            self._state, self._bulk, self._bulk_write = _Error(), False, None
            raise
        except ProtocolError as exc:
            self._fail(exc)
            if remote:
                raise RemoteProtocolError(str(exc), exc.alert) from exc
            raise LocalProtocolError(str(exc)) from exc
        except LocalProtocolError:
            raise
        except Exception as exc:
            self._fail(exc)
            raise
        finally:
            if self._hs_out:
                self._flush_handshake()

    def _fail(self, exc: BaseException) -> None:
        alert = alert_for(exc)
        self._hs_out.clear()
        if not isinstance(self._state, _Error):
            # The original error matters more than a failure to report it.
            with contextlib.suppress(Exception):
                self._send_alert(AlertLevel.FATAL, alert, reason=str(exc))
        self._state, self._bulk, self._bulk_write = _Error(), False, None

    def _end_of_input(self) -> None:
        if not self._peer_closed:
            self._peer_closed = True
            self._events.append(ConnectionTruncated())

    def _process(self, data: bytes) -> None:
        if self._peer_closed:
            return  # §6.1: anything after close_notify (or EOF) is ignored, not kept
        records = self._records
        records.feed(data)
        tracing = self.config.trace is not None
        while not self._peer_closed:
            header = records.peek_header() if tracing else b""
            record = records.next_record()
            if record is None:
                return
            content_type, content = record
            if tracing:
                sealed = records.read is not None and header[:1] == b"\x17"
                self._trace_record("in", content_type, len(content), sealed, header)
            if content_type == _APPLICATION_DATA and not self._hs_in \
                    and self._state.can_receive_application_data:
                # The bulk path, inline (benchmarks/bench.py: about 0.3 us a record).
                self._events.append(ApplicationData(data=content))
                continue
            self._handle_record(content_type, content)

    def _handle_record(self, content_type: int, content: bytes) -> None:
        if self._hs_in and content_type != _HANDSHAKE:
            # §5.1: handshake messages must not be interleaved with other record types.
            raise UnexpectedMessage("a record interrupted a fragmented handshake message")
        if content_type == _APPLICATION_DATA:
            if self._state.receives_early_data:
                self._set_state(self._state.receive_early_data(content, self))
                return
            if not self._state.can_receive_application_data:
                raise UnexpectedMessage(f"application data in {self._state.name}")
            self._events.append(ApplicationData(data=content))
        elif content_type == _HANDSHAKE:
            self._receive_handshake(content)
        elif content_type == _ALERT:
            self._receive_alert(content)
        else:
            self._receive_change_cipher_spec(content)

    def _receive_change_cipher_spec(self, content: bytes) -> None:
        state = self._state
        if state.tls12:
            # RFC 5246 §7.1: the real thing; the state says whether it may come now.
            if content != CHANGE_CIPHER_SPEC_BODY:
                raise DecodeError("ChangeCipherSpec body is not the single byte 1")
            self._set_state(state.change_cipher_spec(self))
            return
        # §5 / App. D.4: one dummy 0x01 record may arrive between the hellos and Finished.
        allowed = not isinstance(state, _Idle | _Error | Connected) and not (
            isinstance(state, Start) and state.retry is None)
        if not allowed or content != CHANGE_CIPHER_SPEC_BODY:
            raise UnexpectedMessage("unexpected ChangeCipherSpec record")

    def _update_bulk_write(self) -> None:
        write = self._records.write
        self._bulk_write = write if isinstance(write, RecordProtection) \
            and self._state.can_send_application_data and not self._local_closed \
            and self._records.padding is None and not self.tracing else None

    def _receive_handshake(self, content: bytes) -> None:
        """Hand every whole handshake message in `content` (after what was pending) to
        the state; keep a partial one for the next record."""
        pending = self._hs_in
        if pending:  # a message was split across records: join (rare)
            pending += content
            data = bytes(pending)
            pending.clear()
        else:
            data = content  # the usual case: whole messages, sliced straight out
        limit = self.config.max_handshake_message_size
        pos, size = 0, len(data)
        while size - pos >= HANDSHAKE_HEADER_LEN:
            length = data[pos + 1] << 16 | data[pos + 2] << 8 | data[pos + 3]
            if length > limit:
                raise DecodeError(f"handshake message of {length} bytes exceeds {limit}")
            end = pos + HANDSHAKE_HEADER_LEN + length
            if end > size:
                break
            raw = data if pos == 0 and end == size else data[pos:end]
            pos = end
            before = self._records.read
            self._set_state(dispatch(self._state, raw[0], raw, self))
            if self._records.read is not before and pos < size:
                # §5.1: handshake messages must not span a key change.
                raise UnexpectedMessage("handshake data left over across a key change")
        if pos < size:
            pending += data[pos:]

    def _receive_alert(self, content: bytes) -> None:
        if len(content) != 2:
            raise DecodeError("alert record must hold exactly one alert")
        level, description = content[0], content[1]
        if self.tracing:
            self.trace(AlertTrace(role=self.role, direction="in", level=level,
                                  description=description))
        if description == AlertDescription.CLOSE_NOTIFY:
            self._peer_closed = True
            self._events.append(ConnectionClosed())
        elif description == AlertDescription.USER_CANCELED or (
                # RFC 5246 §7.2.2: a TLS 1.2 peer refuses renegotiation with a warning.
                description == AlertDescription.NO_RENEGOTIATION
                and level == AlertLevel.WARNING and self._state.tls12):
            self._events.append(AlertReceived(level=level, description=description))
        else:
            self._state, self._bulk, self._bulk_write = _Error(), False, None
            raise FatalAlertReceived(description, level)

    def _set_state(self, new: State) -> None:
        old = self._state
        self._state = new
        self._bulk = new.can_receive_application_data and not new.tls12 \
            and not new.receives_early_data and not self.tracing
        self._update_bulk_write()
        if isinstance(new, Connected):
            self._records.plaintext_alerts = False
        if self.tracing and type(old) is not type(new):
            self.trace(StateChange(role=self.role, old=old.name, new=new.name))

    # -- Output: what states may do --------------------------------------------

    def send(self, msg: HandshakeMessage, transcript: bool = True,
             encoded: bytes | None = None) -> bytes:
        raw = encoded or encode_handshake(msg)
        if transcript and self._state.in_transcript:
            self.transcript.add(raw)
        if self.tracing:
            self.trace(MessageTrace(role=self.role, direction="out", message=msg, raw=raw))
        self._hs_out.append(raw)
        return raw

    def send_change_cipher_spec(self) -> None:
        self._flush_handshake()
        self._out.append(self._records.plaintext_record(_CCS, CHANGE_CIPHER_SPEC_BODY))
        if self.tracing:
            self._trace_record("out", _CCS, 1, False)

    def install_read_key(self, suite: SuiteInfo, secret: Secret, epoch: str) -> None:
        self._records.read = RecordProtection(suite, secret)
        if self.tracing:
            self.trace(KeyInstalled(role=self.role, direction="read", label=secret.label,
                                    epoch=epoch))

    def install_write_key(self, suite: SuiteInfo, secret: Secret, epoch: str) -> None:
        self._flush_handshake()
        self._records.write = RecordProtection(suite, secret,
                                               limit=self.config.key_update_after_records)
        self._update_bulk_write()
        if self.tracing:
            self.trace(KeyInstalled(role=self.role, direction="write", label=secret.label,
                                    epoch=epoch))

    def install_read_key12(self, suite: SuiteInfo, keys: KeyBlock12) -> None:
        client = self.role == "client"
        key = keys.server_write_key if client else keys.client_write_key
        self._records.read = RecordProtection12(
            suite, key, keys.server_write_iv if client else keys.client_write_iv)
        if self.tracing:
            self.trace(KeyInstalled(role=self.role, direction="read", label=key.label,
                                    epoch="tls12"))

    def install_write_key12(self, suite: SuiteInfo, keys: KeyBlock12) -> None:
        self.send_change_cipher_spec()
        client = self.role == "client"
        key = keys.client_write_key if client else keys.server_write_key
        self._records.write = RecordProtection12(
            suite, key, keys.client_write_iv if client else keys.server_write_iv)
        if self.tracing:
            self.trace(KeyInstalled(role=self.role, direction="write", label=key.label,
                                    epoch="tls12"))

    def send_warning_alert(self, description: int) -> None:
        self._send_alert(AlertLevel.WARNING, description)

    def set_peer_record_size_limit(self, limit: int) -> None:
        # RFC 8449 §4: in TLS 1.3 the limit counts the content type byte too.
        self._records.max_fragment_out = min(1 << 14, limit - 1)

    def end_early_data(self) -> None:
        self._flush_handshake()
        self._records.write = None

    def skip_rejected_early_data(self, budget: int) -> None:
        self._records.early_data_skip = budget

    @property
    def write_closed(self) -> bool:
        return self._local_closed

    def set_own_record_size_limit(self, limit: int) -> None:
        self._records.max_inner_plaintext_in = min((1 << 14) + 1, limit)

    def log_secret(self, label: str, client_random: bytes, secret: Secret) -> None:
        key_log = self.config.key_log
        if key_log is not None:
            key_log(label, client_random, secret.reveal())

    def update(self, negotiated: Negotiated) -> None:
        self._facts = negotiated

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def trace(self, record: TraceRecord) -> None:
        sink = self.config.trace
        if sink is not None:
            sink(record)

    # -- helpers ---------------------------------------------------------------

    def _flush_handshake(self) -> None:
        if self._hs_out:
            data = b"".join(self._hs_out)
            self._hs_out.clear()
            wire = self._records.protect(_HANDSHAKE, data)
            self._out.append(wire)
            if self.tracing:
                self._trace_record("out", _HANDSHAKE, len(data), self._records.write is not None,
                                   wire[:5])

    def _send_alert(self, level: int, description: int, reason: str = "") -> None:
        self._flush_handshake()
        self._out.append(self._records.protect(_ALERT, bytes((level, description))))
        if self.tracing:
            self.trace(AlertTrace(role=self.role, direction="out", level=level,
                                  description=description, reason=reason))

    def _trace_record(self, direction: str, content_type: int, length: int,
                      protected: bool, header: bytes = b"") -> None:
        # `header` is the first record's as on the wire; without one (the CCS), rebuild it.
        header = header or bytes((content_type, 3, 3, length >> 8 & 0xFF, length & 0xFF))
        self.trace(RecordTrace(role=self.role, direction=direction, content_type=content_type,
                               length=length, protected=protected, header=header))

