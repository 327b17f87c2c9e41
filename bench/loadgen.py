"""A small HTTP/1.1 load generator: the bench's fallback where wrk is not installed.

asyncio on raw sockets (uvloop when it is installed), N keep-alive connections each with one request in flight,
for a bounded time; latencies go into a log-bucketed histogram (1 % resolution). Loopback only: it refuses any
host that is not on this machine.

    python bench/loadgen.py 'http://127.0.0.1:8080/internal/isalive' -c 32 -d 5 -H 'Name: value'

prints one JSON object (requests, duration_s, requests_per_s, p50_ms, p90_ms, p99_ms, max_ms, errors, non_2xx).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import ipaddress
import json
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

if not __package__:
    # `python bench/loadgen.py` puts bench/ first on the path: the repository's root goes there instead, so that
    # the modules import each other as the package bench and none of them shadows a module of the same name.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent), *(entry for entry in sys.path if Path(entry).resolve() != _here)]

from bench.measurement import Histogram, LoadResult


class RequestSource:
    """The raw requests to send: one fixed request forever, or each of a sequence once (then the load stops)."""

    def __init__(self, fixed: bytes | None = None, sequence: Sequence[bytes] | None = None) -> None:
        if (fixed is None) == (sequence is None):
            raise ValueError("give exactly one of fixed and sequence")
        self._fixed = fixed
        self._sequence: Iterator[bytes] | None = iter(sequence) if sequence is not None else None
        self.exhausted = False

    def next(self) -> bytes | None:
        if self._fixed is not None:
            return self._fixed
        assert self._sequence is not None
        request = next(self._sequence, None)
        if request is None:
            self.exhausted = True
        return request


def build_request(
    method: str, host: str, port: int, target: str, *, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Shared:
    def __init__(self, source: RequestSource, deadline: float) -> None:
        self.source = source
        self.deadline = deadline
        self.histogram = Histogram()
        self.errors = 0
        self.non_2xx = 0
        self.last_response = 0.0
        self.last_error = ""


class _Connection(asyncio.Protocol):
    """One keep-alive connection with one request in flight; parses Content-Length and chunked responses."""

    def __init__(self, shared: _Shared, finished: asyncio.Future[None]) -> None:
        self.shared = shared
        self.finished = finished
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but they have its methods.
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._send_next()

    def _send_next(self) -> None:
        assert self.transport is not None
        if time.perf_counter() >= self.shared.deadline:
            self._finish()
            return
        request = self.shared.source.next()
        if request is None:
            self._finish()
            return
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def _finish(self) -> None:
        if self.transport is not None:
            self.transport.close()
        if not self.finished.done():
            self.finished.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            consumed, status = _parse_response(self.buffer)
            if consumed == 0:
                return
            now = time.perf_counter()
            del self.buffer[:consumed]
            self.shared.histogram.record(now - self.sent_at)
            self.shared.last_response = now
            if not 200 <= status < 300:
                self.shared.non_2xx += 1
            if self.buffer:  # a response we did not ask for: the stream is out of step
                self.shared.errors += 1
                self._finish()
                return
            self._send_next()
            return

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished.done():
            self.shared.errors += 1
            self.shared.last_error = repr(exc) if exc else "the server closed the connection"
            self.finished.set_result(None)


def _parse_response(buffer: bytearray) -> tuple[int, int]:
    """(bytes of one complete response at the start of buffer, its status), or (0, 0) while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return 0, 0
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in head[1:]:
        name, _, value = line.partition(":")
        lowered = name.strip().lower()
        if lowered == "content-length":
            length = int(value)
        elif lowered == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    body_start = end + 4
    if chunked:
        position = body_start
        while True:
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                return 0, 0
            size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
            position = line_end + 2 + size + 2
            if len(buffer) < position:
                return 0, 0
            if size == 0:
                return position, status
    total = body_start + (length or 0)
    if len(buffer) < total:
        return 0, 0
    return total, status


def check_loopback(host: str) -> None:
    for info in socket.getaddrinfo(host, None):
        address = ipaddress.ip_address(info[4][0])
        if not address.is_loopback:
            raise SystemExit(f"loadgen: {host} is not a loopback address; this load generator only targets loopback")


async def _run(host: str, port: int, source: RequestSource, connections: int, duration: float) -> LoadResult:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    shared = _Shared(source, started + duration)
    waits: list[asyncio.Future[None]] = []
    for _ in range(connections):
        finished: asyncio.Future[None] = loop.create_future()
        waits.append(finished)
        try:
            await loop.create_connection(functools.partial(_Connection, shared, finished), host, port)
        except OSError:
            shared.errors += 1
            finished.set_result(None)
    try:
        await asyncio.wait_for(asyncio.gather(*waits), timeout=duration + 30)
    except TimeoutError:
        shared.errors += sum(1 for wait in waits if not wait.done())
    # Like wrk, the rate is over the whole run; a source that ran dry ends the run at its last response.
    ended = shared.last_response if source.exhausted and shared.last_response else time.perf_counter()
    elapsed = max(min(ended, started + duration) - started, 1e-9)
    histogram = shared.histogram
    return LoadResult.measured(
        requests=histogram.total,
        duration_s=elapsed,
        percentile=lambda percent: histogram.percentile(percent) * 1e3,
        max_ms=histogram.maximum * 1e3,
        errors=shared.errors,
        non_2xx=shared.non_2xx,
        exhausted=source.exhausted,
    )


def run_load(host: str, port: int, source: RequestSource, connections: int, duration: float) -> LoadResult:
    """Drive host:port with `connections` keep-alive connections for `duration` seconds."""
    check_loopback(host)
    try:
        import uvloop  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
    except ImportError:
        return asyncio.run(_run(host, port, source, connections, duration))
    return uvloop.run(_run(host, port, source, connections, duration))  # type: ignore[no-any-return, unused-ignore]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("-c", "--connections", type=int, default=1)
    parser.add_argument("-d", "--duration", type=float, default=5.0, help="seconds")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value', repeatable")
    arguments = parser.parse_args(argv)
    url = urlsplit(arguments.url)
    if url.scheme != "http" or url.hostname is None:
        parser.error("only http://host:port/... URLs")
    port = url.port or 80
    target = url.path + (f"?{url.query}" if url.query else "")
    headers = [_header(text) for text in arguments.header]
    request = build_request("GET", url.hostname, port, target or "/", headers=headers)
    result = run_load(url.hostname, port, RequestSource(fixed=request), arguments.connections, arguments.duration)
    json.dump(result.to_json(), sys.stdout)
    print()
    return 0


def _header(text: str) -> tuple[str, str]:
    name, separator, value = text.partition(":")
    if not separator:
        raise SystemExit(f"loadgen: a header is 'Name: value', got {text!r}")
    return name.strip(), value.strip()


if __name__ == "__main__":
    raise SystemExit(main())
