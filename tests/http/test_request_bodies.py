"""The control plane's request bodies: a documented size limit with a 413 past it, and error answers that quote
the input as a short excerpt, never the whole of it; live mode's skipped events in the status."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from emulator.http.admin import MAX_BODY_BYTES
from emulator.http.app import create_app
from emulator.http.bodies import EXCERPT_CHARS
from emulator.settings import Settings
from emulator.testing import InProcessClient

EVENTS = "/_emulator/events"
JSON = {"content-type": "application/json"}
# An error answer is a few short lines: well under this, whatever was sent.
SHORT_ANSWER = 2_000


@pytest.fixture
def app(signing_key_file: Path) -> FastAPI:
    return create_app(Settings(events=200, signing_key_file=signing_key_file))


@pytest.fixture
def http(app: FastAPI) -> Iterator[InProcessClient]:
    client = InProcessClient(app)
    yield client
    client.close()


def test_a_body_past_the_limit_is_a_413_and_nothing_is_appended(app: FastAPI, http: InProcessClient) -> None:
    # A 71 MB body used to be read whole and parsed (12.8 s, 913 MB); past the limit it is refused unread.
    padding = "x" * MAX_BODY_BYTES
    body = json.dumps({"generate": 1, "padding": padding}).encode()
    response = http.post(EVENTS, content=body, headers=JSON)
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"a request body to the control plane may hold at most {MAX_BODY_BYTES:,} bytes"
    }
    assert len(response.content) < SHORT_ANSWER
    assert app.state.backend.history.log.head == 200


def test_a_chunked_body_is_counted_as_it_arrives(app: FastAPI, http: InProcessClient) -> None:
    chunk = b" " * (1024 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"generate": 1'
        for _ in range(MAX_BODY_BYTES // len(chunk) + 1):
            yield chunk
        yield b"}"

    response = http.post(EVENTS, content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("a request body to the control plane may hold at most")
    assert app.state.backend.history.log.head == 200


@pytest.mark.slow
def test_a_body_within_the_limit_holds_the_largest_batch_with_every_field(http: InProcessClient) -> None:
    event = {
        "type": "OPPRETTET",
        "periodeId": 9_007_199_254_740_991,
        "personident": "12846192393",
        "hjemmelgruppe": "OEVRIGE",
        "opprettetDato": "2026-12-06T17:42:36.123+01:00",
    }
    largest = len(json.dumps({"events": [event] * 100_000}, indent=2))
    assert largest <= MAX_BODY_BYTES, "the README promises room for 100,000 full events, even indented"


def test_a_refused_body_is_quoted_as_a_short_excerpt(http: InProcessClient) -> None:
    # One event too many used to echo all of them back in the 422.
    body = {"events": [{"type": "ENDRET", "periodeId": 1}] * 100_001}
    response = http.post(EVENTS, json=body)
    assert response.status_code == 422
    assert len(response.content) < SHORT_ANSWER
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", "events"]
    assert detail["input"].startswith('[{"type": "ENDRET", "periodeId": 1}, ')
    assert detail["input"].endswith("… (100,001 items)")


def test_a_long_string_is_quoted_by_its_start_and_length(http: InProcessClient) -> None:
    response = http.post(EVENTS, json={"events": [{"type": "X" * 1_000_000}]})
    assert response.status_code == 422
    assert len(response.content) < SHORT_ANSWER
    assert response.json()["detail"][0]["input"] == "X" * EXCERPT_CHARS + "… (1,000,000 characters)"


def test_a_short_refused_value_is_quoted_whole(http: InProcessClient) -> None:
    response = http.post(EVENTS, json={"events": [{"type": "NOPE"}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "NOPE"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "OPPRETTET", "personident": "1" * 1_000_000},
        {"type": "OPPRETTET", "personident": "12846192393", "opprettetDato": "2" * 1_000_000},
    ],
    ids=["personident", "opprettetDato"],
)
def test_a_rule_broken_by_a_long_value_is_told_briefly(http: InProcessClient, event: dict[str, str]) -> None:
    response = http.post(EVENTS, json={"events": [event]})
    assert response.status_code == 400
    assert len(response.content) < SHORT_ANSWER
    assert response.json()["detail"].endswith("… (cut short)")


@pytest.mark.slow
def test_status_tells_how_many_live_events_a_long_jump_skipped(app: FastAPI, http: InProcessClient) -> None:
    backend = app.state.backend
    http.post("/_emulator/clock", json={"action": "freeze"})
    http.put("/_emulator/live", json={"rate": 5, "pattern": "steady"})
    http.post("/_emulator/clock", json={"action": "advance", "seconds": 365 * 86_400})
    ticks = 0
    while backend.history.tick_live():
        ticks += 1
        assert ticks <= 10, "the backlog is caught up in a bounded number of ticks"
    live = http.get("/_emulator/status").json()["live"]
    assert live["backlog_limit"] == 100_000
    assert live["skipped"] == 5 * 365 * 86_400 - 100_000
    assert backend.history.log.head == 200 + 100_000


def test_a_large_batch_names_each_bad_event_by_its_place_and_the_other_fields_after(http: InProcessClient) -> None:
    # Large lists are validated a few thousand at a time (off the event loop); the answer is the one-call answer.
    events: list[object] = [{"type": "ENDRET", "periodeId": 1}] * 5_000
    events[3] = {"type": "NOPE"}
    events[4_100] = {"type": "ENDRET", "periodeId": "x"}
    response = http.post(EVENTS, json={"events": events, "generate": "5"})
    assert response.status_code == 422
    assert [(detail["loc"], detail["type"]) for detail in response.json()["detail"]] == [
        (["body", "events", 3, "type"], "enum"),
        (["body", "events", 4_100, "periodeId"], "int_type"),
        (["body", "generate"], "int_type"),
    ]


def test_a_large_batch_that_breaks_the_one_of_rule_is_told_so(http: InProcessClient) -> None:
    response = http.post(EVENTS, json={"events": [{"type": "ENDRET", "periodeId": 1}] * 5_000, "generate": 2})
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["msg"] == "Value error, give either events or generate"
    assert detail["input"].endswith("… (2 keys)")
