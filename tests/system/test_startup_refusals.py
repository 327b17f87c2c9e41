"""Every value `serve` cannot use stops it before it listens: one line naming the option and its variable, no traceback.

Table-driven: each case runs as a real process twice, once as an option and once as an `EMULATOR_*` variable, all
at once in threads (a refused start is short; a start that is wrongly accepted is stopped at its banner).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emulator import __version__
from emulator.settings import Settings
from tests.servers import PYTHON_M, STARTUP_SECONDS, running_server

BANNER = f"trygdehendelser-emulator {__version__}:"
# Cheap starts: the seeded log is empty, the port any free one; a case's own option or variable replaces these.
BASE_ENV = {"EMULATOR_EVENTS": "0", "EMULATOR_PORT": "0"}


@dataclass(frozen=True)
class Case:
    setting: str
    value: str  # {files} stands for the folder of files below, {busy_port} for a port in use
    reason: str  # a regular expression the reason after the setting's name must match

    @property
    def option(self) -> str:
        return "--" + self.setting.replace("_", "-")

    @property
    def variable(self) -> str:
        return "EMULATOR_" + self.setting.upper()


CASES = [
    # Unresolvable or foreign hosts, a port out of range, of the wrong type, or in use.
    Case("host", "999.1.1.1", "cannot resolve '999.1.1.1'"),
    Case("host", "no-such-host.invalid", "cannot resolve 'no-such-host.invalid'"),
    Case("host", "192.0.2.1", "cannot listen on 192.0.2.1:0: Cannot assign requested address"),
    Case("port", "abc", "valid integer"),
    Case("port", "70000", "less than or equal to 65535"),
    Case("port", "{busy_port}", "cannot listen on 127.0.0.1:[0-9]+: Address already in use"),
    Case("seed", "4294967296", "less than 4294967296"),
    Case("events", "1e3", "valid integer"),
    Case("events", "100000001", "less than or equal to 100000000"),
    # Unknown choices.
    Case("timestamp_style", "utc", "'offset' or 'local'"),
    Case("log_level", "trace", "'debug', 'info', 'warning', 'error' or 'critical'"),
    Case("auth_mode", "lax", "'open' or 'strict'"),
    Case("live_pattern", "foo", "'steady', 'poisson' or 'bursts'"),
    # Text that must have a form.
    Case("issuer", "not-a-url", r"must be an http\(s\) URL"),
    Case("issuer", "http://emulator:99999/maskinporten/", "Port out of range"),
    Case("issuer", "http://emulator/maskinporten/?x=1", "without a query"),
    Case("subscription_keys", ",", "names no key"),
    Case("admin_token", " padded ", "must not begin or end with whitespace"),
    Case("rate_limit", "abc", "must look like CALLS/SECONDS"),
    Case("issuer_aliases", "localhost:8080/maskinporten/", r"is not an http\(s\) URL"),
    Case("trusted_issuers", "[{", "not valid JSON"),
    Case("trusted_issuers", '{"issuer": "http://mock/"}', "JSON list"),
    Case("trusted_issuers", '[{"issuer": "http://mock/", "jwks": "{files}/list.json"}]', "is not a JWK set"),
    Case("trusted_issuers", '[{"issuer": "http://mock/", "jwks": "{files}/missing.json"}]', "No such file"),
    # Numbers out of range or not numbers.
    Case("token_lifetime", "0", "greater than or equal to 1"),
    Case("journal_size", "0", "greater than or equal to 1"),
    Case("live_rate", "fast", "valid number"),
    Case("live_rate", "10001", "less than or equal to 10000"),
    Case("header_timeout", "0", "greater than 0"),
    # Files missing, unreadable or malformed.
    Case("clients_file", "{files}/missing.json", "No such file"),
    Case("clients_file", "{files}", "Is a directory"),
    Case("clients_file", "{files}/list.json", "clients must be"),
    Case("clients_file", "{files}/broken.json", "not valid JSON"),
    Case("clients_file", "{files}/nameless-client.json", "every client needs a client_id"),
    Case("signing_key_file", "{files}/missing.pem", "No such file"),
    Case("trust_anchors", "{files}/missing.pem", "No such file"),
    Case("trust_anchors", "{files}/broken.json", "PEM|certificate"),
    Case("signing_key_file", "{files}/not-a-key.pem", "deserialize|PEM|key"),
    Case("fixture", "no-such-preset", "not a preset"),
    Case("fixture", "{files}/broken.json", "not JSON"),
    Case("fixture", "{files}/huge-recipe.json", "at most 100,000,000 events"),
    # A data dir that cannot be made (one held by another server: below).
    Case("data_dir", "{files}/list.json/data", "Not a directory"),
]
# An empty value is refused for every setting whose default is not itself empty, new settings included.
EMPTY_CASES = [
    Case(name, "", "is empty") for name, field in Settings.model_fields.items() if field.default not in ("",)
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("settings")
    (folder / "list.json").write_text("[1, 2, 3]", encoding="utf-8")
    (folder / "broken.json").write_text("{", encoding="utf-8")
    (folder / "nameless-client.json").write_text(json.dumps({"clients": [{"scopes": []}]}), encoding="utf-8")
    (folder / "not-a-key.pem").write_text(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", encoding="utf-8"
    )
    recipe = {"format": "trygdehendelser-emulator/recipe", "version": 1, "recipe": {"events": 100_000_001}}
    (folder / "huge-recipe.json").write_text(json.dumps(recipe), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def _environment(extra: dict[str, str]) -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("EMULATOR_")}
    return {**inherited, **BASE_ENV, **extra}


def _start(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int | None, list[str]]:
    """The exit status and every line written, or None if the server started: it is stopped at its banner.

    Run in `cwd`, so that a value wrongly taken as the current directory leaves its files there.
    """
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, text=True, cwd=cwd
    )
    assert process.stdout is not None
    # A process that neither refuses nor starts is killed, which ends its output and so the loop below.
    deadline = threading.Timer(STARTUP_SECONDS, process.kill)
    deadline.start()
    lines = []
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith(BANNER):
                return None, lines
        return process.wait(timeout=STARTUP_SECONDS), lines
    finally:
        deadline.cancel()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=STARTUP_SECONDS)
        process.stdout.close()


def _problem(case: Case, route: str, value: str, cwd: Path) -> str | None:
    """What is wrong with how `serve` refused this value given this way; None when it refused it as it should."""
    if route == "option":
        status, lines = _start([*PYTHON_M, "serve", case.option, value], _environment({}), cwd)
    else:
        status, lines = _start([*PYTHON_M, "serve"], _environment({case.variable: value}), cwd)
    output = "\n".join(lines)
    if status is None:
        return f"started instead of refusing:\n{output}"
    expected = rf"trygdehendelser-emulator serve: {case.option} \({case.variable}\): .*({case.reason}).*"
    if status == 0 or len(lines) != 1 or "Traceback" in output or not re.fullmatch(expected, lines[0]):
        return f"exit {status}, wanted one line matching {expected!r}, got:\n{output}"
    return None


def test_every_unusable_value_stops_serve_with_one_line_naming_option_and_variable(
    files: Path, busy_port: int, tmp_path: Path
) -> None:
    runs = [
        (case, route, case.value.replace("{files}", str(files)).replace("{busy_port}", str(busy_port)))
        for case in CASES
        for route in ("option", "variable")
    ]
    # An empty value comes from a variable left unset in a script or compose file, hardly from an option.
    runs += [(case, "variable", case.value) for case in EMPTY_CASES]
    with ThreadPoolExecutor(max_workers=8) as pool:
        problems = list(pool.map(lambda run: _problem(run[0], run[1], run[2], tmp_path), runs))
    failures = [
        f"{case.option} / {case.variable} = {value!r} as {route}: {problem}"
        for (case, route, value), problem in zip(runs, problems, strict=True)
        if problem is not None
    ]
    assert failures == [], "\n\n".join(failures)
    assert list(tmp_path.iterdir()) == []


def test_every_setting_has_a_value_that_is_refused() -> None:
    covered = {case.setting for case in [*CASES, *EMPTY_CASES]}
    assert sorted(set(Settings.model_fields) - covered) == []


def test_a_data_dir_is_held_by_one_server_at_a_time(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = [*PYTHON_M, "serve", "--events", "20", "--data-dir", str(data_dir)]
    with running_server(first) as (base, _):
        status, lines = _start([*PYTHON_M, "serve", "--data-dir", str(data_dir)], _environment({}), tmp_path)
        assert status not in (None, 0), lines
        assert len(lines) == 1, lines
        assert re.fullmatch(
            r"trygdehendelser-emulator serve: --data-dir \(EMULATOR_DATA_DIR\): .* is in use by another emulator "
            r"\(process [0-9]+\); one server per data dir",
            lines[0],
        ), lines
        # The first is untouched: it still appends, and keeps what it appended.
        appended = httpx.post(f"{base}/_emulator/events", json={"generate": 2})
        assert appended.status_code == 200, appended.text
        assert appended.json()["last"] == 22
    # Once the first has stopped, the data dir is free again.
    with running_server(first) as (base, _):
        assert httpx.get(f"{base}/_emulator/status").json()["head"] == 22
