"""The feed as a consumer sees it: plain HTTP calls with the key and a token, and one consumer draining the log."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.measurement import Histogram
from bench.servers import HOST

FEED_PATH = "/helse/v1/trygdehendelser/hendelser"
SUBSCRIPTION_KEY = "local-subscription-key"
PAGE_SIZE = 100
DRAIN_EVENTS = 1_000_000


@dataclass
class DrainResult:
    events: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float


def call(
    port: int, method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def call_json(
    port: int, method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> Any:
    """The parsed body of a 200 answer; any other answer stops the run, since what follows would measure nothing."""
    status, answer = call(port, method, target, headers, body)
    if status != 200:
        raise RuntimeError(f"{method} {target} answered {status}: {answer[:200]!r}")
    return json.loads(answer)


def feed_target(number: int, hjemmelgruppe: str, count: int = PAGE_SIZE) -> str:
    return f"{FEED_PATH}?hendelsesnummer={number}&antallHendelser={count}&hjemmelgruppe={hjemmelgruppe}"


def mint_token(port: int) -> str:
    answer = call_json(
        port, "POST", "/_emulator/tokens", {"Content-Type": "application/json"}, b'{"lifetime_seconds": 86400}'
    )
    token: str = answer["access_token"]
    return token


def api_headers(token: str) -> dict[str, str]:
    return {"Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY, "Authorization": f"Bearer {token}"}


def check_checks_are_on(port: int, token: str) -> None:
    """The load runs with every check on: make sure a request without the key, or without the token, is refused."""
    target = feed_target(1, "ALLE")
    for name in ("Ocp-Apim-Subscription-Key", "Authorization"):
        headers = {key: value for key, value in api_headers(token).items() if key != name}
        status, _ = call(port, "GET", target, headers)
        if status != 401:
            raise RuntimeError(f"without {name} the feed answered {status}, not 401: are the checks off?")
    call_json(port, "GET", target, api_headers(token))


def drain(port: int, token: str, events: int) -> DrainResult:
    """One consumer, one keep-alive connection, pages of 100 from 1, each parsed for where the next one starts."""
    try:
        import orjson  # noqa: PLC0415

        loads: Callable[[bytes], Any] = orjson.loads
    except ImportError:
        loads = json.loads
    headers = api_headers(token)
    histogram = Histogram()
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    number, seen, requests = 1, 0, 0
    started = time.perf_counter()
    try:
        while seen < events:
            sent = time.perf_counter()
            connection.request("GET", feed_target(number, "ALLE"), headers=headers)
            response = connection.getresponse()
            body = response.read()
            histogram.record(time.perf_counter() - sent)
            requests += 1
            if response.status != 200:
                raise RuntimeError(f"draining: the feed answered {response.status} at {number}")
            page = loads(body)
            if not page["hendelser"]:
                break
            seen += page["antallHendelser"]
            number = page["hendelser"][-1]["hendelsesnummer"] + 1
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    return DrainResult(seen, requests, seconds, histogram.percentile(50) * 1e3, histogram.percentile(99) * 1e3)
