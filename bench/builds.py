"""Building the log: time to ready, peak memory and time per event per size; cold, with a cache, and from it.

Each start is `python -m emulator serve --events N` with nothing else running in it, timed from the process's
start until `/internal/isready` answers, with VmHWM (the peak resident set) and VmRSS read from /proc then:

- cold: no cache, the log built in memory, as every start was before the cache existed;
- first cached: `--cache-dir` on an empty directory, so the log is built and written;
- cached: the same directory again, so the log is mapped from the files (the page cache is warm, as it is for
  the second xdist worker or container on a host);
- the code of another git ref (`--compare main`), cold, in the same sitting, for a before-and-after table;
  a start that is not ready within its time limit is recorded as such.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from bench.servers import ROOT, Child, free_port, wait_ready

logger = logging.getLogger("bench")
# The goals for a build (README): at 100M ready within a minute and 4 GB, from the cache within 2 s.
TARGET_LARGE_READY_S = 60.0
TARGET_LARGE_PEAK_MB = 4096.0
TARGET_CACHED_READY_S = 2.0
TARGET_PEAK_OVER_FINISHED = 1.3
TARGET_PER_EVENT_SPREAD = 0.25


@dataclass
class BuildStart:
    events: int
    mode: str  # cold, first-cached, cached, or "<ref> cold"
    ready_s: float | None  # None: not ready within the limit
    rss_mb: float
    peak_rss_mb: float
    limit_s: float
    cpu_s: float = 0.0  # the process's own CPU time until ready: what the build cost, whatever else ran
    build_s: float | None = None  # the banner's "ready in": the log and the rest of the app, without interpreter

    def cpu_us_per_event(self, fixed_cpu_s: float) -> float | None:
        """CPU time per event, less what any start costs (interpreter, imports, key): the build's own work."""
        return None if self.ready_s is None else max(self.cpu_s - fixed_cpu_s, 0.0) / self.events * 1e6

    @property
    def us_per_event(self) -> float | None:
        """The build's time per event: the banner's figure, without the second the interpreter takes to start."""
        return None if self.build_s is None else self.build_s / self.events * 1e6


def measure_start(events: int, mode: str, limit_s: float, *, cache_dir: Path | None, code: Path) -> BuildStart:
    """One start of the emulator at `code` (a source tree), stopped as soon as it is measured."""
    port = free_port()
    command = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--events", str(events)]
    command += ["--log-level", "warning", *(["--cache-dir", str(cache_dir)] if cache_dir else [])]
    environment = {**os.environ, "PYTHONPATH": str(code)}
    child = Child(f"emulator ({events:,} events, {mode})", command, env=environment, cwd=code)
    try:
        try:
            ready: float | None = wait_ready(child, port, limit_s)
        except RuntimeError as error:
            ready = None
            logger.info(f"  {error}")
        try:
            rss, peak = child.memory_mb()
            cpu = _cpu_seconds(child.pid)
        except OSError:  # it has exited: nothing left to measure
            rss = peak = cpu = 0.0
        build = float(child.wait_for_line(r"ready in ([\d.]+) s", timeout=30).group(1)) if ready else None
    finally:
        child.stop()
    result = BuildStart(events, mode, ready, rss, peak, limit_s, cpu, build)
    shown = f"{ready:.2f} s" if ready is not None else f"not ready within {limit_s:.0f} s"
    logger.info(f"  {events:>11,} events {mode:<14} {shown} (CPU {cpu:.1f} s), RSS {rss:,.0f} MB, peak {peak:,.0f} MB")
    return result


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_builds(sizes: Sequence[int], compare: str | None, limit_s: float) -> list[BuildStart]:
    """Every size cold, first-cached and cached with this code; then cold with `compare`'s code, if given."""
    starts: list[BuildStart] = []
    with tempfile.TemporaryDirectory(prefix="trygdehendelser-bench-cache-") as temporary:
        for events in sizes:
            logger.info(f"{events:,} events: building the log")
            starts.append(measure_start(events, "cold", limit_s, cache_dir=None, code=ROOT))
            cache = Path(temporary) / f"cache-{events}"
            starts.append(measure_start(events, "first-cached", limit_s, cache_dir=cache, code=ROOT))
            starts.append(measure_start(events, "cached", limit_s, cache_dir=cache, code=ROOT))
            shutil.rmtree(cache, ignore_errors=True)
        if compare:
            with _checkout(compare) as tree:
                for events in sizes:
                    starts.append(measure_start(events, f"{compare} cold", limit_s, cache_dir=None, code=tree))
    return starts


@contextlib.contextmanager
def _checkout(ref: str) -> Iterator[Path]:
    """A detached worktree of `ref` in a temporary directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="trygdehendelser-bench-ref-"))
    try:
        add = ["git", "worktree", "add", "--detach", str(path), ref]
        subprocess.run(add, cwd=ROOT, check=True, capture_output=True)
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False, capture_output=True)
        shutil.rmtree(path, ignore_errors=True)


def by_mode(starts: Sequence[BuildStart], mode: str) -> list[BuildStart]:
    return [start for start in starts if start.mode == mode]


def fixed_cpu(starts: Sequence[BuildStart]) -> float:
    """The CPU time a start costs whatever the log: the least any start from the cache took."""
    cached = [start.cpu_s for start in by_mode(starts, "cached") if start.ready_s is not None]
    return min(cached, default=0.0)


def per_event_spread(starts: Sequence[BuildStart], smallest: int = 1_000_000) -> float | None:
    """How far the cold build's CPU time per event strays from its mean, from `smallest` events up.

    CPU time, not wall time: on a shared machine the wall time of one start can be several times its CPU time.
    """
    fixed = fixed_cpu(starts)
    rates = [start.cpu_us_per_event(fixed) for start in by_mode(starts, "cold") if start.events >= smallest]
    known = [rate for rate in rates if rate is not None]
    if len(known) < 2 or len(known) < len(rates):
        return None
    mean = sum(known) / len(known)
    return max(abs(rate - mean) / mean for rate in known)


def build_targets(starts: Sequence[BuildStart]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for the build's goals; met None when the run did not measure it."""
    found: list[tuple[str, str, bool | None]] = []
    largest = max((start.events for start in starts), default=0)
    cold = {start.events: start for start in by_mode(starts, "cold")}
    cached = {start.events: start for start in by_mode(starts, "cached")}
    if largest in cold:
        start = cold[largest]
        met = start.ready_s is not None and start.ready_s <= TARGET_LARGE_READY_S
        met = met and start.peak_rss_mb <= TARGET_LARGE_PEAK_MB
        found.append(
            (
                f"{largest:,} events ready in ≤ {TARGET_LARGE_READY_S:.0f} s, peak ≤ {TARGET_LARGE_PEAK_MB:,.0f} MB",
                f"{_seconds(start.ready_s)}, peak {start.peak_rss_mb:,.0f} MB",
                met if largest >= 100_000_000 else None,
            )
        )
    if largest in cached:
        start = cached[largest]
        met = start.ready_s is not None and start.ready_s <= TARGET_CACHED_READY_S
        found.append(
            (
                f"{largest:,} events from the cache in ≤ {TARGET_CACHED_READY_S:.0f} s",
                _seconds(start.ready_s),
                met if largest >= 100_000_000 else None,
            )
        )
    ratios = [start.peak_rss_mb / start.rss_mb for start in cold.values() if start.rss_mb and start.events >= 10**6]
    if ratios:
        worst = max(ratios)
        found.append(
            (
                f"peak while building ≤ {TARGET_PEAK_OVER_FINISHED}× the finished log's RSS",
                f"at most {worst:.2f}×",
                worst <= TARGET_PEAK_OVER_FINISHED,
            )
        )
    spread = per_event_spread(starts)
    if spread is not None:
        found.append(
            (
                f"CPU time per event within ±{TARGET_PER_EVENT_SPREAD:.0%} from 1M events up",
                f"within ±{spread:.0%}",
                spread <= TARGET_PER_EVENT_SPREAD,
            )
        )
    return found


def build_table(starts: Sequence[BuildStart]) -> str:
    lines = [
        "| events | start | ready | of which building | CPU | CPU µs per event | RSS when ready | peak RSS |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    fixed = fixed_cpu(starts)
    for start in starts:
        cpu_per_event = start.cpu_us_per_event(fixed)
        per_event = f"{cpu_per_event:.2f}" if cpu_per_event is not None else "—"
        lines.append(
            f"| {start.events:,} | {start.mode} | {_seconds(start.ready_s)} | {_seconds(start.build_s)} "
            f"| {start.cpu_s:.1f} s | {per_event} "
            f"| {start.rss_mb:,.0f} MB | {start.peak_rss_mb:,.0f} MB |"
        )
    return "\n".join(lines)


def to_json(starts: Sequence[BuildStart]) -> list[dict[str, object]]:
    fixed = fixed_cpu(starts)
    return [
        asdict(start) | {"us_per_event": start.us_per_event, "cpu_us_per_event": start.cpu_us_per_event(fixed)}
        for start in starts
    ]


def from_json(documents: Sequence[dict[str, Any]]) -> list[BuildStart]:
    """The starts of a builds.json, to draw and judge them again."""
    names = {field.name for field in fields(BuildStart)}
    return [BuildStart(**{name: value for name, value in document.items() if name in names}) for document in documents]


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "—"
