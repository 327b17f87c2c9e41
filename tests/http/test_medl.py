"""MEDL over HTTP: behind the gateway with its own scope, Spring's errors, NAV's headers, one world with the feed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from emulator.http.medl import MEDL_PATH
from emulator.maskinporten import API_SCOPE, MEDL_SCOPE
from emulator.medl import medl_digest
from emulator.testing import InProcessClient, api_headers
from tests.http.control import FEED, Emulator, Json, Make, ident
from tests.medl.world import NON_NULL

SPRING_FIELDS = ["timestamp", "status", "error", "message", "path"]


def medl_headers(emulator: Emulator, **extra: str) -> dict[str, str]:
    return {**api_headers(emulator.app, scope=MEDL_SCOPE), **extra}


def lookup(emulator: Emulator, unntak_id: int | str, **params: Any) -> httpx.Response:
    return emulator.http.get(f"{MEDL_PATH}/{unntak_id}", params=params, headers=medl_headers(emulator))


def first_event(emulator: Emulator) -> Json:
    event: Json = emulator.feed(1, antallHendelser=1).json()["hendelser"][0]
    return event


def test_every_period_the_feed_shows_is_an_unntak_with_the_events_person(emulator: Emulator) -> None:
    for event in emulator.events():
        answer = lookup(emulator, event["innhold"]["periodeId"])
        assert answer.status_code == 200, answer.text
        record = answer.json()
        assert record["unntakId"] == event["innhold"]["periodeId"]
        assert record["ident"] == event["innhold"]["personident"]
        assert all(record.get(field) is not None for field in NON_NULL), record


def test_a_persons_list_holds_exactly_the_periods_opened_for_them(emulator: Emulator) -> None:
    events = emulator.events()
    person = events[0]["innhold"]["personident"]
    opened = sorted(
        event["innhold"]["periodeId"]
        for event in events
        if event["type"] == "OPPRETTET" and event["innhold"]["personident"] == person
    )
    answer = emulator.http.get(MEDL_PATH, headers=medl_headers(emulator, **{"Nav-Personident": person}))
    assert answer.status_code == 200
    assert [record["unntakId"] for record in answer.json()] == opened


def test_a_person_without_periods_gets_an_empty_list(emulator: Emulator) -> None:
    answer = emulator.http.get(MEDL_PATH, headers=medl_headers(emulator, **{"Nav-Personident": ident(99)}))
    assert (answer.status_code, answer.json()) == (200, [])


def test_each_api_wants_its_own_scope(emulator: Emulator) -> None:
    feed_only = api_headers(emulator.app, scope=API_SCOPE)
    medl_only = api_headers(emulator.app, scope=MEDL_SCOPE)
    both = api_headers(emulator.app, scope=f"{API_SCOPE} {MEDL_SCOPE}")
    period = first_event(emulator)["innhold"]["periodeId"]
    refused = emulator.http.get(f"{MEDL_PATH}/{period}", headers=feed_only)
    assert refused.status_code == 403
    assert refused.headers["www-authenticate"] == f'Bearer error="insufficient_scope", scope="{MEDL_SCOPE}"'
    assert emulator.http.get(FEED, params={"hendelsesnummer": 1}, headers=medl_only).status_code == 403
    assert emulator.http.get(f"{MEDL_PATH}/{period}", headers=both).status_code == 200
    assert emulator.http.get(FEED, params={"hendelsesnummer": 1}, headers=both).status_code == 200


def test_the_demo_client_gets_either_scope_or_both(emulator: Emulator) -> None:
    for scope in (API_SCOPE, MEDL_SCOPE, f"{API_SCOPE} {MEDL_SCOPE}"):
        grant = {
            "grant_type": "client_credentials",
            "client_id": "trygdehendelser-demo",
            "client_secret": "demo-secret",
            "scope": scope,
        }
        answer = emulator.http.post("/maskinporten/token", data=grant)
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["scope"].split()) == set(scope.split())


def test_the_gateway_checks_come_first_in_the_gateways_order(emulator: Emulator) -> None:
    period = first_event(emulator)["innhold"]["periodeId"]
    assert emulator.http.post(f"{MEDL_PATH}/{period}", headers=medl_headers(emulator)).status_code == 404
    assert emulator.http.get(f"{MEDL_PATH}/{period}/mer", headers=medl_headers(emulator)).status_code == 404
    with InProcessClient(emulator.app) as bare:
        missing_key = bare.get(f"{MEDL_PATH}/{period}", headers={"Authorization": "Bearer x"})
        assert missing_key.status_code == 401
        assert missing_key.headers["www-authenticate"].startswith("AzureApiManagementKey")
        no_token = bare.get(f"{MEDL_PATH}/abc", headers={"Ocp-Apim-Subscription-Key": "local-subscription-key"})
        assert no_token.status_code == 401
        assert no_token.headers["www-authenticate"].startswith("Bearer realm=")


@pytest.mark.parametrize(
    ("target", "headers", "status", "message"),
    [
        (f"{MEDL_PATH}/abc", {}, 400, "Method parameter 'unntakId'"),
        (f"{MEDL_PATH}/999999999999", {}, 404, "Fant ikke medlemskapsunntak med unntakId 999999999999"),
        (MEDL_PATH, {}, 400, "Required request header 'Nav-Personident'"),
        (MEDL_PATH, {"Nav-Personident": "123"}, 400, "Nav-Personident"),
        (f"{MEDL_PATH}?fraOgMed=i-går", {"Nav-Personident": "13837540733"}, 400, "fraOgMed"),
    ],
    ids=["id-not-an-integer", "unknown-id", "no-person", "malformed-person", "bad-date"],
)
def test_what_medl_cannot_answer_is_springs_envelope_naming_why(
    emulator: Emulator, target: str, headers: dict[str, str], status: int, message: str
) -> None:
    answer = emulator.http.get(target, headers=medl_headers(emulator, **headers))
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert list(body) == SPRING_FIELDS
    assert message in body["message"]
    assert body["path"] == target.split("?", maxsplit=1)[0]


def test_nav_call_id_is_echoed_and_nav_consumer_id_journaled(emulator: Emulator) -> None:
    period = first_event(emulator)["innhold"]["periodeId"]
    headers = medl_headers(emulator, **{"Nav-Call-Id": "kall-42", "Nav-Consumer-Id": "min-app"})
    answer = emulator.http.get(f"{MEDL_PATH}/{period}", headers=headers)
    assert answer.headers["nav-call-id"] == "kall-42"
    entry = emulator.ok("GET", "/_emulator/journal?limit=1")["entries"][0]
    assert (entry["path"], entry["call_id"], entry["consumer_id"]) == (f"{MEDL_PATH}/{period}", "kall-42", "min-app")
    refused = emulator.http.get(f"{MEDL_PATH}/abc", headers=headers)
    assert refused.headers["nav-call-id"] == "kall-42"


def test_an_appended_endret_is_seen_by_medl_at_once(emulator: Emulator) -> None:
    event = first_event(emulator)
    period = event["innhold"]["periodeId"]
    before = lookup(emulator, period, inkluderSporingsinfo="true").json()
    emulator.ok("POST", "/_emulator/events", {"events": [{"type": "ENDRET", "periodeId": period}]})
    after = lookup(emulator, period, inkluderSporingsinfo="true").json()
    assert after["sporingsinformasjon"]["versjon"] == before["sporingsinformasjon"]["versjon"] + 1
    emulator.ok("POST", "/_emulator/events", {"events": [{"type": "ANNULLERT", "periodeId": period}]})
    cancelled = lookup(emulator, period).json()
    assert (cancelled["status"], cancelled["statusaarsak"]) == ("AVST", "Feilregistrert")
    emulator.ok("POST", "/_emulator/reset")
    assert lookup(emulator, period, inkluderSporingsinfo="true").json() == before


def test_an_append_may_give_the_periods_medl_fields(emulator: Emulator) -> None:
    given = {"fraOgMed": "2024-01-01", "tilOgMed": "2024-12-31", "lovvalgsland": "SWE", "grunnlag": "FO_12_1"}
    draft = {"type": "OPPRETTET", "personident": ident(7), "hjemmelgruppe": "EOS", "medlemskapsunntak": given}
    appended = emulator.ok("POST", "/_emulator/events", {"events": [draft]})
    event = emulator.feed(appended["first"], antallHendelser=1).json()["hendelser"][0]
    record = lookup(emulator, event["innhold"]["periodeId"]).json()
    assert {name: record[name] for name in given} == given


def test_a_given_field_that_breaks_a_rule_is_a_400_naming_event_and_rule_and_appends_nothing(
    emulator: Emulator,
) -> None:
    head = emulator.status()["head"]
    drafts = [
        {"type": "OPPRETTET", "personident": ident(8), "hjemmelgruppe": "OEVRIGE"},
        {
            "type": "OPPRETTET",
            "personident": ident(9),
            "hjemmelgruppe": "OEVRIGE",
            "medlemskapsunntak": {"grunnlag": "FO_12_1"},
        },
    ]
    refused = emulator.call("POST", "/_emulator/events", {"events": drafts})
    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert "event 2" in detail
    assert "grunnlag" in detail
    assert emulator.status()["head"] == head


def test_a_fault_for_medl_spares_the_feed_and_the_consumer_view_counts_look_ups(emulator: Emulator) -> None:
    period = first_event(emulator)["innhold"]["periodeId"]
    emulator.add_fault(kind="status", status=503, route="medl", times=1)
    assert lookup(emulator, period).status_code == 503
    assert lookup(emulator, period).status_code == 200
    assert emulator.feed(1).status_code == 200
    (view,) = emulator.ok("GET", "/_emulator/consumers")["consumers"]
    assert view["medl_requests_by_status"] == {"200": 1, "503": 1}
    metrics = emulator.http.get("/internal/metrics").text
    assert 'trygdehendelser_consumer_requests_total{consumer="client:trygdehendelser-test-client",route="medl"} 2' in (
        metrics
    )


def test_the_running_emulator_serves_medls_openapi_document(make: Make) -> None:
    emulator = make()
    document = emulator.http.get("/medl-openapi.json").json()
    assert MEDL_PATH in document["paths"]
    assert f"{MEDL_PATH}/{{unntakId}}" in document["paths"]


def test_the_digest_endpoint_covers_medl_on_demand_and_moves_with_an_append(emulator: Emulator) -> None:
    plain = emulator.ok("GET", "/_emulator/digest")
    assert "medl_digest" not in plain
    before = emulator.ok("GET", "/_emulator/digest?medl=true")
    assert before["digest"] == plain["digest"]
    assert before["medl_digest"] == medl_digest(emulator.backend.medl)
    period = first_event(emulator)["innhold"]["periodeId"]
    emulator.ok("POST", "/_emulator/events", {"events": [{"type": "ENDRET", "periodeId": period}]})
    after = emulator.ok("GET", "/_emulator/digest?medl=true")
    assert after["medl_digest"] != before["medl_digest"]
    emulator.ok("POST", "/_emulator/reset")
    assert emulator.ok("GET", "/_emulator/digest?medl=true") == before
