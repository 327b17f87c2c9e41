"""pytest plugin (entry point `trygdehendelser_emulator`): the emulator as fixtures, like pytest-httpserver.

One emulator per test session, started on first use, and a cheap reset before each test that uses it:

- `emulator_server`: the session's real emulator process (`python -m emulator serve --port 0`).
- `emulator`: an `EmulatorControl` for it, reset to the seeded log before the test.
- `emulator_token`, `emulator_medl_token`, `emulator_subscription_key`: credentials its feed (and MEDL) accept.
- `emulator_app`, `emulator_client`: the same emulator in-process (no server, no port), reset before the test.

Options (command line, else ini, else the default): `--emulator-events` / `emulator_events` (1000),
`--emulator-seed` / `emulator_seed` (1), `--emulator-fixture` / `emulator_fixture` (none),
`--emulator-cache-dir` / `emulator_cache_dir` (none: every session, and every xdist worker, builds its
own log; with one, the first builds and the others map it), and the ini
`emulator_args`: further `serve` options, e.g. `--timestamp-style local --auth-mode strict`, appended after
those. `EMULATOR_*` environment variables apply as they do to `serve`; options win.

Nothing heavy is imported until a fixture is used, so having the plugin installed costs other suites nothing.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fastapi import FastAPI

    from emulator.settings import Settings
    from emulator.testing import EmulatorControl, EmulatorProcess, InProcessClient

DEFAULT_EVENTS = 1000
DEFAULT_SEED = 1


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trygdehendelser-emulator", "trygdehendelser-emulator fixtures")
    group.addoption(
        "--emulator-events",
        type=int,
        default=None,
        help=f"events in the emulator's seeded log (ini emulator_events, default {DEFAULT_EVENTS})",
    )
    group.addoption(
        "--emulator-seed",
        type=int,
        default=None,
        help=f"seed of the emulator's log (ini emulator_seed, default {DEFAULT_SEED})",
    )
    group.addoption(
        "--emulator-fixture",
        default=None,
        help="a preset (empty, small, large) or a fixture file instead of seed/events (ini emulator_fixture)",
    )
    group.addoption(
        "--emulator-cache-dir",
        default=None,
        help="keep the generated log here and share it between sessions and workers (ini emulator_cache_dir)",
    )
    parser.addini("emulator_events", f"events in the emulator's seeded log (default {DEFAULT_EVENTS})")
    parser.addini("emulator_seed", f"seed of the emulator's log (default {DEFAULT_SEED})")
    parser.addini("emulator_fixture", "a preset (empty, small, large) or a fixture file instead of seed/events")
    parser.addini("emulator_cache_dir", "keep the generated log here, shared between sessions and workers")
    parser.addini("emulator_args", "further `trygdehendelser-emulator serve` options", type="args", default=[])


def _option(config: pytest.Config, name: str) -> str | None:
    given = config.getoption(f"--emulator-{name.replace('_', '-')}")
    if given is not None:
        return str(given)
    from_ini = config.getini(f"emulator_{name}")
    return str(from_ini) if from_ini else None


def serve_arguments(config: pytest.Config) -> list[str]:
    """The `serve` options the plugin's options add up to (`--port` aside)."""
    arguments = [
        "--events",
        _option(config, "events") or str(DEFAULT_EVENTS),
        "--seed",
        _option(config, "seed") or str(DEFAULT_SEED),
    ]
    fixture = _option(config, "fixture")
    if fixture:
        arguments += ["--fixture", fixture]
    cache_dir = _option(config, "cache_dir")
    if cache_dir:
        arguments += ["--cache-dir", cache_dir]
    extra: list[str] = config.getini("emulator_args")
    return [*arguments, *extra]


def settings_of(arguments: list[str]) -> Settings:
    """Settings as `serve` would build them from these options (and the environment)."""
    from emulator.cli import build_parser, settings_for  # noqa: PLC0415

    problems = io.StringIO()
    try:
        with contextlib.redirect_stderr(problems):
            return settings_for(build_parser().parse_args(["serve", *arguments]))
    except SystemExit as error:
        message = problems.getvalue().strip() or str(error)
        raise pytest.UsageError(f"trygdehendelser-emulator options {arguments}: {message}") from None


@pytest.fixture(scope="session")
def emulator_server(pytestconfig: pytest.Config) -> Iterator[EmulatorProcess]:
    """The session's emulator: `python -m emulator serve --port 0` with the plugin's options, as a subprocess.

    Started when a test first needs it; its address comes from the banner it prints once it listens
    (`emulator_server.base_url`, `.banner`, `.issuer`); stopped at the end of the session. Tests share it:
    take `emulator` instead to get it reset to the seeded log first.

    Under pytest-xdist every worker is a session of its own, so each worker starts its own server on its own
    port, and tests running in parallel never see each other's events, faults, clock or journal.
    """
    from emulator.testing import EmulatorProcess  # noqa: PLC0415

    # A mistake in the options fails the start with what `serve` said (EmulatorStartupError).
    with EmulatorProcess(*serve_arguments(pytestconfig)) as server:
        yield server


@pytest.fixture(scope="session")
def _emulator_session_control(
    pytestconfig: pytest.Config, emulator_server: EmulatorProcess
) -> Iterator[EmulatorControl]:
    from emulator.testing import EmulatorControl  # noqa: PLC0415

    settings = settings_of(serve_arguments(pytestconfig))
    with EmulatorControl(
        emulator_server.base_url,
        issuer=emulator_server.issuer,
        subscription_key=settings.accepted_subscription_keys[0],
        admin_token=settings.admin_token,
    ) as control:
        yield control


@pytest.fixture
def emulator(_emulator_session_control: EmulatorControl) -> EmulatorControl:
    """The session's emulator, reset to its seeded state before this test, as an `EmulatorControl`.

    The reset (`POST /_emulator/reset`) truncates the log back to the seeded events and clears faults,
    journal, consumers, live mode, the clock and clients registered at run time, in milliseconds. The control
    offers `base_url`, `feed_url`, `token_url`, `issuer`, `subscription_key`, `token()`, `headers()`, `read()`,
    `append()`, `generate()`, `status()`, `clock()`, `freeze()`, `advance()`, `live()`, `fault()`, `journal()`,
    `consumers()` and `wait_for()`, and for MEDL `medl_url`, `medl_scope`, `lookup()` and `lookup_person()`.
    Point the code under test at `emulator.feed_url`, `emulator.medl_url` and `emulator.token_url`.
    """
    _emulator_session_control.reset()
    return _emulator_session_control


@pytest.fixture
def emulator_token(emulator: EmulatorControl) -> str:
    """An access token the session's emulator accepts for the API (minted after the reset, on its clock)."""
    return emulator.token()


@pytest.fixture
def emulator_medl_token(emulator: EmulatorControl) -> str:
    """An access token the session's emulator accepts for MEDL (`nav:medlemskap/v1/medlemskapsunntak`)."""
    return emulator.token(emulator.medl_scope)


@pytest.fixture
def emulator_subscription_key(_emulator_session_control: EmulatorControl) -> str:
    """The `Ocp-Apim-Subscription-Key` the session's emulator accepts (`local-subscription-key` by default)."""
    return _emulator_session_control.subscription_key


@pytest.fixture(scope="session")
def _emulator_app_session(pytestconfig: pytest.Config) -> FastAPI:
    from emulator.http import create_app  # noqa: PLC0415

    return create_app(settings_of(serve_arguments(pytestconfig)))


@pytest.fixture
def emulator_app(_emulator_app_session: FastAPI) -> FastAPI:
    """The emulator in-process: one app for the session, built from the plugin's options, reset for this test.

    No subprocess and no port, so it is the fastest way to test code that takes an httpx client or an ASGI
    app; reach it with `emulator.testing.InProcessClient(emulator_app)`, or take `emulator_client`.
    The state lives in `emulator_app.state.backend`. Per xdist worker, like everything session-scoped.
    """
    backend: Any = _emulator_app_session.state.backend
    backend.reset()
    return _emulator_app_session


@pytest.fixture
def emulator_client(emulator_app: FastAPI) -> Iterator[InProcessClient]:
    """A synchronous httpx client of `emulator_app` that sends a valid subscription key and a token for both APIs.

    Paths are relative: `emulator_client.get("/helse/v1/trygdehendelser/hendelser", params=...)`,
    `emulator_client.get("/medlemskap/v1/medlemskapsunntak/2000003")`, and
    `emulator_client.post("/_emulator/events", json=...)` for the control plane.
    """
    from emulator.maskinporten import API_SCOPE, MEDL_SCOPE  # noqa: PLC0415
    from emulator.testing import InProcessClient, api_headers  # noqa: PLC0415

    headers = api_headers(emulator_app, scope=f"{API_SCOPE} {MEDL_SCOPE}")
    with InProcessClient(emulator_app, headers=headers) as client:
        yield client


__all__ = [
    "emulator",
    "emulator_app",
    "emulator_client",
    "emulator_medl_token",
    "emulator_server",
    "emulator_subscription_key",
    "emulator_token",
    "serve_arguments",
    "settings_of",
]
