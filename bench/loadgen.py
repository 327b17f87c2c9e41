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
import bisect
import functools
import ipaddress
import json
import math
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import cast
from urllib.parse import urlsplit

HISTOGRAM_GROWTH = 1.01
# The percentiles each run reports, so that runs can be combined (see combine()).
PERCENTILE_GRID: tuple[float, ...] = (*range(1, 100), 99.5, 99.9, 99.99, 100)
_LOG_GROWTH = math.log(HISTOGRAM_GROWTH)


class Histogram:
    """Latencies in buckets growing by 1 %, from 1 µs up; percentiles read back at the bucket's upper edge."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.maximum = 0.0

    def record(self, seconds: float) -> None:
        micros = max(seconds * 1e6, 1.0)
        bucket = int(math.log(micros) / _LOG_GROWTH)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += 1
        self.maximum = max(self.maximum, seconds)

    def percentile(self, percent: float) -> float:
        """The latency in seconds below which `percent` % of the recorded ones lie."""
        if self.total == 0:
            return math.nan
        wanted = math.ceil(self.total * percent / 100)
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= wanted:
                return min(HISTOGRAM_GROWTH ** (bucket + 1) / 1e6, self.maximum)
        return self.maximum


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int
    exhausted: bool = False
    # (percent, latency in ms) at each of PERCENTILE_GRID.
    grid: tuple[tuple[float, float], ...] = ()

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["grid"]
        return data

    def fraction_at_most(self, latency_ms: float) -> float:
        """The share of this run's requests that took at most latency_ms, interpolated on its percentile grid."""
        values = [value for _, value in self.grid]
        below = bisect.bisect_right(values, latency_ms)
        if below == len(values):
            return 1.0
        if below == 0:
            first_percent, first_value = self.grid[0]
            return first_percent / 100 * (latency_ms / first_value if first_value > 0 else 0.0)
        (low_percent, low_value), (high_percent, high_value) = self.grid[below - 1], self.grid[below]
        share = (latency_ms - low_value) / (high_value - low_value)
        return (low_percent + share * (high_percent - low_percent)) / 100


def combine(results: Sequence[LoadResult]) -> LoadResult:
    """Several runs (slices of one measurement) as one: rates over the summed time, percentiles of the union.

    The union's percentiles are found from each run's percentile grid, weighted by its request count: exact at the
    grid's points for one run, within the grid's interpolation for several.
    """
    if len(results) == 1:
        return results[0]
    total = sum(result.requests for result in results)
    duration = sum(result.duration_s for result in results)
    maximum = max(result.max_ms for result in results)
    weighted = [result for result in results if result.requests and result.grid]

    def percentile(percent: float) -> float:
        if not weighted:
            return math.nan
        low, high = 0.0, maximum
        for _ in range(60):
            middle = (low + high) / 2
            share = sum(result.requests * result.fraction_at_most(middle) for result in weighted) / total
            if share >= percent / 100:
                high = middle
            else:
                low = middle
        return high

    return LoadResult(
        requests=total,
        duration_s=duration,
        requests_per_s=total / duration if duration else 0.0,
        p50_ms=percentile(50),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        max_ms=maximum,
        errors=sum(result.errors for result in results),
        non_2xx=sum(result.non_2xx for result in results),
        exhausted=any(result.exhausted for result in results),
        grid=tuple((percent, percentile(percent)) for percent in PERCENTILE_GRID),
    )


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
    return LoadResult(
        requests=histogram.total,
        duration_s=elapsed,
        requests_per_s=histogram.total / elapsed,
        p50_ms=histogram.percentile(50) * 1e3,
        p90_ms=histogram.percentile(90) * 1e3,
        p99_ms=histogram.percentile(99) * 1e3,
        max_ms=histogram.maximum * 1e3,
        errors=shared.errors,
        non_2xx=shared.non_2xx,
        exhausted=source.exhausted,
        grid=tuple((percent, histogram.percentile(percent) * 1e3) for percent in PERCENTILE_GRID),
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
