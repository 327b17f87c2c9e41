"""MEDL under load: a look-up by id and by person, against the bare-ASGI baseline answering the same bytes.

    .venv/bin/python bench/medl.py [--sizes 1000000,10000000] [--duration 6] [--output docs/bench/medl.json]

For each log size: starts the emulator, picks a period from the middle of the log and the person it names, fetches
MEDL's exact answers for both (every gateway check on: key, token signature and times, MEDL's scope), starts
`bench/baseline.py --by-path` with those bodies, and drives both in alternating one-second slices at 1 and 32
connections with the same load as `bench/run.py`. Prints one table and writes the results as JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent), *(entry for entry in sys.path if Path(entry).resolve() != _here)]

import argparse
import contextlib
import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bench.consumer import api_headers, call, call_json, feed_target
from bench.load import LoadDriver, ensure_wrk
from bench.measurement import LoadResult, combine
from bench.servers import ROOT, start_baseline, start_emulator

MEDL_PATH = "/medlemskap/v1/medlemskapsunntak"
BOTH_SCOPES = "nav:helse/v1/trygdehendelser nav:medlemskap/v1/medlemskapsunntak"
TARGET_RATIO = 0.5
TARGET_P99_MS = 10.0
logger = logging.getLogger("bench.medl")


@dataclass(frozen=True)
class Lookup:
    name: str
    target: str
    headers: dict[str, str]


@dataclass
class LookupRun:
    events: int
    lookup: str
    connections: int
    emulator: LoadResult
    baseline: LoadResult

    @property
    def ratio(self) -> float:
        return self.emulator.requests_per_s / self.baseline.requests_per_s if self.baseline.requests_per_s else 0.0


def both_scopes_token(port: int) -> str:
    body = json.dumps({"lifetime_seconds": 86_400, "scope": BOTH_SCOPES}).encode()
    answer = call_json(port, "POST", "/_emulator/tokens", {"Content-Type": "application/json"}, body)
    token: str = answer["access_token"]
    return token


def choose_lookups(port: int, token: str, events: int) -> list[Lookup]:
    """A period from the middle of the log, and the person its first event names."""
    page = call_json(port, "GET", feed_target(max(events // 2, 1), "ALLE", 1), api_headers(token))
    content = page["hendelser"][0]["innhold"]
    headers = api_headers(token)
    return [
        Lookup("by id", f"{MEDL_PATH}/{content['periodeId']}", headers),
        Lookup("by person", MEDL_PATH, {**headers, "Nav-Personident": content["personident"]}),
    ]


def fetch_bodies(port: int, lookups: Sequence[Lookup], directory: Path) -> None:
    """Each look-up's exact answer, with the manifest the baseline serves them from, keyed by path."""
    manifest: dict[str, str] = {}
    for index, lookup in enumerate(lookups):
        status, body = call(port, "GET", lookup.target, lookup.headers)
        if status != 200:
            raise RuntimeError(f"{lookup.name}: {lookup.target} answered {status}: {body[:200]!r}")
        name = f"medl-{index}.json"
        (directory / name).write_bytes(body)
        manifest[lookup.target] = name
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def measure(
    driver: LoadDriver,
    ports: tuple[int, int],
    lookups: Sequence[Lookup],
    *,
    connections: int,
    duration: int,
    events: int,
) -> list[LookupRun]:
    """Each look-up on both servers, taking turns in one-second slices, so both see the same machine."""
    slices: dict[tuple[str, int], list[LoadResult]] = {(lookup.name, port): [] for lookup in lookups for port in ports}
    for lookup in lookups:
        for port in ports:
            driver.get(port, lookup.target, lookup.headers, connections, 1)
    for round_index in range(duration):
        for offset, lookup in enumerate(lookups):
            order = ports if (round_index + offset) % 2 == 0 else ports[::-1]
            for port in order:
                slices[(lookup.name, port)].append(driver.get(port, lookup.target, lookup.headers, connections, 1))
    return [
        LookupRun(
            events,
            lookup.name,
            connections,
            combine(slices[(lookup.name, ports[0])]),
            combine(slices[(lookup.name, ports[1])]),
        )
        for lookup in lookups
    ]


def run(sizes: Sequence[int], duration: int, driver: LoadDriver, workdir: Path) -> list[LookupRun]:
    runs: list[LookupRun] = []
    for events in sizes:
        with contextlib.ExitStack() as stack:
            emulator, port, startup = start_emulator(events)
            stack.callback(emulator.stop)
            logger.info(f"{events:,} events: ready in {startup.ready_s:.2f} s")
            token = both_scopes_token(port)
            lookups = choose_lookups(port, token, events)
            bodies = workdir / f"medl-{events}"
            bodies.mkdir()
            fetch_bodies(port, lookups, bodies)
            baseline, baseline_port, _ = start_baseline(bodies, by_path=True)
            stack.callback(baseline.stop)
            for connections in (1, 32):
                for result in measure(
                    driver, (port, baseline_port), lookups, connections=connections, duration=duration, events=events
                ):
                    logger.info(
                        f"  {result.lookup:9} c={connections:<3} emulator {result.emulator.requests_per_s:8.0f}/s "
                        f"p99 {result.emulator.p99_ms:6.2f} ms | baseline {result.baseline.requests_per_s:8.0f}/s "
                        f"| ratio {result.ratio:.2f}"
                    )
                    runs.append(result)
    return runs


def table(runs: Sequence[LookupRun]) -> str:
    lines = [
        "| MEDL look-up | events | connections | emulator | p50 ms | p99 ms | baseline | ratio | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run_ in runs:
        met = run_.connections == 32 and run_.ratio >= TARGET_RATIO and run_.emulator.p99_ms <= TARGET_P99_MS
        target = ("met" if met else "not met") if run_.connections == 32 else ""
        lines.append(
            f"| {run_.lookup} | {run_.events:,} | {run_.connections} | {run_.emulator.requests_per_s:,.0f} req/s | "
            f"{run_.emulator.p50_ms:.2f} | {run_.emulator.p99_ms:.2f} | {run_.baseline.requests_per_s:,.0f} req/s | "
            f"{run_.ratio:.0%} | {target} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="log sizes, comma-separated")
    parser.add_argument("--duration", type=int, default=6, help="seconds of measured load per server and look-up")
    parser.add_argument("--output", type=Path, help="write the results as JSON here (e.g. docs/bench/medl.json)")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench %(asctime)s] %(message)s", datefmt="%H:%M:%S")
    sizes = [int(text.replace("_", "")) for text in arguments.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-medl-") as workdir:
        driver = LoadDriver("wrk" if ensure_wrk() else "python", Path(workdir))
        runs = run(sizes, arguments.duration, driver, Path(workdir))
    print(table(runs))
    if arguments.output is not None:
        output = arguments.output if arguments.output.is_absolute() else ROOT / arguments.output
        document = [{**asdict(run_), "ratio": run_.ratio} for run_ in runs]
        output.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
