"""The banner `serve` prints: where everything is, and which clients are registered."""

from __future__ import annotations

from pathlib import Path

from emulator.server import _banner
from emulator.settings import Settings


def test_the_banner_lists_the_bundled_clients() -> None:
    banner = _banner(Settings(), 10, "seed 1", 0.1, ["trygdehendelser-demo", "uten-tilgang"])
    assert banner.splitlines()[-1] == "  clients  trygdehendelser-demo, uten-tilgang (bundled clients.json)"


def test_the_banner_names_a_custom_clients_file_and_says_when_it_registers_no_one(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    banner = _banner(Settings(clients_file=path), 10, "seed 1", 0.1, [])
    assert banner.splitlines()[-1] == f"  clients  none registered ({path})"
    assert "trygdehendelser-demo" not in banner  # a file of one's own replaces the bundled demo client


def test_a_long_client_list_is_cut_short() -> None:
    ids = [f"klient-{number}" for number in range(8)]
    last = _banner(Settings(), 10, "seed 1", 0.1, ids).splitlines()[-1]
    assert last == "  clients  klient-0, klient-1, klient-2, klient-3, klient-4 and 3 more (bundled clients.json)"
