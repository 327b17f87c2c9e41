"""Appending events through the control plane: explicit, checked against each period's lifecycle, generated."""

from __future__ import annotations

import pytest

from tests.http.control import SEEDED, Emulator, Json, epoch_ms, ident, real_looking_fnr


def test_explicit_events_are_appended_in_order_and_their_numbers_returned(emulator: Emulator) -> None:
    person, period = ident(11), 9_000_001
    appended = emulator.ok(
        "POST",
        "/_emulator/events",
        {
            "events": [
                {"type": "OPPRETTET", "periodeId": period, "personident": person, "hjemmelgruppe": "OEVRIGE"},
                {"type": "ENDRET", "periodeId": period},
                {"type": "ANNULLERT", "periodeId": period},
            ]
        },
    )
    assert appended == {"first": SEEDED + 1, "last": SEEDED + 3, "count": 3, "head": SEEDED + 3}
    fresh = emulator.ok("POST", "/_emulator/events", {"events": [{"type": "OPPRETTET", "personident": ident(12)}]})
    assert (fresh["first"], fresh["last"], fresh["head"]) == (SEEDED + 4, SEEDED + 4, SEEDED + 4)

    events = emulator.events(SEEDED)
    new = events[1:]
    assert [event["hendelsesnummer"] for event in new] == [SEEDED + 1, SEEDED + 2, SEEDED + 3, SEEDED + 4]
    assert [event["type"] for event in new] == ["OPPRETTET", "ENDRET", "ANNULLERT", "OPPRETTET"]
    for event in new[:3]:
        assert event["innhold"] == {"periodeId": period, "personident": person}
        assert event["metadata"]["hjemmelgruppe"] == "OEVRIGE"
    assert new[3]["innhold"]["periodeId"] > period, "a new period gets a new, higher id"
    assert new[3]["metadata"]["hjemmelgruppe"] == "EOS"
    stamps = [epoch_ms(event["metadata"]["opprettetDato"]) for event in events]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        ([{"type": "ENDRET", "periodeId": 8_888_888}], "does not exist"),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident()},
                {"type": "ANNULLERT", "periodeId": 8_888_888},
                {"type": "ENDRET", "periodeId": 8_888_888},
            ],
            "annulled",
        ),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident(1)},
                {"type": "ENDRET", "periodeId": 8_888_888, "personident": ident(2)},
            ],
            "personident",
        ),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident(), "hjemmelgruppe": "EOS"},
                {"type": "ENDRET", "periodeId": 8_888_888, "hjemmelgruppe": "OEVRIGE"},
            ],
            "hjemmelgruppe never changes",
        ),
        ([{"type": "OPPRETTET", "personident": real_looking_fnr()}], "not synthetic"),
        (
            [{"type": "OPPRETTET", "personident": ident(), "opprettetDato": "2023-01-01T00:00:00.000+01:00"}],
            "may not be earlier",
        ),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident()},
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident()},
            ],
            "already exists",
        ),
    ],
    ids=[
        "endret-unknown-period",
        "endret-annulled-period",
        "changed-personident",
        "changed-hjemmelgruppe",
        "real-looking-personident",
        "earlier-than-the-head",
        "opprettet-twice",
    ],
)
def test_lifecycle_violations_are_refused_with_a_reason_and_append_nothing(
    emulator: Emulator, events: list[Json], reason: str
) -> None:
    before = emulator.status()
    response = emulator.call("POST", "/_emulator/events", {"events": events})
    assert response.status_code == 400, response.text
    assert reason in response.json()["detail"]
    after = emulator.status()
    assert (after["head"], after["digest"]) == (before["head"], before["digest"])


def test_generate_appends_n_events_that_keep_every_period_consistent(emulator: Emulator) -> None:
    appended = emulator.ok("POST", "/_emulator/events", {"generate": 60})
    assert appended == {"first": SEEDED + 1, "last": SEEDED + 60, "count": 60, "head": SEEDED + 60}
    events = emulator.events()
    assert [event["hendelsesnummer"] for event in events] == list(range(1, SEEDED + 61))
    periods: dict[int, list[Json]] = {}
    for event in events:
        periods.setdefault(event["innhold"]["periodeId"], []).append(event)
    for lifecycle in periods.values():
        kinds = [event["type"] for event in lifecycle]
        assert kinds[0] == "OPPRETTET"
        assert "OPPRETTET" not in kinds[1:]
        assert "ANNULLERT" not in kinds[:-1]
        assert len({event["innhold"]["personident"] for event in lifecycle}) == 1
        assert len({event["metadata"]["hjemmelgruppe"] for event in lifecycle}) == 1
    stamps = [epoch_ms(event["metadata"]["opprettetDato"]) for event in events]
    assert stamps == sorted(stamps)
