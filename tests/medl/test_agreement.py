"""One world, two views: MEDL agrees with the feed for every period, after every append, by id and by person."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.eventlog import keyed_rows
from emulator.eventlog.appends import AppendRejectedError, EventDraft
from emulator.eventlog.events import EventType, Group
from emulator.eventlog.identities import synthetic_identity
from emulator.medl import codes
from tests.medl.world import World, assert_agreement

_FIELD_CHOICES: dict[str, list[object]] = {
    "fraOgMed": ["2020-01-01", "2024-02-29", "2031-12-31"],
    "tilOgMed": ["2019-12-31", "2024-06-30", "2040-01-01"],
    "status": list(codes.STATUSES),
    "statusaarsak": [None, "Avvist", "Opphort"],
    "dekning": ["Full", "Unntatt", "FTL_2-6", "IHT_Avtale"],
    "helsedel": [True, False],
    "medlem": [True, False],
    "lovvalgsland": ["NOR", "SWE", "USA"],
    "lovvalg": list(codes.LOVVALG),
    "grunnlag": ["FO_11_3_a", "FO_12_1", "FTL_2-8", "USA_5_2"],
}


def _fields(rng: random.Random) -> dict[str, object] | None:
    if rng.random() < 0.6:
        return None
    names = rng.sample(sorted(_FIELD_CHOICES), rng.randint(1, 3))
    return {name: rng.choice(_FIELD_CHOICES[name]) for name in names}


def _batch(world: World, rng: random.Random) -> list[EventDraft]:
    drafts = []
    open_periods = [
        int(period_id)
        for period_id in set(world.log.period_id.values[-300:].tolist())
        if not (state := world.appender.periods.get(int(period_id))) or not state.annulled
    ]
    for _ in range(rng.randint(1, 4)):
        if not open_periods or rng.random() < 0.35:
            drafts.append(
                EventDraft(
                    EventType.OPPRETTET,
                    personident=synthetic_identity(rng) if rng.random() < 0.7 else world.log.event(1).personident,
                    group=rng.choice([Group.EOS, Group.OEVRIGE]),
                    medlemskapsunntak=_fields(rng),
                )
            )
        else:
            kind = EventType.ANNULLERT if rng.random() < 0.1 else EventType.ENDRET
            period_id = rng.choice(open_periods)
            if kind is EventType.ANNULLERT:
                open_periods.remove(period_id)
            drafts.append(
                EventDraft(
                    kind, period_id=period_id, medlemskapsunntak=_fields(rng) if kind is EventType.ENDRET else None
                )
            )
    return drafts


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    events=st.integers(1, 120),
    steps=st.lists(st.sampled_from(["explicit", "explicit", "generated", "reset"]), min_size=1, max_size=8),
    tail_rows=st.sampled_from([3, 50, keyed_rows.TAIL_ROWS]),
)
def test_medl_agrees_with_the_feed_after_every_append(seed: int, events: int, steps: list[str], tail_rows: int) -> None:
    rng = random.Random(seed)
    with pytest.MonkeyPatch.context() as patch:
        # A short tail makes the indexes merge appended rows in, as they do every 65,536 events at scale.
        patch.setattr(keyed_rows, "TAIL_ROWS", tail_rows)
        world = World.generated(seed % 1000, events)
        assert_agreement(world)
        for step in steps:
            if step == "reset":
                world.reset()
            elif step == "generated":
                world.generate(rng.randint(1, 12))
            else:
                head = world.log.head
                try:
                    world.append(_batch(world, rng))
                except AppendRejectedError:
                    rejected = True
                else:
                    rejected = False
                if rejected:
                    assert world.log.head == head  # nothing of a rejected batch is appended
            assert_agreement(world)


def test_an_appended_endret_is_seen_at_once() -> None:
    world = World.generated(42, 200)
    period_id = world.log.event(1).period_id
    before = world.one(period_id)["sporingsinformasjon"]["versjon"]
    world.append([EventDraft(EventType.ENDRET, period_id=period_id)])
    assert world.one(period_id)["sporingsinformasjon"]["versjon"] == before + 1


def test_a_reset_takes_medl_back_with_the_feed() -> None:
    world = World.generated(42, 200)
    seeded = world.one(world.log.event(1).period_id)
    numbers = world.append(
        [
            EventDraft(EventType.ENDRET, period_id=seeded["unntakId"], medlemskapsunntak={"status": "AVST"}),
            EventDraft(EventType.OPPRETTET, personident=seeded["ident"]),
        ]
    )
    created = world.log.event(numbers[-1]).period_id
    assert created in [entry["unntakId"] for entry in world.of_person(seeded["ident"])]
    assert world.one(seeded["unntakId"])["status"] == "AVST"
    world.reset()
    assert world.one(seeded["unntakId"]) == seeded
    assert created not in [entry["unntakId"] for entry in world.of_person(seeded["ident"])]
    assert not world.log.medl_fields
