"""The command line: `serve`, `generate` (a seeded log as a JSON fixture), `token` and `health`."""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
import typing
from collections.abc import Sequence
from enum import Enum
from typing import Any, NoReturn

from pydantic import ValidationError
from pydantic_settings import SettingsError as PydanticSettingsError

from emulator import __version__
from emulator.settings import ENV_PREFIX, Settings, display_host, setting_label, settings_problem

# argparse's own complaint about an option ("expected one argument", a manual type= or choices=).
_ARGUMENT_ERROR = re.compile(r"argument (?P<option>--[\w-]+)(?:/\S+)?: (?P<reason>.*)", re.DOTALL)
_LOG_SETTINGS = ("seed", "events", "fixture", "cache_dir")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    command: Any = arguments.command
    result: int = command(settings_for(arguments), arguments)
    return result


def settings_for(arguments: argparse.Namespace) -> Settings:
    """The settings a command's options and the environment make; SystemExit with one line if they cannot."""
    given = {name: value for name, value in vars(arguments).items() if name in Settings.model_fields}
    overrides = {name: _option_value(arguments.prog, name, value) for name, value in given.items() if value is not None}
    try:
        return Settings(**overrides)
    except (ValidationError, PydanticSettingsError) as error:
        # One line for a bad option and a bad variable alike, no usage text: the line names both.
        raise SystemExit(f"{arguments.prog}: {settings_problem(error)}") from None


def serve(settings: Settings, arguments: argparse.Namespace) -> int:
    from emulator.configuration import SettingsError, check

    try:
        # Every setting that names a file or holds text is tried first, so one that cannot be used stops `serve`
        # before the web framework is even imported, let alone the port bound or the log built.
        check(settings)
    except SettingsError as error:
        raise SystemExit(f"{arguments.prog}: {error}") from None
    from emulator.server import serve as run_server

    return run_server(settings)


def token(settings: Settings, arguments: argparse.Namespace) -> int:
    """Ask a running emulator to mint a token with its own key; prints the token alone, or JSON."""
    import httpx

    url = arguments.url or f"http://{display_host(settings.host)}:{settings.port}"
    request: dict[str, Any] = {
        "scope": arguments.scope,
        "lifetime_seconds": arguments.lifetime,
        "client_id": arguments.client_id,
        "organisation_number": arguments.organisation_number,
        "audience": arguments.audience,
        "claims": dict(_claim(text) for text in arguments.claim),
        "omit_claims": arguments.omit,
    }
    request = {name: value for name, value in request.items() if value is not None}
    # A control plane protected by --admin-token wants the same token from its own command line.
    headers = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}
    try:
        response = httpx.post(f"{url.rstrip('/')}/_emulator/tokens", json=request, headers=headers, timeout=10)
    except httpx.HTTPError as error:
        print(f"trygdehendelser-emulator token: cannot reach {url}: {error}", file=sys.stderr)
        return 1
    if response.status_code == 401 and not settings.admin_token:
        print(
            f"trygdehendelser-emulator token: {url} wants its admin token: --admin-token or EMULATOR_ADMIN_TOKEN",
            file=sys.stderr,
        )
        return 1
    if response.status_code != 200:
        print(f"trygdehendelser-emulator token: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    print(response.text if arguments.json else response.json()["access_token"])
    return 0


def health(settings: Settings, _: argparse.Namespace) -> int:
    """Exit 0 when the emulator on the configured port is ready: the container's HEALTHCHECK follows EMULATOR_PORT."""
    import httpx

    url = f"http://{display_host(settings.host)}:{settings.port}/internal/isready"
    try:
        # The server is on this host: a proxy from the environment (engines pass the host's http_proxy into
        # containers) would answer for it, or refuse, instead of the server itself.
        ready = httpx.get(url, timeout=3, trust_env=False).status_code == 200
    except httpx.HTTPError as error:
        print(f"trygdehendelser-emulator health: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if ready else 1


def _claim(text: str) -> tuple[str, Any]:
    """NAME=VALUE, the value read as JSON when it is JSON (numbers, objects) and as a string otherwise."""
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise SystemExit(f"trygdehendelser-emulator token: --claim wants NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def generate(settings: Settings, arguments: argparse.Namespace) -> int:
    from emulator.configuration import SettingsError, seeded_log
    from emulator.eventlog import write_fixture

    try:
        seeded = seeded_log(settings)
    except SettingsError as error:
        raise SystemExit(f"{arguments.prog}: {error}") from None
    if arguments.output == "-":
        digest = write_fixture(seeded, sys.stdout)
    else:
        with open(arguments.output, "w", encoding="utf-8") as stream:
            digest = write_fixture(seeded, stream)
    print(f"{len(seeded.log):,} events ({seeded.description}) {digest}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="trygdehendelser-emulator",
        description="A local emulator of NAV's Helse Trygdehendelser API. "
        "Every option can also be set as an EMULATOR_* environment variable.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True)

    # Every setting is an option of serve, made from its field: a new setting needs no code here. "resolve" lets
    # an option written out by hand below replace the one made for it.
    serve_parser = commands.add_parser("serve", help="run the emulator", conflict_handler="resolve")
    add_setting_options(serve_parser, list(Settings.model_fields))
    serve_parser.set_defaults(command=serve, prog=serve_parser.prog)

    token_parser = commands.add_parser(
        "token", help="mint a token signed by a running emulator's key (for testing 401/403 handling)"
    )
    token_parser.add_argument("--url", help="the running emulator (default http://127.0.0.1:<EMULATOR_PORT>)")
    token_parser.add_argument("--scope", help="space-separated scopes (default the API's own)")
    token_parser.add_argument("--lifetime", type=int, help="seconds; negative for an expired token")
    token_parser.add_argument("--client-id", help="client_id claim")
    token_parser.add_argument("--organisation-number", help="9 digits, for the consumer claim")
    token_parser.add_argument("--audience", help="aud claim (default unspecified)")
    token_parser.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="add or override a claim (repeatable)",
    )
    token_parser.add_argument("--omit", action="append", default=[], metavar="NAME", help="leave a claim out")
    token_parser.add_argument("--json", action="store_true", help="print the whole token response")
    token_parser.add_argument(
        "--admin-token", help="the server's admin token, when it runs with one (EMULATOR_ADMIN_TOKEN)"
    )
    token_parser.set_defaults(command=token, prog=token_parser.prog)

    health_parser = commands.add_parser(
        "health", help="exit 0 if the emulator at EMULATOR_HOST:EMULATOR_PORT is ready (for container health checks)"
    )
    add_setting_options(health_parser, ["port"])
    health_parser.set_defaults(command=health, prog=health_parser.prog)

    generate_parser = commands.add_parser(
        "generate", help="write the seeded log as a JSON fixture and print its digest"
    )
    add_setting_options(generate_parser, list(_LOG_SETTINGS))
    generate_parser.add_argument("-o", "--output", default="-", help="file to write, - for standard output")
    generate_parser.set_defaults(command=generate, prog=generate_parser.prog)
    return parser


def add_setting_options(parser: argparse.ArgumentParser, names: list[str]) -> None:
    """`--name` for each named setting, taken as text: Settings converts and checks it, as it does a variable."""
    for name in names:
        field = Settings.model_fields[name]
        facts = [f"{ENV_PREFIX}{name.upper()}"]
        if field.default not in (None, ""):
            default = field.default.value if isinstance(field.default, Enum) else field.default
            facts.append(f"default {default}")
        described = f"{(field.description or name).rstrip('.')} ({', '.join(facts)})"
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, help=described.replace("%", "%%"))


def _option_value(prog: str, name: str, value: Any) -> Any:
    """A list or object setting given as an option is JSON, as pydantic-settings reads its variable."""
    if not isinstance(value, str) or not _is_structured(Settings.model_fields[name].annotation):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise SystemExit(f"{prog}: {setting_label(name)}: not valid JSON ({error})") from None


def _is_structured(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_structured(member) for member in typing.get_args(annotation) if member is not type(None))
    return (origin or annotation) in (list, tuple, set, frozenset, dict)


class _Parser(argparse.ArgumentParser):
    """argparse, except that its complaint about a setting's option is the one line any unusable setting gets."""

    def error(self, message: str) -> NoReturn:
        match = _ARGUMENT_ERROR.fullmatch(message)
        name = match["option"].removeprefix("--").replace("-", "_") if match else ""
        if match and name in Settings.model_fields:
            raise SystemExit(f"{self.prog}: {setting_label(name)}: {match['reason']}")
        super().error(message)
