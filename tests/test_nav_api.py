"""The feed endpoint over HTTP: the wire format, the Spring 400s and API Management's 404s."""

from __future__ import annotations

import pytest

from emulator.routes.nav_api import FEED_PATH as FEED
from emulator.testing import InProcessClient

SPRING_FIELDS = ["timestamp", "status", "error", "message", "path"]
NOT_FOUND = {"statusCode": 404, "message": "Resource not found"}


def test_a_page_has_the_seed_field_order_and_json_content_type(client: InProcessClient) -> None:
    response = client.get(FEED, params={"hendelsesnummer": 1, "antallHendelser": 3})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["antallHendelser", "hendelser", "totaltAntallHendelser"]
    first = body["hendelser"][0]
    assert list(first) == ["hendelsesnummer", "innhold", "metadata", "type"]
    assert list(first["innhold"]) == ["periodeId", "personident"]
    assert list(first["metadata"]) == ["hjemmelgruppe", "opprettetDato"]
    assert [event["hendelsesnummer"] for event in body["hendelser"]] == [1, 2, 3]
    assert body["antallHendelser"] == 3
    assert body["totaltAntallHendelser"] == 2_000


@pytest.mark.parametrize(
    ("query", "numbers", "total"),
    [
        ("hendelsesnummer=0&antallHendelser=2", [1, 2], 2_000),
        ("hendelsesnummer=1999", [1999, 2000], 2),
        ("hendelsesnummer=2000&antallHendelser=1", [2000], 1),
        ("hendelsesnummer=2001", [], 0),
        ("hendelsesnummer=9223372036854775807", [], 0),
    ],
    ids=["zero-acts-as-one", "near-the-head", "the-head", "past-the-head", "int64-max"],
)
def test_pages_at_the_edges_of_the_log(client: InProcessClient, query: str, numbers: list[int], total: int) -> None:
    body = client.get(f"{FEED}?{query}").json()
    assert [event["hendelsesnummer"] for event in body["hendelser"]] == numbers
    assert body["antallHendelser"] == len(numbers)
    assert body["totaltAntallHendelser"] == total


@pytest.mark.parametrize("group", ["EOS", "OEVRIGE"], ids=["eos", "oevrige"])
def test_a_filtered_page_holds_only_that_group(client: InProcessClient, group: str) -> None:
    body = client.get(FEED, params={"hendelsesnummer": 500, "hjemmelgruppe": group}).json()
    assert body["antallHendelser"] == 100
    assert {event["metadata"]["hjemmelgruppe"] for event in body["hendelser"]} == {group}
    numbers = [event["hendelsesnummer"] for event in body["hendelser"]]
    assert numbers == sorted(numbers)
    assert numbers[0] >= 500


def test_the_filters_split_the_log(client: InProcessClient) -> None:
    totals = {
        group: client.get(FEED, params={"hendelsesnummer": 1, "hjemmelgruppe": group}).json()["totaltAntallHendelser"]
        for group in ("EOS", "OEVRIGE", "ALLE")
    }
    assert totals["EOS"] + totals["OEVRIGE"] == totals["ALLE"] == 2_000
    assert totals["EOS"] > 0
    assert totals["OEVRIGE"] > 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Required request parameter 'hendelsesnummer' for method parameter type Long is not present"),
        (
            "hendelsesnummer=",
            "Required request parameter 'hendelsesnummer' for method parameter type Long is present but "
            "converted to null",
        ),
        ("hendelsesnummer=abc", "Method parameter 'hendelsesnummer': Failed to convert"),
        ("hendelsesnummer=1.5", "Method parameter 'hendelsesnummer': Failed to convert"),
        ("hendelsesnummer=9223372036854775808", "Method parameter 'hendelsesnummer': Failed to convert"),
        ("hendelsesnummer=1_000", "Method parameter 'hendelsesnummer': Failed to convert"),
        ("hendelsesnummer=" + "9" * 5_000, "Method parameter 'hendelsesnummer': Failed to convert"),
        ("hendelsesnummer=-1", "hentTrygdehendelser.hendelsesnummer: must be greater than or equal to 0"),
        ("hendelsesnummer=1&antallHendelser=x", "Method parameter 'antallHendelser': Failed to convert"),
        (
            "hendelsesnummer=1&antallHendelser=2147483648",
            "Method parameter 'antallHendelser': Failed to convert",
        ),
        ("hendelsesnummer=1&antallHendelser=" + "1" * 5_000, "Method parameter 'antallHendelser': Failed to convert"),
        ("hendelsesnummer=1&antallHendelser=0", "antallHendelser: must be greater than or equal to 1"),
        ("hendelsesnummer=1&antallHendelser=-5", "antallHendelser: must be greater than or equal to 1"),
        ("hendelsesnummer=1&antallHendelser=101", "antallHendelser: must be less than or equal to 100"),
        ("hendelsesnummer=1&hjemmelgruppe=eos", "Method parameter 'hjemmelgruppe'"),
        ("hendelsesnummer=1&hjemmelgruppe=BEGGE", "No enum constant Hjemmelgruppe.BEGGE"),
    ],
    ids=[
        "missing",
        "empty",
        "not-a-number",
        "decimal",
        "beyond-int64",
        "underscores",
        "thousands-of-digits",
        "negative",
        "size-not-a-number",
        "size-beyond-int32",
        "size-thousands-of-digits",
        "size-zero",
        "size-negative",
        "size-over-100",
        "group-lowercase",
        "group-unknown",
    ],
)
def test_bad_parameters_get_springs_400_naming_the_parameter(client: InProcessClient, query: str, message: str) -> None:
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == SPRING_FIELDS
    assert body["status"] == 400
    assert body["error"] == "Bad Request"
    assert body["path"] == FEED
    assert body["message"].startswith(message) or message in body["message"]
    assert body["timestamp"].endswith("+00:00")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("hendelsesnummer=%2010%20", 10),
        ("hendelsesnummer=+10", 10),
        ("hendelsesnummer=0x0A", 10),
        ("hendelsesnummer=10&hendelsesnummer=20", 10),
        ("hendelsesnummer=10&antallHendelser=&hjemmelgruppe=", 10),
    ],
    ids=["whitespace", "plus-sign", "hex", "first-of-repeated", "empty-optionals"],
)
def test_spring_accepts_what_spring_converts(client: InProcessClient, query: str, first: int) -> None:
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 200
    assert response.json()["hendelser"][0]["hendelsesnummer"] == first


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/index.html"),
        ("POST", "/"),
        ("GET", "/helse/v1/trygdehendelser"),
        ("GET", f"{FEED}/"),
        ("GET", "/helse/v2/trygdehendelser/hendelser"),
        ("POST", FEED),
        ("PUT", FEED),
        ("DELETE", FEED),
        ("HEAD", FEED),
        ("OPTIONS", FEED),
    ],
    # `GET /` is the dashboard; everything else outside the API is API Management's 404.
    ids=[
        "not-the-dashboard",
        "post-to-root",
        "api-root",
        "trailing-slash",
        "other-version",
        "post",
        "put",
        "delete",
        "head",
        "options",
    ],
)
def test_anything_else_gets_the_gateways_404(client: InProcessClient, method: str, path: str) -> None:
    response = client.request(method, f"{path}?hendelsesnummer=1")
    assert response.status_code == 404
    if method != "HEAD":
        assert response.json() == NOT_FOUND
        assert response.headers["content-type"] == "application/json"


def test_routing_comes_before_parameter_checks(client: InProcessClient) -> None:
    assert client.request("POST", f"{FEED}?hendelsesnummer=x").status_code == 404
