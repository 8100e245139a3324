"""A deadline for reading each request: slow or stalled clients (slowloris) cannot hold connections forever.

uvicorn times out idle keep-alive connections but not a request that is still arriving: a client that
connects and sends nothing, or half its headers, or a body shorter than its Content-Length, keeps its
connection (and, for a body, the handler waiting on it) for ever. `TimelyHttpToolsProtocol` is uvicorn's
httptools protocol with one timer per request: the whole request, headers and body, must arrive within
`NONGBOT_REQUEST_READ_SECONDS` (default 10) of its first byte, or of the connection when nothing came yet.
Past it the client gets a 408 (when nothing was answered yet) and the connection is closed. The time the
app takes to answer does not count. A reverse proxy in front (nginx's client_header_timeout and
client_body_timeout) does the same; this holds without one.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                    b"content-length: 15\r\nconnection: close\r\n\r\nrequest timeout")


def read_seconds() -> float:
    try:
        value = float(os.environ.get("NONGBOT_REQUEST_READ_SECONDS", "10"))
    except ValueError:
        return 10.0
    return value if value > 0 else 10.0


class TimelyHttpToolsProtocol(HttpToolsProtocol):
    read_timeout: float | None = None  # seconds; None: NONGBOT_REQUEST_READ_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._read_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()  # a connection that sends nothing at all

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self.read_timeout or read_seconds(), self._too_slow)

    def _disarm(self) -> None:
        timer = getattr(self, "_read_timer", None)
        if timer is not None:
            timer.cancel()
            self._read_timer = None

    def _too_slow(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle: Any = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()
