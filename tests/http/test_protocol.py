"""The guarded HTTP protocol in process: which head is being read, its size, and the looks that time it out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from emulator.http.protocol import LOOKS_PER_TIMEOUT, MAX_HEAD_BYTES, GuardedHttpProtocol

_REQUEST = b"GET /helse HTTP/1.1\r\nHost: x\r\n\r\n"


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _ok(scope: Any, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@dataclass
class _Connection:
    """A guarded protocol on a fake transport, on a loop of its own."""

    protocol: GuardedHttpProtocol
    transport: _Transport
    loop: asyncio.AbstractEventLoop

    def send(self, data: bytes) -> None:
        """Send `data` and let the app answer what it holds."""

        async def answer() -> None:
            self.protocol.data_received(data)
            # The app's task runs on this loop: a few turns let it send its answer.
            for _ in range(5):
                await asyncio.sleep(0)

        self.loop.run_until_complete(answer())

    def look(self, times: int) -> None:
        """The timer's looks, taken by the test instead of the timer."""
        for _ in range(times):
            self.protocol._watch_heads()


@pytest.fixture
def connection() -> Iterator[_Connection]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # A timeout no test reaches: the looks are taken by the test itself.
    protocol_class = GuardedHttpProtocol.with_head_timeout(3600)
    config = Config(_ok, interface="asgi3", http=protocol_class, lifespan="off", log_level="warning")
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    transport = _Transport()
    protocol.connection_made(transport)
    try:
        yield _Connection(protocol, transport, loop)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _timed_out_at_the_look_after(connection: _Connection, looks: int) -> None:
    """Let through `looks` looks, refused with 408 and closed at the next."""
    connection.look(looks)
    assert not connection.transport.closed
    connection.look(1)
    assert b"HTTP/1.1 408 Request timeout\r\n" in connection.transport.written
    assert connection.transport.written.endswith(b'{"statusCode":408,"message":"Request timeout"}')
    assert connection.transport.closed


def test_a_connection_that_sends_nothing_is_refused_at_the_looks_of_one_timeout(connection: _Connection) -> None:
    # The first look is the connection's own, as it is made.
    _timed_out_at_the_look_after(connection, LOOKS_PER_TIMEOUT - 1)


def test_a_connection_between_requests_is_in_no_head_and_never_timed_out(connection: _Connection) -> None:
    protocol, transport = connection.protocol, connection.transport
    connection.send(_REQUEST)
    assert transport.written.startswith(b"HTTP/1.1 200 ")
    assert not protocol.in_head()
    connection.look(10 * LOOKS_PER_TIMEOUT)
    assert not transport.closed


def test_the_next_head_begun_on_a_kept_alive_connection_is_timed_out_if_it_stalls(connection: _Connection) -> None:
    connection.send(_REQUEST)
    connection.look(2)
    connection.protocol.data_received(b"GET /helse HT")
    assert connection.protocol.in_head()
    _timed_out_at_the_look_after(connection, LOOKS_PER_TIMEOUT)


def test_a_head_sent_in_chunks_past_the_limit_is_refused_with_431(connection: _Connection) -> None:
    protocol, transport = connection.protocol, connection.transport
    protocol.data_received(b"GET /helse HTTP/1.1\r\nHost: x\r\nX-Big: ")
    chunk = b"a" * 1024
    for _ in range(MAX_HEAD_BYTES // len(chunk) - 1):
        protocol.data_received(chunk)
    assert not transport.closed
    protocol.data_received(chunk)
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert transport.closed


def test_each_head_on_a_connection_is_counted_on_its_own(connection: _Connection) -> None:
    transport = connection.transport
    padding = b"X-Pad: " + b"a" * (MAX_HEAD_BYTES * 2 // 3) + b"\r\n"
    for _ in range(3):
        # Two thirds of the limit in each head, still incomplete after its first chunk: together far past it.
        connection.send(b"GET /helse HTTP/1.1\r\nHost: x\r\n" + padding)
        connection.send(b"\r\n")
    assert transport.written.count(b"HTTP/1.1 200 ") == 3
    assert not transport.closed


def test_a_body_sent_with_its_head_does_not_count_as_head(connection: _Connection) -> None:
    body = b"a" * (MAX_HEAD_BYTES * 2)
    connection.send(b"POST /helse HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert connection.transport.written.startswith(b"HTTP/1.1 200 ")
