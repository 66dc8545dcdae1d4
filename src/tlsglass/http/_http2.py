"""HTTP/2 over a stream pair, with h2: one task per request stream, flow control respected.

One loop reads frames and feeds h2; each request runs in its own task, which sends
its file as DATA frames no larger than the stream's and the connection's send
windows allow (RFC 9113 §5.2), waiting for WINDOW_UPDATE when they are shut. A
connection with no open stream for idle_timeout ends. A protocol error makes h2
queue GOAWAY with its code, which is sent before the connection ends. Graceful
shutdown sends GOAWAY (RFC 9113 §6.8), refuses new streams with REFUSED_STREAM,
and lets the open ones finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Final

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions

from tlsglass import TLSError
from tlsglass.http._app import App, ConnectionFacts, Session, Writer
from tlsglass.http._files import Response
from tlsglass.http._http1 import discard

__all__ = ["serve_http2"]

_READ: Final = 1 << 16


async def serve_http2(reader: asyncio.StreamReader, writer: Writer, app: App,
                      facts: ConnectionFacts, session: Session) -> None:
    await _H2Session(reader, writer, app, facts, session).run()


class _H2Session:
    def __init__(self, reader: asyncio.StreamReader, writer: Writer, app: App,
                 facts: ConnectionFacts, session: Session) -> None:
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        self.reader, self.writer, self.app, self.facts = reader, writer, app, facts
        self.session = session
        self.streams: dict[int, asyncio.Task[None]] = {}
        self.wake = asyncio.Event()  # a stream ended, or shutdown was asked
        self.window = asyncio.Event()  # a send window grew
        self.going_away = False

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data and not self.writer.is_closing():
            with contextlib.suppress(OSError, TLSError):  # a failed stream: the loop ends
                self.writer.write(data)

    async def run(self) -> None:
        self.conn.initiate_connection()
        self.flush()
        read: asyncio.Future[bytes] = asyncio.ensure_future(self.reader.read(_READ))
        stop = asyncio.ensure_future(self.session.stopping.wait())
        try:
            while True:
                if stop.done() and not self.going_away:
                    self._go_away()
                if self.going_away and not self.streams:
                    return
                if not await self._step(read, stop):
                    return
                if read.done():
                    read = asyncio.ensure_future(self.reader.read(_READ))
        finally:
            discard(read)
            stop.cancel()
            await self._cancel_streams()

    async def _step(self, read: asyncio.Future[bytes], stop: asyncio.Future[Any]) -> bool:
        """Wait for bytes, a stream's end or shutdown; False when the connection ends."""
        self.wake.clear()
        waiting: list[asyncio.Future[Any]] = [read, asyncio.ensure_future(self.wake.wait())]
        if not stop.done():
            waiting.append(stop)
        timeout = None if self.streams else self.app.options.idle_timeout
        done, _ = await asyncio.wait(waiting, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        waiting[1].cancel()
        if not done:
            return False  # idle for too long
        if not read.done():
            return True
        try:
            data = read.result()
        except (OSError, TLSError):
            return False
        if not data:
            return False
        return self._receive(data)

    def _receive(self, data: bytes) -> bool:
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.flush()  # h2 queued GOAWAY with the error's code
            return False
        for event in events:
            if not self._on_event(event):
                self.flush()
                return False
        self.flush()
        return True

    def _on_event(self, event: h2.events.Event) -> bool:
        if isinstance(event, h2.events.RequestReceived):
            self._start_stream(event.stream_id, event.headers or [])
        elif isinstance(event, h2.events.DataReceived):
            # Request bodies are not used; give the window back at once.
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            task = self.streams.get(event.stream_id)
            if task is not None:
                task.cancel()
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            self.window.set()
        elif isinstance(event, h2.events.ConnectionTerminated):
            return False
        return True

    def _start_stream(self, stream_id: int, headers: Any) -> None:
        if self.going_away:
            self.conn.reset_stream(stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
            return
        fields = {bytes(k): bytes(v) for k, v in headers}
        self.streams[stream_id] = asyncio.ensure_future(self._serve_stream(stream_id, fields))

    def _go_away(self) -> None:
        self.going_away = True
        self.conn.close_connection()
        self.flush()

    async def _cancel_streams(self) -> None:
        tasks = list(self.streams.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _serve_stream(self, stream_id: int, fields: dict[bytes, bytes]) -> None:
        started = time.monotonic()
        method = fields.get(b":method", b"").decode("latin-1")
        target = fields.get(b":path", b"").decode("latin-1")
        authority = (fields.get(b":authority") or fields.get(b"host") or b"").decode("latin-1")
        since = fields.get(b"if-modified-since", b"").decode("latin-1") or None
        site, response = self.app.answer(self.facts, method, target, authority or None, since)
        sent = 0
        try:
            sent = await self._send(stream_id, response)
        except (h2.exceptions.ProtocolError, TimeoutError, OSError, TLSError):
            # The stream was reset, or the peer stalled it: end it (RFC 9113 §8.1).
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self.conn.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
                self.flush()
        finally:
            response.close()
            self.app.log(self.facts, method=method, target=target, http_version="2",
                         status=response.status, bytes_sent=sent, site=site, started=started)
            self.streams.pop(stream_id, None)
            self.wake.set()

    async def _send(self, stream_id: int, response: Response) -> int:
        headers = [(":status", str(response.status)), *response.headers]
        empty = response.body_length == 0
        self.conn.send_headers(stream_id, headers, end_stream=empty)
        self.flush()
        sent = 0
        for chunk in response.chunks():
            view = memoryview(chunk)
            while view:
                size = min(self.conn.local_flow_control_window(stream_id),
                           self.conn.max_outbound_frame_size, len(view))
                if size <= 0:
                    await self._window_opens()
                    continue
                self.conn.send_data(stream_id, bytes(view[:size]))
                view = view[size:]
                sent += size
                self.flush()
                await self._drain()
        if not empty:
            self.conn.end_stream(stream_id)
            self.flush()
        return sent

    async def _window_opens(self) -> None:
        self.window.clear()
        async with asyncio.timeout(self.app.options.write_timeout):
            await self.window.wait()

    async def _drain(self) -> None:
        async with asyncio.timeout(self.app.options.write_timeout):
            await self.writer.drain()
