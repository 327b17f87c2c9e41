"""NAV's API as the emulator documents it: valid OpenAPI, faithful to NAV's page, true of every answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.routing import BaseRoute, Mount, Route

from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers

REPO = Path(__file__).resolve().parents[2]
SPEC_FILE = REPO / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
SPEC_URI = "urn:trygdehendelser:openapi"
API_PATH = "/helse/v1/trygdehendelser/hendelser"
OPERATION: dict[str, Any] = SPEC["paths"][API_PATH]["get"]
EVENTS = 500
# The seed documents the 200 body only; these are the upstream envelopes the emulator reproduces.
SPRING_ERROR_FIELDS = {"timestamp", "status", "error", "message", "path"}
GATEWAY_ERROR_FIELDS = {"statusCode", "message"}
# Against the whole document, so a `$ref` in any schema resolves the way an OpenAPI tool would resolve it.
REGISTRY: Registry[Any] = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, DRAFT4))


def validator_for(schema: dict[str, Any]) -> Any:
    """An OpenAPI 3.0 schema validator that checks formats (date-time, int32, int64) too."""
    return OAS30Validator(schema, registry=REGISTRY, format_checker=oas30_format_checker)


def component(name: str) -> dict[str, Any]:
    return {"$ref": f"{SPEC_URI}#/components/schemas/{name}"}


def documented_schema(status: int) -> dict[str, Any]:
    """The schema the operation documents for `status`, with its `$ref` made absolute for the registry."""
    schema: dict[str, Any] = OPERATION["responses"][str(status)]["content"]["application/json"]["schema"]
    return {"$ref": SPEC_URI + schema["$ref"]}


def schema_errors(instance: object, schema: dict[str, Any]) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator_for(schema).iter_errors(instance)]


def resolve(pointer: str) -> Any:
    node: Any = SPEC
    for part in pointer.lstrip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part.replace("~1", "/").replace("~0", "~")]
    return node


# NAV's page's Norwegian texts, where the document must carry them word for word.
SEED_DESCRIPTIONS: list[tuple[str, str]] = [
    ("/components/schemas/Trygdehendelse/description", "Responsen fra GET /api/v1/hendelser"),
    (
        "/components/schemas/Trygdehendelse/properties/antallHendelser/description",
        'Antall hendelser i listen "hendelser".',
    ),
    (
        "/components/schemas/Trygdehendelse/properties/hendelser/description",
        "Liste med hendelser basert på request.",
    ),
    (
        "/components/schemas/Trygdehendelse/properties/totaltAntallHendelser/description",
        "Totalt antall tilgjengelige hendelser som tilfredsstiller requesten.",
    ),
    ("/components/schemas/Hendelse/description", "Beskrivelse av èn enkelthendelse."),
    ("/components/schemas/Hendelse/properties/hendelsesnummer/description", "Hendelsens sekvensnummer."),
    (
        "/components/schemas/Hendelse/properties/type/description",
        "Beskriver hva hendelsen omhandler, eksempelvis melding om endring/oppretting/avsluttning av en "
        "medlemskapsperiode.",
    ),
    ("/components/schemas/Innhold/description", "En hendelses sentrale innhold"),
    (
        "/components/schemas/Innhold/properties/periodeId/description",
        "Identifikator for medlemskapsperioden hendelsen gjelder. Brukes ved oppslag i Medlemskapsregisteret.",
    ),
    ("/components/schemas/Innhold/properties/personident/description", "FNR/DNR som hendelsen gjelder."),
    ("/components/schemas/Metadata/description", "Beskrivelse av en hendelse."),
    (
        "/components/schemas/Metadata/properties/hjemmelgruppe/description",
        "Hvilken hjemmelgruppe hendelsene tilhører.",
    ),
    (
        "/components/schemas/Metadata/properties/opprettetDato/description",
        "Tidsstempel da hendelsen ble motatt fra Medlemskapsregisteret.",
    ),
    (
        "/paths/~1helse~1v1~1trygdehendelser~1hendelser/get/parameters/0/description",
        "Hendelsesnummer man ønsker å hente fra og med.",
    ),
    (
        "/paths/~1helse~1v1~1trygdehendelser~1hendelser/get/parameters/1/description",
        "Antall hendelser konsument ønsker å hente ut etter innsendt hendelsesnummer.",
    ),
    (
        "/paths/~1helse~1v1~1trygdehendelser~1hendelser/get/parameters/2/description",
        'Filter for hjemmelgruppe, der "ALLE" inkluderer både "OEVRIGE" og "EOS".',
    ),
    (
        "/components/securitySchemes/Ocp-Apim-Subscription-Key/description",
        "Subscription key which provides access to this API. Found in your Profile.",
    ),
]


# The seed's formats, enums and titles, which clients generate types from.
SEED_KEYWORDS: list[tuple[str, object]] = [
    ("/components/schemas/Trygdehendelse/properties/antallHendelser/format", "int32"),
    ("/components/schemas/Trygdehendelse/properties/totaltAntallHendelser/format", "int64"),
    ("/components/schemas/Hendelse/properties/hendelsesnummer/format", "int64"),
    ("/components/schemas/Innhold/properties/periodeId/format", "int64"),
    ("/components/schemas/Metadata/properties/opprettetDato/format", "date-time"),
    ("/components/schemas/Metadata/properties/hjemmelgruppe/enum", ["EOS", "OEVRIGE", "ALLE"]),
    ("/components/schemas/Hendelse/properties/type/enum", ["OPPRETTET", "ENDRET", "ANNULLERT"]),
    ("/components/schemas/Trygdehendelse/title", "Trygdehendelse"),
    ("/components/schemas/Hendelse/title", "Hendelse"),
    ("/components/schemas/Innhold/title", "Innhold"),
    ("/components/schemas/Metadata/title", "Metadata"),
]


def pointer_id(pointer: str) -> str:
    """A test id from a JSON pointer: its meaningful segments."""
    noise = {"components", "schemas", "properties", "paths", "get", "securitySchemes"}
    return "-".join(part for part in pointer.split("/") if part and part not in noise and not part.startswith("~1"))


def test_document_is_valid_openapi_3_0() -> None:
    assert SPEC["openapi"] == "3.0.3"
    validate(SPEC)


def test_repo_root_document_is_a_link_to_the_packaged_one() -> None:
    # The app serves the copy inside the package; the root one is what tools and people find first.
    assert SPEC_FILE.is_symlink()
    assert SPEC_FILE.resolve() == REPO / "emulator" / "openapi.json"


def test_operation_is_navs() -> None:
    assert list(SPEC["paths"]) == [API_PATH]
    assert list(SPEC["paths"][API_PATH]) == ["get"]
    assert OPERATION["operationId"] == "hentTrygdehendelserUsingGET"
    assert OPERATION["summary"] == "Hent hendelser fra kø."
    assert OPERATION["description"].startswith("Tjenesten tillater konsumenter å hente ut hendelser om personer")


@pytest.mark.parametrize(
    ("name", "required", "schema"),
    [
        ("hendelsesnummer", True, {"type": "integer", "format": "int64", "minimum": 0}),
        (
            "antallHendelser",
            False,
            {"type": "integer", "format": "int32", "minimum": 1, "maximum": 100, "default": 100},
        ),
        ("hjemmelgruppe", False, {"type": "string", "enum": ["EOS", "OEVRIGE", "ALLE"], "default": "ALLE"}),
    ],
    ids=["hendelsesnummer", "antallHendelser", "hjemmelgruppe"],
)
def test_query_parameter_is_documented_as_the_emulator_reads_it(
    name: str, required: bool, schema: dict[str, Any]
) -> None:
    (parameter,) = [p for p in OPERATION["parameters"] if p["name"] == name]
    assert parameter["in"] == "query"
    assert parameter["required"] is required
    assert parameter["schema"] == schema


@pytest.mark.parametrize(("pointer", "text"), SEED_DESCRIPTIONS, ids=[pointer_id(p) for p, _ in SEED_DESCRIPTIONS])
def test_description_is_navs_text_verbatim(pointer: str, text: str) -> None:
    assert resolve(pointer) == text


@pytest.mark.parametrize(("pointer", "expected"), SEED_KEYWORDS, ids=[pointer_id(p) for p, _ in SEED_KEYWORDS])
def test_schema_keyword_is_the_seeds(pointer: str, expected: object) -> None:
    assert resolve(pointer) == expected


@pytest.mark.parametrize("name", ["Trygdehendelse", "Hendelse", "Innhold", "Metadata"], ids=str)
def test_seed_schema_has_no_required_list_but_rejects_stray_fields(name: str) -> None:
    # NAV's schema names no required fields; a stray one is what would slip past a looser document.
    assert "required" not in SPEC["components"]["schemas"][name]
    assert schema_errors({}, component(name)) == []
    assert schema_errors({"ukjent": 1}, component(name)) != []


@pytest.mark.parametrize(
    ("status", "schema_name", "fields"),
    [
        (400, "SpringError", SPRING_ERROR_FIELDS),
        (401, "GatewayError", GATEWAY_ERROR_FIELDS),
        (403, "GatewayError", GATEWAY_ERROR_FIELDS),
        (404, "GatewayError", GATEWAY_ERROR_FIELDS),
        (429, "GatewayError", GATEWAY_ERROR_FIELDS),
    ],
    ids=["400-spring", "401-gateway", "403-gateway", "404-gateway", "429-gateway"],
)
def test_error_status_documents_its_upstream_envelope(status: int, schema_name: str, fields: set[str]) -> None:
    assert documented_schema(status) == component(schema_name)
    schema = SPEC["components"]["schemas"][schema_name]
    assert set(schema["required"]) == fields == set(schema["properties"])
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("status", "header"),
    [(401, "WWW-Authenticate"), (403, "WWW-Authenticate"), (429, "Retry-After")],
    ids=["401-www-authenticate", "403-www-authenticate", "429-retry-after"],
)
def test_error_status_documents_its_header(status: int, header: str) -> None:
    assert header in OPERATION["responses"][str(status)]["headers"]


def test_responses_are_the_seeds_and_the_upstream_errors() -> None:
    assert set(OPERATION["responses"]) == {"200", "400", "401", "403", "404", "429"}
    assert documented_schema(200) == component("Trygdehendelse")


def test_every_request_needs_subscription_key_and_bearer_token() -> None:
    schemes = SPEC["components"]["securitySchemes"]
    assert SPEC["security"] == [{"Ocp-Apim-Subscription-Key": [], "bearerAuth": []}]
    assert schemes["Ocp-Apim-Subscription-Key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Ocp-Apim-Subscription-Key",
        "description": "Subscription key which provides access to this API. Found in your Profile.",
    }
    bearer = schemes["bearerAuth"]
    assert (bearer["type"], bearer["scheme"], bearer["bearerFormat"]) == ("http", "bearer", "JWT")
    assert bearer["description"].startswith("Standard Authorization header som inneholder et Base64-kodet")
    assert "nav:helse/v1/trygdehendelser" in bearer["description"]


def test_servers_are_the_emulator_then_navs_test_and_production() -> None:
    assert [server["url"] for server in SPEC["servers"]] == [
        "http://127.0.0.1:8080",
        "https://api-preprod.nav.no",
        "https://api.nav.no",
    ]


def documented_examples() -> Iterator[Any]:
    for status, response in OPERATION["responses"].items():
        media = response.get("content", {}).get("application/json", {})
        if "example" in media:
            yield pytest.param(int(status), media["example"], id=f"{status}-example")
        for name, example in media.get("examples", {}).items():
            yield pytest.param(int(status), example["value"], id=f"{status}-{name}")


@pytest.mark.parametrize(("status", "example"), list(documented_examples()))
def test_documented_example_matches_its_schema(status: int, example: object) -> None:
    assert schema_errors(example, documented_schema(status)) == []


@pytest.mark.parametrize(
    ("timestamp", "valid"),
    [
        ("2023-01-01T00:07:46.680+01:00", True),
        ("2026-11-27T15:00:00.000+00:00", True),
        ("2023-01-01T00:07:46.680Z", True),
        ("2023-01-01T00:07:46.680", False),
        ("2023-01-01", False),
        ("string", False),
    ],
    ids=["oslo-offset", "utc-offset", "zulu", "local-date-time", "date-only", "placeholder"],
)
def test_date_time_format_is_enforced(timestamp: str, valid: bool) -> None:
    # Without rfc3339-validator installed jsonschema skips date-time silently; this keeps that from hiding.
    metadata = {"hjemmelgruppe": "EOS", "opprettetDato": timestamp}
    assert (schema_errors(metadata, component("Metadata")) == []) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [(2**63 - 1, True), (2**63, False), (0, True)],
    ids=["int64-max", "past-int64", "zero"],
)
def test_int64_format_is_enforced(value: int, valid: bool) -> None:
    assert (schema_errors({"hendelsesnummer": value}, component("Hendelse")) == []) is valid


# --- the running app -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app() -> FastAPI:
    # Not conftest's shared app: the page sizes expected below are counted on a log of exactly EVENTS events.
    return create_app(Settings(seed=7, events=EVENTS))


def call(app: FastAPI, method: str, url: str) -> httpx.Response:
    with InProcessClient(app, headers=api_headers(app)) as client:
        return client.request(method, url)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def route_paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, frozenset[str]]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from route_paths(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, frozenset(route.methods or ())


def test_app_serves_the_repo_root_document(app: FastAPI) -> None:
    response = call(app, "GET", "/openapi.json")
    assert response.status_code == 200
    assert media_type(response) == "application/json"
    assert response.json() == SPEC


def test_app_routes_and_documented_paths_agree(app: FastAPI) -> None:
    routes = dict(route_paths(list(app.routes)))
    for path, operations in SPEC["paths"].items():
        assert path in routes, f"{path} is documented but not routed"
        assert {method.upper() for method in operations} <= routes[path]
    nav_routes = {path for path in routes if path.startswith("/helse/")}
    assert nav_routes <= set(SPEC["paths"]), f"undocumented NAV routes: {nav_routes - set(SPEC['paths'])}"


@pytest.mark.parametrize(
    ("query", "expected_events"),
    [
        ("hendelsesnummer=1", 100),
        ("hendelsesnummer=1&hjemmelgruppe=ALLE", 100),
        ("hendelsesnummer=1&hjemmelgruppe=EOS&antallHendelser=100", 100),
        ("hendelsesnummer=1&hjemmelgruppe=OEVRIGE&antallHendelser=50", 50),
        ("hendelsesnummer=0&antallHendelser=1", 1),
        ("hendelsesnummer=250&antallHendelser=10&hjemmelgruppe=ALLE", 10),
        ("hendelsesnummer=250&antallHendelser=10&hjemmelgruppe=EOS", 10),
        ("hendelsesnummer=250&antallHendelser=10&hjemmelgruppe=OEVRIGE", 10),
        (f"hendelsesnummer={EVENTS - 2}&antallHendelser=100", 3),
        (f"hendelsesnummer={EVENTS}&antallHendelser=1", 1),
        (f"hendelsesnummer={EVENTS + 1}", 0),
        (f"hendelsesnummer={EVENTS + 1}&hjemmelgruppe=EOS", 0),
        (f"hendelsesnummer={2**63 - 1}&hjemmelgruppe=OEVRIGE", 0),
    ],
    ids=[
        "start-defaults",
        "start-alle",
        "start-eos",
        "start-oevrige",
        "zero-as-one",
        "middle-alle",
        "middle-eos",
        "middle-oevrige",
        "partial-page-at-head",
        "last-event",
        "past-head-empty",
        "past-head-eos-empty",
        "int64-max-empty",
    ],
)
def test_page_matches_trygdehendelse_schema(app: FastAPI, query: str, expected_events: int) -> None:
    response = call(app, "GET", f"{API_PATH}?{query}")
    assert response.status_code == 200
    assert media_type(response) == "application/json"
    body = response.json()
    assert schema_errors(body, documented_schema(200)) == []
    # The count keeps the schema check honest: a page meant to hold events is not silently empty.
    assert len(body["hendelser"]) == body["antallHendelser"] == expected_events


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "hendelsesnummer"),
        ("antallHendelser=10", "hendelsesnummer"),
        ("hendelsesnummer=", "hendelsesnummer"),
        ("hendelsesnummer=abc", "hendelsesnummer"),
        ("hendelsesnummer=1.5", "hendelsesnummer"),
        ("hendelsesnummer=-1", "hendelsesnummer"),
        (f"hendelsesnummer={2**63}", "hendelsesnummer"),
        ("hendelsesnummer=1&antallHendelser=0", "antallHendelser"),
        ("hendelsesnummer=1&antallHendelser=101", "antallHendelser"),
        ("hendelsesnummer=1&antallHendelser=-5", "antallHendelser"),
        ("hendelsesnummer=1&antallHendelser=ti", "antallHendelser"),
        ("hendelsesnummer=1&hjemmelgruppe=UKJENT", "hjemmelgruppe"),
        ("hendelsesnummer=1&hjemmelgruppe=eos", "hjemmelgruppe"),
    ],
    ids=[
        "no-query",
        "hendelsesnummer-missing",
        "hendelsesnummer-empty",
        "hendelsesnummer-not-integer",
        "hendelsesnummer-decimal",
        "hendelsesnummer-negative",
        "hendelsesnummer-past-int64",
        "antallHendelser-zero",
        "antallHendelser-101",
        "antallHendelser-negative",
        "antallHendelser-not-integer",
        "hjemmelgruppe-unknown",
        "hjemmelgruppe-lower-case",
    ],
)
def test_bad_parameter_gets_spring_error_naming_it(app: FastAPI, query: str, parameter: str) -> None:
    response = call(app, "GET", f"{API_PATH}?{query}")
    assert response.status_code == 400
    assert media_type(response) == "application/json"
    body = response.json()
    # The schema checks `timestamp` against date-time with the format checker.
    assert schema_errors(body, documented_schema(400)) == []
    assert (body["status"], body["error"], body["path"]) == (400, "Bad Request", API_PATH)
    assert parameter in body["message"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/helse/v1/trygdehendelser/ukjent?hendelsesnummer=1"),
        ("GET", "/helse/v1/trygdehendelser"),
        ("GET", "/index.html"),
        ("POST", f"{API_PATH}?hendelsesnummer=1"),
        ("PUT", f"{API_PATH}?hendelsesnummer=1"),
        ("DELETE", f"{API_PATH}?hendelsesnummer=1"),
    ],
    ids=["other-path", "parent-path", "not-the-dashboard", "post", "put", "delete"],
)
def test_unserved_path_or_method_gets_gateway_404(app: FastAPI, method: str, url: str) -> None:
    response = call(app, method, url)
    assert response.status_code == 404
    assert media_type(response) == "application/json"
    body = response.json()
    assert schema_errors(body, documented_schema(404)) == []
    assert body == {"statusCode": 404, "message": "Resource not found"}


def documented_answer_errors(response: httpx.Response, status: int) -> list[str]:
    """How `response` departs from what the document says `status` looks like: media type, headers, body."""
    documented = OPERATION["responses"][str(status)]
    problems = [] if media_type(response) == "application/json" else [f"media type {media_type(response)}"]
    problems += [f"no {header} header" for header in documented.get("headers", {}) if header not in response.headers]
    return problems + schema_errors(response.json(), documented_schema(status))


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Ocp-Apim-Subscription-Key": ""}, 401),
        ({"Ocp-Apim-Subscription-Key": "no-such-key"}, 401),
        ({"Authorization": ""}, 401),
        ({"Authorization": "Bearer not-a-jwt"}, 401),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
    ],
    ids=["key-missing", "key-unknown", "token-missing", "token-malformed", "not-bearer"],
)
def test_gateway_refusal_is_as_documented(app: FastAPI, headers: dict[str, str], status: int) -> None:
    with InProcessClient(app, headers={**api_headers(app), **headers}) as client:
        for name, value in headers.items():
            if not value:
                del client.headers[name]
        response = client.get(f"{API_PATH}?hendelsesnummer=1")
    assert response.status_code == status
    assert documented_answer_errors(response, status) == []


def test_token_without_the_scope_is_refused_as_documented(app: FastAPI) -> None:
    with InProcessClient(app, headers=api_headers(app, scope="nav:annet/v1/api")) as client:
        response = client.get(f"{API_PATH}?hendelsesnummer=1")
    assert response.status_code == 403
    assert documented_answer_errors(response, 403) == []


def test_rate_limited_request_is_refused_as_documented() -> None:
    limited = create_app(Settings(seed=7, events=50, rate_limit="1/60"))
    with InProcessClient(limited, headers=api_headers(limited)) as client:
        assert client.get(f"{API_PATH}?hendelsesnummer=1").status_code == 200
        response = client.get(f"{API_PATH}?hendelsesnummer=1")
    assert response.status_code == 429
    assert documented_answer_errors(response, 429) == []
