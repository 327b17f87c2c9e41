"""What each control-plane call costs over HTTP, and how the request journal behaves at its bound.

Starts `trygdehendelser-emulator serve` for each log size, calls every /_emulator endpoint (and /internal/metrics)
over one keep-alive connection, `--rounds` times after a warm-up, and prints median and p99 latency per call as
the client sees it (loopback, so HTTP parsing on both sides is included). Then it fills journals of the default
and a larger size past their bound with wrk (or plain requests where wrk is missing) and reports entries kept,
the eviction counter, memory per entry (the server's RSS growth, and tracemalloc in-process) and what a query
costs on a full journal.

    python bench/admin.py --events 10000 1000000 --port 18210

prints a Markdown table and writes the raw figures to --output (JSON).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

if not __package__:
    # `python bench/admin.py` puts bench/ first on the path: the repository's root goes there instead, so that the
    # modules import each other as the package bench and none of them shadows a module of the same name.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent), *(entry for entry in sys.path if Path(entry).resolve() != _here)]

from bench.journal_bound import journal_at_bound, traced_bytes_per_entry
from bench.timing import FEED, Row, check, feed_headers, once, percentile, timed
from emulator.eventlog.identities import synthetic_identity
from emulator.testing.server import EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]


def control_plane_costs(events: int, port: int, rounds: int) -> dict[str, Row]:  # noqa: PLR0915
    costs: dict[str, Row] = {}
    with (
        EmulatorProcess("--events", str(events), "--token-lifetime", "3600", port=port) as server,
        httpx.Client(base_url=server.base_url, timeout=120) as http,
    ):
        people = (synthetic_identity(random.Random(index)) for index in itertools.count())

        def post(path: str, body: Any) -> Callable[[], httpx.Response]:
            return lambda: http.post(f"/_emulator{path}", json=body)

        def get(path: str) -> Callable[[], httpx.Response]:
            return lambda: http.get(f"/_emulator{path}")

        def explicit_one() -> httpx.Response:
            return http.post("/_emulator/events", json={"events": [{"type": "OPPRETTET", "personident": next(people)}]})

        costs["status"] = timed(get("/status"), rounds)
        costs["clock GET"] = timed(get("/clock"), rounds)
        costs["clock POST advance"] = timed(post("/clock", {"action": "advance", "seconds": 0.001}), rounds)
        costs["clock POST freeze"] = timed(post("/clock", {"action": "freeze"}), rounds)
        http.post("/_emulator/clock", json={"action": "reset"})
        costs["tokens POST (mint)"] = timed(post("/tokens", {}), rounds)

        # The first append after start (or reset) builds the period index the lifecycle checks use.
        costs["events POST 1 explicit, first after start"] = once(explicit_one)
        costs["events POST 1 explicit"] = timed(explicit_one, rounds)
        costs["events POST generate 1"] = timed(post("/events", {"generate": 1}), rounds)
        costs["events POST generate 1,000"] = timed(post("/events", {"generate": 1000}), max(rounds // 4, 10))

        # Reset with appended events to drop, and the append after it that rebuilds the index.
        costs["reset (after appending 10)"] = timed(
            post("/reset", None),
            max(rounds // 4, 10),
            before=lambda: check(http.post("/_emulator/events", json={"generate": 10})),
        )
        http.post("/_emulator/reset")
        costs["events POST 1 explicit, first after reset"] = once(explicit_one)
        http.post("/_emulator/reset")
        costs["reset (nothing to undo)"] = timed(post("/reset", None), rounds)

        fault = {"kind": "status", "status": 503, "consumer": "client:nobody"}
        added: list[str] = []

        def add_fault() -> httpx.Response:
            response = http.post("/_emulator/faults", json=fault)
            added.append(response.json()["id"])
            return response

        def delete_last() -> None:
            check(http.delete(f"/_emulator/faults/{added.pop()}"))

        def delete_last_added() -> None:
            if added:
                delete_last()

        def add_one() -> None:
            add_fault()

        costs["faults POST (none active)"] = timed(add_fault, rounds, before=delete_last_added)
        if added:
            delete_last()
        ids = [http.post("/_emulator/faults", json=fault).json()["id"] for _ in range(100)]
        costs["faults GET (100 active)"] = timed(get("/faults"), rounds)
        costs["faults POST (100 active)"] = timed(add_fault, rounds, before=delete_last_added)
        costs["faults DELETE one (100 active)"] = timed(
            lambda: http.delete(f"/_emulator/faults/{added.pop()}"), rounds, before=add_one
        )
        for fault_id in ids:
            http.delete(f"/_emulator/faults/{fault_id}")
        add_fault()
        costs["faults GET (1 active)"] = timed(get("/faults"), rounds)
        costs["faults DELETE all"] = timed(lambda: http.delete("/_emulator/faults"), rounds)

        costs["live PUT"] = timed(lambda: http.put("/_emulator/live", json={"rate": 1, "pattern": "steady"}), rounds)
        costs["live DELETE"] = timed(lambda: http.delete("/_emulator/live"), rounds)

        headers = feed_headers(http)
        for number in (1, events // 2 or 1, events):
            check(http.get(FEED, params={"hendelsesnummer": number}, headers=headers))
        consumer = "client:trygdehendelser-demo"
        costs["consumers GET (1 consumer)"] = timed(get("/consumers"), rounds)
        costs["consumers wait, already reached"] = timed(get(f"/consumers/{consumer}/wait?up_to=1&timeout=1"), rounds)
        costs["consumers wait, woken by the read it waits for"] = woken_wait(
            http, headers, consumer, max(rounds // 4, 20)
        )
        costs["journal GET limit=100 (few entries)"] = timed(get("/journal?limit=100"), rounds)
        costs["metrics GET"] = timed(lambda: http.get("/internal/metrics"), rounds)
        costs["digest GET, first"] = once(get("/digest"))
        costs["digest GET"] = timed(get("/digest"), rounds)
        costs["status (after digest)"] = timed(get("/status"), rounds)
        costs["dashboard summary GET"] = timed(get("/dashboard/summary"), rounds)
    return costs


def woken_wait(http: httpx.Client, headers: dict[str, str], consumer: str, rounds: int) -> Row:
    """From the start of the feed read that reaches the target to the waiting request's answer, in ms."""
    samples = []
    with httpx.Client(base_url=str(http.base_url), timeout=30) as waiter:
        for _ in range(rounds):
            head = http.post("/_emulator/events", json={"generate": 1}).json()["head"]
            answered: list[float] = []

            def wait(target: int = head, answered: list[float] = answered) -> None:
                response = waiter.get(f"/_emulator/consumers/{consumer}/wait", params={"up_to": target, "timeout": 10})
                check(response)
                answered.append(time.perf_counter())

            thread = threading.Thread(target=wait)
            thread.start()
            time.sleep(0.05)  # let the wait arrive first (a benchmark may sleep; the tests never do)
            started = time.perf_counter()
            check(http.get(FEED, params={"hendelsesnummer": head}, headers=headers))
            thread.join()
            samples.append((answered[0] - started) * 1000)
    return {
        "rounds": rounds,
        "median_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "max_ms": round(max(samples), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--port", type=int, default=18210)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--journal-capacities", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "bench" / "admin.json")
    arguments = parser.parse_args()

    started = time.monotonic()
    report: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "load_average_before": os.getloadavg(),
        "costs": {},
        "journal": [],
    }
    for index, events in enumerate(arguments.events):
        report["costs"][str(events)] = control_plane_costs(events, arguments.port + index, arguments.rounds)
    for index, capacity in enumerate(arguments.journal_capacities):
        for distinct in (False, True):
            if distinct and capacity > 20_000:
                continue  # a plain client is too slow for that many distinct URLs; tracemalloc covers the case
            port = arguments.port + 10 + index * 2 + distinct
            report["journal"].append(journal_at_bound(port, capacity, distinct, max(arguments.rounds // 4, 20)))
    report["traced_bytes_per_entry"] = {
        "shared query text": traced_bytes_per_entry(100_000, distinct_queries=False),
        "a query text per entry": traced_bytes_per_entry(100_000, distinct_queries=True),
    }
    report["load_average_after"] = os.getloadavg()
    report["seconds"] = round(time.monotonic() - started, 1)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(report, indent=1) + "\n")

    sizes = [str(events) for events in arguments.events]
    print(f"| call | {' | '.join(f'{int(size):,} events: median / p99 ms' for size in sizes)} |")
    print(f"|---|{'---|' * len(sizes)}")
    for name in report["costs"][sizes[0]]:
        cells = []
        for size in sizes:
            row = report["costs"][size].get(name, {})
            cells.append(f"{row['median_ms']:.2f} / {row['p99_ms']:.2f}" if row else "")
        print(f"| {name} | {' | '.join(cells)} |")
    print()
    for run in report["journal"]:
        print(json.dumps({key: value for key, value in run.items() if key != "query_costs"}))
        for name, row in run["query_costs"].items():
            print(f"  {name}: {row['median_ms']:.2f} / {row['p99_ms']:.2f} ms")
    print(json.dumps(report["traced_bytes_per_entry"]))
    print(f"load average {report['load_average_before']} -> {report['load_average_after']}, {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
