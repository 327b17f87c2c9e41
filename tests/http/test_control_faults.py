"""Injected faults through the control plane: their answers, scopes, routes, probabilities; the rate limit."""

from __future__ import annotations

from http import HTTPStatus

import httpx
import pytest

from tests.http.control import DEMO_GRANT, TEST_CONSUMER, Emulator, Make


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_status_fault_answers_in_the_gateways_format(emulator: Emulator, status: int) -> None:
    emulator.add_fault(kind="status", status=status, times=1)
    faulted = emulator.feed()
    assert faulted.status_code == status
    assert faulted.headers["content-type"] == "application/json"
    assert faulted.json() == {"statusCode": status, "message": HTTPStatus(status).phrase}
    assert "retry-after" not in faulted.headers
    assert emulator.feed().status_code == 200


@pytest.mark.parametrize(("status", "retry_after"), [(503, 7), (429, 12), (429, None)])
def test_a_429_or_503_fault_says_when_to_retry(emulator: Emulator, status: int, retry_after: int | None) -> None:
    emulator.add_fault(kind="status", status=status, retry_after_seconds=retry_after)
    faulted = emulator.feed()
    assert faulted.status_code == status
    expected = 1 if retry_after is None else retry_after  # a gateway 429 always says when
    assert faulted.headers["retry-after"] == str(expected)
    message = f"Rate limit is exceeded. Try again in {expected} seconds." if status == 429 else "Service Unavailable"
    assert faulted.json() == {"statusCode": status, "message": message}


def test_a_fault_with_times_is_used_up_and_then_gone(emulator: Emulator) -> None:
    fault_id = emulator.add_fault(kind="status", status=503, times=2)
    assert [emulator.feed().status_code for _ in range(4)] == [503, 503, 200, 200]
    assert emulator.ok("GET", "/_emulator/faults")["faults"] == []
    assert emulator.call("DELETE", f"/_emulator/faults/{fault_id}").status_code == 404


def test_faults_are_scoped_by_consumer_and_by_from_number(emulator: Emulator) -> None:
    emulator.add_fault(kind="status", status=500, consumer="client:someone-else")
    emulator.add_fault(kind="status", status=502, from_number=50)
    assert emulator.feed(1).status_code == 200
    assert emulator.feed(49).status_code == 200
    assert emulator.feed(50).status_code == 502
    someone_else = emulator.ok("POST", "/_emulator/tokens", {"client_id": "someone-else"})["access_token"]
    assert emulator.feed(1, headers={"Authorization": f"Bearer {someone_else}"}).status_code == 500

    emulator.add_fault(kind="status", status=503, consumer=TEST_CONSUMER)
    assert emulator.feed(1).status_code == 503
    journal = emulator.ok("GET", "/_emulator/journal?order=oldest")["entries"]
    assert [(entry["consumer"], entry["status"], entry["fault"]) for entry in journal] == [
        (TEST_CONSUMER, 200, None),
        (TEST_CONSUMER, 200, None),
        (TEST_CONSUMER, 502, "f2"),
        ("client:someone-else", 500, "f1"),
        (TEST_CONSUMER, 503, "f3"),
    ]


def _token_request(emulator: Emulator, grant: dict[str, str] = DEMO_GRANT) -> httpx.Response:
    return emulator.http.post("/maskinporten/token", data=grant)


def test_a_token_route_fault_answers_the_token_endpoint_and_spares_the_feed(emulator: Emulator) -> None:
    fault_id = emulator.add_fault(kind="status", status=503, retry_after_seconds=2, route="token", times=2)
    assert emulator.feed().status_code == 200
    refused = _token_request(emulator)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert refused.json() == {"statusCode": 503, "message": "Service Unavailable"}
    assert _token_request(emulator).status_code == 503
    assert _token_request(emulator).status_code == 200, "used up after two"
    journal = emulator.ok("GET", "/_emulator/journal?order=oldest")["entries"]
    token_entries = [
        (entry["status"], entry["consumer"], entry["fault"]) for entry in journal if "token" in entry["path"]
    ]
    assert token_entries == [
        (503, "client:trygdehendelser-demo", fault_id),
        (503, "client:trygdehendelser-demo", fault_id),
        (200, "client:trygdehendelser-demo", None),
    ]


def test_a_token_route_fault_scoped_to_a_consumer_spares_other_clients(emulator: Emulator) -> None:
    emulator.add_fault(kind="status", status=500, route="token", consumer="client:someone-else")
    assert _token_request(emulator).status_code == 200
    emulator.add_fault(kind="status", status=502, route="token", consumer="client:trygdehendelser-demo")
    assert _token_request(emulator).status_code == 502


def test_an_any_route_fault_meets_both_the_token_endpoint_and_the_feed(emulator: Emulator) -> None:
    emulator.add_fault(kind="status", status=429, route="any", times=2)
    assert _token_request(emulator).status_code == 429
    assert emulator.feed().status_code == 429
    assert _token_request(emulator).status_code == 200


def test_a_truncate_fault_on_the_token_route_cuts_the_token_response_in_half(emulator: Emulator) -> None:
    whole = _token_request(emulator)
    emulator.add_fault(kind="truncate", route="token", times=1)
    cut = _token_request(emulator)
    assert cut.status_code == 200
    assert len(cut.content) == len(whole.content) // 2
    with pytest.raises(ValueError, match=r"Expecting|Unterminated|Invalid"):
        cut.json()


def test_a_fault_with_a_probability_and_a_seed_hits_the_same_requests_every_time(make: Make) -> None:
    def statuses(seed: int) -> list[int]:
        emulator = make()
        emulator.add_fault(kind="status", status=500, probability=0.5, seed=seed)
        return [emulator.feed().status_code for _ in range(40)]

    first = statuses(42)
    assert first == statuses(42)
    assert set(first) == {200, 500}
    assert first != statuses(43)


def test_faults_are_listed_removed_one_by_one_and_cleared(emulator: Emulator) -> None:
    ids = [
        emulator.add_fault(kind="status", status=500, times=3),
        emulator.add_fault(kind="latency", latency_ms=1, consumer="client:x"),
        emulator.add_fault(kind="truncate", from_number=7),
    ]
    assert ids == ["f1", "f2", "f3"]
    listed = emulator.ok("GET", "/_emulator/faults")["faults"]
    assert [(item["id"], item["kind"], item["remaining"], item["applied"]) for item in listed] == [
        ("f1", "status", 3, 0),
        ("f2", "latency", None, 0),
        ("f3", "truncate", None, 0),
    ]
    assert [item["id"] for item in emulator.ok("DELETE", "/_emulator/faults/f2")["faults"]] == ["f1", "f3"]
    assert emulator.call("DELETE", "/_emulator/faults/f2").status_code == 404
    assert emulator.ok("DELETE", "/_emulator/faults") == {"faults": []}
    assert emulator.feed().status_code == 200
    assert emulator.add_fault(kind="drop") == "f1", "ids start again after a clear"


def test_the_rate_limit_setting_answers_the_gateways_429_with_retry_after(make: Make) -> None:
    emulator = make(rate_limit="3/60")
    assert [emulator.feed().status_code for _ in range(3)] == [200, 200, 200]
    limited = emulator.feed()
    assert limited.status_code == 429
    seconds = int(limited.headers["retry-after"])
    assert 1 <= seconds <= 60
    assert limited.json() == {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds} seconds."}
