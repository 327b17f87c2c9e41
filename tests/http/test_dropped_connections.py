"""A `drop` fault over a real socket: the answer announces its whole length, sends half and the server hangs up."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.servers import PYTHON_M, running_server

FEED = "/helse/v1/trygdehendelser/hendelser"
DEMO_GRANT = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_server([*PYTHON_M, "serve", "--events", "300"]) as (base, _):
        yield base


def _reset(base_url: str) -> None:
    assert httpx.post(f"{base_url}/_emulator/reset").status_code == 200


def _fault(base_url: str, **spec: object) -> None:
    response = httpx.post(f"{base_url}/_emulator/faults", json=spec)
    assert response.status_code == 201, response.text


def _feed(base_url: str) -> httpx.Response:
    token = httpx.post(f"{base_url}/maskinporten/token", data=DEMO_GRANT).json()["access_token"]
    headers = {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}
    return httpx.get(f"{base_url}{FEED}", params={"hendelsesnummer": 1}, headers=headers)


def test_a_dropped_feed_page_closes_the_connection_part_way_through_the_body(base_url: str) -> None:
    _reset(base_url)
    _fault(base_url, kind="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|without sending complete"):
        _feed(base_url)
    assert _feed(base_url).status_code == 200, "the next request gets its page"
    journal = httpx.get(f"{base_url}/_emulator/journal?order=oldest").json()["entries"]
    feed_entries = [(entry["status"], entry["fault"]) for entry in journal if entry["path"] == FEED]
    assert feed_entries == [(200, "f1"), (200, None)]


def test_a_dropped_token_response_closes_the_connection_part_way_through_the_body(base_url: str) -> None:
    _reset(base_url)
    _fault(base_url, kind="drop", route="token", times=1)
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|without sending complete"):
        httpx.post(f"{base_url}/maskinporten/token", data=DEMO_GRANT)
    assert httpx.post(f"{base_url}/maskinporten/token", data=DEMO_GRANT).status_code == 200
    journal = httpx.get(f"{base_url}/_emulator/journal?order=oldest").json()["entries"]
    assert [(entry["status"], entry["consumer"], entry["fault"]) for entry in journal] == [
        (200, "client:trygdehendelser-demo", "f1"),
        (200, "client:trygdehendelser-demo", None),
    ]
