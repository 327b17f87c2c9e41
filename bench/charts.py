"""The charts: throughput per page against the baseline, and throughput, memory and time to ready per log size."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from bench.builds import TARGET_LARGE_PEAK_MB, BuildStart, fixed_cpu
from bench.report import TARGET_MEDIAN_RATIO, TARGET_READY_S, TARGET_RSS_MB, short
from bench.results import Results

EMULATOR_COLOR = "#1f6fb4"
TARGET_COLOR = "#d62728"


def draw(results: Results, output: Path, info: dict[str, Any]) -> None:
    """Writes throughput.png and scaling.png into `output`."""
    subtitle = f"{info['nproc']} cores, {info['cpu']}, Python {info['python']}"
    throughput_chart(results, output / "throughput.png", subtitle)
    scaling_chart(results, output / "scaling.png", subtitle)


def _save(figure: Figure, path: Path, title: str) -> None:
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def throughput_chart(results: Results, path: Path, subtitle: str) -> None:
    connections = results.settings.connections
    figure = Figure(figsize=(15, 4.2 * len(connections)))
    axes = figure.subplots(len(connections), 1, squeeze=False)
    for axis, count in zip(axes[:, 0], connections, strict=True):
        labels: list[str] = []
        emulator: list[float] = []
        baseline: list[float] = []
        for size in results.sizes:
            for run in size.runs_at(count):
                labels.append(f"{short(size.events)}\n{run.page.hjemmelgruppe} {run.page.position}")
                emulator.append(run.emulator.requests_per_s)
                baseline.append(run.baseline.requests_per_s)
        positions = list(range(len(labels)))
        axis.bar([x - 0.2 for x in positions], baseline, 0.4, label="bare ASGI baseline", color="#b0b0b0")
        bars = axis.bar(
            [x + 0.2 for x in positions], emulator, 0.4, label="emulator, every check on", color=EMULATOR_COLOR
        )
        for x, base in zip(positions, baseline, strict=True):
            axis.plot([x - 0.4, x + 0.4], [base * TARGET_MEDIAN_RATIO] * 2, color=TARGET_COLOR, linewidth=1)
        for bar, emulated, base in zip(bars, emulator, baseline, strict=True):
            axis.annotate(
                f"{emulated / base:.0%}" if base else "",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        axis.plot([], [], color=TARGET_COLOR, linewidth=1, label="target: median 75 % of baseline")
        axis.set_xticks(positions, labels, fontsize=7)
        axis.set_ylabel("requests/s")
        axis.set_title(f"Full page (100 events), {count} connection{'s' if count > 1 else ''}")
        axis.set_ylim(0, max([*emulator, *baseline, 1.0]) * 1.22)
        axis.legend(fontsize=8, loc="upper center", ncol=3)
        axis.grid(axis="y", alpha=0.3)
    _save(figure, path, f"Feed throughput: emulator vs bare ASGI, same uvicorn ({subtitle})")


def scaling_chart(results: Results, path: Path, subtitle: str) -> None:
    widest = results.widest
    sizes = sorted(results.sizes, key=lambda size: size.events)
    xs = [size.events for size in sizes]
    figure = Figure(figsize=(15, 4.2))
    left, middle, right = figure.subplots(1, 3)
    for name, color in (("emulator", EMULATOR_COLOR), ("baseline", "#808080")):
        means: list[float] = []
        lows: list[float] = []
        highs: list[float] = []
        for size in sizes:
            values = [getattr(run, name).requests_per_s for run in size.runs_at(widest)]
            means.append(sum(values) / len(values) if values else math.nan)
            lows.append(min(values) if values else math.nan)
            highs.append(max(values) if values else math.nan)
        errors = [[mean - low for mean, low in zip(means, lows, strict=True)],
                  [high - mean for mean, high in zip(means, highs, strict=True)]]  # fmt: skip
        left.errorbar(xs, means, yerr=errors, marker="o", capsize=4, color=color, label=name)
    left.set_title(f"Full-page throughput, {widest} connections (mean, min-max of 6 pages)", fontsize=9)
    left.set_ylabel("requests/s")
    left.set_ylim(bottom=0)
    middle.plot(xs, [size.startup.rss_mb for size in sizes], marker="o", label="RSS after ready")
    middle.plot(xs, [size.startup.peak_rss_mb for size in sizes], marker="x", linestyle="--",
                label="peak RSS while starting")  # fmt: skip
    middle.plot(xs, [size.rss_after_load_mb for size in sizes], marker="s", linestyle=":",
                label="RSS after all the load")  # fmt: skip
    middle.axhline(TARGET_RSS_MB[10_000_000], color=TARGET_COLOR, linewidth=1, label="target at 10M: 1 GB")
    middle.set_title("Memory", fontsize=9)
    middle.set_ylabel("MB")
    middle.set_ylim(bottom=0)
    right.plot(xs, [size.startup.ready_s for size in sizes], marker="o", label="process start to ready")
    right.scatter(list(TARGET_READY_S), list(TARGET_READY_S.values()), marker="_", s=400, color=TARGET_COLOR,
                  label="targets (1M: 2 s, 10M: 15 s)")  # fmt: skip
    right.set_title("Time to ready", fontsize=9)
    right.set_ylabel("seconds")
    right.set_ylim(bottom=0)
    for axis in (left, middle, right):
        axis.set_xscale("log")
        axis.set_xlabel("events in the log")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    _save(figure, path, f"Scaling with the log ({subtitle})")


def builds_chart(starts: list[BuildStart], path: Path, subtitle: str) -> None:
    """Time per event and peak memory per log size, for each kind of start."""
    figure = Figure(figsize=(12, 4.5))
    per_event, memory = figure.subplots(1, 2)
    modes = list(dict.fromkeys(start.mode for start in starts))
    fixed = fixed_cpu(starts)
    for mode in modes:
        runs = [start for start in starts if start.mode == mode]
        ready = [start for start in runs if start.ready_s is not None]
        style = "--" if " " in mode else "-"
        per_event.plot(
            [start.events for start in ready],
            [start.cpu_us_per_event(fixed) for start in ready],
            style,
            marker="o",
            label=mode,
        )
        peaks = [start.peak_rss_mb for start in runs]
        memory.plot([start.events for start in runs], peaks, style, marker="o", label=mode)
        for start in runs:
            if start.ready_s is None:
                per_event.annotate(f"not ready in {start.limit_s:.0f} s", (start.events, 0), fontsize=7, rotation=90)
    memory.axhline(TARGET_LARGE_PEAK_MB, color=TARGET_COLOR, linewidth=1, label="4 GB")
    for axis, label in (
        (per_event, "CPU µs per event, less a start's fixed cost"),
        (memory, "peak RSS while starting, MB"),
    ):
        axis.set_xscale("log")
        axis.set_xlabel("events in the seeded log")
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    per_event.set_ylim(bottom=0)
    _save(figure, path, f"Building the log: cold, into a cache, from it — {subtitle}")
