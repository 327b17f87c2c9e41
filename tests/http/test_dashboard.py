"""The dashboard over HTTP, in-process: the page and its assets, and the three helper endpoints behind it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI

from emulator.eventlog.identities import validate_synthetic
from emulator.http.app import create_app
from emulator.http.dashboard import MAX_PERIOD_EVENTS
from emulator.http.feed import FEED_PATH as FEED
from emulator.http.medl import MEDL_PATH
from emulator.maskinporten import MEDL_SCOPE
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers

SEEDED = 300
DASHBOARD = "/_emulator/dashboard"
ADMIN_TOKEN = "admin-7c1f"
NOT_FOUND = {"statusCode": 404, "message": "Resource not found"}
Json = dict[str, Any]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(seed=3, events=SEEDED, subscription_keys="first-key, second-key"))


@pytest.fixture(scope="module")
def http(app: FastAPI) -> Iterator[InProcessClient]:
    with InProcessClient(app) as client:
        yield client


@pytest.fixture
def emulator(app: FastAPI, http: InProcessClient) -> InProcessClient:
    """The module's emulator, back in its seeded state for each test."""
    assert http.post("/_emulator/reset").status_code == 200
    return http


def every_event(app: FastAPI, http: InProcessClient) -> list[Json]:
    """The whole log, read through the feed."""
    headers = api_headers(app)
    events: list[Json] = []
    while True:
        page = http.get(FEED, params={"hendelsesnummer": len(events) + 1}, headers=headers).json()
        if not page["hendelser"]:
            return events
        events.extend(page["hendelser"])


class _Links(HTMLParser):
    """Every src and href in a document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, name, value))


def links_in(html: str) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


# ---------------------------------------------------------------- the page and its assets


def test_the_page_is_html_from_this_origin_only(emulator: InProcessClient) -> None:
    response = emulator.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    # The browser itself refuses anything from elsewhere: scripts, styles, fetches, images, frames.
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    for directive in ("script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:"):
        assert directive in policy
    urls = links_in(response.text)
    assert {url for _, _, url in urls} >= {"/_emulator/dashboard/app.js", "/_emulator/dashboard/style.css"}
    for tag, attribute, url in urls:
        # Relative to this origin, or data: (the empty favicon, so the browser asks for no /favicon.ico).
        assert url.startswith("/") or url.startswith("data:"), (tag, attribute, url)
        assert not url.startswith("//"), (tag, attribute, url)
    assert not re.search(r"https?://", response.text)


def test_every_local_link_of_the_page_answers(emulator: InProcessClient) -> None:
    for _, _, url in links_in(emulator.get("/").text):
        if url.startswith("/"):
            assert emulator.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("app.js", "text/javascript; charset=utf-8"), ("style.css", "text/css; charset=utf-8")],
    ids=["script", "stylesheet"],
)
def test_the_assets_are_served_with_their_content_types(
    emulator: InProcessClient, name: str, content_type: str
) -> None:
    response = emulator.get(f"{DASHBOARD}/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) > 1000


def test_the_assets_fetch_nothing_from_elsewhere(emulator: InProcessClient) -> None:
    script = emulator.get(f"{DASHBOARD}/app.js").text
    # The one absolute URL is SVG's namespace name, which is never fetched.
    assert set(re.findall(r"https?://[^\s\"'`)]+", script)) <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\bimport\s*\(|\bimport\s+[^(]*\bfrom\b", script)
    stylesheet = emulator.get(f"{DASHBOARD}/style.css").text
    assert "@import" not in stylesheet
    assert "url(" not in stylesheet
    assert "@font-face" not in stylesheet


def test_other_paths_still_get_api_managements_404(emulator: InProcessClient) -> None:
    for path in ("/index.html", "/dashboard", f"{FEED}/"):
        response = emulator.get(path)
        assert response.status_code == 404, path
        assert response.json() == NOT_FOUND
    answer = emulator.post("/")
    assert answer.status_code == 404
    assert answer.json() == NOT_FOUND
    assert emulator.get(f"{DASHBOARD}/secrets.txt").status_code == 404
    assert emulator.get(f"{DASHBOARD}/../app.py").status_code == 404


# ---------------------------------------------------------------- the helpers


def test_config_names_the_first_subscription_key_and_the_key_works(app: FastAPI, emulator: InProcessClient) -> None:
    config = emulator.get(f"{DASHBOARD}/config").json()
    assert config["subscription_key"] == "first-key"
    assert config["feed_path"] == FEED
    assert config["medl_path"] == MEDL_PATH
    token = emulator.post("/_emulator/tokens", json={"client_id": "dashboard-test"}).json()["access_token"]
    headers = {"Ocp-Apim-Subscription-Key": config["subscription_key"], "Authorization": f"Bearer {token}"}
    assert emulator.get(FEED, params={"hendelsesnummer": 1}, headers=headers).status_code == 200
    # The control plane may show the key; the journal never holds it.
    assert "first-key" not in emulator.get("/_emulator/journal").text
    assert "first-key" not in emulator.get("/_emulator/status").text


def test_summary_counts_the_log_as_the_feed_shows_it(app: FastAPI, emulator: InProcessClient) -> None:
    summary = emulator.get(f"{DASHBOARD}/summary").json()
    events = every_event(app, emulator)
    groups = Counter(event["metadata"]["hjemmelgruppe"] for event in events)
    types = Counter(event["type"] for event in events)
    assert summary["head"] == summary["events"] == len(events) == SEEDED
    assert summary["appended"] == 0
    assert summary["groups"] == {"EOS": groups["EOS"], "OEVRIGE": groups["OEVRIGE"]}
    assert summary["types"] == {name: types[name] for name in ("OPPRETTET", "ENDRET", "ANNULLERT")}
    assert summary["periods"] == len({event["innhold"]["periodeId"] for event in events})
    assert summary["annulled"] == types["ANNULLERT"]
    assert summary["first_created"] == events[0]["metadata"]["opprettetDato"]
    assert summary["last_created"] == events[-1]["metadata"]["opprettetDato"]


def test_summary_follows_appends_and_resets(app: FastAPI, emulator: InProcessClient) -> None:
    before = emulator.get(f"{DASHBOARD}/summary").json()
    ident = every_event(app, emulator)[0]["innhold"]["personident"]
    drafts = [{"type": "OPPRETTET", "personident": ident, "hjemmelgruppe": "OEVRIGE"}]
    assert emulator.post("/_emulator/events", json={"events": drafts}).status_code == 200
    assert emulator.post("/_emulator/events", json={"generate": 40}).status_code == 200
    after = emulator.get(f"{DASHBOARD}/summary").json()
    events = every_event(app, emulator)
    assert after["head"] == SEEDED + 41 == len(events)
    assert after["appended"] == 41
    assert after["groups"]["OEVRIGE"] == sum(event["metadata"]["hjemmelgruppe"] == "OEVRIGE" for event in events)
    assert after["groups"]["OEVRIGE"] > before["groups"]["OEVRIGE"]
    assert sum(after["types"].values()) == after["head"]
    assert after["types"]["OPPRETTET"] == sum(event["type"] == "OPPRETTET" for event in events)
    emulator.post("/_emulator/reset")
    assert emulator.get(f"{DASHBOARD}/summary").json() == before


def test_a_period_is_its_events_in_wire_form(app: FastAPI, emulator: InProcessClient) -> None:
    events = every_event(app, emulator)
    by_period = Counter(event["innhold"]["periodeId"] for event in events)
    period_id = max(by_period, key=lambda period: by_period[period])  # the one with the longest history
    response = emulator.get(f"{DASHBOARD}/periods/{period_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    period = response.json()
    expected = [event for event in events if event["innhold"]["periodeId"] == period_id]
    assert period["hendelser"] == expected
    assert period["count"] == period["shown"] == len(expected) >= 2
    assert period["truncated"] is False
    assert period["periodeId"] == period_id
    assert period["personident"] == expected[-1]["innhold"]["personident"]
    assert period["hjemmelgruppe"] == expected[-1]["metadata"]["hjemmelgruppe"]
    assert period["state"] == expected[-1]["type"]
    assert period["annulled"] is (expected[-1]["type"] == "ANNULLERT")
    identity = validate_synthetic(period["personident"])
    assert period["identity"] == {
        "synthetic": True,
        "kind": identity.kind.value,
        "birth_date": identity.birth_date.isoformat(),
    }


def test_a_d_number_is_marked_as_one(app: FastAPI, emulator: InProcessClient) -> None:
    event = next(event for event in every_event(app, emulator) if int(event["innhold"]["personident"][:2]) > 40)
    period = emulator.get(f"{DASHBOARD}/periods/{event['innhold']['periodeId']}").json()
    assert period["identity"]["synthetic"] is True
    assert period["identity"]["kind"] == "DNR"


def test_a_long_history_is_cut_at_the_limit_and_says_so(emulator: InProcessClient) -> None:
    drafts: list[Json] = [{"type": "OPPRETTET", "periodeId": 9_000_001, "personident": "12846192393"}]
    drafts += [{"type": "ENDRET", "periodeId": 9_000_001}] * MAX_PERIOD_EVENTS
    appended = emulator.post("/_emulator/events", json={"events": drafts})
    assert appended.status_code == 200, appended.text
    period = emulator.get(f"{DASHBOARD}/periods/9000001").json()
    assert period["count"] == MAX_PERIOD_EVENTS + 1
    assert period["shown"] == len(period["hendelser"]) == MAX_PERIOD_EVENTS
    assert period["truncated"] is True
    assert period["hendelser"][0]["type"] == "OPPRETTET"
    assert period["hendelser"][0]["hendelsesnummer"] == SEEDED + 1
    assert period["state"] == "ENDRET"


def medl_answer(app: FastAPI, http: InProcessClient, period_id: int) -> Json:
    """What MEDL's own API answers for the period, with its sporingsinformasjon."""
    headers = api_headers(app, scope=MEDL_SCOPE)
    answer = http.get(f"{MEDL_PATH}/{period_id}", params={"inkluderSporingsinfo": "true"}, headers=headers)
    assert answer.status_code == 200, answer.text
    record: Json = answer.json()
    return record


def test_a_period_carries_medls_record_as_medls_api_answers_it(app: FastAPI, emulator: InProcessClient) -> None:
    events = every_event(app, emulator)
    periods = {event["innhold"]["periodeId"] for event in events}
    for period_id in sorted(periods)[:25]:
        period = emulator.get(f"{DASHBOARD}/periods/{period_id}").json()
        assert period["medlemskapsunntak"] == medl_answer(app, emulator, period_id)
        assert period["medlemskapsunntak"]["unntakId"] == period_id
        assert period["medlemskapsunntak"]["ident"] == period["personident"]


def test_medls_record_follows_an_appended_endret(app: FastAPI, emulator: InProcessClient) -> None:
    events = every_event(app, emulator)
    last_of = {event["innhold"]["periodeId"]: event["type"] for event in events}
    period_id = next(period for period, last in last_of.items() if last != "ANNULLERT")
    before = emulator.get(f"{DASHBOARD}/periods/{period_id}").json()["medlemskapsunntak"]
    given = {"tilOgMed": "2031-12-31"}
    appended = emulator.post(
        "/_emulator/events",
        json={"events": [{"type": "ENDRET", "periodeId": period_id, "medlemskapsunntak": given}]},
    )
    assert appended.status_code == 200, appended.text
    after = emulator.get(f"{DASHBOARD}/periods/{period_id}").json()["medlemskapsunntak"]
    assert after == medl_answer(app, emulator, period_id)
    assert after["sporingsinformasjon"]["versjon"] == before["sporingsinformasjon"]["versjon"] + 1
    assert after["tilOgMed"] == "2031-12-31" != before["tilOgMed"]


def test_medls_record_for_the_dashboard_is_no_look_up_and_meets_no_fault(
    app: FastAPI, emulator: InProcessClient
) -> None:
    period_id = every_event(app, emulator)[0]["innhold"]["periodeId"]
    emulator.post("/_emulator/faults", json={"kind": "status", "status": 503, "route": "medl"}).raise_for_status()
    journal = emulator.get("/_emulator/journal").json()["entries"]
    period = emulator.get(f"{DASHBOARD}/periods/{period_id}")
    assert period.status_code == 200, period.text
    assert period.json()["medlemskapsunntak"]["unntakId"] == period_id
    assert emulator.get("/_emulator/journal").json()["entries"] == journal
    assert all(consumer["medl_requests"] == 0 for consumer in emulator.get("/_emulator/consumers").json()["consumers"])


@pytest.mark.parametrize(
    ("path", "status"),
    [("424242", 404), ("0", 404), ("abc", 422), ("-1", 422), ("9223372036854775808", 422)],
    ids=["unknown", "zero", "not-a-number", "negative", "beyond-int64"],
)
def test_a_period_that_is_not_there(emulator: InProcessClient, path: str, status: int) -> None:
    response = emulator.get(f"{DASHBOARD}/periods/{path}")
    assert response.status_code == status
    body = response.json()
    assert "detail" in body
    if status == 404:
        assert body == {"detail": f"no period {path} in the log"}


def test_an_empty_log_has_a_summary_too() -> None:
    with InProcessClient(create_app(Settings(fixture="empty"))) as http:
        summary = http.get(f"{DASHBOARD}/summary").json()
    assert summary["head"] == 0
    assert summary["groups"] == {"EOS": 0, "OEVRIGE": 0}
    assert summary["types"] == {"OPPRETTET": 0, "ENDRET": 0, "ANNULLERT": 0}
    assert summary["first_created"] is None


def test_the_control_plane_documents_the_helpers(emulator: InProcessClient) -> None:
    paths = emulator.get("/_emulator/openapi.json").json()["paths"]
    for path in ("/config", "/summary", "/periods/{period_id}"):
        assert f"{DASHBOARD}{path}" in paths


# ---------------------------------------------------------------- the admin token


@pytest.fixture(scope="module")
def guarded() -> Iterator[InProcessClient]:
    with InProcessClient(create_app(Settings(events=50, admin_token=ADMIN_TOKEN))) as http:
        yield http


def test_the_page_needs_no_admin_token(guarded: InProcessClient) -> None:
    assert guarded.get("/").status_code == 200
    assert guarded.get(f"{DASHBOARD}/app.js").status_code == 200
    assert guarded.get(f"{DASHBOARD}/style.css").status_code == 200


@pytest.mark.parametrize("helper", ["config", "summary", "periods/2000001"])
def test_the_helpers_want_the_admin_token(guarded: InProcessClient, helper: str) -> None:
    url = f"{DASHBOARD}/{helper}"
    assert guarded.get(url).status_code == 401
    assert guarded.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = guarded.get(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert answer.status_code == 200, answer.text
    if helper == "config":
        assert answer.json()["subscription_key"] == "local-subscription-key"


def _as_the_dashboard(http: InProcessClient) -> dict[str, str]:
    """The credentials the page reads the feed with: the first key and a token minted for its own client."""
    token = http.post("/_emulator/tokens", json={"client_id": "emulator-dashboard"}).json()["access_token"]
    return {"Ocp-Apim-Subscription-Key": "first-key", "Authorization": f"Bearer {token}"}


def test_the_dashboards_reads_are_no_consumer(emulator: InProcessClient) -> None:
    assert emulator.get(FEED, params={"hendelsesnummer": 1}, headers=_as_the_dashboard(emulator)).status_code == 200
    assert emulator.get("/_emulator/consumers").json()["consumers"] == []
    # They are requests all the same: the journal shows them.
    assert emulator.get("/_emulator/journal").json()["entries"][0]["consumer"] == "client:emulator-dashboard"


def test_a_fault_meant_for_the_consumer_under_test_never_hits_the_dashboard(emulator: InProcessClient) -> None:
    emulator.post("/_emulator/faults", json={"kind": "status", "status": 503}).raise_for_status()
    assert emulator.get(FEED, params={"hendelsesnummer": 1}, headers=_as_the_dashboard(emulator)).status_code == 200
    emulator.post(
        "/_emulator/faults", json={"kind": "status", "status": 502, "consumer": "client:emulator-dashboard"}
    ).raise_for_status()
    assert emulator.get(FEED, params={"hendelsesnummer": 1}, headers=_as_the_dashboard(emulator)).status_code == 502
