"""Fixtures of the HTTP tests: a fresh in-process emulator per test on a small seeded log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers
from tests.http.control import SEEDED, Emulator, Make


@pytest.fixture
def make(signing_key_file: Path) -> Iterator[Make]:
    """A new emulator per call on a small seeded log, with a client that carries the API's credentials."""
    made: list[InProcessClient] = []

    def build(**options: Any) -> Emulator:
        app = create_app(Settings(**{"events": SEEDED, "signing_key_file": signing_key_file, **options}))
        http = InProcessClient(app, headers=api_headers(app))
        made.append(http)
        return Emulator(app, http)

    yield build
    for http in made:
        http.close()


@pytest.fixture
def emulator(make: Make) -> Emulator:
    return make()
