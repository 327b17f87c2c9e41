"""What large appends cost, and whether the server keeps answering health and the feed while they run.

Starts `python -m emulator serve` and, over loopback:

- appends explicit batches of 10,000, 40,000 and 100,000 events (half OPPRETTET, half ENDRET) while a second
  client asks `/internal/isalive` and a feed page in a loop, and reports the append's time and the probes'
  latency (p50 and max) during it;
- generates 100,000 events five times in a row (the log growing from 10,000 to 510,000), to show a generate
  costs the same however long the log has grown;
- sends a 1,000,000-event body (about 70 MB) and reports the answer, its size, and the server's RSS after;
- starts live mode at 5 events a second, moves the clock a year ahead, and reports how long catching up takes,
  how many events were appended and skipped, and the probes meanwhile (observed for at most `--live-seconds`).

    python bench/appends.py [--port 18230] [--code DIR] [--output docs/bench/appends.json]

`--code DIR` runs the server from another checkout's `emulator` package (for a before/after comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

if not __package__:
    # `python bench/appends.py` puts bench/ first on the path: the repository's root goes there instead, so that
    # the modules import each other as the package bench and none of them shadows a module of the same name.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent), *(entry for entry in sys.path if Path(entry).resolve() != _here)]

from bench.timing import FEED, feed_headers, percentile, rss_kib
from emulator.eventlog.identities import synthetic_identity
from emulator.testing.server import DEFAULT_COMMAND, EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]
SEEDED = 10_000
Row = dict[str, Any]


def explicit_batch(size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    first_id = 10**12 + seed * 10**6
    events: list[dict[str, Any]] = []
    for index in range(size // 2):
        events.append({"type": "OPPRETTET", "periodeId": first_id + index, "personident": synthetic_identity(rng)})
        events.append({"type": "ENDRET", "periodeId": first_id + index})
    return json.dumps({"events": events}).encode()


class Prober:
    """Asks health and a feed page in turn on its own connection, recording each answer's latency in ms."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)
        self._headers = feed_headers(self._http)
        self._stop = threading.Event()
        self.isalive: list[float] = []
        self.feed: list[float] = []
        self.failures: list[str] = []

    @contextmanager
    def running(self) -> Iterator[Prober]:
        self.isalive, self.feed, self.failures = [], [], []
        self._stop.clear()
        thread = threading.Thread(target=self._loop)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._probe(self.isalive, lambda: self._http.get("/internal/isalive"))
            self._probe(self.feed, lambda: self._http.get(FEED, params={"hendelsesnummer": 1}, headers=self._headers))
            if self.failures and self.failures[-1] == "401":
                # The controlled clock moved past the token's expiry (the live-mode jump): a fresh one.
                self.failures.pop()
                self.feed.pop()
                self._headers = feed_headers(self._http)

    def _probe(self, samples: list[float], call: Callable[[], httpx.Response]) -> None:
        started = time.perf_counter()
        try:
            status = call().status_code
        except httpx.HTTPError as error:
            self.failures.append(type(error).__name__)
            return
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            self.failures.append(str(status))

    def summary(self) -> Row:
        def figures(samples: list[float]) -> Row:
            if not samples:
                return {"count": 0}
            return {
                "count": len(samples),
                "p50_ms": round(statistics.median(samples), 2),
                "p99_ms": round(percentile(samples, 0.99), 2),
                "max_ms": round(max(samples), 2),
            }

        return {"isalive": figures(self.isalive), "feed": figures(self.feed), "failures": self.failures[:5]}

    def close(self) -> None:
        self._http.close()


def timed_post(http: httpx.Client, path: str, **kwargs: Any) -> tuple[httpx.Response | None, float, str]:
    started = time.perf_counter()
    try:
        response: httpx.Response | None = http.post(path, **kwargs)
        error = ""
    except httpx.HTTPError as failure:
        response, error = None, type(failure).__name__
    return response, round(time.perf_counter() - started, 3), error


def idle(prober: Prober, seconds: float) -> Row:
    """The probes with nothing else running: what the machine itself gives."""
    with prober.running():
        time.sleep(seconds)
    return {"append": "none (idle)", "during": prober.summary()}


def appends(prober: Prober, http: httpx.Client) -> list[Row]:
    rows: list[Row] = [idle(prober, 5)]
    print(json.dumps(rows[-1]), flush=True)
    for size in (10_000, 40_000, 100_000):
        http.post("/_emulator/reset")
        body = explicit_batch(size, seed=size)
        with prober.running():
            response, seconds, error = timed_post(
                http, "/_emulator/events", content=body, headers={"content-type": "application/json"}
            )
        rows.append(
            {
                "append": f"{size:,} explicit events",
                "body_mb": round(len(body) / 1e6, 1),
                "status": response.status_code if response else error,
                "seconds": seconds,
                "during": prober.summary(),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    http.post("/_emulator/reset")
    for _ in range(5):
        head = http.get("/_emulator/status").json()["head"]
        with prober.running():
            response, seconds, error = timed_post(http, "/_emulator/events", json={"generate": 100_000})
        rows.append(
            {
                "append": f"generate 100,000 at head {head:,}",
                "status": response.status_code if response else error,
                "seconds": seconds,
                "during": prober.summary(),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def huge_body(server: EmulatorProcess, http: httpx.Client) -> Row:
    http.post("/_emulator/reset")
    body = explicit_batch(1_000_000, seed=1)
    before, peak_before = rss_mb(server), peak_rss_mb(server)
    response, seconds, error = timed_post(
        http, "/_emulator/events", content=body, headers={"content-type": "application/json"}
    )
    return {
        "body_mb": round(len(body) / 1e6, 1),
        "status": response.status_code if response else error,
        "seconds": seconds,
        "answer_bytes": len(response.content) if response else None,
        "rss_mb_before": before,
        "rss_mb_after": rss_mb(server),
        "peak_rss_mb_before": peak_before,
        "peak_rss_mb_after": peak_rss_mb(server),
    }


def live_jump(server: EmulatorProcess, prober: Prober, http: httpx.Client, limit_s: float) -> Row:
    http.post("/_emulator/reset")
    http.post("/_emulator/clock", json={"action": "freeze"})
    http.put("/_emulator/live", json={"rate": 5, "pattern": "steady"})
    head = initial = http.get("/_emulator/status").json()["head"]
    before = rss_mb(server)
    started = time.perf_counter()
    with prober.running():
        http.post("/_emulator/clock", json={"action": "advance", "seconds": 365 * 86_400})
        status: Row = {}
        caught_up = None
        last_change = started
        # Caught up once the head has stood still for 3 s (the frozen clock brings nothing new after the jump).
        while time.perf_counter() - started < limit_s and time.perf_counter() - last_change < 3:
            time.sleep(0.25)  # a benchmark may sleep; the tests never do
            status = http.get("/_emulator/status").json()
            if status["head"] != head:
                head, last_change = status["head"], time.perf_counter()
        if head > initial and time.perf_counter() - last_change >= 3:
            caught_up = round(last_change - started, 2)
    http.delete("/_emulator/live")
    return {
        "due": 5 * 365 * 86_400,
        "appended": status.get("appended"),
        "skipped": (status.get("live") or {}).get("skipped"),
        "caught_up_seconds": caught_up,
        "observed_seconds": round(time.perf_counter() - started, 2),
        "rss_mb_before": before,
        "rss_mb_after": rss_mb(server),
        "peak_rss_mb_after": peak_rss_mb(server),
        "during": prober.summary(),
    }


def rss_mb(server: EmulatorProcess) -> int:
    assert server.pid is not None
    return round(rss_kib(server.pid) / 1024)


def peak_rss_mb(server: EmulatorProcess) -> int:
    """The process's peak RSS so far (VmHWM)."""
    assert server.pid is not None
    for line in Path(f"/proc/{server.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    raise RuntimeError("no VmHWM")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=18230)
    parser.add_argument("--code", type=Path, help="run the server from this checkout's emulator package")
    parser.add_argument("--live-seconds", type=float, default=30.0)
    parser.add_argument("--probe-timeout", type=float, default=300.0)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "bench" / "appends.json")
    arguments = parser.parse_args()

    command = list(DEFAULT_COMMAND)
    if arguments.code:
        # `-m` would put this checkout first on the path; the other one goes before it.
        bootstrap = f"import sys, runpy; sys.path.insert(0, {str(arguments.code.resolve())!r}); "
        command = [sys.executable, "-c", bootstrap + "runpy.run_module('emulator', run_name='__main__')", "serve"]
    report: Row = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "code": str(arguments.code) if arguments.code else "this checkout",
        "load_average_before": os.getloadavg(),
    }
    started = time.monotonic()
    with (
        EmulatorProcess(
            "--events", str(SEEDED), "--token-lifetime", "3600", command=command, port=arguments.port
        ) as server,
        httpx.Client(base_url=server.base_url, timeout=900) as http,
    ):
        prober = Prober(server.base_url, arguments.probe_timeout)
        try:
            report["appends"] = appends(prober, http)
            report["huge_body"] = huge_body(server, http)
            print(json.dumps(report["huge_body"]), flush=True)
            report["live_jump"] = live_jump(server, prober, http, arguments.live_seconds)
            print(json.dumps(report["live_jump"]), flush=True)
        finally:
            prober.close()
    report["load_average_after"] = os.getloadavg()
    report["seconds"] = round(time.monotonic() - started, 1)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(report, indent=1) + "\n")
    print(f"load average {report['load_average_before']} -> {report['load_average_after']}, {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
