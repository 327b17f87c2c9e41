"""The README's promises: two commands up front, and CI running exactly its test command."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from emulator.cli import build_parser

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
