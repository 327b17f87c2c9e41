"""The emulator's benchmark: the feed against a bare-ASGI baseline, the token endpoint, a drain, start-up and memory.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/run.py [--quick] [--sizes 1000000,10000000]
        [--build-sizes 1000000,10000000,40000000] [--large] [--compare main] [--no-load]

Starts the emulator (release settings: one worker, `--log-level warning`, no access log) and `bench/baseline.py`
(a bare ASGI app under the same uvicorn, answering the emulator's exact page bytes) for each log size, and drives
both alternately with the same load from wrk (installed with apt-get when missing and run as root) or, failing
that, `bench/loadgen.py`, over loopback only, each run bounded in time. Then times building the log (bench/builds.py)
cold, into a cache and from it, up to 100M events with --large, and with --compare the same against another git
ref. Prints the tables, and writes `results.json`, `throughput.png`, `scaling.png`, `builds.json` and `builds.png`
to docs/bench (--quick: to a temporary directory unless --output names one). See bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # `python bench/run.py` puts bench/ first on the path: the repository's root goes there instead, so that the
    # modules import each other as the package bench and none of them shadows a module of the same name.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent), *(entry for entry in sys.path if Path(entry).resolve() != _here)]

import argparse
import contextlib
import importlib.util
import json
import logging
import os
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.builds import BuildStart, build_table, build_targets, run_builds
from bench.builds import to_json as builds_json
from bench.consumer import DRAIN_EVENTS, PAGE_SIZE, check_checks_are_on, drain, mint_token
from bench.load import LoadDriver, ensure_wrk
from bench.machine import code_fingerprint, git_state, load_average, machine
from bench.pages import choose_pages, fetch_pages, run_pages
from bench.report import table, targets, to_json
from bench.results import Results, Settings, SizeResult
from bench.servers import ROOT, start_baseline, start_emulator
from bench.tokens import run_tokens

logger = logging.getLogger("bench")
BUSY_LOAD_AVERAGE = 0.5


def run(settings: Settings, driver: LoadDriver, workdir: Path) -> Results:
    """Every scenario at every log size, one emulator at a time; the servers stop whatever happens."""
    results = Results(settings)
    token_size = next((size for size in settings.sizes if size >= DRAIN_EVENTS), settings.sizes[0])
    drain_size = next((size for size in sorted(settings.sizes) if size >= DRAIN_EVENTS), max(settings.sizes))
    for events in settings.sizes:
        logger.info(f"{events:,} events: starting the emulator")
        with contextlib.ExitStack() as stack:
            code, commit = code_fingerprint(), git_state()
            emulator, emulator_port, startup = start_emulator(events)
            stack.callback(emulator.stop)
            logger.info(
                f"  ready in {startup.ready_s:.2f} s (log {startup.log_build_s} s), "
                f"RSS {startup.rss_mb:.0f} MB (peak {startup.peak_rss_mb:.0f} MB)"
            )
            token = mint_token(emulator_port)
            check_checks_are_on(emulator_port, token)
            pages = choose_pages(emulator_port, token, events)
            pages_dir = workdir / f"pages-{events}"
            pages_dir.mkdir()
            bodies = fetch_pages(emulator_port, token, pages, pages_dir)
            baseline, baseline_port, baseline_startup = start_baseline(pages_dir)
            stack.callback(baseline.stop)
            size = SizeResult(events, startup, baseline_startup, code, commit)
            size.page_bytes = {f"{page.hjemmelgruppe} {page.position}": len(body) for page, body in bodies.items()}
            results.sizes.append(size)
            size.runs.extend(run_pages(driver, settings, (emulator_port, baseline_port), token, pages))
            baseline.stop()
            if events == token_size:
                results.tokens = run_tokens(driver, settings, emulator_port)
                results.token_events = events
            if events == drain_size:
                wanted = min(DRAIN_EVENTS, events)
                logger.info(f"  draining {wanted:,} events in pages of {PAGE_SIZE}")
                results.drain = drain(emulator_port, token, wanted)
                logger.info(f"  drained {results.drain.events:,} events in {results.drain.seconds:.1f} s")
            size.rss_after_load_mb, size.peak_rss_after_load_mb = emulator.memory_mb()
    return results


@dataclass
class BuildSettings:
    sizes: list[int]
    compare: str | None
    limit_s: float
    load: bool


def parse_arguments(argv: Sequence[str] | None) -> tuple[Settings, BuildSettings, Path]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k events, 2 s per run: a check that it all works")
    parser.add_argument("--sizes", help="log sizes, comma-separated (default 100000,1000000,10000000)")
    parser.add_argument("--duration", type=int, help="seconds of measured load per server and scenario (default 6)")
    parser.add_argument("--slice", type=int, help="seconds per turn of one server (default 2; --quick 1)")
    parser.add_argument("--warmup", type=int, help="seconds of unmeasured load before each run (default 1)")
    parser.add_argument("--connections", default="1,32", help="concurrent connections, comma-separated")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--output", type=Path, help="where the JSON and the charts go (default docs/bench; --quick: a temporary dir)"
    )
    parser.add_argument("--build-sizes", help="log sizes to time building (default 1000000,10000000,40000000)")
    parser.add_argument("--large", action="store_true", help="also build 100M events (minutes, and 4 GB)")
    parser.add_argument("--compare", metavar="REF", help="also time cold builds of this git ref, e.g. main")
    parser.add_argument("--build-limit", type=float, default=600, help="seconds a start may take (default 600)")
    parser.add_argument("--no-load", action="store_true", help="only the builds: no load scenarios")
    arguments = parser.parse_args(argv)
    if importlib.util.find_spec("matplotlib") is None:
        parser.error("matplotlib is missing (it draws the charts): pip install -e '.[bench]'")
    sizes_text = arguments.sizes or ("100000" if arguments.quick else "100000,1000000,10000000")
    sizes = [int(text.replace("_", "")) for text in sizes_text.split(",")]
    if any(size < 1000 for size in sizes):
        parser.error("every size must be at least 1000 events (the end-of-log pages need room)")
    duration = arguments.duration or (2 if arguments.quick else 6)
    slice_seconds = arguments.slice or (1 if arguments.quick else 2)
    if duration % slice_seconds:
        parser.error("--duration must be a multiple of --slice")
    warmup = arguments.warmup if arguments.warmup is not None else 1
    connections = [int(text) for text in arguments.connections.split(",")]
    loadgen = arguments.loadgen
    if loadgen in {"auto", "wrk"} and not arguments.no_load:
        has_wrk = ensure_wrk()
        if loadgen == "wrk" and not has_wrk:
            parser.error("wrk is not installed, and could not be")
        loadgen = "wrk" if has_wrk else "python"
    build_text = arguments.build_sizes or ("100000" if arguments.quick else "1000000,10000000,40000000")
    build_sizes = [int(text.replace("_", "")) for text in build_text.split(",")]
    if arguments.large and 100_000_000 not in build_sizes:
        build_sizes.append(100_000_000)
    builds = BuildSettings(build_sizes, arguments.compare, arguments.build_limit, not arguments.no_load)
    output = arguments.output
    if output is None:
        # A quick run is a check that it all works: it never replaces the committed figures unless told to.
        output = Path(tempfile.gettempdir()) / "trygdehendelser-bench" if arguments.quick else ROOT / "docs" / "bench"
    return Settings(sizes, duration, slice_seconds, warmup, connections, loadgen), builds, output


def _log_to_stderr() -> None:
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[bench %(asctime)s] %(message)s", datefmt="%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Only the bench's own lines: what the libraries log stays out of the run's output.
    logger.propagate = False


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    _log_to_stderr()
    settings, builds, output = parse_arguments(argv)
    # Only now that matplotlib is known to be there (parse_arguments says so plainly when it is not).
    from bench.charts import builds_chart  # noqa: PLC0415

    command = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    # SIGTERM unwinds like Ctrl-C, so the servers are always stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    info = machine()
    logger.info(
        f"load generator: {settings.loadgen}; sizes {settings.sizes}; "
        f"{settings.duration} s per server and scenario in {settings.slice} s slices"
    )
    if (busy := os.getloadavg()[0]) > BUSY_LOAD_AVERAGE:
        logger.info(
            f"the machine is busy (load average {busy:.2f}): other processes will share the cores with the servers"
        )
    output.mkdir(parents=True, exist_ok=True)
    if builds.load:
        _run_load(settings, info, output, command, started)
    starts = run_builds(builds.sizes, builds.compare, builds.limit_s)
    _write_builds(starts, output, info, command)
    builds_chart(starts, output / "builds.png", f"{info['nproc']} cores, {info['cpu']}, Python {info['python']}")
    logger.info(f"wrote {output / 'builds.json'}, {output / 'builds.png'}")
    logger.info(f"the whole run took {(time.perf_counter() - started) / 60:.1f} min")
    return 0


def _run_load(settings: Settings, info: dict[str, Any], output: Path, command: str, started: float) -> None:
    from bench.charts import draw  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="trygdehendelser-bench-") as temporary:
        workdir = Path(temporary)
        results = run(settings, LoadDriver(settings.loadgen, workdir), workdir)
    elapsed = time.perf_counter() - started
    info["load_average_at_end"] = load_average()
    found = targets(results)
    print()
    print(table(results, found))
    print()
    print(
        f"{info['nproc']} cores, {info['cpu']}, Python {info['python']}; load generator {settings.loadgen}; "
        f"{settings.duration} s per server and scenario in {settings.slice} s slices; "
        f"the whole run took {elapsed / 60:.1f} min; load average {info['load_average_at_start'][0]:.2f} at the start, "
        f"{info['load_average_at_end'][0]:.2f} at the end; emulator at "
        + ", ".join(sorted({str(size.emulator_git) for size in results.sizes}))
    )
    (output / "results.json").write_text(
        json.dumps(to_json(results, found, info, elapsed, command.strip()), indent=2) + "\n", encoding="utf-8"
    )
    draw(results, output, info)
    logger.info(f"wrote {output / 'results.json'}, {output / 'throughput.png'}, {output / 'scaling.png'}")


def _write_builds(starts: list[BuildStart], output: Path, info: dict[str, Any], command: str) -> None:
    found = build_targets(starts)
    print()
    print(build_table(starts))
    print()
    for target, measured, met in found:
        print(f"- {target}: {measured} ({'met' if met else 'not met' if met is False else 'not measured'})")
    info = {**info, "load_average_at_end": load_average()}
    document = {
        "command": command.strip(),
        "machine": info,
        "emulator_git": git_state(),
        "starts": builds_json(starts),
        "targets": [{"target": target, "measured": measured, "met": met} for target, measured, met in found],
    }
    (output / "builds.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
