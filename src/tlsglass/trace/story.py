"""The story builder: TraceRecords in, numbered steps a person can follow out.

`Recorder` is a trace sink (and, for `reveal`, a key log) that keeps what the
engine reports; `build_story(records)` turns them into a `Story`: one `Step` per
message, ChangeCipherSpec, alert or burst of application data, in wire order,
each with who sent it to whom, what it says in plain words, why it exists and
the RFC section. Decisions, key installations, the trust verdict and state
changes become `Note`s on the step during which they happened. Nothing here
steers the handshake; the story is built after the fact from plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

from tlsglass.enums import (
    AlertDescription,
    AlertLevel,
    ContentType,
    ExtensionType,
    HandshakeType,
    describe,
)
from tlsglass.observe import (
    AlertTrace,
    Decision,
    KeyInstalled,
    MessageTrace,
    RecordTrace,
    RefusedMessage,
    StateChange,
    TraceRecord,
    TrustDecision,
)
from tlsglass.trace.annotate import ByteField, annotate_message, annotate_record_header
from tlsglass.trace.annotate12 import annotate_key_exchange
from tlsglass.trace.explain import explain, explain_key, explain_state, message_name
from tlsglass.trace.explain12 import (
    APPLICATION_DATA,
    APPLICATION_DATA_12,
    CHANGE_CIPHER_SPEC_12,
    EARLY_DATA,
    explain_message,
    key_schedule12,
    psk_key_schedule,
    resumed_keys12,
)
from tlsglass.trace.summaries import Context, summarize
from tlsglass.trace.summary_base import chose_tls12
from tlsglass.wire import (
    ClientHello,
    ClientKeyExchange,
    EarlyDataIndication,
    HandshakeMessage,
    KeyShareServerHello,
    PreSharedKeyServerHello,
    ServerHello,
    ServerKeyExchange,
    SupportedVersionsClientHello,
    find,
    find_raw,
)

__all__ = ["Note", "Recorder", "Step", "Story", "build_story"]

_PEER: Final = MappingProxyType({"client": "server", "server": "client"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """Something that happened while a step was handled: kind is decision, keys, trust, state."""

    kind: str
    text: str
    why: str = ""
    rfc: str = ""
    ok: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One numbered step of the story."""

    number: int
    kind: str  # "message", "change_cipher_spec", "alert", "application_data"
    sender: str
    receiver: str
    title: str
    summary: str
    why: str = ""
    rfc: str = ""
    encrypted: bool = False
    fields: tuple[tuple[str, str], ...] = ()
    details: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    message_bytes: tuple[ByteField, ...] = ()
    record_bytes: tuple[ByteField, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    """A whole handshake from one side. `outcome` is complete, failed or incomplete."""

    role: str
    steps: tuple[Step, ...]
    outcome: str
    failure: str = ""
    secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)


class Recorder:
    """A trace sink that keeps every record; with `reveal`, also a key log for the story.

    It keeps everything, application data records included: give each connection its
    own, and stop feeding it (or drop it) once the handshake's story is told.
    """

    def __init__(self) -> None:
        self.records: list[TraceRecord] = []
        self._secrets: list[tuple[str, bytes, bytes]] = []

    def __call__(self, record: TraceRecord) -> None:
        self.records.append(record)

    def key_log(self, label: str, client_random: bytes, secret: bytes) -> None:
        """Pass as a config's key_log only for a local demonstration (`reveal`)."""
        self._secrets.append((label, client_random, secret))

    def key_log_lines(self) -> str:
        """The collected secrets in SSLKEYLOGFILE format (empty unless used as key_log)."""
        return "".join(f"{label} {random.hex()} {secret.hex()}\n"
                       for label, random, secret in self._secrets)

    def story(self, role: str | None = None, *, with_bytes: bool = False,
              reveal: bool = False) -> Story:
        secrets = tuple((label, secret.hex()) for label, _, secret in self._secrets) \
            if reveal else ()
        return build_story(self.records, role, with_bytes=with_bytes, reveal=reveal,
                           secrets=secrets)


@dataclass(slots=True)
class _Draft:
    """A step being assembled (mutable only inside the builder)."""

    step: Step
    notes: list[Note] = field(default_factory=list)


class _Builder:
    def __init__(self, role: str, with_bytes: bool, reveal: bool) -> None:
        self.role, self.with_bytes, self.reveal = role, with_bytes, reveal
        self.drafts: list[_Draft] = []
        self.pending: list[Note] = []  # notes before any step, or awaiting our next send
        self.last_in_record: RecordTrace | None = None
        self.awaiting_record: list[int] = []  # our messages not yet flushed into a record
        self.write_encrypted = False
        self.read_encrypted = False
        self.write_epoch = self.read_epoch = ""
        self.outcome, self.failure = "incomplete", ""
        self.context = Context()

    def who(self, direction: str) -> tuple[str, str]:
        peer = _PEER.get(self.role, "peer")
        return (self.role, peer) if direction in ("out", "write") else (peer, self.role)

    def add(self, step: Step) -> None:
        draft = _Draft(step, self.pending)
        self.pending = []
        self.drafts.append(draft)

    def note(self, note: Note) -> None:
        """Attach to the message being handled (a data record never causes a note; a CCS
        does only in TLS 1.2, where it switches keys)."""
        kinds = ("message", "alert", "change_cipher_spec") if self.context.tls12 \
            else ("message", "alert")
        for draft in reversed(self.drafts):
            if draft.step.kind in kinds:
                draft.notes.append(note)
                return
        self.pending.append(note)

    def feed(self, record: TraceRecord) -> None:
        match record:
            case MessageTrace():
                self.message(record)
            case RefusedMessage():
                self.refused(record)
            case RecordTrace():
                self.record(record)
            case AlertTrace():
                self.alert(record)
            case KeyInstalled():
                self.key(record)
            case Decision():
                self.note(Note(kind="decision", text=_decision_text(record)))
            case TrustDecision():
                self.note(_trust_note(record))
            case StateChange():
                self.state(record)

    def message(self, record: MessageTrace) -> None:
        msg, raw = record.message, record.raw
        sender, receiver = self.who(record.direction)
        code = raw[0] if raw else msg.msg_type
        is_hrr = getattr(msg, "is_hello_retry_request", False)
        title_type = HandshakeType.HELLO_RETRY_REQUEST if is_hrr else code
        self.context = _learn(self.context, msg)
        info = explain_message(title_type, self.context.tls12, self.context.resumed)
        summary = summarize(msg, sender, self.context)
        encrypted = self.write_encrypted if record.direction == "out" else self.read_encrypted
        record_bytes: tuple[ByteField, ...] = ()
        if record.direction == "in" and self.last_in_record is not None and self.with_bytes:
            last = self.last_in_record
            record_bytes = annotate_record_header(last.header, last.content_type,
                                                  last.protected)
        step = Step(
            number=len(self.drafts) + 1, kind="message", sender=sender, receiver=receiver,
            title=message_name(title_type), summary=summary.text,
            why=info.why if info else "", rfc=info.rfc if info else "", encrypted=encrypted,
            fields=summary.fields, details=summary.details,
            message_bytes=self.message_bytes(msg, raw) if self.with_bytes else (),
            record_bytes=record_bytes)
        self.add(step)
        if record.direction == "out":
            self.awaiting_record.append(len(self.drafts) - 1)
        self.key_schedule12(msg)

    def refused(self, record: RefusedMessage) -> None:
        """A message we refused before handling it: what it claimed to be, why it was
        refused, and (with bytes) exactly what arrived."""
        sender, receiver = self.who("in")
        name = message_name(record.msg_type)
        raw = record.raw
        record_bytes: tuple[ByteField, ...] = ()
        if self.last_in_record is not None and self.with_bytes:
            last = self.last_in_record
            record_bytes = annotate_record_header(last.header, last.content_type,
                                                  last.protected)
        self.add(Step(
            number=len(self.drafts) + 1, kind="message", sender=sender, receiver=receiver,
            title=f"{name} (refused)", encrypted=self.read_encrypted,
            summary=f"The {sender} sends a {name} message that we refuse: {record.reason}.",
            why="Every byte from the network is untrusted: a message out of order, or one "
                "that does not decode exactly, ends the handshake with the alert the RFC "
                "names for it.", rfc="RFC 8446 §6.2, RFC 5246 §7.2.2",
            fields=(("msg_type", describe(HandshakeType, record.msg_type)),
                    ("length", str(max(0, len(raw) - 4)))),
            message_bytes=_undecoded(raw) if self.with_bytes else (),
            record_bytes=record_bytes))

    def message_bytes(self, msg: HandshakeMessage, raw: bytes) -> tuple[ByteField, ...]:
        """A 1.2 key exchange's body is laid out by the suite; everything else generically."""
        if isinstance(msg, ServerKeyExchange | ClientKeyExchange):
            fields = annotate_key_exchange(msg, raw, self.context.key_exchange)
            if fields is not None:
                return fields
        return annotate_message(msg, raw, self.reveal)

    def key_schedule12(self, msg: HandshakeMessage) -> None:
        """Secrets that are never installed as such (TLS 1.2's, and the PSK that starts a
        TLS 1.3 key schedule): tell them where they arise."""
        context = self.context
        if isinstance(msg, ClientKeyExchange):
            info = key_schedule12(context.key_exchange, context.extended_master_secret)
        elif isinstance(msg, ServerHello) and context.resumed:
            info = resumed_keys12()
        elif isinstance(msg, ServerHello) and find(msg.extensions, PreSharedKeyServerHello):
            info = psk_key_schedule(find(msg.extensions, KeyShareServerHello) is not None)
        else:
            return
        self.note(Note(kind="keys", text=info.what, why=info.why, rfc=info.rfc))

    def record(self, record: RecordTrace) -> None:
        if record.direction == "in":
            self.last_in_record = record
        elif record.content_type == ContentType.HANDSHAKE:
            for index in self.awaiting_record:
                draft = self.drafts[index]
                if self.with_bytes:
                    draft.step = _with_record(draft.step, record)
            self.awaiting_record = []
        if record.content_type == ContentType.CHANGE_CIPHER_SPEC:
            self.change_cipher_spec(record)
        elif record.content_type == ContentType.APPLICATION_DATA:
            self.application_data(record)

    def change_cipher_spec(self, record: RecordTrace) -> None:
        sender, receiver = self.who(record.direction)
        if self.context.tls12:
            info = CHANGE_CIPHER_SPEC_12
            summary, why, rfc = info.what.format(sender=sender), info.why, info.rfc
        else:
            summary = (f"The {sender} sends a dummy ChangeCipherSpec record (one byte, 0x01), "
                       "which TLS 1.3 ignores.")
            why = ("Middlebox compatibility mode: a TLS 1.3 handshake then looks like a "
                   "resumed TLS 1.2 session to old network equipment that would otherwise "
                   "drop it.")
            rfc = "RFC 8446 App. D.4"
        self.add(Step(
            number=len(self.drafts) + 1, kind="change_cipher_spec", sender=sender,
            receiver=receiver, title="ChangeCipherSpec", summary=summary, why=why, rfc=rfc,
            record_bytes=annotate_record_header(record.header, record.content_type, False)
            if self.with_bytes else ()))

    def application_data(self, record: RecordTrace) -> None:
        sender, receiver = self.who(record.direction)
        epoch = self.write_epoch if record.direction == "out" else self.read_epoch
        info = EARLY_DATA if epoch == "early" else \
            APPLICATION_DATA_12 if self.context.tls12 else APPLICATION_DATA
        title = "Early data (0-RTT)" if epoch == "early" else "Application data"
        last = self.drafts[-1].step if self.drafts else None
        if last is not None and last.title == title and last.sender == sender:
            count = int(last.fields[0][1]) + record.length
            self.drafts[-1].step = _replace(last, fields=(("bytes", str(count)),))
            return
        self.add(Step(
            number=len(self.drafts) + 1, kind="application_data", sender=sender,
            receiver=receiver, title=title, encrypted=record.protected,
            summary=info.what.format(sender=sender), why=info.why, rfc=info.rfc,
            fields=(("bytes", str(record.length)),)))

    def alert(self, record: AlertTrace) -> None:
        sender, receiver = self.who(record.direction)
        info = explain(AlertDescription, record.description)
        name = describe(AlertDescription, record.description)
        level = describe(AlertLevel, record.level).lower()
        fatal = record.description not in (AlertDescription.CLOSE_NOTIFY,
                                           AlertDescription.USER_CANCELED)
        summary = f"The {sender} sends a {level} {name} alert"
        summary += f": {record.reason}." if record.reason else "."
        encrypted = self.write_encrypted if record.direction == "out" else self.read_encrypted
        self.add(Step(
            number=len(self.drafts) + 1, kind="alert", sender=sender, receiver=receiver,
            encrypted=encrypted,
            title=f"Alert {name}", summary=summary, why=info.what if info else "",
            rfc=info.rfc if info else "RFC 8446 §6",
            fields=(("level", level), ("description", name))))
        if fatal:
            self.outcome = "failed"
            who = "we" if record.direction == "out" else f"the {sender}"
            self.failure = f"{who} ended the handshake with {name}" + (
                f": {record.reason}" if record.reason else "")

    def key(self, record: KeyInstalled) -> None:
        if record.direction == "write":
            self.write_encrypted, self.write_epoch = True, record.epoch
        else:
            self.read_encrypted, self.read_epoch = True, record.epoch
        sender = self.role if record.direction == "write" else _PEER.get(self.role, "peer")
        info = explain_key(record.label)
        text = (f"{record.label} ({record.epoch} epoch) now protects what the {sender} sends"
                f" ({'our writes' if record.direction == 'write' else 'our reads'}).")
        self.note(Note(kind="keys", text=text, why=info.why if info else "",
                       rfc=info.rfc if info else "RFC 8446 §7.1"))

    def state(self, record: StateChange) -> None:
        new = explain_state(record.new)
        if new == "CONNECTED" and self.outcome != "failed":
            self.outcome = "complete"
        self.note(Note(kind="state", text=f"state {explain_state(record.old)} -> {new}"))

    def finish(self, secrets: tuple[tuple[str, str], ...]) -> Story:
        steps = tuple(_replace(d.step, notes=tuple(d.notes)) for d in self.drafts)
        return Story(role=self.role, steps=steps, outcome=self.outcome, failure=self.failure,
                     secrets=secrets)


def _learn(context: Context, msg: HandshakeMessage) -> Context:
    """What a hello settles for the messages after it."""
    if isinstance(msg, ClientHello):
        offered = find(msg.extensions, SupportedVersionsClientHello)
        return replace(context, client_versions=offered.values if offered
                       else (msg.legacy_version,), client_session_id=msg.legacy_session_id,
                       early_data_offered=find(msg.extensions, EarlyDataIndication) is not None)
    if isinstance(msg, ServerHello) and chose_tls12(msg):
        echoed = bool(context.client_session_id) \
            and msg.legacy_session_id_echo == context.client_session_id
        ems = find_raw(msg.extensions, ExtensionType.EXTENDED_MASTER_SECRET) is not None
        return replace(context, tls12=True, cipher_suite=msg.cipher_suite, resumed=echoed,
                       extended_master_secret=ems)
    if isinstance(msg, ServerHello):
        return replace(context, tls12=False, cipher_suite=msg.cipher_suite)
    return context


def _replace(step: Step, **changes: object) -> Step:
    return replace(step, **changes)  # type: ignore[arg-type]


def _with_record(step: Step, record: RecordTrace) -> Step:
    return _replace(step, record_bytes=annotate_record_header(
        record.header, record.content_type, record.protected))


def _decision_text(record: Decision) -> str:
    text = f"{record.topic.replace('_', ' ')}: {record.chosen}"
    text += f" ({record.reason})" if record.reason else ""
    return text + (f"; candidates: {', '.join(record.offered)}." if record.offered else ".")


def _trust_note(record: TrustDecision) -> Note:
    chain = " -> ".join(record.path) if record.path else "(no certificate)"
    if not record.ok:
        return Note(kind="trust", ok=False, rfc="RFC 8446 §4.4.2.4, RFC 5280 §6",
                    text=f"The {record.peer}'s certificate is rejected: {record.reason}",
                    why=f"Chain as received: {chain}.")
    if record.method != "trust store":
        return Note(kind="trust", text=f"The {record.peer}'s chain was not checked against a "
                    f"trust store ({record.method}): {chain}.",
                    why="Without verification anyone could pose as the peer.",
                    rfc="RFC 8446 §4.4.2.4")
    name = f", and its certificate is valid for '{record.server_name}'" \
        if record.server_name else ""
    return Note(kind="trust", rfc="RFC 5280 §6, RFC 6125",
                text=f"The {record.peer}'s chain verifies: {chain}, ending at the trusted root "
                     f"'{record.anchor}'{name}.",
                why="Each certificate is signed by the next, every one is within its validity "
                    "dates, and the root is one we already trust.")


def build_story(records: Iterable[TraceRecord], role: str | None = None, *,
                with_bytes: bool = False, reveal: bool = False,
                secrets: tuple[tuple[str, str], ...] = ()) -> Story:
    """Turn one side's records into a Story (`role` defaults to the first record's)."""
    records = list(records)
    if role is None:
        role = records[0].role if records else "client"
    builder = _Builder(role, with_bytes, reveal)
    for record in records:
        if record.role == role:
            builder.feed(record)
    return builder.finish(secrets if reveal else ())


def _undecoded(raw: bytes) -> tuple[ByteField, ...]:
    """A refused message's bytes: its 4-byte header labelled, the body as it came."""
    if len(raw) < 4:
        return (ByteField(start=0, end=len(raw), label="bytes", value="truncated header",
                          depth=0, data=raw),)
    return (
        ByteField(start=0, end=1, label="msg_type", value=describe(HandshakeType, raw[0]),
                  depth=0, data=raw[:1]),
        ByteField(start=1, end=4, label="length", value=str(int.from_bytes(raw[1:4], "big")),
                  depth=0, data=raw[1:4]),
        ByteField(start=4, end=len(raw), label="body", value="not decoded (refused)",
                  depth=0, data=raw[4:]),
    )
