"""MEDL's digest beside the log's: pinned for a seed, the same bytes every time, moving with appends and resets."""

from __future__ import annotations

import hashlib

import orjson

from emulator.eventlog.appends import EventDraft
from emulator.eventlog.digest import log_digest
from emulator.eventlog.events import EventType
from emulator.medl import medl_digest
from tests.medl.world import World

# Changing how MEDL's fields are drawn changes every seeded answer: this pins them.
SEED_42_2000 = "sha256:7573a4b111e2021dbcfe26925876e1ee12859590c8bf2867306b93f9b0d1c7cc"


def test_the_digest_of_seed_42_is_pinned() -> None:
    assert medl_digest(World.generated(42, 2_000).register) == SEED_42_2000


def test_the_digest_is_sha256_of_every_record_in_unntak_id_order() -> None:
    world = World.generated(9, 300)
    opened = world.append(
        [EventDraft(EventType.OPPRETTET, personident="15918512397", medlemskapsunntak={"medlem": True})]
    )
    world.append([EventDraft(EventType.ENDRET, period_id=world.log.event(opened[0]).period_id,
                             medlemskapsunntak={"tilOgMed": "2040-01-01"})])  # fmt: skip
    period_ids = sorted(set(world.log.period_id.values.tolist()))
    records = [world.register.one(str(period_id), {"inkluderSporingsinfo": ["true"]}) for period_id in period_ids]
    assert medl_digest(world.register) == "sha256:" + hashlib.sha256(b"[" + b",".join(records) + b"]").hexdigest()


def test_the_same_seed_gives_the_same_answers_byte_for_byte() -> None:
    first, second = World.generated(11, 500), World.generated(11, 500)
    for number in range(1, 501, 7):
        event = first.log.event(number)
        query = {"inkluderSporingsinfo": ["true"]}
        assert first.register.one(str(event.period_id), query) == second.register.one(str(event.period_id), query)
        assert first.register.of_person(event.personident, {}) == second.register.of_person(event.personident, {})


def test_another_seed_gives_other_fields() -> None:
    assert medl_digest(World.generated(11, 500).register) != medl_digest(World.generated(12, 500).register)


def test_the_digest_moves_with_an_append_and_back_with_a_reset() -> None:
    world = World.generated(42, 2_000)
    feed = log_digest(world.log)
    world.append([EventDraft(EventType.ENDRET, period_id=world.log.event(2_000).period_id)])
    assert medl_digest(world.register) != SEED_42_2000
    world.reset()
    assert (medl_digest(world.register), log_digest(world.log)) == (SEED_42_2000, feed)


def test_answers_are_compact_json() -> None:
    world = World.generated(42, 50)
    body = world.register.one(str(world.log.event(1).period_id), {})
    assert body == orjson.dumps(orjson.loads(body))
