"""Prometheus exposition: read back by a strict parser, cumulative buckets, escaping, stable order, reset."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from emulator.harness.metrics import BUCKETS, Metrics
from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers

_FEED = "/helse/v1/trygdehendelser/hendelser"
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_COMMENT = re.compile(rf"# (HELP|TYPE) ({_NAME}) (.*)")
_SAMPLE = re.compile(rf"({_NAME})(?:\{{(.*)\}})? (\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
_SUFFIXES = {"counter": ("",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


@dataclass
class Family:
    name: str
    kind: str
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\\"n])", lambda match: "\n" if match.group(1) == "n" else match.group(1), text)


def _labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _LABEL.match(text, position)
        assert match is not None, f"bad label set at {text[position:]!r}"
        assert match.group(1) not in labels, f"repeated label {match.group(1)}"
        labels[match.group(1)] = _unescape(match.group(2))
        position = match.end()
    return labels


def _value(text: str) -> float:
    assert re.fullmatch(r"[+-]?Inf|NaN|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text), f"bad value {text!r}"
    return float(text.replace("Inf", "inf"))


def parse(exposition: str) -> dict[str, Family]:
    """Families by name; fails on anything format 0.0.4 does not allow or that this exporter must not do."""
    assert exposition.endswith("\n")
    families: dict[str, Family] = {}
    current: Family | None = None
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    lines = exposition[:-1].split("\n")
    index = 0
    while index < len(lines):
        help_match = _COMMENT.fullmatch(lines[index])
        type_match = _COMMENT.fullmatch(lines[index + 1]) if index + 1 < len(lines) else None
        if help_match is not None:
            assert help_match.group(1) == "HELP", lines[index]
            assert type_match is not None, f"HELP without TYPE: {lines[index]}"
            assert type_match.group(1) == "TYPE"
            name = help_match.group(2)
            assert type_match.group(2) == name
            assert name not in families, f"family {name} twice"
            assert type_match.group(3) in _SUFFIXES
            current = families[name] = Family(name, type_match.group(3), help_match.group(3))
            index += 2
            continue
        sample = _SAMPLE.fullmatch(lines[index])
        assert sample is not None, f"not a sample: {lines[index]!r}"
        assert current is not None, "sample before any family"
        sample_name = sample.group(1)
        suffix = sample_name.removeprefix(current.name)
        assert sample_name.startswith(current.name), f"{sample_name} is outside family {current.name}"
        assert suffix in _SUFFIXES[current.kind], f"{sample_name} in a {current.kind}"
        labels = _labels(sample.group(2) or "")
        key = (sample_name, tuple(sorted(labels.items())))
        assert key not in seen, f"duplicate series {key}"
        seen.add(key)
        current.samples.append((sample_name, labels, _value(sample.group(3))))
        index += 1
    return families


def _series(family: Family, suffix: str = "", **wanted: str) -> list[tuple[dict[str, str], float]]:
    return [
        (labels, value)
        for name, labels, value in family.samples
        if name == family.name + suffix and all(labels.get(key) == text for key, text in wanted.items())
    ]


def _render(
    metrics: Metrics,
    *,
    log_size: int = 10,
    head: int = 10,
    consumer_lag: Mapping[str, int] | None = None,
    journal_evicted: int = 0,
    extra_gauges: Mapping[str, float] | None = None,
) -> str:
    return metrics.render(
        log_size=log_size,
        head=head,
        consumer_lag=consumer_lag or {},
        journal_evicted=journal_evicted,
        extra_gauges=extra_gauges or {},
    )


def test_every_family_has_help_and_type_even_before_any_request() -> None:
    families = parse(_render(Metrics()))
    assert {name: family.kind for name, family in families.items()} == {
        "trygdehendelser_requests_total": "counter",
        "trygdehendelser_request_duration_seconds": "histogram",
        "trygdehendelser_log_events": "gauge",
        "trygdehendelser_log_head": "gauge",
        "trygdehendelser_consumer_lag": "gauge",
        "trygdehendelser_consumer_requests_total": "counter",
        "trygdehendelser_journal_evicted_total": "counter",
    }
    assert all(family.help for family in families.values())


def test_requests_are_counted_per_route_and_status() -> None:
    metrics = Metrics()
    for status in (200, 200, 401, 200):
        metrics.observe_request(_FEED, status, 0.003)
    metrics.observe_request("/_emulator/journal", 200, 0.001)
    family = parse(_render(metrics))["trygdehendelser_requests_total"]
    # Sorted by route, then numerically by status.
    assert [(labels, value) for _, labels, value in family.samples] == [
        ({"route": "/_emulator/journal", "status": "200"}, 1.0),
        ({"route": _FEED, "status": "200"}, 3.0),
        ({"route": _FEED, "status": "401"}, 1.0),
    ]


@pytest.mark.parametrize(
    "durations",
    [
        [0.0001, 0.0007, 0.003, 0.2, 0.2, 4.0, 30.0],
        [0.0005, 0.001, 1.0, 5.0],
        [0.0],
        [10.0] * 3,
    ],
    ids=["spread", "on-the-bounds", "zero", "all-beyond-the-last-bound"],
)
def test_histogram_buckets_are_cumulative_and_count_matches_inf(durations: list[float]) -> None:
    metrics = Metrics()
    for seconds in durations:
        metrics.observe_request(_FEED, 200, seconds)
    family = parse(_render(metrics))["trygdehendelser_request_duration_seconds"]
    buckets = _series(family, "_bucket", route=_FEED)
    bounds = [float(labels["le"].replace("Inf", "inf")) for labels, _ in buckets]
    counts = [value for _, value in buckets]
    assert bounds == [*BUCKETS, math.inf]
    assert counts == sorted(counts), "buckets must be cumulative"
    # `le` is inclusive: each bucket holds every duration at or below its bound.
    assert counts == [float(sum(seconds <= bound for seconds in durations)) for bound in bounds]
    [(_, count)] = _series(family, "_count", route=_FEED)
    [(_, total)] = _series(family, "_sum", route=_FEED)
    assert count == counts[-1] == len(durations)
    assert total == pytest.approx(sum(durations))


def test_bucket_bounds_are_written_as_prometheus_writes_them() -> None:
    metrics = Metrics()
    metrics.observe_request(_FEED, 200, 0.01)
    rendered = _render(metrics)
    bounds = re.findall(r'_bucket\{route="[^"]*",le="([^"]+)"\}', rendered)
    expected = "0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 +Inf"
    assert bounds == expected.split()


@pytest.mark.parametrize("seconds", [-0.5, math.nan], ids=["negative", "nan"])
def test_a_duration_from_a_clock_set_back_counts_as_zero(seconds: float) -> None:
    metrics = Metrics()
    metrics.observe_request(_FEED, 200, seconds)
    family = parse(_render(metrics))["trygdehendelser_request_duration_seconds"]
    assert _series(family, "_sum") == [({"route": _FEED}, 0.0)]
    assert _series(family, "_bucket", le="0.0005") == [({"route": _FEED, "le": "0.0005"}, 1.0)]


def test_histograms_are_kept_per_route() -> None:
    metrics = Metrics()
    metrics.observe_request(_FEED, 200, 0.002)
    metrics.observe_request(_FEED, 500, 0.002)
    metrics.observe_request("/maskinporten/token", 200, 0.2)
    family = parse(_render(metrics))["trygdehendelser_request_duration_seconds"]
    assert _series(family, "_count", route=_FEED) == [({"route": _FEED}, 2.0)]
    assert _series(family, "_count", route="/maskinporten/token") == [({"route": "/maskinporten/token"}, 1.0)]


def test_gauges_and_evicted_counter_carry_what_render_is_given() -> None:
    rendered = _render(
        Metrics(),
        log_size=1_234,
        head=1_234,
        consumer_lag={"key:1": 7, "client:b": 0, "client:a": 1_000},
        journal_evicted=42,
    )
    families = parse(rendered)
    assert _series(families["trygdehendelser_log_events"]) == [({}, 1_234.0)]
    assert _series(families["trygdehendelser_log_head"]) == [({}, 1_234.0)]
    assert _series(families["trygdehendelser_journal_evicted_total"]) == [({}, 42.0)]
    assert _series(families["trygdehendelser_consumer_lag"]) == [
        ({"consumer": "client:a"}, 1_000.0),
        ({"consumer": "client:b"}, 0.0),
        ({"consumer": "key:1"}, 7.0),
    ]


@pytest.mark.parametrize(
    ("consumer", "written"),
    [
        ('client:say "hi"', r"client:say \"hi\""),
        ("client:back\\slash", r"client:back\\slash"),
        ("client:two\nlines", r"client:two\nlines"),
        ('client:\\"', r"client:\\\""),
        ("client:ærlig-ø", "client:ærlig-ø"),
    ],
    ids=["quote", "backslash", "newline", "backslash-then-quote", "unicode"],
)
def test_label_values_are_escaped(consumer: str, written: str) -> None:
    rendered = _render(Metrics(), consumer_lag={consumer: 3})
    assert f'trygdehendelser_consumer_lag{{consumer="{written}"}} 3\n' in rendered
    assert _series(parse(rendered)["trygdehendelser_consumer_lag"]) == [({"consumer": consumer}, 3.0)]


def test_route_labels_are_escaped_too() -> None:
    metrics = Metrics()
    metrics.observe_request('/odd"route\n', 404, 0.001)
    families = parse(_render(metrics))
    assert _series(families["trygdehendelser_requests_total"]) == [({"route": '/odd"route\n', "status": "404"}, 1.0)]


def test_extra_gauges_follow_sorted_by_name() -> None:
    families = parse(_render(Metrics(), extra_gauges={"emulator_token_ttl_seconds": 60.5, "emulator_clients": 2}))
    assert list(families)[-2:] == ["emulator_clients", "emulator_token_ttl_seconds"]
    assert families["emulator_token_ttl_seconds"].kind == "gauge"
    assert _series(families["emulator_token_ttl_seconds"]) == [({}, 60.5)]
    assert _series(families["emulator_clients"]) == [({}, 2.0)]


@pytest.mark.parametrize(
    "name",
    ["9starts_with_digit", "has-dash", "", "has space", "trygdehendelser_log_head"],
    ids=["digit", "dash", "empty", "space", "built-in"],
)
def test_an_unusable_extra_gauge_name_is_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="metric name"):
        _render(Metrics(), extra_gauges={name: 1.0})


@pytest.mark.parametrize(
    ("value", "written"),
    [(math.inf, "+Inf"), (-math.inf, "-Inf"), (math.nan, "NaN"), (3.0, "3"), (0.125, "0.125"), (-2, "-2")],
    ids=["inf", "minus-inf", "nan", "whole-float", "fraction", "negative-int"],
)
def test_special_values_are_written_in_prometheus_spelling(value: float, written: str) -> None:
    rendered = _render(Metrics(), extra_gauges={"emulator_value": value})
    assert f"\nemulator_value {written}\n" in rendered
    parse(rendered)


def test_output_is_deterministic_whatever_the_order_of_observation() -> None:
    observations = [
        (_FEED, 200, 0.01),
        ("/a", 401, 0.2),
        (_FEED, 429, 0.0),
        ("/a", 200, 3.0),
        (_FEED, 200, 0.04),
    ]
    forwards, backwards = Metrics(), Metrics()
    for route, status, seconds in observations:
        forwards.observe_request(route, status, seconds)
    for route, status, seconds in reversed(observations):
        backwards.observe_request(route, status, seconds)
    lags = {"client:b": 1, "client:a": 2}
    assert _render(forwards, consumer_lag=lags) == _render(backwards, consumer_lag=dict(reversed(lags.items())))


def test_statuses_sort_numerically_within_a_route() -> None:
    metrics = Metrics()
    for status in (500, 200, 1000, 99):
        metrics.observe_request(_FEED, status, 0.001)
    family = parse(_render(metrics))["trygdehendelser_requests_total"]
    assert [labels["status"] for labels, _ in _series(family)] == ["99", "200", "500", "1000"]


def test_reset_drops_requests_and_histograms() -> None:
    metrics = Metrics()
    metrics.observe_request(_FEED, 200, 0.01)
    metrics.reset()
    families = parse(_render(metrics))
    assert families["trygdehendelser_requests_total"].samples == []
    assert families["trygdehendelser_request_duration_seconds"].samples == []


@pytest.mark.parametrize(
    "broken",
    [
        "x 1",
        "# HELP a h\n# TYPE a gauge\na 1\na 1",
        "# HELP a h\n# TYPE a gauge\nb 1",
        '# HELP a h\n# TYPE a gauge\na{l="unterminated} 1',
        "# HELP a h\n# TYPE a histogram\na 1",
        "# HELP a h\n# TYPE a gauge\na one",
    ],
    ids=["no-family", "duplicate", "foreign-name", "bad-label", "bare-histogram", "bad-value"],
)
def test_the_test_parser_rejects_what_it_should(broken: str) -> None:
    with pytest.raises(AssertionError):
        parse(broken + "\n")


def test_the_served_exposition_is_read_by_prometheus_own_parser(signing_key_file: Path) -> None:
    """The whole of /internal/metrics after real traffic, through prometheus_client's text parser."""
    app = create_app(Settings(events=50, journal_size=3, signing_key_file=signing_key_file))
    with InProcessClient(app) as http:
        headers = api_headers(app)
        for number in (1, 40):
            assert http.get(_FEED, params={"hendelsesnummer": number}, headers=headers).status_code == 200
        assert http.get(_FEED, params={"hendelsesnummer": 1}).status_code == 401
        grant = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "nei"}
        assert http.post("/maskinporten/token", data=grant).status_code == 401
        response = http.get("/internal/metrics")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    assert {name: family.type for name, family in families.items()} == {
        "trygdehendelser_requests": "counter",
        "trygdehendelser_request_duration_seconds": "histogram",
        "trygdehendelser_log_events": "gauge",
        "trygdehendelser_log_head": "gauge",
        "trygdehendelser_consumer_lag": "gauge",
        "trygdehendelser_consumer_requests": "counter",
        "trygdehendelser_journal_evicted": "counter",
    }
    requests = {
        (sample.labels["route"], sample.labels["status"]): sample.value
        for sample in families["trygdehendelser_requests"].samples
    }
    assert requests == {("feed", "200"): 2, ("feed", "401"): 1, ("token", "401"): 1}
    histogram = families["trygdehendelser_request_duration_seconds"].samples
    counts = {sample.labels["route"]: sample.value for sample in histogram if sample.name.endswith("_count")}
    assert counts == {"feed": 3, "token": 1}
    infinite = {sample.labels["route"]: sample.value for sample in histogram if sample.labels.get("le") == "+Inf"}
    assert infinite == counts
    (log_events,) = families["trygdehendelser_log_events"].samples
    assert log_events.value == 50
    (lag,) = families["trygdehendelser_consumer_lag"].samples
    assert lag.labels == {"consumer": "client:trygdehendelser-test-client"}
    assert lag.value == 0, "the second page reached the head"
    (consumer_requests,) = families["trygdehendelser_consumer_requests"].samples
    assert consumer_requests.labels == {"consumer": "client:trygdehendelser-test-client", "route": "feed"}
    assert consumer_requests.value == 2
    (evicted,) = families["trygdehendelser_journal_evicted"].samples
    assert evicted.value == 1, "four requests, a journal of three"
