"""The example consumer, run as its users run it, against a real emulator in live mode while faults are injected.

The Done-when test: every event 1..head lands in the consumer's output exactly once, in order, byte for byte
as the feed serves it, although the feed answered 503, 429, dropped connections and cut pages on the way.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import PYTHON_M, running_server
from tests.system.example_consumer import (
    CONSUMER_NAME,
    FEED,
    STOP_SECONDS,
    WAIT_SECONDS,
    consumer_command,
    summary_of,
    wait_for_consumer,
)


def _feed_pages(http: httpx.Client, head: int) -> list[bytes]:
    """The feed's own bytes for 1..head, read with another client (so none of the consumer's faults apply)."""
    token = http.post(
        "/maskinporten/token",
        data={"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"},
    ).json()["access_token"]
    headers = {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}
    pages = []
    for first in range(1, head + 1, 100):
        params: dict[str, str | int] = {
            "hendelsesnummer": first,
            "antallHendelser": min(100, head - first + 1),
            "hjemmelgruppe": "ALLE",
        }
        response = http.get(FEED, params=params, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.content)
    return pages


def _assert_output_is_the_feed(lines: list[str], pages: list[bytes], head: int) -> None:
    numbers = [json.loads(line)["hendelsesnummer"] for line in lines]
    duplicates = [number for number, count in Counter(numbers).items() if count > 1]
    assert not duplicates, f"read more than once: {duplicates[:10]}"
    assert numbers == list(range(1, head + 1)), "missing or out of order"
    served = [event for page in pages for event in json.loads(page)["hendelser"]]
    assert len(served) == head
    for index, (line, event) in enumerate(zip(lines, served, strict=True)):
        assert json.loads(line) == event
        # Byte for byte: the line is a slice of the page the feed sent, field order and all.
        assert line.encode() in pages[index // 100], line


def test_the_example_consumer_reads_every_event_exactly_once_through_injected_faults(tmp_path: Path) -> None:
    server = [*PYTHON_M, "serve", "--events", "500", "--live-rate", "200", "--live-pattern", "poisson"]
    # A short token lifetime, so that the consumer renews its token several times while it reads.
    with running_server([*server, "--token-lifetime", "4"]) as (base, banner):
        command = consumer_command(base, banner, tmp_path, "--max-seconds", "120")
        started = time.monotonic()
        # Its log goes to a file, not a pipe nobody reads while it runs.
        log = (tmp_path / "consumer.log").open("w+", encoding="utf-8")
        consumer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        try:
            with httpx.Client(base_url=base, timeout=WAIT_SECONDS + 30) as control:
                wait_for_consumer(control, 500)  # reading, and through the seeded log
                seeded_read = time.monotonic() - started
                scope = {"consumer": CONSUMER_NAME}
                faults = [
                    {"kind": "status", "status": 503, "retry_after_seconds": 1, "times": 3, **scope},
                    {"kind": "status", "status": 429, "retry_after_seconds": 1, "times": 1, **scope},
                    {"kind": "drop", "times": 2, **scope},
                    {"kind": "truncate", "times": 2, **scope},
                    {"kind": "latency", "latency_ms": 300, "times": 2, **scope},
                ]
                injected = time.monotonic()
                fault_ids = []
                for fault in faults:
                    response = control.post("/_emulator/faults", json=fault)
                    assert response.status_code == 201, response.text
                    fault_ids.append(response.json()["id"])
                # The first fault in scope decides, so a 200 past this head means every fault before it is used up.
                mark = control.get("/_emulator/status").json()["head"]
                wait_for_consumer(control, mark + 1)
                through_faults = time.monotonic() - injected

                assert control.delete("/_emulator/live").status_code == 200
                stopped = time.monotonic()
                status = control.get("/_emulator/status").json()
                head = status["head"]
                assert status["live"] is None
                caught_up = wait_for_consumer(control, head)
                catch_up = time.monotonic() - stopped
                assert caught_up["consumer"]["highest_delivered"] == head
                journal = control.get(
                    "/_emulator/journal", params={"consumer": CONSUMER_NAME, "limit": 10_000, "order": "oldest"}
                ).json()
                remaining = control.get("/_emulator/faults").json()["faults"]
        finally:
            consumer.send_signal(signal.SIGTERM)
            try:
                consumer.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                consumer.kill()
                consumer.wait()
                raise
            finally:
                log.close()
        stderr = (tmp_path / "consumer.log").read_text("utf-8")
        assert consumer.returncode == 0, stderr
        summary = summary_of(stderr)
        assert summary["ended"] == "stopped"
        assert summary["cursor"] == head

        lines = (tmp_path / "events.jsonl").read_text("utf-8").splitlines()
        with httpx.Client(base_url=base) as http:
            _assert_output_is_the_feed(lines, _feed_pages(http, head), head)
        saved = json.loads((tmp_path / "cursor.json").read_text())
        assert saved["hendelsesnummer"] == head

    # Every injected failure reached the consumer, as often as asked, and it rode out each one.
    assert journal["evicted"] == 0
    hits = Counter(entry["fault"] for entry in journal["entries"] if entry["fault"])
    statuses = Counter(entry["status"] for entry in journal["entries"])
    assert [hits[fault_id] for fault_id in fault_ids[:4]] == [3, 1, 2, 2]
    assert hits[fault_ids[4]] >= 1
    assert all(fault["id"] == fault_ids[4] for fault in remaining)
    assert statuses[503] == 3
    assert statuses[429] == 1
    assert summary["retry status 503"] == 3
    assert summary["retry status 429"] == 1
    assert sum(count for reason, count in summary.items() if reason.startswith("retry connection")) == 2
    assert summary["retry invalid JSON (a page cut short?)"] == 2
    assert summary["tokens"] >= 2, "the token was never renewed"
    assert head > 500 + 200, "live mode added too little to read through the faults"
    print(
        f"\nexample consumer: {summary['events']} events read (head {head}), {summary['requests']} requests, "
        f"{summary['tokens']} tokens, faults hit {dict(zip(fault_ids, (hits[i] for i in fault_ids), strict=True))}; "
        f"seeded 500 read in {seeded_read:.2f} s, through the faults in {through_faults:.2f} s, "
        f"caught up {catch_up:.2f} s after live mode stopped"
    )


def test_the_example_consumer_resumes_from_its_cursor_and_drops_lines_of_an_unsaved_batch(tmp_path: Path) -> None:
    with running_server([*PYTHON_M, "serve", "--events", "300"]) as (base, banner):

        def run(*options: str) -> dict[str, Any]:
            command = consumer_command(base, banner, tmp_path, *options)
            finished = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_SECONDS, check=False)
            assert finished.returncode == 0, finished.stderr
            summary = summary_of(finished.stderr)
            summary["stderr"] = finished.stderr
            return summary

        first = run("--until", "300")
        assert (first["ended"], first["cursor"], first["events"]) == ("until", 300, 300)
        # A crash after the lines were written but before the cursor was saved leaves lines the cursor
        # does not cover; the next run cuts them off instead of writing those events twice.
        output = tmp_path / "events.jsonl"
        with output.open("a", encoding="utf-8") as stream:
            stream.write('{"hendelsesnummer":301,"half a batch":true}\n')
        with httpx.Client(base_url=base) as control:
            assert control.post("/_emulator/events", json={"generate": 50}).json()["last"] == 350
            second = run("--until", "350")
            assert (second["ended"], second["cursor"], second["events"]) == ("until", 350, 50)
            assert "dropping" in second["stderr"]
            lines = output.read_text("utf-8").splitlines()
            _assert_output_is_the_feed(lines, _feed_pages(control, 350), 350)
            # Nothing new: it polls, waits, and stops when its time is up.
            idle = run("--until", "1000", "--max-seconds", "0.5")
            assert (idle["ended"], idle["cursor"], idle.get("events", 0)) == ("max-seconds", 350, 0)
            assert idle["empty_polls"] >= 1


def test_the_example_consumer_in_verbose_mode_logs_its_batches_and_not_the_http_wire(tmp_path: Path) -> None:
    with running_server([*PYTHON_M, "serve", "--events", "300"]) as (base, banner):
        command = consumer_command(base, banner, tmp_path, "--until", "300", "--verbose")
        finished = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_SECONDS, check=False)
    assert finished.returncode == 0, finished.stderr
    lines = finished.stderr.splitlines()
    assert [line for line in lines if "DEBUG read 100 events" in line][-1].endswith("cursor at 300")
    wire = [line for line in lines if re.search(r"connect_tcp|send_request|receive_response|response_closed", line)]
    assert wire == [], wire[:5]
    assert summary_of(finished.stderr)["events"] == 300


@pytest.mark.parametrize(
    ("setup", "message"),
    [("state-without-output", "holds 0 bytes"), ("output-without-state", "no state file")],
    ids=["state-without-output", "output-without-state"],
)
def test_the_example_consumer_refuses_state_and_output_that_do_not_belong_together(
    tmp_path: Path, setup: str, message: str
) -> None:
    if setup == "state-without-output":
        (tmp_path / "cursor.json").write_text('{"hendelsesnummer": 10, "output_bytes": 1234}')
    else:
        (tmp_path / "events.jsonl").write_text('{"hendelsesnummer":1}\n')
    command = consumer_command("http://127.0.0.1:9", "(issuer http://127.0.0.1:9/maskinporten/,", tmp_path)
    finished = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_SECONDS, check=False)
    assert finished.returncode == 2
    assert message in finished.stderr
