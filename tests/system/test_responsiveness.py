"""A large append never stalls the server: health and the feed keep answering while 100,000 events go in.

A real server, started as users start it. No timing assertions and no sleeps: each probe has a client timeout
of a few seconds, which a blocked event loop would exceed many times over (the same append held it for 104 s),
and the test counts the probes answered while the append was still running.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx

from emulator.eventlog.identities import synthetic_identity
from tests.servers import PYTHON_M, running_server

FEED = "/helse/v1/trygdehendelser/hendelser"
BATCH = 100_000
PROBE_TIMEOUT = httpx.Timeout(10.0)
APPEND_TIMEOUT = httpx.Timeout(600.0)
PROBES_DURING = 5


def _batch() -> dict[str, Any]:
    rng = random.Random(7)
    first_id = 10**12
    events: list[dict[str, Any]] = []
    for index in range(BATCH // 2):
        events.append({"type": "OPPRETTET", "periodeId": first_id + index, "personident": synthetic_identity(rng)})
        events.append({"type": "ENDRET", "periodeId": first_id + index})
    return {"events": events}


def _credentials(http: httpx.Client) -> dict[str, str]:
    grant = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}
    token = http.post("/maskinporten/token", data=grant).json()["access_token"]
    return {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}


def test_health_and_the_feed_answer_while_a_100000_event_append_runs() -> None:
    body = _batch()
    with (
        running_server([*PYTHON_M, "serve", "--events", "1000"]) as (base_url, _),
        httpx.Client(base_url=base_url, timeout=PROBE_TIMEOUT) as probe,
        httpx.Client(base_url=base_url, timeout=APPEND_TIMEOUT) as appender,
    ):
        headers = _credentials(probe)
        answers: list[httpx.Response] = []
        done = threading.Event()

        def append() -> None:
            try:
                answers.append(appender.post("/_emulator/events", json=body))
            finally:
                done.set()

        worker = threading.Thread(target=append)
        worker.start()
        during = 0
        try:
            # Until the append has answered; any probe the loop cannot answer in time raises ReadTimeout here.
            while not done.is_set():
                assert probe.get("/internal/isalive").status_code == 200
                page = probe.get(FEED, params={"hendelsesnummer": 1, "antallHendelser": 10}, headers=headers)
                assert page.status_code == 200
                assert len(page.json()["hendelser"]) == 10
                during += not done.is_set()
        finally:
            worker.join()
        (answer,) = answers
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json()["count"] == BATCH
        assert during >= PROBES_DURING, "the probes overlapped the append"
        head = probe.get("/_emulator/status").json()["head"]
        assert head == 1000 + BATCH
