"""Timing control-plane calls over HTTP for bench/admin.py: median and p99 of many, one alone, RSS, credentials."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FEED = "/helse/v1/trygdehendelser/hendelser"
DEMO_GRANT = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}
Row = dict[str, Any]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def timed(
    call: Callable[[], httpx.Response], rounds: int, warmup: int = 3, before: Callable[[], None] | None = None
) -> Row:
    """Median and p99 of `rounds` calls in ms; `before` runs untimed ahead of each call."""
    for _ in range(warmup):
        if before:
            before()
        check(call())
    samples = []
    for _ in range(rounds):
        if before:
            before()
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        check(response)
    return {
        "rounds": rounds,
        "median_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "max_ms": round(max(samples), 3),
    }


def once(call: Callable[[], httpx.Response]) -> Row:
    started = time.perf_counter()
    check(call())
    elapsed = (time.perf_counter() - started) * 1000
    return {"rounds": 1, "median_ms": round(elapsed, 3), "p99_ms": round(elapsed, 3), "max_ms": round(elapsed, 3)}


def check(response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def feed_headers(http: httpx.Client) -> dict[str, str]:
    token = http.post("/maskinporten/token", data=DEMO_GRANT).json()["access_token"]
    return {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}
