"""What consumers did: the journal, the consumer view, the wait, the metrics."""

from __future__ import annotations

import pytest

from tests.http.control import FEED, SEEDED, TEST_CONSUMER, Emulator, Make


def test_the_journal_is_bounded_and_counts_what_it_evicted(make: Make) -> None:
    emulator = make(journal_size=5)
    for number in range(1, 13):
        assert emulator.feed(number).status_code == 200
    journal = emulator.ok("GET", "/_emulator/journal?order=oldest")
    assert (journal["size"], journal["capacity"], journal["evicted"]) == (5, 5, 7)
    assert [entry["sequence"] for entry in journal["entries"]] == [8, 9, 10, 11, 12]
    assert [entry["query"] for entry in journal["entries"]] == [f"hendelsesnummer={n}" for n in range(8, 13)]
    assert emulator.status()["journal"] == {"size": 5, "capacity": 5, "evicted": 7}


def test_the_journal_filters_by_consumer(emulator: Emulator) -> None:
    other = emulator.ok("POST", "/_emulator/tokens", {"client_id": "other-client"})["access_token"]
    for _ in range(3):
        emulator.feed()
    for _ in range(2):
        emulator.feed(headers={"Authorization": f"Bearer {other}"})
    mine = emulator.ok("GET", f"/_emulator/journal?consumer={TEST_CONSUMER}")["entries"]
    theirs = emulator.ok("GET", "/_emulator/journal?consumer=client:other-client")["entries"]
    assert [entry["consumer"] for entry in mine] == [TEST_CONSUMER] * 3
    assert [entry["consumer"] for entry in theirs] == ["client:other-client"] * 2
    assert len(emulator.ok("GET", "/_emulator/journal?order=oldest")["entries"]) == 5


def test_the_journal_never_stores_a_subscription_key_given_in_the_query(make: Make) -> None:
    key = "noekkel-i-spoerringen"
    emulator = make(subscription_keys=key)
    response = emulator.http.get(FEED, params={"hendelsesnummer": 3, "subscription-key": key})
    assert response.status_code == 200
    journal = emulator.call("GET", "/_emulator/journal?order=oldest")
    assert key not in journal.text
    (entry,) = journal.json()["entries"]
    assert entry["query"] == "hendelsesnummer=3&subscription-key=%2A%2A%2A"


@pytest.mark.parametrize(
    ("method", "path", "query", "stored"),
    [
        ("GET", FEED, "hendelsesnummer=3&access_token=eyJ-hemmelig", "hendelsesnummer=3&access_token=%2A%2A%2A"),
        ("GET", FEED, "access%5Ftoken=eyJ-hemmelig&hendelsesnummer=3", "access_token=%2A%2A%2A&hendelsesnummer=3"),
        (
            "POST",
            "/maskinporten/token",
            "grant_type=client_credentials&client_id=trygdehendelser-demo&client_secret=hemmelig",
            "grant_type=client_credentials&client_id=trygdehendelser-demo&client_secret=%2A%2A%2A",
        ),
        (
            "POST",
            "/maskinporten/token",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ-hemmelig",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=%2A%2A%2A",
        ),
        ("GET", FEED, "hendelsesnummer=%33&antallHendelser=2", "hendelsesnummer=%33&antallHendelser=2"),
    ],
    ids=[
        "bearer-token-in-the-feeds-query",
        "percent-encoded-name",
        "client-secret-in-the-token-endpoints-query",
        "assertion-in-the-token-endpoints-query",
        "nothing-secret-is-kept-as-sent",
    ],
)
def test_the_journal_never_stores_a_token_assertion_or_secret_given_in_a_query(
    make: Make, method: str, path: str, query: str, stored: str
) -> None:
    emulator = make()
    emulator.http.request(method, f"{path}?{query}")
    journal = emulator.call("GET", "/_emulator/journal?order=oldest")
    assert "hemmelig" not in journal.text
    (entry,) = journal.json()["entries"]
    assert entry["query"] == stored


def test_the_consumer_view_shows_requested_delivered_lag_and_counts_by_status(emulator: Emulator) -> None:
    assert emulator.feed(1, antallHendelser=100).status_code == 200
    assert emulator.feed(101, antallHendelser=100).status_code == 200
    emulator.add_fault(kind="status", status=503, times=1)
    assert emulator.feed(201).status_code == 503
    assert emulator.feed(201).json()["hendelser"] == []
    emulator.ok("POST", "/_emulator/events", {"generate": 5})

    view = emulator.ok("GET", "/_emulator/consumers")
    assert view["head"] == SEEDED + 5
    (consumer,) = view["consumers"]
    assert consumer["consumer"] == TEST_CONSUMER
    assert consumer["last_requested"] == 201
    assert consumer["highest_delivered"] == SEEDED
    assert consumer["caught_up_to"] == SEEDED
    assert consumer["lag"] == 5
    assert consumer["requests"] == 4
    assert consumer["requests_by_status"] == {"200": 3, "503": 1}
    assert consumer["last_seen_ms"] is not None


def test_waiting_for_a_consumer_answers_200_when_reached_and_408_on_timeout(emulator: Emulator) -> None:
    wait = f"/_emulator/consumers/{TEST_CONSUMER}/wait"
    early = emulator.call("GET", wait, params={"up_to": 1, "timeout": 0.01})
    assert early.status_code == 408
    assert early.json() == {"reached": False, "target": 1, "consumer": None}

    for first in (1, 101, 201):
        assert emulator.feed(first).status_code == 200
    reached = emulator.call("GET", wait, params={"up_to": SEEDED, "timeout": 5})
    assert reached.status_code == 200
    assert reached.json()["reached"] is True
    assert reached.json()["consumer"]["caught_up_to"] == SEEDED
    assert emulator.call("GET", wait).status_code == 200, "up_to defaults to the head"

    too_far = emulator.call("GET", wait, params={"up_to": SEEDED + 1, "timeout": 0.01})
    assert too_far.status_code == 408
    assert too_far.json()["reached"] is False
    assert too_far.json()["target"] == SEEDED + 1


def test_metrics_count_requests_and_show_latency_log_size_and_consumer_lag(emulator: Emulator) -> None:
    emulator.feed(1)
    emulator.feed(SEEDED + 1)
    emulator.add_fault(kind="status", status=503, times=1)
    emulator.feed(1)
    emulator.ok("POST", "/_emulator/events", {"generate": 7})

    response = emulator.http.get("/internal/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = set(response.text.splitlines())
    assert 'trygdehendelser_requests_total{route="feed",status="200"} 2' in lines
    assert 'trygdehendelser_requests_total{route="feed",status="503"} 1' in lines
    assert "# TYPE trygdehendelser_request_duration_seconds histogram" in lines
    assert 'trygdehendelser_request_duration_seconds_bucket{route="feed",le="+Inf"} 3' in lines
    assert 'trygdehendelser_request_duration_seconds_count{route="feed"} 3' in lines
    assert f"trygdehendelser_log_events {SEEDED + 7}" in lines
    assert f"trygdehendelser_log_head {SEEDED + 7}" in lines
    assert f'trygdehendelser_consumer_lag{{consumer="{TEST_CONSUMER}"}} 7' in lines
