"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright, against a real server.

Each test starts from the seeded state and waits on what the page shows (never on a fixed sleep). The page must
stay clean: no console errors, no uncaught exceptions, and no request to anything but the emulator itself.
Without /usr/bin/chromium the tests are skipped, except in CI, where that is a failure.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    Request,
    ViewportSize,
    expect,
    sync_playwright,
)

from emulator.http.feed import FEED_PATH as FEED
from emulator.http.medl import MEDL_PATH
from emulator.maskinporten import MEDL_SCOPE
from tests.servers import PYTHON_M, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEEDED = 2000
KEY = "local-subscription-key"
ADMIN_TOKEN = "dashboard-admin-5e2b"
REPOSITORY = Path(__file__).resolve().parents[2]
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
# The two laptop screens most often met: the dashboard must fit both without cutting anything off.
LAPTOPS: list[ViewportSize] = [{"width": 1366, "height": 768}, {"width": 1280, "height": 800}]
WAIT_MS = 15_000
Json = dict[str, Any]

expect.set_options(timeout=WAIT_MS)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: CI installs Debian's chromium (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium); the dashboard's browser tests need it")


@dataclass
class Watch:
    """What the page did that it should not: console errors, uncaught exceptions, requests elsewhere."""

    base: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    # Statuses a test provokes on purpose; the browser logs each failed fetch as a console error.
    expected_statuses: set[int] = field(default_factory=set)

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed = re.match(r"Failed to load resource: the server responded with a status of (\d+)", message.text)
        if failed and int(failed.group(1)) in self.expected_statuses:
            return
        self.errors.append(message.text)

    def request(self, request: Request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme == "data":
            return
        if parts.hostname != "127.0.0.1" or not request.url.startswith(self.base):
            self.foreign.append(request.url)

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.foreign == [], self.foreign


@dataclass
class Dashboard:
    page: Page
    base: str
    http: httpx.Client
    watch: Watch

    def head(self) -> int:
        return int(self.page.locator("#head").inner_text().replace(",", ""))

    def token(self, client_id: str, scope: str | None = None) -> str:
        request: Json = {"client_id": client_id, "lifetime_seconds": 3600}
        if scope is not None:
            request["scope"] = scope
        answer = self.http.post("/_emulator/tokens", json=request)
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def feed(self, token: str, **params: Any) -> Json:
        headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"}
        answer = self.http.get(FEED, params=params, headers=headers)
        answer.raise_for_status()
        body: Json = answer.json()
        return body

    def medl(self, token: str, unntak_id: int) -> Json:
        """MEDL's answer for one period, with its sporingsinformasjon, asked as a consumer asks."""
        headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"}
        answer = self.http.get(f"{MEDL_PATH}/{unntak_id}", params={"inkluderSporingsinfo": "true"}, headers=headers)
        answer.raise_for_status()
        body: Json = answer.json()
        return body

    def numbers_shown(self) -> list[int]:
        return [int(text) for text in self.page.locator("#browser-table tbody tr td:first-child").all_inner_texts()]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    _require_chromium()
    with running_server([*PYTHON_M, "serve", "--events", str(SEEDED), "--seed", "7"]) as (base, _):
        yield base


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    _require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@contextmanager
def open_dashboard(
    browser: Browser, base: str, http: httpx.Client, viewport: ViewportSize = VIEWPORT
) -> Iterator[Dashboard]:
    context = browser.new_context(viewport=viewport, base_url=base)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    watch = Watch(base)
    page.on("console", watch.console)
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    page.on("request", watch.request)
    page.goto("/")
    expect(page.locator("#connection")).to_have_class(re.compile(r"\bok\b"))
    try:
        yield Dashboard(page, base, http, watch)
    finally:
        context.close()


@pytest.fixture
def dashboard(browser: Browser, server: str) -> Iterator[Dashboard]:
    """The page, freshly loaded on the seeded state; checked for errors and foreign requests afterwards."""
    with httpx.Client(base_url=server) as http:
        http.post("/_emulator/reset").raise_for_status()
        with open_dashboard(browser, server, http) as dashboard:
            yield dashboard
            dashboard.watch.assert_clean()


def test_a_missing_chromium_fails_the_run_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(globals(), "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="is missing: CI installs"):
        _require_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="is not installed"):
        _require_chromium()


def test_the_page_loads_clean_and_asks_only_the_emulator(dashboard: Dashboard) -> None:
    page = dashboard.page
    expect(page.locator("#browser-table tbody tr")).to_have_count(20)
    expect(page).to_have_title("trygdehendelser-emulator")
    loaded = {urlsplit(url).path for url in dashboard.watch.requests}
    assert {"/", "/_emulator/dashboard/app.js", "/_emulator/dashboard/style.css", FEED} <= loaded
    assert "/favicon.ico" not in loaded
    dashboard.watch.assert_clean()


def test_the_glance_shows_size_head_and_the_mix(dashboard: Dashboard) -> None:
    page = dashboard.page
    summary = dashboard.http.get("/_emulator/dashboard/summary").json()
    expect(page.locator("#size")).to_have_text(f"{SEEDED:,}")
    expect(page.locator("#head")).to_have_text(f"{SEEDED:,}")
    expect(page.locator("#head-sub")).to_have_text("+0 appended")
    mix = re.fullmatch(r"EOS (\d+\.\d)% OEVRIGE (\d+\.\d)%", page.locator("#group-mix").inner_text().strip())
    assert mix is not None
    assert abs(float(mix.group(1)) - summary["groups"]["EOS"] / SEEDED * 100) <= 0.05 + 1e-9
    assert abs(float(mix.group(2)) - summary["groups"]["OEVRIGE"] / SEEDED * 100) <= 0.05 + 1e-9
    expect(page.locator("#periods")).to_have_text(f"{summary['periods']:,}")
    expect(page.locator("#live-state")).to_have_text("off")


def test_appending_through_the_forms_moves_the_head_without_a_reload(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.evaluate("window.notReloaded = true")
    page.locator("#generate-count").fill("25")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#append-result")).to_have_text(
        f"Appended events {SEEDED + 1}–{SEEDED + 25}; head {SEEDED + 25:,}."
    )
    expect(page.locator("#head")).to_have_text(f"{SEEDED + 25:,}")
    expect(page.locator("#head-sub")).to_have_text("+25 appended")

    page.get_by_role("button", name="New ident").click()
    ident = page.locator("#event-ident").input_value()
    assert re.fullmatch(r"\d{2}(8\d|9[0-2])\d{7}", ident), ident
    page.locator("#event-group").select_option("OEVRIGE")
    page.get_by_role("button", name="Append event").click()
    expect(page.locator("#head")).to_have_text(f"{SEEDED + 26:,}")
    # The emulator took the page's new ident as a synthetic one, and the event is in the feed.
    event = dashboard.feed(dashboard.token("append-check"), hendelsesnummer=SEEDED + 26)["hendelser"][0]
    assert event["innhold"]["personident"] == ident
    assert event["metadata"]["hjemmelgruppe"] == "OEVRIGE"
    assert page.evaluate("window.notReloaded") is True


def test_a_form_shows_the_servers_own_error(dashboard: Dashboard) -> None:
    page = dashboard.page
    dashboard.watch.expected_statuses |= {400, 422}
    page.locator("#event-type").select_option("ENDRET")
    page.locator("#event-period").fill("424242")
    page.get_by_role("button", name="Append event").click()
    refused = dashboard.http.post("/_emulator/events", json={"events": [{"type": "ENDRET", "periodeId": 424242}]})
    assert refused.status_code == 400
    expect(page.locator("#append-error")).to_have_text(f"400: {refused.json()['detail']}")

    page.locator("#fault-status").fill("200")
    page.get_by_role("button", name="Inject fault").click()
    expect(page.locator("#fault-error")).to_contain_text("422: status:")
    expect(page.locator("#fault-list li")).to_have_count(0)

    # The event browser shows the API's own 400, Spring's message and all.
    page.locator("#browser-from").fill("abc")
    page.get_by_role("button", name="Read", exact=True).click()
    expect(page.locator("#browser-error")).to_contain_text("400: Method parameter 'hendelsesnummer': Failed to convert")


def test_the_event_browser_pages_a_filter_and_shows_a_periods_history(dashboard: Dashboard) -> None:
    page = dashboard.page
    token = dashboard.token("browser-check")
    page.locator("#browser-group").select_option("EOS")
    first = dashboard.feed(token, hendelsesnummer=1, antallHendelser=20, hjemmelgruppe="EOS")
    expected = [event["hendelsesnummer"] for event in first["hendelser"]]
    expect(page.locator("#browser-table tbody tr").first).to_have_attribute("data-number", str(expected[0]))
    assert dashboard.numbers_shown() == expected
    expect(page.locator("#browser-info")).to_contain_text(f"totaltAntallHendelser {first['totaltAntallHendelser']:,}")
    groups = page.locator("#browser-table tbody tr td:nth-child(5)").all_inner_texts()
    assert set(groups) == {"EOS"}

    # Next asks from the number after the last one shown, as a consumer pages.
    page.get_by_role("button", name="Next").click()
    second = dashboard.feed(token, hendelsesnummer=expected[-1] + 1, antallHendelser=20, hjemmelgruppe="EOS")
    following = [event["hendelsesnummer"] for event in second["hendelser"]]
    expect(page.locator("#browser-table tbody tr").first).to_have_attribute("data-number", str(following[0]))
    assert dashboard.numbers_shown() == following
    expect(page.locator("#browser-from")).to_have_value(str(expected[-1] + 1))
    page.get_by_role("button", name="Previous").click()
    expect(page.locator("#browser-table tbody tr").first).to_have_attribute("data-number", str(expected[0]))

    # Every identity shows as the synthetic number it is.
    idents = page.locator("#browser-table tbody tr td:nth-child(4)")
    for text in idents.all_inner_texts():
        assert "synthetic (Tenor)" in text, text

    period_id = first["hendelser"][0]["innhold"]["periodeId"]
    page.locator("#browser-table tbody tr").first.get_by_role("button", name=str(period_id)).click()
    history = dashboard.http.get(f"/_emulator/dashboard/periods/{period_id}").json()
    rows = page.locator("#period-table tbody tr")
    expect(rows).to_have_count(len(history["hendelser"]))
    numbers = [int(text) for text in page.locator("#period-table tbody tr td:first-child").all_inner_texts()]
    assert numbers == [event["hendelsesnummer"] for event in history["hendelser"]]
    summary = page.locator("#period-summary")
    expect(summary).to_contain_text(f"periodeId {period_id}")
    expect(summary).to_contain_text(history["personident"])
    expect(summary).to_contain_text("synthetic (Tenor)")

    page.locator("#period-id").fill("424242")
    dashboard.watch.expected_statuses.add(404)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-error")).to_have_text("404: no period 424242 in the log")


def open_period(dashboard: Dashboard) -> int:
    """A period still open (an ENDRET may follow), shown through the period form; its periodeId."""
    events = dashboard.feed(dashboard.token("period-pick"), hendelsesnummer=1, antallHendelser=100)["hendelser"]
    last_of = {event["innhold"]["periodeId"]: event["type"] for event in events}
    period_id: int = next(period for period, last in last_of.items() if last != "ANNULLERT")
    page = dashboard.page
    page.locator("#period-id").fill(str(period_id))
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-summary")).to_contain_text(f"periodeId {period_id}")
    return period_id


def test_a_periods_history_shows_medls_record_beside_its_events(dashboard: Dashboard) -> None:
    page = dashboard.page
    period_id = open_period(dashboard)
    record = dashboard.medl(dashboard.token("medl-check", MEDL_SCOPE), period_id)
    medl = page.locator("#period-medl")
    expect(medl).to_be_visible()

    def field(name: str) -> Locator:
        return medl.locator(f'[data-field="{name}"] dd')

    expect(field("unntakId")).to_have_text(str(period_id))
    expect(field("ident")).to_have_text(record["ident"])
    expect(field("fraOgMed")).to_have_text(record["fraOgMed"])
    expect(field("tilOgMed")).to_have_text(record["tilOgMed"])
    expect(field("status")).to_contain_text(record["status"])
    expect(field("grunnlag")).to_have_text(record["grunnlag"])
    expect(field("medlem")).to_have_text(str(record["medlem"]).lower())
    expect(field("kilde")).to_have_text(record["sporingsinformasjon"]["kilde"])
    versjon = record["sporingsinformasjon"]["versjon"]
    expect(field("versjon")).to_have_text(str(versjon))
    # MEDL leaves out a field without a value; so does the page.
    shown = set(medl.locator("[data-field]").evaluate_all("nodes => nodes.map(n => n.dataset.field)"))
    assert shown == {name for name in record if name not in ("sporingsinformasjon", "statusaarsak")} | {
        "versjon",
        "kilde",
        "sistEndret",
    }
    # The record is beside the events, not under them.
    table, aside = page.locator("#period-table").bounding_box(), medl.bounding_box()
    assert table is not None
    assert aside is not None
    assert aside["x"] >= table["x"] + table["width"] - 1
    assert aside["y"] < table["y"] + table["height"]

    # An ENDRET appended through the form moves MEDL's versjon, and the period view follows without a click.
    rows = page.locator("#period-table tbody tr")
    count = rows.count()
    page.locator("#event-type").select_option("ENDRET")
    page.locator("#event-period").fill(str(period_id))
    page.get_by_role("button", name="Append event").click()
    expect(rows).to_have_count(count + 1)
    expect(field("versjon")).to_have_text(str(versjon + 1))
    after = dashboard.medl(dashboard.token("medl-check", MEDL_SCOPE), period_id)
    assert after["sporingsinformasjon"]["versjon"] == versjon + 1
    expect(field("sistEndret").locator(".time")).to_have_attribute("title", after["sporingsinformasjon"]["sistEndret"])


def test_medl_look_ups_show_in_the_journal_and_beside_a_consumers_reads(dashboard: Dashboard) -> None:
    page = dashboard.page
    feed_token = dashboard.token("medl-consumer")
    period_id = dashboard.feed(feed_token, hendelsesnummer=1, antallHendelser=1)["hendelser"][0]["innhold"]["periodeId"]
    medl_token = dashboard.token("medl-consumer", MEDL_SCOPE)
    for _ in range(2):
        assert dashboard.medl(medl_token, period_id)["unntakId"] == period_id
    journal = page.locator("#journal-table tbody tr").first
    expect(journal.locator("td.request")).to_have_text(f"GET medl/{period_id}?inkluderSporingsinfo=true")
    expect(journal.locator("td.journal-consumer")).to_have_text("client:medl-consumer")
    row = page.locator('#consumers-table tr[data-consumer="client:medl-consumer"]')
    expect(row.locator(".statuses")).to_have_text("200×1MEDL200×2")
    expect(row.locator(".medl-counts")).to_have_attribute("title", "2 MEDL look-ups")


def test_a_fault_injected_through_the_form_is_listed_and_cleared(dashboard: Dashboard) -> None:
    page = dashboard.page
    faults = page.locator("#fault-list li")
    page.locator("#fault-kind").select_option("status")
    page.locator("#fault-status").fill("503")
    page.locator("#fault-times").fill("3")
    page.get_by_role("button", name="Inject fault").click()
    expect(faults).to_have_count(1)
    expect(faults.first).to_contain_text("status 503 on feed")
    expect(faults.first).to_contain_text("3 left")
    expect(page.locator("#fault-count")).to_have_text("1 fault")
    assert [fault["status"] for fault in dashboard.http.get("/_emulator/faults").json()["faults"]] == [503]

    # It is applied (the page's list follows), then removed with its button.
    token = dashboard.token("fault-check")
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"}
    assert dashboard.http.get(FEED, params={"hendelsesnummer": 1}, headers=headers).status_code == 503
    expect(faults.first).to_contain_text("2 left · applied 1")
    page.get_by_role("button", name="Remove fault f1").click()
    expect(faults).to_have_count(0)
    expect(page.locator("#faults-empty")).to_be_visible()

    page.locator("#fault-kind").select_option("latency")
    page.locator("#fault-times").fill("")
    page.locator("#fault-latency").fill("250")
    page.get_by_role("button", name="Inject fault").click()
    page.locator("#fault-kind").select_option("truncate")
    page.get_by_role("button", name="Inject fault").click()
    expect(faults).to_have_count(2)
    expect(faults.first).to_contain_text("latency 250 ms on feed")
    page.get_by_role("button", name="Clear all").click()
    expect(faults).to_have_count(0)
    expect(page.locator("#fault-count")).to_have_text("0 faults")
    assert dashboard.http.get("/_emulator/faults").json()["faults"] == []


def test_a_minted_token_fills_a_field_to_copy(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.locator("#token-client").fill("copy-me")
    page.get_by_role("button", name="Mint token").click()
    field = page.locator("#token-value")
    expect(field).to_have_value(re.compile(r"^[\w-]+\.[\w-]+\.[\w-]+$"))
    token = field.input_value()
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["client_id"] == "copy-me"
    assert claims["scope"] == "nav:helse/v1/trygdehendelser"
    expect(page.locator("#token-info")).to_contain_text("expires in 3600 s")
    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_be_enabled()
    copy.click()
    expect(page.locator("#token-info")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    # The token works on the API, with the key the page shows.
    expect(page.locator("#token-key")).to_have_text(KEY)
    assert dashboard.feed(token, hendelsesnummer=1, antallHendelser=1)["antallHendelser"] == 1


def test_live_mode_switched_on_makes_the_head_grow(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.locator("#live-rate").fill("40")
    page.locator("#live-pattern").select_option("steady")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#live-state")).to_have_text("40/s")
    expect(page.locator("#live-sub")).to_have_text("steady")
    page.wait_for_function(
        "seeded => Number(document.getElementById('head').textContent.replace(/,/g, '')) > seeded + 40",
        arg=SEEDED,
        timeout=WAIT_MS,
    )
    page.wait_for_function("() => Number(document.getElementById('growth').textContent) > 0", timeout=WAIT_MS)
    # Following the head, the browser shows the newest events as they come.
    page.locator("#browser-follow").check()
    page.wait_for_function(
        "seeded => [...document.querySelectorAll('#browser-table tbody tr')].some("
        "row => Number(row.dataset.number) > seeded + 40)",
        arg=SEEDED,
        timeout=WAIT_MS,
    )
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#live-state")).to_have_text("off")
    assert dashboard.http.get("/_emulator/status").json()["live"] is None


def test_a_consumer_shows_with_its_lag(dashboard: Dashboard) -> None:
    page = dashboard.page
    token = dashboard.token("browser-consumer")
    for number in (1, 101, 201):
        assert dashboard.feed(token, hendelsesnummer=number)["antallHendelser"] == 100
    row = page.locator('#consumers-table tr[data-consumer="client:browser-consumer"]')
    expect(row).to_be_visible()
    expect(row.locator("td").nth(1)).to_have_text("300")
    expect(row.locator(".lag-value")).to_have_text(f"{SEEDED - 300:,}")
    expect(row.locator(".statuses")).to_have_text("200×3")
    # The journal lists its requests, newest first.
    journal = page.locator("#journal-table tbody tr")
    expect(journal.first).to_contain_text("hendelsesnummer=201")
    expect(journal.first).to_contain_text("client:browser-consumer")
    # Reading on to the head brings the lag to 0.
    number = 301
    while events := dashboard.feed(token, hendelsesnummer=number)["hendelser"]:
        number = events[-1]["hendelsesnummer"] + 1
    expect(row.locator(".lag-value")).to_have_text("0")


def test_the_admin_token_is_asked_for_and_kept_for_the_session(browser: Browser) -> None:
    _require_chromium()
    command = [*PYTHON_M, "serve", "--events", "100", "--admin-token", ADMIN_TOKEN]
    with running_server(command) as (base, _), httpx.Client(base_url=base) as http:
        context = browser.new_context(viewport=VIEWPORT, base_url=base)
        try:
            page = context.new_page()
            page.goto("/")
            form = page.locator("#admin-form")
            expect(form).to_be_visible()
            expect(page.locator("#connection")).to_have_text("needs the admin token")
            page.get_by_label("The control plane wants its admin token").fill("not-it")
            page.get_by_role("button", name="Use token").click()
            expect(page.locator("#admin-error")).to_contain_text("Not accepted")
            page.get_by_label("The control plane wants its admin token").fill(ADMIN_TOKEN)
            page.get_by_role("button", name="Use token").click()
            expect(form).to_be_hidden()
            expect(page.locator("#head")).to_have_text("100")
            expect(page.locator("#browser-table tbody tr")).to_have_count(20)
            assert http.get("/_emulator/status").status_code == 401
            # Kept in sessionStorage: a reload asks no more.
            page.reload()
            expect(page.locator("#head")).to_have_text("100")
            expect(form).to_be_hidden()
        finally:
            context.close()


HOSTILE = '<img src=x onerror="window.injected=1"><b>bold</b>'


def test_names_from_requests_are_shown_as_text_never_as_markup(dashboard: Dashboard) -> None:
    """Consumer names, queries and fault scopes come from whoever calls the emulator: the page prints them."""
    page = dashboard.page
    http = dashboard.http
    consumer = f"client:{HOSTILE}"
    token = dashboard.token(HOSTILE)
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"}
    assert http.get(FEED, params={"hendelsesnummer": 1}, headers=headers).status_code == 200
    assert http.get(FEED, params={"hendelsesnummer": HOSTILE}, headers=headers).status_code == 400
    http.post("/_emulator/faults", json={"kind": "latency", "latency_ms": 1, "consumer": consumer}).raise_for_status()

    row = page.locator("#consumers-table tbody tr").filter(has_text="<img")
    expect(row).to_have_count(1)
    assert row.get_attribute("data-consumer") == consumer
    expect(row.locator("td.consumer-name")).to_have_text(consumer)
    expect(page.locator("#fault-list li").first).to_contain_text(f"for {consumer}")
    journal = page.locator("#journal-table tbody tr").first
    expect(journal).to_contain_text("400")
    expect(journal.locator("td.journal-consumer")).to_have_text(consumer)
    expect(journal.locator("td.request")).to_contain_text("hendelsesnummer=")

    page.locator("#token-scope").fill(HOSTILE)
    page.get_by_role("button", name="Mint token").click()
    expect(page.locator("#token-info")).to_contain_text(f"scope {HOSTILE}")

    assert page.locator("img, b").count() == 0
    assert page.evaluate("window.injected") is None


def test_local_style_timestamps_show_to_the_second_like_offset_ones(browser: Browser) -> None:
    """Spring's LocalDateTime drops trailing zeros (`…:00.12`, `…:10.5`); the table shows whole seconds all the same."""
    _require_chromium()
    command = [*PYTHON_M, "serve", "--fixture", "small", "--timestamp-style", "local"]
    with (
        running_server(command) as (base, _),
        httpx.Client(base_url=base) as http,
        open_dashboard(browser, base, http) as dashboard,
    ):
        page = dashboard.page
        page.locator("#browser-size").fill("100")
        page.get_by_role("button", name="Read", exact=True).click()
        cells = page.locator("#browser-table tbody tr td.time")
        expect(cells).to_have_count(36)
        titles = [cells.nth(index).get_attribute("title") or "" for index in range(36)]
        assert any(re.search(r"\.\d{1,2}$", title) for title in titles), titles
        for text, title in zip(cells.all_inner_texts(), titles, strict=True):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", text), (text, title)
            assert title.replace("T", " ").startswith(text), (text, title)
        dashboard.watch.assert_clean()


# What a reader would miss: a figure or legend cut short in the glance strip, a table that needs a sideways
# scroll, a control that reaches past the edge of its panel. Names cut short with an ellipsis (consumer names,
# the journal's long requests) keep the whole text in their title and are not counted.
CUT_OFF = """() => {
  const problems = [];
  const where = (node) => node.id || `${node.className} in ${node.closest("[id]")?.id}`;
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push("the page scrolls sideways");
  for (const node of document.querySelectorAll(".tile-value, .tile-sub, .tile-label")) {
    if (node.scrollWidth > node.clientWidth) problems.push(`cut off: ${where(node)} "${node.textContent.trim()}"`);
  }
  for (const node of document.querySelectorAll(".table-wrap")) {
    if (node.scrollWidth > node.clientWidth) problems.push(`scrolls sideways: ${where(node)}`);
  }
  for (const panel of document.querySelectorAll(".panel")) {
    const edge = panel.getBoundingClientRect().right;
    for (const control of panel.querySelectorAll("button, input, select, textarea, label")) {
      const box = control.getBoundingClientRect();
      const name = control.id || control.textContent.trim();
      if (box.width && box.right > edge + 0.5) problems.push(`past the edge of ${panel.id}: ${name}`);
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("viewport", LAPTOPS, ids=[f"{size['width']}x{size['height']}" for size in LAPTOPS])
def test_nothing_is_cut_off_on_a_laptop_screen(browser: Browser, server: str, viewport: ViewportSize) -> None:
    with httpx.Client(base_url=server) as http:
        http.post("/_emulator/reset").raise_for_status()
        # Consumers that met faults (several statuses each) and one with a long name, as in a demo.
        for client_id in ("my-consumer", "a-consumer-with-a-rather-long-client-id"):
            answer = http.post("/_emulator/tokens", json={"client_id": client_id, "lifetime_seconds": 3600})
            headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {answer.json()['access_token']}"}
            for status in (503, 429):
                fault = {"kind": "status", "status": status, "times": 1, "consumer": f"client:{client_id}"}
                http.post("/_emulator/faults", json=fault).raise_for_status()
                assert http.get(FEED, params={"hendelsesnummer": 1}, headers=headers).status_code == status
            for number in (1, 101, 201):
                assert http.get(FEED, params={"hendelsesnummer": number}, headers=headers).status_code == 200
            first = http.get(FEED, params={"hendelsesnummer": 1, "antallHendelser": 1}, headers=headers).json()
            scoped = {"client_id": client_id, "lifetime_seconds": 3600, "scope": MEDL_SCOPE}
            answer = http.post("/_emulator/tokens", json=scoped)
            headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            for unntak_id in (first["hendelser"][0]["innhold"]["periodeId"], 0):
                http.get(f"{MEDL_PATH}/{unntak_id}", params={"inkluderSporingsinfo": "true"}, headers=headers)
        http.post("/_emulator/faults", json={"kind": "latency", "latency_ms": 300, "route": "token"}).raise_for_status()
        http.put("/_emulator/live", json={"rate": 2, "pattern": "bursts", "burst_size": 4}).raise_for_status()
        with open_dashboard(browser, server, http, viewport) as dashboard:
            page = dashboard.page
            consumers = page.locator("#consumers-table tbody tr")
            # The two consumers, and not the dashboard, whose own reads are no consumer.
            expect(consumers).to_have_count(2)
            expect(consumers.first.locator(".statuses > .status-count")).to_have_count(3)
            expect(page.locator("#fault-list li")).to_have_count(1)
            expect(page.locator("#live-state")).to_have_text("2/s")
            page.wait_for_function("() => document.getElementById('growth').textContent !== '–'")
            page.get_by_role("button", name="Mint token").click()
            expect(page.locator("#token-value")).not_to_have_value("")
            # A period's history with MEDL's record beside it, and MEDL's look-ups beside each consumer's reads.
            page.locator("#browser-table tbody tr").first.locator("button.link").click()
            expect(page.locator('#period-medl [data-field="versjon"]')).to_be_visible()
            expect(consumers.first.locator(".medl-counts .status-count")).to_have_count(2)
            assert page.evaluate(CUT_OFF) == []
            dashboard.watch.assert_clean()


def test_a_screenshot_of_a_busy_dashboard(dashboard: Dashboard) -> None:
    page = dashboard.page
    http = dashboard.http
    http.post("/_emulator/events", json={"generate": 120}).raise_for_status()
    token = dashboard.token("my-consumer")
    for number in (1, 101, 201, 301):
        dashboard.feed(token, hendelsesnummer=number, hjemmelgruppe="EOS")
    first = dashboard.feed(token, hendelsesnummer=1, antallHendelser=1)["hendelser"][0]
    dashboard.medl(dashboard.token("my-consumer", MEDL_SCOPE), first["innhold"]["periodeId"])
    http.post("/_emulator/faults", json={"kind": "latency", "latency_ms": 300, "consumer": "client:slow-consumer"})
    slow = dashboard.token("slow-consumer")
    dashboard.feed(slow, hendelsesnummer=1, antallHendelser=50)
    http.post(
        "/_emulator/faults",
        json={"kind": "status", "status": 503, "retry_after_seconds": 2, "times": 3, "consumer": "client:my-consumer"},
    )
    http.put("/_emulator/live", json={"rate": 3, "pattern": "steady"}).raise_for_status()
    # Loaded afresh, so that its growth is live mode's and not the batch appended above.
    page.reload()
    expect(page.locator("#browser-table tbody tr")).to_have_count(20)
    page.locator("#browser-table tbody tr").nth(3).locator("button.link").click()
    expect(page.locator("#period-table tbody tr").first).to_be_visible()
    page.get_by_role("button", name="Mint token").click()
    expect(page.locator("#token-value")).not_to_have_value("")
    expect(page.locator('#consumers-table tr[data-consumer="client:slow-consumer"]')).to_be_visible()
    expect(page.locator("#fault-list li")).to_have_count(2)
    expect(page.locator("#live-state")).to_have_text("3/s")
    page.wait_for_function("() => Number(document.getElementById('growth').textContent) > 0", timeout=WAIT_MS)
    page.evaluate("window.scrollTo(0, 0)")
    artifacts = REPOSITORY / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "dashboard.png"
    docs = REPOSITORY / "docs" / "dashboard.png"
    before = docs.read_bytes() if docs.exists() else None
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # The README's picture is refreshed only when asked for: a test run leaves the checkout as it found it.
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        docs.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, docs)
    else:
        assert (docs.read_bytes() if docs.exists() else None) == before


def test_the_control_planes_swagger_ui_renders_with_no_network(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport=VIEWPORT, base_url=server)
    page = context.new_page()
    watch = Watch(server)
    page.on("request", watch.request)
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    try:
        page.goto("/_emulator/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("trygdehendelser-emulator control plane")
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        assert watch.foreign == [], watch.foreign
        assert watch.errors == [], watch.errors
    finally:
        context.close()
