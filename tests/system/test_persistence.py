"""`--data-dir`: appended events and the clock outlive the process, even a SIGKILL, and belong to one seeded log.

Real servers started through the CLI, as users start them; no sleeps: the tests wait on the server's banner, on
HTTP answers and on a thread's own progress.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from emulator.eventlog.identities import synthetic_identity
from emulator.testing.server import EmulatorProcess
from tests.servers import PYTHON_M, STARTUP_SECONDS, running_server

FEED = "/helse/v1/trygdehendelser/hendelser"
SEEDED = 200
Json = dict[str, Any]


def _options(data_dir: Path, *more: str) -> list[str]:
    return ["--events", str(SEEDED), "--data-dir", str(data_dir), *more]


def _serve(data_dir: Path, *more: str) -> list[str]:
    return [*PYTHON_M, "serve", *_options(data_dir, *more)]


def _credentials(http: httpx.Client) -> dict[str, str]:
    response = http.post(
        "/maskinporten/token",
        data={"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"},
    )
    assert response.status_code == 200, response.text
    return {
        "Ocp-Apim-Subscription-Key": "local-subscription-key",
        "Authorization": f"Bearer {response.json()['access_token']}",
    }


def _events_from(http: httpx.Client, first: int) -> list[Json]:
    headers = _credentials(http)
    events: list[Json] = []
    while True:
        page = http.get(FEED, params={"hendelsesnummer": first}, headers=headers).json()
        if not page["hendelser"]:
            return events
        events.extend(page["hendelser"])
        first = page["hendelser"][-1]["hendelsesnummer"] + 1


def _status(http: httpx.Client) -> Json:
    response = http.get("/_emulator/status")
    assert response.status_code == 200, response.text
    status: Json = response.json()
    return status


def test_appended_events_and_a_frozen_clock_survive_a_restart(tmp_path: Path) -> None:
    command = _serve(tmp_path / "data")
    with running_server(command) as (base, banner), httpx.Client(base_url=base) as http:
        assert f"{SEEDED} events" in banner
        person = synthetic_identity(random.Random(5))
        explicit = {
            "events": [
                {"type": "OPPRETTET", "periodeId": 50_000_001, "personident": person, "hjemmelgruppe": "OEVRIGE"},
                {"type": "ENDRET", "periodeId": 50_000_001},
            ]
        }
        assert http.post("/_emulator/events", json=explicit).json()["last"] == SEEDED + 2
        assert http.post("/_emulator/events", json={"generate": 5}).json()["last"] == SEEDED + 7
        assert http.post("/_emulator/clock", json={"action": "freeze"}).status_code == 200
        clock = http.post("/_emulator/clock", json={"action": "set", "now": "2031-02-03T04:05:06"}).json()
        assert clock["frozen"] is True
        assert http.post("/_emulator/events", json={"generate": 1}).json()["last"] == SEEDED + 8
        before = _status(http)
        appended = _events_from(http, SEEDED + 1)
    assert len(appended) == 8
    assert appended[-1]["metadata"]["opprettetDato"] == "2031-02-03T04:05:06.000+01:00"

    with running_server(command) as (base, _), httpx.Client(base_url=base) as http:
        after = _status(http)
        assert (after["head"], after["appended"], after["digest"]) == (before["head"], 8, before["digest"])
        assert after["persistent"] is True
        assert after["clock"] == clock, "the clock is still frozen at the instant it was set to"
        assert _events_from(http, SEEDED + 1) == appended
        # And it carries on from there.
        assert http.post("/_emulator/events", json={"generate": 1}).json()["first"] == SEEDED + 9


def test_a_data_dir_of_another_seeded_log_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_server(_serve(data_dir)) as (base, _), httpx.Client(base_url=base) as http:
        assert http.post("/_emulator/events", json={"generate": 3}).status_code == 200

    command = [*_serve(data_dir, "--seed", "2"), "--port", "0"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=STARTUP_SECONDS, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "use another --data-dir" in output
    assert "seed=1" in output
    assert "seed=2" in output
    assert "Traceback" not in output, f"a message, not a stack trace:\n{output}"


def _draft(index: int) -> Json:
    """One event a writer can know in full before it is acknowledged: nothing left for the server to fill in."""
    created = datetime.fromisoformat("2030-01-01T00:00:00.000+01:00") + timedelta(seconds=index)
    return {
        "type": "OPPRETTET",
        "periodeId": 70_000_000 + index,
        "personident": synthetic_identity(random.Random(index), dnumber=index % 5 == 0),
        "hjemmelgruppe": "EOS" if index % 3 else "OEVRIGE",
        "opprettetDato": created.isoformat(timespec="milliseconds"),
    }


def _as_served(number: int, draft: Json) -> Json:
    return {
        "hendelsesnummer": number,
        "innhold": {"periodeId": draft["periodeId"], "personident": draft["personident"]},
        "metadata": {"hjemmelgruppe": draft["hjemmelgruppe"], "opprettetDato": draft["opprettetDato"]},
        "type": draft["type"],
    }


def test_every_acknowledged_append_survives_a_sigkill_mid_stream(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    acknowledged: dict[int, Json] = {}
    refused: list[str] = []
    under_way = threading.Event()

    # EmulatorProcess rather than running_server: the test needs the pid of the very process that serves.
    with EmulatorProcess(*_options(data_dir)) as server:
        base = server.base_url

        def append_until_the_server_dies() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                for index in itertools.count():
                    draft = _draft(index)
                    try:
                        response = http.post("/_emulator/events", json={"events": [draft]})
                    except httpx.TransportError:
                        return  # killed: this append was never acknowledged
                    if response.status_code != 200:
                        refused.append(response.text)
                        return
                    answer = response.json()
                    if answer["count"] != 1:
                        refused.append(response.text)
                        return
                    acknowledged[answer["first"]] = draft
                    if len(acknowledged) == 50:
                        under_way.set()

        writer = threading.Thread(target=append_until_the_server_dies, daemon=True)
        writer.start()
        assert under_way.wait(timeout=STARTUP_SECONDS), f"the appends did not get going: {refused}"
        assert server.pid is not None
        os.kill(server.pid, signal.SIGKILL)
        writer.join(timeout=STARTUP_SECONDS)
        assert not writer.is_alive()
        assert server.stop() == -signal.SIGKILL
    assert not refused, refused
    numbers = sorted(acknowledged)
    assert numbers == list(range(SEEDED + 1, SEEDED + 1 + len(numbers)))

    with running_server(_serve(data_dir)) as (base, _), httpx.Client(base_url=base) as http:
        head = _status(http)["head"]
        stored = {event["hendelsesnummer"]: event for event in _events_from(http, SEEDED + 1)}
    # The append in flight at the kill may or may not have been committed; nothing acknowledged is lost.
    assert numbers[-1] <= head <= numbers[-1] + 1
    missing = [number for number in numbers if number not in stored]
    assert not missing, f"acknowledged but gone after the restart: {missing}"
    for number in numbers:
        assert stored[number] == _as_served(number, acknowledged[number])
    print(f"\nkill test: {len(numbers)} appends acknowledged before SIGKILL, head after restart {head}")
