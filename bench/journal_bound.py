"""The request journal at its bound, for bench/admin.py: filled past it, then what is kept, counted and costs."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tracemalloc

import httpx

from bench.timing import FEED, Row, check, feed_headers, once, rss_kib, timed
from emulator.harness.journal import Journal
from emulator.testing.server import EmulatorProcess


def fill(base_url: str, headers: dict[str, str], requests: int, distinct_queries: bool) -> None:
    """`requests` feed requests, as fast as wrk (or a plain client) can send them."""
    wrk = shutil.which("wrk")
    if wrk and not distinct_queries:
        # wrk runs for a time, not a count: run in short bursts until enough were journaled.
        while requests > 0:
            header_options = [option for name, value in headers.items() for option in ("-H", f"{name}: {value}")]
            command = [
                wrk,
                "-t1",
                "-c2",
                "-d1s",
                *header_options,
                f"{base_url}{FEED}?hendelsesnummer=1&antallHendelser=1",
            ]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            done = int(next(line for line in output.splitlines() if "requests in" in line).split()[0])
            requests -= done
        return
    with httpx.Client(base_url=base_url, headers=headers) as http:
        for index in range(requests):
            number = index % 100_000 + 1 if distinct_queries else 1
            http.get(FEED, params={"hendelsesnummer": number, "antallHendelser": 1})


def journal_at_bound(port: int, capacity: int, distinct_queries: bool, rounds: int) -> Row:
    arguments = ["--events", "10000", "--journal-size", str(capacity), "--token-lifetime", "3600"]
    with EmulatorProcess(*arguments, port=port) as server, httpx.Client(base_url=server.base_url, timeout=120) as http:
        assert server.pid is not None
        headers = feed_headers(http)
        check(http.get(FEED, params={"hendelsesnummer": 1}, headers=headers))
        http.post("/_emulator/reset")
        headers = feed_headers(http)
        before = rss_kib(server.pid)
        fill(server.base_url, headers, capacity, distinct_queries)
        full = http.get("/_emulator/journal?limit=1").json()
        at_capacity = rss_kib(server.pid)
        fill(server.base_url, headers, capacity // 2, distinct_queries)
        over = http.get("/_emulator/journal?limit=1").json()
        after = rss_kib(server.pid)
        last = over["entries"][0]["sequence"] + over["size"] - 1
        queries = {
            "limit=100 (oldest 100)": "/journal?limit=100",
            "after=<newest-100>&limit=100 (newest 100)": f"/journal?after={last - 100}&limit=100",
            "consumer=<none matches> (full scan)": "/journal?consumer=client:nobody&limit=100",
            "consumer=<the one> limit=100": "/journal?consumer=client:trygdehendelser-demo&limit=100",
            "since=<future> (full scan)": "/journal?since=2999-01-01T00:00:00Z&limit=100",
            "limit=10000 (every entry, at most 10,000)": "/journal?limit=10000",
        }
        costs: dict[str, Row] = {}
        for name, path in queries.items():
            costs[name] = timed(functools.partial(http.get, f"/_emulator{path}"), rounds)
        costs["status"] = timed(lambda: http.get("/_emulator/status"), rounds)
        costs["reset (clears the journal)"] = once(lambda: http.post("/_emulator/reset"))
    return {
        "capacity": capacity,
        "distinct_queries": distinct_queries,
        "size_when_filled": full["size"],
        "evicted_when_filled": full["evicted"],
        "size_after_half_more": over["size"],
        "newest_sequence": last,
        "evicted_after_half_more": over["evicted"],
        "rss_kib_before": before,
        "rss_kib_at_capacity": at_capacity,
        "rss_kib_after_half_more": after,
        "rss_bytes_per_entry": round((at_capacity - before) * 1024 / capacity, 1),
        "query_costs": costs,
    }


def traced_bytes_per_entry(capacity: int, distinct_queries: bool) -> float:
    """tracemalloc's count of what the ring holds per entry, rows shaped as the feed records them."""
    consumer = "client:trygdehendelser-demo"
    shared_query = "hendelsesnummer=1&antallHendelser=100"
    tracemalloc.start()
    journal = Journal(capacity)
    start = tracemalloc.take_snapshot()
    base_ms = 1_767_225_600_000
    for index in range(capacity):
        query = f"hendelsesnummer={index + 1}&antallHendelser=100" if distinct_queries else shared_query
        journal.record(
            at_ms=base_ms + index,
            method="GET",
            path=FEED,
            query=query,
            status=200,
            seconds=0.000123 + index * 1e-9,
            consumer=consumer,
        )
    end = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in end.compare_to(start, "filename"))
    return round(grown / capacity, 1)
