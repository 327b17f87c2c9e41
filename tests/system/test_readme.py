"""The README's promises: two commands up front, and CI running exactly its test command."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from emulator.cli import build_parser
from emulator.eventlog.fixture import PRESETS
from emulator.settings import Settings, display_host
from emulator.testing.credentials import TEST_CLIENT_ID

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    return [block.strip() for block in blocks[:2]]


def test_the_readme_opens_with_a_start_and_a_test_command() -> None:
    start, test = readme_commands()
    assert "\n" not in start
    assert "\n" not in test
    assert start.endswith("trygdehendelser-emulator serve")
    assert "pytest" in test


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    _, test = readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci_lines


def test_every_serve_option_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    serve = next(
        action.choices["serve"] for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    options = [option for action in serve._actions for option in action.option_strings if option.startswith("--")]
    assert len(options) > 10
    for option in options:
        if option != "--help":
            assert f"`{option}`" in readme, option


def test_every_file_the_readme_links_to_exists() -> None:
    links = re.findall(r"\]\(([^)#]+)\)", (ROOT / "README.md").read_text())
    local = [link for link in links if "://" not in link]
    assert "fixtures/clients.json" in local
    assert [link for link in local if not (ROOT / link).exists()] == []


def _readme() -> str:
    return (ROOT / "README.md").read_text()


def test_the_readme_says_which_server_a_bare_token_command_asks() -> None:
    defaults = Settings.model_construct()
    assert f"by default `http://{display_host(defaults.host)}:{defaults.port}`" in _readme()


def test_every_fixture_file_the_readme_serves_is_made_by_a_command_before_it() -> None:
    written: set[str] = set()
    for block in re.findall(r"```sh\n(.*?)```", _readme(), flags=re.DOTALL):
        for line in block.splitlines():
            for fixture in re.findall(r"--fixture (\S+)", line):
                name = fixture.removeprefix("./")
                assert fixture in PRESETS or name in written or (ROOT / name).is_file(), line
            written.update(name.removeprefix("./") for name in re.findall(r"--output (\S+)", line))


def test_the_readme_shows_local_timestamps_with_their_milliseconds() -> None:
    readme = _readme()
    wire = re.search(r'"opprettetDato":"([^"]+)"', readme)
    assert wire is not None
    instant = wire.group(1)
    assert re.fullmatch(r".*\.\d{3}[+-]\d\d:\d\d", instant)
    local = instant[:-6]
    assert f"`{local}`" in readme
    assert f"`{instant}`" in readme


def test_the_readme_names_the_helper_client_its_test_helpers_read_as() -> None:
    assert f"`{TEST_CLIENT_ID}`" in _readme()
    assert f"`client:{TEST_CLIENT_ID}`" in _readme()


def test_the_readme_says_the_server_and_in_process_fixtures_share_no_state() -> None:
    paragraph = next(part for part in _readme().split("\n\n") if "`emulator_client`" in part)
    assert "share no state" in paragraph
