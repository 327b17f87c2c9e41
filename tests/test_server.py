"""The banner `serve` prints: where everything is, and which clients are registered."""

from __future__ import annotations

from pathlib import Path

from emulator.server import _client_list
from emulator.settings import Settings


def test_the_banner_lists_the_bundled_clients() -> None:
    line = _client_list(["trygdehendelser-demo", "uten-tilgang"], Settings())
    assert line == "trygdehendelser-demo, uten-tilgang (bundled clients.json)"


def test_the_banner_names_a_custom_clients_file_and_says_when_it_registers_no_one(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    assert _client_list([], Settings(clients_file=path)) == f"none registered ({path})"


def test_a_long_client_list_is_cut_short() -> None:
    ids = [f"klient-{number}" for number in range(8)]
    line = _client_list(ids, Settings())
    assert line == "klient-0, klient-1, klient-2, klient-3, klient-4 and 3 more (bundled clients.json)"
