"""The controlled clock and live mode, through the control plane."""

from __future__ import annotations

import time

import jwt

from tests.http.control import SEEDED, Emulator, epoch_ms, ident


def test_the_clock_freezes_advances_sets_and_resets_and_new_events_and_tokens_follow_it(emulator: Emulator) -> None:
    frozen = emulator.clock("freeze")
    assert frozen["frozen"] is True
    assert emulator.ok("GET", "/_emulator/clock") == frozen
    assert emulator.clock("advance", seconds=90)["now_ms"] == frozen["now_ms"] + 90_000
    assert emulator.clock("advance", seconds=-30)["now_ms"] == frozen["now_ms"] + 60_000

    # Without an offset the instant is Oslo time: summer time in May.
    moved = emulator.clock("set", now="2031-05-17T12:00:00")
    assert moved == {
        "now": "2031-05-17T12:00:00.000+02:00",
        "now_ms": epoch_ms("2031-05-17T10:00:00+00:00"),
        "frozen": True,
    }
    now_s = moved["now_ms"] // 1000

    explicit = emulator.ok("POST", "/_emulator/events", {"events": [{"type": "OPPRETTET", "personident": ident()}]})
    generated = emulator.ok("POST", "/_emulator/events", {"generate": 2})
    new = emulator.events(explicit["first"])
    assert len(new) == 3 == generated["last"] - explicit["first"] + 1
    assert {event["metadata"]["opprettetDato"] for event in new} == {"2031-05-17T12:00:00.000+02:00"}

    minted = emulator.ok("POST", "/_emulator/tokens", {})
    demo = emulator.http.post(
        "/maskinporten/token",
        data={"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"},
    )
    assert demo.status_code == 200, demo.text
    for token in (minted["access_token"], demo.json()["access_token"]):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iat"] == now_s
        assert claims["exp"] == now_s + 120
    # The credentials made at the start are from 2026 and expired by the clock's 2031.
    assert emulator.feed(1).status_code == 401

    unfrozen = emulator.clock("unfreeze")
    assert unfrozen["frozen"] is False
    assert unfrozen["now_ms"] >= moved["now_ms"]
    assert unfrozen["now_ms"] - moved["now_ms"] < 60_000, "unfreezing keeps the time it was set to"
    back = emulator.clock("reset")
    assert back["frozen"] is False
    assert abs(back["now_ms"] - time.time() * 1000) < 60_000


def test_live_mode_appends_as_the_frozen_clock_advances(emulator: Emulator) -> None:
    start = emulator.clock("freeze")["now_ms"]
    live = emulator.ok("PUT", "/_emulator/live", {"rate": 10, "pattern": "steady"})
    assert live["live"]["rate"] == 10
    assert emulator.status()["live"]["pattern"] == "steady"
    backend = emulator.backend
    assert backend.history.tick_live() == 0, "a frozen clock brings no events"

    emulator.clock("advance", seconds=3)
    assert backend.history.tick_live() == 30
    assert emulator.status()["head"] == SEEDED + 30
    stamps = [epoch_ms(event["metadata"]["opprettetDato"]) for event in emulator.events(SEEDED + 1)]
    assert len(stamps) == 30
    assert stamps == sorted(stamps)
    assert stamps[0] > start
    assert stamps[-1] == start + 3_000
    assert backend.history.tick_live() == 0, "nothing more until the clock moves"
    emulator.clock("advance", seconds=1)
    assert backend.history.tick_live() == 10

    assert emulator.ok("DELETE", "/_emulator/live") == {"live": None}
    emulator.clock("advance", seconds=5)
    assert backend.history.tick_live() == 0
    assert emulator.status()["head"] == SEEDED + 40
