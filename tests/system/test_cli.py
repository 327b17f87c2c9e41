"""The command line: a real server started as users start it, and the fixture writer."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

import emulator.http as http_edge
from emulator import configuration
from emulator.cli import build_parser, main
from emulator.eventlog import fixture as fixture_module
from emulator.eventlog.digest import log_digest
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.store import StoreMismatchError
from emulator.settings import Settings
from tests.servers import ENTRY_POINT, running_server


def demo_credentials(http: httpx.Client) -> dict[str, str]:
    """A token from the bundled demo client's secret (the curl-friendly grant) and the default key."""
    response = http.post(
        "/maskinporten/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "trygdehendelser-demo",
            "client_secret": "demo-secret",
        },
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "command",
    [[str(ENTRY_POINT), "serve"], [sys.executable, "-m", "emulator", "serve"]],
    ids=["console-script", "python-m"],
)
def test_serve_starts_a_real_server_that_answers_the_feed(command: list[str]) -> None:
    if not ENTRY_POINT.exists() and command[0] == str(ENTRY_POINT):
        pytest.fail("the console script is not installed: pip install -e .")
    with running_server([*command, "--events", "300", "--seed", "3"]) as (base, banner):
        assert "300 events (seed 3)" in banner
        with httpx.Client(base_url=base) as http:
            assert http.get("/internal/isalive").status_code == 200
            assert http.get("/internal/isready").status_code == 200
            http.headers.update(demo_credentials(http))
            page = http.get("/helse/v1/trygdehendelser/hendelser", params={"hendelsesnummer": 299}).json()
            assert page["totaltAntallHendelser"] == 2
            assert [event["hendelsesnummer"] for event in page["hendelser"]] == [299, 300]
            assert http.get("/openapi.json").json()["paths"]


def test_serve_reads_settings_from_the_environment() -> None:
    env = {"EMULATOR_EVENTS": "123", "EMULATOR_SEED": "9", "EMULATOR_TIMESTAMP_STYLE": "local"}
    with running_server([sys.executable, "-m", "emulator", "serve"], env) as (base, banner):
        assert "123 events (seed 9)" in banner
        with httpx.Client(base_url=base) as http:
            http.headers.update(demo_credentials(http))
            page = http.get("/helse/v1/trygdehendelser/hendelser", params={"hendelsesnummer": 1}).json()
    assert page["totaltAntallHendelser"] == 123
    assert "+0" not in page["hendelser"][0]["metadata"]["opprettetDato"]


def test_the_token_command_mints_tokens_the_running_server_judges() -> None:
    with running_server([sys.executable, "-m", "emulator", "serve", "--events", "50"]) as (base, banner):
        assert f"token    {base}/maskinporten/token" in banner

        def mint(*options: str) -> str:
            command = [sys.executable, "-m", "emulator", "token", "--url", base, *options]
            return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

        def status(token: str) -> int:
            headers = {
                "Ocp-Apim-Subscription-Key": "local-subscription-key",
                "Authorization": f"Bearer {token}",
            }
            feed = f"{base}/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1"
            return httpx.get(feed, headers=headers).status_code

        assert status(mint()) == 200
        assert status(mint("--lifetime", "-60")) == 401
        assert status(mint("--scope", "nav:annet")) == 403
        assert status(mint("--claim", "iss=https://elsewhere.example/")) == 401
        assert status(mint("--omit", "exp")) == 401


ADMIN_TOKEN = "admin-7c41e0"


@pytest.fixture(scope="module")
def protected_server() -> Iterator[str]:
    """A server whose control plane wants an admin token."""
    command = [sys.executable, "-m", "emulator", "serve", "--events", "20", "--admin-token", ADMIN_TOKEN]
    with running_server(command) as (base, _):
        yield base


@pytest.mark.parametrize(
    ("options", "env"),
    [(["--admin-token", ADMIN_TOKEN], {}), ([], {"EMULATOR_ADMIN_TOKEN": ADMIN_TOKEN})],
    ids=["option", "environment"],
)
def test_the_token_command_brings_the_admin_token_of_a_protected_server(
    protected_server: str, options: list[str], env: dict[str, str]
) -> None:
    command = [sys.executable, "-m", "emulator", "token", "--url", protected_server, "--lifetime", "-60", *options]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, check=False)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    headers = {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}
    feed = httpx.get(f"{protected_server}/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1", headers=headers)
    assert (feed.status_code, feed.json()["message"]) == (
        401,
        "Unauthorized. Access token is missing or invalid. The token has expired.",
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "wants its admin token: --admin-token or EMULATOR_ADMIN_TOKEN"),
        (["--admin-token", "wrong"], "401"),
    ],
    ids=["none-given", "wrong-one"],
)
def test_the_token_command_without_the_right_admin_token_says_so(
    protected_server: str, options: list[str], message: str
) -> None:
    environment = {name: value for name, value in os.environ.items() if name != "EMULATOR_ADMIN_TOKEN"}
    command = [sys.executable, "-m", "emulator", "token", "--url", protected_server, *options]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert message in done.stderr
    assert ADMIN_TOKEN not in done.stderr


def test_generate_writes_a_fixture_with_the_digest_of_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "log.json"
    assert main(["generate", "--seed", "4", "--events", "250", "--output", str(target)]) == 0
    fixture = json.loads(target.read_text())
    expected = log_digest(generate(Recipe(seed=4, events=250)))
    assert fixture["digest"] == expected
    assert expected in capsys.readouterr().err
    assert fixture["seed"] == 4
    assert fixture["format"] == "trygdehendelser-emulator/events"
    assert [event["hendelsesnummer"] for event in fixture["hendelser"]] == list(range(1, 251))


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (
            ["serve", "--port", "70000"],
            "trygdehendelser-emulator serve: --port (EMULATOR_PORT): Input should be less than or equal to 65535",
        ),
        (
            ["generate", "--events", "-1"],
            "trygdehendelser-emulator generate: --events (EMULATOR_EVENTS): Input should be greater than or equal to 0",
        ),
        (
            ["serve", "--timestamp-style", "utc"],
            "trygdehendelser-emulator serve: --timestamp-style (EMULATOR_TIMESTAMP_STYLE): "
            "Input should be 'offset' or 'local'",
        ),
        (["serve", "--port"], "trygdehendelser-emulator serve: --port (EMULATOR_PORT): expected one argument"),
    ],
    ids=["port-out-of-range", "negative-events", "unknown-timestamp-style", "option-without-value"],
)
def test_a_bad_option_is_one_line_naming_the_option_and_its_variable(
    arguments: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == line
    assert capsys.readouterr().err == ""  # no usage text


def test_a_bad_variable_is_the_same_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMULATOR_PORT", "70000")
    with pytest.raises(SystemExit) as exit_info:
        main(["serve"])
    assert exit_info.value.code == (
        "trygdehendelser-emulator serve: --port (EMULATOR_PORT): Input should be less than or equal to 65535"
    )


def test_every_setting_is_an_option_of_serve() -> None:
    serve = build_parser().parse_args(["serve"])
    assert set(Settings.model_fields) <= set(vars(serve))


def test_serve_refuses_connections_while_the_log_is_being_built(monkeypatch: pytest.MonkeyPatch) -> None:
    # A health check or a consumer started alongside is told "not yet" at once, instead of hanging.
    answers: list[int] = []

    def building(settings: Settings) -> NoReturn:
        with socket.socket() as probe:
            answers.append(probe.connect_ex(("127.0.0.1", settings.port)))
        raise StoreMismatchError("stopped while building")

    monkeypatch.setattr(http_edge, "create_app", building)
    with pytest.raises(SystemExit, match="stopped while building"):
        main(["serve", "--port", "0"])
    assert answers == [errno.ECONNREFUSED]


def test_serve_on_a_port_in_use_says_so() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            SystemExit,
            match=rf"^trygdehendelser-emulator serve: --port \(EMULATOR_PORT\): cannot listen on 127.0.0.1:{port}: "
            "Address already in use$",
        ):
            main(["serve", "--port", str(port)])


def test_serve_with_an_unusable_settings_file_says_which_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "clients.json"
    with pytest.raises(
        SystemExit, match=r"^trygdehendelser-emulator serve: --clients-file \(EMULATOR_CLIENTS_FILE\): "
    ):
        main(["serve", "--port", "0", "--events", "10", "--clients-file", str(missing)])


def test_serve_with_an_unusable_cache_dir_says_so_in_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file", encoding="utf-8")
    with pytest.raises(
        SystemExit, match=r"^trygdehendelser-emulator serve: --cache-dir \(EMULATOR_CACHE_DIR\): cannot use "
    ):
        main(["serve", "--port", "0", "--events", "10", "--cache-dir", str(blocked / "cache")])


def test_generate_through_the_cache_writes_the_same_digest_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    for _ in range(2):
        assert main(["generate", "--seed", "4", "--events", "250", "--cache-dir", str(cache), "-o", os.devnull]) == 0
    expected = log_digest(generate(Recipe(seed=4, events=250)))
    assert capsys.readouterr().err.count(expected) == 2
    assert len([path for path in cache.iterdir() if path.name.startswith("log-")]) == 1


def test_a_large_build_shows_its_progress_on_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(fixture_module, "MIN_EVENTS", 100)

    def built(settings: Settings) -> NoReturn:
        configuration.seeded_log(settings)
        raise StoreMismatchError("stopped once built")

    monkeypatch.setattr(http_edge, "create_app", built)
    with pytest.raises(SystemExit, match="stopped once built"):
        main(["serve", "--port", "0", "--events", "300"])
    assert "trygdehendelser-emulator: built 300 events in" in capsys.readouterr().err
