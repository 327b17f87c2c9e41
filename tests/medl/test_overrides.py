"""MEDL fields given with appends and fixtures: what they set, what is still generated, and the rules they keep."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from emulator.backend import Backend
from emulator.configuration import SettingsError, seeded_log
from emulator.eventlog.appends import AppendRejectedError, EventDraft
from emulator.eventlog.events import EventType, Group
from emulator.eventlog.fixture import FixtureError, SeededLog, events_log, write_fixture
from emulator.eventlog.store import DATABASE_NAME, Store
from emulator.medl import check_planned
from emulator.settings import Settings
from tests.medl.world import World

PERSON = "15918512397"


def opened(world: World, group: Group = Group.EOS, **fields: Any) -> int:
    numbers = world.append([EventDraft(EventType.OPPRETTET, personident=PERSON, group=group, medlemskapsunntak=fields)])
    return world.log.event(numbers[0]).period_id


def test_opprettet_sets_the_given_fields_and_generates_the_rest() -> None:
    world = World.generated(42, 100)
    period_id = opened(world, fraOgMed="2024-01-01", tilOgMed="2024-12-31", grunnlag="FO_13_1_a", lovvalgsland="SWE")
    answer = world.one(period_id)
    assert (answer["fraOgMed"], answer["tilOgMed"]) == ("2024-01-01", "2024-12-31")
    assert (answer["grunnlag"], answer["lovvalgsland"], answer["medlem"]) == ("FO_13_1_a", "SWE", False)
    assert answer["dekning"] in ("Unntatt", "IHT_Avtale_Forord")


def test_endret_changes_only_what_it_gives_and_counts_a_version() -> None:
    world = World.generated(42, 100)
    period_id = opened(world, status="UAVK", tilOgMed="2030-01-01", fraOgMed="2029-01-01")
    before = world.one(period_id)
    world.append([EventDraft(EventType.ENDRET, period_id=period_id, medlemskapsunntak={"status": "GYLD"})])
    after = world.one(period_id)
    assert after["status"] == "GYLD"
    assert after["sporingsinformasjon"]["versjon"] == 1
    changed = {name for name in after if name != "sporingsinformasjon" and after.get(name) != before.get(name)}
    # The given status, what follows it (lovvalg), and the change this version makes anyway (its drawn group).
    assert "status" in changed
    assert changed <= {"status", "lovvalg", "statusaarsak", "tilOgMed", "dekning", "helsedel"}


def test_given_fields_stay_until_something_changes_them() -> None:
    world = World.generated(42, 100)
    period_id = opened(world, group=Group.OEVRIGE, grunnlag="USA_5_2", lovvalgsland="USA")
    for _ in range(5):
        world.append([EventDraft(EventType.ENDRET, period_id=period_id)])
    answer = world.one(period_id)
    assert (answer["grunnlag"], answer["lovvalgsland"]) == ("USA_5_2", "USA")
    assert answer["sporingsinformasjon"]["versjon"] == 5


def test_kilde_and_kildedokument_may_be_given_when_the_period_is_made() -> None:
    world = World.generated(42, 100)
    period_id = opened(world, sporingsinformasjon={"kilde": "LAANEKASSEN", "kildedokument": "Henv_Soknad"})
    answer = world.one(period_id)
    assert answer["sporingsinformasjon"]["kilde"] == "LAANEKASSEN"
    assert answer["studieinformasjon"]["statsborgerland"] == "NOR"


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"status": "KLAR"}, "medlemskapsunntak.status: unknown code 'KLAR'"),
        ({"dekning": "Halv"}, "medlemskapsunntak.dekning: unknown code"),
        ({"lovvalgsland": "XXX"}, "medlemskapsunntak.lovvalgsland: unknown ISO 3166 alpha-3 code"),
        ({"fraOgMed": "2024-02-30"}, "medlemskapsunntak.fraOgMed: must be a date"),
        ({"fraOgMed": "1800-01-01"}, "medlemskapsunntak.fraOgMed: must lie between"),
        ({"helsedel": "ja"}, "medlemskapsunntak.helsedel: must be true or false"),
        (
            {"fraOgMed": "2024-02-01", "tilOgMed": "2024-01-31"},
            "medlemskapsunntak.tilOgMed: may not be before fraOgMed",
        ),
        ({"grunnlag": "FTL_2-8"}, "an EOS period's grunnlag is an article of the EU regulation"),
        ({"lovvalgsland": "USA"}, "an EOS period's lovvalgsland is an EU/EEA country"),
        ({"status": "GYLD", "statusaarsak": "Avvist"}, "a GYLD period has none"),
        ({"statusaarsak": "Feilregistrert"}, "Feilregistrert is what ANNULLERT sets"),
        ({"versjon": 3}, "medlemskapsunntak.versjon: not a field"),
        ({"sporingsinformasjon": {"versjon": 3}}, "sporingsinformasjon.versjon: follows the feed's events"),
        ({"unntakId": 1}, "medlemskapsunntak.unntakId: is the event's periodeId"),
        ({"ident": "01818012345"}, "medlemskapsunntak.ident: is the event's personident"),
    ],
)
def test_a_field_that_breaks_a_rule_rejects_the_whole_batch(fields: dict[str, Any], rule: str) -> None:
    world = World.generated(42, 100)
    head = world.log.head
    good = EventDraft(EventType.OPPRETTET, personident=PERSON, medlemskapsunntak={"status": "GYLD"})
    bad = EventDraft(EventType.OPPRETTET, personident=PERSON, group=Group.EOS, medlemskapsunntak=fields)
    with pytest.raises(AppendRejectedError, match="event 2 of 2: ") as raised:
        world.append([good, bad])
    assert rule in str(raised.value)
    assert world.log.head == head
    assert not world.log.medl_fields


def test_an_eu_grunnlag_on_an_oevrige_period_is_refused() -> None:
    world = World.generated(42, 100)
    period_id = opened(world, group=Group.OEVRIGE)
    draft = EventDraft(EventType.ENDRET, period_id=period_id, medlemskapsunntak={"grunnlag": "FO_12_1"})
    with pytest.raises(AppendRejectedError, match=r"event 1 of 1: .*an OEVRIGE period's grunnlag is national law"):
        world.append([draft])


def test_an_endret_that_changes_nothing_is_refused() -> None:
    world = World.generated(42, 100)
    period_id = opened(world)
    same = {name: value for name, value in world.one(period_id).items() if name in ("status", "dekning")}
    # Its own drawn change is overruled by a given field only when that field is in the same group: give them all.
    current = world.one(period_id)
    every = {name: current[name] for name in ("fraOgMed", "tilOgMed", "status", "dekning", "helsedel", "lovvalg")}
    with pytest.raises(AppendRejectedError, match="an ENDRET changes at least one field"):
        world.append([EventDraft(EventType.ENDRET, period_id=period_id, medlemskapsunntak={**same, **every})])


def test_annullert_carries_no_fields() -> None:
    world = World.generated(42, 100)
    period_id = opened(world)
    with pytest.raises(AppendRejectedError, match="ANNULLERT carries no fields"):
        world.append([EventDraft(EventType.ANNULLERT, period_id=period_id, medlemskapsunntak={"status": "AVST"})])


def test_a_period_made_and_changed_in_one_batch_is_checked_in_order() -> None:
    world = World.generated(42, 100)
    drafts = [
        EventDraft(EventType.OPPRETTET, period_id=90_000_001, personident=PERSON,
                   medlemskapsunntak={"fraOgMed": "2024-01-01", "tilOgMed": "2024-03-01"}),
        EventDraft(EventType.ENDRET, period_id=90_000_001, medlemskapsunntak={"tilOgMed": "2023-12-31"}),
    ]  # fmt: skip
    with pytest.raises(AppendRejectedError, match=r"event 2 of 2: medlemskapsunntak\.tilOgMed: may not be before"):
        world.append(drafts)


def fixture_events(fields: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "hendelsesnummer": 1,
            "innhold": {"periodeId": 7, "personident": PERSON},
            "metadata": {"hjemmelgruppe": "OEVRIGE", "opprettetDato": "2024-03-04T12:00:00.000+01:00"},
            "type": "OPPRETTET",
            "medlemskapsunntak": fields,
        }
    ]


def test_an_events_fixture_may_give_medl_fields() -> None:
    log = events_log(fixture_events({"grunnlag": "FTL_2-8", "dekning": "FTL_2-6"}), "mine.json", 3, check_planned)
    answer = World(log, 3).one(7)
    assert (answer["grunnlag"], answer["dekning"], answer["helsedel"]) == ("FTL_2-8", "FTL_2-6", False)


def test_a_fixture_field_that_breaks_a_rule_names_the_fixture_and_event() -> None:
    with pytest.raises(FixtureError, match=r"mine.json: event 1 of 1: medlemskapsunntak.grunnlag: an OEVRIGE"):
        events_log(fixture_events({"grunnlag": "FO_12_1"}), "mine.json", 3, check_planned)


def test_a_written_fixture_keeps_the_given_fields() -> None:
    world = World.generated(42, 50)
    period_id = opened(world, fraOgMed="2024-01-01", tilOgMed="2025-01-01")
    stream = io.StringIO()
    write_fixture(SeededLog(world.log, 42, "x", "test"), stream)
    document = json.loads(stream.getvalue())
    again = World(events_log(document["hendelser"], "written", 42, check_planned), 42)
    assert again.one(period_id) == world.one(period_id)


def test_given_fields_are_stored_replayed_and_cut_with_the_events(tmp_path: Path) -> None:
    world = World.generated(42, 100)
    store = Store.open(tmp_path, log_identity="test")
    drafts = [
        EventDraft(EventType.OPPRETTET, period_id=90_000_001, personident=PERSON,
                   medlemskapsunntak={"tilOgMed": "2031-01-01"}),
        EventDraft(EventType.ENDRET, period_id=90_000_001),
    ]  # fmt: skip
    planned = world.appender.plan(drafts, 0)
    store.append(world.log.head + 1, planned)
    replayed = World.generated(42, 100)
    replayed.log.append([event for _, event in store.events()])
    assert replayed.one(planned[0].period_id)["sporingsinformasjon"]["versjon"] == 1
    assert replayed.log.medl_fields == {101: {"tilOgMed": "2031-01-01"}}
    store.truncate_after(100)
    assert store.events() == []
    store.close()
    with sqlite3.connect(tmp_path / DATABASE_NAME) as connection:
        assert connection.execute("SELECT count(*) FROM medl_fields").fetchone() == (0,)


def test_a_data_dir_from_before_medl_fields_opens(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DATABASE_NAME) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT")
        connection.execute("INSERT INTO meta VALUES ('log_identity', 'old')")
        connection.execute(
            "CREATE TABLE events (number INTEGER PRIMARY KEY, period_id INTEGER NOT NULL, personident TEXT NOT NULL,"
            " grp TEXT NOT NULL, type TEXT NOT NULL, created_ms INTEGER NOT NULL) STRICT"
        )
        connection.execute(f"INSERT INTO events VALUES (1, 5, '{PERSON}', 'EOS', 'OPPRETTET', 0)")
        connection.execute("PRAGMA user_version=1")
    with Store.open(tmp_path, log_identity="old") as store:
        [(number, event)] = store.events()
    assert (number, event.period_id, event.medl) == (1, 5, None)


def test_a_fixture_with_a_bad_medl_field_stops_the_start_naming_the_option(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    document = {"format": "trygdehendelser-emulator/events", "version": 1, "hendelser": fixture_events({"medlem": 1})}
    path.write_text(json.dumps(document))
    with pytest.raises(SettingsError, match=r"--fixture \(EMULATOR_FIXTURE\): .*medlemskapsunntak\.medlem: must be"):
        seeded_log(Settings(fixture=str(path)))


def test_a_backend_checks_the_fields_given_with_an_append() -> None:
    backend = Backend.from_settings(Settings(events=50))
    draft = EventDraft(EventType.OPPRETTET, personident=PERSON, medlemskapsunntak={"grunnlag": "USA_5_2"})
    with pytest.raises(AppendRejectedError, match="an EOS period's grunnlag"):
        backend.history.plan([draft])
