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
# What the watch saw when no head was being read.
_NO_HEAD = object()


class GuardedHttpProtocol(HttpToolsProtocol):
    """Refuses a head over MAX_HEAD_BYTES with 431 and one not sent whole within the timeout with 408.

    Which head is being read is uvicorn's own state: a message begun gets a new scope, and a head read whole gets
    a cycle for that scope. So a request costs no step of this class but one look after its bytes are parsed,
    and the time is checked by one timer per connection that looks a few times per timeout: a head still being
    read at four looks in a row, the same head each time, is refused.
    """

    head_timeout_seconds = DEFAULT_HEAD_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The head whose bytes are counted (its scope; None before the first has begun), and how many.
        self._counted_head: object = None
        self._head_bytes = 0
        # The head seen being read at the last look, and for how many looks in a row it was.
        self._seen_head: object = _NO_HEAD
        self._stalled_looks = 0
        self._watch: asyncio.TimerHandle | None = None

    @classmethod
    def with_head_timeout(cls, seconds: float) -> type[GuardedHttpProtocol]:
        return type(cls.__name__, (cls,), {"head_timeout_seconds": seconds})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_heads()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        # The connection is the WebSocket protocol's from here on (where one is installed), its head read whole.
        self._stop_watching()
        super().handle_websocket_upgrade()

    def _stop_watching(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def in_head(self) -> bool:
        """Whether a request's head is being read: none is read whole yet, or a message began after the last
        one that was (its scope is newer than the cycle's). A connection between requests is in no head."""
        cycle = self.cycle
        return cycle is None or cycle.scope is not self.scope

    def data_received(self, data: bytes) -> None:
        # HttpToolsProtocol's method called by name rather than through super(): this runs on every request.
        HttpToolsProtocol.data_received(self, data)
        cycle = self.cycle
        if (cycle is None or cycle.scope is not self.scope) and not self.transport.is_closing():
            # Only a head still incomplete after this chunk counts: a body sent with its head is not the head's.
            if self.scope is not self._counted_head:
                self._counted_head = self.scope
                self._head_bytes = 0
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, "Request header fields too large")

    def _watch_heads(self) -> None:
        self._watch = None
        if self.transport.is_closing():
            return
        head = self.scope if self.in_head() else _NO_HEAD
        if head is not _NO_HEAD and head is self._seen_head:
            self._stalled_looks += 1
            if self._stalled_looks >= LOOKS_PER_TIMEOUT:
                self._refuse(408, "Request timeout")
                return
        else:
            self._stalled_looks = 0
        self._seen_head = head
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
