"""The report: the targets and their verdicts, the Markdown table, and the JSON of a run."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.consumer import DRAIN_EVENTS, PAGE_SIZE, DrainResult
from bench.load import rate, valid
from bench.measurement import LoadResult
from bench.results import PageRun, Results, SizeResult

# The performance issue's targets.
TARGET_RATIO = 0.50  # every page
TARGET_MEDIAN_RATIO = 0.75  # the median over the six pages
TARGET_P99_MS = 10.0
TARGET_SPREAD = 0.10
TARGET_SPREAD_FROM_EVENTS = 1_000_000  # the spread is judged at 1M and 10M, not on a small log
TARGET_READY_S = {1_000_000: 2.0, 10_000_000: 15.0}
TARGET_RSS_MB = {10_000_000: 1024.0}
TARGET_DRAIN_S = 30.0


@dataclass
class Target:
    name: str
    value: str
    met: bool | None  # None: not measured in this run


def short(events: int) -> str:
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if events >= unit and events % unit == 0:
            return f"{events // unit}{name}"
    return f"{events:,}"


def spread(values: Sequence[float]) -> float:
    """(max - min) / max: how far the slowest falls below the fastest, as a share of the fastest."""
    return (max(values) - min(values)) / max(values) if values and max(values) else 0.0


def page_met(run: PageRun) -> bool:
    return run.ratio >= TARGET_RATIO and run.emulator.p99_ms <= TARGET_P99_MS and valid(run.emulator)


def spread_met(events: int, rates: Sequence[float]) -> bool | None:
    return spread(rates) <= TARGET_SPREAD if events >= TARGET_SPREAD_FROM_EVENTS else None


def startup_met(size: SizeResult) -> bool | None:
    ready_target = TARGET_READY_S.get(size.events)
    rss_target = TARGET_RSS_MB.get(size.events)
    if ready_target is None and rss_target is None:
        return None
    return (ready_target is None or size.startup.ready_s <= ready_target) and (
        rss_target is None or size.startup.rss_mb <= rss_target
    )


def drain_met(drained: DrainResult) -> bool | None:
    return drained.seconds <= TARGET_DRAIN_S if drained.events >= DRAIN_EVENTS else None


def targets(results: Results) -> list[Target]:
    found: list[Target] = []
    for size in results.sizes:
        label = short(size.events)
        full = size.runs_at(results.widest)
        if full:
            ratio = min(run.ratio for run in full)
            median = statistics.median(run.ratio for run in full)
            p99 = max(run.emulator.p99_ms for run in full)
            found.append(
                Target(
                    f"{label}: full page, every check, c={results.widest}: >= 50 % of baseline, p99 <= 10 ms",
                    f"worst {ratio:.0%} of baseline (median {median:.0%}), worst p99 {p99:.2f} ms",
                    all(page_met(run) for run in full),
                )
            )
            found.append(
                Target(
                    f"{label}: full page, every check, c={results.widest}: median >= 75 % of baseline",
                    f"median {median:.0%} over {len(full)} pages ({ratio:.0%}-{max(run.ratio for run in full):.0%})",
                    median >= TARGET_MEDIAN_RATIO,
                )
            )
            rates = [run.emulator.requests_per_s for run in full]
            noise = spread([run.baseline.requests_per_s for run in full])
            found.append(
                Target(
                    f"{label}: same throughput for every start and filter (within 10 %)",
                    f"spread {spread(rates):.1%} ({min(rates):,.0f}-{max(rates):,.0f} req/s; "
                    f"the baseline's, same bytes, {noise:.1%})",
                    spread_met(size.events, rates),
                )
            )
        ready_target = TARGET_READY_S.get(size.events)
        rss_target = TARGET_RSS_MB.get(size.events)
        if ready_target is not None or rss_target is not None:
            parts = [
                f"ready <= {ready_target:g} s" if ready_target else "",
                f"RSS <= {rss_target / 1024:g} GB" if rss_target else "",
            ]
            found.append(
                Target(
                    f"{label}: {', '.join(part for part in parts if part)}",
                    f"ready {size.startup.ready_s:.2f} s, RSS {size.startup.rss_mb:,.0f} MB",
                    startup_met(size),
                )
            )
    if results.drain is not None:
        found.append(
            Target(
                "drain 1M events with one client <= 30 s",
                f"{results.drain.events:,} events in {results.drain.seconds:.1f} s",
                drain_met(results.drain),
            )
        )
    measured_sizes = {size.events for size in results.sizes}
    for events in (1_000_000, 10_000_000):
        if events not in measured_sizes:
            found.append(Target(f"{short(events)} events", "not in this run", None))
    return found


def verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**NOT MET**")


def table(results: Results, found: list[Target]) -> str:
    header = "| scenario | events | conns | emulator | p50 ms | p99 ms | baseline | p50 ms | p99 ms | ratio | target |"
    rows = [header, "|" + "---|" * header.count(" | ") + "---|"]
    widest = results.widest

    def row(*cells: str) -> None:
        rows.append("| " + " | ".join(cells) + " |")

    for size in results.sizes:
        label = short(size.events)
        for run in size.runs:
            page = run.page
            row(
                f"feed {page.hjemmelgruppe} {page.position} (#{page.number:,})", label, str(run.connections),
                rate(run.emulator), f"{run.emulator.p50_ms:.2f}", f"{run.emulator.p99_ms:.2f}",
                rate(run.baseline), f"{run.baseline.p50_ms:.2f}", f"{run.baseline.p99_ms:.2f}",
                f"{run.ratio:.0%}", verdict(page_met(run)) if run.connections == widest else "",
            )  # fmt: skip
        if full := size.runs_at(widest):
            rates = [run.emulator.requests_per_s for run in full]
            noise = [run.baseline.requests_per_s for run in full]
            row("spread over starts and filters", label, str(widest), f"{spread(rates):.1%}",
                "", "", f"{spread(noise):.1%}", "", "", "", verdict(spread_met(size.events, rates)))  # fmt: skip
        row(
            "start: ready, RSS after ready (peak)", label, "",
            f"{size.startup.ready_s:.2f} s, {size.startup.rss_mb:,.0f} MB ({size.startup.peak_rss_mb:,.0f} MB)", "", "",
            f"{size.baseline_startup.ready_s:.2f} s, {size.baseline_startup.rss_mb:,.0f} MB", "", "", "",
            verdict(startup_met(size)),
        )  # fmt: skip
    for token_run in results.tokens:
        result = token_run.result
        row("token endpoint, JWT-bearer grant", short(results.token_events), str(token_run.connections),
            rate(result, "tokens/s"), f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}", "", "", "", "", "")  # fmt: skip
    if results.drain is not None:
        drained = results.drain
        row(f"drain {drained.events:,} events, pages of {PAGE_SIZE}", short(drained.events), "1",
            f"{drained.seconds:.1f} s ({drained.requests / drained.seconds:,.0f} pages/s)",
            f"{drained.p50_ms:.2f}", f"{drained.p99_ms:.2f}", "", "", "", "", verdict(drain_met(drained)))  # fmt: skip
    met_count = sum(1 for target in found if target.met)
    judged = sum(1 for target in found if target.met is not None)
    lines = ["\n".join(rows), "", f"Targets: {met_count} of {judged} met"]
    if len({size.emulator_code for size in results.sizes}) > 1:
        lines.insert(1, "\nWARNING: the emulator's code changed during the run; its sizes measured different code.")
    lines.extend(f"- {verdict(target.met)}: {target.name} — {target.value}" for target in found)
    return "\n".join(lines)


def result_json(result: LoadResult) -> dict[str, Any]:
    return {name: (round(value, 4) if isinstance(value, float) else value) for name, value in result.to_json().items()}


def to_json(
    results: Results, found: list[Target], info: dict[str, Any], elapsed: float, command: str
) -> dict[str, Any]:
    """The run as docs/bench/results.json has it: the table's numbers and more, for charts and comparisons."""
    return {
        "command": command,
        "machine": info,
        "settings": vars(results.settings),
        "elapsed_s": round(elapsed, 1),
        "sizes": [
            {
                "events": size.events,
                "emulator_code": size.emulator_code,
                "emulator_git": size.emulator_git,
                "startup": vars(size.startup),
                "baseline_startup": vars(size.baseline_startup),
                "rss_after_load_mb": size.rss_after_load_mb,
                "peak_rss_after_load_mb": size.peak_rss_after_load_mb,
                "page_bytes": size.page_bytes,
                "runs": [
                    {
                        "hjemmelgruppe": run.page.hjemmelgruppe,
                        "position": run.page.position,
                        "hendelsesnummer": run.page.number,
                        "connections": run.connections,
                        "emulator": result_json(run.emulator),
                        "baseline": result_json(run.baseline),
                        "ratio": round(run.ratio, 4),
                    }
                    for run in size.runs
                ],
            }
            for size in results.sizes
        ],
        "token_endpoint": {
            "events": results.token_events,
            "runs": [
                {"connections": run.connections, "assertions_signed": run.assertions, **result_json(run.result)}
                for run in results.tokens
            ],
        },
        "drain": vars(results.drain) if results.drain else None,
        "targets": [{"name": target.name, "value": target.value, "met": target.met} for target in found],
    }
