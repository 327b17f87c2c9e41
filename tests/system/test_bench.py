"""The bench's arithmetic and report on made-up results: verdicts, spread, combined slices, the table and the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.consumer import DrainResult
from bench.load import rate, wrk_result
from bench.measurement import PERCENTILE_GRID, LoadResult, combine
from bench.medl import LookupRun
from bench.medl import table as medl_table
from bench.report import page_met, short, spread, startup_met, table, targets, to_json, verdict
from bench.results import Page, PageRun, Results, Settings, SizeResult, TokenRun
from bench.servers import Startup

ROOT = Path(__file__).resolve().parents[2]
PAGES = [Page(group, position, 1) for group in ("ALLE", "EOS") for position in ("start", "middle", "end")]


def measured(
    requests: int = 10_000,
    latency_ms: float = 1.0,
    *,
    p99_ms: float | None = None,
    seconds: float = 1.0,
    errors: int = 0,
    non_2xx: int = 0,
    exhausted: bool = False,
) -> LoadResult:
    """A run whose latencies rise evenly to latency_ms at the median and to p99_ms (default twice that) at p99."""
    top = 2 * latency_ms if p99_ms is None else p99_ms

    def percentile(percent: float) -> float:
        if percent <= 50:
            return latency_ms * percent / 50
        return latency_ms + (top - latency_ms) * min(percent - 50, 49) / 49

    return LoadResult.measured(
        requests=requests,
        duration_s=seconds,
        percentile=percentile,
        max_ms=top,
        errors=errors,
        non_2xx=non_2xx,
        exhausted=exhausted,
    )


def steady(requests: int, latency_ms: float) -> LoadResult:
    """A run in which every request took latency_ms."""
    return LoadResult.measured(
        requests=requests,
        duration_s=1.0,
        percentile=lambda _: latency_ms,
        max_ms=latency_ms,
        errors=0,
        non_2xx=0,
        exhausted=False,
    )


def page_run(ratio: float, *, connections: int = 32, p99_ms: float = 5.0, errors: int = 0) -> PageRun:
    baseline = measured(20_000)
    return PageRun(PAGES[0], connections, measured(round(20_000 * ratio), p99_ms=p99_ms, errors=errors), baseline)


def size_result(
    events: int, rates: list[float], *, ready_s: float = 1.0, rss_mb: float = 100.0, code: str = "abc"
) -> SizeResult:
    """A log size with each of the six pages at 1 and 32 connections, the emulator at `rates` against 20k req/s."""
    size = SizeResult(events, Startup(ready_s, rss_mb, rss_mb, 0.5), Startup(0.2, 28.0), code, "1234567")
    size.page_bytes = {f"{page.hjemmelgruppe} {page.position}": 18_000 for page in PAGES}
    for page, emulator in zip(PAGES, rates, strict=True):
        for connections in (1, 32):
            size.runs.append(PageRun(page, connections, measured(round(emulator)), measured(20_000)))
    return size


def results_of(*sizes: SizeResult, drain: DrainResult | None = None) -> Results:
    settings = Settings([size.events for size in sizes], 2, 1, 1, [1, 32], "wrk")
    results = Results(settings, list(sizes), drain=drain)
    results.tokens = [TokenRun(32, measured(600, 40.0, exhausted=True), 9_000)]
    results.token_events = sizes[0].events
    return results


@pytest.mark.parametrize(
    ("values", "expected"),
    [([100.0, 100.0], 0.0), ([50.0, 100.0, 75.0], 0.5), ([], 0.0), ([0.0, 0.0], 0.0)],
    ids=["equal", "half-below-the-fastest", "empty", "all-zero"],
)
def test_spread_is_the_gap_below_the_fastest_as_a_share_of_it(values: list[float], expected: float) -> None:
    assert spread(values) == expected


@pytest.mark.parametrize(
    ("events", "label"),
    [(100_000, "100k"), (1_000_000, "1M"), (10_000_000, "10M"), (1_500, "1,500"), (999, "999")],
    ids=["thousands", "million", "ten-million", "not-round", "small"],
)
def test_a_round_size_is_named_short(events: int, label: str) -> None:
    assert short(events) == label


@pytest.mark.parametrize(
    ("met", "shown"), [(True, "met"), (False, "**NOT MET**"), (None, "—")], ids=["met", "not-met", "not-measured"]
)
def test_a_verdict_is_shown_as_met_not_met_or_a_dash(met: bool | None, shown: str) -> None:
    assert verdict(met) == shown


@pytest.mark.parametrize(
    ("run", "met"),
    [
        (page_run(0.5), True),
        (page_run(0.49), False),
        (page_run(0.8, p99_ms=10.0), True),
        (page_run(0.8, p99_ms=10.5), False),
        (page_run(0.8, errors=1), False),
    ],
    ids=["half-the-baseline", "below-half", "p99-at-10-ms", "p99-above-10-ms", "an-error"],
)
def test_a_page_meets_its_target_at_half_the_baseline_with_p99_within_10_ms_and_no_errors(
    run: PageRun, met: bool
) -> None:
    assert page_met(run) is met


@pytest.mark.parametrize(
    ("events", "ready_s", "rss_mb", "met"),
    [
        (100_000, 9.0, 5000.0, None),
        (1_000_000, 2.0, 5000.0, True),
        (1_000_000, 2.1, 100.0, False),
        (10_000_000, 15.0, 1024.0, True),
        (10_000_000, 8.0, 1100.0, False),
    ],
    ids=["no-target-at-100k", "1M-ready-in-2-s", "1M-too-slow", "10M-at-both-limits", "10M-too-large"],
)
def test_start_up_is_judged_at_1m_and_10m(events: int, ready_s: float, rss_mb: float, met: bool | None) -> None:
    assert startup_met(size_result(events, [10_000.0] * 6, ready_s=ready_s, rss_mb=rss_mb)) is met


@pytest.mark.parametrize(
    ("result", "shown"),
    [
        (measured(12_345), "12,345 req/s"),
        (measured(12_345, exhausted=True), ">= 12,345 req/s"),
        (measured(12_345, errors=2, non_2xx=1), "12,345 req/s (3 errors!)"),
    ],
    ids=["plain", "ran-out", "errors"],
)
def test_a_rate_says_when_it_is_a_lower_bound_or_had_errors(result: LoadResult, shown: str) -> None:
    assert rate(result) == shown


def test_one_slice_combined_is_that_slice() -> None:
    only = measured(1_000)
    assert combine([only]) is only


def test_combined_slices_add_counts_and_time_and_keep_any_exhaustion() -> None:
    combined = combine([measured(3_000, errors=1), measured(1_000, seconds=3.0, non_2xx=2, exhausted=True)])
    assert (combined.requests, combined.duration_s, combined.requests_per_s) == (4_000, 4.0, 1_000.0)
    assert (combined.errors, combined.non_2xx, combined.exhausted) == (1, 2, True)
    assert [percent for percent, _ in combined.grid] == list(PERCENTILE_GRID)


def test_combined_percentiles_weigh_each_slice_by_its_requests() -> None:
    fast, slow = steady(3_000, 1.0), steady(1_000, 10.0)
    combined = combine([fast, slow])
    # Three requests in four took 1 ms: the union's median is 1 ms, and from p75 on it is the slow slice's 10 ms.
    assert combined.p50_ms == pytest.approx(1.0, rel=1e-6)
    assert combined.p90_ms == pytest.approx(10.0, rel=1e-6)
    assert combined.p99_ms == pytest.approx(10.0, rel=1e-6)
    assert combined.max_ms == 10.0


def test_identical_slices_combine_to_their_own_percentiles() -> None:
    one = measured(2_000, 1.0, p99_ms=4.0)
    combined = combine([one, one])
    assert combined.p50_ms == pytest.approx(one.p50_ms, rel=1e-6)
    assert combined.p99_ms == pytest.approx(one.p99_ms, rel=1e-6)


def test_the_table_has_a_row_per_run_and_judges_only_the_widest_concurrency() -> None:
    results = results_of(size_result(1_000_000, [10_000.0] * 6))
    rows = [line for line in table(results, targets(results)).splitlines() if line.startswith("| feed ")]
    assert len(rows) == 12
    assert all(row.endswith("| 50% | met |") for row in rows if "| 32 |" in row)
    assert all(row.endswith("| 50% |  |") for row in rows if "| 1 |" in row)


def test_the_median_over_the_six_pages_is_judged_against_three_quarters_of_the_baseline() -> None:
    met = results_of(size_result(100_000, [16_000.0, 16_000.0, 15_000.0, 15_000.0, 11_000.0, 11_000.0]))
    missed = results_of(size_result(100_000, [16_000.0, 16_000.0, 14_000.0, 14_000.0, 11_000.0, 11_000.0]))
    judged = [
        {target.name: target.met for target in targets(results) if "median" in target.name} for results in (met, missed)
    ]
    assert judged == [
        {"100k: full page, every check, c=32: median >= 75 % of baseline": True},
        {"100k: full page, every check, c=32: median >= 75 % of baseline": False},
    ]


def test_the_table_counts_the_targets_and_shows_unmeasured_ones_as_a_dash() -> None:
    drained = DrainResult(100_000, 1_000, 2.0, 0.5, 1.5)
    results = results_of(
        size_result(100_000, [10_000.0, 9_000.0, 10_000.0, 10_000.0, 10_000.0, 6_000.0]), drain=drained
    )
    text = table(results, targets(results))
    assert "| spread over starts and filters | 100k | 32 | 40.0% |  |  | 0.0% |  |  |  | — |" in text
    assert "| token endpoint, JWT-bearer grant | 100k | 32 | >= 600 tokens/s | 40.00 | 80.00 |" in text
    assert "| drain 100,000 events, pages of 100 | 100k | 1 | 2.0 s (500 pages/s) | 0.50 | 1.50 |" in text
    assert "Targets: 0 of 2 met" in text
    assert (
        "- **NOT MET**: 100k: full page, every check, c=32: median >= 75 % of baseline — median 50% over 6 pages"
        in text
    )
    assert "- —: 1M events — not in this run" in text
    assert "- —: 10M events — not in this run" in text
    assert "WARNING" not in text


def test_the_spread_is_judged_from_1m_events() -> None:
    results = results_of(size_result(1_000_000, [10_000.0] * 5 + [9_500.0]))
    spread_target = next(target for target in targets(results) if "same throughput" in target.name)
    assert spread_target.met is True
    assert spread_target.value.startswith("spread 5.0% (9,500-10,000 req/s;")


def test_the_table_warns_when_the_emulators_code_changed_between_sizes() -> None:
    results = results_of(size_result(100_000, [10_000.0] * 6), size_result(1_000_000, [10_000.0] * 6, code="def"))
    assert "WARNING: the emulator's code changed during the run" in table(results, targets(results))


def test_wrk_results_are_read_in_milliseconds_from_its_grid() -> None:
    grid = ",".join(f"[{percent:g},{round(percent * 10)}]" for percent in PERCENTILE_GRID)
    report = (
        '{"requests":5000,"duration_us":2000000,"socket_errors":1,"non_2xx":0,'
        f'"max_us":1500,"exhausted":1,"grid":[{grid}]}}'
    )
    result = wrk_result(report)
    assert (result.requests, result.duration_s, result.requests_per_s) == (5_000, 2.0, 2_500.0)
    assert (result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms) == (0.5, 0.9, 0.99, 1.5)
    assert (result.errors, result.exhausted) == (1, True)


def _shape(value: Any) -> Any:
    """The keys of every object, nested, with a list's first element standing for all of them."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict | list):
        return [_shape(value[0])]
    return None


def test_the_json_keeps_the_shape_of_the_committed_results() -> None:
    committed = json.loads((ROOT / "docs" / "bench" / "results.json").read_text(encoding="utf-8"))
    results = results_of(size_result(1_000_000, [10_000.0] * 6), drain=DrainResult(1_000_000, 10_000, 13.5, 0.6, 6.8))
    written = to_json(results, targets(results), committed["machine"], 60.0, "python bench/run.py --quick")
    assert _shape(json.loads(json.dumps(written))) == _shape(committed)


def test_a_medl_look_up_meets_its_target_at_half_the_baseline_at_32_connections() -> None:
    runs = [
        LookupRun(1_000_000, "by id", 32, measured(6_000, p99_ms=4.0), measured(10_000)),
        LookupRun(1_000_000, "by person", 32, measured(4_000, p99_ms=4.0), measured(10_000)),
        LookupRun(1_000_000, "by id", 1, measured(1_000), measured(3_000)),
    ]
    rows = medl_table(runs).splitlines()[2:]
    assert [row.split(" | ")[-2:] for row in rows] == [["60%", "met |"], ["40%", "not met |"], ["33%", " |"]]
