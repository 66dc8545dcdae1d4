"""HTTP/2 flow control seen from a raw h2 client over tlsglass: small windows are respected,
and a stream whose window never opens is reset (CANCEL) after write_timeout while
the connection keeps serving others.
"""

from __future__ import annotations

import hashlib

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings

from helpers import client_config
from tlsglass.http import HTTPSServer, ServerOptions
from tlsglass.io import aio
from websites import Web, run

WINDOW = 16_384


def _get(conn: h2.connection.H2Connection, stream_id: int, path: str) -> None:
    conn.send_headers(stream_id, [(":method", "GET"), (":path", path), (":scheme", "https"),
                                  (":authority", "a.test")], end_stream=True)


def test_small_windows_and_a_stalled_stream(web: Web) -> None:
    async def main() -> None:
        server = HTTPSServer(web.sites(), ServerOptions(write_timeout=0.5))
        await server.start("127.0.0.1", 0)
        reader, writer = await aio.open_connection(
            "127.0.0.1", server.port,
            config=client_config(web.pki, server_name="a.test", alpn_protocols=("h2",)))
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW})
        _get(conn, 1, "/big.bin")  # read, opening its window as data arrives
        _get(conn, 3, "/big.bin")  # never read: its window stays shut
        writer.write(conn.data_to_send())
        body, reset, ended = bytearray(), None, False
        while not (ended and reset is not None):
            data = await reader.read(65536)
            assert data, "the server ended the connection"
            for event in conn.receive_data(data):  # h2 raises if a window is overrun
                if isinstance(event, h2.events.DataReceived) and event.stream_id == 1:
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == 1:
                    ended = True
                elif isinstance(event, h2.events.StreamReset):
                    reset = (event.stream_id, event.error_code)
            writer.write(conn.data_to_send())
        assert hashlib.sha256(body).digest() == hashlib.sha256(web.big).digest()
        assert reset == (3, h2.errors.ErrorCodes.CANCEL)
        writer.close()
        await server.shutdown()

    run(main())
