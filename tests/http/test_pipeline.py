"""The pipeline answering a request again from memory: the same answer every step would give, observed the same."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.http.app import EmulatorApp
from emulator.http.pipeline import Pipeline
from emulator.maskinporten.tokens import LEEWAY_SECONDS
from emulator.testing import api_headers
from tests.http.control import FEED, SEEDED, TEST_CONSUMER, Emulator, Make

INSTANT = "2031-05-17T12:00:00"
QUERIES = [
    f"hendelsesnummer={SEEDED - 1}",
    "hendelsesnummer=1&antallHendelser=5",
    f"hendelsesnummer={SEEDED - 20}&hjemmelgruppe=EOS",
    "hendelsesnummer=tre",
]


def _frozen(emulator: Emulator) -> Emulator:
    emulator.clock("freeze")
    emulator.clock("set", now=INSTANT)
    return emulator


def _read(emulator: Emulator, query: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    response = emulator.http.get(f"{FEED}?{query}", headers=headers)
    return response.status_code, response.content


def test_a_request_answered_again_is_the_same_bytes_and_is_observed_every_time(emulator: Emulator) -> None:
    answers = {_read(emulator, QUERIES[1]) for _ in range(3)}
    assert len(answers) == 1
    assert next(iter(answers))[0] == 200
    journal = emulator.ok("GET", "/_emulator/journal?limit=10")["entries"]
    assert [entry["status"] for entry in journal] == [200, 200, 200]
    (consumer,) = emulator.ok("GET", "/_emulator/consumers")["consumers"]
    assert (consumer["consumer"], consumer["requests"], consumer["highest_delivered"]) == (TEST_CONSUMER, 3, 5)
    metrics = emulator.http.get("/internal/metrics").text
    assert 'trygdehendelser_requests_total{route="feed",status="200"} 3' in metrics


def test_a_token_that_expires_between_two_identical_requests_is_refused_the_second_time(emulator: Emulator) -> None:
    _frozen(emulator)
    headers = api_headers(emulator.app, lifetime_seconds=60)
    assert _read(emulator, QUERIES[0], headers)[0] == 200
    emulator.clock("advance", seconds=60 + LEEWAY_SECONDS)
    status, body = _read(emulator, QUERIES[0], headers)
    assert status == 401
    assert b"expired" in body


def test_a_fault_added_after_a_page_was_answered_shapes_the_same_request(emulator: Emulator) -> None:
    page = _read(emulator, QUERIES[0])
    fault = emulator.add_fault(kind="status", status=503, route="feed")
    assert _read(emulator, QUERIES[0])[0] == 503
    emulator.ok("DELETE", f"/_emulator/faults/{fault}")
    assert _read(emulator, QUERIES[0]) == page


def test_an_append_after_a_page_was_answered_changes_the_same_requests_answer(emulator: Emulator) -> None:
    before = emulator.feed(SEEDED - 1).json()
    emulator.ok("POST", "/_emulator/events", {"generate": 3})
    after = emulator.feed(SEEDED - 1).json()
    assert (before["antallHendelser"], after["antallHendelser"]) == (2, 5)
    emulator.ok("POST", "/_emulator/reset")
    assert emulator.feed(SEEDED - 1).json() == before


def test_a_rate_limit_counts_the_requests_answered_again(make: Make) -> None:
    emulator = make(rate_limit="3/60")
    statuses = [_read(emulator, QUERIES[0])[0] for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_another_key_or_token_with_the_same_query_is_checked_afresh(emulator: Emulator) -> None:
    assert _read(emulator, QUERIES[0])[0] == 200
    bad_key = {"Ocp-Apim-Subscription-Key": "not-a-key"}
    assert _read(emulator, QUERIES[0], bad_key)[0] == 401
    no_medl = api_headers(emulator.app, scope="nav:helse/trygdehendelser.read-not")
    assert _read(emulator, QUERIES[0], no_medl)[0] == 403


# The same query most of the time: what matters is a request asked again after something changed.
_READ = st.tuples(st.just("read"), st.sampled_from([QUERIES[0], QUERIES[0], *QUERIES]))
_STEPS = st.lists(
    st.one_of(
        _READ,
        _READ,
        _READ,
        st.tuples(st.just("append"), st.integers(1, 3)),
        st.tuples(st.just("advance"), st.sampled_from([1, 1_800, 4_000])),
        st.tuples(st.just("fault"), st.sampled_from([{"kind": "status", "status": 503}, {"kind": "truncate"}])),
        st.tuples(st.just("clear"), st.none()),
        st.tuples(st.just("reset"), st.none()),
    ),
    min_size=1,
    max_size=30,
)


@pytest.mark.slow
def test_answering_from_memory_never_changes_an_answer(make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two emulators in step, one of which never answers from memory, give the same answers throughout."""
    remembering, reference = make(), make()
    assert isinstance(reference.app, EmulatorApp)
    pipeline = reference.app.hot_path
    assert isinstance(pipeline, Pipeline)
    monkeypatch.setattr(pipeline._kept, "keep", lambda *_: None)

    @settings(max_examples=200, deadline=None)
    @given(steps=_STEPS)
    def in_step(steps: list[tuple[str, Any]]) -> None:
        for emulator in (remembering, reference):
            emulator.ok("POST", "/_emulator/reset")
            _frozen(emulator)
        headers = api_headers(remembering.app, lifetime_seconds=3_600)
        for action, argument in steps:
            results = [_step(emulator, action, argument, headers) for emulator in (remembering, reference)]
            assert results[0] == results[1], (action, argument)
        for path in ("/_emulator/journal?limit=100", "/_emulator/consumers"):
            seen = [_without_latency(emulator.ok("GET", path)) for emulator in (remembering, reference)]
            assert seen[0] == seen[1], path

    in_step()


def _step(emulator: Emulator, action: str, argument: Any, headers: dict[str, str]) -> tuple[int, bytes] | None:
    if action == "read":
        return _read(emulator, argument, headers)
    if action == "append":
        emulator.ok("POST", "/_emulator/events", {"generate": argument})
    elif action == "advance":
        emulator.clock("advance", seconds=argument)
    elif action == "fault":
        emulator.add_fault(**argument, times=1)
    elif action == "clear":
        emulator.ok("DELETE", "/_emulator/faults")
    else:
        emulator.ok("POST", "/_emulator/reset")
        _frozen(emulator)
    return None


def _without_latency(body: Any) -> Any:
    """What the control plane says of requests, but for the time the emulator took to answer each."""
    if isinstance(body, dict):
        return {name: _without_latency(value) for name, value in body.items() if name != "latency_ms"}
    if isinstance(body, list):
        return [_without_latency(value) for value in body]
    return body
