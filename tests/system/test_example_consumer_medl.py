"""The example consumer's whole flow: every event read from the feed, every period looked up in MEDL.

The Done-when test: once the consumer has read the feed to the head, its view of every period equals what the
emulator's MEDL answers, also after ENDRET and ANNULLERT appended while it runs, and through MEDL's own faults.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from emulator.testing import EmulatorControl
from tests.servers import PYTHON_M, running_server
from tests.system.example_consumer import (
    CONSUMER_NAME,
    STOP_SECONDS,
    WAIT_SECONDS,
    consumer_command,
    periods_view,
    summary_of,
    wait_for_consumer,
)

MEDL = "/medlemskap/v1/medlemskapsunntak"
CONSUMER_ID = "eksempel-system"


def _periods_of_feed(control: EmulatorControl, head: int) -> dict[int, list[dict[str, Any]]]:
    """Every period the feed has shown up to `head`, with its events in order."""
    periods: dict[int, list[dict[str, Any]]] = {}
    for first in range(1, head + 1, 100):
        for event in control.read(from_number=first, size=100)["hendelser"]:
            periods.setdefault(event["innhold"]["periodeId"], []).append(event)
    return periods


def _cursor_reaches(tmp_path: Path, head: int) -> None:
    """Poll the consumer's saved cursor until it covers `head`; its periods are committed before it moves."""
    deadline = time.monotonic() + WAIT_SECONDS
    cursor = tmp_path / "cursor.json"
    while time.monotonic() < deadline:
        if cursor.exists() and json.loads(cursor.read_text())["hendelsesnummer"] >= head:
            return
    raise AssertionError(f"the consumer's cursor did not reach {head} within {WAIT_SECONDS} s")


def _assert_view_is_medl(tmp_path: Path, control: EmulatorControl) -> dict[int, dict[str, Any]]:
    """The consumer's record of each period the feed has shown equals MEDL's answer, traces and all."""
    head = control.status()["head"]
    with httpx.Client(base_url=control.base_url, timeout=WAIT_SECONDS + 30) as http:
        wait_for_consumer(http, head)
    _cursor_reaches(tmp_path, head)
    view = periods_view(tmp_path / "periods.sqlite")
    periods = _periods_of_feed(control, head)
    assert sorted(view) == sorted(periods), "a period missing from, or extra in, the consumer's view"
    for period, events in periods.items():
        record = control.lookup(period, traces=True)
        assert view[period] == record, period
        assert record["sporingsinformasjon"]["versjon"] == sum(event["type"] == "ENDRET" for event in events)
    return view


def _changeable(periods: dict[int, list[dict[str, Any]]], count: int) -> list[int]:
    """Periods that are still open (never annulled), which ENDRET and ANNULLERT may name."""
    open_periods = [period for period, events in periods.items() if events[-1]["type"] != "ANNULLERT"]
    return open_periods[:count]


def _stop(consumer: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    consumer.send_signal(signal.SIGTERM)
    try:
        consumer.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        consumer.kill()
        consumer.wait()
        raise
    stderr = log_path.read_text("utf-8")
    assert consumer.returncode == 0, stderr
    return summary_of(stderr)


def test_the_consumers_view_of_every_period_is_medls_also_after_appends_made_while_it_runs(tmp_path: Path) -> None:
    with running_server([*PYTHON_M, "serve", "--events", "400"]) as (base, banner), EmulatorControl(base) as control:
        periods = _periods_of_feed(control, 400)
        changeable = _changeable(periods, 6)
        early, later = changeable[:3], changeable[3:]
        command = consumer_command(base, banner, tmp_path, "--max-seconds", "120", "--consumer-id", CONSUMER_ID)
        log_path = tmp_path / "consumer.log"
        with log_path.open("w", encoding="utf-8") as log:
            consumer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        try:
            # While it reads the seeded log (or just after): two changes and an annulment.
            control.append(
                [
                    {"type": "ENDRET", "periodeId": early[0]},
                    {"type": "ENDRET", "periodeId": early[1]},
                    {"type": "ENDRET", "periodeId": early[0]},
                    {"type": "ANNULLERT", "periodeId": early[2]},
                ]
            )
            first = _assert_view_is_medl(tmp_path, control)
            assert (first[early[2]]["status"], first[early[2]]["statusaarsak"]) == ("AVST", "Feilregistrert")
            assert first[early[0]]["sporingsinformasjon"]["versjon"] >= 2

            # Once it is idle at the head: more changes, an annulment of a period changed before, a new period.
            before = {period: first[period] for period in later}
            person = periods[later[0]][0]["innhold"]["personident"]
            control.append(
                [
                    {"type": "ENDRET", "periodeId": later[0]},
                    {"type": "ENDRET", "periodeId": later[1]},
                    {"type": "ANNULLERT", "periodeId": early[0]},
                    {"type": "ENDRET", "periodeId": later[2]},
                    {"type": "ANNULLERT", "periodeId": later[2]},
                    {"type": "OPPRETTET", "personident": person, "hjemmelgruppe": "OEVRIGE"},
                ]
            )
            second = _assert_view_is_medl(tmp_path, control)
            assert len(second) == len(first) + 1
            for period in later[:2]:
                versions = (
                    before[period]["sporingsinformasjon"]["versjon"],
                    second[period]["sporingsinformasjon"]["versjon"],
                )
                assert versions[1] == versions[0] + 1
            assert second[early[0]]["status"] == second[later[2]]["status"] == "AVST"
            journal = control.journal(consumer=CONSUMER_NAME, limit=10_000, order="oldest")
        finally:
            summary = _stop(consumer, log_path)

    lookups = [entry for entry in journal if entry["path"].startswith(f"{MEDL}/")]
    assert len(lookups) == summary["medl_requests"]
    assert all(entry["status"] == 200 for entry in lookups)
    assert all(entry["query"] == "inkluderSporingsinfo=true" for entry in lookups)
    assert {entry["consumer_id"] for entry in lookups} == {CONSUMER_ID}
    call_ids = Counter(entry["call_id"] for entry in lookups)
    assert len(call_ids) == len(lookups), "a Nav-Call-Id sent twice"
    # Each page's periods are looked up once, however many of its events name them.
    assert len(lookups) < summary["events"]
    assert summary["medl_tokens"] >= 1
    print(
        f"\nexample consumer and MEDL: {summary['events']} events, {len(second)} periods, "
        f"{summary['medl_requests']} look-ups in {summary['seconds']} s"
    )


def test_the_consumer_retries_through_medls_503s_and_its_view_is_still_medls(tmp_path: Path) -> None:
    with running_server([*PYTHON_M, "serve", "--events", "200"]) as (base, banner), EmulatorControl(base) as control:
        fault = control.fault(kind="status", status=503, route="medl", times=2, consumer=CONSUMER_NAME)
        # One look-up at a time, so both 503s meet the same period, one retry after the other.
        command = consumer_command(base, banner, tmp_path, "--until", "200", "--lookups", "1")
        finished = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_SECONDS, check=False)
        assert finished.returncode == 0, finished.stderr
        _assert_view_is_medl(tmp_path, control)
        journal = control.journal(consumer=CONSUMER_NAME, limit=10_000, order="oldest")
        pages = [control.read(from_number=first, size=100)["hendelser"] for first in (1, 101)]
    summary = summary_of(finished.stderr)
    assert (summary["ended"], summary["cursor"], summary["events"]) == ("until", 200, 200)
    assert summary["retry medl status 503"] == 2
    refused = [entry for entry in journal if entry["status"] == 503]
    assert [entry["fault"] for entry in refused] == [fault, fault]
    assert all(entry["path"].startswith(f"{MEDL}/") for entry in refused)
    # The same period asked again after each 503, and the page was not read again for it.
    assert len({entry["path"] for entry in refused}) == 1
    assert sum(entry["path"] == refused[0]["path"] for entry in journal) == 3
    assert summary["requests"] == 2
    # Each page's periods once each, and the two refused calls on top.
    distinct = sum(len({event["innhold"]["periodeId"] for event in page}) for page in pages)
    assert summary["medl_requests"] == distinct + 2


def test_a_period_the_feed_announced_and_medl_does_not_know_stops_the_consumer_loudly(tmp_path: Path) -> None:
    with running_server([*PYTHON_M, "serve", "--events", "200"]) as (base, banner), EmulatorControl(base) as control:
        control.fault(kind="status", status=404, route="medl", times=1, consumer=CONSUMER_NAME)
        first = control.read(from_number=1, size=1)["hendelser"][0]
        # One look-up at a time, so the fault meets the first event's period.
        command = consumer_command(base, banner, tmp_path, "--until", "200", "--lookups", "1")
        finished = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_SECONDS, check=False)
    assert finished.returncode == 1
    period = first["innhold"]["periodeId"]
    assert f"ERROR BUG: MEDL has no period {period}, which the feed announced in event 1" in finished.stderr
    summary = summary_of(finished.stderr)
    # Nothing of the page is written and the cursor stays before the event: the next run starts there again.
    assert (summary["ended"], summary["cursor"]) == ("error", 0)
    assert (tmp_path / "events.jsonl").read_text() == ""
    assert periods_view(tmp_path / "periods.sqlite") == {}
