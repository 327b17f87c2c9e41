"""uvicorn's HTTP protocol with the limits a gateway puts on a request's head: its size, and the time to send it.

uvicorn has neither: a 64 MB header is read whole (and holds the event loop while it is parsed), and a client that
sends half a request line is waited for forever. API Management, like any gateway, refuses both; so does this.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulator.errors import GatewayError, error_body

# Request line and headers together; API Management's own limit on a header is of this order.
MAX_HEAD_BYTES = 16 * 1024
DEFAULT_HEAD_TIMEOUT_SECONDS = 10.0
LOOKS_PER_TIMEOUT = 4


class GuardedHttpProtocol(HttpToolsProtocol):
    """Refuses a head over MAX_HEAD_BYTES with 431 and one not sent whole within the timeout with 408.

    The time is checked by one timer per connection that looks a few times per timeout, not by a timer per
    request: a head still being read at four looks in a row, the same head each time, is refused. A keep-alive
    connection answering thousands of requests a second pays one counter per request for it.
    """

    head_timeout_seconds = DEFAULT_HEAD_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        # Which request's head is being read, and for how many looks in a row the same one was.
        self._heads = 0
        self._seen_head = -1
        self._stalled_looks = 0
        self._watch: asyncio.TimerHandle | None = None

    @classmethod
    def with_head_timeout(cls, seconds: float) -> type[GuardedHttpProtocol]:
        return type(cls.__name__, (cls,), {"head_timeout_seconds": seconds})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_head()
        self._watch_heads()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        super().connection_lost(exc)

    # HttpToolsProtocol's methods are called by name rather than through super(): these run on every request.
    def data_received(self, data: bytes) -> None:
        HttpToolsProtocol.data_received(self, data)
        if self._in_head and not self.transport.is_closing():
            # Only a head still incomplete after this chunk counts: a body sent with its head is not the head's.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, "Request header fields too large")

    def on_message_begin(self) -> None:
        HttpToolsProtocol.on_message_begin(self)
        if not self._in_head:
            self._expect_head()

    def on_headers_complete(self) -> None:
        self._in_head = False
        HttpToolsProtocol.on_headers_complete(self)

    def _expect_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._heads += 1

    def _watch_heads(self) -> None:
        self._watch = None
        if self.transport.is_closing():
            return
        if self._in_head and self._heads == self._seen_head:
            self._stalled_looks += 1
            if self._stalled_looks >= LOOKS_PER_TIMEOUT:
                self._refuse(408, "Request timeout")
                return
        else:
            self._stalled_looks = 0
        self._seen_head = self._heads
        # A stalled head is refused between 1 and 1.25 timeouts after it began.
        self._watch = self.loop.call_later(self.head_timeout_seconds / LOOKS_PER_TIMEOUT, self._watch_heads)

    def _refuse(self, status: int, message: str) -> None:
        body = error_body(GatewayError(status, message), path="", now_ms=0)
        head = (
            f"HTTP/1.1 {status} {message}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode("latin-1") + body)
        self.transport.close()
