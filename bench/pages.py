"""The full pages under load: which six, their bytes for the baseline, and each run in alternating slices."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
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
) -> Iterator[PageRun]:
    """Each page at each concurrency on the emulator and on the baseline, in alternating slices of time.

    The slices go A B B A A B ..., so both servers see the same machine (another process waking up, a CPU's clock
    changing) and a drift in time favours neither; each server's slices are then combined into one result.
    """
    headers = api_headers(token)
    servers = {"emulator": ports[0], "baseline": ports[1]}
    turn = 0
    for page in pages:
        for connections in settings.connections:
            names = ["emulator", "baseline"] if turn % 2 == 0 else ["baseline", "emulator"]
            turn += 1
            slices: dict[str, list[LoadResult]] = {name: [] for name in names}
            if settings.warmup:
                for name in names:
                    driver.get(servers[name], page.target, headers, connections, settings.warmup)
            for index in range(max(settings.duration // settings.slice, 1)):
                for name in names if index % 2 == 0 else names[::-1]:
                    slices[name].append(driver.get(servers[name], page.target, headers, connections, settings.slice))
            run = PageRun(page, connections, combine(slices["emulator"]), combine(slices["baseline"]))
            logger.info(
                f"  {page.hjemmelgruppe:4} {page.position:6} #{page.number:<9} c={connections:<3} "
                f"emulator {run.emulator.requests_per_s:8.0f}/s p99 {run.emulator.p99_ms:6.2f} ms | "
                f"baseline {run.baseline.requests_per_s:8.0f}/s p99 {run.baseline.p99_ms:6.2f} ms | "
                f"ratio {run.ratio:.2f}"
            )
            yield run
