"""The guarded HTTP protocol in process: which head is being read, its size, and the looks that time it out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

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


def _connected() -> tuple[GuardedHttpProtocol, _Transport]:
    # A timeout no test reaches: the looks are taken by the test itself, not by the timer.
    protocol_class = GuardedHttpProtocol.with_head_timeout(3600)
    config = Config(_ok, interface="asgi3", http=protocol_class, lifespan="off", log_level="warning")
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = _Transport()
    protocol.connection_made(transport)
    return protocol, transport


def _answered(protocol: GuardedHttpProtocol, transport: _Transport, data: bytes) -> None:
    """Send `data` and let the app answer what it holds."""

    async def answer() -> None:
        protocol.data_received(data)
        # The app's task runs on this loop: a few turns let it send its answer.
        for _ in range(5):
            await asyncio.sleep(0)

    asyncio.get_event_loop().run_until_complete(answer())


def _run(scenario: Callable[[], None]) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        scenario()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _look(protocol: GuardedHttpProtocol, times: int) -> None:
    for _ in range(times):
        protocol._watch_heads()


def test_a_connection_that_sends_nothing_is_refused_at_the_looks_of_one_timeout() -> None:
    def scenario() -> None:
        protocol, transport = _connected()
        _look(protocol, LOOKS_PER_TIMEOUT - 1)
        assert not transport.closed
        _look(protocol, 1)
        assert transport.written.startswith(b"HTTP/1.1 408 ")
        assert transport.closed

    _run(scenario)


def test_a_connection_between_requests_is_in_no_head_and_never_timed_out() -> None:
    def scenario() -> None:
        protocol, transport = _connected()
        _answered(protocol, transport, _REQUEST)
        assert transport.written.startswith(b"HTTP/1.1 200 ")
        assert not protocol.in_head()
        _look(protocol, 10 * LOOKS_PER_TIMEOUT)
        assert not transport.closed

    _run(scenario)


def test_the_next_head_begun_on_a_kept_alive_connection_is_timed_out_if_it_stalls() -> None:
    def scenario() -> None:
        protocol, transport = _connected()
        _answered(protocol, transport, _REQUEST)
        _look(protocol, 2)
        protocol.data_received(b"GET /helse HT")
        assert protocol.in_head()
        _look(protocol, LOOKS_PER_TIMEOUT)
        assert not transport.closed
        _look(protocol, 1)
        assert transport.written.endswith(b'{"statusCode":408,"message":"Request timeout"}')
        assert transport.closed

    _run(scenario)


def test_a_head_sent_in_chunks_past_the_limit_is_refused_with_431() -> None:
    def scenario() -> None:
        protocol, transport = _connected()
        protocol.data_received(b"GET /helse HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * 1024
        for _ in range(MAX_HEAD_BYTES // len(chunk) - 1):
            protocol.data_received(chunk)
        assert not transport.closed
        protocol.data_received(chunk)
        assert transport.written.startswith(b"HTTP/1.1 431 ")
        assert transport.closed

    _run(scenario)


def test_each_head_on_a_connection_is_counted_on_its_own() -> None:
    def scenario() -> None:
        protocol, transport = _connected()
        padding = b"X-Pad: " + b"a" * (MAX_HEAD_BYTES * 2 // 3) + b"\r\n"
        for _ in range(3):
            # Two thirds of the limit in each head, still incomplete after its first chunk: together far past it.
            _answered(protocol, transport, b"GET /helse HTTP/1.1\r\nHost: x\r\n" + padding)
            _answered(protocol, transport, b"\r\n")
        assert transport.written.count(b"HTTP/1.1 200 ") == 3
        assert not transport.closed

    _run(scenario)


def test_a_body_sent_with_its_head_does_not_count_as_head() -> None:
    def scenario() -> None:
        protocol, transport = _connected()
        body = b"a" * (MAX_HEAD_BYTES * 2)
        _answered(
            protocol, transport, b"POST /helse HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )
        assert transport.written.startswith(b"HTTP/1.1 200 ")

    _run(scenario)
