"""The control plane's Swagger UI: a page whose every asset the emulator serves itself."""

from __future__ import annotations

import re

from emulator.testing import InProcessClient

DOCS = "/_emulator/docs"


def test_the_docs_page_loads_nothing_from_elsewhere(client: InProcessClient) -> None:
    page = client.get(DOCS)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links, page.text
    assert all(link.startswith(f"{DOCS}/assets/") for link in links), links
    assert "/_emulator/openapi.json" in page.text


def test_every_asset_of_the_docs_page_is_served(client: InProcessClient) -> None:
    for link in re.findall(r'(?:src|href)="([^"]+)"', client.get(DOCS).text):
        answer = client.get(link)
        assert answer.status_code == 200, link
        assert len(answer.content) > 1000, link
