"""Fixtures: the bundled presets, what `generate` writes from them, and fixture files that are refused and why."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from emulator.cli import main
from emulator.eventlog.digest import log_digest
from emulator.eventlog.fixture import PRESETS, FixtureError, load_seeded_log
from emulator.eventlog.identities import IdentityKind, validate_synthetic
from tests.servers import PYTHON_M, STARTUP_SECONDS

Json = dict[str, Any]


def _preset(name: str) -> Json:
    document: Json = json.loads(resources.files("emulator").joinpath(f"fixtures/{name}.json").read_text("utf-8"))
    return document


def _write(tmp_path: Path, document: Json) -> str:
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_the_presets_are_bundled_and_also_reachable_as_the_fixtures_folder() -> None:
    folder = Path(__file__).resolve().parents[2] / "fixtures"
    for name in PRESETS:
        assert json.loads((folder / f"{name}.json").read_text("utf-8")) == _preset(name)


def test_the_small_preset_covers_every_edge_it_promises() -> None:
    events = _preset("small")["hendelser"]
    assert 20 <= len(events) <= 60, "a few dozen hand-made events"
    assert {event["metadata"]["hjemmelgruppe"] for event in events} == {"EOS", "OEVRIGE"}
    assert {event["type"] for event in events} == {"OPPRETTET", "ENDRET", "ANNULLERT"}

    lifecycles: dict[int, list[str]] = defaultdict(list)
    groups_of_person: dict[str, set[str]] = defaultdict(set)
    for event in events:
        lifecycles[event["innhold"]["periodeId"]].append(event["type"])
        groups_of_person[event["innhold"]["personident"]].add(event["metadata"]["hjemmelgruppe"])
    annulled = [types for types in lifecycles.values() if types[-1] == "ANNULLERT"]
    assert len(annulled) >= 2, "annulled periods"
    assert ["OPPRETTET", "ANNULLERT"] in annulled, "one annulled right after it was created"
    assert max(types.count("ENDRET") for types in lifecycles.values()) >= 10, "one period changed many times"
    assert any(groups == {"EOS", "OEVRIGE"} for groups in groups_of_person.values()), "a person in both groups"

    kinds = {validate_synthetic(ident).kind for ident in groups_of_person}
    assert kinds == {IdentityKind.FNR, IdentityKind.DNR}, "fødselsnummer and D-numbers"

    stamps = [event["metadata"]["opprettetDato"] for event in events]
    assert len(set(stamps)) < len(stamps), "equal timestamps"
    offsets = {datetime.fromisoformat(stamp).utcoffset() for stamp in stamps}
    assert len(offsets) == 2, "winter and summer time"
    days = {stamp[:10] for stamp in stamps}
    assert {"2024-03-31", "2024-10-27"} <= days, "both DST changes of 2024"


def test_the_small_preset_loads_as_the_log_it_lists() -> None:
    seeded = load_seeded_log("small", seed=1, events=10_000)
    assert seeded.log.head == len(_preset("small")["hendelser"])
    assert seeded.description == "fixture small"


def test_the_empty_preset_has_no_events_and_the_large_one_is_a_recipe_for_a_million() -> None:
    assert load_seeded_log("empty", seed=1, events=10_000).log.head == 0
    large = _preset("large")
    assert large["format"] == "trygdehendelser-emulator/recipe"
    assert large["recipe"]["events"] >= 1_000_000


@pytest.mark.parametrize("preset", ["empty", "small"])
def test_generate_writes_a_preset_as_a_fixture_that_loads_back_to_the_same_log(
    preset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / f"{preset}.json"
    assert main(["generate", "--fixture", preset, "--output", str(written)]) == 0
    original = load_seeded_log(preset, seed=1, events=10_000).log
    assert log_digest(original) in capsys.readouterr().err
    reloaded = load_seeded_log(str(written), seed=1, events=10_000)
    assert log_digest(reloaded.log) == log_digest(original)
    assert json.loads(written.read_text())["digest"] == log_digest(original)


def test_generate_writes_the_large_preset_from_its_recipe(tmp_path: Path) -> None:
    """The large recipe itself, made smaller: generating the whole million belongs in the benchmark."""
    recipe = {**_preset("large"), "recipe": {**_preset("large")["recipe"], "events": 2_000}}
    source = _write(tmp_path, recipe)
    written = tmp_path / "large.json"
    assert main(["generate", "--fixture", source, "--output", str(written)]) == 0
    document = json.loads(written.read_text())
    assert len(document["hendelser"]) == 2_000
    assert document["format"] == "trygdehendelser-emulator/events"


def _annulled_then_changed() -> Json:
    small = _preset("small")
    events = [dict(event) for event in small["hendelser"]]
    annulment = next(event for event in events if event["type"] == "ANNULLERT")
    change = {
        **annulment,
        "type": "ENDRET",
        "hendelsesnummer": len(events) + 1,
        "metadata": {**annulment["metadata"], "opprettetDato": events[-1]["metadata"]["opprettetDato"]},
    }
    return {**small, "hendelser": [*events, change]}


def _with_first_event(**innhold: Any) -> Json:
    small = _preset("small")
    first = small["hendelser"][0]
    return {**small, "hendelser": [{**first, "innhold": {**first["innhold"], **innhold}}]}


RECIPE = {"format": "trygdehendelser-emulator/recipe", "version": 1}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_annulled_then_changed(), "event 37 of 37: ENDRET for period 3100003, which is annulled"),
        ({**_preset("small"), "seed": "one"}, "seed must be an integer from 0 to 4294967295"),
        ({**_preset("small"), "seed": 2**32}, "seed must be an integer from 0 to 4294967295"),
        (_with_first_event(periodeId=3100001.5), "periodeId 3100001.5, not an integer"),
        (_with_first_event(periodeId="3100001"), "periodeId '3100001', not an integer"),
        (_with_first_event(personident=12846192393), "not a string"),
        ({**RECIPE, "recipe": {"events": 10.5}}, "recipe field events must be an integer"),
        ({**RECIPE, "recipe": {"events": True}}, "recipe field events must be an integer"),
        ({**RECIPE, "recipe": {"seed": "1"}}, "recipe field seed must be an integer"),
        ({**RECIPE, "recipe": {"events": 10**12}}, "at most 100,000,000 events"),
        ({**RECIPE, "recipe": {"history_start": "in the spring"}}, "history_start must be a date"),
        ({**RECIPE, "recipe": {"eos_permille": 1001}}, "eos_permille must be between 0 and 1000"),
        ({**RECIPE, "recipe": {"colour": "blue"}}, "unknown recipe fields ['colour']"),
    ],
    ids=[
        "endret-after-annullert",
        "seed-a-string",
        "seed-beyond-32-bits",
        "period-a-float",
        "period-a-string",
        "personident-a-number",
        "recipe-events-a-float",
        "recipe-events-true",
        "recipe-seed-a-string",
        "recipe-too-many-events",
        "recipe-history-start-not-a-date",
        "recipe-share-out-of-range",
        "recipe-unknown-field",
    ],
)
def test_a_fixture_that_cannot_be_a_log_is_refused_with_what_is_wrong(
    document: Json, message: str, tmp_path: Path
) -> None:
    with pytest.raises(FixtureError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        load_seeded_log(_write(tmp_path, document), seed=1, events=10_000)


@pytest.mark.slow
def test_serve_with_a_fixture_it_cannot_use_says_why_without_a_traceback(tmp_path: Path) -> None:
    source = _write(tmp_path, _annulled_then_changed())
    for fixture in ("no-such-preset", source):
        command = [*PYTHON_M, "serve", "--port", "0", "--fixture", fixture]
        refused = subprocess.run(command, capture_output=True, text=True, timeout=STARTUP_SECONDS, check=False)
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0, output
        assert "Traceback" not in output, output
        assert output.strip().splitlines() == [output.strip()]
        assert output.startswith("trygdehendelser-emulator serve: --fixture (EMULATOR_FIXTURE): ")
