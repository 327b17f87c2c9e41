"""The feed endpoint over HTTP: the wire format, the Spring 400s and API Management's 404s."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from urllib.parse import quote

import orjson
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.types import Message

from emulator.http.feed import FEED_PATH as FEED
from emulator.http.pipeline import Pipeline
from emulator.testing import InProcessClient, api_headers

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


# ------------------------------------------------------------------------ any query string at all

_NAMED = re.compile(
    r"(Required request parameter 'hendelsesnummer'"
    r"|Method parameter '(hendelsesnummer|antallHendelser|hjemmelgruppe)'"
    r"|hentTrygdehendelser\.(hendelsesnummer|antallHendelser): )"
)
_PIECES = st.sampled_from(
    [
        *["0", "1", "9", "-", "+", "0x", "#", "f", ".", "e", "_", "EOS", "eos", "ALLE", "OEVRIGE"],
        # Whitespace Java trims, digits of other scripts, a superscript that is no digit, NUL, stray escapes.
        *[" ", "\t", "\u2009", "\u0660", "\u0661", "\uff11", "\u00b2", "\x00", "%", "%zz", "é", "&", "=", ";"],
    ]
)
_VALUES = st.one_of(
    st.lists(_PIECES, max_size=8).map("".join),
    st.text(max_size=30),
    # Longer than Python's int() converts, with zeros of two scripts or nines in front.
    st.tuples(st.sampled_from(["0", "9", "\u0660"]), st.integers(4_000, 6_000), _PIECES).map(
        lambda parts: parts[0] * parts[1] + parts[2]
    ),
)
_NAMES = st.sampled_from(["hendelsesnummer", "antallHendelser", "hjemmelgruppe", "HENDELSESNUMMER", "x"])
_QUERIES = st.one_of(
    st.lists(st.tuples(_NAMES, _VALUES, st.sampled_from(["", "%&=+"])), max_size=4).map(
        lambda pairs: "&".join(f"{name}={quote(value, safe=safe)}" for name, value, safe in pairs).encode()
    ),
    # Raw bytes, not UTF-8 and not percent-encoded, as a careless client or a proxy might pass them on.
    st.binary(max_size=200),
)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _raw_get(app: FastAPI, loop: asyncio.AbstractEventLoop, query: bytes) -> tuple[int, dict[str, str], bytes]:
    """GET the feed with `query` as the request's query bytes, exactly: no client encodes or checks them."""
    headers = [(name.lower().encode(), value.encode()) for name, value in api_headers(app).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": FEED,
        "raw_path": FEED.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    loop.run_until_complete(app(scope, receive, send))
    response_headers = {name.decode(): value.decode() for name, value in sent[0]["headers"]}
    return sent[0]["status"], response_headers, b"".join(message.get("body", b"") for message in sent[1:])


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(query=_QUERIES)
def test_any_query_string_gets_a_page_or_springs_400_naming_a_parameter(
    app: FastAPI, loop: asyncio.AbstractEventLoop, query: bytes
) -> None:
    status, headers, body = _raw_get(app, loop, query)
    assert status in (200, 400), body[:300]
    assert headers["content-type"] == "application/json"
    answer = orjson.loads(body)
    if status == 200:
        assert answer["antallHendelser"] == len(answer["hendelser"]) <= 100
    else:
        assert list(answer) == SPRING_FIELDS
        assert _NAMED.match(answer["message"]), answer["message"][:300]


def test_only_short_query_strings_are_kept_parsed(app: FastAPI, client: InProcessClient) -> None:
    pipeline = app.hot_path  # type: ignore[attr-defined]
    assert isinstance(pipeline, Pipeline)
    short = "hendelsesnummer=3&antallHendelser=2"
    long = f"{short}&ukjent={'x' * 4_000}"
    for query in (short, long):
        assert [event["hendelsesnummer"] for event in client.get(f"{FEED}?{query}").json()["hendelser"]] == [3, 4]
    assert short.encode() in pipeline._queries
    assert long.encode() not in pipeline._queries
