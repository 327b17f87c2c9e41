"""MEDL's OpenAPI document: valid OpenAPI 3, packaged, and true of the register's real answers and errors."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from emulator.errors import BadRequestError, EmulatorError, SpringNotFoundError, error_body
from emulator.eventlog.appends import EventDraft
from emulator.eventlog.events import EventType, Group
from tests.medl.world import World

REPO = Path(__file__).resolve().parents[2]
SPEC_FILE = REPO / "medl-openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
SPEC_URI = "urn:medl:openapi"
BASE = "/medlemskap/v1/medlemskapsunntak"
REGISTRY: Registry[Any] = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, DRAFT4))


def errors_against(instance: object, path: str, status: int) -> list[str]:
    schema = SPEC["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    absolute = json.loads(json.dumps(schema).replace('"#/components', f'"{SPEC_URI}#/components'))
    validator = OAS30Validator(absolute, registry=REGISTRY, format_checker=oas30_format_checker)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]


def test_the_document_is_valid_openapi_3() -> None:
    validate(SPEC)
    assert SPEC["openapi"].startswith("3.")


def test_the_repository_file_is_the_packaged_one() -> None:
    assert SPEC_FILE.is_symlink()
    assert resources.files("emulator").joinpath("medl-openapi.json").read_text("utf-8") == SPEC_FILE.read_text("utf-8")


def test_both_operations_are_documented_with_their_errors() -> None:
    listing, one = SPEC["paths"][BASE]["get"], SPEC["paths"][BASE + "/{unntakId}"]["get"]
    assert {"200", "400", "401", "403", "404", "429"} <= set(listing["responses"]) & set(one["responses"])
    assert [p["name"] for p in listing["parameters"] if p["in"] == "header" and p["required"]] == ["Nav-Personident"]
    queries = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    assert queries == {"fraOgMed", "tilOgMed", "statuser", "type", "ekskluderKilder", "inkluderSporingsinfo"}
    required = set(SPEC["components"]["schemas"]["Medlemskapsunntak"]["required"])
    assert required == {"unntakId", "ident", "fraOgMed", "tilOgMed", "status", "dekning", "helsedel", "medlem",
                        "lovvalg", "grunnlag"}  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    world = World.generated(42, 2_000)
    world.append(
        [EventDraft(EventType.OPPRETTET, personident="15918512397", group=Group.OEVRIGE,
                    medlemskapsunntak={"sporingsinformasjon": {"kilde": "LAANEKASSEN"}, "medlem": True})]
    )  # fmt: skip
    return world


@pytest.mark.parametrize("traces", [False, True])
def test_every_answer_fits_the_documented_schemas(world: World, traces: bool) -> None:
    query = {"inkluderSporingsinfo": ["true"]} if traces else {}
    persons = {world.log.event(number).personident for number in range(1, world.log.head + 1, 5)}
    for ident in sorted(persons):
        listing = orjson.loads(world.register.of_person(ident, query))
        assert errors_against(listing, BASE, 200) == []
        for entry in listing:
            single = orjson.loads(world.register.one(str(entry["unntakId"]), query))
            assert errors_against(single, BASE + "/{unntakId}", 200) == []
    assert "studieinformasjon" in orjson.loads(world.register.one(str(world.log.event(world.log.head).period_id), {}))


def spring_body(error: EmulatorError, path: str) -> Any:
    return orjson.loads(error_body(error, path=path, now_ms=1_709_552_096_789))


def test_the_errors_fit_the_documented_envelopes(world: World) -> None:
    with pytest.raises(BadRequestError) as missing:
        world.register.of_person(None, {})
    assert errors_against(spring_body(missing.value, BASE), BASE, 400) == []
    with pytest.raises(BadRequestError) as malformed:
        world.register.one("abc", {})
    assert errors_against(spring_body(malformed.value, BASE + "/abc"), BASE + "/{unntakId}", 400) == []
    with pytest.raises(SpringNotFoundError) as unknown:
        world.register.one("1", {})
    body = spring_body(unknown.value, BASE + "/1")
    assert (body["status"], body["error"]) == (404, "Not Found")
    assert errors_against(body, BASE + "/{unntakId}", 404) == []
