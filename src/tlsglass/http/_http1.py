"""HTTP/1.1 over a stream pair, with h11: keep-alive, timeouts, graceful stop.

The loop waits idle_timeout for the first byte of a request and request_timeout
for the rest of its head; a request body (GET and HEAD need none) is read and
dropped up to max_request_body, beyond which the answer is 413 and the connection
ends. A malformed request gets h11's status hint (400, 431, ...) and the end of the
connection. On graceful shutdown an idle connection ends at once, a busy one
after its response (sent with "connection: close").
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

import h11

from tlsglass import TLSError
from tlsglass.http._app import App, ConnectionFacts, Session, Writer
from tlsglass.http._files import REASONS, Response, error_response

__all__ = ["discard", "serve_http1"]

_READ: Final = 1 << 16


class _Closed(Exception):
    """The peer went away, or a timeout ended the connection: nothing more to say."""


async def serve_http1(reader: asyncio.StreamReader, writer: Writer, app: App,
                      facts: ConnectionFacts, session: Session) -> None:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
    try:
        while not session.stopping.is_set():
            request = await _next_request(conn, reader, app, session)
            if request is None:
                return
            if not await _answer(conn, reader, writer, app, facts, request, session):
                return
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()
    except h11.RemoteProtocolError as exc:  # a malformed head or body: say so, then end
        await _send_error(conn, writer, app, exc.error_status_hint)
    except (_Closed, h11.LocalProtocolError):
        return


async def _next_request(conn: h11.Connection, reader: asyncio.StreamReader, app: App,
                        session: Session) -> h11.Request | None:
    """The next request head, or None when the peer ended the connection or went idle."""
    stop = asyncio.ensure_future(session.stopping.wait())
    read: asyncio.Future[bytes] | None = None
    try:
        async with asyncio.timeout(app.options.idle_timeout) as deadline:
            while True:
                event = conn.next_event()
                if isinstance(event, h11.Request):
                    return event
                if event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                    return None
                read = asyncio.ensure_future(reader.read(_READ))
                await asyncio.wait([read, stop], return_when=asyncio.FIRST_COMPLETED)
                if not read.done():  # shutdown while idle: end the connection now
                    return None
                data = await _result(read)
                if data:  # a request has started: it must be complete soon
                    deadline.reschedule(asyncio.get_running_loop().time()
                                        + app.options.request_timeout)
                conn.receive_data(data)
    except TimeoutError:
        return None
    finally:
        stop.cancel()
        if read is not None:
            discard(read)


def discard(future: asyncio.Future[Any]) -> None:
    """Cancel a read nobody will wait for, or consume its outcome (no "never retrieved")."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()


async def _result(task: asyncio.Future[bytes]) -> bytes:
    try:
        return await task
    except (OSError, TLSError) as exc:  # resets, truncation, the peer's alerts
        raise _Closed() from exc


async def _drain_body(conn: h11.Connection, reader: asyncio.StreamReader, app: App) -> bool:
    """Read and drop the request body; False if it is too large to accept."""
    received = 0
    async with asyncio.timeout(app.options.request_timeout):
        while True:
            event = conn.next_event()
            if isinstance(event, h11.EndOfMessage):
                return True
            if isinstance(event, h11.Data):
                received += len(event.data)
                if received > app.options.max_request_body:
                    return False
            elif event is h11.NEED_DATA:
                data = await _result(asyncio.ensure_future(reader.read(_READ)))
                conn.receive_data(data)
            elif isinstance(event, h11.ConnectionClosed):
                raise _Closed()


async def _answer(conn: h11.Connection, reader: asyncio.StreamReader, writer: Writer, app: App,
                  facts: ConnectionFacts, request: h11.Request, session: Session) -> bool:
    """Answer one request; False if the connection must end now."""
    started = time.monotonic()
    method = request.method.decode("latin-1")
    target = request.target.decode("latin-1")
    # A client waiting for "100 Continue" gets our answer instead (we want no body),
    # and then the end of the connection, since its body was never read.
    skip_body = conn.they_are_waiting_for_100_continue
    too_large = False
    if not skip_body:
        try:
            too_large = not await _drain_body(conn, reader, app)
        except TimeoutError:
            return False
    fields = {k: v.decode("latin-1") for k, v in request.headers}  # names come lowercased
    site, response = app.answer(facts, method, target, fields.get(b"host"),
                                fields.get(b"if-modified-since"))
    if too_large:
        response.close()
        response = error_response(413, app.common_headers())
    close = skip_body or too_large or session.stopping.is_set()
    try:
        sent = await _send(conn, writer, app, response, close)
    finally:
        response.close()
    app.log(facts, method=method, target=target, http_version="1.1", status=response.status,
            bytes_sent=sent, site=site, started=started)
    return not close


async def _send(conn: h11.Connection, writer: Writer, app: App, response: Response,
                close: bool) -> int:
    headers = list(response.headers)
    if close:
        headers.append(("connection", "close"))
    writer.write(conn.send(h11.Response(status_code=response.status, headers=headers,
                                        reason=REASONS.get(response.status, ""))))
    sent = 0
    for chunk in response.chunks():
        writer.write(conn.send(h11.Data(data=chunk)))
        sent += len(chunk)
        await _drain(writer, app)
    writer.write(conn.send(h11.EndOfMessage()))
    await _drain(writer, app)
    return sent


async def _drain(writer: Writer, app: App) -> None:
    try:
        async with asyncio.timeout(app.options.write_timeout):
            await writer.drain()
    except (TimeoutError, OSError) as exc:
        raise _Closed() from exc


async def _send_error(conn: h11.Connection, writer: Writer, app: App, status: int) -> None:
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    response = error_response(status, (*app.common_headers(), ("connection", "close")))
    try:
        writer.write(conn.send(h11.Response(status_code=status, headers=list(response.headers),
                                            reason=REASONS.get(status, ""))))
        writer.write(conn.send(h11.Data(data=response.body)))
        writer.write(conn.send(h11.EndOfMessage()))
        await _drain(writer, app)
    except (_Closed, h11.LocalProtocolError):
        pass
