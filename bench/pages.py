"""The full pages under load: which six, their bytes for the baseline, and each run in alternating slices."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from bench.consumer import PAGE_SIZE, api_headers, call, call_json, feed_target
from bench.load import LoadDriver
from bench.measurement import LoadResult, combine
from bench.results import Page, PageRun, Settings

logger = logging.getLogger(__name__)


def matching_from(port: int, token: str, number: int, hjemmelgruppe: str) -> int:
    """How many events of the filter are left from `number` on."""
    answer = call_json(port, "GET", feed_target(number, hjemmelgruppe, 1), api_headers(token))
    total: int = answer["totaltAntallHendelser"]
    return total


def last_start_with(port: int, token: str, events: int, hjemmelgruppe: str, remaining: int) -> int:
    """The largest hendelsesnummer from which at least `remaining` events of the filter are left."""
    low, high = 1, events  # total(low) >= remaining, by the caller's choice of log size
    while low < high:
        middle = (low + high + 1) // 2
        if matching_from(port, token, middle, hjemmelgruppe) >= remaining:
            low = middle
        else:
            high = middle - 1
    return low


def choose_pages(port: int, token: str, events: int) -> list[Page]:
    """A full page of ALLE and of EOS from the start, the middle and the end of the log."""
    end_alle = max(events - 150, 1)
    # As many EOS events left as ALLE events are left at its end page: 151, a full page and some.
    end_eos = last_start_with(port, token, events, "EOS", events - end_alle + 1)
    return [
        Page("ALLE", "start", 1),
        Page("ALLE", "middle", events // 2),
        Page("ALLE", "end", end_alle),
        Page("EOS", "start", 1),
        Page("EOS", "middle", events // 2),
        Page("EOS", "end", end_eos),
    ]


def fetch_pages(port: int, token: str, pages: Sequence[Page], directory: Path) -> dict[Page, bytes]:
    """Each page's exact body, also written to `directory` with the manifest bench/baseline.py serves them from."""
    bodies: dict[Page, bytes] = {}
    manifest: dict[str, str] = {}
    for index, page in enumerate(pages):
        status, body = call(port, "GET", page.target, api_headers(token))
        count = json.loads(body).get("antallHendelser") if status == 200 else None
        if count != PAGE_SIZE:
            raise RuntimeError(f"{page} is not a full page: status {status}, antallHendelser {count}")
        bodies[page] = body
        name = f"page-{index}.json"
        (directory / name).write_bytes(body)
        manifest[page.query] = name
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return bodies


def run_pages(
    driver: LoadDriver, settings: Settings, ports: tuple[int, int], token: str, pages: Sequence[Page]
) -> list[PageRun]:
    """Each page at each concurrency on the emulator and on the baseline, all taking turns in slices of time.

    At one concurrency, every (page, server) pair gets one slice per round, the pages in an order that rotates from
    round to round and the two servers in an order that alternates, so all twelve see the same machine — another
    process waking up, a CPU's clock changing, a neighbour on the host — and a drift in time favours no page and no
    server. Comparing pages (the spread target) is then as fair as comparing servers. Each pair's slices are
    combined into one result.
    """
    headers = api_headers(token)
    servers = {"emulator": ports[0], "baseline": ports[1]}
    runs: list[PageRun] = []
    for connections in settings.connections:
        slices: dict[tuple[Page, str], list[LoadResult]] = {(page, name): [] for page in pages for name in servers}
        if settings.warmup:
            for page, name in slices:
                driver.get(servers[name], page.target, headers, connections, settings.warmup)
        for round_index in range(max(settings.duration // settings.slice, 1)):
            shift = round_index % len(pages)
            for offset, page in enumerate([*pages[shift:], *pages[:shift]]):
                names = ["emulator", "baseline"] if (round_index + offset) % 2 == 0 else ["baseline", "emulator"]
                for name in names:
                    result = driver.get(servers[name], page.target, headers, connections, settings.slice)
                    slices[(page, name)].append(result)
        for page in pages:
            run = PageRun(page, connections, combine(slices[(page, "emulator")]), combine(slices[(page, "baseline")]))
            logger.info(
                f"  {page.hjemmelgruppe:4} {page.position:6} #{page.number:<9} c={connections:<3} "
                f"emulator {run.emulator.requests_per_s:8.0f}/s p99 {run.emulator.p99_ms:6.2f} ms | "
                f"baseline {run.baseline.requests_per_s:8.0f}/s p99 {run.baseline.p99_ms:6.2f} ms | "
                f"ratio {run.ratio:.2f}"
            )
            runs.append(run)
    # In the table, a page's runs stand together.
    return sorted(runs, key=lambda run: (pages.index(run.page), run.connections))
