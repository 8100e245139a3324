"""A request must arrive whole within the read deadline: slow and stalled clients are cut off, a slow app is not."""
from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn

from bot.wechat.slowclients import TimelyHttpToolsProtocol


class QuickProtocol(TimelyHttpToolsProtocol):
    read_timeout = 0.5


async def app(scope, receive, send):  # noqa: ANN001, ANN201
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/slow":
        await asyncio.sleep(1.2)  # the app's own time: never cut off
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        number = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=number, http=QuickProtocol, log_level="error",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield number
    server.should_exit = True
    thread.join(5)


def _talk(port: int, *parts: bytes, pause: float = 0.0, wait: float = 3.0) -> tuple[bytes, float]:
    """Send `parts` (pausing between them), then read until the server closes; (answer, seconds taken)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(wait)
        for part in parts:
            try:
                sock.sendall(part)
            except OSError:
                break
            time.sleep(pause)
        data = b""
        try:
            while chunk := sock.recv(4096):
                data += chunk
        except (TimeoutError, socket.timeout, ConnectionResetError):
            pass
    return data, time.monotonic() - start


def test_a_connection_that_sends_nothing_is_closed(port):
    data, took = _talk(port)
    assert data.startswith(b"HTTP/1.1 408") and took < 2.0


def test_half_sent_headers_are_cut_off(port):
    data, took = _talk(port, b"GET / HTTP/1.1\r\nHost: x\r\n")
    assert data.startswith(b"HTTP/1.1 408") and took < 2.0


def test_headers_trickled_byte_by_byte_are_cut_off(port):
    request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40 + b"\r\n\r\n"
    data, took = _talk(port, *[request[i:i + 1] for i in range(len(request))], pause=0.05)
    assert b"200 OK" not in data and took < 3.5


def test_a_body_shorter_than_its_length_is_cut_off(port):
    data, took = _talk(port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
    assert data.startswith(b"HTTP/1.1 408") and took < 2.0


def test_a_whole_request_is_answered_and_a_slow_app_is_not_cut_off(port):
    data, _ = _talk(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
    data, took = _talk(port, b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200") and took >= 1.2


def test_keep_alive_requests_each_get_their_own_deadline(port):
    one = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    data, _ = _talk(port, one, one, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", pause=0.3)
    assert data.count(b"HTTP/1.1 200") == 3
